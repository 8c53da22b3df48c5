"""Step 5a: tags → their feeds' paths (:func:`tag_slug`) and the published records of each."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from ..config import Settings
from ..errors import SourceError
from ..textutil import slugify
from .record import Record, key_line

#: Hex digits of SHA-256 that tell apart tags whose slug alone would not (32 bits).
TAG_HASH_DIGITS = 8
_TAG_SEPARATORS = re.compile(r"[\s_-]+")
_PLAIN_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def tag_key(tag: str) -> str:
    """What makes two tags the same tag: NFKC, case-folded, whitespace collapsed (``C++`` and
    ``c++`` are one tag, ``C++`` and ``C#`` two)."""
    return " ".join(unicodedata.normalize("NFKC", tag).casefold().split())


def tag_identity(tag: str) -> str:
    """Tags with one identity share a feed: a plain tag (see :func:`tag_slug`) is its slug,
    any other its :func:`tag_key`."""
    plain = _TAG_SEPARATORS.sub("-", tag.strip()).lower()
    return "plain:" + plain if len(plain) <= 80 and _PLAIN_SLUG.fullmatch(plain) else "key:" + tag_key(tag)


def tag_slug(tag: str) -> str:
    """The path segment of ``tag``'s feed, ``tags/<segment>/atom.xml``: URL-safe
    (``[a-z0-9-]``), a function of the tag alone (so a feed's URL never moves when other tags
    come and go), and distinct for distinct tags.

    * A tag of ASCII letters and digits in words separated by spaces, ``-`` or ``_`` (at most
      80 characters) is its own slug: ``open-source AI`` → ``open-source-ai``. Tags that
      differ only in case or in those separators share a feed.
    * Any other tag (punctuation, accents, other scripts, emoji) is its
      :func:`~dispatch.textutil.slugify` slug, ``-`` and the first 8 hex digits of the
      SHA-256 of :func:`tag_key` (UTF-8): ``C++`` → ``c-`` + 8 hex, ``C#`` → ``c-`` + 8
      other hex; when no Latin letter or digit is left, the 8 hex digits alone (``人工智能``,
      ``🚀``).

    Returns ``""`` for a tag with no characters but spaces (it gets no feed).
    """
    key = tag_key(tag)
    if not key:
        return ""
    plain = _TAG_SEPARATORS.sub("-", tag.strip()).lower()
    if len(plain) <= 80 and _PLAIN_SLUG.fullmatch(plain):
        return plain
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:TAG_HASH_DIGITS]
    slug = slugify(tag)[:60].rstrip("-")
    return f"{slug}-{digest}" if slug else digest


def tag_pairs(tags: list[str]) -> list[tuple[str, str]]:
    """``(tag_slug, tag)`` of each tag that has a feed, first spelling of each kept."""
    seen: dict[str, str] = {}
    for tag in tags:
        slug = tag_slug(tag)
        if slug and slug not in seen:
            seen[slug] = tag
    return list(seen.items())


def tag_links(settings: Settings, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(tag, absolute URL of its page tags/<slug>/)`` for each ``(slug, tag)`` of ``pairs``
    (from :func:`tag_pairs`)."""
    base = settings.base_url.rstrip("/") + "/"
    return [(name, f"{base}tags/{slug}/") for slug, name in pairs]


def tag_groups(published: list[Record], paths: dict[str, Path]) -> dict[str, tuple[str, list[Record]]]:
    """Step 5: tag slug → (the tag's newest spelling, its published records newest first).

    Raises:
        SourceError: two distinct tags would share a feed (a 32-bit hash clash).
    """
    tag_entries: dict[str, list[Record]] = {}
    tag_names: dict[str, str] = {}
    for rec in published:  # newest first, so a tag's name is its newest spelling
        for name in rec.tags:  # distinct tags never share a feed (a 32-bit hash clash is reported)
            slug = tag_slug(name)
            if slug and tag_identity(tag_names.setdefault(slug, name)) != tag_identity(name):
                raise SourceError(f"tags {tag_names[slug]!r} and {name!r} would share the feed tags/{slug}/; "
                                  "rename one of them", paths[rec.source], key_line(paths[rec.source], "tags"))
        for slug, name in tag_pairs(rec.tags):
            tag_entries.setdefault(slug, []).append(rec)
    return {slug: (tag_names[slug], tag_entries[slug]) for slug in sorted(tag_entries)}
