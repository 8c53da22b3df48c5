"""Normalising front matter of any dialect into :class:`dispatch.model.FrontMatter`.

Keys (case-insensitive): ``title``, ``date``, ``id``, ``slug``, ``summary`` (or
``description``), ``tags`` (list, or comma-separated string; ``keywords`` and ``category``
are read as tags too), ``author`` (or ``authors``), ``lang``, ``draft`` (or Pelican's
``status: draft``), ``preheader``. Every other key is kept in ``extra``.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .config import Settings
from .dates import read_date
from .errors import SourceError, SourceErrors
from .limits import check_instant
from .model import FrontMatter
from .source import SourceFile
from .textutil import slugify

#: Namespace for name-based ids made from a text ``id`` (a fixed, random UUID of dispatch's).
_ID_NAMESPACE = uuid.UUID("5d3f3a52-8c1e-4f0e-9a57-0c2b1c6e4d21")
_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_FILENAME_DATE = re.compile(r"^(\d{4})[-_](\d{2})[-_](\d{2})(?![0-9])")
_FILENAME_NUMBER = re.compile(r"^(\d+)[-_ .]+(?=\S)")


def build_front_matter(src: SourceFile, settings: Settings) -> FrontMatter:
    """Turn raw front matter into typed, validated :class:`FrontMatter`
    (:func:`read_front_matter`, raising its errors).

    Raises:
        SourceError: the first and only problem; :class:`SourceErrors` when there are several.
    """
    meta, errors = read_front_matter(src, settings)
    if errors:
        raise errors[0] if len(errors) == 1 else SourceErrors(errors)
    return meta


def read_front_matter(src: SourceFile, settings: Settings) -> tuple[FrontMatter, list[SourceError]]:
    """Turn raw front matter into typed, validated :class:`FrontMatter`, with every problem.

    Missing metadata falls back, as Jekyll, Hugo and Pelican do, with a warning added to
    ``src.warnings`` (an error instead with ``[source] strict = true``):

    * title: front matter, else the first ``#`` heading (or a plain-text briefing's first
      line), else the file name (``156-some-title.md`` → "Some Title"; the slug keeps the
      number: ``156-some-title``);
    * date: front matter, else a ``YYYY-MM-DD`` file-name prefix (Jekyll's rule, no
      warning), else the file's last commit date when it is in a git work tree, else its
      modification time.

    Returns:
        ``(front matter, errors)``: every key is checked, and each problem is one
        :class:`SourceError` at the key's line (a value YAML could not read, found by
        :mod:`dispatch.source`; a key of the wrong type, ``title: [a, b]``; a date that cannot be
        read; with ``strict``, no title or no date), a bad key's fallback standing in so the
        rest of the issue can still be checked. Raises nothing.
    """
    data = dict(src.front.data)
    lines = dict(src.front.lines)
    path = src.path
    errors: list[SourceError] = list(src.front.errors.values())
    for key in src.front.errors:
        data.pop(key, None)

    def attempt(fn, fallback):
        """Run one independent check; a SourceError is kept (all are raised together at the
        end) and ``fallback`` stands in so the other keys are still checked."""
        try:
            return fn()
        except SourceErrors as exc:
            errors.extend(exc.errors)
        except SourceError as exc:
            errors.append(exc)
        return fallback

    def line_of(key: str) -> int:
        return lines.get(key, 1)

    def text(key: str, *aliases: str) -> str:
        for name in (key, *aliases):
            if name in data:
                value = data.pop(name)
                if value is None:
                    return ""
                if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                    return " ".join(str(value).split())  # one line: these go into mail headers and feeds
                raise SourceError(
                    f"'{name}' must be text, not {_kind(value)}; write it as a single quoted string",
                    path,
                    line_of(name),
                )
        return ""

    title = attempt(lambda: text("title"), "")
    if not title and src.title:
        title = src.title
        lines["title"] = src.title_line or 1
    name_slug = ""
    if not title:
        title, name_slug = title_from_name(path)
        if settings.source.strict:
            errors.append(SourceError("the issue has no title; add 'title:' to the front matter or a '# Title' line",
                                      path, 1))
        elif "title" not in src.front.errors:
            src.warnings.append(f"{path}:1: no title; using {title!r} from the file name (add 'title:' to the "
                                "front matter, or set [source] strict = true to make this an error)")

    date_line = line_of("date")
    raw_date = data.pop("date", None)
    stand_in = datetime(2000, 1, 1, tzinfo=settings.tz)
    if raw_date is None and "date" in src.front.errors:
        raw_date = stand_in
    elif raw_date is None:
        m = _FILENAME_DATE.match(path.name)
        if m:
            raw_date = "-".join(m.groups())
        elif settings.source.strict:
            errors.append(SourceError(
                "the issue has no date; add 'date: YYYY-MM-DD' (or with a time) to the front matter", path, 1))
            raw_date = stand_in
        else:
            raw_date, source = fallback_date(path, settings.tz)
            src.warnings.append(f"{path}:1: no date; using {raw_date:%Y-%m-%d %H:%M %z}, {source} (add 'date:' to "
                                "the front matter, or set [source] strict = true to make this an error)")
    when = attempt(lambda: parse_date(raw_date, settings.tz, path, date_line), stand_in)

    slug_line = line_of("slug")
    slug = attempt(lambda: text("slug"), "") or name_slug
    if slug:
        clean = slugify(slug)
        if clean != slug:
            errors.append(SourceError(
                f"slug {slug!r} is not URL-safe; use lower-case letters, digits and '-', e.g. {clean or 'my-issue'!r}",
                path,
                slug_line,
            ))
            slug = clean or "issue"
    else:
        slug = slugify(title) or fallback_slug(title, when)

    id_line = line_of("id")
    given_id = attempt(lambda: text("id", "guid", "uuid"), "")
    issue_id = make_id(given_id, settings.base_url, when, slug)
    if given_id and not _URI_SCHEME.match(issue_id):  # pragma: no cover - make_id always returns a URI
        raise SourceError(f"id {given_id!r} cannot be made into a URI", path, id_line)

    summary = attempt(lambda: text("summary", "description", "excerpt"), "")
    author = attempt(lambda: text("author"), "")
    if not author and "authors" in data:
        authors = data.pop("authors")
        if isinstance(authors, str):
            author = authors.strip()
        elif isinstance(authors, list) and all(isinstance(a, (str, int, float)) and not isinstance(a, bool) for a in authors):
            author = ", ".join(str(a).strip() for a in authors)
        else:
            errors.append(SourceError(f"'authors' must be a list of names, not {_kind(authors)}", path,
                                      line_of("authors")))
    lang = attempt(lambda: text("lang", "language"), "") or settings.language
    if not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", lang):
        errors.append(SourceError(f"lang {lang!r} is not a BCP 47 tag; write e.g. 'en' or 'en-NZ'", path,
                                  line_of("lang")))
    preheader = attempt(lambda: text("preheader"), "")
    tags = attempt(lambda: _tags(data, lines, path), ())
    draft = attempt(lambda: _draft(data, lines, path), True)
    errors.sort(key=lambda e: e.line or 0)
    return FrontMatter(
        title=title,
        date=when,
        id=issue_id,
        slug=slug,
        summary=summary,
        tags=tags,
        author=author or settings.author,
        lang=lang,
        draft=draft,
        preheader=preheader,
        extra=data,
        dialect=src.front.dialect,
        lines=lines,
    ), errors


def title_from_name(path: Path) -> tuple[str, str]:
    """``(title, slug)`` from a file name: ``2023-12-11-156-some-title.md`` → ``("Some Title",
    "156-some-title")``. The date prefix is dropped; a leading issue number stays in the slug
    (the archive's URLs keep it) but not in the title."""
    stem = _FILENAME_DATE.sub("", path.stem).lstrip("-_ ") or path.stem
    words_part = _FILENAME_NUMBER.sub("", stem) or stem
    title = " ".join(w[:1].upper() + w[1:] for w in re.split(r"[-_\s]+", words_part) if w) or stem
    return title, slugify(stem) or slugify(title)


def fallback_date(path: Path, tz: ZoneInfo) -> tuple[datetime, str]:
    """A date for a file that names none: ``(when, where it came from)``, the author date of
    the file's last commit when it is in a git work tree (``git log -1 --format=%aI``),
    else its modification time in ``tz``."""
    import subprocess

    try:
        done = subprocess.run(["git", "log", "-1", "--format=%aI", "--", path.name], cwd=path.parent or Path("."),
                              capture_output=True, text=True, timeout=20)
        stamp = done.stdout.strip() if done.returncode == 0 else ""
        if stamp:
            return datetime.fromisoformat(stamp), "the date of its last git commit"
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    return datetime.fromtimestamp(int(mtime), tz), "its modification time"


def fallback_slug(title: str, when: datetime) -> str:
    """A slug for a title with nothing Latin or numeric in it (``人工智能新闻``): the date and a
    short hash of the title, so two such issues on one day still differ."""
    digest = hashlib.sha256(title.encode("utf-8")).hexdigest()[:8]
    return f"issue-{when:%Y-%m-%d}-{digest}"


def parse_date(value: Any, tz: ZoneInfo, path: Path, line: int) -> datetime:
    """Return an aware datetime for a front-matter date.

    Accepts ``date``/``datetime`` objects (YAML, TOML) and strings in every form
    :func:`dispatch.dates.read_date` reads (ISO 8601, ``YYYY/MM/DD``, RFC 2822,
    ``Dec 11, 2023``…). A value without a time zone takes ``tz``; a date alone is midnight
    in ``tz``.

    Raises:
        SourceError: the value is not a date, naming ``path:line`` and the accepted form, or
            lies outside the years 1000–9998 (:func:`dispatch.limits.check_instant`).
    """
    when: datetime | None = None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime.combine(value, time())
    elif isinstance(value, str):
        when = read_date(value)
    if when is None:
        raise SourceError(
            f"cannot read date {value!r}; write it as YYYY-MM-DD or YYYY-MM-DD HH:MM (optionally with +HH:MM)",
            path,
            line,
        )
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return check_instant(when, f"date {str(value).strip()!r}", path, line)


def make_id(given: str, base_url: str, when: datetime, slug: str) -> str:
    """The issue's permanent id, always an absolute URI (Atom ``id``, RFC 4287 §4.2.6).

    * a URI as given (``urn:uuid:…``, ``tag:…``, ``https://…``) is kept;
    * a bare UUID becomes ``urn:uuid:<uuid>``;
    * any other text (``briefing-42``) becomes a name-based ``urn:uuid:`` (UUID version 5 of
      the text, RFC 4122 §4.3): it depends on nothing but the text, so date, slug, title and
      host edits leave it alone;
    * nothing: a ``tag:`` URI (RFC 4151) from the site's host, the issue's date and the slug
      (``tag:example.com,2026-05-22:slug``), which changes with them. Set ``id`` once in front
      matter (``dispatch new`` does) to keep it permanent.
    """
    if given and _URI_SCHEME.match(given):
        return given
    if given:
        try:
            return uuid.UUID(given).urn
        except ValueError:
            # any other text: a name-based UUID (RFC 4122 §4.3), the same whatever the date or host
            return uuid.uuid5(_ID_NAMESPACE, given).urn
    host = urlsplit(base_url).hostname or "localhost"
    return f"tag:{host},{when:%Y-%m-%d}:{slug}"


def _tags(data: dict[str, Any], lines: dict[str, int], path: Path) -> tuple[str, ...]:
    out: list[str] = []
    for key in ("tags", "keywords", "category", "categories"):
        if key not in data:
            continue
        value = data.pop(key)
        if value is None:
            continue
        if isinstance(value, str):
            items = [t.strip() for t in value.split(",")]
        elif isinstance(value, list) and all(isinstance(t, (str, int, float)) for t in value):
            items = [str(t).strip() for t in value]
        else:
            raise SourceError(
                f"'{key}' must be a list of words or a comma-separated string, not {_kind(value)}",
                path,
                lines.get(key, 1),
            )
        out.extend(t for t in items if t and t not in out)
    return tuple(out)


def _draft(data: dict[str, Any], lines: dict[str, int], path: Path) -> bool:
    draft = False
    if "draft" in data:
        value = data.pop("draft")
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "false", "no", ""):
            value = value.strip().lower() in ("true", "yes")
        if not isinstance(value, bool):
            raise SourceError(f"'draft' must be true or false, not {value!r}", path, lines.get("draft", 1))
        draft = value
    if "status" in data:
        status = str(data.get("status")).strip().lower()
        if status == "draft":
            draft = True
    return draft


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return f"a {type(value).__name__}"
