"""The library API behind ``dispatch build``: every issue of a folder → the web archive and
its feeds, on a schedule.

Outputs, under ``out/``:

* ``feed.xml`` (RSS 2.0), ``atom.xml`` (Atom 1.0, RFC 4287), ``feed.json`` (JSON Feed 1.1),
  each with the newest ``[feed] limit`` issues (default 20);
* ``tags/<tag-slug>/atom.xml`` per tag, same limit;
* ``<slug>/index.html`` per issue (its permalink), ``index.html`` listing every published
  issue newest first, and ``style.css``.

Schedule: drafts and issues dated after ``now`` are left out of every output; the report
names the next scheduled issue and when it becomes due. Entries sort by ``(date, id)``,
newest first.

Stability: output depends only on the sources, settings and layout (no clock, time zone or
hash seed). An entry's ``updated`` is front-matter ``updated`` when given; otherwise it is
its publication date until what the author wrote (title, summary, Markdown body) changes,
then the build time of the change (a new layout or dispatch version does not count), kept in the cache so later builds repeat it. Files are written atomically
(temp + rename) and only when their bytes change; stale pages of issues that were
unpublished are removed.

Cache: ``out/.dispatch-cache/`` holds ``index.json`` (per source file: SHA-256 of its bytes,
the metadata, the content hash, the page's size) and ``content/<sha>.html`` (rendered bodies).
A source whose bytes, the settings, the layout and the dispatch version are unchanged is not
parsed or rendered again. Deleting the folder is always safe (it only costs time, and resets
entry ``updated`` dates to front-matter or publication dates).

Failure: every issue is parsed and rendered before anything is written, so a bad issue
raises :class:`~dispatch.errors.DispatchError` and leaves ``out/`` as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .channels.feed import EntryData, content_html, xml_safe, _NOT_XML_CHAR
from .channels.feeds import FeedInfo, render_atom, render_json_feed, render_rss
from .channels.web import FeedLink, IndexItem, render_index, render_page, stylesheet
from .config import Settings, load_settings
from .errors import DispatchError, SourceError
from .frontmatter import parse_date
from .layout import layout_dirs
from .output import write_file
from .parse import parse_issue
from .source import read_source
from .textutil import slugify

CACHE_DIR = ".dispatch-cache"
CACHE_VERSION = 2
ISSUE_SUFFIXES = (".md", ".markdown")
#: ``updated`` of a feed with no entries yet (RFC 4287 requires one): fixed, so rebuilding an
#: empty archive stays quiet instead of rewriting its feeds with the clock.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass
class Record:
    """What the build knows about one source file (kept in the cache between runs).

    Dates are ISO 8601 strings in UTC; ``content_sha`` is the SHA-256 of the rendered body
    HTML (the key of its cached copy); ``text_sha`` the SHA-256 of what the author wrote (title,
    summary, Markdown body), which decides the entry's ``updated``; ``page_size`` is the byte
    size of its web page.
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
    updated_given: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def when(self) -> datetime:
        """The publication instant (aware, UTC)."""
        return datetime.fromisoformat(self.date)


@dataclass
class BuildReport:
    """What a build did.

    Attributes:
        out: the output folder.
        now: the instant the schedule was judged at (aware, UTC).
        published: ids of the issues published, newest first.
        changed: output paths (relative to ``out``) written because their bytes changed.
        removed: output paths removed (pages of issues no longer published).
        unchanged: how many output files were left as they were.
        next_due: ``(title, instant)`` of the next scheduled (future, non-draft) issue.
        parsed: how many sources were parsed this run (the rest came from the cache).
        drafts: how many drafts were skipped.
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
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def parse_now(value: str | None) -> datetime:
    """``--now``: an ISO 8601 instant (``2026-05-22T07:00+12:00``; a date or a value without
    offset is UTC), or the current time when ``None``; returned in UTC, whole seconds.

    Raises:
        DispatchError: the value is not ISO 8601.
    """
    if value is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise DispatchError(f"--now {value!r} is not an ISO 8601 date-time; write e.g. 2026-05-22T07:00:00+12:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).replace(microsecond=0)


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
        if path.suffix.lower() in ISSUE_SUFFIXES and path.stem.lower() != "readme" and path.is_file():
            found.append(path)
    return sorted(found)


def xml_warnings(path: Path, text: str) -> list[str]:
    """One warning per line of ``text`` holding characters outside XML 1.0's ``Char`` range
    (XML 1.0 §2.2), naming ``path:line`` and the code points; they are removed from every
    output (one would make the whole feed unreadable)."""
    out = []
    if not _NOT_XML_CHAR.search(text):
        return out
    for number, line in enumerate(text.split("\n"), 1):
        bad = sorted({f"U+{ord(c):04X}" for c in _NOT_XML_CHAR.findall(line)})
        if bad:
            out.append(f"{path}:{number}: removed {', '.join(bad)} (not allowed in XML) from the feeds and page")
    return out


def _key_line(path: Path, key: str) -> int:
    """The 1-based line of front-matter ``key`` in ``path`` (1 when it is not written)."""
    return read_source(path).front.lines.get(key, 1)


def _sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


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


class _Cache:
    """``out/.dispatch-cache/``: the record index and rendered bodies by content hash."""

    def __init__(self, out: Path, env_key: str):
        self.dir = out / CACHE_DIR
        self.env_key = env_key
        self.records: dict[str, Record] = {}
        self.history: dict[str, dict[str, str]] = {}
        self.outputs: list[str] = []
        try:
            data = json.loads((self.dir / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return
        self.history = data.get("history", {})
        self.outputs = data.get("outputs", [])
        if data.get("env") == env_key:
            try:
                self.records = {k: Record(**v) for k, v in data.get("records", {}).items()}
            except TypeError:
                self.records = {}

    def content_path(self, sha: str) -> Path:
        return self.dir / "content" / f"{sha}.html"

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
    seen: dict[str, str] = {}
    for tag in tags:
        slug = slugify(tag)
        if slug and slug not in seen:
            seen[slug] = tag
    return list(seen.items())


def build_archive(
    issues_dir: Path | str,
    out: Path | str = "public",
    settings: Settings | None = None,
    now: datetime | None = None,
) -> BuildReport:
    """Build the web archive and feeds of every issue in ``issues_dir`` into ``out``.

    Args:
        issues_dir: the folder of issue files (searched recursively).
        out: the output folder (created when missing).
        settings: defaults to the nearest ``dispatch.toml`` above ``issues_dir``.
        now: the instant to judge the schedule at (aware); default: the current time.

    Returns:
        a :class:`BuildReport`.

    Raises:
        DispatchError: an unreadable or invalid issue (``path:line``), two issues with one id
            or one slug, a broken layout; nothing is written then.
    """
    started = time.perf_counter()
    issues_dir = Path(issues_dir)
    out = Path(out)
    settings = settings or load_settings(issues_dir)
    now = (now or parse_now(None)).astimezone(timezone.utc).replace(microsecond=0)
    report = BuildReport(out=out, now=now)
    env_key = environment_key(settings)
    cache = _Cache(out, env_key)
    base = settings.base_url.rstrip("/") + "/"
    css_url = base + "style.css"

    # 1. every source: from the cache when its bytes are unchanged, else parse and render.
    records: dict[str, Record] = {}
    fresh: dict[str, _Fresh] = {}
    writes: dict[str, bytes] = {}  # relative output path -> bytes (all computed before writing)
    cache_writes: dict[Path, bytes] = {}

    def materialize(path: Path, key: str, raw: bytes) -> Record:
        issue = parse_issue(path, settings)
        report.parsed += 1
        content = content_html(issue, settings)
        meta = issue.meta
        given = meta.extra.get("updated") or meta.extra.get("modified") or meta.extra.get("lastmod")
        updated_given = ""
        if given is not None:
            updated_given = parse_date(given, settings.tz, path, meta.lines.get("updated", meta.lines.get("modified", 1)))
            updated_given = updated_given.astimezone(timezone.utc).isoformat()
        summary = xml_safe(issue.summary)
        title = xml_safe(meta.title)
        content_sha = _sha(content)
        text_sha = _sha(title, summary, read_source(path).body)
        page = None
        if not meta.draft and meta.date <= now:
            feeds = _feeds_for(settings, _tag_pairs(list(meta.tags)))
            page = render_page(issue, settings, content, feeds, css_url).encode("utf-8")
        fresh[key] = _Fresh(content, page)
        cache_writes[cache.content_path(content_sha)] = content.encode("utf-8")
        return Record(
            source=key, source_sha=hashlib.sha256(raw).hexdigest(), id=meta.id, title=title, slug=meta.slug,
            permalink=issue.permalink, date=meta.date.astimezone(timezone.utc).isoformat(), draft=meta.draft,
            tags=list(meta.tags), author=xml_safe(meta.author or settings.author or settings.site_name),
            lang=meta.lang, summary=summary, content_sha=content_sha, text_sha=text_sha, page_size=len(page) if page else -1,
            updated_given=updated_given,
            warnings=xml_warnings(path, raw.decode("utf-8", "replace")),
        )

    paths: dict[str, Path] = {}
    for path in issue_files(issues_dir):
        key = path.relative_to(issues_dir).as_posix()
        paths[key] = path
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read the file: {exc.strerror}", path) from None
        cached = cache.records.get(key)
        if cached is not None and cached.source_sha == hashlib.sha256(raw).hexdigest():
            records[key] = cached
        else:
            records[key] = materialize(path, key, raw)
        report.warnings.extend(records[key].warnings)

    # 2. unique ids and slugs (a second issue with one id would replace the first in readers).
    by_id: dict[str, str] = {}
    for key, rec in sorted(records.items()):
        if rec.id in by_id:
            raise SourceError(f"id {rec.id!r} is already used by {by_id[rec.id]}; every issue needs its own id",
                              paths[key], _key_line(paths[key], "id"))
        by_id[rec.id] = key
    # 3. schedule.
    published = [r for r in records.values() if not r.draft and r.when <= now]
    published.sort(key=lambda r: (r.when, r.id), reverse=True)
    report.drafts = sum(1 for r in records.values() if r.draft)
    upcoming = sorted((r for r in records.values() if not r.draft and r.when > now), key=lambda r: (r.when, r.id))
    if upcoming:
        report.next_due = (upcoming[0].title, upcoming[0].when)
    by_slug: dict[str, str] = {}
    for rec in published:
        if rec.slug in by_slug:
            raise SourceError(f"slug {rec.slug!r} is already used by {by_slug[rec.slug]}; give this issue its own slug",
                              paths[rec.source], _key_line(paths[rec.source], "slug"))
        by_slug[rec.slug] = rec.source
    report.published = [r.id for r in published]

    # 4. entry updated dates: unchanged content keeps its recorded date.
    history = dict(cache.history)
    updated: dict[str, datetime] = {}
    for rec in published:
        if rec.updated_given:
            when = max(datetime.fromisoformat(rec.updated_given), rec.when)
        else:
            seen = history.get(rec.id)
            if seen is None:
                when = rec.when
            elif seen.get("text") == rec.text_sha:
                when = datetime.fromisoformat(seen["updated"])
            else:  # edited since: the time of this run (never earlier than the last update)
                when = max(now, rec.when, datetime.fromisoformat(seen["updated"]))
        updated[rec.id] = when
        history[rec.id] = {"text": rec.text_sha, "updated": when.isoformat()}

    def content_of(rec: Record) -> str:
        if rec.source in fresh:
            return fresh[rec.source].content
        try:
            content = cache.content_path(rec.content_sha).read_text(encoding="utf-8")
            fresh[rec.source] = _Fresh(content)  # read once, even when the issue is in many feeds
            return content
        except OSError:
            records[rec.source] = materialize(paths[rec.source], rec.source, paths[rec.source].read_bytes())
            return fresh[rec.source].content

    def entry(rec: Record) -> EntryData:
        return EntryData(
            id=rec.id, title=rec.title, permalink=rec.permalink, published=rec.when, updated=updated[rec.id],
            author=rec.author, summary=rec.summary, content_html=content_of(rec), tags=tuple(rec.tags), lang=rec.lang,
        )

    # 5. feeds.
    limit = settings.feed.limit
    top = [entry(r) for r in published[:limit]]
    site = FeedInfo(id=base, title=settings.site_name, home=base, self_url="", description=settings.site_name,
                    lang=settings.language, fallback_updated=EMPTY_FEED_UPDATED)
    writes["feed.xml"] = render_rss(top, dataclasses.replace(site, self_url=base + "feed.xml"), settings)
    writes["atom.xml"] = render_atom(top, dataclasses.replace(site, self_url=base + "atom.xml"), settings)
    writes["feed.json"] = render_json_feed(top, dataclasses.replace(site, self_url=base + "feed.json"), settings)
    tag_entries: dict[str, list[Record]] = {}
    tag_names: dict[str, str] = {}
    for rec in published:  # newest first, so a tag's name is its newest spelling
        for slug, name in _tag_pairs(rec.tags):
            tag_names.setdefault(slug, name)
            tag_entries.setdefault(slug, []).append(rec)
    for slug in sorted(tag_entries):
        name = tag_names[slug]
        info = FeedInfo(id=f"{base}tags/{slug}/", title=f"{settings.site_name}: {name}", home=base,
                        self_url=f"{base}tags/{slug}/atom.xml", description=f"Issues tagged {name}",
                        lang=settings.language, fallback_updated=EMPTY_FEED_UPDATED)
        writes[f"tags/{slug}/atom.xml"] = render_atom([entry(r) for r in tag_entries[slug][:limit]], info, settings)

    # 6. pages: rendered for fresh issues, or when the file on disk is missing or not ours.
    for rec in published:
        rel = f"{rec.slug}/index.html"
        target = out / rel
        if rec.source not in fresh or fresh[rec.source].page is None:
            try:
                if target.stat().st_size == rec.page_size:
                    continue
            except OSError:
                pass
            records[rec.source] = rec = materialize(paths[rec.source], rec.source, paths[rec.source].read_bytes())
        writes[rel] = fresh[rec.source].page
    writes["index.html"] = render_index(
        [IndexItem(r.title, r.permalink, r.when, r.summary, tuple(r.tags)) for r in published],
        settings, _feeds_for(settings), css_url).encode("utf-8")
    writes["style.css"] = stylesheet(settings).encode("utf-8")

    # 7. write: changed files only, each atomically; then remove what is no longer published.
    outputs = sorted(set(writes) | {f"{r.slug}/index.html" for r in published})
    for rel in sorted(writes):
        if write_file(out / rel, writes[rel]):
            report.changed.append(rel)
    report.unchanged = len(outputs) - len(report.changed)
    for rel in sorted(set(cache.outputs) - set(outputs)):
        target = out / rel
        if target.is_file():
            target.unlink()
            report.removed.append(rel)
            try:
                target.parent.rmdir()
            except OSError:
                pass
    for path, data in cache_writes.items():
        if not path.exists():
            write_file(path, data)
    write_file(cache.dir / "index.json", cache.dump(records, history, outputs))
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
