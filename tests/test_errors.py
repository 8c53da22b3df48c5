"""Bad input: one ``path:line: message`` line on stderr, exit status 2, no traceback, and
nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CASES = {
    # name: (file content, expected line, words the message must contain)
    "broken_yaml": ("---\ntitle: A\ndate: [2026\n---\nBody\n", 3, "not valid YAML"),
    "unclosed_front_matter": ("---\ntitle: A\nBody\n", 1, "never closed"),
    "title_is_a_list": ("---\ntitle: [a, b]\ndate: 2026-01-01\n---\nBody\n", 2, "'title' must be text"),
    "tags_is_a_mapping": ("---\ntitle: A\ndate: 2026-01-01\ntags: {a: 1}\n---\nBody\n", 4, "'tags' must be a list"),
    "bad_date": ("---\ntitle: A\ndate: next tuesday\n---\nBody\n", 3, "cannot read date"),
    "impossible_date": ("+++\ntitle = \"A\"\ndate = \"2026-02-30\"\n+++\nBody\n", 3, "cannot read date"),
    "empty_body": ("---\ntitle: A\ndate: 2026-01-01\n---\n\n   \n", 4, "no body"),
    "numbers_without_table": (
        "---\ntitle: A\ndate: 2026-01-01\n---\nLead.\n\n## 📊 By the Numbers\n\nJust words.\n", 7, "no table"),
    "faq_without_questions": (
        "---\ntitle: A\ndate: 2026-01-01\n---\nLead.\n\n## FAQ\n\nNothing asked.\n", 7, "no questions"),
    "lens_without_region": (
        "---\ntitle: A\ndate: 2026-01-01\n---\nLead.\n\n## Here {.lens}\n\nText.\n", 7, "no region"),
    "unknown_explicit_component": (
        "---\ntitle: A\ndate: 2026-01-01\n---\nLead.\n\n## Here {.sidebar}\n\nText.\n", 7, "unknown component"),
    "bad_slug": ("---\ntitle: A\ndate: 2026-01-01\nslug: Not OK!\n---\nBody\n", 4, "not URL-safe"),
    "no_date_anywhere": ("---\ntitle: A\n---\nBody\n", 1, "no date"),
}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dispatch", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def assert_one_line(proc: subprocess.CompletedProcess, prefix: str, words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(prefix), lines[0]
    assert words in lines[0]
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_issue(tmp_path, name):
    content, line, words = CASES[name]
    (tmp_path / "issue.md").write_text(content, encoding="utf-8")
    proc = run("render", "issue.md", "--out", "out", cwd=tmp_path)
    assert_one_line(proc, f"issue.md:{line}: ", words)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_missing_file(tmp_path):
    proc = run("render", "issues/nope.md", cwd=tmp_path)
    assert_one_line(proc, "issues/nope.md: ", "no such file")


def test_not_utf8(tmp_path):
    (tmp_path / "issue.md").write_bytes(b"---\ntitle: A\ndate: 2026-01-01\n---\ncaf\xe9\n")
    proc = run("render", "issue.md", cwd=tmp_path)
    assert_one_line(proc, "issue.md:5: ", "not valid UTF-8")


def test_bad_config(tmp_path):
    (tmp_path / "dispatch.toml").write_text('site_name = "X"\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    (tmp_path / "issue.md").write_text("---\ntitle: A\ndate: 2026-01-01\n---\nBody\n", encoding="utf-8")
    proc = run("render", "issue.md", cwd=tmp_path)
    assert_one_line(proc, f"{tmp_path / 'dispatch.toml'}:2: ", "unknown time zone")


def test_unknown_config_key(tmp_path):
    (tmp_path / "dispatch.toml").write_text('site_nme = "X"\n', encoding="utf-8")
    (tmp_path / "issue.md").write_text("---\ntitle: A\ndate: 2026-01-01\n---\nBody\n", encoding="utf-8")
    proc = run("render", "issue.md", cwd=tmp_path)
    assert_one_line(proc, f"{tmp_path / 'dispatch.toml'}:1: ", "unknown setting 'site_nme'")


def test_failed_render_keeps_previous_output(tmp_path):
    """A failing re-render leaves the last good output folder untouched."""
    issue = tmp_path / "issue.md"
    issue.write_text("---\ntitle: A\ndate: 2026-01-01\nslug: a\n---\nBody\n", encoding="utf-8")
    assert run("render", "issue.md", "--out", "out", cwd=tmp_path).returncode == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out" / "a").iterdir()}
    issue.write_text("---\ntitle: A\ndate: 2026-01-01\nslug: a\n---\n## Numbers\n\nno table\n", encoding="utf-8")
    assert run("render", "issue.md", "--out", "out", cwd=tmp_path).returncode == 2
    after = {p.name: p.read_bytes() for p in (tmp_path / "out" / "a").iterdir()}
    assert before == after
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a"]  # no temporary folders left
