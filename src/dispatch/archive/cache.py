"""The build cache: per source file its :class:`~dispatch.archive.record.Record` and its
rendered body by content hash, so that a source whose bytes, settings, layout and dispatch
version are unchanged is not parsed or rendered again.

It lives outside the published folder (it holds drafts, scheduled issues and local paths):
``<root>/.dispatch-cache/<out>-<8 hex>/`` by default, ``cache_dir`` in ``dispatch.toml`` or
``--cache`` to put it elsewhere, one subfolder per output folder (a preview never disturbs
the published archive's cache). Deleting it is always safe.

Every part is data, not instructions: files are read only when they are regular files (no
symbolic link, FIFO or device) of bounded size (:data:`INDEX_LIMIT`, :data:`CONTENT_LIMIT`),
every record is checked like a freshly parsed one (:func:`sound`: its slug, permalink, the
paths of its images against the newsletter folder), and anything unreadable, oversized,
malformed or too deeply nested is a miss — the issue is rendered again — never an error."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import stat
from pathlib import Path

from .. import __version__
from ..assets import refusal
from ..config import Settings
from ..layout import layout_dirs
from ..output import write_file
from ..textutil import slugify
from .manifest import safe_relative
from .record import Record, aware, digest, record_from_json

CACHE_VERSION = 5
#: The cache folder's name in the newsletter folder, when ``cache_dir`` is not set.
CACHE_DIR = ".dispatch-cache"
#: The most bytes read from the cache index (an archive of 2,000 issues needs about 5 MB).
INDEX_LIMIT = 64 * 2**20
#: The most bytes read from one cached body.
CONTENT_LIMIT = 16 * 2**20
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def environment_key(settings: Settings) -> str:
    """SHA-256 of everything besides a source that shapes its outputs: the dispatch version
    and code (every module of the package), the settings (without their location), every
    template of the layout's ``html/`` and ``web/`` folders and its ``labels.toml`` (the words
    the pages write). A change invalidates the cache."""
    plain = dataclasses.replace(settings, root=Path("."), path=None)
    parts: list[str | bytes] = [__version__, str(CACHE_VERSION), repr(plain)]
    package = Path(__file__).parents[1]  # the dispatch package
    for module in sorted(package.rglob("*.py")):
        parts += [module.relative_to(package).as_posix(), module.read_bytes()]
    for folder in layout_dirs(settings.root, settings.layout):
        if (folder / "labels.toml").is_file():
            parts += ["labels.toml", (folder / "labels.toml").read_bytes()]
        for sub in ("html", "web"):
            d = folder / sub
            if d.is_dir():
                for f in sorted(d.iterdir()):
                    if f.is_file():
                        parts += [str(f.relative_to(folder)), f.read_bytes()]
    return digest(*parts)


def cache_folder(root: Path, out: Path, cache_dir: str | Path | None = None) -> Path:
    """The cache folder of output folder ``out``: ``<cache_dir>/<name>-<8 hex>/``, where
    ``cache_dir`` (relative to ``root``, the newsletter folder; default :data:`CACHE_DIR`) is
    the configured folder, ``<name>`` the output folder's path relative to ``root`` as a slug
    (``public``), and the hex digits the start of the SHA-256 of its resolved path."""
    base = Path(cache_dir) if cache_dir else Path(CACHE_DIR)
    base = base if base.is_absolute() else root / base
    where = out.resolve()
    try:
        name = where.relative_to(root.resolve()).as_posix()
    except ValueError:
        name = where.as_posix()
    tag = hashlib.sha256(os.fsencode(where)).hexdigest()[:8]
    return base / f"{(slugify(name) or 'out')[:40].strip('-')}-{tag}"


def read_bounded(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` when it is a regular file (not a symbolic link, FIFO or device)
    of at most ``limit`` bytes, else ``None`` (never blocks, never reads more than ``limit``
    + 1 bytes)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


def sound(rec: Record, settings: Settings, root: Path) -> bool:
    """Whether cached record ``rec`` is one a parse of its source could have made: a slug of
    ``[a-z0-9-]`` (at most 80 characters), the permalink ``settings`` give that slug, image
    paths that are safe output paths and files the newsletter folder ``root`` lets the build
    read (:func:`dispatch.assets.refusal`), and watched paths inside ``root``."""
    if not (len(rec.slug) <= 80 and _SLUG.fullmatch(rec.slug)) or rec.permalink != settings.permalink(rec.slug):
        return False
    if not safe_relative(rec.source) or rec.page_size < -1:
        return False
    for url_path, file in [(a[2], a[1]) for a in rec.assets] + [(r[0], r[1]) for r in rec.retina]:
        if not safe_relative(url_path) or not os.path.isabs(file) or refusal(Path(file), root) is not None:
            return False
    top = root.resolve()
    return all(os.path.isabs(w) and Path(w).resolve().is_relative_to(top) for w in rec.watch)


class Cache:
    """The cache of one output folder (see the module docstring): the record index and the
    rendered bodies by content hash, read at once, written by :meth:`save`.

    Attributes:
        records: source key → its cached record (only those that pass :func:`sound`, made
            with the same :func:`environment_key`).
        history: id → ``{"text": sha, "updated": iso}`` (what decides entries' ``updated``).
        bad: content hashes whose cached file failed its check (rewritten on save).
    """

    def __init__(self, folder: Path, env_key: str, settings: Settings, root: Path):
        self.dir = folder
        self.env_key = env_key
        self.records: dict[str, Record] = {}
        self.history: dict[str, dict[str, str]] = {}
        self.bad: set[str] = set()
        try:  # the renderers store bodies here; when it cannot be made, they are kept in memory
            (folder / "content").mkdir(parents=True, exist_ok=True)
        except OSError:
            pass
        raw = read_bounded(folder / "index.json", INDEX_LIMIT)
        try:
            data = json.loads(raw.decode("utf-8")) if raw is not None else None
        except (ValueError, RecursionError):
            return
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return
        history = data.get("history")
        if isinstance(history, dict):
            self.history = {k: v for k, v in history.items()
                            if isinstance(v, dict) and isinstance(v.get("text"), str) and aware(v.get("updated"))}
        records = data.get("records")
        if data.get("env") == env_key and isinstance(records, dict):
            for key, value in records.items():
                rec = record_from_json(value)
                if rec is not None and rec.source == key and sound(rec, settings, root):
                    self.records[key] = rec

    def content_path(self, sha: str) -> Path:
        """Where the body whose SHA-256 (hex) is ``sha`` is cached."""
        return self.dir / "content" / f"{sha}.html"

    def has_content(self, sha: str) -> bool:
        """Whether a body of SHA-256 ``sha`` is cached as a regular file (checked when read)."""
        return bool(re.fullmatch(r"[0-9a-f]{64}", sha)) and _regular(self.content_path(sha))

    def content(self, sha: str) -> str | None:
        """The cached body whose SHA-256 is ``sha``, or ``None`` when it is missing, not a
        regular file, larger than :data:`CONTENT_LIMIT`, not UTF-8 or does not hash to
        ``sha`` (truncated, edited)."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            return None
        raw = read_bounded(self.content_path(sha), CONTENT_LIMIT)
        try:
            text = raw.decode("utf-8") if raw is not None else None
        except UnicodeDecodeError:
            text = None
        if text is None or digest(text) != sha:
            self.bad.add(sha)
            try:  # a corrupt entry goes, so that the body rendered again replaces it
                if os.path.lexists(self.content_path(sha)):
                    self.content_path(sha).unlink()
            except OSError:
                pass
            return None
        return text

    def dump(self, records: dict[str, Record], history: dict[str, dict[str, str]]) -> bytes:
        """The cache index (``index.json``, UTF-8, keys sorted) for ``records`` (source key →
        record) and ``history`` (id → text hash and ``updated``)."""
        data = {
            "version": CACHE_VERSION,
            "env": self.env_key,
            "records": {k: dataclasses.asdict(records[k]) for k in sorted(records)},
            "history": {k: history[k] for k in sorted(history)},
        }
        return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True).encode("utf-8")

    def save(self, records: dict[str, Record], history: dict[str, dict[str, str]]) -> str | None:
        """Write the index (the renderers wrote the bodies) and remove the bodies no record
        refers to any more. Each file is replaced atomically.

        Returns:
            a warning line when the cache cannot be written (the build itself stands), else
            ``None``.
        """
        try:
            (self.dir / "content").mkdir(parents=True, exist_ok=True)
            _put(self.dir / "index.json", self.dump(records, history))
            keep = {f"{rec.content_sha}.html" for rec in records.values()}
            for entry in os.scandir(self.dir / "content"):
                if entry.name not in keep and re.fullmatch(r"[0-9a-f]{64}\.html", entry.name):
                    os.unlink(entry.path)
        except OSError as exc:
            return f"{self.dir}: cannot write the build cache ({exc.strerror}); the next build renders every issue again"
        return None


def _regular(path: Path) -> bool:
    """Whether ``path`` is a regular file itself (not through a symbolic link)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _put(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` atomically unless it already holds them; whatever is
    there that is not a regular file (a symbolic link to ``/dev/zero``, a FIFO) is removed
    first, never read."""
    if os.path.lexists(path) and not _regular(path):
        path.unlink()
    elif read_bounded(path, len(data)) == data:
        return
    write_file(path, data)


def remove_legacy_cache(out: Path) -> str | None:
    """Remove ``out/.dispatch-cache/``, where dispatch ≤ 0.1 kept its cache (inside the
    published folder, drafts included), when it holds only files of that cache; returns a
    warning line when something else there keeps it in place."""
    legacy = out / CACHE_DIR
    if legacy.is_symlink() or not legacy.is_dir():
        return None
    ours = re.compile(r"index\.json|content(/[0-9a-f]{64}\.html)?|(content/)?\..+\.tmp")
    for folder, dirs, files in os.walk(legacy):
        for name in [*dirs, *files]:
            rel = os.path.relpath(os.path.join(folder, name), legacy).replace(os.sep, "/")
            if not ours.fullmatch(rel):
                return (f"{legacy}: the old build cache (it holds drafts) is still published because it holds "
                        f"{rel}, which dispatch did not write; remove the folder")
    shutil.rmtree(legacy)
    return None
