"""``dispatch import``: the plain-text briefing written out as Markdown renders to the same
outputs; ``check`` explains an issue without structure; missing-metadata fallbacks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch.authoring import check_issue
from dispatch.config import Settings, SourceSettings
from dispatch.errors import SourceError
from dispatch.parse import parse_issue
from dispatch.render import OUTPUTS, render_issue
from dispatch.structure import import_briefing

from conftest import shared_path

SETTINGS = Settings(base_url="https://briefing.example.nz/", timezone="Pacific/Auckland")
STRICT = Settings(base_url="https://briefing.example.nz/", source=SourceSettings(strict=True))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dispatch", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_seed_round_trip_renders_the_same_outputs(tmp_path):
    seed = tmp_path / "briefing.txt"
    shutil.copyfile(shared_path("seeds", "000_ec27f7ca672afada.txt"), seed)
    os.utime(seed, (1779400800, 1779400800))  # 2026-05-22 10:00 NZST: the date comes from here
    result = import_briefing(seed, tmp_path / "issues", SETTINGS)
    assert result.path == tmp_path / "issues" / "2026-05-22-the-moonshot-moment.md"
    assert result.markdown.startswith('---\ntitle: "The Moonshot Moment"\ndate: 2026-05-22 10:00 +1200\n'
                                      f'id: {result.id}\ndraft: true\n---\n')
    assert "\n## 🔍 THE BOTTOM LINE {.recap}\n" in result.markdown and "\n| Funding | $2 billion |\n" in result.markdown
    assert result.warnings == [f"{seed}:1: no date; using 2026-05-22 10:00 +1200, its modification time (add "
                               "'date:' to the front matter, or set [source] strict = true to make this an error)"]
    plain = render_issue(seed, tmp_path / "a", SETTINGS)
    markdown = render_issue(result.path, tmp_path / "b", SETTINGS)
    assert markdown.issue.warnings == ()  # nothing left to guess
    assert_same_outputs(plain, markdown, result)


def assert_same_outputs(plain, markdown, result) -> None:
    """The imported Markdown renders every output of the plain text byte for byte, but for the
    issue's id (entry.xml, thread.json): the permanent one import wrote instead of the one
    derived from date and slug."""
    assert markdown.issue.meta.draft and markdown.issue.meta.id == result.id
    assert plain.issue.meta.id.startswith("tag:") and result.id.startswith("urn:uuid:")
    for name in OUTPUTS:
        expected = (plain.folder / name).read_bytes()
        if name in ("entry.xml", "thread.json"):
            assert expected.count(plain.issue.meta.id.encode()) == 1, name
            expected = expected.replace(plain.issue.meta.id.encode(), result.id.encode())
        assert (markdown.folder / name).read_bytes() == expected, name


def test_import_cli_names_uncertain_lines_and_never_overwrites(tmp_path):
    (tmp_path / "harbour.txt").write_text(
        "The Harbour Report\n22 May 2026\nThe council met.\nWhat The Council Decided\n"
        "Councillors voted nine to two for the faster plan, which starts in April.\n", encoding="utf-8")
    proc = run("import", "harbour.txt", "-o", "issues", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "issues/2026-05-22-the-harbour-report.md"
    written = (tmp_path / proc.stdout.strip()).read_text(encoding="utf-8")
    issue_id = re.search(r"^id: (urn:uuid:[0-9a-f-]{36})$", written, re.M).group(1)
    assert proc.stderr.splitlines() == [
        "note: harbour.txt:4: read 'What The Council Decided' as a heading: a short title-like line before body "
        "text (write it as a sentence to keep it a paragraph)",
        f"note: issues/2026-05-22-the-harbour-report.md: written as a draft (draft: true) with the permanent id "
        f"{issue_id}; remove the 'draft: true' line when it is ready to publish"]
    assert written == (f'---\ntitle: "The Harbour Report"\ndate: 2026-05-22\nid: {issue_id}\ndraft: true\n---\n\n'
                       "The council met.\n\n## What The Council Decided\n\n"
                       "Councillors voted nine to two for the faster plan, which starts in April.\n")
    again = run("import", "harbour.txt", "-o", "issues", cwd=tmp_path)
    assert again.returncode == 2 and again.stderr.startswith("issues/2026-05-22-the-harbour-report.md: already exists")
    to_stdout = run("import", "harbour.txt", "-o", "-", cwd=tmp_path).stdout
    other_id = re.search(r"^id: (urn:uuid:[0-9a-f-]{36})$", to_stdout, re.M).group(1)
    assert other_id != issue_id and to_stdout == written.replace(issue_id, other_id)


def test_import_writes_a_draft_whose_id_survives_a_date_correction(tmp_path):
    briefing = tmp_path / "briefing.txt"
    briefing.write_text("Morning Notes\n\nThe council met.\n\nWhat The Council Decided\n"
                        "Councillors voted nine to two for the faster plan.\n", encoding="utf-8")
    os.utime(briefing, (1796040000, 1796040000))  # 2026-12-01 01:00 +1300: the date comes from here
    result = import_briefing(briefing, tmp_path / "issues", SETTINGS)
    assert result.path.name == "2026-12-01-morning-notes.md"
    issue = parse_issue(result.path, SETTINGS)
    assert issue.meta.draft is True and issue.meta.id == result.id
    # the writer corrects the date, as the README says they may: the Atom id stays
    result.path.write_text(result.markdown.replace("date: 2026-12-01 01:00 +1300", "date: 2026-11-30 09:00"),
                           encoding="utf-8")
    corrected = parse_issue(result.path, SETTINGS)
    assert corrected.meta.date.isoformat() == "2026-11-30T09:00:00+13:00"
    entry = (render_issue(result.path, tmp_path / "dist", SETTINGS).folder / "entry.xml").read_text(encoding="utf-8")
    assert f"<id>{result.id}</id>" in entry and "tag:" not in entry


def test_import_refuses_markdown(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: A\ndate: 2026-01-01\n---\nBody\n", encoding="utf-8")
    with pytest.raises(SourceError, match="is Markdown already"):
        import_briefing(path, tmp_path, SETTINGS)


# --- check explains structure ------------------------------------------------------------------

def test_check_explains_heading_lines_without_hashes(tmp_path):
    seed = shared_path("seeds", "000_ec27f7ca672afada.txt")
    path = tmp_path / "2026-05-22-briefing.md"
    path.write_text("# " + seed.read_text(encoding="utf-8"), encoding="utf-8")  # what the old error told users
    report = check_issue(path, SETTINGS)
    assert ", 0 sections;" in report.lines[0]
    explained = [w for w in report.warnings if "look like headings" in w]
    assert explained == [f"{path}:5: 11 line(s) look like headings but have no '##' (line 5 '🔍 THE BOTTOM LINE', "
                         "line 7 'Answer-First Lead', line 9 '❓ Frequently Asked Questions', line 13 '📊 By the "
                         "Numbers' and 7 more); start each with '## ', or run 'dispatch import' on the plain-text "
                         "original to have them found"]


def test_check_explains_sections_without_components(tmp_path):
    path = tmp_path / "2026-05-22-a.md"
    path.write_text("# A\n\nLead.\n\n## One\n\nText.\n\n## Two\n\nMore.\n", encoding="utf-8")
    warning = next(w for w in check_issue(path, SETTINGS).warnings if "none a component" in w)
    assert warning == (f"{path}:5: 2 section(s), none a component (the first is 'One'); a heading such as "
                       "'Bottom Line', 'Answer-First Lead', 'FAQ', 'By the Numbers' makes one (emoji and case do "
                       "not matter), or name it: '## Heading {.faq}'")


def test_check_explains_a_body_without_headings(tmp_path):
    path = tmp_path / "2026-05-22-a.md"
    path.write_text("# A\n\nJust one paragraph of text here, nothing more to it at all.\n", encoding="utf-8")
    assert f"{path}: no sections: everything is the lead. Start each part with a '## Heading' line" in \
        check_issue(path, SETTINGS).warnings


# --- missing metadata ----------------------------------------------------------------------------

def test_title_from_file_name_keeps_the_number_in_the_slug(tmp_path):
    path = tmp_path / "156-some-title.md"
    path.write_text("---\ndate: 2023-12-11\n---\nBody text.\n", encoding="utf-8")
    issue = parse_issue(path, SETTINGS)
    assert (issue.meta.title, issue.meta.slug) == ("Some Title", "156-some-title")
    assert issue.warnings == (f"{path}:1: no title; using 'Some Title' from the file name (add 'title:' to the "
                              "front matter, or set [source] strict = true to make this an error)",)
    with pytest.raises(SourceError, match="no title") as exc:
        parse_issue(path, STRICT)
    assert exc.value.line == 1


def test_date_from_file_name_prefix_is_no_guess(tmp_path):
    path = tmp_path / "2023-12-11-notes.md"
    path.write_text("# Notes\n\nBody text.\n", encoding="utf-8")
    for settings in (SETTINGS, STRICT):
        issue = parse_issue(path, settings)
        assert issue.meta.date.date().isoformat() == "2023-12-11" and issue.warnings == ()


def test_date_from_modification_time(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nBody text.\n", encoding="utf-8")
    os.utime(path, (1702252800, 1702252800))  # 2023-12-11 00:00 UTC
    issue = parse_issue(path, SETTINGS)
    assert issue.meta.date.isoformat() == "2023-12-11T13:00:00+13:00"
    assert issue.warnings == (f"{path}:1: no date; using 2023-12-11 13:00 +1300, its modification time (add 'date:' "
                              "to the front matter, or set [source] strict = true to make this an error)",)
    with pytest.raises(SourceError, match="the issue has no date"):
        parse_issue(path, STRICT)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_date_from_last_git_commit(tmp_path):
    repo = tmp_path / "news"
    repo.mkdir()
    path = repo / "notes.md"
    path.write_text("# Notes\n\nBody text.\n", encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2023-12-11T09:30:00+13:00", "GIT_COMMITTER_DATE": "2023-12-11T09:30:00+13:00",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}
    for args in (["init", "-q"], ["add", "notes.md"], ["commit", "-q", "-m", "first"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    issue = parse_issue(path, SETTINGS)
    assert issue.meta.date.isoformat() == "2023-12-11T09:30:00+13:00"
    assert issue.warnings == (f"{path}:1: no date; using 2023-12-11 09:30 +1300, the date of its last git commit "
                              "(add 'date:' to the front matter, or set [source] strict = true to make this an error)",)


@pytest.mark.parametrize("written, expected", [
    ("2023/12/11", "2023-12-11T00:00:00+13:00"),
    ("Mon, 11 Dec 2023 10:00:00 +0000", "2023-12-11T10:00:00+00:00"),
    ("Dec 11, 2023", "2023-12-11T00:00:00+13:00"),
    ("11 December 2023", "2023-12-11T00:00:00+13:00"),
    ("2020-12-2", "2020-12-02T00:00:00+13:00"),
    ("December 11 2023 9:30", "2023-12-11T09:30:00+13:00"),
])
def test_more_date_forms(tmp_path, written, expected):
    path = tmp_path / "a.md"
    path.write_text(f"Title: A\nDate: {written}\n\nBody text.\n", encoding="utf-8")
    assert parse_issue(path, SETTINGS).meta.date.isoformat() == expected


def test_a_date_without_a_day_is_still_an_error(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("Title: A\nDate: May 2026\n\nBody text.\n", encoding="utf-8")
    with pytest.raises(SourceError, match="cannot read date 'May 2026'") as exc:
        parse_issue(path, SETTINGS)
    assert exc.value.line == 2


def test_check_names_the_lines_a_plain_text_briefing_was_unsure_of(tmp_path):
    path = tmp_path / "2026-05-22-a.txt"
    path.write_text("The Harbour Report\nThe council met.\nWhy it matters\nFerries have used the western berth "
                    "since the storm, which hit in May.\n", encoding="utf-8")
    warnings = check_issue(path, SETTINGS).warnings
    assert f"{path}:3: read 'Why it matters' as a paragraph: short, but not in title case; start it with '## ' " \
           "if it is a heading" in warnings
    assert any("read as a plain-text briefing, but no line looks like a heading" in w for w in warnings)


@pytest.mark.parametrize("name", ["ROCKET", "PLAIN", "CJK", "WRAPPED"])
def test_round_trip_of_our_own_briefings(tmp_path, name):
    import test_plaintext

    path = tmp_path / f"{name.lower()}.txt"
    path.write_text(getattr(test_plaintext, name), encoding="utf-8")
    os.utime(path, (1779400800, 1779400800))
    result = import_briefing(path, tmp_path / "issues", SETTINGS)
    plain = render_issue(path, tmp_path / "a", SETTINGS)
    markdown = render_issue(result.path, tmp_path / "b", SETTINGS)
    assert markdown.issue.warnings == ()
    assert_same_outputs(plain, markdown, result)
