"""Step 1 of a build: every issue file of the folder as a
:class:`~dispatch.archive.record.Record`, from the cache when its bytes are unchanged, else
parsed and rendered (its body, and its page when it is published)."""

from __future__ import annotations

import ctypes
import hashlib
import os
import signal
import stat
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..assets import local_assets, references
from ..channels.entry import content_html, xml_safe
from ..diagnostics import holds_placeholders, issue_warnings, refuse_placeholders, settings_diagnostics
from ..attachments import canonical_url
from ..channels.web import NAV_SLOT, render_page
from ..config import Settings
from ..errors import DispatchError, RefusedError, SourceError
from ..frontmatter import parse_date
from ..images import retina_assets
from ..limits import read_issue_bytes
from ..output import write_file
from ..parse import new_markdown, parse_issue
from ..progress import progress
from ..source import draft_line, find_issue_files, read_source
from .cache import Cache
from .feeds import feed_links
from .lock import close_inherited
from .record import Record, digest, file_sha
from .report import BuildReport
from .tags import tag_links, tag_pairs



@dataclass(frozen=True)
class Context:
    """What rendering an issue needs besides the issue (sent once to each worker process).

    Attributes:
        settings: the newsletter's settings (``root`` = the newsletter folder).
        now: the instant the schedule is judged at (aware, UTC).
        css_url: absolute URL of the archive's stylesheet.
        root: the resolved newsletter folder.
        content_dir: the cache's folder of rendered bodies.
    """

    settings: Settings
    now: datetime
    css_url: str
    root: Path
    content_dir: Path


_worker: dict = {}


def _markdown():
    """This process's Markdown instance (one per worker, reset between issues by the parse)."""
    md = _worker.get("md")
    if md is None:
        md = _worker["md"] = new_markdown()
    return md


def _init_worker(ctx: Context) -> None:
    _worker["ctx"] = ctx


#: ``prctl(2)`` option: the signal the kernel sends this process when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1


def _init_pool_worker(ctx: Context, parent: int) -> None:
    """Initializer of a pool worker: it closes the output folder's lock it inherited
    (:func:`~dispatch.archive.lock.close_inherited`) and dies with the build that started it
    (``prctl(2)`` ``PR_SET_PDEATHSIG`` = ``SIGKILL`` on Linux), so a ``kill -9`` of the build
    leaves neither a worker nor the lock behind; then as :func:`_init_worker`."""
    close_inherited()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the build died before the line above took effect
        os._exit(1)
    _init_worker(ctx)


def _cache_body(folder: Path, sha: str, content: str) -> bool:
    """Store ``content`` (SHA-256 ``sha``) in the cache's ``folder`` unless a regular file is
    already there; ``False`` when it cannot be written."""
    path = folder / f"{sha}.html"
    try:
        if stat.S_ISREG(os.lstat(path).st_mode):
            return True
    except OSError:
        pass
    try:
        if os.path.lexists(path):
            path.unlink()
        write_file(path, content.encode("utf-8"))
    except OSError:
        return False
    return True


def _job(args: tuple[str, str, bytes | None, str | None]):
    """Render one issue in a worker: ``(key, path, raw or None to read it, stage file or
    None)`` → ``("ok",
    record, body or None)`` or ``("error", message, path, line, refused)`` (a
    :class:`~dispatch.errors.SourceError` does not survive pickling whole; ``refused``: it was
    a :class:`~dispatch.errors.RefusedError`)."""
    key, path, raw, stage = args
    try:
        if raw is None:
            ctx = _worker["ctx"]
            raw = read_issue_bytes(Path(path), ctx.settings.root, ctx.settings.limits.issue_bytes)
        rec, content = _render(_worker["ctx"], Path(path), key, raw, Path(stage) if stage else None)
    except SourceError as exc:
        return ("error", exc.message, str(exc.path) if exc.path else None, exc.line, isinstance(exc, RefusedError))
    return ("ok", rec, content)


class Sources:
    """Step 1 of a build: every issue file as a :class:`Record`, from the cache when its
    bytes are unchanged (and its page, when published, is still in the output folder as
    dispatch wrote it), else parsed and rendered — over ``jobs`` worker processes, in path
    order whatever their number, so the output never depends on it.

    Rendered pages go straight to stage files on disk and bodies to the cache, so memory
    stays flat in the archive's size: only records are kept.

    Attributes:
        records: source key (path relative to the issues folder) → its record.
        paths: source key → the issue file.
        staged: source key → the stage file holding its page rendered this run.
        kept: source keys of broken issues kept as last published (see :meth:`collect`).
        withdrawn: source key → last published record of each broken issue withdrawn
            because its file still reads as marked draft (see :meth:`withdrawn_file`).
    """

    def __init__(self, settings: Settings, now: datetime, cache: Cache, report: BuildReport, *,
                 strict: bool = True, out: Path, old_manifest: dict[str, str], stage: Path, jobs: int = 1):
        self.settings = settings
        self.now = now
        self.cache = cache
        self.report = report
        self.strict = strict
        self.out = out
        self.old_manifest = old_manifest
        self.stage = stage
        self.jobs = max(1, jobs)
        self.css_url = settings.base_url.rstrip("/") + "/style.css"
        self.ctx = Context(settings, now, self.css_url, settings.root.resolve(), cache.dir / "content")
        self.records: dict[str, Record] = {}
        self.paths: dict[str, Path] = {}
        self.staged: dict[str, str] = {}
        self.kept: set[str] = set()
        self.withdrawn: dict[str, Record] = {}
        self._bodies: dict[str, str] = {}  # bodies read for the feeds, and any the cache could not take
        self._n = 0

    def _page_kept(self, rec: Record) -> bool:
        """Whether ``rec``'s page, if it is published, is in the output folder as dispatch wrote it."""
        if rec.draft or rec.when > self.now:
            return True
        rel = f"{rec.slug}/index.html"
        try:
            return bool(rec.page_sha) and self.old_manifest.get(rel) == rec.page_sha and \
                (self.out / rel).stat().st_size == rec.page_size
        except OSError:
            return False

    def collect(self, issues_dir: Path) -> None:
        """Fill :attr:`records` and :attr:`paths` with every issue of ``issues_dir``, in path
        order, adding each issue's warnings to the report.

        Unless :attr:`strict`, an unreadable or invalid issue does not stop the build: its
        ``path:line: message`` goes to the report's ``errors`` and the version the cache
        holds of it (what the last good build published) is kept, when there is one —
        unless a line of its front matter still reads as ``draft: true`` or ``status:
        draft``: then that version is withdrawn (a file its writer marked draft never stays
        public). A warning says which was done.

        Raises:
            SourceError: an unreadable or invalid issue, when :attr:`strict` (the first in
                path order).
        """
        todo: list[tuple[str, str, bytes | None, str | None]] = []
        order: list[str] = []
        unreadable: dict[str, SourceError] = {}
        found = find_issue_files(issues_dir, self.settings.source.format, self.settings.limits.issue_bytes)
        self.report.warnings.extend(found.skipped_lines())
        for path in progress(found.files, desc="Reading issues", unit="issue"):
            key = path.relative_to(issues_dir).as_posix()
            self.paths[key] = path
            order.append(key)
            cached = self.cache.records.get(key)
            if cached is None:  # the worker reads it (once): no bytes wait in memory for a worker
                todo.append((key, str(path), None, self._stage_name()))
                continue
            try:
                raw = read_issue_bytes(path, self.settings.root, self.settings.limits.issue_bytes)
            except SourceError as exc:
                unreadable[key] = exc
                continue
            if (cached.source_sha == hashlib.sha256(raw).hexdigest()
                    and not any(Path(f).is_file() for f in cached.watch)
                    and not (holds_placeholders(cached.warnings) and not cached.draft and cached.when <= self.now)
                    and self._page_kept(cached) and self.cache.has_content(cached.content_sha)):
                self.records[key] = cached
            else:
                todo.append((key, str(path), raw, self._stage_name()))
        stages = {key: stage for key, _, _, stage in todo}
        results = dict(zip(stages, self._render_all(todo)))
        for key in order:  # errors in path order: with strict, the first one stops the build
            if key in unreadable:
                self._failed(key, unreadable[key], self.cache.records.get(key), None)
            if key not in results:
                continue
            result, stage = results.pop(key), stages[key]
            if result[0] == "error":
                (self.stage / stage).unlink(missing_ok=True)
                error = (RefusedError if result[4] else SourceError)(result[1], result[2], result[3])
                self._failed(key, error, self.cache.records.get(key),
                             self.paths[key])
                continue
            _, rec, content = result
            self.report.parsed += 1
            self.records[key] = rec
            if content is not None:
                self._bodies[key] = content
            if rec.page_sha:
                self.staged[key] = stage
            else:
                (self.stage / stage).unlink(missing_ok=True)
        self.records = {key: self.records[key] for key in order if key in self.records}
        # a warning about the settings (base_url…) comes with every issue: told once, first
        settings_lines = [str(d) for d in settings_diagnostics(self.settings)]
        told = set(self.report.warnings)
        self.report.warnings.extend(w for w in settings_lines if not (w in told or told.add(w)))
        drafts = held = 0
        for rec in self.records.values():
            if rec.source in self.kept:
                continue
            if rec.draft:  # not built: its warnings are for 'check', one line here says so
                own = [w for w in rec.warnings if w not in settings_lines]
                drafts, held = drafts + bool(own), held + len(own)
                continue
            self.report.warnings.extend(w for w in rec.warnings if not (w in told or told.add(w)))
        if drafts:
            self.report.warnings.append(
                f"{issues_dir}: {drafts} draft{'s' if drafts > 1 else ''} left out of the build, with "
                f"{held} warning{'s' if held > 1 else ''}; 'dispatch check {issues_dir}' shows them")

    def _stage_name(self) -> str:
        self._n += 1
        return f"page{self._n}"

    def _render_all(self, todo: list[tuple[str, str, bytes | None, str | None]]):
        """Render ``todo`` in order: in this process for one job or a few issues, else over
        a pool of :attr:`jobs` processes (results still in ``todo``'s order)."""
        jobs = [(key, path, raw, str(self.stage / stage)) for key, path, raw, stage in todo]
        bar = progress(total=len(jobs), desc="Rendering", unit="issue")
        try:
            if self.jobs == 1 or len(jobs) < 2 * self.jobs:
                _init_worker(self.ctx)
                for job in jobs:
                    result = _job(job)
                    bar.update()
                    yield result
                    if result[0] == "error" and self.strict:
                        return
                return
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(self.jobs, initializer=_init_pool_worker,
                                     initargs=(self.ctx, os.getpid())) as pool:
                for result in pool.map(_job, jobs, chunksize=max(1, min(16, len(jobs) // (8 * self.jobs)))):
                    bar.update()
                    yield result
                    if result[0] == "error" and self.strict:
                        pool.shutdown(cancel_futures=True)
                        return
        finally:
            bar.close()

    def _failed(self, key: str, exc: SourceError, cached: Record | None, path: Path | None) -> None:
        """Broken source ``key``: raise ``exc`` when :attr:`strict`, else report it and keep
        or withdraw its last published version (``path``: the file, when it could be read)."""
        if self.strict:
            raise exc
        self.report.errors.append(str(exc))
        if isinstance(exc, RefusedError):
            self.report.refused.append(str(exc))
        if cached is None:
            return
        public = not cached.draft and cached.when <= self.now
        where = self.paths[key]
        line = None
        if path is not None:
            try:
                line = draft_line(read_issue_bytes(path, self.settings.root, self.settings.limits.issue_bytes))
            except SourceError:
                line = None
        if line is not None:
            if public:
                self.withdrawn[key] = cached
                self.report.withdrawn.append(key)
                self.report.warnings.append(f"{where}:{line}: the file cannot be read but is marked draft; its last "
                                            f"published version ({cached.slug}/) is withdrawn")
            return
        content = self.cache.content(cached.content_sha)
        if content is None:
            if public:
                self.report.warnings.append(f"{where}: the file cannot be read and its last published version is "
                                            "not in the cache; it leaves the feeds, its files stay until it reads "
                                            "again")
            return
        self.records[key] = cached
        self._bodies[key] = content
        self.kept.add(key)
        if public:
            self.report.kept.append(key)
            self.report.warnings.append(f"{where}: the file cannot be read; its last published version "
                                        f"({cached.slug}/) is kept until it reads again")

    def withdrawn_file(self, rel: str) -> bool:
        """Whether output path ``rel`` belongs to a withdrawn issue only: its page folder,
        its images, the feed of one of its tags (asked of the files no longer produced,
        which go even while other issues are broken)."""
        for rec in self.withdrawn.values():
            if rel.startswith(f"{rec.slug}/") or rel in {a[2] for a in rec.assets} | {r[0] for r in rec.retina} or \
                    any(rel.startswith(f"tags/{slug}/") for slug, _ in tag_pairs(rec.tags)):
                return True
        return False

    def render_page_again(self, key: str) -> Record:
        """Render source ``key``'s page again, into a new stage file (:attr:`staged`), when its
        file in the output folder is not the one its cached record describes; its record is
        replaced by the new one, which it returns.

        Raises:
            SourceError: its source no longer reads.
        """
        _init_worker(self.ctx)
        path = self.paths[key]
        name = self._stage_name()
        rec, content = _render(self.ctx, path, key, path.read_bytes(), self.stage / name)
        self.report.parsed += 1
        if content is not None:
            self._bodies[key] = content
        self.records[key] = rec
        self.staged[key] = name
        return rec

    def content(self, rec: Record) -> str:
        """The body HTML of ``rec``: from the cache (checked against its SHA-256; read once,
        even when the issue is in many feeds), else rendered again.

        Raises:
            SourceError: it had to be rendered again and its source no longer reads.
        """
        if rec.source in self._bodies:
            return self._bodies[rec.source]
        content = self.cache.content(rec.content_sha)
        if content is None:
            _init_worker(self.ctx)
            path = self.paths[rec.source]
            rec, content = _render(self.ctx, path, rec.source, path.read_bytes(), None)
            self.report.parsed += 1
            content = content if content is not None else self.cache.content(rec.content_sha)
        self._bodies[rec.source] = content
        return content


def _render(ctx: Context, path: Path, key: str, raw: bytes, stage: Path | None) -> tuple[Record, str | None]:
    """Parse and render the issue ``path`` (source key ``key``, bytes ``raw``, read once):
    its body goes to the cache (or is returned when the cache cannot take it), its page, when
    it is published, to the file ``stage``. Returns its record and the body when it is not
    in the cache.

    Raises:
        SourceError: the issue cannot be read or parsed.
    """
    settings = ctx.settings
    issue = parse_issue(path, settings, data=raw, md=_markdown())
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
    text_sha = digest(title, summary, read_source(path, data=raw).body)
    tags = [t for t in (xml_safe(t).strip() for t in meta.tags) if t]
    page = None
    page_parts: list[int] = []
    if not meta.draft and meta.date <= ctx.now:
        pairs = tag_pairs(tags)
        page = render_page(issue, settings, content, feed_links(settings, pairs), ctx.css_url,
                           tag_links=tag_links(settings, pairs), issue_nav=NAV_SLOT).encode("utf-8")
        parts = page.split(NAV_SLOT.encode("utf-8"))  # the previous/next links are filled in by step 6
        page_parts = [len(part) for part in parts] if len(parts) > 1 else []
    assets, asset_warnings = local_assets(issue, settings)
    found = {a.file for a in assets}
    watch = []
    for src in references(issue):
        file = (path.parent / unquote(urlsplit(src).path)).resolve()
        if file not in found and not file.is_file() and file.is_relative_to(ctx.root):
            watch.append(str(file))
    issue_id = xml_safe(meta.id).strip()
    if not issue_id:
        raise SourceError("the id has no characters left once control characters are removed; write a "
                          "permanent id such as a URL or urn:uuid:…", path, meta.lines.get("id", 1))
    if page is not None:
        refuse_placeholders(issue)
    warnings = [str(d) for d in issue_warnings(issue, settings, asset_warnings=asset_warnings)]
    kept_content = None if _cache_body(ctx.content_dir, content_sha, content) else content
    if page is not None and stage is not None:
        with open(stage, "wb") as fh:
            fh.write(page)
    return Record(
        source=key, source_sha=hashlib.sha256(raw).hexdigest(), id=issue_id, title=title, slug=meta.slug,
        permalink=issue.permalink, date=meta.date.astimezone(timezone.utc).isoformat(), draft=meta.draft,
        tags=tags, author=xml_safe(meta.author or settings.author or settings.site_name),
        lang=xml_safe(meta.lang), summary=summary, content_sha=content_sha, text_sha=text_sha,
        page_size=len(page) if page else -1, page_sha=file_sha(page) if page else "",
        updated_given=updated_given, warnings=list(dict.fromkeys(warnings)),
        assets=[[a.src, str(a.file), a.url_path, f"{issue.path}:{a.line}"] for a in assets], watch=watch,
        retina=[[rel, str(a.file), f"{issue.path}:{a.line}"] for rel, a in retina_assets(issue, settings, assets)],
        attachments=[[a.url, a.mime, str(a.length), a.kind, xml_safe(a.title), str(a.duration)]
                     for a in issue.attachments],
        canonical=canonical_url(meta, issue.permalink), page_parts=page_parts,
    ), kept_content
