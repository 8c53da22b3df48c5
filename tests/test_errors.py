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
    "yaml_date_out_of_range": ("---\ntitle: A\ndate: 2026-13-45\n---\nBody\n", 3, "month must be in 1..12"),
    "yaml_duplicate_key": ("---\ntitle: First\ndate: 2026-01-01\ntitle: Second\n---\nBody\n", 4, "appears twice"),
    "pelican_duplicate_key": ("Title: A\nDate: 2026-01-01\nTitle: B\n\nBody\n", 3, "appears twice"),
    "yaml_nested_too_deep": ("---\ntitle: A\ndate: 2026-01-01\nx: " + "[" * 3000 + "\n---\nBody\n", 2, "too deeply"),
    "markdown_nested_too_deep": ("---\ntitle: A\ndate: 2026-01-01\n---\n" + "> " * 400 + "deep\n", 5, "too deeply"),
    "authors_not_names": ("---\ntitle: A\ndate: 2026-01-01\nauthors: [{a: 1}]\n---\nBody\n", 4, "'authors' must be a list"),
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


def test_directory_as_issue_is_one_line(tmp_path):
    (tmp_path / "issues").mkdir()
    proc = run("render", "issues", cwd=tmp_path)
    assert_one_line(proc, "issues: ", "is a folder")


def test_render_never_replaces_the_source_folder(tmp_path):
    """A page-bundle layout (hello/issue.md) rendered with --out . must not delete hello/."""
    (tmp_path / "hello").mkdir()
    source = tmp_path / "hello" / "issue.md"
    source.write_text("---\ntitle: Hello\ndate: 2026-05-22\n---\n\nOnly copy.\n", encoding="utf-8")
    proc = run("render", "hello/issue.md", "--out", ".", cwd=tmp_path)
    assert_one_line(proc, "hello: ", "would replace hello/issue.md")
    assert source.read_text(encoding="utf-8").endswith("Only copy.\n")


def test_render_never_replaces_a_folder_of_other_files(tmp_path):
    (tmp_path / "out" / "a").mkdir(parents=True)
    (tmp_path / "out" / "a" / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "issue.md").write_text("---\ntitle: A\ndate: 2026-01-01\n---\nBody\n", encoding="utf-8")
    proc = run("render", "issue.md", "--out", "out", cwd=tmp_path)
    assert_one_line(proc, "out/a: ", "holds files dispatch did not write (notes.txt)")
    assert (tmp_path / "out" / "a" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_config_not_utf8_and_bom(tmp_path):
    (tmp_path / "issue.md").write_text("---\ntitle: A\ndate: 2026-01-01\n---\nBody\n", encoding="utf-8")
    (tmp_path / "dispatch.toml").write_bytes(b"site_name = \"\xff\"\n")
    assert_one_line(run("render", "issue.md", cwd=tmp_path), f"{tmp_path / 'dispatch.toml'}: ", "not valid UTF-8")
    (tmp_path / "dispatch.toml").write_bytes("\ufeffsite_name = \"BOM\"\n".encode("utf-8"))
    assert run("render", "issue.md", cwd=tmp_path).returncode == 0


def test_new_under_a_file(tmp_path):
    (tmp_path / "afile").write_text("", encoding="utf-8")
    proc = run("new", "Hello", "--dir", "afile/sub", cwd=tmp_path)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_template_runtime_error_names_template_line(tmp_path):
    (tmp_path / "dispatch.toml").write_text('site_name = "T"\n', encoding="utf-8")
    (tmp_path / "issue.md").write_text("---\ntitle: A\ndate: 2026-01-01\n---\nLead.\n\n## Bottom line\n\nHi.\n",
                                       encoding="utf-8")
    template = tmp_path / "layouts" / "default" / "text" / "bottom_line.txt"
    template.parent.mkdir(parents=True)
    template.write_text("ok\n{{ 1/0 }}\n", encoding="utf-8")
    assert_one_line(run("render", "issue.md", cwd=tmp_path), f"{template}:2: ", "ZeroDivisionError")
    template.write_bytes(b"\xff\n")
    assert_one_line(run("render", "issue.md", cwd=tmp_path), f"{template}: ", "not valid UTF-8")


def test_control_characters_are_removed_with_a_warning(tmp_path):
    (tmp_path / "issue.md").write_text("---\ntitle: A\x07B\ndate: 2026-01-01\n---\nPara \x00one\x1b two.\n",
                                       encoding="utf-8")
    proc = run("render", "issue.md", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    warnings = [w for w in proc.stderr.strip().splitlines() if "control character" in w]
    assert warnings == [
        "warning: issue.md:2: removed control character(s) U+0007; they cannot appear in email or XML",
        "warning: issue.md:5: removed control character(s) U+0000, U+001B; they cannot appear in email or XML",
    ]
    assert "Para one two." in (tmp_path / "out" / "ab" / "email.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("raw", ["Text <b>unclosed", "<p>unclosed", '<a href="x">unclosed', "a stray </span> here",
                                 "<![CDATA[ x ]]> y", "<?php echo 1; ?> z", "<!DOCTYPE html> w"])
def test_unbalanced_inline_html_renders(tmp_path, raw):
    (tmp_path / "issue.md").write_text(f"---\ntitle: A\ndate: 2026-01-01\n---\nLead {raw} end.\n\n## S\n\nAfter.\n",
                                       encoding="utf-8")
    proc = run("render", "issue.md", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "out" / "a" / "email.html").read_text(encoding="utf-8")
    assert "end." in html and "After." in html
