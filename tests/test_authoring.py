"""The authoring loop: ``dispatch new``, ``dispatch check``, and the watch loop."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dispatch.authoring import check_issue, file_changes, new_issue, watch
from dispatch.config import Settings
from dispatch.errors import SourceError
from dispatch.parse import parse_issue

from conftest import EXAMPLE


def test_new_issue_scaffold_parses_with_every_component(tmp_path):
    settings = Settings(timezone="Pacific/Auckland")
    now = datetime(2026, 6, 1, 9, 30, tzinfo=ZoneInfo("Pacific/Auckland"))
    path = new_issue('Te "Wiki" o te Reo Māori', tmp_path, settings, now=now)
    assert path.name == "2026-06-01-te-wiki-o-te-reo-maori.md"
    issue = parse_issue(path, settings)
    assert issue.meta.title == 'Te "Wiki" o te Reo Māori'
    assert issue.meta.draft is True
    assert [s.kind for s in issue.sections] == ["bottom_line", "answer_first", "faq", "numbers", "section", "lens",
                                                "my_take", "sources"]
    assert issue.meta.id.startswith("urn:uuid:")
    with pytest.raises(SourceError, match="already exists"):
        new_issue('Te "Wiki" o te Reo Māori', tmp_path, settings, now=now)


def test_check_summarises_without_writing(tmp_path, settings, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = check_issue(EXAMPLE, settings)
    assert report.lines[0].endswith("9 sections; components: bottom_line, faq, numbers, lens, my_take, sources; published")
    from dispatch.channels.email import GMAIL_CLIP_BYTES, render_email
    from dispatch.parse import parse_issue

    size = render_email(parse_issue(EXAMPLE, settings), settings).bytes
    assert report.lines[1] == f"email.html: {size:,} bytes ({size * 100 // GMAIL_CLIP_BYTES}% of Gmail's ~102 KB clip)"
    # the delivered-size estimate on every platform, each in its own form
    assert report.lines[2].startswith("delivered with click tracking (estimate, against the clip): generic ≈ ")
    assert [part.split(" ≈ ")[0] for part in report.lines[2].split(": ", 1)[1].split(", ")] == \
        ["generic", "mailchimp", "buttondown", "listmonk", "ghost", "substack"]
    assert any(line.startswith("thread x: ") for line in report.lines)
    # the example is clean: its sources have URLs, its dispatch.toml sets unsubscribe_url
    assert report.diagnostics == []
    assert report.errors == []
    assert list(tmp_path.iterdir()) == []


def test_check_cli_exit_codes(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "dispatch", "check", str(EXAMPLE)], capture_output=True, text=True)
    assert ok.returncode == 0 and "email.html:" in ok.stdout
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: A\ndate: soon\n---\nx\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "dispatch", "check", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith(f"{bad}:3: cannot read date")


def test_watch_rerenders_on_change_and_survives_errors(tmp_path):
    import threading
    import time

    source = tmp_path / "a.md"
    source.write_text("---\ntitle: A\ndate: 2026-01-01\n---\nx\n", encoding="utf-8")
    (tmp_path / "other.md").write_text("not watched\n", encoding="utf-8")
    runs, errors = [], []
    stop = threading.Event()

    def action():
        runs.append(parse_issue(source, Settings()).meta.title)

    def until(condition, what):
        deadline = time.monotonic() + 10
        while not condition():
            assert time.monotonic() < deadline, f"watch did not {what}"
            time.sleep(0.02)

    def author():
        until(lambda: runs == ["A"], "render at start")
        (tmp_path / "other.md").write_text("changed, but not watched\n", encoding="utf-8")
        source.write_text("---\ntitle: [broken\n---\nx\n", encoding="utf-8")  # a broken save
        until(lambda: errors, "report the broken save")
        tmp = tmp_path / ".a.md.swp"  # an editor's save by rename
        tmp.write_text("---\ntitle: B\ndate: 2026-01-01\n---\nxy\n", encoding="utf-8")
        tmp.replace(source)
        until(lambda: runs == ["A", "B"], "render the fixed save")
        stop.set()

    helper = threading.Thread(target=author)
    helper.start()
    watch([source], action, errors.append, stop=stop)
    helper.join()
    assert runs == ["A", "B"]
    assert len(errors) == 1 and errors[0].line == 2


def test_new_issue_with_a_cjk_title(tmp_path):
    now = datetime(2026, 6, 1, 9, 30, tzinfo=ZoneInfo("UTC"))
    path = new_issue("人工智能新闻", tmp_path, Settings(), now=now)
    assert path.name.startswith("2026-06-01-issue-2026-06-01-") and len(path.stem) == len("2026-06-01-issue-2026-06-01-") + 8
    assert parse_issue(path, Settings()).meta.title == "人工智能新闻"


def test_one_watcher_for_watch_and_preview(tmp_path):
    """`file_changes` (what `watch` and `preview` both run on): [] once watching, then each
    burst's paths; a folder watched without recursion reports its own files only, `wanted`
    narrows further, scratch files never come, `stop` ends it."""
    import threading

    top, deep = tmp_path / "site", tmp_path / "site" / "deep"
    deep.mkdir(parents=True)
    stop = threading.Event()
    batches = []
    changes = file_changes([top], recursive=False, wanted=lambda p: p.suffix != ".log", stop=stop, debounce_ms=50)
    assert next(changes) == []  # the watch is in place: nothing saved from here on is missed
    (deep / "inner.md").write_text("below: not watched without recursion")
    (top / "run.log").write_text("not wanted")
    (top / "x.md~").write_text("an editor's backup")
    (top / "dispatch.toml").write_text('site_name = "S"')
    batches.append(next(changes))
    stop.set()
    assert list(changes) == []
    assert batches == [[(top / "dispatch.toml").resolve()]]
