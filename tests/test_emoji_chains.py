"""Emoji ZWJ chains (issue 14): counted on X as twitter-text counts them, never split across
posts, one too long for any post the documented error at its own line; the cannot-fit error
names the line the thread took the text from; the text part and the email keep every word."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch.channels.email import render_email
from dispatch.channels.text import render_text
from dispatch.channels.thread import Unit, render_threads, split_thread, word_pieces
from dispatch.config import load_settings
from dispatch.counters import PLATFORMS, x_weight
from dispatch.errors import RenderError, SourceError
from dispatch.parse import parse_issue

WOMAN = "\U0001F469"
ZWJ = "\u200d"
CHAIN = ZWJ.join([WOMAN] * 5001)  # one grapheme cluster, no listed ZWJ sequence
FAMILY = "👩‍👩‍👧‍👦"  # a listed ZWJ sequence (family: woman, woman, girl, boy)
LINK = "Read it https://briefing.example.nz/p/"


def test_x_counts_each_emoji_of_a_chain_that_is_no_listed_sequence():
    # twitter-text: 5,001 emoji of weight 2 and 5,000 ZWJ of weight 1 (U+2000–U+200D)
    assert x_weight(CHAIN) == 5001 * 2 + 5000
    assert x_weight(WOMAN + ZWJ + WOMAN) == 5
    assert x_weight(FAMILY) == 2 and x_weight("👨‍💻") == 2 and x_weight("🏳️‍🌈") == 2
    # the longest listed sequence from the left, then what is left
    assert x_weight(FAMILY + ZWJ + WOMAN) == 2 + 1 + 2
    assert x_weight(f"a {WOMAN}{ZWJ}{WOMAN} b") == 4 + 5


def test_a_chain_is_one_word_for_the_splitter():
    chain = ZWJ.join([WOMAN] * 40)
    words = word_pieces(f"before {chain} after")
    assert [w for _, w in words] == ["before", chain, "after"]


@pytest.mark.parametrize("name", ["bluesky", "x", "mastodon"])
def test_a_chain_that_fits_is_never_split_across_posts(name):
    chain = ZWJ.join([WOMAN] * 40)  # 1 grapheme, 277 UTF-8 bytes; on X 40 × 2 + 39 = 119
    text = ("Moonshot raised money and the chain follows here " * 4 + chain + " and the text goes on after it " * 4)
    platform = PLATFORMS[name]
    posts = split_thread([Unit(text, 7, 1)], LINK, platform, platform.limit)
    holding = [p for p in posts if WOMAN in p]
    assert len(holding) == 1 and chain in holding[0]
    for post in posts:
        assert not post.startswith(ZWJ) and not re.search(ZWJ + r"(\s|$)", post)
        assert platform.fits(post)
    assert "".join(posts).count(WOMAN) == 40


def _issue(tmp_path: Path, body: str, toml: str = "") -> Path:
    (tmp_path / "dispatch.toml").write_text('base_url = "https://briefing.example.nz/"\n' + toml, encoding="utf-8")
    path = tmp_path / "issue.md"
    path.write_text("---\ntitle: Chains\ndate: 2026-05-22 07:00\n---\n\n" + body, encoding="utf-8")
    return path


CHAIN_BODY = (
    "Lead paragraph.\n\n"                                          # line 6
    "## 🔍 The Bottom Line\n\n"                                     # line 8
    "Short hook.\n\n"                                               # line 10
    "## Family\n\n"                                                 # line 12
    f"The household is {CHAIN} and nothing else.\n"               # line 14
)


@pytest.mark.parametrize("platforms", [["x"], ["bluesky"]])
def test_a_chain_too_long_for_any_post_is_an_error_at_its_line(tmp_path, platforms):
    """On X 15,002 weighted characters; on Bluesky one grapheme but 35,004 UTF-8 bytes."""
    path = _issue(tmp_path, CHAIN_BODY, f"[limits]\ngrapheme_chars = 20000\n[thread]\nplatforms = {platforms}\n")
    settings = load_settings(tmp_path)
    issue = parse_issue(path, settings)
    with pytest.raises(RenderError) as err:
        render_threads(issue, settings)
    assert err.value.line == 14 and err.value.path == path
    label = PLATFORMS[platforms[0]].label
    assert f"cannot fit in one {label} post even alone" in str(err.value)
    if platforms == ["x"]:
        assert "(15002 weighted characters" in str(err.value)


def test_mastodon_counts_the_chain_as_the_one_grapheme_it_is(tmp_path):
    """Mastodon counts graphemes and has no byte limit: the chain is one post's one character."""
    path = _issue(tmp_path, CHAIN_BODY, "[limits]\ngrapheme_chars = 20000\n[thread]\nplatforms = ['mastodon']\n")
    settings = load_settings(tmp_path)
    (thread,) = render_threads(parse_issue(path, settings), settings)
    holding = [p for p in thread.posts if WOMAN in p.text]
    assert len(holding) == 1 and CHAIN in holding[0].text and holding[0].length <= 500


def test_the_text_part_and_the_email_keep_the_whole_chain(tmp_path):
    path = _issue(tmp_path, CHAIN_BODY, "[limits]\ngrapheme_chars = 20000\n")
    settings = load_settings(tmp_path)
    issue = parse_issue(path, settings)
    text = render_text(issue, settings).text
    html = render_email(issue, settings).html
    for out in (text, html):
        assert CHAIN in out
        for word in ("Lead", "paragraph", "Short", "hook", "household", "nothing", "else"):
            assert word in out


def test_the_cli_names_the_line_in_one_line(tmp_path):
    path = _issue(tmp_path, CHAIN_BODY, "[limits]\ngrapheme_chars = 20000\n")
    proc = subprocess.run([sys.executable, "-m", "dispatch", "render", str(path), "--out", str(tmp_path / "dist")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{path}:14: '") and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "dist").exists()


def test_by_default_such_a_chain_is_refused_at_its_line(tmp_path):
    path = _issue(tmp_path, CHAIN_BODY)
    with pytest.raises(SourceError) as err:
        parse_issue(path, load_settings(tmp_path))
    assert err.value.line == 14


def test_cannot_fit_names_the_line_the_thread_took_the_text_from(tmp_path):
    token = "Z" * 300
    body = (
        f"The lead names {token} first.\n\n"   # line 6: the same text, but not what the thread posts
        "## 🔍 The Bottom Line\n\n"             # line 8
        "Short hook.\n\n"                       # line 10
        "## Details\n\n"                        # line 12
        f"Then {token} again.\n"               # line 14: the section's first paragraph, posted
    )
    path = _issue(tmp_path, body)
    settings = load_settings(tmp_path)
    with pytest.raises(RenderError) as err:
        render_threads(parse_issue(path, settings), settings)
    assert err.value.line == 14
