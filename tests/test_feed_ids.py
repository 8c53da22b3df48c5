"""Ids across feed entries (issue 14): two issues with footnotes in one feed repeat no id, and
each footnote link resolves within its own entry; the archive pages carry the same ids."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import lxml.etree as etree
import lxml.html

from dispatch.archive import build_archive, parse_now
from dispatch.channels.entry import unique_ids
from dispatch.config import load_settings

from test_build_support import BASE, issue_text, write_archive

ATOM = "{http://www.w3.org/2005/Atom}"
BODY = ("The lead of {title}, with a claim.[^1] And a second one.[^note]\n\n"
        "[^1]: {title}'s first note.\n[^note]: {title}'s second note.")


def _entries(out: Path) -> dict[str, list[tuple[str, str]]]:
    """feed name → [(permalink, content HTML)] per entry."""
    rss = etree.fromstring((out / "feed.xml").read_bytes())
    atom = etree.fromstring((out / "atom.xml").read_bytes())
    feed = json.loads((out / "feed.json").read_text())
    return {
        "feed.xml": [(i.findtext("link"), i.findtext("{http://purl.org/rss/1.0/modules/content/}encoded"))
                     for i in rss.iter("item")],
        "atom.xml": [(e.find(f"{ATOM}link").get("href"), e.findtext(f"{ATOM}content")) for e in atom.iter(f"{ATOM}entry")],
        "feed.json": [(i["url"], i["content_html"]) for i in feed["items"]],
    }


def _ids(html: str) -> list[str]:
    return [e.get("id") for e in lxml.html.fragment_fromstring(html, create_parent="div").iter() if e.get("id")]


def test_two_issues_with_footnotes_share_no_id_in_any_feed(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", body=BODY.format(title="Alpha")),
        "b.md": issue_text("Beta", "2026-05-02 07:00", body=BODY.format(title="Beta")),
    })
    out = tmp_path / "public"
    build_archive(folder, out, load_settings(folder), parse_now("2026-06-01T00:00Z"))
    for name, entries in _entries(out).items():
        assert len(entries) == 2, name
        every = Counter(i for _, html in entries for i in _ids(html))
        assert every and max(every.values()) == 1, (name, every)
        for permalink, html in entries:
            ids = set(_ids(html))
            slug = permalink.rstrip("/").rsplit("/", 1)[-1]
            assert {f"{slug}-fn-1", f"{slug}-fn-note", f"{slug}-the-bottom-line", f"{slug}-faq"} <= ids, ids
            links = re.findall(r'href="([^"]*#[^"]*)"', html)
            assert len(links) >= 2
            for link in links:  # every in-issue link points into this entry, at an id it holds
                url, fragment = link.split("#", 1)
                assert url == permalink and fragment in ids, (name, link)
            title = "Alpha" if slug == "alpha" else "Beta"
            note = lxml.html.fragment_fromstring(html, create_parent="div").get_element_by_id(f"{slug}-fn-1")
            assert f"{title}'s first note." in note.text_content()
    # the archive pages carry the same ids, once each
    for slug in ("alpha", "beta"):
        page = (out / slug / "index.html").read_text()
        ids = Counter(e.get("id") for e in lxml.html.fromstring(page).iter() if e.get("id"))
        assert max(ids.values()) == 1 and f"{slug}-fn-1" in ids
        assert f'href="{BASE}{slug}/#{slug}-fn-1"' in page


def test_unique_ids_leaves_other_links_alone():
    html = ('<p id="x">a <a href="https://s/i/#x">1</a> <a href="https://s/other/#x">2</a> '
            '<a href="#y">3</a> <a href="https://s/i/#x2">4</a></p><li id=\'y\'>n</li>')
    out = unique_ids(html, "i-", "https://s/i/")
    assert out == ('<p id="i-x">a <a href="https://s/i/#i-x">1</a> <a href="https://s/other/#x">2</a> '
                   '<a href="https://s/i/#i-y">3</a> <a href="https://s/i/#x2">4</a></p><li id="i-y">n</li>')


def test_the_email_and_text_part_hold_every_word_of_both_issues(tmp_path):
    from dispatch.render import render_issue

    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", body=BODY.format(title="Alpha")),
        "b.md": issue_text("Beta", "2026-05-02 07:00", body=BODY.format(title="Beta")),
    })
    settings = load_settings(folder)
    for name, title in (("a.md", "Alpha"), ("b.md", "Beta")):
        report = render_issue(folder / name, tmp_path / "dist", settings)
        text = " ".join((report.folder / "email.txt").read_text().split())
        page = lxml.html.fromstring((report.folder / "email.html").read_bytes())
        visible = " ".join(page.xpath("string(//body)").split())
        # the footnote markers are "¹" in the text part (its links are "[1]") and "1" (a link) in the email
        assert f"The lead of {title}, with a claim.¹ And a second one.²" in text
        assert f"The lead of {title}, with a claim.1 And a second one.2" in visible
        for words in (f"{title}'s first note.", f"{title}'s second note.", f"Bottom line of {title}."):
            assert words in text and words in visible, (name, words)
