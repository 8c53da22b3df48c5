"""Post-length counters, one per platform, each by that platform's own rule.

Units: *weighted characters* (X), *graphemes* (Bluesky, Mastodon, Threads), *characters*
(LinkedIn: UTF-16 code units are what its API counts; we count code points after escaping,
which is equal or stricter for text outside the astral planes), *bytes* (UTF-8, Bluesky's
second limit).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

import regex

from .textutil import grapheme_count

#: A URL as the platforms detect it: a scheme URL, or a bare domain with a known-looking TLD.
URL_RE = regex.compile(
    r"(?<![\w@.])(?:https?://[^\s<>\"]+|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|org|net|io|dev|nz|ai|co|uk|au|app|gov|edu|info|social|me|rs|de|fr|jp|cn|tv|xyz)(?:/[^\s<>\"]*)?)",
    regex.I,
)
_TRAILING = ".,;:!?)]}'\"»”’…"
MENTION_RE = regex.compile(r"(?<![\w@])@(\w{1,30})(?:@[\w.-]+\.\w+)?")
_EMOJI_SEQ = regex.compile(r"(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|[#*0-9]\uFE0F?\u20E3)")


def find_urls(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` code-point spans of URLs in ``text``; trailing punctuation excluded."""
    spans = []
    for m in URL_RE.finditer(text):
        start, end = m.span()
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        spans.append((start, end))
    return spans


def x_weight(text: str) -> int:
    """Weighted length on X (twitter-text config v3), in weighted characters (limit 280).

    Rules (twitter-text ``config/v3.json``): NFC-normalise; every URL (bare domains too)
    counts 23; an emoji sequence (ZWJ sequence, flag, keycap, skin tone) counts 2; code points
    in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F, U+2032–U+2037 weigh 1, all others 2.
    """
    text = unicodedata.normalize("NFC", text)
    total = 0
    pos = 0
    for start, end in find_urls(text):
        total += _x_plain(text[pos:start]) + 23
        pos = end
    return total + _x_plain(text[pos:])


def _x_plain(text: str) -> int:
    total = 0
    for cluster in regex.findall(r"\X", text):
        if _EMOJI_SEQ.search(cluster):
            total += 2
            continue
        for ch in cluster:
            cp = ord(ch)
            if cp <= 0x10FF or 0x2000 <= cp <= 0x200D or 0x2010 <= cp <= 0x201F or 0x2032 <= cp <= 0x2037:
                total += 1
            else:
                total += 2
    return total


def mastodon_length(text: str) -> int:
    """Mastodon's count, in graphemes (limit 500 by default): every ``http(s)://`` URL counts
    23, a mention ``@user@domain`` counts only ``@user`` (Mastodon's
    ``StatusLengthValidator``)."""
    text = regex.sub(r"https?://[^\s<>\"]+", lambda m: "x" * 23 + _trail(m.group(0)), text)
    text = MENTION_RE.sub(lambda m: "@" + m.group(1), text)
    return grapheme_count(text)


def _trail(url: str) -> str:
    stripped = url.rstrip(_TRAILING)
    return url[len(stripped):]


def utf8_bytes(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes."""
    return len(text.encode("utf-8"))


LINKEDIN_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


def linkedin_escape(text: str) -> str:
    """Backslash-escape LinkedIn's "little" text format reserved characters
    (``\\ | { } @ [ ] ( ) < > # * _ ~``); unescaped, a post is cut silently."""
    return LINKEDIN_RESERVED.sub(r"\\\1", text)


@dataclass(frozen=True)
class Platform:
    """A platform's post rule.

    Attributes:
        name: ``x``, ``bluesky``, ``mastodon``, ``threads``, ``linkedin``.
        label: display name.
        limit: maximum length in ``unit``.
        unit: what ``count`` measures.
        count: the platform's counter.
        max_bytes: a second limit in UTF-8 bytes (Bluesky: 3000), or 0.
        max_links: most links a post may carry (Threads: 5), or 0 for no limit.
        source: where the rule comes from.
    """

    name: str
    label: str
    limit: int
    unit: str
    count: Callable[[str], int]
    max_bytes: int = 0
    max_links: int = 0
    source: str = ""

    def fits(self, text: str, limit: int | None = None) -> bool:
        """Whether ``text`` is within this platform's limits (``limit`` overrides)."""
        if self.count(text) > (limit or self.limit):
            return False
        if self.max_bytes and utf8_bytes(text) > self.max_bytes:
            return False
        if self.max_links and len(find_urls(text)) > self.max_links:
            return False
        return True


PLATFORMS: dict[str, Platform] = {
    "x": Platform("x", "X", 280, "weighted characters", x_weight,
                  source="twitter-text config v3 (github.com/twitter/twitter-text, config/v3.json)"),
    "bluesky": Platform("bluesky", "Bluesky", 300, "graphemes", grapheme_count, max_bytes=3000,
                        source="app.bsky.feed.post lexicon: text maxGraphemes 300, maxLength 3000 bytes"),
    "mastodon": Platform("mastodon", "Mastodon", 500, "graphemes", mastodon_length,
                         source="Mastodon StatusLengthValidator: 500 chars, URLs 23, mentions count the username"),
    "threads": Platform("threads", "Threads", 500, "graphemes", grapheme_count, max_links=5,
                        source="Threads API docs: 500 characters, at most 5 links per post"),
    "linkedin": Platform("linkedin", "LinkedIn", 3000, "characters", lambda t: len(linkedin_escape(t)),
                         source="LinkedIn Posts API: commentary up to 3000 characters, little text format"),
}
