"""The library API behind ``dispatch render``: one parse, every channel, one atomic write."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .channels.email import clip_report, render_email, write_hint
from .channels.entry import render_entry
from .channels.text import render_text
from .channels.thread import mention_warnings, render_threads, threads_json, threads_text
from .config import Settings, load_settings
from .model import Issue
from .assets import local_assets
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
    """

    issue: Issue
    folder: Path
    sizes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class Channels:
    """Every channel of one issue, rendered in memory: ``email`` (:func:`render_email`'s
    result), ``text`` (the plain-text part), ``entry`` (the Atom entry), ``threads``."""

    email: object
    text: object
    entry: object
    threads: list


def render_channels(issue: Issue, settings: Settings, *, platform: str | None = None, allow_clip: bool = False,
                    timed=lambda name, fn, *args: fn(*args)) -> Channels:
    """Render every channel of a parsed ``issue`` in memory, as ``render_issue`` writes them
    (``dispatch publish`` sends exactly this).

    Raises:
        DispatchError: a layout, limit or clip problem (as :func:`render_issue`).
    """
    email = timed("email", lambda: render_email(issue, settings, platform, allow_clip=allow_clip))
    text = timed("text", lambda: render_text(issue, settings, unsubscribe=email.unsubscribe,
                                                     view_online=email.view_online))
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
    """Parse ``path`` once and write every output to ``out/<slug>/`` atomically.

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
    timings: dict[str, float] = {}

    def timed(name, fn, *args):
        start = time.perf_counter()
        result = fn(*args)
        timings[name] = time.perf_counter() - start
        return result

    issue = timed("parse", parse_issue, path, settings)
    channels = render_channels(issue, settings, platform=platform, allow_clip=allow_clip, timed=timed)
    email, text, entry, threads = channels.email, channels.text, channels.entry, channels.threads
    files = {
        "email.html": email.html.encode("utf-8"),
        "email.txt": text.text.encode("utf-8"),
        "entry.xml": entry.xml,
        "thread.json": threads_json(threads, issue).encode("utf-8"),
        "thread.txt": threads_text(threads).encode("utf-8"),
    }
    if eml:
        from .mail import build_message, message_bytes

        files["message.eml"] = message_bytes(build_message(issue, settings, email.document, text.text))
    assets, asset_warnings = local_assets(issue, settings)
    prefix = issue.meta.slug + "/"
    for asset in assets:
        if asset.url_path.startswith(prefix):
            files[asset.url_path[len(prefix):]] = asset.file.read_bytes()
        else:
            asset_warnings.append(f"{issue.path}:{asset.line}: {asset.src!r} is published by 'dispatch build' at "
                                  f"{settings.base_url.rstrip('/')}/{asset.url_path}, not copied into {out}/{issue.meta.slug}/")
    folder = Path(out) / issue.meta.slug
    sizes = timed("write", lambda: write_folder(folder, files, replaceable=(*OUTPUTS, "message.eml"), protect=[path]))
    report = RenderReport(issue, folder, sizes, timings=timings, warnings=[*issue.warnings, *asset_warnings, *email.warnings,
                                    *mention_warnings(threads, issue)])
    report.notes["email.html"] = f"{clip_report(email.bytes)}, {email.platform.name}"
    hint = write_hint(folder / "email.html", email.bytes)
    if hint:
        report.warnings.append(hint)
    return report
