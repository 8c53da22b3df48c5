"""Thread cutting: known bugs of other tools pinned, Bluesky facets, CJK, errors, settings."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from dispatch.channels.thread import (
    Unit, bluesky_display, render_threads, sentence_pieces, short_url, split_thread, threads_json, word_pieces,
)
from dispatch.config import load_settings
from dispatch.counters import PLATFORMS, x_weight
from dispatch.errors import RenderError
from dispatch.parse import parse_issue

X = PLATFORMS["x"]
BSKY = PLATFORMS["bluesky"]
LINK = "Read it https://briefing.example.nz/p/"
LONG_URL = "https://example.com/research/2026/05/" + "moonshot-kimi-k2-6-open-source-funding-round-" * 3


def units(*texts: str, section: int = 1) -> list[Unit]:
    return [Unit(t, 10 + i, section) for i, t in enumerate(texts)]


def body(post: str) -> str:
    """A post without its i/N counter."""
    return re.sub(r" \d+/\d+$", "", post)


# --- known bugs of other tools ---------------------------------------------------------------

def test_url_counted_as_23_keeps_two_post_thread_at_two():
    # 200 characters of prose and a 150-character URL: 200 + 1 + 23 = 224 weighted, one post.
    # Counting the URL at full length (351) would push it over and make the thread 3 posts.
    text = "a" * 199 + ". " + LONG_URL
    assert len(text) > 280 and x_weight(text) == 224
    posts = split_thread(units(text), LINK, X, 280)
    assert len(posts) == 2
    assert posts[0] == text + " 1/2"
    # the same cut with len() as the counter: the bug, three posts
    naive = dataclasses.replace(X, count=len)
    assert len(split_thread(units(text), LINK, naive, 280)) == 3


def test_newlines_do_not_make_posts(tmp_path, settings):
    # a hard-wrapped source paragraph is one paragraph: its four lines share one post
    path = tmp_path / "wrapped.md"
    path.write_text(
        "---\ntitle: Wrapped\ndate: 2026-05-22\n---\n\n## Bottom Line\n\n"
        "Moonshot AI has raised\nroughly $2 billion at a\nvaluation of more than\n$20 billion.\n",
        encoding="utf-8")
    issue = parse_issue(path, settings)
    for thread in render_threads(issue, settings):
        assert [p.text.split(" https")[0] for p in thread.posts] == [
            "Moonshot AI has raised roughly $2 billion at a valuation of more than $20 billion. 1/2",
            "Wrapped"]


def test_url_never_split_across_posts():
    words = ("word " * 50).strip()  # 249 characters
    posts = split_thread(units(f"{words} {LONG_URL} {words}"), LINK, X, 280)
    assert sum(LONG_URL in p for p in posts) == 1
    assert all(x_weight(p) <= 280 for p in posts)


def test_counter_is_counted_within_the_limit():
    # exactly 280 weighted without the counter: the counter must push text to the next post
    text = " ".join(["abcdefghi"] * 28)  # 28*9 + 27 = 279
    text += "j"  # 280
    posts = split_thread(units(text), LINK, X, 280)
    assert all(x_weight(p) <= 280 for p in posts)
    assert len(posts) == 3 and posts[0].endswith(" 1/3")


def test_counter_width_change_from_9_to_10_posts_is_stable():
    # 9 sections of 276 weighted characters: each fits with " 1/9" (4) but not with " 10/19" (6)
    text = ("abcd " * 55).strip() + " e"
    assert x_weight(text) == 276
    posts = split_thread([Unit(text, 1, i) for i in range(9)], "link", X, 280)
    n = len(posts)
    assert n == 19  # the first guess (9 + link = 10) widened the counter, which cut every unit
    assert all(p.endswith(f" {i}/{n}") for i, p in enumerate(posts, 1))
    assert all(x_weight(p) <= 280 for p in posts)


def test_facets_use_utf8_bytes_not_code_points():
    text = "🇳🇿 Kia ora 👩‍💻 https://example.com/a"
    shown, facets = bluesky_display(text)
    assert shown == text
    (facet,) = facets
    start = facet["index"]["byteStart"]
    # code points before the URL: 2 + 9 + 3 + 1 = 15; UTF-8 bytes: 8 + 9 + 11 + 1 = 29
    assert text.index("https") == 15
    assert start == 29
    assert shown.encode("utf-8")[start:facet["index"]["byteEnd"]] == b"https://example.com/a"


def test_tag_sequence_flag_counts_as_two_on_x():
    scotland = "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"
    text = (scotland + " ") * 90  # 90 flags: 7 code points each
    assert x_weight(text.strip()) == 90 * 2 + 89
    assert len(split_thread(units(text.strip()), LINK, X, 280)) == 2


def test_cjk_paragraph_is_cut_at_full_stops():
    sentence = "月之暗面发布了开源模型，估值达到二百亿美元。"  # 22 characters, 44 weighted
    paragraph = sentence * 10  # 440 weighted, no spaces at all
    posts = split_thread(units(paragraph), LINK, X, 280)
    assert len(posts) == 3  # two posts of text and the link
    for post in posts[:-1]:
        assert x_weight(post) <= 280
        assert body(post).endswith("。")
    assert "".join(body(p) for p in posts[:-1]) == paragraph  # no space was added between CJK sentences


def test_cjk_without_full_stops_breaks_between_ideographs_not_inside_numbers():
    text = "增长" * 100 + "5.50%" + "增长" * 100
    posts = split_thread(units(text), LINK, X, 280)
    assert all(x_weight(p) <= 280 for p in posts)
    assert any("5.50%" in p for p in posts)
    assert "".join(body(p) for p in posts[:-1]) == text


# --- atoms --------------------------------------------------------------------------------

def test_word_pieces_keep_atoms_whole():
    text = "Up 5.50% at @moonshot_ai #OpenSource 👩‍💻 see example.com/x, 東京。大阪"
    words = [w for _, w in word_pieces(text)]
    assert "5.50%" in words and "@moonshot_ai" in words and "#OpenSource" in words
    assert "👩‍💻" in words and "example.com/x," in words
    assert words[-3:] == ["東", "京。", "大"] or words[-4:] == ["東", "京。", "大", "阪"]


def test_sentence_pieces():
    assert sentence_pieces("It rose 5.50%. Then fell. e.g. this stays") == [
        ("", "It rose 5.50%."), (" ", "Then fell. e.g. this stays")]
    assert sentence_pieces("東京。大阪！") == [("", "東京。"), ("", "大阪！")]
    assert sentence_pieces("See https://x.example.com/a. B") == [("", "See https://x.example.com/a."), (" ", "B")]


def test_word_that_cannot_fit_names_source_line(tmp_path):
    token = "Z" * 300
    path = tmp_path / "issue.md"
    path.write_text("line one\n\nline two " + token + "\n", encoding="utf-8")
    with pytest.raises(RenderError) as err:
        split_thread(units("intro " + token), LINK, X, 280, path=path)
    assert err.value.line == 3 and err.value.path == path
    assert str(err.value).startswith(f"{path}:3: ")


def test_600_character_url_on_threads_is_an_error(tmp_path):
    url = "https://example.com/" + "p" * 580
    with pytest.raises(RenderError, match="Threads post"):
        split_thread(units(url), LINK, PLATFORMS["threads"], 500, path=tmp_path / "none.md")


# --- Bluesky --------------------------------------------------------------------------------

def test_bluesky_shortens_long_urls_facet_keeps_full_uri():
    shown, facets = bluesky_display("Read " + LONG_URL + " now #AI")
    assert LONG_URL not in shown
    short = short_url(LONG_URL)
    assert short == "example.com/research/202..."
    assert shown == f"Read {short} now #AI"
    link, tag = facets
    assert link["features"][0]["uri"] == LONG_URL
    assert shown.encode()[link["index"]["byteStart"]:link["index"]["byteEnd"]].decode() == short
    assert tag["features"][0] == {"$type": "app.bsky.richtext.facet#tag", "tag": "AI"}


def test_bluesky_bare_domain_facet_gets_scheme():
    _, (facet,) = bluesky_display("at example.nz today")
    assert facet["features"][0]["uri"] == "https://example.nz"


def test_bluesky_counts_display_text():
    # 280 graphemes of text and a 150-character URL fit one Bluesky post once shortened
    text = "b" * 250 + " " + LONG_URL
    posts = split_thread(units(text), LINK, BSKY, 300, display=lambda t: bluesky_display(t)[0])
    assert len(posts) == 2


# --- whole issue ----------------------------------------------------------------------------

def test_example_threads(issue, settings):
    threads = {t.platform: t for t in render_threads(issue, settings)}
    for t in threads.values():
        assert all(p.length <= t.limit for p in t.posts)
        assert t.posts[0].text.startswith("Moonshot AI's $2B raise")
        assert t.posts[-1].text.startswith("The Moonshot Moment https://briefing.example.nz/moonshot-moment/")
    # FAQ: each question starts a post of its own
    x_texts = [p.text for p in threads["x"].posts]
    for q in ("Q: What does this mean for NZ?", "Q: What changed?", "Q: What should I do?"):
        assert sum(t.startswith(q) for t in x_texts) == 1
    numbers = [t for t in x_texts if t.startswith("📊 By the Numbers")]
    assert len(numbers) == 1 and "Funding: $2 billion · Valuation" in numbers[0]
    last = threads["bluesky"].posts[-1]
    assert last.embed["external"]["uri"] == issue.permalink
    assert last.facets[0]["features"][0]["uri"] == issue.permalink


def test_faq_posts_setting(issue, settings):
    def faq_posts(on: bool) -> list[str]:
        thread = dataclasses.replace(settings.thread, faq_posts=on, limits={"mastodon": 5000})
        (mastodon,) = [t for t in render_threads(issue, dataclasses.replace(settings, thread=thread))
                       if t.platform == "mastodon"]
        return [p.text for p in mastodon.posts if "Q: " in p.text]

    assert len(faq_posts(True)) == 3
    (joined,) = faq_posts(False)
    assert joined.count("Q: ") == 3 and "\n\nQ: What changed?" in joined


def test_limit_from_dispatch_toml(tmp_path, issue):
    (tmp_path / "dispatch.toml").write_text(
        '[thread]\nplatforms = ["mastodon", "threads", "linkedin"]\nlimits = { mastodon = 5000 }\n', encoding="utf-8")
    settings = load_settings(tmp_path)
    threads = {t.platform: t for t in render_threads(issue, settings)}
    assert threads["mastodon"].limit == 5000 and threads["threads"].limit == 500
    # with 5000 graphemes every section fits one post: hook, 3 FAQ, numbers, 6 sections, link
    assert len(threads["mastodon"].posts) < len(threads["threads"].posts)
    assert all(p.length <= 500 and p.links <= 5 for p in threads["threads"].posts)
    linkedin = threads["linkedin"].posts
    assert all(p.commentary and p.length == len(p.commentary.encode("utf-16-le")) // 2 for p in linkedin)


def test_fidelity_no_word_in_a_post_that_is_not_in_the_source(issue, settings):
    source = issue.path.read_text(encoding="utf-8")
    words = {w.lower() for w in re.findall(r"[^\W_]+", source)}
    for thread in render_threads(issue, settings):
        for post in thread.posts:
            text = body(post.text)
            for url in re.findall(r"\S*example\.nz\S*", text):
                text = text.replace(url, " ")
            extra = {w for w in re.findall(r"[^\W_]+", text.lower()) if w not in words}
            assert not extra, (thread.platform, post.text)


def test_thread_json_shape(issue, settings):
    data = json.loads(threads_json(render_threads(issue, settings), issue))
    post = data["platforms"]["bluesky"]["posts"][0]
    assert set(post) >= {"text", "length", "bytes", "links"}
    assert post["langs"] == ["en-NZ"]
    assert "langs" not in data["platforms"]["x"]["posts"][0]
    assert data["issue"]["url"] == issue.permalink


def test_mixed_content_always_fits_and_loses_nothing():
    """A deterministic sweep of mixed prose, URLs, emoji sequences, CJK and numbers: every post
    fits, every counter is right, no character is lost and the long URL is never cut."""
    import random

    url = "https://example.com/some/long/path/" + "x" * 60
    pieces = ["word", "K2.6", "5.50%", "@alice", "#OpenSource", "👩‍💻", "🇳🇿", "東京", "大阪。", "增长",
              url, "example.nz", "e.g.", "end.", "Really?", "é", "क्षि"]
    rng = random.Random(7)
    for _ in range(15):
        text = ""
        for _ in range(rng.randint(20, 150)):
            text += ("" if rng.random() < 0.2 else " ") + rng.choice(pieces)
        text = text.strip()
        for platform, display in ((X, None), (BSKY, lambda t: bluesky_display(t)[0])):
            posts = split_thread(units(text), LINK, platform, platform.limit, display=display)
            n = len(posts)
            for i, post in enumerate(posts, 1):
                assert platform.fits(display(post) if display else post)
                assert post.endswith(f" {i}/{n}")
                assert post.count("https://example.com/some") == post.count(url)  # never a cut URL
            joined = "".join(body(p) for p in posts[:-1])
            assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", text)


def test_a_long_run_of_emoji_with_no_spaces_splits_between_sequences():
    """UAX #14 gives emoji class ID: a line may break between two sequences, never inside one."""
    family = "👨\u200d👩\u200d👧\u200d👦"
    pieces = [word for _, word in word_pieces(family * 200)]
    assert pieces == [family] * 200


def test_mentions_in_posts_are_flagged(tmp_path):
    from dispatch.channels.thread import mention_warnings
    from dispatch.config import Settings

    source = tmp_path / "m.md"
    source.write_text("---\ntitle: M\ndate: 2026-01-01\n---\nThanks to @nojnhuh and me@example.org.\n", encoding="utf-8")
    issue = parse_issue(source, Settings())
    threads = render_threads(issue, Settings())
    assert mention_warnings(threads, issue) == [
        f"{source}:5: the thread mentions @nojnhuh, which notifies that account on X, Bluesky and Mastodon; "
        "write it without '@' if no mention is meant"]
