"""Bounded work on any input (issue 10, item 7): each hostile input stops with one
``path:line`` message, quickly, or is read correctly; never a traceback, a hang or gigabytes."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dispatch.archive.schedule import parse_now
from dispatch.cli import main
from dispatch.config import LimitSettings, load_settings
from dispatch.errors import DispatchError, SourceError
from dispatch.limits import escape_unmatched_brackets, nesting_depth
from dispatch.parse import parse_issue
from dispatch.textutil import plain_text

HEAD = "---\ntitle: Limits\ndate: 2026-05-22\n---\n\n"


def _issue(tmp_path: Path, body: str, name: str = "issue.md", head: str = HEAD) -> Path:
    path = tmp_path / name
    path.write_text(head + body, encoding="utf-8")
    return path


def _settings(tmp_path: Path, **limits):
    settings = load_settings(tmp_path)
    return dataclasses.replace(settings, root=tmp_path, limits=dataclasses.replace(settings.limits, **limits))


def _error(path: Path, settings) -> SourceError:
    with pytest.raises(SourceError) as info:
        parse_issue(path, settings)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}:"), message
    return info.value


def _render(*args: str):
    result = CliRunner().invoke(main, ["render", *args])
    return result


def _assert_one_line(result, starts: str, words: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(starts) and words in lines[0], lines[0]
    assert "Traceback" not in result.output


# --- extreme dates ---------------------------------------------------------------------

@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31T23:59-05:00", "9999-12-31"])
def test_extreme_date_is_one_error_naming_its_line(tmp_path, date):
    path = _issue(tmp_path, "Hello.\n", head=f"---\ntitle: Limits\ndate: {date}\n---\n\n")
    error = _error(path, _settings(tmp_path))
    assert error.line == 3 and "out of range" in error.message and date in error.message


def test_extreme_date_through_the_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _issue(tmp_path, "Hello.\n", head="---\ntitle: Limits\ndate: 0001-01-01\n---\n\n")
    _assert_one_line(_render("issue.md", "--out", "out"), "issue.md:3: ", "between the years 1000 and 9998")
    assert not (tmp_path / "out").exists()


def test_now_far_in_the_future_is_one_error(tmp_path):
    with pytest.raises(DispatchError) as info:
        parse_now("9999-12-31T23:59-05:00")
    assert "--now '9999-12-31T23:59-05:00' is out of range" in str(info.value)
    folder = tmp_path / "issues"
    folder.mkdir()
    _issue(folder, "Hello.\n")
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(tmp_path / "pub"),
                                       "--now", "9999-12-31T23:59-05:00"])
    _assert_one_line(result, "dispatch: --now", "out of range")
    # the edges that are accepted still build
    assert parse_now("9998-12-30T00:00Z").year == 9998


# --- Markdown that is quadratic in Python-Markdown -------------------------------------

def test_twenty_kilobytes_of_brackets_is_read_linearly(tmp_path):
    path = _issue(tmp_path, "Before " + "[" * 20_000 + " after.\n")
    start = time.perf_counter()
    issue = parse_issue(path, _settings(tmp_path))
    elapsed = time.perf_counter() - start
    # every bracket is kept as text (the writer's words), and the parse does not stall
    assert plain_text(issue.lead[0].children) == "Before " + "[" * 20_000 + " after."
    assert elapsed < _settings(tmp_path).limits.markdown_seconds


def test_escaping_unmatched_brackets_keeps_links():
    body = "[a](https://x.example) " + "[" * 100 + " [b][c] [^1]\n\nnext [x]"
    out = escape_unmatched_brackets(body)
    assert out.count("\\[") == 100 and "[a](https://x.example)" in out and "[b][c]" in out
    assert out.endswith("next [x]")
    assert escape_unmatched_brackets("[" * 10) == "[" * 10  # few: left to Markdown


def test_markdown_time_budget_stops_with_the_line(tmp_path):
    # '[a](' repeated is quadratic in Python-Markdown (each '(' is scanned to the end) and its
    # brackets all match: about 2.5 s here at 3,000 repeats; a 0.3 s budget stops it
    path = _issue(tmp_path, "Fine first paragraph.\n\nSecond " + "[a](" * 3_000 + "\n")
    start = time.perf_counter()
    error = _error(path, _settings(tmp_path, markdown_seconds=0.3))
    assert time.perf_counter() - start < 5
    assert error.line == 8 and "[limits] markdown_seconds" in error.message


# --- nesting ---------------------------------------------------------------------------

def test_two_thousand_level_list_is_refused_at_its_line(tmp_path):
    body = "Lead.\n\n" + "".join("\t" * i + "- x\n" for i in range(2_000))
    path = _issue(tmp_path, body)
    settings = _settings(tmp_path, issue_bytes=4_000_000)
    start = time.perf_counter()
    error = _error(path, settings)
    assert time.perf_counter() - start < 5
    # level 41 is the 41st item: file line 6 + 2 + 40
    assert error.line == 48 and "nested too deeply" in error.message and "[limits] nesting" in error.message


@pytest.mark.parametrize("body, line", [("- " * 2_000 + "x\n", 6), ("> " * 2_000 + "x\n", 6)])
def test_one_line_nesting_is_refused(tmp_path, body, line):
    error = _error(_issue(tmp_path, body), _settings(tmp_path))
    assert error.line == line and "2000 levels" in error.message


def test_nesting_within_the_limit_still_renders(tmp_path):
    body = "".join("    " * i + f"- level {i + 1}\n" for i in range(10))
    issue = parse_issue(_issue(tmp_path, body), _settings(tmp_path))
    assert "level 10" in [plain_text(n.children) for n in issue.walk() if hasattr(n, "children")
                           and not hasattr(n, "items") and plain_text(n.children).startswith("level")][-1]


def test_nesting_depth_counts_quotes_markers_and_indentation():
    assert [nesting_depth(s) for s in ("- x", "    - x", "> > x", "- - - x", "plain", "        code")] == [
        1, 2, 2, 3, 0, 0]


# --- graphemes -------------------------------------------------------------------------

def test_grapheme_with_100000_combining_marks_is_refused_quickly(tmp_path):
    path = _issue(tmp_path, "Hello.\n\nA a" + "\u0301" * 100_000 + " word.\n")
    start = time.perf_counter()
    error = _error(path, _settings(tmp_path))
    assert time.perf_counter() - start < 5
    assert error.line == 8 and "100,001 code points" in error.message and "[limits] grapheme_chars" in error.message


def test_long_grapheme_renders_in_linear_time_when_allowed(tmp_path):
    """With the limit raised, the thread's URL finder no longer rescans the run of marks from
    each of its characters (it was quadratic: minutes for 100,000 marks)."""
    from dispatch.counters import find_urls, x_weight

    marks = "a" + "\u0301" * 100_000
    start = time.perf_counter()
    assert find_urls(marks + " see example.com") == [(100_006, 100_017)]
    assert x_weight(marks) > 0
    assert time.perf_counter() - start < 5


def test_zalgo_within_the_limit_is_kept(tmp_path):
    word = "Z" + "\u0336\u0335" * 10
    issue = parse_issue(_issue(tmp_path, f"The {word} text.\n"), _settings(tmp_path))
    assert word in plain_text(issue.lead[0].children)


# --- what an issue file may be ---------------------------------------------------------

def test_fifo_is_refused_by_render_and_build(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "issues"
    folder.mkdir()
    os.mkfifo(folder / "pipe.md")
    _assert_one_line(_render("issues/pipe.md", "--out", "out"), "issues/pipe.md: ", "FIFO")
    result = CliRunner().invoke(main, ["build", "issues", "--out", "pub"])
    assert result.exit_code == 2 and "pipe.md: is a FIFO" in result.output and "Traceback" not in result.output


def test_device_and_symlink_out_are_refused(tmp_path, monkeypatch):
    (tmp_path / "dispatch.toml").write_text('site_name = "X"\n')
    folder = tmp_path / "issues"
    folder.mkdir()
    outside = tmp_path.parent / f"{tmp_path.name}-outside.md"
    outside.write_text(HEAD + "Secret.\n")
    (folder / "zero.md").symlink_to("/dev/zero")
    (folder / "out.md").symlink_to(outside)
    inside = folder / "real.md"
    inside.write_text(HEAD + "Shared.\n")
    (folder / "alias.md").symlink_to(inside)
    settings = load_settings(folder)
    assert "is a device" in _error(folder / "zero.md", settings).message
    assert "outside the newsletter folder" in _error(folder / "out.md", settings).message
    assert parse_issue(folder / "alias.md", settings).meta.title == "Limits"  # a link inside is fine
    outside.unlink()


def test_oversized_issue_is_refused(tmp_path):
    path = _issue(tmp_path, "word " * 300)
    error = _error(path, _settings(tmp_path, issue_bytes=1_000))
    assert "[limits] issue_bytes" in error.message


# --- front matter ----------------------------------------------------------------------

def test_control_character_from_yaml_escape_is_a_warning_with_its_line(tmp_path):
    path = _issue(tmp_path, "Hello.\n", head='---\ndate: 2026-05-22\ntitle: "Bell\\x07 and \\x1b escape"\n---\n\n')
    issue = parse_issue(path, _settings(tmp_path))
    assert issue.meta.title == "Bell and escape"
    assert any(w.startswith(f"{path}:3: removed control character(s) U+0007, U+001B from 'title'")
               for w in issue.warnings)


def test_control_character_from_yaml_escape_renders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _issue(tmp_path, "Hello.\n", head='---\ntitle: "Esc \\x1b here"\ndate: 2026-05-22\n---\n\n')
    result = _render("issue.md", "--out", "out")
    assert result.exit_code == 0, result.output
    assert "issue.md:2: removed control character(s) U+001B" in result.output
    assert "Esc here" in (tmp_path / "out" / "esc-here" / "email.html").read_text()


def test_python_object_tag_is_one_line(tmp_path):
    path = _issue(tmp_path, "Hello.\n", head="---\ndate: 2026-05-22\ntitle: !!python/object:os.system ls\n---\n\n")
    error = _error(path, _settings(tmp_path))
    assert error.line == 3 and "!!python/object:os.system" in error.message


def test_limits_are_documented_settings(tmp_path):
    (tmp_path / "dispatch.toml").write_text("[limits]\nnesting = 5\nmarkdown_seconds = 2.5\n")
    settings = load_settings(tmp_path)
    assert settings.limits.nesting == 5 and settings.limits.markdown_seconds == 2.5
    assert settings.limits.issue_bytes == LimitSettings().issue_bytes == 1_048_576
    result = CliRunner().invoke(main, ["config", "--list"])
    for line in ("limits.issue_bytes = 1048576", "limits.nesting = 40", "limits.grapheme_chars = 100",
                 "limits.markdown_seconds = 5.0"):
        assert line in result.output.splitlines()


def test_url_finding_is_linear_on_a_long_dotted_word():
    """'ab.ab.ab…' is one failing bare-domain candidate per label; each used to be rescanned
    to the word's end (quadratic: about 4 s for 12 KB)."""
    from dispatch.counters import find_urls

    word = "ab." * 40_000
    start = time.perf_counter()
    assert find_urls(word + " see example.com/x.") == [(len(word) + 5, len(word) + 18)]
    # the same word between CJK characters: the Latin domain at the end of a host was found
    # by a search retried from every start (34 s for 12 KB)
    assert find_urls("中" + word + "中") == []
    assert find_urls("详见example.com") == [(2, 13)]
    assert time.perf_counter() - start < 2


def test_a_two_thousand_level_list_stays_small_in_memory(tmp_path):
    import tracemalloc

    body = "Lead.\n\n" + "".join("\t" * i + "- x\n" for i in range(2_000))
    path = _issue(tmp_path, body)
    settings = _settings(tmp_path, issue_bytes=4_000_000)
    tracemalloc.start()
    with pytest.raises(SourceError):
        parse_issue(path, settings)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100_000_000, peak  # was 3.4 GB inside Python-Markdown
