"""How an attachment (:class:`dispatch.model.Attachment`) reads in the channels without a
player, the email and its text part: a link paragraph with its format, size and duration."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from .model import Attachment, Link, Paragraph, Strong, Text


_ACTION = {"audio": "Listen", "video": "Watch", "file": "Download"}
_SHORT = {"audio/mpeg": "MP3", "audio/mp4": "M4A", "video/mp4": "MP4", "audio/ogg": "Ogg", "video/webm": "WebM",
          "audio/webm": "WebM", "audio/wav": "WAV", "audio/flac": "FLAC", "audio/aac": "AAC", "video/ogg": "Ogg",
          "video/quicktime": "QuickTime", "application/pdf": "PDF", "application/epub+zip": "EPUB"}


def describe(a: Attachment) -> str:
    """``"MP3 audio, 17.5 MB, 21 min"``: format, size (decimal megabytes, as podcast apps
    show it; omitted when unknown) and duration (when given)."""
    kind = {"audio": "audio", "video": "video"}.get(a.kind, "file")
    parts = [f"{_SHORT.get(a.mime, a.mime)} {kind}"]
    if a.length:
        parts.append(f"{a.length / 1_000_000:.1f} MB" if a.length >= 100_000 else f"{a.length / 1000:.0f} kB")
    if a.duration:
        minutes, seconds = divmod(a.duration, 60)
        parts.append(f"{minutes} min" if minutes >= 10 or not seconds else f"{minutes}:{seconds:02d} min")
    return ", ".join(parts)


def attachment_blocks(attachments: tuple[Attachment, ...]) -> tuple[Paragraph, ...]:
    """The attachments as model paragraphs, ``**Listen:** [title](url) (MP3 audio, 17.5 MB)``,
    for the channels without a player (the email and its text part): each channel renders
    them like any paragraph, links, tracking parameters and link list included."""
    out = []
    for a in attachments:
        title = a.title or {"audio": "the audio edition", "video": "the video"}.get(
            a.kind, Path(urlsplit(a.url).path).name or a.url)
        out.append(Paragraph((Strong((Text(_ACTION[a.kind] + ":"),)), Text(" "), Link((Text(title),), a.url),
                              Text(f" ({describe(a)})"))))
    return tuple(out)
