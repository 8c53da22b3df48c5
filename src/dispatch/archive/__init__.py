"""The archive build behind ``dispatch build``: every issue of a folder → the web archive and
its feeds, on a schedule. One module per step, in the order :func:`build_archive` runs them:
:mod:`.sources` (1), :mod:`.schedule` (2–4), :mod:`.feeds` and :mod:`.tags` (5), :mod:`.pages`
(6), :mod:`.images` (7), :mod:`.plan` (8), :mod:`.replace` (9); :mod:`.cache`,
:mod:`.manifest` and :mod:`.record` hold what runs keep between them.

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
import re
import time
from datetime import datetime, timezone
from pathlib import Path

from ..config import Settings, load_settings
from ..errors import DispatchError
from .cache import CACHE_DIR, Cache, environment_key
from .feeds import render_feeds
from .images import select_images
from .manifest import MANIFEST, read_manifest
from .pages import render_pages
from .plan import bookkeeping, diff_outputs, stale_files
from .replace import check_targets, remove_stale, write_all
from .report import BuildReport, OutputError, describe_due
from .schedule import check_unique_ids, check_unique_slugs, entry_dates, parse_now, schedule
from .sources import Sources, issue_files
from .tags import tag_key, tag_slug

__all__ = ["CACHE_DIR", "MANIFEST", "BuildReport", "OutputError", "build_archive", "describe_due", "issue_files",
           "parse_now", "tag_key", "tag_slug", "with_base_url"]


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
    cache = Cache(out, environment_key(settings))

    # 1. every source: from the cache when its bytes are unchanged, else parse and render.
    sources = Sources(settings, now, cache, report)
    sources.collect(issues_dir)
    # 2. unique ids. 3. schedule, unique slugs.
    check_unique_ids(sources.records, sources.paths)
    published = schedule(sources.records, now, out, report)
    check_unique_slugs(published, sources.paths)
    # 4. entry updated dates. 5. feeds. 6. pages, index, stylesheet. 7. local images.
    updated, history = entry_dates(published, cache.history, now)
    writes = render_feeds(sources, published, updated, settings)
    pages, page_shas = render_pages(sources, published, out, settings)
    writes.update(pages)
    copies = select_images(published, set(writes) | set(page_shas), report)
    # 8. what changed and what is stale; check every target before writing any.
    manifest, changed = diff_outputs(out, writes, page_shas, copies, report)
    stale = stale_files(out, read_manifest(out), cache.outputs, manifest, report)
    extra = bookkeeping(out, manifest, cache, sources, history)
    check_targets(out, [*sorted(changed), *extra])
    # 9. write every changed file atomically, then remove the stale ones.
    write_all(out, changed, extra)
    report.changed = sorted(changed)
    report.unchanged = len(manifest) - len(report.changed)
    remove_stale(out, stale, report)
    report.seconds = time.perf_counter() - started
    return report
