"""The build's summary line and check's wording count what happened in the words that are
true: an issue refused (placeholder text, an id another issue has) is not "unreadable", a
draft made `draft: false` is no longer counted as a draft, and counts agree with nouns."""

from __future__ import annotations

from datetime import datetime, timezone

from click.testing import CliRunner

from dispatch.authoring import check_issue, new_issue
from dispatch.cli import main
from dispatch.config import load_settings

from test_build_support import issue_text, write_archive

NOW = "2026-06-01T00:00:00Z"
ID = "urn:uuid:00000000-0000-4000-8000-0000000000{:02d}"


def _summary(output: str) -> str:
    [line] = [line for line in output.splitlines() if " published" in line and " parsed, " in line]
    return line.rsplit(" in ", 1)[0]


def test_refused_issues_are_counted_apart_from_unreadable_ones(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    settings = load_settings(folder)
    draft = new_issue("Next week", folder, settings, datetime(2026, 5, 20, tzinfo=timezone.utc))
    build = ["build", str(folder), "--out", str(tmp_path / "public"), "--now", NOW]
    first = CliRunner().invoke(main, build)
    assert first.exit_code == 0, first.output
    changed = len(first.output.split("changed  ")) - 1
    assert _summary(first.output) == f"1 published, 1 draft, 2 parsed, {changed} changed, 0 unchanged"
    # the writer sets draft: false with the placeholder text still there; another issue
    # copies Alpha's id; a third cannot be read
    draft.write_text(draft.read_text(encoding="utf-8").replace("draft: true", "draft: false"), encoding="utf-8")
    (folder / "b.md").write_text(issue_text("Beta", "2026-05-02 07:00", id=ID.format(1)), encoding="utf-8")
    (folder / "c.md").write_text(issue_text("Gamma", "2026-13-40", id=ID.format(3)), encoding="utf-8")
    second = CliRunner().invoke(main, build)
    assert second.exit_code == 2
    assert _summary(second.output) == (f"1 published, 0 drafts, 1 parsed, 0 changed, {changed} unchanged, "
                                       "2 refused, 1 unreadable")
    errors = [line for line in second.output.splitlines() if line.startswith(str(folder))]
    assert [e.split(":", 1)[0] for e in errors] == [str(draft), str(folder / "c.md"), str(folder / "b.md")]
    assert "still holds the placeholder text" in errors[0] and "is already used by a.md" in errors[2]


def test_the_source_url_warning_agrees_with_its_count(tmp_path):
    one = tmp_path / "one.md"
    one.write_text("---\ntitle: One\ndate: 2026-05-01\n---\nLead.\n\n## Sources\n\n- Reuters\n"
                   "- [AP](https://apnews.com/)\n", encoding="utf-8")
    [found] = [d for d in check_issue(one, load_settings(tmp_path)).diagnostics if d.code == "source-url"]
    assert found.message == ("a source has no URL, so readers cannot check it: 'Reuters' (line 9); "
                             "write '- [Name](https://…)'")
    two = tmp_path / "two.md"
    two.write_text(one.read_text(encoding="utf-8") + "- Bloomberg\n", encoding="utf-8")
    [found] = [d for d in check_issue(two, load_settings(tmp_path)).diagnostics if d.code == "source-url"]
    assert found.message.startswith("2 sources have no URL, so readers cannot check them: 'Reuters' (line 9), "
                                    "'Bloomberg' (line 11)")
