"""The library API behind ``dispatch build``: every issue of a folder → the web archive and
its feeds, on a schedule.

Outputs, under ``out/``:

* ``feed.xml`` (RSS 2.0), ``atom.xml`` (Atom 1.0, RFC 4287), ``feed.json`` (JSON Feed 1.1),
  each with the newest ``[feed] limit`` issues (default 20);
* ``tags/<tag-path>/atom.xml`` per tag, same limit (``<tag-path>`` from :func:`tag_slug`:
  ``open-source AI`` → ``open-source-ai``; ``C++`` → ``c-`` + 8 hex digits; ``人工智能`` → 8 hex
  digits);
* ``<slug>/index.html`` per issue (its permalink), ``index.html`` listing every published
  issue newest first, and ``style.css``;
* the local images the published issues refer to (``![x](img/a.png)`` in ``a.md`` with slug
  ``a`` → ``out/a/img/a.png``, see :func:`dispatch.assets.local_assets`), copied byte for byte;
* ``.dispatch-manifest``: every file above with the SHA-256 of the bytes dispatch wrote.

Schedule: drafts and issues dated after ``now`` are left out of every output; the report
names the next scheduled issue and when it becomes due. Entries sort by ``(date, id)``,
newest first. A ``now`` later than the clock publishes issues ahead of their date; the report
warns, since such a build belongs in a preview folder, never the published one.

Stability: output depends only on the sources, settings and layout (no clock, time zone or
hash seed). An entry's ``updated`` is front-matter ``updated`` when given; otherwise it is
its publication date until what the author wrote (title, summary, Markdown body) changes,
then the build time of the change (a new layout or dispatch version does not count), kept in
the cache so later builds repeat it.

Writing: every output is computed first; then every target path is checked (a file where a
folder is needed, or a folder where a file goes, raises :class:`OutputError` before anything
is touched); then each changed file is written to a temporary file beside its target, and
only when all of them are written are they renamed into place (a failure removes the
temporary files and leaves ``out/`` as it was). Unchanged files are not rewritten.

Removal: a file a previous build wrote (listed in ``.dispatch-manifest``, or in the cache's
output list) that this build no longer produces (the issue was deleted, drafted, renamed, a
tag or image dropped) is removed, so long as it still holds the bytes dispatch wrote; a file
someone changed since is left with a warning, and files dispatch never wrote are never
touched. The manifest is not part of the cache: deleting the cache does not lose it.

Cache: ``out/.dispatch-cache/`` holds ``index.json`` (per source file: SHA-256 of its bytes,
the metadata, the content hash, the page's size and hash) and ``content/<sha>.html``
(rendered bodies, each checked against its SHA-256 when read). A source whose bytes, the
settings, the layout and the dispatch version are unchanged is not parsed or rendered again.
An unreadable or invalid cache entry is a miss (the issue is rendered again), never an error.
Deleting the folder is always safe (it only costs time, and resets entry ``updated`` dates to
front-matter or publication dates).

Failure: every issue is parsed and rendered before anything is written, so a bad issue
raises :class:`~dispatch.errors.DispatchError` and leaves ``out/`` as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import __version__
from .assets import local_assets, references
from .channels.feed import EntryData, content_html, xml_safe, _NOT_XML_CHAR
from .channels.feeds import FeedInfo, render_atom, render_json_feed, render_rss
from .channels.web import FeedLink, IndexItem, render_index, render_page, stylesheet
from .config import Settings, load_settings
from .errors import DispatchError, SourceError
from .frontmatter import parse_date
from .layout import layout_dirs
from .output import same_bytes
from .limits import check_instant, read_issue_bytes
from .parse import parse_issue
from .source import read_source
from .textutil import slugify

CACHE_DIR = ".dispatch-cache"
CACHE_VERSION = 3
#: The list of files a build wrote into its output folder (``<sha256>  <path>`` lines, the
#: format of ``sha256sum``), kept outside the cache so that deleting the cache never makes a
#: build forget what it may remove.
MANIFEST = ".dispatch-manifest"
ISSUE_SUFFIXES = (".md", ".markdown")
#: ``updated`` of a feed with no entries yet (RFC 4287 requires one): fixed, so rebuilding an
#: empty archive stays quiet instead of rewriting its feeds with the clock.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: Hex digits of SHA-256 that tell apart tags whose slug alone would not (32 bits).
TAG_HASH_DIGITS = 8


class OutputError(DispatchError):
    """The output folder cannot take the build: ``--out`` is a file, a file stands where a
    folder is needed (or a folder where a file goes), no permission, a full disk. Raised
    before any output file is replaced."""


@dataclass
class Record:
    """What the build knows about one source file (kept in the cache between runs).

    Dates are ISO 8601 strings in UTC; ``content_sha`` is the SHA-256 of the rendered body
    HTML (the key of its cached copy, checked when it is read back); ``text_sha`` the SHA-256
    of what the author wrote (title, summary, Markdown body), which decides the entry's
    ``updated``; ``page_size`` (bytes) and ``page_sha`` (SHA-256) describe its web page;
    ``assets`` lists its local images as ``[src, file, url_path, "path:line"]``; ``watch``
    the files it refers to that were missing (when one appears, the issue is read again).
    """

    source: str
    source_sha: str
    id: str
    title: str
    slug: str
    permalink: str
    date: str
    draft: bool
    tags: list[str]
    author: str
    lang: str
    summary: str
    content_sha: str
    text_sha: str
    page_size: int
    page_sha: str = ""
    updated_given: str = ""
    warnings: list[str] = field(default_factory=list)
    assets: list[list[str]] = field(default_factory=list)
    watch: list[str] = field(default_factory=list)

    @property
    def when(self) -> datetime:
        """The publication instant (aware, UTC)."""
        return datetime.fromisoformat(self.date)


_RECORD_STR = ("source", "source_sha", "id", "title", "slug", "permalink", "date", "author", "lang", "summary",
               "content_sha", "text_sha", "page_sha", "updated_given")


def _aware(value: object) -> datetime | None:
    """``value`` as an aware datetime when it is an ISO 8601 string with an offset, else ``None``."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def record_from_json(data: object) -> Record | None:
    """A cached record, or ``None`` when ``data`` is not a valid one (a missing or extra field,
    a value of the wrong type, a date that is not an aware ISO 8601 instant)."""
    if not isinstance(data, dict):
        return None
    try:
        rec = Record(**data)
    except TypeError:
        return None
    if not all(isinstance(getattr(rec, name), str) for name in _RECORD_STR):
        return None
    if type(rec.draft) is not bool or type(rec.page_size) is not int:
        return None
    if not (_str_list(rec.tags) and _str_list(rec.warnings) and _str_list(rec.watch)):
        return None
    if not (isinstance(rec.assets, list) and all(_str_list(a) and len(a) == 4 for a in rec.assets)):
        return None
    if _aware(rec.date) is None or (rec.updated_given and _aware(rec.updated_given) is None):
        return None
    return rec


@dataclass
class BuildReport:
    """What a build did.

    Attributes:
        out: the output folder.
        now: the instant the schedule was judged at (aware, UTC).
        published: ids of the issues published, newest first.
        changed: output paths (relative to ``out``) written because their bytes changed.
        removed: output paths removed (pages, tag feeds and images no longer produced).
        unchanged: how many output files were left as they were.
        next_due: ``(title, instant)`` of the next scheduled (future, non-draft) issue.
        parsed: how many sources were parsed this run (the rest came from the cache).
        drafts: how many drafts were skipped.
        ahead: ids of the issues published only because ``now`` is later than the clock.
        warnings: ``path:line: message`` lines for the user.
        seconds: wall-clock duration of the build.
    """

    out: Path
    now: datetime
    published: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    next_due: tuple[str, datetime] | None = None
    parsed: int = 0
    drafts: int = 0
    ahead: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def parse_now(value: str | None) -> datetime:
    """``--now``: an ISO 8601 / RFC 3339 instant (``2026-05-22T07:00+12:00``,
    ``2026-06-01T00:00z``: ``Z`` in either case; a date or a value without offset is UTC), or
    the current time when ``None``; returned in UTC, whole seconds.

    Raises:
        DispatchError: the value is not ISO 8601 or lies outside the years 1000–9998.
    """
    if value is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise DispatchError(f"--now {value!r} is not an ISO 8601 date-time; write e.g. 2026-05-22T07:00:00+12:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return check_instant(when, f"--now {value!r}").astimezone(timezone.utc).replace(microsecond=0)


def with_base_url(settings: Settings, base_url: str | None) -> Settings:
    """``settings`` with ``base_url`` replaced (``--base-url``, e.g. ``http://localhost:8000/``
    to preview the archive locally); a trailing ``/`` is added. ``None`` keeps the settings.

    Raises:
        DispatchError: ``base_url`` is not an absolute http(s) URL.
    """
    if base_url is None:
        return settings
    url = base_url.strip()
    if not re.match(r"^https?://[^/\s?#]+(?:/[^\s?#]*)?$", url):
        raise DispatchError(f"--base-url {base_url!r} is not an absolute http(s) URL; write e.g. http://localhost:8000/")
    return dataclasses.replace(settings, base_url=url.rstrip("/") + "/")


def issue_files(folder: Path) -> list[Path]:
    """Every issue file under ``folder`` (``*.md``, ``*.markdown``; hidden files and folders,
    names starting with ``_`` and ``README.md`` skipped), sorted by path.

    Raises:
        DispatchError: ``folder`` is not a folder.
    """
    if not folder.is_dir():
        raise DispatchError("is not a folder of issues; pass the folder holding your .md files", folder)
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        # not only regular files: a FIFO or device named like an issue is refused when read
        if path.suffix.lower() in ISSUE_SUFFIXES and path.stem.lower() != "readme" and not path.is_dir():
            found.append(path)
    return sorted(found)


_TAG_SEPARATORS = re.compile(r"[\s_-]+")
_PLAIN_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def tag_key(tag: str) -> str:
    """What makes two tags the same tag: NFKC, case-folded, whitespace collapsed (``C++`` and
    ``c++`` are one tag, ``C++`` and ``C#`` two)."""
    return " ".join(unicodedata.normalize("NFKC", tag).casefold().split())


def _tag_identity(tag: str) -> str:
    """Tags with one identity share a feed: a plain tag (see :func:`tag_slug`) is its slug,
    any other its :func:`tag_key`."""
    plain = _TAG_SEPARATORS.sub("-", tag.strip()).lower()
    return "plain:" + plain if len(plain) <= 80 and _PLAIN_SLUG.fullmatch(plain) else "key:" + tag_key(tag)


def tag_slug(tag: str) -> str:
    """The path segment of ``tag``'s feed, ``tags/<segment>/atom.xml``: URL-safe
    (``[a-z0-9-]``), a function of the tag alone (so a feed's URL never moves when other tags
    come and go), and distinct for distinct tags.

    * A tag of ASCII letters and digits in words separated by spaces, ``-`` or ``_`` (at most
      80 characters) is its own slug: ``open-source AI`` → ``open-source-ai``. Tags that
      differ only in case or in those separators share a feed.
    * Any other tag (punctuation, accents, other scripts, emoji) is its
      :func:`~dispatch.textutil.slugify` slug, ``-`` and the first 8 hex digits of the
      SHA-256 of :func:`tag_key` (UTF-8): ``C++`` → ``c-`` + 8 hex, ``C#`` → ``c-`` + 8
      other hex; when no Latin letter or digit is left, the 8 hex digits alone (``人工智能``,
      ``🚀``).

    Returns ``""`` for a tag with no characters but spaces (it gets no feed).
    """
    key = tag_key(tag)
    if not key:
        return ""
    plain = _TAG_SEPARATORS.sub("-", tag.strip()).lower()
    if len(plain) <= 80 and _PLAIN_SLUG.fullmatch(plain):
        return plain
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:TAG_HASH_DIGITS]
    slug = slugify(tag)[:60].rstrip("-")
    return f"{slug}-{digest}" if slug else digest


def _key_line(path: Path, key: str) -> int:
    """The 1-based line of front-matter ``key`` in ``path`` (1 when it is not written)."""
    return read_source(path).front.lines.get(key, 1)


def _sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def _file_sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def environment_key(settings: Settings) -> str:
    """SHA-256 of everything besides a source that shapes its outputs: the dispatch version
    and code (every module of the package), the settings (without their location) and every
    template of the layout's ``html/`` and ``web/`` folders. A change invalidates the cache."""
    plain = dataclasses.replace(settings, root=Path("."), path=None)
    parts: list[str | bytes] = [__version__, str(CACHE_VERSION), repr(plain)]
    package = Path(__file__).parent
    for module in sorted(package.rglob("*.py")):
        parts += [module.relative_to(package).as_posix(), module.read_bytes()]
    for folder in layout_dirs(settings.root, settings.layout):
        for sub in ("html", "web"):
            d = folder / sub
            if d.is_dir():
                for f in sorted(d.iterdir()):
                    if f.is_file():
                        parts += [str(f.relative_to(folder)), f.read_bytes()]
    return _sha(*parts)


def safe_relative(rel: object) -> bool:
    """Whether ``rel`` may name an output file: a relative POSIX path of plain segments (no
    ``..``, ``.``, empty segment, backslash or control character), not inside the cache and
    not the manifest."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return False
    if re.search(r"[\x00-\x1f\x7f]", rel):
        return False
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return False
    return parts[0] not in (CACHE_DIR, MANIFEST)


def read_manifest(out: Path) -> dict[str, str]:
    """``.dispatch-manifest`` of ``out``: relative path → SHA-256 (hex) of the bytes the last
    build wrote there. Missing or unreadable: ``{}``; a line that is not ``<64 hex>  <safe
    relative path>`` is ignored."""
    try:
        text = (out / MANIFEST).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    found = {}
    for line in text.split("\n"):
        m = re.fullmatch(r"([0-9a-f]{64})  (.+)", line)
        if m and safe_relative(m.group(2)):
            found[m.group(2)] = m.group(1)
    return found


def manifest_bytes(files: dict[str, str]) -> bytes:
    """The manifest for ``files`` (relative path → SHA-256 hex), sorted by path; checkable
    with ``cd out && sha256sum -c .dispatch-manifest``."""
    lines = [f"{files[rel]}  {rel}" for rel in sorted(files)]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


class _Cache:
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
                            if isinstance(v, dict) and isinstance(v.get("text"), str) and _aware(v.get("updated"))}
        records = data.get("records")
        if data.get("env") == env_key and isinstance(records, dict):
            for key, value in records.items():
                rec = record_from_json(value)
                if rec is not None and rec.source == key:
                    self.records[key] = rec

    def content_path(self, sha: str) -> Path:
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
        if _sha(text) != sha:
            self.bad.add(sha)
            return None
        return text

    def dump(self, records: dict[str, Record], history: dict[str, dict[str, str]], outputs: list[str]) -> bytes:
        data = {
            "version": CACHE_VERSION,
            "env": self.env_key,
            "records": {k: dataclasses.asdict(records[k]) for k in sorted(records)},
            "history": {k: history[k] for k in sorted(history)},
            "outputs": sorted(outputs),
        }
        return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True).encode("utf-8")


@dataclass
class _Fresh:
    """An issue rendered this run: its body HTML and, when published, its page (the parsed
    model itself is dropped at once, to keep a large archive's memory small)."""

    content: str
    page: bytes | None = None


def _feeds_for(settings: Settings, tags: list[tuple[str, str]] = ()) -> list[FeedLink]:
    base = settings.base_url.rstrip("/") + "/"
    links = [
        FeedLink(base + "feed.xml", "application/rss+xml", "RSS"),
        FeedLink(base + "atom.xml", "application/atom+xml", "Atom"),
        FeedLink(base + "feed.json", "application/feed+json", "JSON Feed"),
    ]
    for slug, name in tags:
        links.append(FeedLink(f"{base}tags/{slug}/atom.xml", "application/atom+xml", f"Atom: {name}"))
    return links


def _tag_pairs(tags: list[str]) -> list[tuple[str, str]]:
    """``(tag_slug, tag)`` of each tag that has a feed, first spelling of each kept."""
    seen: dict[str, str] = {}
    for tag in tags:
        slug = tag_slug(tag)
        if slug and slug not in seen:
            seen[slug] = tag
    return list(seen.items())


def _value_warnings(path: Path, meta, lines: dict[str, int]) -> list[str]:
    """Warnings for front-matter values (written with YAML/TOML escapes such as ``"\\a"``)
    holding characters XML cannot carry; they are removed from every output."""
    out = []
    values = {"id": [meta.id], "title": [meta.title], "tags": list(meta.tags), "author": [meta.author or ""],
              "lang": [meta.lang]}
    for key, texts in values.items():
        bad = sorted({f"U+{ord(c):04X}" for text in texts for c in _NOT_XML_CHAR.findall(text or "")})
        if bad:
            out.append(f"{path}:{lines.get(key, 1)}: removed {', '.join(bad)} (not allowed in XML) from {key}")
    return out


class _Staging:
    """Files written beside their targets under temporary names, renamed into place only
    when every one is written (see the module docstring)."""

    def __init__(self, out: Path):
        self.out = out
        self.temps: list[tuple[Path, Path]] = []
        self.created: list[Path] = []

    def _folder(self, folder: Path) -> None:
        missing = []
        while not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        for d in reversed(missing):
            d.mkdir()
            self.created.append(d)

    def add(self, rel: str, data: bytes | Path) -> None:
        """Write ``data`` (bytes, or a file to copy) to a temporary file beside ``out/rel``."""
        target = self.out / rel
        self._folder(target.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        self.temps.append((Path(tmp), target))
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, Path):
                with data.open("rb") as src:
                    shutil.copyfileobj(src, fh)
            else:
                fh.write(data)
        os.chmod(tmp, 0o644)

    def commit(self) -> None:
        for n, (tmp, target) in enumerate(self.temps):
            os.replace(tmp, target)
            self.temps[n] = (target, target)
        self.temps = []

    def abort(self) -> None:
        """Remove every temporary file and every folder this staging created."""
        for tmp, target in self.temps:
            if tmp != target:
                tmp.unlink(missing_ok=True)
        self.temps = []
        for d in reversed(self.created):
            try:
                d.rmdir()
            except OSError:
                pass


def check_targets(out: Path, rels: list[str]) -> None:
    """Check, before anything is written, that every ``out/rel`` can be written: ``out`` and
    every folder on the way are folders or do not exist yet, and no target is a folder.

    Raises:
        OutputError: naming the path in the way.
    """
    if out.exists() and not out.is_dir():
        raise OutputError("is a file, not a folder; give --out a folder (or a name that does not exist yet)", out)
    folders: set[str] = set()
    for rel in rels:
        parts = rel.split("/")
        for n in range(1, len(parts)):
            sub = "/".join(parts[:n])
            if sub in folders:
                continue
            folder = out / sub
            if os.path.lexists(folder) and not folder.is_dir():
                raise OutputError(f"is a file, but the build needs a folder here (for {out / rel}); "
                                  "move the file or choose another --out", folder)
            folders.add(sub)
        if (out / rel).is_dir():
            raise OutputError("is a folder, but the build writes a file here; move it or choose another --out",
                              out / rel)


def _conflict(rel: str, files, folders: set[str]) -> bool:
    """Whether file ``rel`` would clash with the files ``files`` (or the folders ``folders``
    they need)."""
    if rel in files or rel in folders:
        return True
    parts = rel.split("/")
    return any("/".join(parts[:n]) in files for n in range(1, len(parts)))


def _parents(rels) -> set[str]:
    found = set()
    for rel in rels:
        parts = rel.split("/")
        found.update("/".join(parts[:n]) for n in range(1, len(parts)))
    return found


class _Sources:
    """Step 1 of a build: every issue file as a :class:`Record`, from the cache when its
    bytes are unchanged, else parsed and rendered. Later steps ask it for bodies and pages,
    which re-renders an issue whose cached copy is gone.

    Attributes:
        records: source key (path relative to the issues folder) → its record.
        paths: source key → the issue file.
        fresh: source key → what was rendered (or read from the cache) this run.
        cache_writes: rendered bodies to store, path relative to ``out`` → bytes.
    """

    def __init__(self, settings: Settings, now: datetime, cache: _Cache, report: BuildReport):
        self.settings = settings
        self.now = now
        self.cache = cache
        self.report = report
        self.css_url = settings.base_url.rstrip("/") + "/style.css"
        self.records: dict[str, Record] = {}
        self.paths: dict[str, Path] = {}
        self.fresh: dict[str, _Fresh] = {}
        self.cache_writes: dict[str, bytes] = {}

    def collect(self, issues_dir: Path) -> None:
        """Fill :attr:`records` and :attr:`paths` with every issue of ``issues_dir``, in path
        order, adding each issue's warnings to the report.

        Raises:
            SourceError: an unreadable or invalid issue.
        """
        for path in issue_files(issues_dir):
            key = path.relative_to(issues_dir).as_posix()
            self.paths[key] = path
            raw = read_issue_bytes(path, self.settings.root, self.settings.limits.issue_bytes)
            cached = self.cache.records.get(key)
            if (cached is not None and cached.source_sha == hashlib.sha256(raw).hexdigest()
                    and not any(Path(f).is_file() for f in cached.watch)):
                self.records[key] = cached
            else:
                self.records[key] = self._materialize(path, key, raw)
            self.report.warnings.extend(self.records[key].warnings)

    def _materialize(self, path: Path, key: str, raw: bytes) -> Record:
        """Parse and render the issue ``path`` (source key ``key``, bytes ``raw``): its body
        and, when published, its page go to :attr:`fresh`, the body to :attr:`cache_writes`.
        Returns its record."""
        settings = self.settings
        issue = parse_issue(path, settings)
        self.report.parsed += 1
        content = content_html(issue, settings)
        meta = issue.meta
        updated_given = ""
        for name in ("updated", "modified", "lastmod"):
            given = meta.extra.get(name)
            if given is not None and given != "":
                when = parse_date(given, settings.tz, path, meta.lines.get(name, 1))
                updated_given = when.astimezone(timezone.utc).isoformat()
                break
        summary = xml_safe(issue.summary)
        title = xml_safe(meta.title)
        content_sha = _sha(content)
        text_sha = _sha(title, summary, read_source(path).body)
        tags = [t for t in (xml_safe(t).strip() for t in meta.tags) if t]
        page = None
        if not meta.draft and meta.date <= self.now:
            feeds = _feeds_for(settings, _tag_pairs(tags))
            page = render_page(issue, settings, content, feeds, self.css_url).encode("utf-8")
        self.fresh[key] = _Fresh(content, page)
        self.cache_writes[f"{CACHE_DIR}/content/{content_sha}.html"] = content.encode("utf-8")
        assets, asset_warnings = local_assets(issue, settings)
        found = {a.file for a in assets}
        watch = []
        for src in references(issue):
            file = (path.parent / unquote(urlsplit(src).path)).resolve()
            if file not in found and not file.is_file():
                watch.append(str(file))
        issue_id = xml_safe(meta.id).strip()
        if not issue_id:
            raise SourceError("the id has no characters left once control characters are removed; write a "
                              "permanent id such as a URL or urn:uuid:…", path, meta.lines.get("id", 1))
        warnings = [*issue.warnings, *_value_warnings(path, meta, meta.lines), *asset_warnings]
        return Record(
            source=key, source_sha=hashlib.sha256(raw).hexdigest(), id=issue_id, title=title, slug=meta.slug,
            permalink=issue.permalink, date=meta.date.astimezone(timezone.utc).isoformat(), draft=meta.draft,
            tags=tags, author=xml_safe(meta.author or settings.author or settings.site_name),
            lang=xml_safe(meta.lang), summary=summary, content_sha=content_sha, text_sha=text_sha,
            page_size=len(page) if page else -1, page_sha=_file_sha(page) if page else "",
            updated_given=updated_given, warnings=list(dict.fromkeys(warnings)),
            assets=[[a.src, str(a.file), a.url_path, f"{issue.path}:{a.line}"] for a in assets], watch=watch,
        )

    def rerender(self, key: str) -> Record:
        """Parse and render source ``key`` again (its cached body or page is missing); its new
        record replaces the old one in :attr:`records` and is returned."""
        path = self.paths[key]
        self.records[key] = rec = self._materialize(path, key, path.read_bytes())
        return rec

    def content(self, rec: Record) -> str:
        """The body HTML of ``rec``: rendered this run, else the cached copy (read once, even
        when the issue is in many feeds), else rendered again."""
        if rec.source in self.fresh:
            return self.fresh[rec.source].content
        content = self.cache.content(rec.content_sha)
        if content is not None:
            self.fresh[rec.source] = _Fresh(content)
            return content
        self.rerender(rec.source)
        return self.fresh[rec.source].content


def _check_unique_ids(records: dict[str, Record], paths: dict[str, Path]) -> None:
    """Step 2: no two issues share an id (the second would replace the first in readers).

    Raises:
        SourceError: at the ``id`` line of the later issue (in path order).
    """
    by_id: dict[str, str] = {}
    for key, rec in sorted(records.items()):
        if rec.id in by_id:
            raise SourceError(f"id {rec.id!r} is already used by {by_id[rec.id]}; every issue needs its own id",
                              paths[key], _key_line(paths[key], "id"))
        by_id[rec.id] = key


def _schedule(records: dict[str, Record], now: datetime, out: Path, report: BuildReport) -> list[Record]:
    """Step 3: the published records (neither drafts nor dated after ``now``), newest first by
    ``(date, id)``. Sets the report's ``drafts``, ``next_due``, ``published`` and ``ahead``
    (with a warning naming ``out`` when ``now`` is later than the clock)."""
    published = [r for r in records.values() if not r.draft and r.when <= now]
    published.sort(key=lambda r: (r.when, r.id), reverse=True)
    report.drafts = sum(1 for r in records.values() if r.draft)
    upcoming = sorted((r for r in records.values() if not r.draft and r.when > now), key=lambda r: (r.when, r.id))
    if upcoming:
        report.next_due = (upcoming[0].title, upcoming[0].when)
    report.published = [r.id for r in published]
    clock = datetime.now(timezone.utc)
    report.ahead = [r.id for r in published if r.when > clock]
    if report.ahead:
        report.warnings.append(
            f"{out}: --now is later than the clock, so {len(report.ahead)} issue(s) not yet due are published here; "
            "build previews into a folder of their own (--out /tmp/preview), never the one you publish")
    return published


def _check_unique_slugs(published: list[Record], paths: dict[str, Path]) -> None:
    """Step 3: no two published issues share a slug (their pages would share a folder).

    Raises:
        SourceError: at the ``slug`` line of the older issue.
    """
    by_slug: dict[str, str] = {}
    for rec in published:
        if rec.slug in by_slug:
            raise SourceError(f"slug {rec.slug!r} is already used by {by_slug[rec.slug]}; give this issue its own slug",
                              paths[rec.source], _key_line(paths[rec.source], "slug"))
        by_slug[rec.slug] = rec.source


def _entry_dates(published: list[Record], history: dict[str, dict[str, str]],
                 now: datetime) -> tuple[dict[str, datetime], dict[str, dict[str, str]]]:
    """Step 4: each published entry's ``updated`` (front-matter ``updated`` when given; else
    the recorded date while its text is unchanged, the build time once it changed).

    Returns:
        id → ``updated``, and the cache's history (id → text hash and ``updated``) with these
        entries recorded.
    """
    history = dict(history)
    updated: dict[str, datetime] = {}
    for rec in published:
        if rec.updated_given:
            when = max(datetime.fromisoformat(rec.updated_given), rec.when)
        else:
            seen = history.get(rec.id)
            if seen is None:
                when = rec.when
            elif seen["text"] == rec.text_sha:
                when = max(datetime.fromisoformat(seen["updated"]), rec.when)
            else:  # edited since: the time of this run (never earlier than the last update)
                when = max(now, rec.when, datetime.fromisoformat(seen["updated"]))
        updated[rec.id] = when
        history[rec.id] = {"text": rec.text_sha, "updated": when.isoformat()}
    return updated, history


def _tag_groups(published: list[Record], paths: dict[str, Path]) -> dict[str, tuple[str, list[Record]]]:
    """Step 5: tag slug → (the tag's newest spelling, its published records newest first).

    Raises:
        SourceError: two distinct tags would share a feed (a 32-bit hash clash).
    """
    tag_entries: dict[str, list[Record]] = {}
    tag_names: dict[str, str] = {}
    for rec in published:  # newest first, so a tag's name is its newest spelling
        for name in rec.tags:  # distinct tags never share a feed (a 32-bit hash clash is reported)
            slug = tag_slug(name)
            if slug and _tag_identity(tag_names.setdefault(slug, name)) != _tag_identity(name):
                raise SourceError(f"tags {tag_names[slug]!r} and {name!r} would share the feed tags/{slug}/; "
                                  "rename one of them", paths[rec.source], _key_line(paths[rec.source], "tags"))
        for slug, name in _tag_pairs(rec.tags):
            tag_entries.setdefault(slug, []).append(rec)
    return {slug: (tag_names[slug], tag_entries[slug]) for slug in sorted(tag_entries)}


def _render_feeds(sources: _Sources, published: list[Record], updated: dict[str, datetime],
                  settings: Settings) -> dict[str, bytes]:
    """Step 5: the site's RSS, Atom and JSON feeds and one Atom feed per tag, each with the
    newest ``[feed] limit`` entries. Returns output path (relative to ``out``) → bytes."""
    base = settings.base_url.rstrip("/") + "/"
    limit = settings.feed.limit

    def entry(rec: Record) -> EntryData:
        return EntryData(
            id=rec.id, title=rec.title, permalink=rec.permalink, published=rec.when, updated=updated[rec.id],
            author=rec.author, summary=rec.summary, content_html=sources.content(rec), tags=tuple(rec.tags),
            lang=rec.lang,
        )

    writes: dict[str, bytes] = {}
    top = [entry(r) for r in published[:limit]]
    site = FeedInfo(id=base, title=settings.site_name, home=base, self_url="", description=settings.site_name,
                    lang=settings.language, fallback_updated=EMPTY_FEED_UPDATED)
    writes["feed.xml"] = render_rss(top, dataclasses.replace(site, self_url=base + "feed.xml"), settings)
    writes["atom.xml"] = render_atom(top, dataclasses.replace(site, self_url=base + "atom.xml"), settings)
    writes["feed.json"] = render_json_feed(top, dataclasses.replace(site, self_url=base + "feed.json"), settings)
    for slug, (name, recs) in _tag_groups(published, sources.paths).items():
        info = FeedInfo(id=f"{base}tags/{slug}/", title=f"{settings.site_name}: {name}", home=base,
                        self_url=f"{base}tags/{slug}/atom.xml", description=f"Issues tagged {name}",
                        lang=settings.language, fallback_updated=EMPTY_FEED_UPDATED)
        writes[f"tags/{slug}/atom.xml"] = render_atom([entry(r) for r in recs[:limit]], info, settings)
    return writes


def _render_pages(sources: _Sources, published: list[Record], out: Path,
                  settings: Settings) -> tuple[dict[str, bytes], dict[str, str]]:
    """Step 6: each published issue's page, the index and the stylesheet. A page is rendered
    for an issue rendered this run, or when the file in ``out`` is missing or not ours;
    otherwise it is left as it is.

    Returns:
        output path → bytes of the files to write, and output path → SHA-256 of the pages
        left as they are.
    """
    writes: dict[str, bytes] = {}
    page_shas: dict[str, str] = {}
    for rec in published:
        rel = f"{rec.slug}/index.html"
        target = out / rel
        if rec.source not in sources.fresh or sources.fresh[rec.source].page is None:
            try:
                if rec.page_sha and target.stat().st_size == rec.page_size:
                    page_shas[rel] = rec.page_sha
                    continue
            except OSError:
                pass
            rec = sources.rerender(rec.source)
        writes[rel] = sources.fresh[rec.source].page
    writes["index.html"] = render_index(
        [IndexItem(r.title, r.permalink, r.when, r.summary, tuple(r.tags)) for r in published],
        settings, _feeds_for(settings), sources.css_url).encode("utf-8")
    writes["style.css"] = stylesheet(settings).encode("utf-8")
    return writes, page_shas


def _select_images(published: list[Record], generated: set[str], report: BuildReport) -> dict[str, Path]:
    """Step 7: the local images of the published issues to publish, output path → source
    file. An image that would clash with a ``generated`` file, another image or its folders,
    or that is missing, is left out with a warning."""
    generated_folders = _parents(generated)
    copies: dict[str, Path] = {}
    copy_folders: set[str] = set()
    for rec in published:
        for src, file, rel, where in rec.assets:
            if not safe_relative(rel) or _conflict(rel, generated, generated_folders):
                report.warnings.append(f"{where}: image {src!r} would be published at {rel!r}, where the build "
                                       "writes its own files; it is not published")
                continue
            if rel in copies:
                if copies[rel] != Path(file):
                    report.warnings.append(f"{where}: image {src!r} would replace {copies[rel]} at {rel}; "
                                           "it is not published (give the two files different names)")
                continue
            if _conflict(rel, copies.keys(), copy_folders):
                report.warnings.append(f"{where}: image {src!r} at {rel!r} clashes with another image's path; "
                                       "it is not published")
                continue
            if not Path(file).is_file():
                report.warnings.append(f"{where}: image {src!r} not found (looked for {file}); readers will see it broken")
                continue
            copies[rel] = Path(file)
            copy_folders |= _parents([rel])
    return copies


def _diff_outputs(out: Path, writes: dict[str, bytes], page_shas: dict[str, str], copies: dict[str, Path],
                  report: BuildReport) -> tuple[dict[str, str], dict[str, bytes | Path]]:
    """Step 8: compare the outputs with the files in ``out``.

    Returns:
        the new manifest (output path → SHA-256 of every output), and the outputs whose
        bytes differ from the disk (path → bytes, or the image file to copy). An unreadable
        image is left out with a warning.
    """
    manifest: dict[str, str] = dict(page_shas)
    changed: dict[str, bytes | Path] = {}
    for rel, data in writes.items():
        manifest[rel] = _file_sha(data)
        if not same_bytes(out / rel, data):
            changed[rel] = data
    for rel, file in copies.items():
        try:
            data = file.read_bytes()
        except OSError as exc:
            report.warnings.append(f"{file}: cannot read the image ({exc.strerror}); it is not published")
            continue
        manifest[rel] = _file_sha(data)
        if not same_bytes(out / rel, data):
            changed[rel] = file
    return manifest, changed


def _stale_files(out: Path, old_manifest: dict[str, str], old_outputs: list[str], manifest: dict[str, str],
                 report: BuildReport) -> list[str]:
    """Step 8: the files a previous build wrote (``old_manifest``, or the cache's
    ``old_outputs``) that this build no longer produces and that still hold the bytes
    dispatch wrote, sorted. One changed since is kept, with a warning."""
    stale = []
    for rel in sorted((set(old_manifest) | set(old_outputs)) - set(manifest)):
        target = out / rel
        if not target.is_file() or target.is_symlink():
            continue
        if rel in old_manifest:
            try:
                if _file_sha(target.read_bytes()) != old_manifest[rel]:
                    report.warnings.append(f"{target}: no longer produced by the build, but changed since dispatch "
                                           "wrote it; left in place (remove it yourself if it should go)")
                    continue
            except OSError:
                continue
        stale.append(rel)
    return stale


def _bookkeeping(out: Path, manifest: dict[str, str], cache: _Cache, sources: _Sources,
                 history: dict[str, dict[str, str]]) -> dict[str, bytes]:
    """Step 8: the manifest, the cache index and the cached bodies that must be written
    (their bytes changed, or a body is missing or failed its check), path → bytes."""
    extra: dict[str, bytes] = {}
    for rel, data in ((MANIFEST, manifest_bytes(manifest)),
                      (f"{CACHE_DIR}/index.json", cache.dump(sources.records, history, sorted(manifest)))):
        try:
            if (out / rel).read_bytes() == data:
                continue
        except OSError:
            pass
        extra[rel] = data
    for rel, data in sources.cache_writes.items():
        if not (out / rel).is_file() or rel.rsplit("/", 1)[-1][:-5] in cache.bad:
            extra[rel] = data
    return extra


def _write_all(out: Path, changed: dict[str, bytes | Path], extra: dict[str, bytes]) -> None:
    """Step 9: stage every ``changed`` output (in path order), then every ``extra`` file,
    beside its target, then rename them all into place.

    Raises:
        OutputError: a file cannot be written or replaced; the staged files are removed and
            nothing is replaced.
    """
    staging = _Staging(out)
    current = out
    try:
        for rel in sorted(changed):
            current = out / rel
            staging.add(rel, changed[rel])
        for rel, data in extra.items():
            current = out / rel
            staging.add(rel, data)
    except OSError as exc:
        staging.abort()
        raise OutputError(f"cannot write the file: {exc.strerror}", current) from None
    except BaseException:
        staging.abort()
        raise
    try:
        staging.commit()
    except OSError as exc:
        staging.abort()
        raise OutputError(f"cannot replace the file: {exc.strerror}", out) from None


def _remove_stale(out: Path, stale: list[str], report: BuildReport) -> None:
    """Step 9: remove the ``stale`` files and the folders they leave empty, adding each to
    ``report.removed`` (or a warning when it cannot be removed)."""
    for rel in stale:
        target = out / rel
        try:
            target.unlink()
        except OSError as exc:
            report.warnings.append(f"{target}: no longer produced, but cannot be removed ({exc.strerror})")
            continue
        report.removed.append(rel)
        folder = target.parent
        while folder != out:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent


def build_archive(
    issues_dir: Path | str,
    out: Path | str = "public",
    settings: Settings | None = None,
    now: datetime | None = None,
    base_url: str | None = None,
) -> BuildReport:
    """Build the web archive and feeds of every issue in ``issues_dir`` into ``out``.

    Args:
        issues_dir: the folder of issue files (searched recursively).
        out: the output folder (created when missing).
        settings: defaults to the nearest ``dispatch.toml`` above ``issues_dir``.
        now: the instant to judge the schedule at (aware); default: the current time.
        base_url: replaces the settings' ``base_url`` for this build (see :func:`with_base_url`).

    Returns:
        a :class:`BuildReport`.

    Raises:
        DispatchError: an unreadable or invalid issue (``path:line``), two issues with one id
            or one slug, a broken layout, a bad ``base_url``; nothing is written then.
        OutputError: ``out`` cannot be written (a file in the way, no permission); nothing
            is replaced then.
    """
    started = time.perf_counter()
    issues_dir = Path(issues_dir)
    out = Path(out)
    settings = with_base_url(settings or load_settings(issues_dir), base_url)
    now = (now or parse_now(None)).astimezone(timezone.utc).replace(microsecond=0)
    report = BuildReport(out=out, now=now)
    if out.exists() and not out.is_dir():
        raise OutputError("is a file, not a folder; give --out a folder (or a name that does not exist yet)", out)
    cache = _Cache(out, environment_key(settings))

    # 1. every source: from the cache when its bytes are unchanged, else parse and render.
    sources = _Sources(settings, now, cache, report)
    sources.collect(issues_dir)
    # 2. unique ids. 3. schedule, unique slugs.
    _check_unique_ids(sources.records, sources.paths)
    published = _schedule(sources.records, now, out, report)
    _check_unique_slugs(published, sources.paths)
    # 4. entry updated dates. 5. feeds. 6. pages, index, stylesheet. 7. local images.
    updated, history = _entry_dates(published, cache.history, now)
    writes = _render_feeds(sources, published, updated, settings)
    pages, page_shas = _render_pages(sources, published, out, settings)
    writes.update(pages)
    copies = _select_images(published, set(writes) | set(page_shas), report)
    # 8. what changed and what is stale; check every target before writing any.
    manifest, changed = _diff_outputs(out, writes, page_shas, copies, report)
    stale = _stale_files(out, read_manifest(out), cache.outputs, manifest, report)
    extra = _bookkeeping(out, manifest, cache, sources, history)
    check_targets(out, [*sorted(changed), *extra])
    # 9. write every changed file atomically, then remove the stale ones.
    _write_all(out, changed, extra)
    report.changed = sorted(changed)
    report.unchanged = len(manifest) - len(report.changed)
    _remove_stale(out, stale, report)
    report.seconds = time.perf_counter() - started
    return report


def describe_due(report: BuildReport) -> str:
    """One line for a cron log: when the next scheduled issue becomes due (UTC, RFC 3339),
    or that none is scheduled."""
    if report.next_due is None:
        return "next scheduled issue: none"
    title, when = report.next_due
    wait = when - report.now
    hours = wait.total_seconds() / 3600
    span = f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"
    return f"next scheduled issue: {title!r} due {when.strftime('%Y-%m-%dT%H:%M:%SZ')} (in {span})"
