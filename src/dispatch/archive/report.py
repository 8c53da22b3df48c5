"""What a build tells its caller: :class:`BuildReport`, :class:`OutputError` and the
one-line schedule summary for a cron log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import DispatchError


class OutputError(DispatchError):
    """The output folder cannot take the build: ``--out`` is a file, a file stands where a
    folder is needed (or a folder where a file goes), no permission, a full disk. Raised
    before any output file is replaced."""


@dataclass
class BuildReport:
    """What a build did.

    Attributes:
        out: the output folder.
        now: the instant the schedule was judged at (aware, UTC).
        published: ids of the issues published, newest first.
        changed: output paths (relative to ``out``) written because their bytes changed.
        removed: output paths removed (pages, tag feeds and images no longer produced).
        unchanged: how many output files were left as they were.
        next_due: ``(title, instant)`` of the next scheduled (future, non-draft) issue.
        parsed: how many sources were parsed this run (the rest came from the cache).
        drafts: how many drafts were skipped.
        ahead: ids of the issues published only because ``now`` is later than the clock.
        warnings: ``path:line: message`` lines for the user.
        errors: ``path:line: message`` of each issue that could not be read (a build that
            keeps going, see ``strict``): the rest was built, these were left as published.
        refused: the lines of ``errors`` about issues that read but are refused (placeholder
            text left, an id or slug another issue has: :class:`~dispatch.errors.RefusedError`);
            the others could not be read.
        kept: source keys of the broken issues whose previously published version stays.
        withdrawn: source keys of the broken issues whose previously published version was
            withdrawn because the file is still marked draft.
        seconds: wall-clock duration of the build.
    """

    out: Path
    now: datetime
    published: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    next_due: tuple[str, datetime] | None = None
    parsed: int = 0
    drafts: int = 0
    ahead: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _n(count: int, noun: str, plural: str = "") -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def build_summary(report: BuildReport) -> str:
    """The build's one-line summary: ``3 published (1 of them as last published), 1 draft,
    2 parsed, 4 changed, 9 unchanged, 1 refused, 1 unreadable in 0.42 s``. Issues that read
    but were refused (:attr:`BuildReport.refused`: placeholder text, a duplicate id or slug)
    are counted apart from those that cannot be read; counts of zero broken issues, kept or
    withdrawn versions are left out."""
    kept = f" ({len(report.kept)} of them as last published)" if report.kept else ""
    refused = len(report.refused)
    unreadable = len(report.errors) - refused
    broken = "".join([f", {refused} refused" if refused else "", f", {unreadable} unreadable" if unreadable else "",
                      f", {len(report.withdrawn)} withdrawn (marked draft)" if report.withdrawn else ""])
    return (f"{len(report.published)} published{kept}, {_n(report.drafts, 'draft')}, {report.parsed} parsed, "
            f"{len(report.changed)} changed, {report.unchanged} unchanged{broken} in {report.seconds:.2f} s")


def describe_due(report: BuildReport) -> str:
    """One line for a cron log: when the next scheduled issue becomes due (UTC, RFC 3339),
    or that none is scheduled."""
    if report.next_due is None:
        return "next scheduled issue: none"
    title, when = report.next_due
    wait = when - report.now
    hours = wait.total_seconds() / 3600
    span = f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"
    return f"next scheduled issue: {title!r} due {when.strftime('%Y-%m-%dT%H:%M:%SZ')} (in {span})"
