"""Per-platform counters: twitter-text's published conformance cases (tests/data), plus our
own cases for emoji sequences, flags, combining marks and CJK on every platform."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dispatch.counters import (
    PLATFORMS, X_V1, X_V2, X_V3, find_urls, is_emoji, linkedin_escape, linkedin_length, mastodon_length,
    threads_length, unique_links, utf8_bytes, x_valid, x_weight,
)
from dispatch.textutil import grapheme_count

DATA = Path(__file__).parent / "data" / "twitter_text_validate.yml"
CASES = yaml.safe_load(DATA.read_text(encoding="utf-8"))["tests"]


def _ids(section):
    return [c["description"][:60] for c in CASES[section]]


# --- twitter-text conformance ---------------------------------------------------------

WEIGHTED = [
    ("WeightedTweetsCounterTest", X_V2),
    ("WeightedTweetsWithDiscountedEmojiCounterTest", X_V3),
    ("UnicodeDirectionalMarkerCounterTest", X_V3),
]


@pytest.mark.parametrize(
    "case,config",
    [(c, cfg) for section, cfg in WEIGHTED for c in CASES[section]],
    ids=[f"v{cfg.version}-{c['description'][:50]}" for section, cfg in WEIGHTED for c in CASES[section]],
)
def test_twitter_text_weighted(case, config):
    expected = case["expected"]
    # the transcription is exact: the original's UTF-16 length matches the published range
    assert len(case["text"].encode("utf-16-le")) // 2 - 1 == expected["displayRangeEnd"]
    weight = x_weight(case["text"], config)
    assert weight == expected["weightedLength"]
    assert weight * 1000 // config.max_length == expected["permillage"]
    assert x_valid(case["text"], config) is expected["valid"]


@pytest.mark.parametrize("case", CASES["lengths"], ids=_ids("lengths"))
def test_twitter_text_lengths_v1(case):
    assert x_weight(case["text"], X_V1) == case["expected"]


@pytest.mark.parametrize("case", CASES["tweets"], ids=_ids("tweets"))
def test_twitter_text_tweets_v1(case):
    assert x_valid(case["text"], X_V1) is case["expected"]


@pytest.mark.parametrize("case", CASES["urls"] + CASES["urls_without_protocol"],
                         ids=_ids("urls") + _ids("urls_without_protocol"))
def test_twitter_text_url_recognition(case):
    text = case["text"]
    assert (find_urls(text) == [(0, len(text))]) is case["expected"]


def test_conformance_case_count():
    """Guards against silently dropping cases from the data file."""
    total = sum(len(CASES[s]) for s in CASES)
    assert total == 88


# --- our own cases: emoji sequences, flags, marks, CJK --------------------------------

ZWJ_TECHNOLOGIST = "\U0001F469\u200D\U0001F4BB"  # 👩‍💻: 3 code points
FLAG_NZ = "\U0001F1F3\U0001F1FF"  # 🇳🇿: two regional indicators
FLAG_SCOTLAND = "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"  # 7 code points
THUMBS_DARK = "\U0001F44D\U0001F3FE"  # 👍🏾
KEYCAP_ONE = "1\uFE0F\u20E3"  # 1️⃣
FAMILY = "\u200D".join(["\U0001F468", "\U0001F469", "\U0001F467", "\U0001F466"])


@pytest.mark.parametrize(
    "text,x,graphemes,threads,utf8",
    [
        (ZWJ_TECHNOLOGIST, 2, 1, 11, 11),
        (FLAG_NZ, 2, 1, 8, 8),
        (FLAG_SCOTLAND, 2, 1, 28, 28),
        (THUMBS_DARK, 2, 1, 8, 8),
        (KEYCAP_ONE, 2, 1, 7, 7),
        (FAMILY, 2, 1, 25, 25),
        ("e\u0301", 1, 1, 1, 3),            # combining acute: NFC é weighs 1, one grapheme
        ("\u1100\u1161\u11A8", 2, 1, 1, 9),  # conjoining jamo: NFC 각, a CJK-weight 2
        ("中文", 4, 2, 2, 6),
        ("東京。", 6, 3, 3, 9),
        ("क्षि", 4, 1, 1, 12),                # Devanagari conjunct: 4 code points, 1 grapheme
    ],
    ids=["zwj", "flag-nz", "flag-scotland", "skin-tone", "keycap", "family", "combining", "jamo",
         "cjk", "cjk-stop", "devanagari"],
)
def test_emoji_marks_cjk(text, x, graphemes, threads, utf8):
    assert x_weight(text) == x
    assert grapheme_count(text) == graphemes
    assert PLATFORMS["bluesky"].count(text) == graphemes
    assert mastodon_length(text) == graphemes
    assert threads_length(text) == threads
    assert utf8_bytes(text) == utf8


def test_tag_sequence_flag_is_one_emoji_not_seven():
    # the bug: counting code points gives 7 (and 14 weighted without emoji parsing)
    assert len(FLAG_SCOTLAND) == 7
    assert x_weight(FLAG_SCOTLAND, X_V2) == 14
    assert x_weight(FLAG_SCOTLAND) == 2
    assert grapheme_count(FLAG_SCOTLAND) == 1
    assert is_emoji(FLAG_SCOTLAND)


def test_copyright_sign_without_vs16_is_text():
    assert not is_emoji("©")
    assert x_weight("©") == 1
    assert is_emoji("\u2764\uFE0F") and x_weight("\u2764\uFE0F") == 2


def test_emoji_in_prose_x():
    text = f"Kia ora {FLAG_NZ} team {ZWJ_TECHNOLOGIST}!"
    # "Kia ora " 8 + flag 2 + " team " 6 + 2 + "!" 1
    assert x_weight(text) == 19


# --- URLs -----------------------------------------------------------------------------

def test_url_counts_23_on_x_including_bare_domains():
    long_url = "https://briefing.example.nz/" + "a" * 200
    assert x_weight(long_url) == 23
    assert x_weight("see example.com now") == 4 + 23 + 4
    assert x_weight("lib.rs") == 23  # a ccTLD
    assert x_weight("Node.js") == 7  # .js is no TLD


def test_url_trailing_punctuation_and_parentheses():
    text = "(see https://en.wikipedia.org/wiki/Foo_(bar)). Then example.com, fine."
    spans = [text[s:e] for s, e in find_urls(text)]
    assert spans == ["https://en.wikipedia.org/wiki/Foo_(bar)", "example.com"]


def test_prose_is_not_urls():
    assert find_urls("Kimi K2.6 beats GPT-4.5, e.g. on 5.50% of tasks; i.e. most.") == []
    assert find_urls("write to someone@example.com") == []


def test_mastodon_urls_and_mentions():
    text = "@alice@mastodon.social see https://example.com/" + "x" * 100
    # "@alice" 6 + " see " 5 + URL 23
    assert mastodon_length(text) == 34
    # a URL without a scheme counts in full on Mastodon
    assert mastodon_length("example.com") == 11


def test_threads_links_limit():
    five = " ".join(f"https://e{i}.example.com" for i in range(5))
    assert unique_links(five) == 5 and PLATFORMS["threads"].fits(five)
    six = five + " https://e5.example.com"
    assert not PLATFORMS["threads"].fits(six)
    assert PLATFORMS["threads"].problems(six) == ["6 links > 5"]
    # the same URL twice is one link
    assert unique_links("https://a.example.com https://a.example.com") == 1


def test_linkedin_escapes_reserved_characters():
    text = "Q&A (part 1) #ai @home_team"
    assert linkedin_escape(text) == r"Q&A \(part 1\) \#ai \@home\_team"
    assert linkedin_length(text) == len(text) + 5
    assert linkedin_length("\U0001F600") == 2  # UTF-16 units


def test_bluesky_byte_limit_binds_before_graphemes():
    text = FAMILY * 130  # 130 graphemes, 3250 bytes
    assert grapheme_count(text) == 130
    assert PLATFORMS["bluesky"].problems(text) == ["3250 bytes > 3000"]


def test_limit_override():
    text = "a" * 600
    assert not PLATFORMS["mastodon"].fits(text)
    assert PLATFORMS["mastodon"].fits(text, 5000)


def test_urls_written_against_cjk_text():
    def urls(text):
        return [text[s:e] for s, e in find_urls(text)]

    # CJK text runs straight into a URL; the URL stops at CJK characters and punctuation
    assert urls("详见https://example.com/a。下一句") == ["https://example.com/a"]
    assert urls("详见example.com。") == ["example.com"]
    assert x_weight("详见example.com。") == 4 + 23 + 2
    # an ASCII letter before the scheme makes it no URL at all
    assert urls("abchttps://example.com") == []
    assert urls("Zürich.ch ok") == ["Zürich.ch"]
