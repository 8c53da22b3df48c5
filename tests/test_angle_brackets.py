"""Angle brackets in prose (issue 14): a ``<…>`` that is not HTML the writer could mean stays
text in every channel, with a warning naming its line; real inline HTML still passes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import pytest

from dispatch.archive import build_archive, parse_now
from dispatch.config import load_settings
from dispatch.inlinehtml import settle
from dispatch.parse import parse_issue
from dispatch.render import render_issue

CONFIG = 'site_name = "Angles"\nbase_url = "https://angles.example.org/"\n'

ANGLE = "Write <angle> and _under_ here."
TWIR = ("The new [`Vec::extract_if`](https://doc.rust-lang.org/std/vec/struct.Vec.html) lets a Vec<T> drain "
        "in place; Option<String> gains `as_deref`, and HashMap<K, V> now takes impl Into<Cow<'a, str>> keys. "
        "Read more in [the blog](https://blog.rust-lang.org/) <small>(5 min)</small>.")
#: the words a reader must see, in order, for each paragraph
ANGLE_WORDS = ["Write", "<angle>", "and", "under", "here."]
TWIR_WORDS = ["The", "new", "Vec::extract_if", "lets", "a", "Vec<T>", "drain", "in", "place;", "Option<String>",
              "gains", "as_deref,", "and", "HashMap<K,", "V>", "now", "takes", "impl", "Into<Cow<'a,", "str>>",
              "keys.", "Read", "more", "in", "the", "blog", "(5", "min)."]


def _newsletter(tmp_path: Path, paragraph: str, title: str) -> Path:
    (tmp_path / "dispatch.toml").write_text(CONFIG)
    issues = tmp_path / "issues"
    issues.mkdir(exist_ok=True)
    path = issues / "issue.md"
    path.write_text(f"---\ntitle: {title}\ndate: 2026-05-22 07:00\n---\n\nLead line.\n\n"
                    f"## Updates from the community\n\n{paragraph}\n", encoding="utf-8")
    return path


def _words_in_order(text: str, words: list[str]) -> bool:
    pos = 0
    for word in words:
        pos = text.find(word, pos)
        if pos < 0:
            return False
        pos += len(word)
    return True


def _visible(html: str) -> str:
    doc = lxml.html.fromstring(html)
    for junk in doc.xpath("//style|//script|//head"):
        junk.drop_tree()
    return " ".join(doc.text_content().split())


@pytest.mark.parametrize("paragraph, words", [(ANGLE, ANGLE_WORDS), (TWIR, TWIR_WORDS)], ids=["angle", "twir"])
def test_every_word_reaches_every_channel(tmp_path, paragraph, words):
    path = _newsletter(tmp_path, paragraph, "Angles")
    settings = load_settings(path.parent)
    report = render_issue(path, tmp_path / "dist", settings)
    folder = report.folder
    email = (folder / "email.html").read_text()
    text = " ".join((folder / "email.txt").read_text().split())
    entry = (folder / "entry.xml").read_bytes()
    thread = json.loads((folder / "thread.json").read_text())

    assert _words_in_order(_visible(email), words), _visible(email)
    assert _words_in_order(text, words), text
    content = lxml.etree.fromstring(entry).findtext("{http://www.w3.org/2005/Atom}content")
    assert _words_in_order(_visible(f"<div>{content}</div>"), words)
    posts = " ".join(p["text"] for p in thread["bluesky"]["posts"]) if "bluesky" in thread else json.dumps(thread)
    assert "<angle>" in posts if paragraph == ANGLE else "Vec<T>" in posts
    # no lower-cased pseudo-element reached the email
    assert not re.search(r"</?(angle|t|string)\b", email, re.I)
    # real inline HTML still passes
    if paragraph == TWIR:
        assert re.search(r"<small[^>]*>\(5 min\)</small>", email)

    # the web page, built into the archive
    out = tmp_path / "public"
    build_archive(path.parent, out, settings, parse_now("2026-06-01T00:00Z"))
    page = next(out.glob("*/index.html")).read_text()
    assert _words_in_order(_visible(page), words)
    assert not re.search(r"</?(angle|t|string)\b", page, re.I)


def test_the_warning_names_the_line_and_how_to_silence_it(tmp_path):
    path = _newsletter(tmp_path, ANGLE + "\n\n" + TWIR, "Angles")
    issue = parse_issue(path, load_settings(path.parent))
    kept = [w for w in issue.warnings if "kept as text" in w]
    assert kept[0] == (f"{path}:10: '<angle>' is not an HTML element, so it is kept as text; put it in a code "
                       "span (`<angle>`) or write \\<angle> to say so and silence this warning")
    assert [w.split(": ")[0] for w in kept] == [f"{path}:10", f"{path}:12", f"{path}:12", f"{path}:12"]
    assert any("'<K, V>'" in w for w in kept)


def test_code_spans_and_backslash_silence_it(tmp_path):
    path = _newsletter(tmp_path, "Use `Vec<T>` or \\<T> here, <b>bold</b> too.", "Quiet")
    issue = parse_issue(path, load_settings(path.parent))
    assert not [w for w in issue.warnings if "kept as text" in w]
    report = render_issue(path, tmp_path / "dist", load_settings(path.parent))
    text = (report.folder / "email.txt").read_text()
    assert "Use Vec<T> or <T> here, bold too." in " ".join(text.split())
    assert re.search(r"<b>bold</b>", (report.folder / "email.html").read_text())


def test_angle_alone_on_a_line_is_a_paragraph_of_text(tmp_path):
    path = _newsletter(tmp_path, "<angle>\n\nNext.", "Alone")
    report = render_issue(path, tmp_path / "dist", load_settings(path.parent))
    assert "&lt;angle&gt;" in (report.folder / "email.html").read_text()
    assert "<angle>" in (report.folder / "email.txt").read_text()


@pytest.mark.parametrize("tags, text", [
    (["<small>", "</small>"], {}),
    (["<br>"], {}),
    (["<T>"], {0: "not an element"}),
    (["<b>"], {0: "unbalanced"}),
    (["</i>"], {0: "unbalanced"}),
    (["<b>", "<i>", "</b>"], {1: "unbalanced"}),
    (["<svg width='9'/>"], {}),
    (["<!-- note -->"], {}),
    (["<center>", "</center>"], {}),
    (["<my-widget>", "</my-widget>"], {0: "not an element", 1: "not an element"}),
])
def test_settle(tags, text):
    assert {i: k.reason for i, k in settle(tags).items()} == text
