"""Real newsletters (../shared/corpus) cut into threads for every platform: every post within
its platform's limits, counters right, the link last, and no word that is not in the source."""

from __future__ import annotations

import dataclasses
import re

import pytest

from dispatch.channels.thread import render_threads
from dispatch.config import Settings
from dispatch.counters import PLATFORMS, find_urls
from dispatch.parse import parse_issue

from conftest import corpus_files

FILES = corpus_files()
WORD = re.compile(r"[^\W_]+")


def _without_urls(text: str) -> str:
    for start, end in reversed(find_urls(text)):
        text = text[:start] + " " + text[end:]
    return text


@pytest.mark.skipif(not FILES, reason="../shared/corpus not found beside this checkout")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_threads_within_limits(path):
    settings = Settings(thread=dataclasses.replace(Settings().thread, platforms=tuple(PLATFORMS)))
    issue = parse_issue(path, settings)
    source_words = {w.lower() for w in WORD.findall(path.read_text(encoding="utf-8"))}
    for thread in render_threads(issue, settings):
        platform = PLATFORMS[thread.platform]
        n = len(thread.posts)
        assert n >= 2
        for i, post in enumerate(thread.posts, 1):
            assert platform.fits(post.text, thread.limit), (thread.platform, i, platform.problems(post.text))
            assert post.length == platform.count(post.text) <= thread.limit
            assert post.text.endswith(f" {i}/{n}")
            body = _without_urls(post.text.removesuffix(f" {i}/{n}"))
            extra = {w for w in WORD.findall(body.lower()) if w not in source_words}
            assert not extra, (thread.platform, i, post.text)
        last = thread.posts[-1]
        assert issue.permalink in last.text or last.facets[-1]["features"][0]["uri"] == issue.permalink


def test_corpus_present_or_skipped_with_reason():
    if not FILES:
        pytest.skip("../shared/corpus not found beside this checkout")
    assert len(FILES) >= 1
