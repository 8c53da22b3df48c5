"""The user cache folder of dispatch (compiled templates, a layout's inlining rules,
compiled regular expressions): derived files only, each keyed so that it is never stale,
any of them safe to delete."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The user cache folder of dispatch: ``$DISPATCH_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/dispatch``, else ``~/.cache/dispatch`` (XDG Base Directory spec)."""
    if os.environ.get("DISPATCH_CACHE_DIR"):
        return Path(os.environ["DISPATCH_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dispatch"
