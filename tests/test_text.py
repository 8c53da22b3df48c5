"""The plain-text part: display-width wrapping, whole URLs, lists, quotes, code, tables,
images, footnotes, rules, footer placeholders, and every source word kept."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import regex

from dispatch.channels.text import TextRenderer, render_text
from dispatch.parse import parse_issue
from dispatch.source import MARK_RE, read_source
from dispatch.textutil import width, wrap

FEATURES = Path(__file__).parent / "data" / "text_features.md"
LONG_URL = "https://example.com/a/very/long/path/that/keeps/going/and/going/until/it/is/wider/than/a/line/index.html"


@pytest.fixture(scope="module")
def features_text(settings):
    issue = parse_issue(FEATURES, settings)
    return render_text(issue, settings, unsubscribe="*|UNSUB|*", view_online="*|ARCHIVE|*").text


@pytest.fixture(scope="module")
def seed_text(issue, settings):
    return render_text(issue, settings).text


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def test_lines_within_78_columns_except_whole_urls(features_text, seed_text):
    for text in (features_text, seed_text):
        for line in lines_of(text):
            if width(line) > 78:
                assert re.fullmatch(r"(\[\d+\] )?https?://\S+", line), line


def test_long_url_kept_whole_on_its_own_line(features_text):
    assert LONG_URL in lines_of(features_text)


def test_cjk_wrapped_by_display_width(features_text):
    cjk = [l for l in lines_of(features_text) if l.startswith("| ") and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", l)]
    assert len(cjk) == 2
    assert all(width(l) <= 78 for l in cjk)
    assert width(cjk[0]) >= 76  # the line is full: 2-column characters fill 76 columns after "| "
    # textwrap counts code points and would make a 78-character line 154 columns wide
    para = cjk[0][2:] + cjk[1][2:]
    assert width(textwrap.wrap(para, 78)[0]) > 78


def test_cjk_wrap_never_breaks_before_closing_punctuation():
    lines = wrap("あいうえおかきくけこ。" * 3, 22)
    assert all(not l.startswith(("。", "、")) for l in lines)
    assert all(width(l) <= 22 for l in lines)


def test_wrap_keeps_numbers_and_emoji_whole():
    lines = wrap("增长" * 10 + "5.50%" + "增长" * 10, 20)
    assert any("5.50%" in l for l in lines)
    assert wrap("🇳🇿 " * 12, 10) == ["🇳🇿 🇳🇿 🇳🇿", "🇳🇿 🇳🇿 🇳🇿", "🇳🇿 🇳🇿 🇳🇿", "🇳🇿 🇳🇿 🇳🇿"]


def test_hanging_indents_for_lists(features_text):
    lines = lines_of(features_text)
    first = lines.index("- A first item that is long enough to wrap onto a second line so the hanging")
    assert lines[first + 1] == "  indent shows clearly"
    nested = next(i for i, l in enumerate(lines) if l.startswith("  - A nested item"))
    assert lines[nested + 1].startswith("    line of text")


def test_h3_underlined_not_upper_cased(features_text):
    # upper-casing would turn "Straße" into "STRASSE", a word the source does not have
    assert "Straße und Zeichen\n~~~~~~~~~~~~~~~~~~\n" in features_text


def test_quote_code_rule(features_text):
    lines = lines_of(features_text)
    quote = [l for l in lines if "quoted paragraph" in l or l == "> inside the quote."]
    assert quote and all(l.startswith("> ") for l in quote)
    assert '    def keep(me):   return "verbatim   spacing"' in lines
    assert "-" * 20 in lines


def test_table_aligned_by_display_width(features_text):
    lines = lines_of(features_text)
    head = lines.index("Model        Price (NZD)  Notes")
    rows = lines[head + 2: head + 4]
    assert rows == ["Kimi K2.6           1.50  開源", "DeepSeek-V4        12.00  🇳🇿 ok"]
    # the third column starts at the same display column in every row
    starts = {width(r) - width(r.rsplit("  ", 1)[1]) for r in rows}
    assert starts == {26}


def test_wide_table_falls_back_to_records(features_text):
    assert "Column one header:   a fairly long cell value" in features_text
    assert "Column four header:  and the last" in features_text


def test_links_images_footnotes(features_text):
    assert "a link to the report [1]" in features_text
    assert "[image: A chart of funding by month] [2]" in features_text
    links = features_text.split("Links\n-----\n")[1]
    assert links.startswith("[1] https://example.com/report\n[2] https://example.com/chart.png\n")
    assert "plus a footnote.¹" in features_text
    assert "Notes\n-----\n¹ Company filings, May 2026." in features_text
    assert "[^" not in features_text


ANGELS = """---
title: Angels
date: 2026-06-01 08:00
---

Moonshot raised money from [Meituan](https://meituan.com/) and several angels.[^1]

## Bottom Line

Moonshot raised from several angels.[^1] It worked for [them](https://example.org/them).

[^1]: Names of the angels were not disclosed.
"""


def test_footnote_marks_cannot_be_read_as_link_references(tmp_path, settings):
    """The text part numbers its links "[1]"; a footnote is "¹" in the prose and in the Notes
    list. A thread holds no notes list, so its posts carry no footnote mark at all."""
    from dispatch.channels.thread import render_threads

    path = tmp_path / "angels.md"
    path.write_text(ANGELS, encoding="utf-8")
    issue = parse_issue(path, settings)
    text = render_text(issue, settings).text
    assert "from Meituan [1] and several angels.¹\n" in text
    assert "\nNotes\n-----\n¹ Names of the angels were not disclosed.\n" in text
    assert "\nLinks\n-----\n[1] https://meituan.com/\n[2] https://example.org/them\n" in text
    assert "[^" not in text and "angels.[" not in text
    threads = render_threads(issue, settings)
    posts = [p.text for t in threads for p in t.posts]
    assert any("Moonshot raised from several angels. It worked for them." in p for p in posts), posts
    assert not any("¹" in p or "[1]" in p or "[^" in p for p in posts), posts


def test_footer_placeholders(features_text, seed_text, issue):
    assert features_text.endswith(
        "-- \nThe Aotearoa AI Briefing · The Briefing desk\nThe Briefing desk, PO Box 1234, Wellington 6140, New Zealand\n"
        "View online: *|ARCHIVE|*\nUnsubscribe: *|UNSUB|*\n")
    assert features_text.startswith("The Aotearoa AI Briefing · 22 May 2026\nView online: *|ARCHIVE|*\n")
    # no platform unsubscribe: the line is left out; view online defaults to the permalink
    assert "Unsubscribe" not in seed_text
    assert seed_text.endswith(f"View online: {issue.permalink}\n")


#: A word: a run of letters and digits, or a single CJK character (CJK lines wrap anywhere).
WORD = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]|[^\W_\p{Han}\p{Hiragana}\p{Katakana}]+")


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


def _source_words(path: Path) -> set[str]:
    body = MARK_RE.sub("", read_source(path).body)
    body = re.sub(r"\]\([^)]*\)", "] ", body)  # link targets are in the link list, not the prose
    body = re.sub(r"^\s*[-*]|^\s*\d+\.|^#+|^\|?[-:| ]+\|$|^```\w*|\[\^\w+\]:?", " ", body, flags=re.M)
    return _words(body)


@pytest.mark.parametrize("which", ["seed", "features"])
def test_every_source_word_is_in_the_text_part(which, seed_text, features_text, issue):
    path, text = (issue.path, seed_text) if which == "seed" else (FEATURES, features_text)
    missing = _source_words(path) - _words(text)
    assert not missing


def test_table_renderer_direct():
    t = TextRenderer(columns=30)
    out = t.table(["Item", "Qty"], [["りんご", "3"], ["pear", "12"]], ["left", "right"])
    assert out.split("\n") == ["Item    Qty", "------  ---", "りんご    3", "pear     12"]


def test_numbers_table_keeps_notes_and_links(tmp_path, settings):
    path = tmp_path / "n.md"
    path.write_text(
        "---\ntitle: Numbers\ndate: 2026-05-22\n---\n## By the Numbers\n\n| Metric | Value | Note |\n|---|---|---|\n"
        "| Funding | [$2 billion](https://example.com/funding) | led by Meituan |\n| Staff | 300 | estimate |\n",
        encoding="utf-8")
    text = render_text(parse_issue(path, settings), settings).text
    assert "Funding  $2 billion [1]  led by Meituan\nStaff               300  estimate\n" in text
    assert "[1] https://example.com/funding" in text


def test_merge_tags_are_never_wrapped_inside():
    from dispatch.textutil import wrap

    lines = wrap("x" * 60 + " hello {{ Subscriber.FirstName }} and %%{unsubscribe_url}%% too", 78)
    assert lines[1].startswith("{{ Subscriber.FirstName }}")
    assert all(width(line) <= 78 for line in lines)
