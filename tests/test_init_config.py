"""dispatch init scaffolds a newsletter whose draft renders; dispatch config prints the
settings in effect as TOML that loads back to the same settings; render and build say once
when no dispatch.toml is found."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from dispatch.config import load_settings

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dispatch", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env={**os.environ, **(env or {})})


def test_init_then_render_its_draft(tmp_path):
    env = {"TZ": "Pacific/Auckland", "LANG": "mi_NZ.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
    proc = run("init", "briefing", "--name", "The Kōrero", "--platform", "buttondown", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "briefing"
    [draft] = sorted((folder / "issues").glob("*.md"))
    assert proc.stdout.splitlines()[0] == (f"created {Path('briefing') / 'dispatch.toml'}  (time zone Pacific/Auckland, "
                                           "language mi-NZ, platform buttondown)")
    assert f"dispatch render issues/{draft.name}" in proc.stdout and "dispatch preview" in proc.stdout
    config = (folder / "dispatch.toml").read_text(encoding="utf-8")
    assert config.startswith("# dispatch.toml: the settings of this newsletter.")
    assert tomllib.loads(config) == {"site_name": "The Kōrero", "base_url": "https://example.com/",
                                     "timezone": "Pacific/Auckland", "language": "mi-NZ", "platform": "buttondown",
                                     "thread": {"platforms": ["x", "bluesky", "mastodon"]}}
    # its draft renders, with the settings it wrote
    rendered = run("render", f"issues/{draft.name}", "--out", "dist", cwd=folder)
    assert rendered.returncode == 0, rendered.stderr
    slug = draft.stem[len("YYYY-MM-DD-"):]
    html = (folder / "dist" / slug / "email.html").read_text(encoding="utf-8")
    assert "The Kōrero" in html and "{{ unsubscribe_url }}" in html
    assert "no dispatch.toml" not in rendered.stderr
    # a second init refuses, and changes nothing
    again = run("init", "briefing", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert (folder / "dispatch.toml").read_text(encoding="utf-8") == config
    assert len(list((folder / "issues").glob("*.md"))) == 1


def test_init_rejects_a_bad_value_and_leaves_nothing(tmp_path):
    proc = run("init", "x", "--timezone", "Mars/Olympus", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == ("dispatch: --timezone 'Mars/Olympus' is not a time zone of the IANA database; e.g. "
                           "'Pacific/Auckland' or 'UTC'\n")
    assert not (tmp_path / "x").exists()  # not even the folder


def test_init_names_every_bad_option_before_writing_anything(tmp_path):
    proc = run("init", "x", "--timezone", "Pacific/Aukland", "--language", "xx-notalang", "--url", "ftp://x",
               cwd=tmp_path)
    assert proc.returncode == 2 and not (tmp_path / "x").exists()
    assert proc.stderr.splitlines() == [
        "dispatch: --timezone 'Pacific/Aukland' is not a time zone of the IANA database; did you mean "
        "'Pacific/Auckland'?",
        "dispatch: --language 'xx-notalang' is not a language tag CLDR knows; write a BCP 47 tag such as 'en', "
        "'en-NZ' or 'zh-Hans'",
        "dispatch: --url 'ftp://x' is not an absolute http(s) URL; write e.g. 'https://briefing.example.org/'"]
    ok = run("init", "y", "--timezone", "Pacific/Auckland", "--language", "zh-Hans-CN", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert load_settings(tmp_path / "y").language == "zh-Hans-CN"


def test_config_prints_toml_that_loads_back_to_the_same_settings(tmp_path):
    proc = run("config", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"dispatch: read {ROOT / 'dispatch.toml'}\n"
    text = proc.stdout
    assert text.startswith(f"# The settings dispatch uses, read from {ROOT / 'dispatch.toml'}.")
    assert 'site_name = "The Aotearoa AI Briefing"\n' in text  # set in the file: not marked
    assert 'layout = "default"  # default\n' in text
    assert "\n[thread]\n" in text and "\nlimit = 20  # default\n" in text
    (tmp_path / "dispatch.toml").write_text(text, encoding="utf-8")
    original = load_settings(ROOT)
    pasted = load_settings(tmp_path)

    def comparable(s):
        return dataclasses.replace(s, root=Path("."), path=None)

    assert comparable(pasted) == comparable(original)
    # read back again, nothing is marked default any more except what the file lacks
    again = run("config", "--brief", cwd=tmp_path)
    assert "  # default" not in again.stdout and "# Absolute URL" not in again.stdout


def test_config_list_is_toml_that_loads_back_to_the_settings_in_effect(tmp_path):
    # the example newsletter: values set in its file, the default noted beside them
    proc = run("config", "--list", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "retina_images = false" in lines and "thread.counter = true" in lines and "feed.hubs = []" in lines
    assert 'site_name = "The Aotearoa AI Briefing"  # default: "Dispatch"' in lines
    assert not [line for line in lines if "False" in line or "True" in line or "()" in line.split("#")[0]]
    data = tomllib.loads(proc.stdout)
    assert data["thread"]["platforms"] == ["x", "bluesky", "mastodon"] and data["limits"]["issue_bytes"] == 1048576
    pasted = tmp_path / "pasted"
    pasted.mkdir()
    (pasted / "dispatch.toml").write_text(proc.stdout, encoding="utf-8")

    def comparable(s):
        return dataclasses.replace(s, root=Path("."), path=None, publish={})

    assert comparable(load_settings(pasted)) == comparable(load_settings(ROOT))
    # no file: the defaults, which load back as the defaults
    bare = tmp_path / "bare"
    bare.mkdir()
    listed = run("config", "--list", cwd=bare)
    assert "No dispatch.toml: the defaults." in listed.stdout and "# default:" not in listed.stdout
    (bare / "dispatch.toml").write_text(listed.stdout, encoding="utf-8")
    assert comparable(load_settings(bare)) == comparable(load_settings(tmp_path / "nowhere"))


def test_config_without_a_file_says_so(tmp_path):
    proc = run("config", "--brief", cwd=tmp_path)
    assert proc.returncode == 0
    assert "no dispatch.toml found: every value is a default" in proc.stdout
    assert 'site_name = "Dispatch"  # default' in proc.stdout
    assert "these are the defaults" in proc.stderr


def test_render_and_build_say_once_that_defaults_are_in_use(tmp_path):
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "a.md").write_text("---\ntitle: A\ndate: 2026-01-01\n---\nLead.\n", encoding="utf-8")
    rendered = run("render", "issues/a.md", "--out", "dist", cwd=tmp_path)
    assert rendered.returncode == 0
    notices = [line for line in rendered.stderr.splitlines() if "no dispatch.toml" in line]
    assert notices == [f"dispatch: no dispatch.toml in {(tmp_path / 'issues').resolve()} or above; using the defaults "
                       "(site name 'Dispatch', base URL https://example.com/). 'dispatch init' writes one."]
    built = run("build", "issues", "--out", "public", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert sum("no dispatch.toml" in line for line in built.stderr.splitlines()) == 1


def test_placeholder_base_url_is_warned_once_per_run_until_set(tmp_path):
    assert run("init", "site", cwd=tmp_path).returncode == 0
    folder = tmp_path / "site"
    config = folder / "dispatch.toml"
    line = next(n for n, text in enumerate(config.read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith("base_url = "))
    [draft] = sorted((folder / "issues").glob("*.md"))
    (folder / "issues" / "2026-01-02-second.md").write_text("---\ntitle: Second\ndate: 2026-01-02\n---\nLead.\n",
                                                            encoding="utf-8")
    (folder / "issues" / "2026-01-03-third.md").write_text("---\ntitle: Third\ndate: 2026-01-03\n---\nLead.\n",
                                                           encoding="utf-8")
    expected = (f"{config.resolve()}:{line}: base_url is still the placeholder https://example.com/: the email's "
                "images, 'View online' link, canonical URL and feeds point there; set it to your site's address")
    for args in (("render", f"issues/{draft.name}", "--out", "dist"), ("check", "issues"),
                 ("build", "issues", "--out", "public")):
        proc = run(*args, cwd=folder)
        found = [text for text in proc.stderr.splitlines() if "base_url is still the placeholder" in text]
        assert [text.removeprefix("warning: ") for text in found] == [expected], (args, proc.stderr)
    config.write_text(config.read_text(encoding="utf-8").replace("https://example.com/", "https://news.example.net/"),
                      encoding="utf-8")
    for args in (("check", "issues"), ("build", "issues", "--out", "public")):
        proc = run(*args, cwd=folder)
        assert "placeholder https://example.com/" not in proc.stderr, (args, proc.stderr)


def test_placeholder_base_url_without_a_config_file_says_it_is_the_default(tmp_path):
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "a.md").write_text("---\ntitle: A\ndate: 2026-01-01\n---\nLead.\n", encoding="utf-8")
    proc = run("check", "issues/a.md", cwd=tmp_path)
    assert ("warning: dispatch.toml: base_url is still the placeholder https://example.com/ (the built-in default: "
            "there is no settings file)") in proc.stderr, proc.stderr
