"""The library API behind ``dispatch render``: one parse, every channel, one atomic write."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .assets import Asset, local_assets
from .channels.email import GMAIL_CLIP_BYTES, EmailResult, clip_report, delivered_report, render_email
from .channels.entry import EntryResult, render_entry
from .channels.text import TextResult, render_text
from .channels.thread import Thread, render_threads, threads_json, threads_text
from .config import Settings, load_settings
from .diagnostics import Diagnostic, issue_warnings
from .errors import DispatchError, RenderError
from .model import Issue
from .output import write_folder
from .parse import parse_issue

#: The files ``dispatch render`` writes into ``<out>/<slug>/``.
OUTPUTS = ("email.html", "email.txt", "entry.xml", "thread.json", "thread.txt")


@dataclass
class RenderReport:
    """What a render did.

    Attributes:
        issue: the parsed issue.
        folder: the output folder written.
        sizes: output file name → size in bytes.
        warnings: lines for the user (email near Gmail's clip…).
        timings: step name → seconds (``parse``, ``email``, ``text``, ``feed``, ``thread``,
            ``write``).
        notes: output file name → a remark for its report line (email.html: bytes against
            Gmail's clip, and the platform).
        diagnostics: the warnings as :class:`~dispatch.diagnostics.Diagnostic` objects.
    """

    issue: Issue
    folder: Path
    sizes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass
class Rendered:
    """One issue rendered in memory through every channel (what ``render`` writes, ``check``
    summarises and ``preview`` shows).

    Attributes:
        path: the issue file.
        issue: the parsed issue, or ``None`` when it could not be parsed.
        email, text, entry: each channel's result, or ``None`` when that channel failed.
        threads: one :class:`~dispatch.channels.thread.Thread` per platform (``None``: failed).
        files: output file name → bytes (``email.html``, ``email.txt``, ``entry.xml``,
            ``thread.json``, ``thread.txt``, ``message.eml`` when asked); empty when any
            channel failed.
        assets: the issue's local images.
        diagnostics: every error and warning (:func:`dispatch.diagnostics.issue_warnings`).
        timings: step name → seconds.
    """

    path: Path
    issue: Issue | None = None
    email: EmailResult | None = None
    text: TextResult | None = None
    entry: EntryResult | None = None
    threads: list[Thread] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    assets: list[Asset] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> list[Diagnostic]:
        """The error diagnostics (the issue cannot be rendered as it is)."""
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The warning diagnostics."""
        return [d for d in self.diagnostics if d.severity != "error"]


def render_in_memory(
    path: Path | str,
    settings: Settings,
    *,
    platform: str | None = None,
    eml: bool = False,
    allow_clip: bool = False,
    collect: bool = False,
) -> Rendered:
    """Parse ``path`` once and render every channel in memory; nothing is written.

    Args:
        path: the issue's Markdown file.
        settings: the newsletter's settings.
        platform: sending-platform preset (default ``settings.platform``).
        eml: also build ``message.eml``.
        allow_clip: an email over Gmail's ~102 KB clip is a warning, not an error.
        collect: record every error as a diagnostic and go on with the other channels
            (``check``, ``preview``) instead of raising the first.

    Returns:
        :class:`Rendered`.

    Raises:
        DispatchError: the first input, configuration or layout problem (only when ``collect``
            is false).
    """
    path = Path(path)
    done = Rendered(path)

    def step(name, fn, *args):
        start = time.perf_counter()
        try:
            return fn(*args)
        except DispatchError as exc:
            if not collect:
                raise
            done.diagnostics.extend(Diagnostic.from_errors(exc, "parse" if name == "parse" else "render"))
            return None
        finally:
            done.timings[name] = time.perf_counter() - start

    issue = done.issue = step("parse", parse_issue, path, settings)
    if issue is None:
        return done
    channels = render_channels(issue, settings, platform=platform, allow_clip=allow_clip or collect, timed=step)
    email, done.text, done.entry, done.threads = channels.email, channels.text, channels.entry, channels.threads
    done.email = email
    if email is not None and collect and not allow_clip and email.bytes > GMAIL_CLIP_BYTES:
        done.diagnostics.append(Diagnostic.from_error(RenderError(
            f"the email is {email.bytes:,} bytes, over Gmail's ~102 KB clip ({GMAIL_CLIP_BYTES:,} bytes); "
            "shorten the issue or pass --allow-clip", issue.path), "clip-size"))
    done.assets, asset_warnings = local_assets(issue, settings)
    done.diagnostics += issue_warnings(issue, settings, email=email, threads=done.threads,
                                       asset_warnings=asset_warnings)
    if done.errors:
        return done
    done.files = {
        "email.html": email.html.encode("utf-8"),
        "email.txt": done.text.text.encode("utf-8"),
        "entry.xml": done.entry.xml,
        "thread.json": threads_json(done.threads, issue).encode("utf-8"),
        "thread.txt": threads_text(done.threads).encode("utf-8"),
    }
    if eml:
        from .mail import build_message, message_bytes

        done.files["message.eml"] = message_bytes(build_message(issue, settings, email.document, done.text.text,
                                                                unsubscribe=email.unsubscribe))
    if email.retina_files:
        from .images import retina_copy

        for name, original in email.retina_files.items():
            data = retina_copy(original)
            if data is not None:
                done.files[name] = data
    return done


@dataclass
class Channels:
    """Every channel of one issue, rendered in memory: ``email`` (:func:`render_email`'s
    result), ``text`` (the plain-text part), ``entry`` (the Atom entry), ``threads``."""

    email: EmailResult
    text: TextResult
    entry: EntryResult
    threads: list[Thread]


def render_channels(issue: Issue, settings: Settings, *, platform: str | None = None, allow_clip: bool = False,
                    timed=lambda name, fn, *args: fn(*args)) -> Channels:
    """Render every channel of a parsed ``issue`` in memory, as ``render_issue`` writes them
    (``dispatch publish`` sends exactly this).

    Raises:
        DispatchError: a layout, limit or clip problem (as :func:`render_issue`).
    """
    email = timed("email", lambda: render_email(issue, settings, platform, allow_clip=allow_clip))
    # with a collecting ``timed`` (dispatch check) a failed channel is None and the others go on
    text = timed("text", lambda: render_text(issue, settings, unsubscribe=email.unsubscribe if email else "",
                                                     view_online=email.view_online if email else issue.permalink))
    entry = timed("feed", render_entry, issue, settings)
    threads = timed("thread", render_threads, issue, settings)
    return Channels(email, text, entry, threads)


def render_issue(
    path: Path | str,
    out: Path | str = "dist",
    settings: Settings | None = None,
    *,
    platform: str | None = None,
    eml: bool = False,
    allow_clip: bool = False,
) -> RenderReport:
    """Render ``path`` once (:func:`render_in_memory`) and write every output to
    ``out/<slug>/`` atomically.

    Args:
        path: the issue's Markdown file.
        out: the output root (``dist/`` by default).
        settings: defaults to the nearest ``dispatch.toml`` above ``path``.
        platform: sending-platform preset (:mod:`dispatch.platforms`); default
            ``settings.platform``.
        eml: also write ``message.eml`` (:func:`dispatch.mail.build_message`).
        allow_clip: write an email over Gmail's ~102 KB clip (with a warning) instead of failing.

    Raises:
        DispatchError: any input, configuration or layout problem; nothing is written then.
    """
    path = Path(path)
    settings = settings or load_settings(path.parent)
    done = render_in_memory(path, settings, platform=platform, eml=eml, allow_clip=allow_clip)
    issue, email = done.issue, done.email
    files = dict(done.files)
    notes: list[str] = []
    prefix = issue.meta.slug + "/"
    for asset in done.assets:
        if asset.url_path.startswith(prefix):
            files[asset.url_path[len(prefix):]] = asset.file.read_bytes()
        else:
            notes.append(f"{issue.path}:{asset.line}: {asset.src!r} is published by 'dispatch build' at "
                         f"{settings.base_url.rstrip('/')}/{asset.url_path}, not copied into {out}/{issue.meta.slug}/")
    folder = Path(out) / issue.meta.slug
    start = time.perf_counter()
    sizes = write_folder(folder, files, replaceable=(*OUTPUTS, "message.eml"), protect=[path])
    done.timings["write"] = time.perf_counter() - start
    report = RenderReport(issue, folder, sizes, timings=done.timings,
                          warnings=[str(d) for d in done.warnings] + notes, diagnostics=done.diagnostics)
    report.notes["email.html"] = (f"{clip_report(email.bytes)}, {email.platform.name}; "
                                  f"{delivered_report(email.html, email.platform)}")
    return report
