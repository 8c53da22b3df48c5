"""Lists as writers write them (CommonMark's rules over Python-Markdown: dispatch.mdlists)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dispatch.config import Settings
from dispatch.mdlists import normalise_lists
from dispatch.model import ListBlock, Paragraph
from dispatch.parse import parse_issue
from dispatch.render import render_issue
from dispatch.structure import import_briefing
from dispatch.textutil import plain_text

SETTINGS = Settings(base_url="https://briefing.example.nz/", timezone="Pacific/Auckland")

SOURCE = """\
---
title: Lists
date: 2026-12-01
---
Intro paragraph
- bullet right after a paragraph
- second bullet

1. Ordered
   - three-space nested
2. Two
"""


def _items(block: ListBlock) -> list[str]:
    return [plain_text(item[0].children) for item in block.items]


def test_list_after_a_paragraph_and_three_space_nesting_in_every_channel(tmp_path):
    path = tmp_path / "lists.md"
    path.write_text(SOURCE, encoding="utf-8")
    issue = parse_issue(path, SETTINGS)
    intro, bullets, ordered = issue.lead
    assert isinstance(intro, Paragraph) and plain_text(intro.children) == "Intro paragraph"
    assert isinstance(bullets, ListBlock) and not bullets.ordered
    assert _items(bullets) == ["bullet right after a paragraph", "second bullet"]
    assert isinstance(ordered, ListBlock) and ordered.ordered and _items(ordered) == ["Ordered", "Two"]
    nested = ordered.items[0][1]
    assert isinstance(nested, ListBlock) and _items(nested) == ["three-space nested"]

    report = render_issue(path, tmp_path / "dist", SETTINGS)
    text = (report.folder / "email.txt").read_text(encoding="utf-8")
    assert "Intro paragraph\n\n- bullet right after a paragraph\n- second bullet\n" in text
    assert "1. Ordered\n   - three-space nested\n2. Two\n" in text
    assert "Intro paragraph - bullet" not in text and "Ordered - three-space" not in text
    html = (report.folder / "email.html").read_text(encoding="utf-8")
    assert ">bullet right after a paragraph</li>" in html.replace("\n", "")
    assert html.count("<ul") == 2 and html.count("<ol") == 1


@pytest.mark.parametrize("source, expected", [
    # two-space nesting under '- ' (GitHub's and CommonMark's), three levels deep
    ("- a\n  - b\n    - c\n- d", ["- a", "    - b", "        - c", "- d"]),
    # a continuation paragraph indented to the item's content joins the item
    ("1. a\n\n   more of a\n2. b", ["1. a", "", "    more of a", "2. b"]),
    # '1)' is CommonMark's other ordered delimiter; bullets straight after numbers start a new list
    ("1) one\n2) two\n* star", ["1. one", "2. two", "", "* star"]),
    # only a bullet or '1.' interrupts a paragraph: '2026. was' stays text (CommonMark §5.2)
    ("The year\n2026. was long", ["The year", "2026. was long"]),
    ("- a\n  2. b", ["- a", "  2. b"]),
    # what Python-Markdown already reads as meant stays byte for byte
    ("- a\n    - b\n        - c", ["- a", "    - b", "        - c"]),
    ("para\n\n    code\n    - not an item\n- a", ["para", "", "    code", "    - not an item", "", "- a"]),
    # inside a block quote the quoted lines follow the same rules; a quote without them stays as written
    ("> Intro\n> - a\n>\n> > deep\n> > - x", ["> Intro", ">", "> - a", ">", "> > deep", "> >", "> > - x"]),
    (">  two spaces\n>- dash", [">  two spaces", ">", "> - dash"]),  # re-prefixed, spacing kept
    ("> plain\n> quote", ["> plain", "> quote"]),
    ("Title\n-", ["Title", "-"]),  # a setext heading
    ("text\n- - -", ["text", "- - -"]),  # a rule
])
def test_normalise_lists(source, expected):
    assert normalise_lists(source.split("\n")) == expected


def test_import_writes_bullets_after_numbered_points_as_their_own_list(tmp_path):
    briefing = tmp_path / "briefing.txt"
    briefing.write_text("Morning Notes\n1 December 2026\n\nHere are the points.\n1) first point\n2) second point\n"
                        "* star bullet\n• unicode bullet\n\nThat is all.\n", encoding="utf-8")
    result = import_briefing(briefing, tmp_path / "issues", SETTINGS)
    assert "\n1. first point\n2. second point\n\n- star bullet\n- unicode bullet\n" in result.markdown
    report = render_issue(result.path, tmp_path / "dist", SETTINGS)
    text = (report.folder / "email.txt").read_text(encoding="utf-8")
    assert "1. first point\n2. second point\n\n- star bullet\n- unicode bullet\n" in text
    assert "second point - star bullet" not in text
