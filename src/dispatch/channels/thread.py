"""The thread channel: Issue → a social thread per platform (``thread.json``, ``thread.txt``).

What goes in: post 1 is the hook (the Bottom Line, else the summary); then each section's
thread text from the layout's ``thread/<kind>.txt`` (falling back to ``thread/section.txt``;
an empty result leaves the section out). In that text each line is a paragraph, a line
starting ``• `` is a list item, and a line ``+++`` forces a new post (FAQ questions use it
when ``[thread] faq_posts`` is true). The last post is the issue's title and permalink.

How it is cut, for each platform with that platform's own counter (:mod:`dispatch.counters`):
a new section starts a new post; paragraphs of a section share a post while they fit; a
paragraph that does not fit alone is cut at sentence ends (``. ! ? …`` then a space, or CJK
``。！？`` with no space) and at `` · `` separators, then between words. A *word* here is never
cut: URLs, mentions, hashtags, numbers such as ``5.50%`` and emoji sequences are atoms, and
CJK text may break between ideographs but never before closing punctuation. Every post
carries an ``i/N`` counter that is counted within the limit; packing repeats until N is
stable (9 → 10 posts widens the counter). A post never ends on a colon lead-in (a unit
ending in ``:`` introduces the next one: they share a post, or the lead-in takes the start of
what it introduces along; :func:`leads_in`), and a lead-in that introduces nothing is cut
from its section's text. A word that cannot fit in a post even alone is a
:class:`~dispatch.errors.RenderError` naming its source line.

Bluesky posts shorten long URLs for display (``host/path...``, as the Bluesky app does) and
carry rich-text *facets* with UTF-8 byte offsets and the full URI, and the last post carries
the data for an external link card (``app.bsky.embed.external``). LinkedIn posts carry
their ``commentary``, the text with the little-format reserved characters escaped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import regex

from ..config import Settings
from ..counters import PLATFORMS, Platform, Tally, find_urls, linkedin_escape, unique_links, utf8_bytes
from ..errors import RenderError
from ..layout import environment, render, section_templates
from ..memo import LRU
from ..model import Issue
from ..textutil import grapheme_end, graphemes, plain_text

__all__ = ["PLATFORMS", "Post", "Thread", "Unit", "render_threads", "split_thread", "thread_units",
           "bluesky_display", "threads_json", "threads_text"]

#: A list item line in thread templates.
BULLET = "• "


@dataclass(frozen=True)
class Post:
    """One post as it will be published.

    Attributes:
        text: the post's text, counter included (Bluesky: with URLs shortened for display).
        length: ``text`` measured by the platform's counter, in its unit.
        bytes: ``text`` in UTF-8 bytes.
        links: distinct URLs in the post.
        facets: Bluesky rich-text facets (``index.byteStart``/``byteEnd`` in UTF-8 bytes of
            ``text``; ``features[0].uri`` the full URL), else empty.
        embed: Bluesky's ``app.bsky.embed.external`` link card (last post only), else ``None``.
        commentary: LinkedIn's escaped text as sent to its API, else ``""``.
    """

    text: str
    length: int
    bytes: int
    links: int = 0
    facets: tuple[dict, ...] = ()
    embed: dict | None = None
    commentary: str = ""


@dataclass(frozen=True)
class Thread:
    """A platform's thread: ``platform`` (name), ``label``, ``limit`` (in ``unit``, after
    ``[thread] limits``), ``unit`` and ``posts``."""

    platform: str
    label: str
    limit: int
    unit: str
    posts: tuple[Post, ...]


@dataclass(frozen=True)
class Unit:
    """A paragraph (or list item) a thread is cut from.

    Attributes:
        text: plain text, one line.
        line: 1-based source line it comes from (the section heading's when no better).
        section: index of its section (0 for the hook); a new section starts a new post.
        hard_break: start a new post here even within a section.
        item: a list item (joined to its neighbours with one newline, not a blank line).
        end_line: the last source line of its section (0: the end of the file), so an error
            names the line of the section the text was taken from.
    """

    text: str
    line: int
    section: int
    hard_break: bool = False
    item: bool = False
    end_line: int = 0


# --- what goes in -------------------------------------------------------------------------

def thread_units(issue: Issue, settings: Settings) -> list[Unit]:
    """The hook, then every section's thread text as units, in order."""
    env = environment(settings.root, settings.layout)
    hook_section = issue.component("bottom_line")
    hook = issue.bottom_line or issue.summary or issue.meta.title
    ends = {id(s): (n.line - 1) for s, n in zip(issue.sections, issue.sections[1:])}
    units = [Unit(hook, hook_section.line if hook_section else 1, 0,
                  end_line=ends.get(id(hook_section), 0) if hook_section else 0)]
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
        for raw in text.split("\n"):
            line = " ".join(raw.split())
            if line == "+++":
                hard = True
            elif line:
                units.append(Unit(line, section.line, number, hard_break=hard, item=line.startswith(BULLET),
                                  end_line=ends.get(id(section), 0)))
                hard = False
    return _drop_dangling_lead_ins(units)


# --- cutting --------------------------------------------------------------------------------

#: Characters that end a lead-in: a paragraph or item introducing what follows it.
LEAD_IN_ENDS = (":", "：")


def leads_in(unit: Unit, nxt: Unit) -> bool:
    """Whether ``unit`` introduces ``nxt`` (it ends with a colon, ``:`` or the fullwidth
    ``：``, and ``nxt`` follows it in the same section without a forced break), so a post
    never ends on it (:func:`_pack`)."""
    return unit.text.endswith(LEAD_IN_ENDS) and nxt.section == unit.section and not nxt.hard_break


def _drop_dangling_lead_ins(units: list[Unit]) -> list[Unit]:
    """Cut a lead-in that introduces nothing: a section's last unit ending with a colon loses
    its last sentence (the lead-in), or goes when that is all it holds (a section with
    nothing left is left out of the thread)."""
    out: list[Unit] = []
    for n, unit in enumerate(units):
        last = n + 1 == len(units) or units[n + 1].section != unit.section or units[n + 1].hard_break
        while last and unit is not None and unit.section and unit.text.endswith(LEAD_IN_ENDS):
            pieces = sentence_pieces(unit.text)
            if len(pieces) < 2:
                unit = None
                break
            kept = "".join(sep + piece for sep, piece in pieces[:-1])
            unit = Unit(kept, unit.line, unit.section, unit.hard_break, unit.item, unit.end_line)
        if unit is not None:
            out.append(unit)
        elif out and out[-1].section == units[n].section and not units[n].hard_break:
            # the unit before it may now be the section's last, and a lead-in itself
            out.extend(_drop_dangling_lead_ins([out.pop()]))
    return out

_SENTENCE_BREAK = regex.compile(
    r"(?<=[.!?…][\"'”’)\]]*)\s+(?=[^\p{Ll}\s])"    # ". " before anything but a lower-case letter
    r"|(?<=[。！？][」』”’）)]*)(?=\S)"            # CJK full stops, no space needed
    r"|\s+(?=·\s)"                                 # before " · " separators (Numbers)
)
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\u3000-\u303F\uFF00-\uFFEF]")
_NO_BREAK_BEFORE = set("、。，．！？：；）」』】〉》〕”’・ー々ぁぃぅぇぉっゃゅょァィゥェォッャュョ)]}!?,.:;%")
_NO_BREAK_AFTER = set("（「『【〈《〔“‘([{$")
_WORDISH = regex.compile(
    r"[^\s\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\u3000-\u303F\uFF00-\uFFEF\p{Extended_Pictographic}\p{Regional_Indicator}]+")


#: A code point that belongs to the grapheme cluster before it (UAX #29 GB9, GB9a): no
#: sentence break before one.
_JOINS_BEFORE = regex.compile(r"[\p{GCB=Extend}\p{GCB=ZWJ}\p{GCB=SpacingMark}]")


def sentence_pieces(text: str) -> list[tuple[str, str]]:
    """Cut ``text`` at sentence ends and `` · `` separators: ``(separator, piece)`` pairs,
    the separator being the whitespace that stood before the piece (``""`` after a CJK full
    stop). URLs are never cut (a sentence end inside one is ignored)."""
    urls = find_urls(text)
    out: list[tuple[str, str]] = []
    pos, sep = 0, ""
    for m in _SENTENCE_BREAK.finditer(text):
        if any(s < m.start() < e for s, e in urls) or m.start() == 0 or _JOINS_BEFORE.match(text, m.end()):
            continue
        out.append((sep, text[pos:m.start()]))
        sep, pos = (" " if m.group(0) else ""), m.end()
    out.append((sep, text[pos:]))
    return [(s, p) for s, p in out if p]


_EMOJI_START = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}")


def _ideographic(cluster: str) -> bool:
    """Whether a line may break next to ``cluster`` with no space: CJK ideographs and kana
    (UAX #14 class ID) and emoji sequences (UAX #14 LB30b: also class ID)."""
    return bool(_CJK.match(cluster) or _EMOJI_START.match(cluster))


def word_pieces(text: str) -> list[tuple[str, str]]:
    """Cut ``text`` into unbreakable words: ``(separator, word)`` pairs.

    Words are separated by spaces; within a run with no spaces, a break is allowed only next
    to a CJK character or between emoji sequences (UAX #14 lets class ID break), never before closing punctuation or
    after opening punctuation. URLs, mentions, hashtags, numbers (``5.50%``) and emoji
    sequences (grapheme clusters) are atoms and never cut.
    """
    atoms: list[tuple[bool, str]] = []  # (space before, atom)
    urls = find_urls(text)
    pos, space = 0, False
    while pos < len(text):
        ch = text[pos]
        if ch.isspace():
            space = True
            pos += 1
            continue
        url = next(((s, e) for s, e in urls if s == pos), None)
        if url:
            end = url[1]
        else:
            m = _WORDISH.match(text, pos)
            if m and not _ideographic(ch):
                end = m.end()
                # a URL that starts inside the run (after "(", say) is an atom of its own
                inner = next((s for s, e in urls if pos < s < end), end)
                end = min(end, inner)
            else:  # one grapheme cluster, however long (never cut: no dangling ZWJ)
                end = grapheme_end(text, pos)
        atoms.append((space, text[pos:end]))
        space = False
        pos = end
    words: list[tuple[str, str]] = []
    for space_before, atom in atoms:
        if not words:
            words.append(("", atom))
            continue
        prev = words[-1][1]
        breakable = space_before or (
            (_ideographic(atom) or _ideographic(graphemes(prev)[-1]))
            and atom[0] not in _NO_BREAK_BEFORE and prev[-1] not in _NO_BREAK_AFTER
        )
        if breakable:
            words.append((" " if space_before else "", atom))
        else:
            words[-1] = (words[-1][0], prev + atom)
    return words


#: The pieces of a text, computed once for every platform and every packing round (and kept
#: across the re-renders of ``watch``/``preview``).
_sentences = lru_cache(maxsize=4096)(lambda text: tuple(sentence_pieces(text)))
_words = lru_cache(maxsize=16384)(lambda text: tuple(word_pieces(text)))
#: Tallies of the texts tried as posts, per (platform, display): every packing round and
#: every re-render of ``watch``/``preview`` measures a piece once. Emptied past this size.
_TALLIES: dict[tuple[Platform, Callable[[str], str] | None], dict[str, Tally]] = {}
_TALLIES_MAX = 100_000


def split_thread(units: list[Unit], link: str, platform: Platform, limit: int, *, counter: bool = True,
                 path: str | Path = "", display: Callable[[str], str] | None = None) -> list[str]:
    """Pack ``units`` into post texts within ``limit``, then the ``link`` post; each text gets
    its ``i/N`` counter when ``counter`` is true.

    Each post is measured incrementally (:class:`_Meter`): a piece added to a post is
    measured once, with at most the post's last word before it, so the work is linear in
    the thread's length.

    Args:
        units: what to post, in order (:func:`thread_units`).
        link: the last post's text.
        platform: whose counter and extra limits (bytes, links) apply.
        limit: the length limit in the platform's unit.
        path: the issue file, for error messages.
        display: how a text will be shown (Bluesky shortens URLs); measured instead of the text.
            It must keep :meth:`~dispatch.counters.Platform.tally`'s additivity (change
            nothing across a space or line feed).

    Returns:
        The post texts as written (before ``display``).

    Raises:
        RenderError: a word does not fit in a post even alone (naming its source line).
    """
    cache = _TALLIES.setdefault((platform, display), {})
    if len(cache) > _TALLIES_MAX:
        cache.clear()

    def measure(text: str) -> Tally:
        found = cache.get(text)
        if found is None:
            found = cache[text] = platform.tally(display(text) if display else text)
        return found

    n = 1
    for _ in range(12):
        reserve = measure(f" {n}/{n}") if counter else Tally()
        bodies = _pack(units, link, _Meter(measure, lambda t: platform.within(t + reserve, limit)),
                       platform, limit, path, key=(platform, display, limit, reserve))
        if not counter or len(bodies) <= n:
            break
        n = len(bodies)
    else:  # pragma: no cover - the count only grows, and converges in two or three rounds
        raise RenderError("thread splitting did not converge", path or None)
    total = len(bodies)
    return [f"{body} {i}/{total}" if counter else body for i, body in enumerate(bodies, 1)]


class _Meter:
    """The post being packed, measured incrementally.

    The post's text is kept as ``head`` (measured, a :class:`~dispatch.counters.Tally`)
    and ``tail``, the text from its last space or line feed on. Adding ``sep + piece``
    re-measures only ``tail + sep + piece``, split at its own last space or line feed;
    :meth:`~dispatch.counters.Platform.tally` adds up across those splits exactly, so every
    decision is the one measuring the whole post would give.
    """

    __slots__ = ("measure", "ok", "text", "head", "tail")

    def __init__(self, measure: Callable[[str], Tally], ok: Callable[[Tally], bool]):
        self.measure = measure
        self.ok = ok
        self.text = ""
        self.head = Tally()
        self.tail = ""

    def add(self, sep: str, piece: str) -> bool:
        """Append ``sep + piece`` (just ``piece`` to an empty post) if the post still fits;
        return whether it did."""
        if self.text:
            grown = self.tail + sep + piece
        else:
            sep, grown = "", piece
        cut = max(grown.rfind(" "), grown.rfind("\n"))
        if cut > 0:
            before, after = self.measure(grown[:cut]), self.measure(grown[cut:])
            head = self.head + before
        else:
            cut, head, after = 0, self.head, self.measure(grown)
        if not self.ok(head + after):
            return False
        self.text += sep + piece
        self.head, self.tail = head, grown[cut:]
        return True

    def state(self) -> tuple[str, Tally, str]:
        """The post so far, for :meth:`restore`."""
        return self.text, self.head, self.tail

    def restore(self, state: tuple[str, Tally, str]) -> None:
        """Go back to a :meth:`state` (undo what was added since)."""
        self.text, self.head, self.tail = state

    def take(self) -> str:
        """The post's text; the meter starts a new, empty post."""
        text = self.text
        self.text, self.head, self.tail = "", Tally(), ""
        return text


#: Each section's posts, by the section's texts and how posts are measured (``_pack``'s
#: ``key``): a section starts a new post (and a lead-in glues only within its section), so
#: the others' posts do not change when one is edited.
_RUNS = LRU(1024, "thread: sections packed")


def _pack(units: list[Unit], link: str, meter: _Meter, platform: Platform, limit: int,
          path: str | Path, key: tuple | None = None) -> list[str]:
    """The post texts of ``units`` (one section's run of units after another,
    :func:`_pack_run`) and the ``link`` post. With ``key`` (everything measuring depends on),
    each run's posts are kept by ``key`` and the run's texts."""
    posts: list[str] = []
    start = 0
    for end in range(1, len(units) + 1):
        if end < len(units) and units[end].section == units[start].section:
            continue
        run = units[start:end]
        if key is None:
            posts += _pack_run(run, meter, platform, limit, path)
        else:
            texts = tuple((u.text, u.item, u.hard_break) for u in run)
            posts += _RUNS.compute((key, texts), lambda: tuple(_pack_run(run, meter, platform, limit, path)))
        start = end
    if not meter.add("", link):
        raise _too_long(link, units[0] if units else Unit(link, 1, 0), platform, limit, path)
    posts.append(meter.take())
    return posts


def _pack_run(units: list[Unit], meter: _Meter, platform: Platform, limit: int, path: str | Path) -> list[str]:
    """Pack one section's ``units`` into post texts (without counters); the meter starts and
    ends empty.

    A unit that leads in to the next one (:func:`leads_in`: it ends with a colon, and the
    next unit follows in the same post-run) never ends a post: the pair goes in the current
    post when both fit, else both start the next post; when they do not fit together in one
    post, what the lead-in introduces is cut after it (its first sentence, else its first
    words) so the post holding the colon goes on past it."""
    posts: list[str] = []
    section = -1

    def flush() -> None:
        text = meter.take()
        if text:
            posts.append(text)

    def words(sentence: str, unit: Unit, first_sep: str | None = None) -> None:
        for n, (wsep, word) in enumerate(_words(sentence)):
            if meter.add(first_sep if n == 0 and first_sep is not None else wsep, word):
                continue
            flush()
            if not meter.add("", word):
                raise _too_long(word, unit, platform, limit, path)

    def place(unit: Unit, glued: bool = False) -> None:
        """Add ``unit``; ``glued``: it follows a lead-in in this post, so it is cut, rather
        than moved whole to the next post, when it does not fit."""
        sep = "\n" if unit.item else "\n\n"
        if meter.add(sep, unit.text):
            return
        if not glued:
            flush()
            if meter.add("", unit.text):
                return
        for n, (ssep, sentence) in enumerate(_sentences(unit.text)):
            if glued and n == 0:
                if not meter.add(sep, sentence):
                    words(sentence, unit, sep)
                continue
            if meter.add(ssep, sentence):
                continue
            flush()
            if meter.add("", sentence):
                continue
            words(sentence, unit)

    skip = False
    for i, unit in enumerate(units):
        if skip:
            skip = False
            continue
        if unit.section != section or unit.hard_break:
            flush()
            section = unit.section
        nxt = units[i + 1] if i + 1 < len(units) else None
        if nxt is None or not leads_in(unit, nxt):
            place(unit)
            continue
        skip = True
        before = meter.state()
        if meter.add("\n" if unit.item else "\n\n", unit.text) and meter.add("\n" if nxt.item else "\n\n", nxt.text):
            continue
        meter.restore(before)
        flush()
        place(unit)
        place(nxt, glued=True)
    flush()
    return posts


def _too_long(word: str, unit: Unit, platform: Platform, limit: int, path: str | Path) -> RenderError:
    line = _source_line(path, word, unit)
    shown = word if len(word) <= 60 else word[:57] + "…"
    return RenderError(
        f"'{shown}' cannot fit in one {platform.label} post even alone ({platform.count(word)} {platform.unit} "
        f"plus the ' i/N' counter, limit {limit}); shorten it, or link it with text",
        path or None,
        line,
    )


def _source_line(path: str | Path, word: str, unit: Unit) -> int:
    """The 1-based line of ``path`` holding ``word`` (its first 40 characters): the first
    one within ``unit``'s section (the text the thread took), else the first in the file,
    else the section's heading line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError, TypeError):
        return unit.line
    needle = word[:40]
    last = unit.end_line or len(lines)
    found = [number for number, line in enumerate(lines, 1) if needle in line]
    return next((n for n in found if unit.line <= n <= last), found[0] if found else unit.line)


# --- Bluesky rich text ------------------------------------------------------------------------

_HASHTAG = regex.compile(r"(?<![\w#])#([\p{L}\p{M}\p{N}_]*\p{L}[\p{L}\p{M}\p{N}_]*)")


#: URLs up to this many characters are shown whole in Bluesky posts.
SHORT_URL_MAX = 48


def short_url(url: str) -> str:
    """A long URL (over :data:`SHORT_URL_MAX` characters) shortened for display the way the
    Bluesky app does it: no scheme, a path longer than 15 characters cut to 13 and
    ``...``-ended. Shorter URLs are kept whole. The facet always keeps the full URI."""
    if len(url) <= SHORT_URL_MAX:
        return url
    bare = re.sub(r"^https?://", "", url, flags=re.I)
    host, slash, path = bare.partition("/")
    path = slash + path
    if len(path) > 15:
        path = path[:13] + "..."
    return host + path


def bluesky_display(text: str) -> tuple[str, tuple[dict, ...]]:
    """Bluesky's post ``text`` (long URLs shortened) and its rich-text facets.

    Facets (lexicon ``app.bsky.richtext.facet``) index the returned text in UTF-8 *bytes*
    (``byteStart`` inclusive, ``byteEnd`` exclusive), never code points: an emoji before a
    link moves it by 4 bytes, not 1 or 2. Links get ``#link`` with the full URI (``https://``
    added to a bare domain), hashtags ``#tag`` with the tag without ``#``.
    """
    out: list[str] = []
    facets: list[dict] = []
    pos = 0
    offset = 0  # bytes written so far

    def emit(chunk: str) -> None:
        nonlocal offset
        out.append(chunk)
        offset += utf8_bytes(chunk)

    def tags(chunk: str) -> None:
        for m in _HASHTAG.finditer(chunk):
            start = offset + utf8_bytes(chunk[:m.start()])
            facets.append({
                "index": {"byteStart": start, "byteEnd": start + utf8_bytes(m.group(0))},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": m.group(1)}],
            })

    for start, end in find_urls(text):
        tags(text[pos:start])
        emit(text[pos:start])
        url = text[start:end]
        uri = url if re.match(r"https?://", url, re.I) else "https://" + url
        shown = short_url(url)
        facets.append({
            "index": {"byteStart": offset, "byteEnd": offset + utf8_bytes(shown)},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
        })
        emit(shown)
        pos = end
    tags(text[pos:])
    emit(text[pos:])
    facets.sort(key=lambda f: f["index"]["byteStart"])
    return "".join(out), tuple(facets)


def bluesky_text(text: str) -> str:
    """The text of :func:`bluesky_display` alone (what Bluesky shows and counts)."""
    return bluesky_display(text)[0]


# --- whole threads --------------------------------------------------------------------------

def render_threads(issue: Issue, settings: Settings) -> list[Thread]:
    """Cut ``issue`` into a thread for each platform in ``settings.thread.platforms``, each
    within its limit (``[thread] limits`` overrides a platform's default).

    Raises:
        RenderError: a word cannot fit in one post even alone (naming its source line), or a
            layout template is broken.
    """
    units = tuple(thread_units(issue, settings))
    link = f"{issue.meta.title} {issue.permalink}"
    threads = []
    for name in settings.thread.platforms:
        platform = PLATFORMS[name]
        limit = settings.thread.limits.get(name, platform.limit)
        # a thread is a function of these alone: an edit elsewhere in the issue (the lead,
        # the email's layout) reuses it
        key = (platform, limit, settings.thread.counter, units, link, str(issue.path), issue.permalink,
               issue.meta.title, issue.summary if name == "bluesky" else "")
        thread = _THREADS.get(key)
        if thread is None:
            thread = _THREADS.put(key, _thread(units, link, platform, limit, settings.thread.counter, issue))
        threads.append(thread)
    return threads


#: Threads cut, by everything they are cut from (see :func:`render_threads`).
_THREADS = LRU(64, "threads")


def _thread(units: tuple[Unit, ...], link: str, platform: Platform, limit: int, counter: bool,
            issue: Issue) -> Thread:
    """``units`` cut into one platform's :class:`Thread` (:func:`split_thread`), each post
    measured and, for Bluesky, given its facets and (the last) the link card."""
    name = platform.name
    display = bluesky_text if name == "bluesky" else None
    texts = split_thread(list(units), link, platform, limit, counter=counter, path=issue.path,
                         display=display)
    card = (issue.permalink, issue.meta.title, issue.summary) if name == "bluesky" else None
    posts = []
    for i, text in enumerate(texts, 1):
        last = card if i == len(texts) else None
        posts.append(_POSTS.compute((platform, text, last), lambda: _post(platform, text, last)))
    return Thread(name, platform.label, limit, platform.unit, tuple(posts))


#: Posts measured, by their platform, text and (the last Bluesky post) link card.
_POSTS = LRU(512, "thread: posts")


def _post(platform: Platform, text: str, card: tuple[str, str, str] | None) -> Post:
    """One post of ``text`` measured on ``platform``; Bluesky's with its facets and, given
    ``card`` (permalink, title, summary), the external link card."""
    facets: tuple[dict, ...] = ()
    embed = None
    commentary = ""
    if platform.name == "bluesky":
        text, facets = bluesky_display(text)
        if card is not None:
            embed = {
                "$type": "app.bsky.embed.external",
                "external": {"uri": card[0], "title": card[1], "description": _clip(card[2], 300)},
            }
    if platform.name == "linkedin":
        commentary = linkedin_escape(text)
    return Post(text, platform.count(text), utf8_bytes(text), unique_links(text), facets, embed, commentary)


def _clip(text: str, graphemes_max: int) -> str:
    parts = graphemes(text)
    return text if len(parts) <= graphemes_max else "".join(parts[: graphemes_max - 1]) + "…"


def threads_json(threads: list[Thread], issue: Issue) -> str:
    """``thread.json``: for each platform its limit and unit, and each post's text, length,
    UTF-8 bytes and links; Bluesky posts add ``langs``, ``facets`` (and ``embed`` on the last
    post) in the shape of ``app.bsky.feed.post`` records; LinkedIn posts add ``commentary``."""
    # threads are kept (render_threads) and never changed: the same objects, the same JSON
    key = (tuple(map(id, threads)), issue.meta.id, issue.meta.title, issue.permalink, issue.meta.lang)
    found = _JSON.get(key)
    if found is not None and all(a is b for a, b in zip(found[0], threads)):
        return found[1]
    text = _threads_json(threads, issue)
    _JSON.put(key, (tuple(threads), text))
    return text


#: ``thread.json`` texts, by the very thread objects they were made from (kept with them).
_JSON = LRU(16, "thread.json")


def _threads_json(threads: list[Thread], issue: Issue) -> str:
    def post(p: Post, platform: str) -> dict:
        data: dict = {"text": p.text, "length": p.length, "bytes": p.bytes, "links": p.links}
        if platform == "bluesky":
            data["langs"] = [issue.meta.lang]
        if p.facets:
            data["facets"] = list(p.facets)
        if p.embed:
            data["embed"] = p.embed
        if p.commentary:
            data["commentary"] = p.commentary
        return data

    data = {
        "issue": {"id": issue.meta.id, "title": issue.meta.title, "url": issue.permalink, "lang": issue.meta.lang},
        "platforms": {
            t.platform: {"label": t.label, "limit": t.limit, "unit": t.unit, "posts": [post(p, t.platform) for p in t.posts]}
            for t in threads
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def threads_text(threads: list[Thread]) -> str:
    """``thread.txt``: each platform's posts, each headed by its count against the limit
    (and UTF-8 bytes for Bluesky, links for Threads), for a person to read before posting."""
    out: list[str] = []
    for t in threads:
        platform = PLATFORMS[t.platform]
        longest = max((p.length for p in t.posts), default=0)
        title = f"{t.label}: {len(t.posts)} posts, limit {t.limit} {t.unit} (longest {longest})"
        out += [title, "=" * len(title), f"Counted by: {platform.source}", ""]
        for i, p in enumerate(t.posts, 1):
            extra = ""
            if platform.max_bytes:
                extra += f", {p.bytes}/{platform.max_bytes} bytes"
            if platform.max_links:
                extra += f", {p.links}/{platform.max_links} links"
            out.append(f"--- post {i}/{len(t.posts)}: {p.length}/{t.limit}{extra}")
            out.append(p.text)
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


_MENTION = regex.compile(r"(?<![/\w@.])@(\w{1,30})(?:@[\w.\-]+\w)?")


def mention_warnings(threads: list[Thread], issue: Issue) -> list[str]:
    """One ``path:line`` warning per distinct ``@handle`` the threads would post: on X and
    Mastodon it becomes a live mention that notifies that account (the handle may belong to
    someone else on that platform, e.g. a GitHub name quoted from a source)."""
    seen: dict[str, None] = {}
    for thread in threads:
        if thread.platform not in ("x", "mastodon", "threads", "bluesky"):
            continue
        for post in thread.posts:
            for m in _MENTION.finditer(post.text):
                seen.setdefault(m.group(0))
    return [
        f"{issue.path}:{issue.source_line(handle, 1)}: the thread mentions {handle}, which notifies that account "
        "on X, Bluesky and Mastodon; write it without '@' if no mention is meant"
        for handle in seen
    ]
