"""The archive's feeds: validity (Atom RELAX NG, JSON Feed schema, RSS invariants), feedparser
round trip, awkward characters, absolute URLs."""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import lxml.etree as etree
import pytest

from dispatch.archive import build_archive, parse_now
from dispatch.config import load_settings

from conftest import corpus_files, shared_path
from test_build_support import BASE, feed_items, issue_text, relative_urls, write_archive, xml_chars_ok

NOW = "2026-06-01T00:00:00Z"
FEEDS = ("feed.xml", "atom.xml", "feed.json")

AWKWARD_BODY = (
    "Escape\x1bcharacter and vertical\x0btab in the lead; AT&T <b>bold?</b> 5 < 6 & \"quotes\".\n\n"
    "Emoji 👩‍💻🇳🇿 and CJK 日本語のテキスト、中文。\n\n"
    "<div class=\"raw\">Raw block with ]]> inside and ]]]]>> too</div>\n\n"
    "A code span `a ]]> b` and a fence:\n\n```\nx = \"]]>\"\n```\n\n"
    "![Chart](images/chart.png) and [the previous issue](../earlier/) and [top](/about/#team).\n\n"
    "<p><img src=\"/img/a.png\" srcset=\"img/a-1x.png 1x, /img/a-2x.png 2x\" alt=\"A\"> "
    "<a href=\"notes.html\">notes</a></p>\n\n"
    "Inline <a href=\"inline/rel\">raw link</a> and a footnote.[^1]\n\n"
    "[^1]: The footnote, with [a relative link](fn/rel).\n"
)


@pytest.fixture(scope="module")
def awkward(tmp_path_factory):
    root = tmp_path_factory.mktemp("awkward")
    folder = write_archive(root, {
        "awkward.md": issue_text("AT&T <3 ]]> 日本 🚀", "2026-05-20 07:00", slug="awkward",
                                 id="urn:uuid:00000000-0000-4000-8000-0000000000f1",
                                 tags=("news", "C&C"), body=AWKWARD_BODY),
        "plain.md": issue_text("Plain", "2026-05-10 07:00", id="urn:uuid:00000000-0000-4000-8000-0000000000f2"),
        "later.md": issue_text("Later", "2026-07-01 07:00", id="urn:uuid:00000000-0000-4000-8000-0000000000f3"),
        "draft.md": issue_text("Drafty", "2026-05-11 07:00", id="urn:uuid:00000000-0000-4000-8000-0000000000f4",
                               draft=True),
    })
    out = root / "public"
    report = build_archive(folder, out, load_settings(folder), parse_now(NOW))
    return folder, out, report


def _contents(out: Path) -> dict[str, str]:
    """The awkward issue's content HTML from each feed, as published (feedparser would
    sanitise it, dropping srcset)."""
    rss = etree.fromstring((out / "feed.xml").read_bytes())
    atom = etree.fromstring((out / "atom.xml").read_bytes())
    got = {
        "feed.xml": rss.find("channel/item/{http://purl.org/rss/1.0/modules/content/}encoded").text,
        "atom.xml": atom.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content").text,
    }
    got["feed.json"] = json.loads((out / "feed.json").read_text())["items"][0]["content_html"]
    return got


def test_control_characters_warned_with_file_and_line_and_removed(awkward):
    folder, out, report = awkward
    # the body starts on line 9 of the file (7 front-matter lines, one blank line)
    # (the wording is source.py's, which strips them before parsing)
    control = [w for w in report.warnings if "U+" in w]
    assert len(control) == 1 and control[0].startswith(f"{folder / 'awkward.md'}:9: ")
    assert "U+000B, U+001B" in control[0]
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".xml", ".json", ".html"):
            assert xml_chars_ok(path.read_bytes()), path
    for name, html in _contents(out).items():
        assert "Escapecharacter and verticaltab" in html, name


def test_cdata_end_ampersand_lt_emoji_cjk_survive(awkward):
    _, out, _ = awkward
    rss = (out / "feed.xml").read_bytes()
    assert b"<![CDATA[" in rss
    etree.fromstring(rss)  # well-formed despite ]]> in the content
    for name, html in _contents(out).items():
        assert "Raw block with ]]> inside and ]]]]>> too" in html, name
        assert "AT&amp;T <b>bold?</b> 5 &lt; 6 &amp;" in html, name
        assert "👩‍💻🇳🇿" in html and "日本語のテキスト、中文。" in html, name
        assert '<pre><code>x = "]]&gt;"</code></pre>' in html, name
    for name in FEEDS:
        titles = [e["title"] for e in feed_items(out / name)]
        assert titles[0] == "AT&T <3 ]]> 日本 🚀", name


def test_relative_urls_absolute_in_every_feed(awkward):
    _, out, _ = awkward
    permalink = BASE + "awkward/"
    for name, html in _contents(out).items():
        assert relative_urls(html) == [], name
        assert f'src="{permalink}images/chart.png"' in html, name
        assert f'href="{BASE}earlier/"' in html and f'href="{BASE}about/#team"' in html, name
        assert f'srcset="{permalink}img/a-1x.png 1x, {BASE}img/a-2x.png 2x"' in html, name
        assert f'src="{BASE}img/a.png"' in html and f'href="{permalink}notes.html"' in html, name
        assert f'href="{permalink}inline/rel"' in html and f'href="{permalink}fn/rel"' in html, name
        assert f'href="{permalink}#awkward-fn-1"' in html and 'id="awkward-fn-1"' in html, name
    page = (out / "awkward" / "index.html").read_text()
    assert relative_urls(page) == []
    assert f'src="{permalink}images/chart.png"' in page


def test_atom_validates_against_rfc4287_schema(awkward):
    _, out, _ = awkward
    schema = etree.RelaxNG(etree.parse(str(shared_path("validators", "atom.rng"))))
    feeds = [out / "atom.xml", *sorted((out / "tags").glob("*/atom.xml"))]
    # "C&C" is not a plain tag: its slug plus 8 hex digits of SHA-256("c&c") (see test_tag_paths_*)
    assert [p.parent.name for p in feeds[1:]] == ["c-c-55c9d54c", "news"]
    for path in feeds:
        doc = etree.parse(str(path))
        assert schema.validate(doc), (path, schema.error_log)


def test_json_feed_validates_with_format_checking(awkward):
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("rfc3339_validator")
    pytest.importorskip("rfc3987")
    _, out, _ = awkward
    schema = json.loads(shared_path("validators", "jsonfeed-1.1.schema.json").read_text())
    checker = jsonschema.FormatChecker()
    assert "date-time" in checker.checkers and "uri" in checker.checkers
    validator = jsonschema.Draft7Validator(schema, format_checker=checker)
    doc = json.loads((out / "feed.json").read_text())
    assert [e.message for e in validator.iter_errors(doc)] == []
    # the checker does reject a bad date and a relative URL (so the check above means something)
    bad = json.loads(json.dumps(doc))
    bad["items"][0]["date_published"] = "2026-05-20 07:00"
    bad["home_page_url"] = "/relative"
    assert len(list(validator.iter_errors(bad))) == 2


def test_rss_invariants(awkward):
    _, out, _ = awkward
    root = etree.fromstring((out / "feed.xml").read_bytes())
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("title") == "Test Weekly"
    assert channel.findtext("link") == BASE
    assert channel.findtext("description")
    atom_self = channel.find("{http://www.w3.org/2005/Atom}link")
    assert atom_self.get("rel") == "self" and atom_self.get("href") == BASE + "feed.xml"
    items = channel.findall("item")
    guids = [i.find("guid") for i in items]
    assert [g.text for g in guids] == ["urn:uuid:00000000-0000-4000-8000-0000000000f1",
                                       "urn:uuid:00000000-0000-4000-8000-0000000000f2"]
    assert all(g.get("isPermaLink") == "false" for g in guids)
    dates = [parsedate_to_datetime(i.findtext("pubDate")) for i in items]
    assert dates == sorted(dates, reverse=True)
    assert parsedate_to_datetime(channel.findtext("lastBuildDate")) == max(dates)
    content = "{http://purl.org/rss/1.0/modules/content/}encoded"
    for item in items:
        assert item.findtext("link").startswith(BASE)
        assert relative_urls(item.findtext(content)) == []
        assert item.findtext("description")  # the summary, not the content


def test_round_trip_order_ids_dates_no_drafts_or_future(awkward):
    _, out, _ = awkward
    expected_ids = ["urn:uuid:00000000-0000-4000-8000-0000000000f1", "urn:uuid:00000000-0000-4000-8000-0000000000f2"]
    for name in FEEDS:
        items = feed_items(out / name)
        assert [i["id"] for i in items] == expected_ids, name
        assert [i["link"] for i in items] == [BASE + "awkward/", BASE + "plain/"], name
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    # 07:00 NZST is 19:00 UTC the day before
    assert [e.published for e in atom.entries] == ["2026-05-19T19:00:00+00:00", "2026-05-09T19:00:00+00:00"]
    assert atom.feed.updated == "2026-05-19T19:00:00+00:00"
    assert [i["published"] for i in feed_items(out / "feed.json")] == ["2026-05-19T19:00:00Z", "2026-05-09T19:00:00Z"]
    assert [i["published"] for i in feed_items(out / "feed.xml")] == [
        "Tue, 19 May 2026 19:00:00 +0000", "Sat, 09 May 2026 19:00:00 +0000"]
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "Drafty" not in text and "Later" not in text, path


def test_corpus_archive_is_valid(tmp_path):
    """Every shared-corpus newsletter, in one archive, gives valid feeds with absolute URLs."""
    files = corpus_files()
    if not files:
        pytest.skip("../shared/corpus not found")
    schema = etree.RelaxNG(etree.parse(str(shared_path("validators", "atom.rng"))))
    folder = tmp_path / "issues"
    folder.mkdir()
    for n, path in enumerate(files):
        (folder / f"{n:02d}-{path.name}").write_bytes(path.read_bytes())
    (tmp_path / "dispatch.toml").write_text(f'base_url = "{BASE}"\ntimezone = "UTC"\n')
    report = build_archive(folder, tmp_path / "public", load_settings(folder), parse_now(NOW))
    assert len(report.published) == len(files)
    assert schema.validate(etree.parse(str(tmp_path / "public" / "atom.xml"))), schema.error_log
    for html in (e.content[0].value for e in feedparser.parse((tmp_path / "public" / "atom.xml").read_bytes()).entries):
        assert relative_urls(html) == []
