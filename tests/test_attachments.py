"""Audio and video attachments and feature-like front-matter keys (issue 14): an issue with
a local audio file gets an RSS enclosure, an Atom rel="enclosure" link and a JSON Feed
attachment (validated), a link block in the email and its text part, a player on its page,
and the file published with it; keys dispatch does not act on are named in a warning."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.etree as etree
import lxml.html
import pytest

from conftest import shared_path
from dispatch.archive import build_archive, parse_now
from dispatch.config import load_settings
from dispatch.errors import SourceError
from dispatch.parse import parse_issue
from dispatch.render import render_issue

from test_build_support import BASE, write_archive

ATOM = "{http://www.w3.org/2005/Atom}"
AUDIO_BYTES = bytes(range(256)) * 1000  # 256,000 bytes standing in for an MP3


def _podcast(tmp_path: Path, front: str, with_file: bool = True) -> Path:
    issue = (f"---\ntitle: Audio Edition\ndate: 2026-05-20 07:00\nslug: pod\n{front}---\n\n"
             "This week's lead, read aloud too.\n\n## The Bottom Line\n\nListen or read.\n")
    folder = write_archive(tmp_path, {"pod.md": issue})
    if with_file:
        (folder / "audio").mkdir()
        (folder / "audio" / "ep12.mp3").write_bytes(AUDIO_BYTES)
    return folder


LOCAL = "audio:\n  url: audio/ep12.mp3\n  title: Listen to this issue\n  duration: 1260\n"
URL = BASE + "pod/audio/ep12.mp3"


@pytest.fixture
def built(tmp_path):
    folder = _podcast(tmp_path, LOCAL)
    out = tmp_path / "public"
    report = build_archive(folder, out, load_settings(folder), parse_now("2026-06-01T00:00Z"))
    return folder, out, report


def test_feeds_carry_the_enclosure_with_length_and_type_from_the_file(built):
    _, out, _ = built
    rss = etree.parse(str(out / "feed.xml"))
    enclosure = rss.find("channel/item/enclosure")
    assert enclosure.attrib == {"url": URL, "length": str(len(AUDIO_BYTES)), "type": "audio/mpeg"}
    atom = etree.parse(str(out / "atom.xml"))
    links = atom.findall(f"{ATOM}entry/{ATOM}link[@rel='enclosure']")
    assert [dict(link.attrib) for link in links] == [
        {"rel": "enclosure", "href": URL, "type": "audio/mpeg", "length": "256000", "title": "Listen to this issue"}]
    feed = json.loads((out / "feed.json").read_text())
    assert feed["items"][0]["attachments"] == [{"url": URL, "mime_type": "audio/mpeg", "title": "Listen to this issue",
                                                "size_in_bytes": 256000, "duration_in_seconds": 1260}]
    # the file itself is published with the issue, byte for byte
    assert (out / "pod" / "audio" / "ep12.mp3").read_bytes() == AUDIO_BYTES


def test_feeds_with_an_enclosure_validate(built):
    _, out, _ = built
    schema = etree.RelaxNG(etree.parse(str(shared_path("validators", "atom.rng"))))
    for path in (out / "atom.xml", *sorted((out / "tags").glob("*/atom.xml"))):
        doc = etree.parse(str(path))
        assert schema.validate(doc), (path, schema.error_log)
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("rfc3987")
    feed_schema = json.loads(shared_path("validators", "jsonfeed-1.1.schema.json").read_text())
    validator = jsonschema.Draft7Validator(feed_schema, format_checker=jsonschema.FormatChecker())
    assert [e.message for e in validator.iter_errors(json.loads((out / "feed.json").read_text()))] == []
    # RSS 2.0: enclosure has its three required attributes, the URL is absolute http(s)
    for item in etree.parse(str(out / "feed.xml")).iter("item"):
        for enc in item.findall("enclosure"):
            assert set(enc.attrib) == {"url", "length", "type"} and enc.get("url").startswith("https://")
            assert enc.get("length").isdigit()


def test_web_page_has_a_player(built):
    _, out, _ = built
    page = lxml.html.fromstring((out / "pod" / "index.html").read_bytes())
    sources = page.xpath("//audio/source")
    assert [(s.get("src"), s.get("type")) for s in sources] == [(URL, "audio/mpeg")]
    caption = page.xpath("//figure[contains(@class,'attachment')]/figcaption")[0].text_content()
    assert caption == "Listen: Listen to this issue (MP3 audio, 0.3 MB, 21 min)"


def test_email_and_text_part_link_it_without_a_player(tmp_path):
    folder = _podcast(tmp_path, LOCAL)
    settings = load_settings(folder)
    report = render_issue(folder / "pod.md", tmp_path / "dist", settings)
    html = (report.folder / "email.html").read_text()
    doc = lxml.html.fromstring(html)
    assert not doc.xpath("//audio|//video")
    link = [a for a in doc.iter("a") if a.text == "Listen to this issue"]
    assert link and link[0].get("href") == URL
    text = (report.folder / "email.txt").read_text()
    assert "Listen: Listen to this issue [1] (MP3 audio, 0.3 MB, 21 min)" in text
    assert f"[1] {URL}" in text
    # every word of the issue is still there
    for words in ("This week's lead, read aloud too.", "Listen or read."):
        assert words in " ".join(text.split()) and words.replace("'", "&#39;") in html or words in html
    # render copies the file beside the outputs, and the entry has the enclosure
    assert (report.folder / "audio" / "ep12.mp3").read_bytes() == AUDIO_BYTES
    entry = etree.fromstring((report.folder / "entry.xml").read_bytes())
    assert entry.find(f"{ATOM}link[@rel='enclosure']").get("length") == "256000"


def test_video_by_url_and_unknown_length(tmp_path):
    front = "video: https://cdn.example.org/ep12.webm\n"
    folder = _podcast(tmp_path, front, with_file=False)
    issue = parse_issue(folder / "pod.md", load_settings(folder))
    (video,) = issue.attachments
    assert (video.url, video.mime, video.kind, video.length) == ("https://cdn.example.org/ep12.webm", "video/webm",
                                                                   "video", 0)
    assert any(w.startswith(f"{folder / 'pod.md'}:5: 'video'") and "add 'length:'" in w for w in issue.warnings)
    out = tmp_path / "public"
    build_archive(folder, out, load_settings(folder), parse_now("2026-06-01T00:00Z"))
    assert etree.parse(str(out / "feed.xml")).find("channel/item/enclosure").get("length") == "0"
    page = lxml.html.fromstring((out / "pod" / "index.html").read_bytes())
    assert page.xpath("//video/source/@src") == ["https://cdn.example.org/ep12.webm"]


def test_missing_or_outside_file_is_warned_and_not_attached(tmp_path):
    folder = _podcast(tmp_path, "audio: audio/missing.mp3\n", with_file=False)
    settings = load_settings(folder)
    issue = parse_issue(folder / "pod.md", settings)
    assert issue.attachments == ()
    report = build_archive(folder, tmp_path / "public", settings, parse_now("2026-06-01T00:00Z"))
    assert any(":5: 'audio' file 'audio/missing.mp3' not found" in w for w in report.warnings)
    assert b"enclosure" not in (tmp_path / "public" / "feed.xml").read_bytes()

    secret = tmp_path.parent / f"{tmp_path.name}-secret.mp3"
    secret.write_bytes(b"private")
    (folder / "pod.md").write_text((folder / "pod.md").read_text().replace("audio/missing.mp3", f"../../{secret.name}"))
    issue = parse_issue(folder / "pod.md", settings)
    assert issue.attachments == ()
    report = build_archive(folder, tmp_path / "public", settings, parse_now("2026-06-01T00:00Z"))
    assert any("outside the newsletter folder" in w for w in report.warnings)
    assert not list((tmp_path / "public").rglob(secret.name))
    secret.unlink()


def test_bad_attachment_values_are_one_line_errors(tmp_path):
    for front, words in (("audio: [a, b]\n", "must be a file path or URL"),
                         ("enclosure:\n  url: https://x.example/file\n", "needs a MIME type"),
                         ("audio:\n  url: https://x.example/a.mp3\n  length: big\n", "must be a whole number")):
        folder = _podcast(tmp_path / str(abs(hash(front))), front, with_file=False)
        with pytest.raises(SourceError) as info:
            parse_issue(folder / "pod.md", load_settings(folder))
        assert info.value.line == 5 and words in info.value.message and "\n" not in str(info.value)


def test_feature_like_keys_are_named_in_a_warning(tmp_path):
    front = "permalink: /x/\nfeatured_image: a.png\nsubtitle: More\nflavour: plain\n"
    folder = _podcast(tmp_path, front, with_file=False)
    issue = parse_issue(folder / "pod.md", load_settings(folder))
    named = [w for w in issue.warnings if "is not used by dispatch" in w]
    assert [w.split(": front-matter key ")[1].split("'")[1] for w in named] == [
        "permalink", "featured_image", "subtitle"]
    assert named[0].startswith(f"{folder / 'pod.md'}:5: ")
    assert issue.meta.extra["flavour"] == "plain"  # other keys are kept, silently as before


def test_cover_image_is_the_open_graph_image_and_the_email_header(tmp_path):
    folder = _podcast(tmp_path, "image: img/cover.png\nimage_alt: The studio\n", with_file=False)
    (folder / "img").mkdir()
    (folder / "img" / "cover.png").write_bytes(
        bytes.fromhex("89504e470d0a1a0a0000000d49484452000000100000000808020000004b6d29dc0000000c4944415478"
                      "9c63606060000000040001f61738550000000049454e44ae426082"))
    settings = load_settings(folder)
    cover = BASE + "pod/img/cover.png"
    report = render_issue(folder / "pod.md", tmp_path / "dist", settings)
    email = lxml.html.fromstring((report.folder / "email.html").read_bytes())
    assert cover in [img.get("src") for img in email.iter("img")]
    assert (report.folder / "img" / "cover.png").is_file()
    out = tmp_path / "public"
    build_archive(folder, out, settings, parse_now("2026-06-01T00:00Z"))
    page = lxml.html.fromstring((out / "pod" / "index.html").read_bytes())
    assert page.xpath("//meta[@property='og:image']/@content") == [cover]
    assert (out / "pod" / "img" / "cover.png").is_file()
    assert not [w for w in parse_issue(folder / "pod.md", settings).warnings if "'image'" in w]


def test_canonical_url_is_the_page_canonical_link(tmp_path):
    folder = _podcast(tmp_path, "canonical_url: https://first.example.org/post/12\n", with_file=False)
    settings = load_settings(folder)
    out = tmp_path / "public"
    build_archive(folder, out, settings, parse_now("2026-06-01T00:00Z"))
    page = lxml.html.fromstring((out / "pod" / "index.html").read_bytes())
    assert page.xpath("//link[@rel='canonical']/@href") == ["https://first.example.org/post/12"]
    assert page.xpath("//meta[@property='og:url']/@content") == ["https://first.example.org/post/12"]
    assert not [w for w in parse_issue(folder / "pod.md", settings).warnings if "canonical" in w]
    (folder / "pod.md").write_text((folder / "pod.md").read_text().replace("https://first.example.org/post/12", "/post"))
    warnings = parse_issue(folder / "pod.md", settings).warnings
    assert any(":5: 'canonical_url' '/post' is not an absolute http(s) URL" in w for w in warnings)
