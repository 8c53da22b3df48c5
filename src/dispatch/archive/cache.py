"""The build cache: per source file its :class:`~dispatch.archive.record.Record` and its
rendered body by content hash, so that a source whose bytes, settings, layout and dispatch
version are unchanged is not parsed or rendered again. Every part is data: an unreadable or
invalid entry is a miss, never an error."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from .. import __version__
from ..config import Settings
from ..layout import layout_dirs
from .manifest import CACHE_DIR, safe_relative
from .record import Record, aware, digest, record_from_json

CACHE_VERSION = 3


def environment_key(settings: Settings) -> str:
    """SHA-256 of everything besides a source that shapes its outputs: the dispatch version
    and code (every module of the package), the settings (without their location) and every
    template of the layout's ``html/`` and ``web/`` folders. A change invalidates the cache."""
    plain = dataclasses.replace(settings, root=Path("."), path=None)
    parts: list[str | bytes] = [__version__, str(CACHE_VERSION), repr(plain)]
    package = Path(__file__).parents[1]  # the dispatch package
    for module in sorted(package.rglob("*.py")):
        parts += [module.relative_to(package).as_posix(), module.read_bytes()]
    for folder in layout_dirs(settings.root, settings.layout):
        for sub in ("html", "web"):
            d = folder / sub
            if d.is_dir():
                for f in sorted(d.iterdir()):
                    if f.is_file():
                        parts += [str(f.relative_to(folder)), f.read_bytes()]
    return digest(*parts)


class Cache:
    """``out/.dispatch-cache/``: the record index and rendered bodies by content hash. Any
    part that is unreadable or invalid is ignored (a miss), never an error."""

    def __init__(self, out: Path, env_key: str):
        self.dir = out / CACHE_DIR
        self.env_key = env_key
        self.records: dict[str, Record] = {}
        self.history: dict[str, dict[str, str]] = {}
        self.outputs: list[str] = []
        self.bad: set[str] = set()  # content hashes whose cached file failed its check
        try:
            data = json.loads((self.dir / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict) or data.get("version") not in (2, CACHE_VERSION):
            return
        outputs = data.get("outputs")  # version 2 listed them too: still removable after an upgrade
        if isinstance(outputs, list):
            self.outputs = [rel for rel in outputs if safe_relative(rel)]
        if data.get("version") != CACHE_VERSION:
            return
        history = data.get("history")
        if isinstance(history, dict):
            self.history = {k: v for k, v in history.items()
                            if isinstance(v, dict) and isinstance(v.get("text"), str) and aware(v.get("updated"))}
        records = data.get("records")
        if data.get("env") == env_key and isinstance(records, dict):
            for key, value in records.items():
                rec = record_from_json(value)
                if rec is not None and rec.source == key:
                    self.records[key] = rec

    def content_path(self, sha: str) -> Path:
        """Where the body whose SHA-256 (hex) is ``sha`` is cached."""
        return self.dir / "content" / f"{sha}.html"

    def content(self, sha: str) -> str | None:
        """The cached body whose SHA-256 is ``sha``, or ``None`` when it is missing, not UTF-8
        or does not hash to ``sha`` (truncated, edited)."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            return None
        try:
            text = self.content_path(sha).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if digest(text) != sha:
            self.bad.add(sha)
            return None
        return text

    def dump(self, records: dict[str, Record], history: dict[str, dict[str, str]], outputs: list[str]) -> bytes:
        """The cache index (``index.json``, UTF-8, keys sorted) for ``records`` (source key →
        record), ``history`` (id → text hash and ``updated``) and the ``outputs`` written."""
        data = {
            "version": CACHE_VERSION,
            "env": self.env_key,
            "records": {k: dataclasses.asdict(records[k]) for k in sorted(records)},
            "history": {k: history[k] for k in sorted(history)},
            "outputs": sorted(outputs),
        }
        return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True).encode("utf-8")
