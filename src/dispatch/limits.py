"""Bounded work on any input: the guards that keep one issue from hanging or exhausting memory.

Each guard stops the issue with one :class:`~dispatch.errors.SourceError` naming the line and
the ``[limits]`` setting (:class:`dispatch.config.LimitSettings`) that was passed:

* :func:`read_issue_bytes` — only a regular file, never a FIFO, device or socket (reading one
  blocks forever or never ends), never a symlink that leads out of the newsletter folder, and
  at most ``issue_bytes`` bytes;
* :func:`check_body` — nesting of quotes and lists at most ``nesting`` levels (Python-Markdown
  recurses once per level and needs about 1.7 MB per level), no grapheme longer than
  ``grapheme_chars`` code points;
* :func:`escape_unmatched_brackets` — a paragraph full of ``[`` that can never open a link is
  read linearly (Python-Markdown scans to the paragraph's end for each one: quadratic);
* :func:`markdown_budget` — a time budget for Python-Markdown itself, the backstop for every
  other quadratic input (``[\\[`` repeated, ``![[``, ``[^``…);
* :func:`check_instant` — dates between the years 1000 and 9998, so that converting them to
  any time zone, to UTC or to RFC 3339/RFC 822 text cannot overflow.
"""

from __future__ import annotations

import os
import stat
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import regex

from .errors import SourceError

#: Earliest and latest instants accepted anywhere (front matter, ``--now``): four-digit
#: years (RFC 3339 §5.6) with a day to spare on each side for time-zone offsets.
#: The most values (scalars, lists and mappings, each alias counted as what it repeats) the
#: YAML front matter of one issue may hold: a real issue has a few dozen; YAML aliases can
#: make a few lines stand for billions ("billion laughs"), which no step may expand.
FRONT_MATTER_VALUES = 10_000
EARLIEST = datetime(1000, 1, 2, tzinfo=timezone.utc)
LATEST = datetime(9998, 12, 31, tzinfo=timezone.utc)


def check_instant(when: datetime, what: str, path: Path | str | None = None, line: int | None = None) -> datetime:
    """Return ``when`` (aware) if it lies between :data:`EARLIEST` and :data:`LATEST`.

    Raises:
        SourceError: it does not (``date: 0001-01-01``, ``9999-12-31T23:59-05:00``), naming
            ``path:line`` and ``what`` (e.g. ``"date '0001-01-01'"``).
    """
    try:
        ok = EARLIEST <= when <= LATEST
    except OverflowError:  # pragma: no cover - comparing aware datetimes converts to UTC
        ok = False
    if not ok:
        raise SourceError(f"{what} is out of range; dates must lie between the years "
                          f"{EARLIEST.year} and {LATEST.year}", path, line)
    return when


def _inside(target: Path, folder: Path) -> bool:
    try:
        target.relative_to(folder)
        return True
    except ValueError:
        return False


def read_issue_bytes(path: Path, root: Path | None = None, max_bytes: int = 1_048_576) -> bytes:
    """The bytes of the issue file ``path``, read only if it is safe to read.

    Args:
        path: the issue file as named (on the command line or found in the issues folder).
        root: the newsletter folder; when given, a symlink at ``path`` must lead to a file
            inside it. ``None``: no symlink check (the caller checked already).
        max_bytes: ``[limits] issue_bytes``.

    Raises:
        SourceError: missing, a folder, not a regular file (FIFO, device, socket), a symlink
            leading out of the folder, larger than ``max_bytes``, or unreadable.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SourceError("no such file; check the path (issues live in issues/)", path) from None
    except OSError as exc:
        raise SourceError(f"cannot read the file: {exc.strerror}", path) from None
    if stat.S_ISDIR(info.st_mode):
        raise SourceError("is a folder, not an issue file", path)
    if not stat.S_ISREG(info.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise SourceError(f"is {kind}, not an issue file; an issue must be a regular file", path)
    if root is not None and path.is_symlink():
        target = path.resolve()
        if not _inside(target, Path(root).resolve()):
            raise SourceError(f"is a symlink to {target}, outside the newsletter folder {root}; copy the file in "
                              "instead of linking to it", path)
    if info.st_size > max_bytes:
        raise SourceError(f"is {info.st_size:,} bytes, over the limit of {max_bytes:,} ([limits] issue_bytes); "
                          "split the issue or raise the limit", path)
    try:
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise SourceError(f"cannot read the file: {exc.strerror}", path) from None
    if len(raw) > max_bytes:
        raise SourceError(f"is over the limit of {max_bytes:,} bytes ([limits] issue_bytes); split the issue "
                          "or raise the limit", path)
    return raw


_QUOTE = regex.compile(r"[ \t]*>")
_MARKER = regex.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_LONG_CLUSTER_HINT = regex.compile(r"[\p{M}\u200d\u200c\ufe00-\ufe0f\U000E0000-\U000E007F]{8,}|"
                                   r"(?:\u200d[^\u200d]{1,4}){8,}")
_GRAPHEME = regex.compile(r"\X")


def nesting_depth(line: str) -> int:
    """Levels of block quote and list a Markdown line opens: one per ``>``, one per list
    marker at its start (``- - x`` nests two lists), and one per four columns of indentation
    before a marker or ``>`` (Python-Markdown's tab length)."""
    depth = 0
    pos = 0
    while True:
        m = _QUOTE.match(line, pos)
        if m is None:
            break
        depth += 1
        pos = m.end()
    rest = line[pos:]
    indent = len(rest) - len(rest.lstrip(" \t"))
    columns = len(rest[:indent].expandtabs(4))
    markers, at = 0, 0
    while True:
        m = _MARKER.match(rest, at)
        if m is None or m.end() == at:
            break
        markers += 1
        at = m.end()
    if markers or depth:
        depth += markers + columns // 4
    return depth


def check_body(lines: list[str], first_line: int, path: Path, nesting: int, grapheme_chars: int,
               in_code: list[bool] | None = None) -> None:
    """Check every line of an issue body against the nesting and grapheme limits.

    Args:
        lines: the body's lines; ``first_line`` is the file line of ``lines[0]``.
        nesting: ``[limits] nesting`` (levels).
        grapheme_chars: ``[limits] grapheme_chars`` (code points in one grapheme).
        in_code: per line, whether it lies in fenced code (not nested Markdown); ``None``: none.

    Raises:
        SourceError: the first line that passes a limit.
    """
    for i, line in enumerate(lines):
        if not line:
            continue
        if not (in_code and in_code[i]) and (">" in line or line[:1] in " \t-*+" or line[:1].isdigit()):
            depth = nesting_depth(line)
            if depth > nesting:
                raise SourceError(f"quotes or lists are nested too deeply ({depth} levels, more than "
                                  f"{nesting}: [limits] nesting); flatten them", path, first_line + i)
        if not line.isascii() and _LONG_CLUSTER_HINT.search(line):
            for m in _GRAPHEME.finditer(line):
                if len(m.group()) > grapheme_chars:
                    raise SourceError(
                        f"one character (grapheme) here is {len(m.group()):,} code points long, more than "
                        f"{grapheme_chars} ([limits] grapheme_chars); remove the stray combining marks or joiners",
                        path, first_line + i)


#: Unmatched ``[`` in one paragraph above which they are escaped before Markdown sees them.
UNMATCHED_BRACKETS = 64


def escape_unmatched_brackets(body: str) -> str:
    """``body`` with every ``[`` that no ``]`` closes escaped as ``\\[``, in each paragraph
    (text between blank lines) that has more than :data:`UNMATCHED_BRACKETS` of them.

    Such a ``[`` can never start a link, image or footnote reference, so the output is the
    same text; Python-Markdown would otherwise scan to the paragraph's end once per ``[``.
    Linear in the length of ``body``. Paragraphs with a code span are left alone (an
    escape inside one would show)."""
    if body.count("[") <= UNMATCHED_BRACKETS:
        return body
    out = []
    for block in body.split("\n\n"):
        if block.count("[") - block.count("]") <= UNMATCHED_BRACKETS or "`" in block:
            out.append(block)
            continue
        open_at: list[int] = []
        unmatched: list[int] = []
        escaped = False
        for i, c in enumerate(block):
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == "[":
                open_at.append(i)
            elif c == "]" and open_at:
                open_at.pop()
        unmatched = open_at
        if len(unmatched) <= UNMATCHED_BRACKETS:
            out.append(block)
            continue
        parts, last = [], 0
        for i in unmatched:
            parts.append(block[last:i])
            parts.append("\\")
            last = i
        parts.append(block[last:])
        out.append("".join(parts))
    return "\n\n".join(out)


class MarkdownTooSlow(Exception):
    """Python-Markdown passed its time budget; ``text`` is the text it was working on."""

    def __init__(self, text: str):
        super().__init__(text[:80])
        self.text = text


@contextmanager
def markdown_budget(md, seconds: float) -> Iterator[None]:
    """Within the block, every inline and block processor of the Python-Markdown instance
    ``md`` checks the clock before it runs and raises :class:`MarkdownTooSlow` once
    ``seconds`` have passed. The processors are restored afterwards."""
    deadline = time.monotonic() + seconds
    saved: list[tuple[object, str, object]] = []

    def guard(obj, name, text_arg):
        original = getattr(obj, name)

        def checked(*args, **kwargs):
            if time.monotonic() > deadline:
                text = args[text_arg] if len(args) > text_arg else ""
                raise MarkdownTooSlow(text if isinstance(text, str) else "\n\n".join(text) if isinstance(text, list) else "")
            return original(*args, **kwargs)

        saved.append((obj, name, obj.__dict__.get(name)))
        setattr(obj, name, checked)

    for processor in md.inlinePatterns:
        guard(processor, "handleMatch", 1)
    for processor in md.parser.blockprocessors:
        guard(processor, "run", 1)
    try:
        yield
    finally:
        for obj, name, before in saved:
            if before is None:
                delattr(obj, name)
            else:  # pragma: no cover - processors define these on their class
                setattr(obj, name, before)


def slow_line(text: str, lines: list[str], first_line: int) -> int:
    """The file line of the text Python-Markdown was working on when its budget ran out:
    the first body line holding a stretch of ``text`` (Markdown's placeholders removed),
    else ``first_line``."""
    for piece in regex.split(r"[\x02\x03]|wzxhzdk:\d+|\n", text):
        piece = piece.strip()[:40]
        if len(piece) >= 3:
            for i, line in enumerate(lines):
                if piece in line:
                    return first_line + i
    return first_line


__all__ = ["EARLIEST", "LATEST", "MarkdownTooSlow", "check_body", "check_instant", "escape_unmatched_brackets",
           "markdown_budget", "nesting_depth", "read_issue_bytes", "slow_line"]
