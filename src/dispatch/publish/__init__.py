"""``dispatch publish``: every configured channel, each post exactly once.

Modules: :mod:`.state` (the state file), :mod:`.http` (requests + urllib3 Retry),
:mod:`.channel` (what a platform module implements), :mod:`.runner` (plan, reconcile, send,
summary), :mod:`.kinds` (the registry), one module per platform (:mod:`.webhook`,
:mod:`.mastodon`, :mod:`.bluesky`, …) and :mod:`.websub` (the hub ping after a build).

Adding a platform: write ``dispatch/publish/<kind>.py`` with a :class:`~.channel.Channel`
subclass (``items``, ``request``, ``accept``, ``find``; see :mod:`.channel`), add a
:class:`~.kinds.Kind` line to :data:`~.kinds.KINDS` naming its secrets, and test it against
a server on loopback. :mod:`.webhook` is the smallest complete example.

Library use::

    from dispatch.publish import publish_issue
    report = publish_issue("issues/2026-05-22-moonshot-moment.md", dry_run=True)
    print("\\n".join(o.line() for o in report.outcomes))
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence

__all__ = ["PublishReport", "publish_issue", "make_channel", "parse_schedule"]


@dataclass
class PublishReport:
    """What ``publish_issue`` did: ``outcomes`` (one per channel, in order), ``state_path``
    (the state file), ``warnings`` (the render's, e.g. mentions)."""

    outcomes: list
    state_path: Path
    warnings: list[str]

    @property
    def failed(self) -> bool:
        """Whether any channel failed (the CLI then exits 1)."""
        return any(o.status == "failed" for o in self.outcomes)


def make_channel(name: str, config, ctx, http=None):
    """The :class:`~.channel.Channel` for ``[publish.<name>]`` (its module imported on demand)."""
    from .http import Http
    from .kinds import KINDS

    kind = KINDS[config.kind]
    cls = getattr(importlib.import_module(kind.module), kind.cls)
    if http is None:
        opts = config.options
        http = Http(retries=int(opts.get("retries", 4)), backoff=float(opts.get("backoff", 0.5)),
                    timeout=float(opts.get("timeout", 30)))
    return cls(name, config, ctx, http)


def parse_schedule(value: str | None, tz) -> datetime | None:
    """``--schedule`` as an aware datetime (ISO 8601; without an offset it is in ``tz``).

    Raises:
        DispatchError: not an ISO 8601 date and time.
    """
    from ..errors import DispatchError

    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise DispatchError(f"--schedule {value!r} is not an ISO 8601 date and time; write e.g. "
                            "2026-05-22T07:00+12:00") from None
    return when if when.tzinfo else when.replace(tzinfo=tz)


def publish_issue(path: Path | str, settings=None, *, out: Path | str = "dist", to: Sequence[str] | None = None,
                  dry_run: bool = False, force: bool = False, schedule: str | None = None, env: Any = None,
                  progress: Callable | None = None, http_factory: Callable | None = None) -> PublishReport:
    """Publish the issue at ``path`` to its ``[publish.*]`` channels (or only those in ``to``).

    Args:
        out: the render output root; the state file is ``<out>/<slug>.publish.json``.
        to: channel names to publish to (default: every configured channel).
        dry_run: print-only: each channel's requests, nothing sent, no state written.
        force: publish an edited issue again as new items (see :mod:`.runner`).
        schedule: ISO 8601 time for a scheduled send (channels that cannot schedule skip).
        env: where secrets are read (default ``os.environ``).
        progress: ``progress(channel_name, total) -> tick()`` for a progress display.
        http_factory: ``(name, config) -> Http`` (tests use it for fast retries).

    Raises:
        DispatchError: bad input or configuration (no channels, an unknown ``--to`` name, a
            file ``build`` would not read as an issue: :func:`dispatch.source.not_an_issue`),
            or the state file cannot be written.
    """
    import os

    from ..config import load_settings
    from ..errors import DispatchError
    from ..parse import parse_issue
    from .channel import Context
    from .runner import publish
    from .state import PublishState, state_path

    path = Path(path)
    settings = settings or load_settings(path.parent)
    configured = dict(settings.publish)
    if not configured:
        raise DispatchError("no channels to publish to: add a [publish.<name>] table (kind, endpoint, account) "
                            "to dispatch.toml; `dispatch config` lists the settings", settings.path)
    names = list(configured)
    if to:
        unknown = [n for n in to if n not in configured]
        if unknown:
            raise DispatchError(f"--to {', '.join(unknown)}: no such channel; configured: {', '.join(configured)}",
                                settings.path)
        names = [n for n in names if n in to]
    from ..source import not_an_issue

    reason = not_an_issue(path, source_format=settings.source.format, max_bytes=settings.limits.issue_bytes)
    if reason:  # what build leaves out of the archive is not posted either (the thread links to its page)
        raise DispatchError(reason, path)
    issue = parse_issue(path, settings)
    if issue.meta.draft and not dry_run:
        raise DispatchError("is a draft (draft: true); remove the draft key to publish it", path)
    ctx = Context(issue, settings, path, parse_schedule(schedule, settings.tz), env if env is not None else os.environ)
    channels = [make_channel(n, configured[n], ctx, http_factory(n, configured[n]) if http_factory else None)
                for n in names]
    spath = state_path(Path(out), issue.meta.slug)
    if dry_run:
        state = PublishState(spath, issue.meta.id, issue.meta.slug)
        if spath.exists():
            with PublishState.open(spath, issue.meta.id, issue.meta.slug) as state:
                pass
        outcomes = publish(channels, state, dry=True, force=force)
    else:
        with PublishState.open(spath, issue.meta.id, issue.meta.slug) as state:
            outcomes = publish(channels, state, force=force, progress=progress)
    warnings = list(issue.warnings) + [w for _, w in issue.coded_warnings]
    now = datetime.now(issue.meta.date.tzinfo)
    if issue.meta.date > now and ctx.schedule is None:
        warnings.append(f"{path}: the issue is dated {issue.meta.date.isoformat()}, after now: `dispatch build` "
                        f"leaves it out of the archive until then, so {issue.permalink} (which the threads link to) "
                        "does not exist yet")
    return PublishReport(outcomes, spath, warnings)
