"""Real newsletters (../shared/corpus): every file renders, and every word its author wrote
appears in the email and in the plain-text part."""

from __future__ import annotations

import html as htmllib
import re

import lxml.html
import pytest

from dispatch.config import Settings
from dispatch.render import OUTPUTS, render_issue
from dispatch.source import MARK_RE, read_source

from conftest import corpus_files

FILES = corpus_files()
WORD = re.compile(r"[^\W_]+")


def source_words(path) -> set[str]:
    """The words a reader should see: Markdown syntax, link targets, reference labels, HTML
    tags and comments removed; alt text kept."""
    body = MARK_RE.sub("", read_source(path).body)
    body = re.sub(r"[`*]", "", body)  # code and emphasis markers join what they touch ("`fn`s")
    body = re.sub(r"<!--.*?-->", " ", body, flags=re.S)
    body = re.sub(r"^\s*\d+[.)]\s", " ", body, flags=re.M)  # ordered-list markers (rendered by <ol>)
    body = re.sub(r"^ {0,3}\[[^\]]+\]:\s*\S+.*$", " ", body, flags=re.M)  # reference definitions
    body = re.sub(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)", "] ", body)  # inline link targets
    body = re.sub(r"\]\[[^\]]*\]", "] ", body)  # reference labels
    body = re.sub(r"<img\b[^>]*\balt=\"([^\"]*)\"[^>]*>", r" \1 ", body)
    body = re.sub(r"<(https?://[^>]+)>", r" \1 ", body)
    body = re.sub(r"<(mailto:)?([^>@\s]+@[^>\s]+)>", r" \2 ", body)
    body = re.sub(r"</?[A-Za-z][^>]*>", " ", body)
    body = htmllib.unescape(body)
    return {w.lower() for w in WORD.findall(body)}


def output_words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


def email_words(html: str) -> set[str]:
    doc = lxml.html.fromstring(html.encode("utf-8"))
    for style in doc.xpath("//style"):
        style.drop_tree()
    alts = " ".join(doc.xpath("//img/@alt"))
    return output_words(" ".join(doc.itertext()) + " " + alts)


@pytest.mark.skipif(not FILES, reason="../shared/corpus not found beside this checkout")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_renders_with_every_word(tmp_path, path):
    report = render_issue(path, tmp_path, Settings(base_url="https://archive.example.org/"))
    assert sorted(p.name for p in report.folder.iterdir()) == sorted([*OUTPUTS, ".dispatch-output"])
    words = source_words(path)
    assert len(words) > 100
    missing_text = words - output_words((report.folder / "email.txt").read_text(encoding="utf-8"))
    assert not missing_text, sorted(missing_text)[:20]
    missing_email = words - email_words((report.folder / "email.html").read_text(encoding="utf-8"))
    assert not missing_email, sorted(missing_email)[:20]
