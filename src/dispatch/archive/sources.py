"""Step 1 of a build: every issue file of the folder as a
:class:`~dispatch.archive.record.Record`, from the cache when its bytes are unchanged, else
parsed and rendered (its body, and its page when it is published)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..assets import local_assets, references
from ..channels.entry import content_html, xml_safe
from ..diagnostics import holds_placeholders, issue_warnings, refuse_placeholders
from ..channels.web import render_page
from ..config import Settings
from ..errors import DispatchError, SourceError
from ..frontmatter import parse_date
from ..limits import read_issue_bytes
from ..parse import parse_issue
from ..source import ISSUE_SUFFIXES, read_source
from .cache import Cache
from .feeds import feed_links
from .record import Record, digest, file_sha
from .report import BuildReport
from .tags import tag_pairs



def issue_files(folder: Path) -> list[Path]:
    """Every issue file under ``folder`` (``*.md``, ``*.markdown``, plain-text ``*.txt``; hidden files and folders,
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


@dataclass
class Fresh:
    """An issue rendered this run: its body HTML and, when published, its page (the parsed
    model itself is dropped at once, to keep a large archive's memory small)."""

    content: str
    page: bytes | None = None


class Sources:
    """Step 1 of a build: every issue file as a :class:`Record`, from the cache when its
    bytes are unchanged, else parsed and rendered. Later steps ask it for bodies and pages,
    which re-renders an issue whose cached copy is gone.

    Attributes:
        records: source key (path relative to the issues folder) → its record.
        paths: source key → the issue file.
        fresh: source key → what was rendered (or read from the cache) this run.
        cache_writes: rendered bodies to store in the cache, content SHA-256 → UTF-8 bytes.
    """

    def __init__(self, settings: Settings, now: datetime, cache: Cache, report: BuildReport, strict: bool = True):
        self.settings = settings
        self.now = now
        self.cache = cache
        self.report = report
        self.css_url = settings.base_url.rstrip("/") + "/style.css"
        self.root = settings.root.resolve()
        self.records: dict[str, Record] = {}
        self.paths: dict[str, Path] = {}
        self.fresh: dict[str, Fresh] = {}
        self.cache_writes: dict[str, bytes] = {}
        self.strict = strict
        self.kept: set[str] = set()

    def collect(self, issues_dir: Path) -> None:
        """Fill :attr:`records` and :attr:`paths` with every issue of ``issues_dir``, in path
        order, adding each issue's warnings to the report.

        Unless :attr:`strict`, an unreadable or invalid issue does not stop the build: its
        ``path:line: message`` goes to the report's ``errors`` and the version the cache
        holds of it (what the last good build published) is kept, when there is one.

        Raises:
            SourceError: an unreadable or invalid issue, when :attr:`strict`.
        """
        from ..progress import progress

        for path in progress(issue_files(issues_dir), desc="Reading issues", unit="issue"):
            key = path.relative_to(issues_dir).as_posix()
            self.paths[key] = path
            cached = self.cache.records.get(key)
            try:
                raw = read_issue_bytes(path, self.settings.root, self.settings.limits.issue_bytes)
                if (cached is not None and cached.source_sha == hashlib.sha256(raw).hexdigest()
                        and not any(Path(f).is_file() for f in cached.watch)
                        and not (holds_placeholders(cached.warnings) and not cached.draft and cached.when <= self.now)):
                    self.records[key] = cached
                else:
                    self.records[key] = self._materialize(path, key, raw)
            except SourceError as exc:
                if self.strict:
                    raise
                self.report.errors.append(str(exc))
                self._keep(key, cached)
                continue
            self.report.warnings.extend(self.records[key].warnings)

    def _keep(self, key: str, cached: Record | None) -> None:
        """Keep the last good version of broken source ``key`` (its cached record and body),
        when the cache has both."""
        self.fresh.pop(key, None)
        content = self.cache.content(cached.content_sha) if cached is not None else None
        if cached is None or content is None:
            return
        self.records[key] = cached
        self.fresh[key] = Fresh(content)
        self.kept.add(key)
        self.report.kept.append(key)

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
        content_sha = digest(content)
        text_sha = digest(title, summary, read_source(path).body)
        tags = [t for t in (xml_safe(t).strip() for t in meta.tags) if t]
        page = None
        if not meta.draft and meta.date <= self.now:
            feeds = feed_links(settings, tag_pairs(tags))
            page = render_page(issue, settings, content, feeds, self.css_url).encode("utf-8")
        self.fresh[key] = Fresh(content, page)
        self.cache_writes[content_sha] = content.encode("utf-8")
        assets, asset_warnings = local_assets(issue, settings)
        found = {a.file for a in assets}
        watch = []
        for src in references(issue):
            file = (path.parent / unquote(urlsplit(src).path)).resolve()
            if file not in found and not file.is_file() and file.is_relative_to(self.root):
                watch.append(str(file))
        issue_id = xml_safe(meta.id).strip()
        if not issue_id:
            raise SourceError("the id has no characters left once control characters are removed; write a "
                              "permanent id such as a URL or urn:uuid:…", path, meta.lines.get("id", 1))
        if page is not None:
            refuse_placeholders(issue)
        warnings = [str(d) for d in issue_warnings(issue, settings, asset_warnings=asset_warnings)]
        return Record(
            source=key, source_sha=hashlib.sha256(raw).hexdigest(), id=issue_id, title=title, slug=meta.slug,
            permalink=issue.permalink, date=meta.date.astimezone(timezone.utc).isoformat(), draft=meta.draft,
            tags=tags, author=xml_safe(meta.author or settings.author or settings.site_name),
            lang=xml_safe(meta.lang), summary=summary, content_sha=content_sha, text_sha=text_sha,
            page_size=len(page) if page else -1, page_sha=file_sha(page) if page else "",
            updated_given=updated_given, warnings=list(dict.fromkeys(warnings)),
            assets=[[a.src, str(a.file), a.url_path, f"{issue.path}:{a.line}"] for a in assets], watch=watch,
            attachments=[[a.url, a.mime, str(a.length), a.kind, xml_safe(a.title), str(a.duration)]
                         for a in issue.attachments],
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
            self.fresh[rec.source] = Fresh(content)
            return content
        self.rerender(rec.source)
        return self.fresh[rec.source].content
