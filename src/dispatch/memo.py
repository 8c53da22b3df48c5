"""Results kept across the re-renders of one process (``watch``, ``preview``), by content.

A re-render after an edit should redo only what the edit touched. Each cache here maps a
key made of *everything* its value is computed from (texts, model nodes, layout file
stamps, settings values) to that value, so a changed issue, layout file, ``dispatch.toml``
or preset is a different key and never meets a stale value; values are immutable (or
copied by their user). Every cache is bounded (least recently used entries go first), so a
long ``watch`` session or a build of thousands of issues holds at most a fixed number of
entries.

:func:`clear` empties every cache (tests compare a warm render with a cold one).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Hashable

_ALL: list["LRU"] = []
_MISSING = object()


class LRU:
    """A bounded, thread-safe mapping: at most ``size`` entries, the least recently used
    dropped first.

    Args:
        size: the most entries kept (> 0).
        name: what it holds, for debugging.
    """

    def __init__(self, size: int, name: str = ""):
        self.size = size
        self.name = name
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value under ``key`` (now the most recently used), else ``default``."""
        with self._lock:
            value = self._data.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> Any:
        """Keep ``value`` under ``key``, dropping the least recently used entry when full;
        returns ``value``."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value

    def compute(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The value under ``key``, made by ``make()`` and kept when absent (an exception
        from ``make`` keeps nothing)."""
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = self.put(key, make())
        return value

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


def clear() -> None:
    """Empty every :class:`LRU` (the next render computes everything afresh)."""
    for cache in _ALL:
        cache.clear()


def file_stamp(path: Path | str) -> tuple[str, int, int] | None:
    """What identifies a file's version for a cache key: ``(path, size in bytes,
    modification time in ns)``, ``None`` when it does not exist. An editor's save changes
    the modification time (and, with any change of length, the size)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (str(path), st.st_size, st.st_mtime_ns)
