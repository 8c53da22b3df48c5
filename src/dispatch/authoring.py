"""The authoring loop around ``dispatch render``: start an issue, check it, re-render it on
every save."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

from .config import Settings
from .errors import DispatchError, SourceError
from .output import write_file
from .frontmatter import fallback_slug
from .textutil import slugify

SCAFFOLD = """\
---
title: "{title}"
date: {date}
id: {id}
slug: {slug}
tags: []
draft: true
---

The lead: what happened, in two or three sentences.

## 🔍 The Bottom Line

The one-paragraph takeaway (email preheader, feed summary, first post of the thread).

## ❓ Frequently Asked Questions

Q: What does this mean for readers? The answer.

## 📊 By the Numbers

| Metric | Value |
|---|---|
| First number | its value |

## A story

Ordinary sections are any other heading.

## 🌏 NZ Lens: What it means here

The regional take: the region is the word before "Lens".

## 📰 Sources

- [Name](https://example.com/)
"""


def new_issue(title: str, folder: Path, settings: Settings, now: datetime | None = None) -> Path:
    """Write a new draft issue ``folder/YYYY-MM-DD-<slug>.md`` with every component heading and
    a permanent ``id`` (a random ``urn:uuid:``, so later slug or title edits keep it).

    Returns:
        the path written.

    Raises:
        SourceError: the title gives no usable slug, or the file already exists (nothing is
            overwritten).
    """
    now = now or datetime.now(settings.tz)
    if not title.strip():
        raise SourceError("give the new issue a title: dispatch new \"The title\"")
    slug = slugify(title) or fallback_slug(title, now)
    path = folder / f"{now:%Y-%m-%d}-{slug}.md"
    if path.exists():
        raise SourceError("already exists; pick another title or edit that file", path)
    safe_title = title.replace("\\", "\\\\").replace('"', '\\"')
    try:
        write_file(path, SCAFFOLD.format(title=safe_title, date=f"{now:%Y-%m-%d %H:%M}", slug=slug,
                                          id=uuid.uuid4().urn).encode("utf-8"))
    except OSError as exc:
        raise SourceError(f"cannot write the new issue: {exc.strerror}", path) from None
    return path


@dataclass
class CheckReport:
    """What ``dispatch check`` found: ``lines`` to show (one per output), ``warnings``."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_issue(path: Path, settings: Settings) -> CheckReport:
    """Parse and render ``path`` in memory (nothing written) and summarise each channel.

    Raises:
        DispatchError: the same errors ``dispatch render`` would give.
    """
    from .channels.email import clip_report, render_email, write_hint
    from .channels.entry import render_entry
    from .channels.text import render_text
    from .channels.thread import render_threads
    from .parse import parse_issue
    from .textutil import width

    issue = parse_issue(path, settings)
    report = CheckReport()
    kinds = [s.kind for s in issue.sections if s.is_component]
    report.lines.append(
        f"{path}: '{issue.meta.title}', {issue.meta.date:%Y-%m-%d %H:%M %Z}, {_count(len(issue.sections), 'section')}"
        f"; components: {', '.join(kinds) or 'none'}{'; draft' if issue.meta.draft else ''}"
    )
    report.warnings.extend(issue.warnings)
    email = render_email(issue, settings)
    report.lines.append(f"email.html: {clip_report(email.bytes)}")
    report.warnings.extend(email.warnings)
    hint = write_hint(Path("email.html"), email.bytes)
    if hint:
        report.warnings.append(hint)
    text = render_text(issue, settings, unsubscribe=email.unsubscribe, view_online=email.view_online).text
    wide = [n for n, line in enumerate(text.splitlines(), 1) if width(line) > 78]
    report.lines.append(
        f"email.txt: {_count(len(text.splitlines()), 'line')}"
        + (f"; over 78 columns (a URL or code that cannot wrap): line {', '.join(map(str, wide))}" if wide else "")
    )
    render_entry(issue, settings)
    report.lines.append(f"entry.xml: id {issue.meta.id}")
    for thread in render_threads(issue, settings):
        longest = max(p.length for p in thread.posts)
        report.lines.append(
            f"thread {thread.platform}: {_count(len(thread.posts), 'post')}, longest {longest}/{thread.limit} {thread.unit}"
        )
    if not issue.bottom_line:
        report.warnings.append(
            f"{path}: no Bottom Line section; the preheader and thread hook fall back to the summary"
        )
    return report


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def watch(paths: Iterable[Path], action: Callable[[], None], on_error: Callable[[DispatchError], None],
          interval: float = 0.5, stop: Callable[[], bool] = lambda: False) -> None:
    """Run ``action`` now and again whenever a file under ``paths`` changes (polling mtimes
    every ``interval`` seconds; no extra dependency). Errors go to ``on_error`` and the loop
    goes on; ``stop()`` returning True ends it."""
    def snapshot() -> dict[Path, float]:
        seen: dict[Path, float] = {}
        for root in paths:
            files = [root] if root.is_file() else (p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
            for f in files:
                try:
                    seen[f] = f.stat().st_mtime_ns
                except OSError:
                    continue
        return seen

    last: dict[Path, float] | None = None
    while not stop():
        current = snapshot()
        if current != last:
            last = current
            try:
                action()
            except DispatchError as exc:
                on_error(exc)
        time.sleep(interval)
