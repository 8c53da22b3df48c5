"""The preview server without a browser: live-reload events for issue, dispatch.toml and layout
changes, a broken dispatch.toml shown in the page (the server goes on), only the issues' own
images served, nothing written."""

from __future__ import annotations

import http.client
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dispatch.preview import PreviewServer, PreviewSite

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("preview-unit")
    (root / "dispatch.toml").write_text('site_name = "Unit"\nbase_url = "https://u.example/"\n', encoding="utf-8")
    (root / "layouts" / "default" / "web").mkdir(parents=True)
    shutil.copy(ROOT / "layouts" / "default" / "web" / "style.css", root / "layouts" / "default" / "web" / "style.css")
    (root / "issues" / "img").mkdir(parents=True)
    (root / "issues" / "img" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (root / "issues" / "one.md").write_text("---\ntitle: One\ndate: 2026-01-01\n---\nLead ![a](img/a.png).\n\n"
                                            "## Bottom Line\n\nIt matters.\n", encoding="utf-8")
    (root / "issues" / "two.md").write_text("---\ntitle: Two\ndate: 2099-01-01\n---\nLead.\n", encoding="utf-8")
    (root / "secret.txt").write_text("private", encoding="utf-8")
    server = PreviewServer(PreviewSite(root / "issues")).start()
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    try:
        yield server, root
    finally:
        server.stop()
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before  # nothing written


def get(server, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(server.url.rstrip("/") + path, timeout=30) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


class Events:
    """An SSE client on a thread: collects ``event:`` names."""

    def __init__(self, server):
        host, port = server.httpd.server_address[:2]
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.conn.request("GET", "/_events")
        self.resp = self.conn.getresponse()
        assert self.resp.getheader("Content-Type").startswith("text/event-stream")
        self.events: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("hello")

    def _read(self):
        try:
            for raw in self.resp:
                line = raw.decode().strip()
                if line.startswith("event: "):
                    self.events.append(line[7:])
        except (OSError, ValueError):
            pass

    def wait_for(self, name: str, count: int = 1, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.events.count(name) < count:
            assert time.monotonic() < deadline, f"no {name!r} event: {self.events}"
            time.sleep(0.02)


def test_index_and_pages(served):
    server, root = served
    status, page = get(server, "/")
    assert status == 200 and "2 issues" in page and "1 published · 1 scheduled · 0 drafts" in page
    assert page.index("Two") < page.index("One")  # newest first
    status, page = get(server, "/issue/one.md")
    assert status == 200 and 'id="issue-title">One<' in page
    status, email = get(server, "/issue/one.md/email?scheme=dark")
    assert "/_asset/one/img/a.png" in email and "https://u.example/one/img/a.png" not in email
    assert "@media all" in email  # the dark rules forced on
    assert get(server, "/_asset/one/img/a.png")[0] == 200
    assert get(server, "/_asset/../secret.txt")[0] == 404
    assert get(server, "/issue/../secret.txt")[0] == 404
    assert get(server, "/_site/style.css")[0] == 200


def test_changes_reload_and_a_broken_config_is_shown(served):
    server, root = served
    events = Events(server)
    (root / "issues" / "two.md").write_text("---\ntitle: Two, edited\ndate: 2099-01-01\n---\nLead.\n", encoding="utf-8")
    events.wait_for("reload", 1)
    assert "Two, edited" in get(server, "/")[1]
    style = root / "layouts" / "default" / "web" / "style.css"
    style.write_text(style.read_text(encoding="utf-8") + "\n/* edited */\n", encoding="utf-8")
    events.wait_for("reload", 2)
    assert get(server, "/_site/style.css")[1].rstrip().endswith("/* edited */")
    config = root / "dispatch.toml"
    good = config.read_text(encoding="utf-8")
    config.write_text(good + "timezone = 'Nowhere/Special'\n", encoding="utf-8")
    events.wait_for("reload", 3)
    status, page = get(server, "/issue/one.md")
    assert status == 200 and f"{config}:3" in page and "unknown time zone" in page
    config.write_text(good, encoding="utf-8")
    events.wait_for("reload", 4)
    assert 'id="issue-title">One<' in get(server, "/issue/one.md")[1]
    events.conn.close()


def test_editor_scratch_files_are_neither_watched_nor_reported(tmp_path):
    """``sed -i`` writes ``sedXXXXXX`` beside the file and renames it over; Vim, Emacs and
    others leave swap, backup, lock and autosave files. Only the issue itself is reported."""
    from dispatch.authoring import scratch_file

    (tmp_path / "dispatch.toml").write_text('site_name = "Unit"\nbase_url = "https://u.example/"\n', encoding="utf-8")
    issue = tmp_path / "issues" / "x.md"
    issue.parent.mkdir()
    issue.write_text("---\ntitle: X\ndate: 2026-01-01\n---\nLead.\n", encoding="utf-8")
    reported: list[list[str]] = []
    server = PreviewServer(PreviewSite(tmp_path / "issues"), on_change=reported.append, debounce_ms=100).start()
    try:  # start() returns once the watches are in place: no sleep needed before saving
        scratch = ["sedFKbnDJ", ".x.md.swp", "x.md~", "#x.md#", ".#x.md", "x.md.bak", "4913", "x.md.orig", ".hidden.md"]
        for name in scratch:
            (issue.parent / name).write_text("scratch", encoding="utf-8")
        subprocess.run(["sed", "-i", "s/Lead./Lead, edited./", str(issue)], check=True)
        for name in scratch:
            (issue.parent / name).unlink()
        deadline = time.monotonic() + 10
        while not any(str(issue) in batch for batch in reported):
            assert time.monotonic() < deadline, reported
            time.sleep(0.05)
        time.sleep(0.5)  # anything else the watcher would report has arrived
    finally:
        server.stop()
    assert {p for batch in reported for p in batch} == {str(issue)}, reported
    assert "Lead, edited." in issue.read_text(encoding="utf-8")
    assert all(scratch_file(issue.parent / name) for name in scratch)
    assert not any(scratch_file(issue.parent / name) for name in ("x.md", "chart.png", "sedimentary.md", "4913.md"))


@pytest.mark.parametrize("language, expected", [("en", "December 1, 2026"), ("en-NZ", "1 December 2026"),
                                                ("de", "1. Dezember 2026")])
def test_preview_dates_are_the_emails_dateline(tmp_path, language, expected):
    """The preview's index and issue page show the date as the email's dateline does (the
    language's CLDR long date, one function for both)."""
    import lxml.html

    from dispatch.render import render_in_memory

    (tmp_path / "dispatch.toml").write_text(f'site_name = "D"\nbase_url = "https://d.example/"\nlanguage = "{language}"\n'
                                            'timezone = "Pacific/Auckland"\n', encoding="utf-8")
    (tmp_path / "issues").mkdir()
    issue = tmp_path / "issues" / "d.md"
    issue.write_text("---\ntitle: D\ndate: 2026-12-01 08:00\n---\nLead.\n", encoding="utf-8")
    site = PreviewSite(tmp_path / "issues")
    email = lxml.html.document_fromstring(render_in_memory(issue, site.settings()).files["email.html"].decode())
    [dateline] = email.find_class("dateline")
    assert dateline.text_content().split(" · ")[0].strip() == expected
    server = PreviewServer(site).start()
    try:
        index = lxml.html.document_fromstring(get(server, "/")[1])
        page = lxml.html.document_fromstring(get(server, "/issue/d.md")[1])
    finally:
        server.stop()
    assert [td.text_content() for td in index.find_class("date")] == [expected]
    [sub] = page.find_class("sub")
    assert sub.text_content().split(" · ")[0].strip() == expected
