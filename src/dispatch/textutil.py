"""Text helpers shared by the parser and the channels: plain text of inlines, slugs,
graphemes, display width and a width-aware word wrapper.

Units are named everywhere: *characters* are Unicode code points, *graphemes* are extended
grapheme clusters (Unicode UAX #29, via the ``regex`` module's ``\\X``), *columns* are
terminal display cells (UAX #11 East Asian Width, via ``wcwidth``: CJK and emoji take 2).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Sequence

import regex
from wcwidth import wcswidth, wcwidth

from .memo import LRU

_GRAPHEME = regex.compile(r"\X")
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}»”’]")
#: A bare ``http(s)://`` URL in prose, trailing punctuation left out: the one rule for what is a
#: URL, shared by the thread counters, Sources and the parser's bare-URL links.
URL_RE = _URL


def graphemes(text: str) -> list[str]:
    """Split ``text`` into extended grapheme clusters (UAX #29)."""
    return _GRAPHEME.findall(text)


#: The code points that can join a neighbour into one grapheme cluster (UAX #29: CR before
#: LF, Extend, ZWJ, SpacingMark, Prepend, regional indicators, Hangul jamo and syllables).
#: Text without any is one cluster per code point.
_JOINING = regex.compile(
    r"[\r\p{GCB=Extend}\p{GCB=ZWJ}\p{GCB=SpacingMark}\p{GCB=Prepend}\p{GCB=Regional_Indicator}"
    r"\p{GCB=L}\p{GCB=V}\p{GCB=T}\p{GCB=LV}\p{GCB=LVT}]")


def grapheme_end(text: str, pos: int) -> int:
    """Where the grapheme cluster starting at ``pos`` of ``text`` ends (an index into
    ``text``; ``pos`` itself at the end of the text). A cluster has no length limit: a
    ZWJ chain of 5,001 emoji is one."""
    m = _GRAPHEME.match(text, pos)
    return m.end() if m else pos


def grapheme_count(text: str) -> int:
    """Number of extended grapheme clusters in ``text`` (what Bluesky and Mastodon count)."""
    if not _JOINING.search(text):
        return len(text)
    return len(_GRAPHEME.findall(text))


def width(text: str) -> int:
    """Display width of ``text`` in terminal columns (UAX #11; CJK and emoji are 2).

    Grapheme clusters are measured as one unit: a ZWJ sequence or flag is 2 columns, a
    combining mark adds nothing. Control characters count 0.
    """
    if text.isascii() and text.isprintable():
        return len(text)
    total = 0
    for cluster in _GRAPHEME.findall(text):
        if len(cluster) == 1:
            w = wcwidth(cluster)
            total += max(w, 0)
            continue
        first = wcwidth(cluster[0])
        if "\u200d" in cluster or "\ufe0f" in cluster or _is_regional(cluster) or _is_emoji_mod(cluster):
            total += 2
        else:
            total += max(first, 0) if first >= 0 else max(wcswidth(cluster), 0)
    return total


def _is_regional(cluster: str) -> bool:
    return all(0x1F1E6 <= ord(c) <= 0x1F1FF for c in cluster)


def _is_emoji_mod(cluster: str) -> bool:
    return any(0x1F3FB <= ord(c) <= 0x1F3FF for c in cluster)


def plain_text(inlines: Iterable) -> str:
    """Flatten inlines (:mod:`dispatch.model` nodes) to plain text, each as its ``plain()``
    says: link text (not URLs), code verbatim, image alt text, soft breaks as spaces, raw
    HTML tags dropped; runs of spaces and tabs made one, ends stripped. A node that is no
    inline (a block, say) gives nothing."""
    return re.sub(r"[ \t]+", " ", "".join(node.plain() for node in inlines if hasattr(node, "plain"))).strip()


_SENTENCE_END = regex.compile(r"(?<=[.!?…][\"'”’)\]]*)\s+(?=[^\p{Ll}\s])|(?<=[。！？][」』”’)]?)(?=\S)")


def sentences(text: str) -> list[str]:
    """Split prose into sentences: after ``. ! ? …`` followed by a space and anything but a
    lower-case letter, and after CJK full stops ``。！？`` with no space. Abbreviations such
    as "e.g." followed by a lower-case word do not end a sentence."""
    out = [s.strip() for s in _SENTENCE_END.split(text)]
    return [s for s in out if s]


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (the whole text if it has one)."""
    parts = sentences(text)
    return parts[0] if parts else ""


def has_front_matter(text: str) -> bool:
    """True when ``text`` opens with a YAML (``---``) or TOML (``+++``) front-matter line."""
    return text.split("\n", 1)[0].strip() in ("---", "+++")


def slugify(text: str) -> str:
    """A URL slug: diacritics removed (Māori ``ā`` → ``a``), lower case, ``[a-z0-9-]``
    only, at most 80 characters. Returns ``""`` when nothing Latin or numeric is left."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:80].rstrip("-")


def find_urls(text: str) -> list[re.Match[str]]:
    """Bare ``http(s)://`` URLs in ``text``; trailing punctuation is not part of a URL."""
    return list(_URL.finditer(text))


def wrap(text: str, columns: int = 78, *, indent: str = "", subsequent: str | None = None) -> list[str]:
    """Wrap ``text`` to ``columns`` display columns (not characters).

    Breaks at spaces; a CJK run may break between any two ideographs (UAX #14 allows it) but
    never before closing punctuation. A word wider than the line (a long URL) is kept whole
    on a line of its own. ``indent`` starts the first line, ``subsequent`` (default: as many
    spaces as ``indent`` is wide) every other line. Returns lines without newlines.
    """
    key = (text, columns, indent, subsequent)
    found = _WRAPPED.get(key)
    if found is None:
        found = _WRAPPED.put(key, tuple(_wrap(text, columns, indent, subsequent)))
    return list(found)


#: Texts wrapped (:func:`wrap` is a function of its arguments alone).
_WRAPPED = LRU(2048, "wrapped texts")


def _wrap(text: str, columns: int, indent: str, subsequent: str | None) -> list[str]:
    if subsequent is None:
        subsequent = " " * width(indent)
    words = _tokens(text)
    lines: list[str] = []
    current = indent
    current_w = width(indent)
    base_w = current_w
    for word, space_before in words:
        w = width(word)
        sep = " " if (space_before and current_w > base_w) else ""
        if current_w > base_w and current_w + len(sep) + w > columns:
            lines.append(current.rstrip())
            current, current_w = subsequent, width(subsequent)
            base_w = current_w
            sep = ""
        current += sep + word
        current_w += len(sep) + w
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
_NO_BREAK_BEFORE = set("、。，．！？：；）」』】〉》”’・ー)")


_TIED_SPACE = "\ue003"


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Split text into ``(token, preceded_by_space)``; CJK runs split per grapheme."""
    from .platforms import MERGE_TAG

    out: list[tuple[str, bool]] = []
    # a merge tag ({{ first_name }}) is one word: its inner spaces are not break points
    text = MERGE_TAG.sub(lambda m: m.group(0).replace(" ", _TIED_SPACE), text.replace("\n", " "))
    for m in re.finditer(r"(\s*)(\S+)", text):
        space = bool(m.group(1)) or not out
        word = m.group(2).replace(_TIED_SPACE, " ")
        if not _CJK.search(word) or find_urls(word):
            out.append((word, space))
            continue
        pieces: list[str] = []
        for g in graphemes(word):
            if pieces and (g in _NO_BREAK_BEFORE or not (_CJK.match(g) or _CJK.match(pieces[-1][-1]))):
                pieces[-1] += g
            else:
                pieces.append(g)
        for k, piece in enumerate(pieces):
            out.append((piece, space if k == 0 else False))
    return out


def pad(text: str, columns: int, align: str = "left") -> str:
    """Pad ``text`` with spaces to ``columns`` display columns (``left``/``right``/``center``)."""
    gap = max(columns - width(text), 0)
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


def join_columns(cells: Sequence[str], widths: Sequence[int], aligns: Sequence[str], sep: str = "  ") -> str:
    """One text-table row: each cell padded to its column's display width."""
    return sep.join(pad(c, w, a) for c, w, a in zip(cells, widths, aligns)).rstrip()
