"""Front-matter keys for features beyond the text: audio and video attachments, and a warning
for every key that looks like a feature dispatch does not have (never ignored silently).

An attachment is written as a path next to the issue or a URL, or as a table::

    audio: audio/episode-12.mp3               # local: size and type read from the file
    video: https://cdn.example.org/ep12.mp4   # a URL: give length (bytes) for the feeds
    enclosure:
      url: https://cdn.example.org/ep12.m4a
      type: audio/mp4
      length: 18345234
      title: Listen to this issue
      duration: 1260                          # seconds

It becomes the RSS 2.0 ``<enclosure url length type>``, an Atom ``<link rel="enclosure">``
(RFC 4287 §4.2.7.2), a JSON Feed 1.1 ``attachments`` item, a plain link block in the email
and its text part (no player: mail clients do not play media), and an ``<audio>``/``<video>``
element on the web page. A local file is published with the issue's images.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from .errors import SourceError
from .model import Attachment, FrontMatter

#: Keys read as attachments, and the kind each gives (``enclosure``: from its MIME type).
ATTACHMENT_KEYS = {"audio": "audio", "video": "video", "enclosure": ""}

#: MIME types by file suffix (IANA media types; a fixed table, so output does not depend on
#: the machine's /etc/mime.types).
MEDIA_TYPES = {
    ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac", ".oga": "audio/ogg", ".ogg": "audio/ogg",
    ".opus": "audio/ogg", ".wav": "audio/wav", ".flac": "audio/flac", ".weba": "audio/webm",
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg", ".mov": "video/quicktime",
    ".pdf": "application/pdf", ".epub": "application/epub+zip",
}

#: Front-matter keys of other tools (Jekyll, Hugo, Eleventy, Ghost, Pelican…) for features
#: dispatch does not have: each gets a warning naming its line, with what to do instead.
FEATURE_KEYS = {

    "cover_image": "write the cover image as 'image:'",
    "featured_image": "write the cover image as 'image:'",
    "feature_image": "write the cover image as 'image:'",
    "thumbnail": "write the cover image as 'image:'",

    "banner": "write the cover image as 'image:'",
    "podcast": "write the episode's file as 'audio:'",
    "media": "write an audio or video file as 'audio:' or 'video:'",
    "attachments": "write an audio or video file as 'audio:' or 'video:'",
    "subtitle": "put it in the lead",
    "redirect_from": "dispatch publishes no redirects",
    "aliases": "dispatch publishes no redirects",
    "permalink": "the permalink is base_url + slug; set 'slug:'",
    "url": "the permalink is base_url + slug; set 'slug:'",
    "expirydate": "dispatch does not unpublish issues on a date",
    "expiry_date": "dispatch does not unpublish issues on a date",
    "publishdate": "write the publication time as 'date:'",
    "publish_date": "write the publication time as 'date:'",
    "layout": "the layout is chosen in dispatch.toml ('layout =')",
    "template": "the layout is chosen in dispatch.toml ('layout =')",
    "toc": "dispatch writes no table of contents",
    "comments": "dispatch has no comments",
    "series": "use 'tags:'",
    "weight": "issues are ordered by date",
    "sitemap": "dispatch writes no sitemap",
    "noindex": "dispatch writes no robots meta",
}

#: Keys other parts of dispatch read from ``FrontMatter.extra`` (no warning for them).
USED_KEYS = {"canonical_url", "canonical", "image", "cover", "og_image", "image_alt", "updated", "modified", "lastmod", "status", "description"}


def _kind(mime: str, key_kind: str) -> str:
    if key_kind:
        return key_kind
    top = mime.split("/", 1)[0]
    return top if top in ("audio", "video") else "file"


def _number(value: Any, what: str, key: str, path: Path, line: int) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise SourceError(f"'{key}' {what} must be a whole number, not {value!r}", path, line)
    return int(str(value).strip())


def read_attachments(meta: FrontMatter, path: Path, permalink: str,
                     root: Path | None = None) -> tuple[tuple[Attachment, ...], list[str]]:
    """The issue's attachments from its front matter, in key order, and warnings.

    A local file (a path relative to the issue file) gives its own size and, from its
    suffix, its type; one that is missing or may not be published (outside the newsletter
    folder ``root``, hidden: :func:`dispatch.assets.refusal`) is left out with a warning.
    A URL without
    ``length`` gets length 0 (RSS Best Practices: "use a length of 0" when unknown), with a
    warning.

    Raises:
        SourceError: a value that is neither a path/URL nor a table with ``url``, a type that
            is not ``type/subtype``, or a length or duration that is not a whole number.
    """
    from .assets import is_local, refusal

    found: list[Attachment] = []
    warnings: list[str] = []
    for key, key_kind in ATTACHMENT_KEYS.items():
        if key not in meta.extra:
            continue
        value = meta.extra[key]
        line = meta.lines.get(key, 1)
        if value is None or value == "":
            continue
        spec = {"url": value} if isinstance(value, str) else value
        if not isinstance(spec, dict):
            raise SourceError(f"'{key}' must be a file path or URL, or a table with 'url:' (and 'type:', 'length:')",
                              path, line)
        src = spec.get("url") or spec.get("src") or spec.get("file") or spec.get("href")
        if not isinstance(src, str) or not src.strip():
            raise SourceError(f"'{key}' has no 'url:'; write the file's path or URL", path, line)
        src = src.strip()
        local = is_local(src)
        file = (path.parent / unquote(urlsplit(src).path)).resolve() if local else None
        suffix = Path(urlsplit(src).path).suffix.lower()
        mime = spec.get("type") or spec.get("mime_type") or MEDIA_TYPES.get(suffix, "")
        if not isinstance(mime, str) or "/" not in mime:
            raise SourceError(f"'{key}' needs a MIME type such as audio/mpeg ('type:'); none is known for "
                              f"{suffix or 'a file without a suffix'}", path, line)
        length = _number(spec.get("length", spec.get("size")), "length (bytes)", key, path, line)
        if file is not None:
            why = refusal(file, root) if root is not None else None
            if why is None and not file.is_file():
                why = f"not found (looked for {file})"
            if why is not None:
                warnings.append(f"{path}:{line}: '{key}' file {src!r} {why}; it is not attached or published")
                continue
            length = file.stat().st_size
        elif not local and not length:
            warnings.append(f"{path}:{line}: '{key}' {src!r} has no length; feeds say 0 bytes (podcast apps may "
                            "refuse it): add 'length:' in bytes")
        title = spec.get("title", "")
        found.append(Attachment(
            src=src, url=urljoin(permalink, src), mime=mime.strip().lower(), length=length,
            kind=_kind(mime, key_kind), title=title if isinstance(title, str) else str(title),
            duration=_number(spec.get("duration"), "duration (seconds)", key, path, line), line=line, file=file))
    return tuple(found), warnings


def canonical_url(meta: FrontMatter, permalink: str) -> str:
    """The web page's canonical URL (RFC 6596): front matter ``canonical_url`` (or
    ``canonical``) when it is an absolute http(s) URL — the issue first appeared elsewhere —
    else the permalink."""
    for key in ("canonical_url", "canonical"):
        value = meta.extra.get(key)
        if _absolute_http(value):
            return value.strip()
    return permalink


def _absolute_http(value: Any) -> bool:
    return isinstance(value, str) and bool(re.match(r"^https?://[^\s/?#]+\S*$", value.strip()))


def feature_key_warnings(meta: FrontMatter, path: Path) -> list[str]:
    """One ``path:line`` warning per front-matter key of :data:`FEATURE_KEYS` (kept in
    ``extra`` but not acted on), saying what to write instead, and for a ``canonical_url``
    that is not an absolute http(s) URL."""
    out = []
    for key in ("canonical_url", "canonical"):
        value = meta.extra.get(key)
        if value not in (None, "") and not _absolute_http(value):
            out.append(f"{path}:{meta.lines.get(key, 1)}: '{key}' {value!r} is not an absolute http(s) URL; "
                       "the page's canonical link stays its permalink")
    for key in meta.extra:
        if key in FEATURE_KEYS and key not in ATTACHMENT_KEYS and key not in USED_KEYS:
            out.append(f"{path}:{meta.lines.get(key, 1)}: front-matter key '{key}' is not used by dispatch "
                       f"(kept, but it changes nothing): {FEATURE_KEYS[key]}")
    return out

