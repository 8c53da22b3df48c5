"""The sender address (``email``) is private: it is the From: of message.eml and send-test and
never goes into a published feed or page; ``[feed] author_email`` publishes an address only
when the writer opts in."""

from __future__ import annotations

from pathlib import Path

import lxml.etree as etree

from dispatch.archive import build_archive, parse_now
from dispatch.config import load_settings
from dispatch.render import render_issue

from test_build_support import issue_text, write_archive

ATOM = "{http://www.w3.org/2005/Atom}"
SENDER = "desk@example.org"  # test_build_support's CONFIG sets email = this


def _build(tmp_path: Path, extra: str = "") -> tuple[Path, Path]:
    folder = write_archive(tmp_path, {"one.md": issue_text("One", "2026-05-20 07:00", slug="one",
                                                           id="urn:uuid:00000000-0000-4000-8000-0000000000a1",
                                                           tags=("news", "ai"))}, extra=extra)
    out = tmp_path / "public"
    build_archive(folder, out, load_settings(folder), parse_now("2026-06-01T00:00:00Z"))
    return folder, out


def test_the_sender_address_is_in_no_published_file_and_no_entry(tmp_path):
    folder, out = _build(tmp_path)
    published = [p for p in out.rglob("*") if p.is_file()]
    assert {"atom.xml", "feed.xml", "feed.json"} <= {p.name for p in published}
    assert any(p.match("tags/*/atom.xml") for p in published)
    leaked = [p.relative_to(out).as_posix() for p in published if SENDER.encode() in p.read_bytes()]
    assert leaked == []
    # the author is still named, only without an address
    atom = etree.fromstring((out / "atom.xml").read_bytes())
    assert atom.findtext(f"{ATOM}author/{ATOM}name") == "Desk"
    assert atom.find(f"{ATOM}author/{ATOM}email") is None
    report = render_issue(folder / "one.md", tmp_path / "dist", load_settings(folder), eml=True)
    assert SENDER not in (report.folder / "entry.xml").read_text(encoding="utf-8")
    # ... while the message keeps it as its From:
    assert f"From: Test Weekly <{SENDER}>" in (report.folder / "message.eml").read_text(encoding="utf-8")


def test_feed_author_email_is_published_when_the_writer_opts_in(tmp_path):
    folder, out = _build(tmp_path, extra='[feed]\nauthor_email = "editor@news.example.org"\n')
    atom = etree.fromstring((out / "atom.xml").read_bytes())
    assert atom.findtext(f"{ATOM}author/{ATOM}email") == "editor@news.example.org"
    assert atom.findtext(f"{ATOM}entry/{ATOM}author/{ATOM}email") == "editor@news.example.org"
    tag = etree.fromstring((out / "tags" / "ai" / "atom.xml").read_bytes())
    assert tag.findtext(f"{ATOM}entry/{ATOM}author/{ATOM}email") == "editor@news.example.org"
    rss = etree.fromstring((out / "feed.xml").read_bytes())
    assert rss.findtext("channel/item/author") == "editor@news.example.org (Desk)"
    assert not [p for p in out.rglob("*") if p.is_file() and SENDER.encode() in p.read_bytes()]
    report = render_issue(folder / "one.md", tmp_path / "dist", load_settings(folder))
    entry = etree.fromstring((report.folder / "entry.xml").read_bytes())
    assert entry.findtext(f"{ATOM}author/{ATOM}email") == "editor@news.example.org"
