"""The authoring loop around ``dispatch render``: start an issue, check it, re-render it on
every save."""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .config import Settings
from .errors import DispatchError, SourceError
from .output import write_file
from .frontmatter import fallback_slug
from .gitignore import GitignoreResult, ensure_gitignore
from .scaffold import CONFIG_TEMPLATE, SCAFFOLD
from .textutil import slugify

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
class InitResult:
    """What ``dispatch init`` wrote: ``config`` (the ``dispatch.toml``), ``draft`` (the first
    issue), ``timezone`` and ``language`` as detected or given, ``gitignore`` (what
    :func:`dispatch.gitignore.ensure_gitignore` did; ``None`` when it could not write)."""

    config: Path
    draft: Path
    timezone: str
    language: str
    gitignore: "GitignoreResult | None" = None


def system_timezone() -> str:
    """The computer's IANA time zone name (tzlocal reads ``TZ``, ``/etc/localtime``,
    ``/etc/timezone`` and the Windows registry), or ``"UTC"`` when it cannot tell."""
    try:
        import tzlocal

        name = tzlocal.get_localzone_name()
    except Exception:  # noqa: BLE001 - tzlocal raises several kinds for an unset zone
        return "UTC"
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name or "")
    except Exception:  # noqa: BLE001 - an unknown or empty name
        return "UTC"
    return name


def system_language() -> str:
    """The user's language as a BCP 47 tag from the locale (``LC_ALL``/``LC_MESSAGES``/``LANG``:
    ``en_NZ.UTF-8`` → ``en-NZ``), or ``"en"``."""
    import os

    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        m = re.match(r"^([a-z]{2,3})(?:_([A-Z]{2}))?", value)
        if m and value not in ("C", "POSIX"):
            return m.group(1) + (f"-{m.group(2)}" if m.group(2) else "")
    return "en"


def init_argument_errors(*, timezone: str = "", language: str = "", base_url: str = "") -> list[DispatchError]:
    """What is wrong with ``dispatch init``'s arguments (empty ones take defaults and are
    fine), one :class:`~dispatch.errors.ConfigError` per argument naming its option:

    * ``--timezone`` must be a time zone of the IANA database (:mod:`zoneinfo`), the closest
      name suggested (``Pacific/Aukland`` → ``Pacific/Auckland``);
    * ``--language`` must be a BCP 47 tag of a language CLDR has data for (Babel's
      ``Locale.parse``: ``xx-notalang`` is not one), since dates and the layout's words are
      written in it and it goes into ``<html lang>``;
    * ``--url`` must be an absolute http(s) URL (the rule ``dispatch.toml`` is held to).
    """
    from difflib import get_close_matches
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    from .errors import ConfigError

    out: list[DispatchError] = []
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            close = get_close_matches(timezone, sorted(available_timezones()), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "e.g. 'Pacific/Auckland' or 'UTC'"
            out.append(ConfigError(f"--timezone {timezone!r} is not a time zone of the IANA database; {hint}"))
    if language:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(language, sep="-")
            known = bool(re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", language))
        except (UnknownLocaleError, ValueError, TypeError):
            known = False
        if not known:
            out.append(ConfigError(f"--language {language!r} is not a language tag CLDR knows; write a BCP 47 tag "
                                   "such as 'en', 'en-NZ' or 'zh-Hans'"))
    if base_url and not re.match(r"^https?://[^/\s]+", base_url):
        out.append(ConfigError(f"--url {base_url!r} is not an absolute http(s) URL; write e.g. "
                               "'https://briefing.example.org/'"))
    return out


def init_newsletter(folder: Path, *, site_name: str = "", base_url: str = "", timezone: str = "",
                    language: str = "", platform: str = "generic", title: str = "Our first issue",
                    now: datetime | None = None) -> InitResult:
    """Start a newsletter in ``folder``: a commented ``dispatch.toml``, ``issues/`` with a
    first draft (:func:`new_issue`) and a ``.gitignore`` keeping the build cache (drafts' full
    text), ``dist/`` and ``public/`` out of git (an existing one only gets the lines it
    lacks). Nothing existing is overwritten.

    Args:
        folder: where to create it (made when missing).
        site_name: default: the folder's name in title case.
        base_url: default ``https://example.com/`` (to be changed before publishing).
        timezone: default :func:`system_timezone`.
        language: default :func:`system_language`.
        platform: the sending platform preset.

    Raises:
        ConfigError: ``folder`` already has a ``dispatch.toml``, or an argument is invalid
            (:func:`init_argument_errors`: checked before anything is written, every bad one
            named in ``errors``); nothing is left behind.
    """
    import tomli_w

    from .config import CONFIG_NAME, DEFAULT_BASE_URL, load_settings
    from .errors import ConfigError

    config = folder / CONFIG_NAME
    if config.exists():
        raise ConfigError("already exists; this folder is a newsletter already (dispatch config shows its settings)",
                          config)
    problems = init_argument_errors(timezone=timezone, language=language, base_url=base_url)
    if problems:
        first = problems[0]
        first.errors = problems  # type: ignore[attr-defined] - every bad argument, a line each
        raise first
    timezone = timezone or system_timezone()
    language = language or system_language()
    name = site_name or (folder.resolve().name.replace("-", " ").replace("_", " ").title() or "My Newsletter")

    def q(value: str) -> str:
        return tomli_w.dumps({"v": value}).split(" = ", 1)[1].strip()

    text = CONFIG_TEMPLATE.format(name=q(name), url=q(base_url or DEFAULT_BASE_URL), timezone=q(timezone),
                                  language=q(language), platform=q(platform))
    try:
        write_file(config, text.encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot write the settings: {exc.strerror}", config) from None
    try:
        settings = load_settings(config_path=config)
    except DispatchError:
        config.unlink()
        raise
    issues = folder / "issues"
    draft = new_issue(title, issues, settings, now=now)
    try:
        ignored = ensure_gitignore(folder)
    except OSError:
        ignored = None
    return InitResult(config, draft, timezone, language, ignored)


@dataclass
class CheckReport:
    """What ``dispatch check`` found.

    Attributes:
        lines: one summary line per issue and output, for people.
        diagnostics: every error and warning (:mod:`dispatch.diagnostics`), in order.
        issues: per issue file, a JSON-ready summary (``path``, ``title``, ``date``, ``status``,
            ``outputs``); for ``--format json``.
    """

    lines: list[str] = field(default_factory=list)
    diagnostics: list = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """The warnings as ``path:line: message`` lines."""
        return [str(d) for d in self.diagnostics if d.severity != "error"]

    @property
    def errors(self) -> list[str]:
        """The errors as ``path:line: message`` lines."""
        return [str(d) for d in self.diagnostics if d.severity == "error"]

    def as_json(self) -> dict:
        """``{"issues": [...], "diagnostics": [...], "errors": n, "warnings": n}``."""
        return {"issues": self.issues, "diagnostics": [d.as_dict() for d in self.diagnostics],
                "errors": len(self.errors), "warnings": len(self.warnings)}


def check_issue(path: Path, settings: Settings, report: CheckReport | None = None,
                now: datetime | None = None, *, single: bool = True) -> CheckReport:
    """Render ``path`` in memory through every channel (nothing written), summarise each
    output and collect every error and warning of the issue in one run (a broken channel does
    not hide the others' findings). A file named alone (``single``) that a folder's build
    would skip (:func:`dispatch.source.not_an_issue`) is checked, with a ``not-an-issue``
    warning saying so.

    Returns:
        ``report`` (or a new :class:`CheckReport`) with this issue's lines and diagnostics
        added; it raises nothing for the issue's own problems, which are error diagnostics.
    """
    from .channels.email import GMAIL_CLIP_BYTES, clip_report, delivered_by_platform
    from .diagnostics import status
    from .render import render_in_memory
    from .textutil import width

    report = report if report is not None else CheckReport()
    now = now or datetime.now(settings.tz)
    done = render_in_memory(path, settings, collect=True)
    if single:
        from .diagnostics import Diagnostic
        from .source import not_an_issue

        report.diagnostics.extend(_cache_diagnostics(settings))

        reason = not_an_issue(path, source_format=settings.source.format, max_bytes=settings.limits.issue_bytes)
        if reason:
            report.diagnostics.append(Diagnostic("warning", "not-an-issue",
                                                 f"build and publish leave this file out: {reason}", str(path)))
    told = set(report.diagnostics)  # a warning about the settings (base_url…) is told once a run
    report.diagnostics.extend(d for d in done.diagnostics if d not in told)
    issue = done.issue
    summary: dict = {"path": str(path), "errors": len(done.errors), "warnings": len(done.warnings), "outputs": {}}
    report.issues.append(summary)
    if issue is None:
        return report
    kinds = [s.kind for s in issue.sections if s.is_component]
    state = status(issue, now)
    summary.update(title=issue.meta.title, date=issue.meta.date.isoformat(), slug=issue.meta.slug,
                   id=issue.meta.id, status=state, components=kinds)
    report.lines.append(
        f"{path}: '{issue.meta.title}', {issue.meta.date:%Y-%m-%d %H:%M %Z}, {_count(len(issue.sections), 'section')}"
        f"; components: {', '.join(kinds) or 'none'}; {state}"
    )
    outputs = summary["outputs"]
    if done.email is not None:
        report.lines.append(f"email.html: {clip_report(done.email.bytes)}")
        delivered = delivered_by_platform(issue, settings)
        report.lines.append("delivered with click tracking (estimate, against the clip): "
                            + ", ".join(f"{name} ≈ {size:,} bytes ({size * 100 // GMAIL_CLIP_BYTES}%)"
                                        for name, size in delivered.items()))
        outputs["email.html"] = {"bytes": done.email.bytes, "platform": done.email.platform.name,
                                 "delivered": delivered}
    if done.text is not None:
        text = done.text.text
        wide = [n for n, line in enumerate(text.splitlines(), 1) if width(line) > 78]
        report.lines.append(
            f"email.txt: {_count(len(text.splitlines()), 'line')}"
            + (f"; over 78 columns (a URL or code that cannot wrap): line {', '.join(map(str, wide))}" if wide else "")
        )
        outputs["email.txt"] = {"lines": len(text.splitlines()), "wide_lines": wide}
    if done.entry is not None:
        report.lines.append(f"entry.xml: id {issue.meta.id}")
        outputs["entry.xml"] = {"id": issue.meta.id}
    for thread in done.threads or ():
        longest = max(p.length for p in thread.posts)
        report.lines.append(
            f"thread {thread.platform}: {_count(len(thread.posts), 'post')}, longest {longest}/{thread.limit} {thread.unit}"
        )
        outputs[f"thread {thread.platform}"] = {"posts": len(thread.posts), "longest": longest,
                                                "limit": thread.limit, "unit": thread.unit}
    from .diagnostics import Diagnostic
    from .structure import explain_structure

    report.diagnostics.extend(Diagnostic.from_line(w, "structure") for w in explain_structure(issue, settings))
    return report


def check_folder(folder: Path, settings: Settings, now: datetime | None = None) -> CheckReport:
    """:func:`check_issue` for every issue file of ``folder`` (as ``build`` finds them), then
    what only the folder shows: duplicate ids and slugs, two issues scheduled for one instant
    (:func:`dispatch.diagnostics.folder_diagnostics`).

    Raises:
        SourceError: ``folder`` is not a folder or holds no issue file.
    """
    from .diagnostics import Diagnostic, folder_diagnostics
    from .source import find_issue_files

    if not folder.is_dir():
        raise SourceError("is not a folder of issues", folder)
    found = find_issue_files(folder, settings.source.format, settings.limits.issue_bytes)
    paths = found.files
    if not paths:
        skipped = f" ({len(found.skipped)} .txt skipped: {found.skipped_lines()[0]})" if found.skipped else ""
        raise SourceError(f"holds no issue files (*.md){skipped}; start one with 'dispatch new \"Title\" --dir "
                          f"{folder}'", folder)
    now = now or datetime.now(settings.tz)
    report = CheckReport()
    report.diagnostics.extend(_cache_diagnostics(settings))
    report.diagnostics.extend(Diagnostic("warning", "not-an-issue", f"skipped: {reason}", str(path))
                              for path, reason in found.skipped)
    parsed = []
    for path in paths:
        check_issue(path, settings, report, now, single=False)
    from .parse import parse_issue

    for path in paths:
        try:
            parsed.append(parse_issue(path, settings))
        except DispatchError:
            continue  # already reported by check_issue
    report.diagnostics.extend(folder_diagnostics(parsed, now))
    states = [s.get("status") for s in report.issues]
    report.lines.append(f"{folder}: {_count(len(paths), 'issue')}: {states.count('published')} published, "
                        f"{states.count('scheduled')} scheduled, {_count(states.count('draft'), 'draft')}")
    return report


def _cache_diagnostics(settings: Settings) -> list:
    """A ``cache-not-ignored`` warning when git would push the build cache (drafts' full text):
    :func:`dispatch.gitignore.cache_git_warning`."""
    from .diagnostics import Diagnostic
    from .gitignore import cache_git_warning, settings_cache

    cache = settings_cache(settings)
    warning = cache_git_warning(cache)
    return [Diagnostic("warning", "cache-not-ignored", warning, str(cache))] if warning else []


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


#: Names editors and tools give their scratch copies, beyond watchfiles' own defaults
#: (``DefaultFilter``: ``.swp``, ``~``, ``.#lock``, JetBrains' ``___jb_tmp___``…): hidden files,
#: ``sed -i``'s ``sedXXXXXX``, Vim's ``4913`` probe, Emacs' ``#autosave#``, ``.bak``,
#: ``.orig``, ``.rej``, ``.tmp``, ``.part``, ``.crdownload``, Kate's ``.kate-swp``.
SCRATCH_NAMES = (r"^\.", r"^sed[A-Za-z0-9]{6}$", r"^4913$", r"^#.*#$",
                 r"\.(?:bak|orig|rej|tmp|temp|part|crdownload|kate-swp)$")


def scratch_file(path: Path | str) -> bool:
    """Whether ``path`` names an editor's or tool's temporary, backup or hidden file (by its
    name alone, in any folder under the watched ones): a save never means such a file, so
    ``watch`` and ``preview`` neither react to it nor report it. Rules: watchfiles'
    ``DefaultFilter`` patterns and folders (``.git``, ``__pycache__``…), plus
    :data:`SCRATCH_NAMES`."""
    from watchfiles import DefaultFilter

    parts = Path(path).parts
    name = parts[-1] if parts else ""
    if any(part in DefaultFilter.ignore_dirs for part in parts[:-1]):
        return True
    return any(re.search(p, name) for p in (*DefaultFilter.ignore_entity_patterns, *SCRATCH_NAMES))


def stop_on_sigterm() -> None:
    """Make ``SIGTERM`` stop this process the way Ctrl-C does (a ``KeyboardInterrupt`` in the
    main thread), for the long-running ``watch`` and ``preview``: a render in progress then
    removes what it staged and the file watcher closes, where the default action would end
    the process on the spot. ``SIGTERM`` is what ``kill``, service managers and test runners
    send; ``SIGINT`` cannot serve them, because a process started in the background by a
    non-interactive shell (``sh -c 'dispatch watch … &'``, CI scripts) inherits it ignored
    and Python then never turns it into ``KeyboardInterrupt`` (POSIX: an ignored signal stays
    ignored across ``exec``). A ``SIGTERM`` handler someone else set is left alone. Call it
    from the main thread."""
    import signal

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, interrupt)


def file_changes(paths: Iterable[Path], *, recursive: bool | None = None,
                 wanted: Callable[[Path], bool] | None = None, stop: "threading.Event | None" = None,
                 debounce_ms: int = 150) -> Iterator[list[Path]]:
    """The one wrapper of watchfiles that ``watch`` and ``preview`` share: yields ``[]`` once
    the operating system's watches are in place (so work done then cannot miss a save that
    follows), then, after each burst of changes, the changed paths (resolved, sorted), until
    ``stop`` is set or Ctrl-C (``KeyboardInterrupt``, in the main thread).

    Args:
        paths: files and folders. A file is watched through its folder, so an editor's
            save-by-rename is seen too; only changes of the files themselves, or of anything
            under the folders, are reported.
        recursive: watch the folders' subfolders too (default: when any folder is given).
        wanted: a further test of a changed path (``preview``: what can change a page).
        debounce_ms: a burst of saves within this many milliseconds is one change.

    Editors' temporary, backup and hidden files (:func:`scratch_file`) are never reported.
    Changes come from inotify, FSEvents or kqueue through watchfiles (polling where none
    work). Nothing is yielded when ``paths`` is empty.
    """
    import watchfiles

    paths = [Path(p).resolve() for p in paths]
    files = {p for p in paths if not p.is_dir()}
    folders = [p for p in paths if p.is_dir()]
    roots = sorted({p.parent for p in files} | set(folders))
    if not roots:
        return

    def keep(_change, raw: str) -> bool:
        p = Path(raw)
        return (not scratch_file(p) and (p in files or any(p.is_relative_to(f) for f in folders))
                and (wanted is None or wanted(p)))

    ready = False
    # yield_on_timeout: the first (empty) yield comes once the watches are in place
    for changes in watchfiles.watch(*roots, watch_filter=keep, debounce=debounce_ms, step=30, stop_event=stop,
                                    recursive=bool(folders) if recursive is None else recursive,
                                    rust_timeout=200, yield_on_timeout=True, raise_interrupt=True):
        if not ready:
            ready = True
            yield []
        if changes:
            yield sorted({Path(p) for _change, p in changes})


def watch(paths: Iterable[Path], action: Callable[[], None], on_error: Callable[[DispatchError], None], *,
          stop: "threading.Event | None" = None, debounce_ms: int = 150) -> None:
    """Run ``action`` now and again after every change of a file in ``paths`` (files, or
    folders watched recursively), until ``stop`` is set or Ctrl-C (:func:`file_changes`).
    A :class:`~dispatch.errors.DispatchError` from ``action`` goes to ``on_error`` and the loop
    goes on.
    """
    def run() -> None:
        try:
            action()
        except DispatchError as exc:
            on_error(exc)

    ran = False
    for _changed in file_changes(paths, stop=stop, debounce_ms=debounce_ms):
        ran = True
        run()  # once when watching starts, then after each change
    if not ran and not (stop is not None and stop.is_set()):
        run()  # nothing to watch: render once
