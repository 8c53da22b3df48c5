"""Real newsletters (../shared/corpus) as plain text: no line wider than 78 display columns
unless it holds a single word too long to break (a URL) or verbatim code."""

from __future__ import annotations

import re

import pytest

from dispatch.channels.text import render_text
from dispatch.config import Settings
from dispatch.parse import parse_issue
from dispatch.textutil import width

from conftest import corpus_files

FILES = corpus_files()
#: an over-long line is allowed when, after its prefix (list marker, link number, quote), it
#: is one unbreakable word
ONE_WORD = re.compile(r"(?:> )*(?:- |\d+\. |\[\d+\] |\s+)*\S+")


@pytest.mark.skipif(not FILES, reason="../shared/corpus not found beside this checkout")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_text_within_78_columns(path):
    settings = Settings()
    issue = parse_issue(path, settings)
    text = render_text(issue, settings).text
    wide = [line for line in text.split("\n") if width(line) > 78 and not line.startswith("    ")]
    assert all(ONE_WORD.fullmatch(line) for line in wide), wide
    assert text.endswith(f"View online: {issue.permalink}\n")
