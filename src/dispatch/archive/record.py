"""One source file as the build knows it between runs (:class:`Record`), and the hashes and
line look-ups the steps share."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..source import read_source


@dataclass
class Record:
    """What the build knows about one source file (kept in the cache between runs).

    Dates are ISO 8601 strings in UTC; ``content_sha`` is the SHA-256 of the rendered body
    HTML (the key of its cached copy, checked when it is read back); ``text_sha`` the SHA-256
    of what the author wrote (title, summary, Markdown body), which decides the entry's
    ``updated``; ``page_size`` (bytes) and ``page_sha`` (SHA-256) describe its web page;
    ``assets`` lists its local images as ``[src, file, url_path, "path:line"]``; ``watch``
    the files it refers to that were missing (when one appears, the issue is read again);
    ``attachments`` its audio/video as ``[url, mime, length, kind, title, duration]``;
    ``retina`` the retina copies its email may link to (``retina_images``) as ``[url_path of
    the copy, file of the original, "path:line"]``;
    ``canonical`` its page's canonical URL (RFC 6596; the permalink unless front matter names
    another); ``page_parts`` the sizes in bytes of the page's pieces around its previous/next
    links (``[]``: the layout shows none) and ``nav_sha`` the SHA-256 of the links it holds
    now (``""``: not filled in yet), see :mod:`.nav`.
    """

    source: str
    source_sha: str
    id: str
    title: str
    slug: str
    permalink: str
    date: str
    draft: bool
    tags: list[str]
    author: str
    lang: str
    summary: str
    content_sha: str
    text_sha: str
    page_size: int
    page_sha: str = ""
    updated_given: str = ""
    warnings: list[str] = field(default_factory=list)
    assets: list[list[str]] = field(default_factory=list)
    watch: list[str] = field(default_factory=list)
    attachments: list[list[str]] = field(default_factory=list)
    retina: list[list[str]] = field(default_factory=list)
    canonical: str = ""
    page_parts: list[int] = field(default_factory=list)
    nav_sha: str = ""

    @property
    def when(self) -> datetime:
        """The publication instant (aware, UTC)."""
        return datetime.fromisoformat(self.date)


_RECORD_STR = ("source", "source_sha", "id", "title", "slug", "permalink", "date", "author", "lang", "summary",
               "content_sha", "text_sha", "page_sha", "updated_given", "canonical", "nav_sha")


def aware(value: object) -> datetime | None:
    """``value`` as an aware datetime when it is an ISO 8601 string with an offset, else ``None``."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def record_from_json(data: object) -> Record | None:
    """A cached record, or ``None`` when ``data`` is not a valid one (a missing or extra field,
    a value of the wrong type, a date that is not an aware ISO 8601 instant)."""
    if not isinstance(data, dict):
        return None
    try:
        rec = Record(**data)
    except TypeError:
        return None
    if not all(isinstance(getattr(rec, name), str) for name in _RECORD_STR):
        return None
    if type(rec.draft) is not bool or type(rec.page_size) is not int:
        return None
    if not (_str_list(rec.tags) and _str_list(rec.warnings) and _str_list(rec.watch)):
        return None
    if not (isinstance(rec.assets, list) and all(_str_list(a) and len(a) == 4 for a in rec.assets)):
        return None
    if not (isinstance(rec.retina, list) and all(_str_list(a) and len(a) == 3 for a in rec.retina)):
        return None
    if not (isinstance(rec.attachments, list) and all(_str_list(a) and len(a) == 6 and a[2].isdigit()
                                                      and a[5].isdigit() for a in rec.attachments)):
        return None
    if not (isinstance(rec.page_parts, list) and all(type(n) is int and n >= 0 for n in rec.page_parts)):
        return None
    if aware(rec.date) is None or (rec.updated_given and aware(rec.updated_given) is None):
        return None
    return rec


def key_line(path: Path, key: str) -> int:
    """The 1-based line of front-matter ``key`` in ``path`` (1 when it is not written)."""
    return read_source(path).front.lines.get(key, 1)


def digest(*parts: str | bytes) -> str:
    """SHA-256 (hex) of ``parts`` (text as UTF-8), each followed by a NUL byte so that
    ``("ab", "c")`` and ``("a", "bc")`` differ."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def file_sha(data: bytes) -> str:
    """SHA-256 (hex) of ``data``, as ``sha256sum`` prints it."""
    return hashlib.sha256(data).hexdigest()
