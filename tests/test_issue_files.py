"""Which files of an issues folder are issues: one rule (`dispatch.source.not_an_issue`) for
`build`, `check FOLDER`, `preview`'s index and `publish`. A writer's `notes.txt` or `todo.txt`
beside the issues is never built or published, and each file skipped is said once."""

from __future__ import annotations

import json

from click.testing import CliRunner

from dispatch.cli import main
from dispatch.preview.model import PreviewSite
from dispatch.preview.pages import index_page
from dispatch.source import find_issue_files, not_an_issue

from test_build_support import issue_text, write_archive

NOW = "2026-06-01T00:00:00Z"

#: A plain-text briefing as a drafting tool writes it: component headings, no front matter.
BRIEFING = """\
The Harbour Report
12 March 2026

The council voted on Tuesday to rebuild the eastern wharf before winter.

Bottom Line
The wharf reopens in June, two months earlier than the council planned last year.

Answer-First Lead
The eastern wharf will be rebuilt by June at a cost of $4.2 million, paid from the harbour fund.
"""
NOTES = "Ideas for next week\nAsk Mere about the wharf budget.\nMaybe a piece on ferry fares?\n"
TODO = "- fix the feed logo\n- answer reader mail\n- book the photographer\n"
#: A .txt with front matter is an issue whatever its body looks like.
FRONTED = "---\ntitle: Short Note\ndate: 2026-05-20 07:00\n---\n\nJust one paragraph, no headings at all.\n"


def _folder(tmp_path):
    return write_archive(tmp_path, {
        "2026-05-01-alpha.md": issue_text("Alpha", "2026-05-01 07:00", id="urn:uuid:00000000-0000-4000-8000-000000000001"),
        "harbour.txt": BRIEFING,
        "short.txt": FRONTED,
        "notes.txt": NOTES,
        "todo.txt": TODO,
    })


def test_the_rule(tmp_path):
    folder = _folder(tmp_path)
    found = find_issue_files(folder)
    assert [p.name for p in found.files] == ["2026-05-01-alpha.md", "harbour.txt", "short.txt"]
    assert [p.name for p, _ in found.skipped] == ["notes.txt", "todo.txt"]
    assert not_an_issue(folder / "notes.txt").startswith("a .txt file that is not a briefing")
    assert not_an_issue(folder / "harbour.txt") is None
    # [source] format = "plain": every .txt is a briefing; "markdown": only one with front matter
    assert not_an_issue(folder / "notes.txt", source_format="plain") is None
    assert not_an_issue(folder / "harbour.txt", source_format="markdown") is not None
    assert not_an_issue(folder / "short.txt", source_format="markdown") is None


def test_build_skips_notes_and_says_so_once(tmp_path):
    folder = _folder(tmp_path)
    out = tmp_path / "public"
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(out), "--now", NOW, "--jobs", "1"])
    assert result.exit_code == 0, result.output
    pages = sorted(p.parent.name for p in out.glob("*/index.html") if p.parent.name != "tags")
    assert pages == ["alpha", "short-note", "the-harbour-report"]
    assert "Ask Mere" not in "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    for name in ("notes.txt", "todo.txt"):
        line = f"warning: {folder / name}: skipped: a .txt file that is not a briefing"
        assert result.output.count(line) == 1, result.output
    assert "3 published" in result.output
    # a rerun from the cache says it again, once
    again = CliRunner().invoke(main, ["build", str(folder), "--out", str(out), "--now", NOW, "--jobs", "1"])
    assert again.output.count(f"{folder / 'notes.txt'}: skipped") == 1


def test_check_folder_reports_the_skipped_files(tmp_path):
    folder = _folder(tmp_path)
    result = CliRunner().invoke(main, ["check", str(folder), "--format", "json"])
    doc = json.loads(result.output)
    assert sorted(i["path"] for i in doc["issues"]) == sorted(str(folder / n) for n in
                                                              ("2026-05-01-alpha.md", "harbour.txt", "short.txt"))
    skipped = [(d["path"], d["severity"]) for d in doc["diagnostics"] if d["code"] == "not-an-issue"]
    assert skipped == [(str(folder / "notes.txt"), "warning"), (str(folder / "todo.txt"), "warning")]
    # named alone, the file is checked, and told it would be left out
    alone = CliRunner().invoke(main, ["check", str(folder / "notes.txt")])
    assert f"{folder / 'notes.txt'}: build and publish leave this file out: a .txt file" in alone.output


def test_preview_index_agrees(tmp_path):
    folder = _folder(tmp_path)
    site = PreviewSite(folder)
    assert site.keys() == ["2026-05-01-alpha.md", "harbour.txt", "short.txt"]
    assert site.path_of("notes.txt") is None
    page = index_page(site, 1)
    assert "<code>notes.txt</code>: a .txt file that is not a briefing" in page
    assert "<code>todo.txt</code>" in page


def test_publish_refuses_a_file_build_leaves_out(tmp_path):
    folder = _folder(tmp_path)
    toml = tmp_path / "dispatch.toml"
    toml.write_text(toml.read_text() + '\n[publish.hook]\nkind = "webhook"\nendpoint = "https://hooks.example.org/x"\n')
    result = CliRunner().invoke(main, ["publish", str(folder / "notes.txt"), "--dry-run",
                                       "--out", str(tmp_path / "dist")])
    assert result.exit_code == 2
    assert result.output.startswith(f"{folder / 'notes.txt'}: a .txt file that is not a briefing")
    ok = CliRunner().invoke(main, ["publish", str(folder / "harbour.txt"), "--dry-run", "--out", str(tmp_path / "dist")])
    assert ok.exit_code == 0, ok.output
    assert "hook: dry run: would send 1 request" in ok.output
