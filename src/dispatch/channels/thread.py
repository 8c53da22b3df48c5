"""The thread channel: Issue → a social thread per platform.

Post 1 is the hook (the Bottom Line, else the summary). Then each section's thread text,
from the layout's ``thread/<kind>.txt`` (falling back to ``thread/section.txt``; an empty
result leaves the section out). In that text a blank line separates paragraphs and a line
``+++`` forces a new post. The last post links to the issue's web page.

Splitting prefers, in order: a section break, a paragraph break, a sentence end
(including CJK 。！？ with no space), a space. It never cuts inside a word, URL, mention,
hashtag, number or emoji sequence; CJK text with no spaces may break between ideographs.
Every post carries an ``i/N`` counter that is counted within the limit; packing repeats
until N is stable (9 → 10 posts widens the counter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import regex

from ..config import Settings
from ..counters import PLATFORMS, Platform, find_urls, utf8_bytes
from ..errors import RenderError
from ..layout import environment, render, section_templates
from ..model import Issue
from ..textutil import graphemes, plain_text, sentences

__all__ = ["PLATFORMS", "Post", "Thread", "render_threads", "split_thread"]

_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")


@dataclass(frozen=True)
class Post:
    """One post: ``text`` (counter included), ``length`` in the platform's unit, ``bytes``
    (UTF-8), and for Bluesky the rich-text ``facets`` (UTF-8 byte offsets)."""

    text: str
    length: int
    bytes: int
    facets: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Thread:
    """A platform's thread: ``platform``, ``limit`` (in ``unit``), ``posts``, and ``embed``
    (Bluesky's external link card for the last post, else ``None``)."""

    platform: str
    label: str
    limit: int
    unit: str
    posts: tuple[Post, ...]
    embed: dict | None = None


@dataclass
class _Unit:
    text: str
    line: int
    section: int
    hard_break: bool = False


@dataclass
class _Pending:
    parts: list[str] = field(default_factory=list)
    section: int = -1


def thread_units(issue: Issue, settings: Settings) -> list[_Unit]:
    """The paragraphs a thread is cut from, with their source lines, in order."""
    env = environment(settings.root, settings.layout)
    units: list[_Unit] = []
    hook_section = issue.component("bottom_line")
    hook = issue.bottom_line or issue.summary or issue.meta.title
    units.append(_Unit(hook, hook_section.line if hook_section else 1, 0))
    for number, section in enumerate(issue.sections, 1):
        if section.kind == "bottom_line":
            continue
        text = render(
            env,
            section_templates("thread", section.kind, "txt"),
            section=section,
            data=section.data,
            issue=issue,
            settings=settings,
            thread=settings.thread,
            plain=plain_text,
        )
        hard = True
        for line in text.split("\n"):
            line = " ".join(line.split())
            if line == "+++":
                hard = True
            elif line:
                units.append(_Unit(line, section.line, number, hard_break=hard))
                hard = False
    return units


def render_threads(issue: Issue, settings: Settings) -> list[Thread]:
    """Cut ``issue`` into a thread for each platform in ``settings.thread.platforms``.

    Raises:
        RenderError: a word or URL cannot fit in one post even alone (naming its source line).
    """
    units = thread_units(issue, settings)
    link = f"Read the full briefing: {issue.permalink}"
    threads = []
    for name in settings.thread.platforms:
        platform = PLATFORMS[name]
        limit = settings.thread.limits.get(name, platform.limit)
        posts = split_thread(units, link, platform, limit, counter=settings.thread.counter, path=str(issue.path))
        embed = None
        if name == "bluesky":
            embed = {
                "$type": "app.bsky.embed.external",
                "external": {"uri": issue.permalink, "title": issue.meta.title, "description": issue.summary[:300]},
            }
        threads.append(Thread(name, platform.label, limit, platform.unit, tuple(posts), embed))
    return threads


def split_thread(units: list[_Unit], link: str, platform: Platform, limit: int, *, counter: bool = True,
                 path: str = "") -> list[Post]:
    """Pack ``units`` into posts within ``limit``, then append the ``link`` post.

    Raises:
        RenderError: a single token does not fit in a post.
    """
    n_guess = 1
    for _ in range(8):
        texts = _pack(units, link, platform, limit, _suffix_len(n_guess, counter), path)
        if len(texts) == n_guess or not counter:
            break
        n_guess = len(texts)
    else:  # pragma: no cover - widths converge in two or three rounds
        raise RenderError("thread splitting did not converge")
    total = len(texts)
    posts = []
    for i, body in enumerate(texts, 1):
        text = f"{body} {i}/{total}" if counter else body
        if not platform.fits(text, limit):  # pragma: no cover - guarded by _pack
            raise RenderError(f"post {i} for {platform.label} is over its limit")
        posts.append(Post(text, platform.count(text), utf8_bytes(text), _facets(text) if platform.name == "bluesky" else ()))
    return posts


def _suffix_len(n: int, counter: bool) -> str:
    return f" {n}/{n}" if counter else ""


def _pack(units: list[_Unit], link: str, platform: Platform, limit: int, suffix: str, path: str) -> list[str]:
    posts: list[str] = []
    current = ""
    current_section = -1

    def fits(text: str) -> bool:
        return platform.fits(text + suffix, limit)

    def flush() -> None:
        nonlocal current
        if current:
            posts.append(current)
        current = ""

    for unit in units:
        if unit.section != current_section or unit.hard_break:
            flush()
            current_section = unit.section
        candidate = f"{current} {unit.text}".strip() if current else unit.text
        if fits(candidate):
            current = candidate
            continue
        flush()
        if fits(unit.text):
            current = unit.text
            continue
        for piece in _pieces(unit, platform, limit, suffix, path):
            candidate = f"{current} {piece}".strip() if current else piece
            if fits(candidate):
                current = candidate
            else:
                flush()
                current = piece
    flush()
    posts.append(link)
    return posts


def _pieces(unit: _Unit, platform: Platform, limit: int, suffix: str, path: str) -> list[str]:
    """Split a unit that does not fit into sentence-sized, then word-sized pieces."""
    out: list[str] = []
    for sentence in sentences(unit.text):
        if platform.fits(sentence + suffix, limit):
            out.append(sentence)
            continue
        out.extend(_words(sentence, unit, platform, limit, suffix, path))
    return out


def _words(sentence: str, unit: _Unit, platform: Platform, limit: int, suffix: str, path: str) -> list[str]:
    words: list[str] = []
    for token in sentence.split():
        if platform.fits(token + suffix, limit):
            words.append(token)
            continue
        if _CJK.search(token) and not find_urls(token):
            words.extend(_cjk_runs(token, platform, limit, suffix))
            continue
        where = f"{path}:{unit.line}: " if path else ""
        raise RenderError(
            f"{where}'{token[:60]}…' cannot fit in one {platform.label} post ({platform.limit} {platform.unit}); "
            "shorten it or link it with text"
        )
    return words


def _cjk_runs(token: str, platform: Platform, limit: int, suffix: str) -> list[str]:
    runs: list[str] = []
    current = ""
    for g in graphemes(token):
        if platform.fits(current + g + suffix, limit):
            current += g
        else:
            runs.append(current)
            current = g
    if current:
        runs.append(current)
    return runs


def _facets(text: str) -> tuple[dict, ...]:
    """Bluesky link facets for every URL in ``text``, with UTF-8 byte offsets."""
    facets = []
    for start, end in find_urls(text):
        uri = text[start:end]
        if not uri.startswith(("http://", "https://")):
            uri = "https://" + uri
        byte_start = utf8_bytes(text[:start])
        facets.append({
            "index": {"byteStart": byte_start, "byteEnd": byte_start + utf8_bytes(text[start:end])},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
        })
    return tuple(facets)


def threads_json(threads: list[Thread], issue: Issue) -> str:
    """``thread.json``: every platform's posts with their counts, facets and embed."""
    import json

    data = {
        "issue": {"id": issue.meta.id, "title": issue.meta.title, "url": issue.permalink},
        "platforms": {
            t.platform: {
                "label": t.label,
                "limit": t.limit,
                "unit": t.unit,
                "posts": [
                    {"text": p.text, "length": p.length, "bytes": p.bytes, **({"facets": list(p.facets)} if p.facets else {})}
                    for p in t.posts
                ],
                **({"embed": t.embed} if t.embed else {}),
            }
            for t in threads
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def threads_text(threads: list[Thread]) -> str:
    """``thread.txt``: each platform's posts with their counts against the limit, for a
    person to read before posting."""
    out: list[str] = []
    for t in threads:
        title = f"{t.label}: {len(t.posts)} posts, limit {t.limit} {t.unit}"
        out += [title, "=" * len(title), ""]
        for i, post in enumerate(t.posts, 1):
            out.append(f"[{i}/{len(t.posts)}] {post.length}/{t.limit} {t.unit}, {post.bytes} bytes")
            out.append(post.text)
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
