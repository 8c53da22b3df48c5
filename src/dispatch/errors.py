"""Exceptions raised by the dispatch library.

Every error a user can cause is a :class:`DispatchError`. The CLI (and only the CLI)
turns one into a single ``path:line: message`` line and exit status 2; library callers
catch them like any other exception. Anything else escaping the library is a bug.
"""

from __future__ import annotations

from pathlib import Path


class DispatchError(Exception):
    """Base class of every error caused by input, configuration or environment.

    Attributes:
        message: what is wrong and, where possible, how to fix it (one line, no trailing dot
            needed).
        path: the file the problem is in, or ``None``.
        line: the 1-based line number in ``path``, or ``None`` when the problem is the whole
            file (a missing file, an empty body).
    """

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line

    def location(self) -> str:
        """Return ``"path:line"``, ``"path"`` or ``""`` for the error's position."""
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class SourceError(DispatchError):
    """An issue file cannot be read or parsed: front matter, dates, components."""


class RefusedError(SourceError):
    """An issue that reads but that ``build`` refuses to publish as it is: it still holds
    ``dispatch new``'s placeholder text, or its id or slug is another issue's. The build
    summary counts these apart from the issues that cannot be read."""


class SourceErrors(SourceError):
    """Several problems found in one issue file in one pass (e.g. a bad date *and* a bad
    ``draft``), so the writer fixes them all at once. ``errors`` holds each, in line order;
    the exception itself reads as the first (``str()``, ``path``, ``line``)."""

    def __init__(self, errors: "list[SourceError]"):
        errors = sorted(errors, key=lambda e: e.line or 0)
        first = errors[0]
        super().__init__(first.message, first.path, first.line)
        self.errors = errors


class ConfigError(DispatchError):
    """``dispatch.toml`` is unreadable or has a value of the wrong type or range."""


class RenderError(DispatchError):
    """A channel cannot produce its output (layout template missing or broken, a post that
    cannot fit its platform's limit, an email over Gmail's clip without ``--allow-clip``)."""
