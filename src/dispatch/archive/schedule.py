"""Steps 2–4: unique ids, the schedule (what is published at ``now``), unique slugs, and
each entry's ``updated`` date."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ..errors import DispatchError, RefusedError, SourceError
from ..limits import check_instant
from .record import Record, key_line
from .report import BuildReport


def parse_now(value: str | None) -> datetime:
    """``--now``: an ISO 8601 / RFC 3339 instant (``2026-05-22T07:00+12:00``,
    ``2026-06-01T00:00z``: ``Z`` in either case; a date or a value without offset is UTC), or
    the current time when ``None``; returned in UTC, whole seconds.

    Raises:
        DispatchError: the value is not ISO 8601 or lies outside the years 1000–9998.
    """
    if value is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise DispatchError(f"--now {value!r} is not an ISO 8601 date-time; write e.g. 2026-05-22T07:00:00+12:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return check_instant(when, f"--now {value!r}").astimezone(timezone.utc).replace(microsecond=0)


def check_unique_ids(records: dict[str, Record], paths: dict[str, Path], errors: list[str] | None = None,
                     refused: list[str] | None = None) -> None:
    """Step 2: no two issues share an id (the second would replace the first in readers).
    With ``errors`` (a build that keeps going), the later issue is left out of ``records``
    and its error added there instead (and to ``refused``: the issue reads, it is refused).

    Raises:
        RefusedError: at the ``id`` line of the later issue (in path order), without ``errors``.
    """
    by_id: dict[str, str] = {}
    for key, rec in sorted(records.items()):
        if rec.id in by_id:
            error = RefusedError(f"id {rec.id!r} is already used by {by_id[rec.id]}; every issue needs its own id",
                                paths[key], key_line(paths[key], "id"))
            if errors is None:
                raise error
            errors.append(str(error))
            if refused is not None:
                refused.append(str(error))
            del records[key]
            continue
        by_id[rec.id] = key


def schedule(records: dict[str, Record], now: datetime, out: Path, report: BuildReport,
             kept: set[str] | frozenset[str] = frozenset()) -> list[Record]:
    """Step 3: the published records (neither drafts nor dated after ``now``), newest first by
    ``(date, id)``. Sets the report's ``drafts``, ``next_due``, ``published`` and ``ahead``
    (with a warning naming ``out`` when ``now`` is later than the clock). ``kept``: keys of
    records kept from the cache for files that did not build this run; they are not counted
    as drafts (the file may not be one any more: it is counted as refused or unreadable)."""
    published = [r for r in records.values() if not r.draft and r.when <= now]
    published.sort(key=lambda r: (r.when, r.id), reverse=True)
    report.drafts = sum(1 for key, r in records.items() if r.draft and key not in kept)
    upcoming = sorted((r for r in records.values() if not r.draft and r.when > now), key=lambda r: (r.when, r.id))
    if upcoming:
        report.next_due = (upcoming[0].title, upcoming[0].when)
    report.published = [r.id for r in published]
    clock = datetime.now(timezone.utc)
    report.ahead = [r.id for r in published if r.when > clock]
    if report.ahead:
        report.warnings.append(
            f"{out}: --now is later than the clock, so {len(report.ahead)} issue(s) not yet due are published here; "
            "build previews into a folder of their own (--out /tmp/preview), never the one you publish")
    return published


#: Slugs the archive's own pages hold (an issue's page would share their folder).
RESERVED_SLUGS = {"tags": "the archive's tag pages (tags/index.html, tags/<tag>/)"}


def check_unique_slugs(published: list[Record], paths: dict[str, Path], errors: list[str] | None = None,
                       refused: list[str] | None = None) -> None:
    """Step 3: no two published issues share a slug (their pages would share a folder), and
    none takes one of :data:`RESERVED_SLUGS`.
    With ``errors`` (a build that keeps going), the older issue is left out of
    ``published`` and its error added there instead (and to ``refused``).

    Raises:
        RefusedError: at the ``slug`` line of the older issue, without ``errors``.
    """
    by_slug: dict[str, str] = dict(RESERVED_SLUGS)
    for rec in list(published):
        if rec.slug in by_slug:
            error = RefusedError(f"slug {rec.slug!r} is already used by {by_slug[rec.slug]}; give this issue its own "
                                "slug", paths[rec.source], key_line(paths[rec.source], "slug"))
            if errors is None:
                raise error
            errors.append(str(error))
            if refused is not None:
                refused.append(str(error))
            published.remove(rec)
            continue
        by_slug[rec.slug] = rec.source


def entry_dates(published: list[Record], history: dict[str, dict[str, str]],
                 now: datetime) -> tuple[dict[str, datetime], dict[str, dict[str, str]]]:
    """Step 4: each published entry's ``updated`` (front-matter ``updated`` when given; else
    the recorded date while its text is unchanged, the build time once it changed).

    Returns:
        id → ``updated``, and the cache's history (id → text hash and ``updated``) with these
        entries recorded.
    """
    history = dict(history)
    updated: dict[str, datetime] = {}
    for rec in published:
        if rec.updated_given:
            when = max(datetime.fromisoformat(rec.updated_given), rec.when)
        else:
            seen = history.get(rec.id)
            if seen is None:
                when = rec.when
            elif seen["text"] == rec.text_sha:
                when = max(datetime.fromisoformat(seen["updated"]), rec.when)
            else:  # edited since: the time of this run (never earlier than the last update)
                when = max(now, rec.when, datetime.fromisoformat(seen["updated"]))
        updated[rec.id] = when
        history[rec.id] = {"text": rec.text_sha, "updated": when.isoformat()}
    return updated, history
