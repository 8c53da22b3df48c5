"""Progress bars for long runs (``build`` of a large archive, ``check --links``, ``publish``),
over tqdm: drawn on stderr when stderr is a terminal, silent otherwise (a CI log, a pipe, a test).

Use it as an iterable wrapper or as a context manager::

    from dispatch.progress import progress

    for path in progress(paths, desc="Rendering", unit="issue"):
        ...

    with progress(total=len(links), desc="Checking links", unit="link") as bar:
        for future in as_completed(futures):
            bar.update()

The environment variable ``DISPATCH_PROGRESS`` overrides the terminal test: ``1`` always draws
(to stderr, from the first step), ``0`` never does. Library code never prints through it; it only draws the bar.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Iterable, TypeVar

from tqdm import tqdm

T = TypeVar("T")

#: Runs shorter than this many seconds draw nothing (tqdm's ``delay``): a fast build stays quiet.
DELAY = 0.5


def enabled(stream: IO[str] | None = None) -> bool:
    """Whether a bar would be drawn on ``stream`` (default ``sys.stderr``): ``DISPATCH_PROGRESS``
    if set to ``0``/``1``, otherwise whether the stream is a terminal."""
    forced = os.environ.get("DISPATCH_PROGRESS", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    stream = stream if stream is not None else sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


def progress(iterable: Iterable[T] | None = None, *, total: int | None = None, desc: str = "",
             unit: str = "it", stream: IO[str] | None = None, delay: float = DELAY) -> tqdm:
    """A tqdm bar over ``iterable`` (or a manual one of ``total`` steps, advanced with
    ``update(n)``), drawn on ``stream`` (default stderr) only when :func:`enabled` says so.

    Args:
        iterable: the items to wrap; iterating the result yields them unchanged.
        total: the number of steps (default ``len(iterable)`` where it has one).
        desc: the label before the bar, e.g. ``"Checking links"``.
        unit: what one step is (``"issue"``, ``"link"``, ``"post"``).
        stream: where to draw (default ``sys.stderr``).
        delay: seconds before the bar first appears (short runs draw nothing).

    Returns:
        a ``tqdm`` object: iterable, a context manager, with ``update(n)``, ``set_postfix_str``,
        ``write(line)`` (prints a line above the bar without breaking it) and ``close()``.
        It is thread-safe for ``update`` (tqdm locks its writes).
    """
    stream = stream if stream is not None else sys.stderr
    if os.environ.get("DISPATCH_PROGRESS", "").strip() == "1":
        delay = 0.0  # asked for: draw from the first step
    return tqdm(iterable, total=total, desc=desc or None, unit=unit, file=stream,
                disable=not enabled(stream), delay=delay, leave=False, dynamic_ncols=True)
