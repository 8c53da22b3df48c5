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
* ``<slug>/index.html`` per issue (its permalink, with links to the issues published just
  before and after it), ``index.html`` listing every published issue newest first,
  ``tags/<tag-path>/index.html`` per tag and ``tags/index.html``, ``404.html``, ``style.css``,
  ``sitemap.xml`` and, when ``base_url`` is a host's root and the folder holds no
  ``robots.txt`` of the owner's, ``robots.txt`` (see :mod:`.pages`);
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

Reading: files are read only from the newsletter folder (:func:`newsletter_root`), never
from a hidden folder, dispatch's own files or through a symbolic link leading out (see
:func:`dispatch.assets.refusal`); each refusal is a ``path:line`` warning.

Writing (:mod:`.replace`): one build at a time per output folder (:mod:`.lock`); every output
is computed first; then every target is checked (a file where a folder is needed, a folder
where a file goes, a symbolic link on the way, a file dispatch did not write — unless
``force`` — raises :class:`OutputError` before anything is touched); then the changed files
are staged, journalled and renamed into place, so that a failure leaves the folder as it was
and a killed build is finished or undone by the next one. Unchanged files are not rewritten.
``out`` may not be ``/``, the issues folder, the newsletter folder or hold one of them.

Removal: a file the previous build wrote (listed in ``.dispatch-manifest``) that this build
no longer produces (the issue was deleted, drafted, renamed, a tag or image dropped) is
removed, so long as it still holds the bytes dispatch wrote; a file someone changed since is
left with a warning, and files dispatch never wrote are never touched.

Cache (:mod:`.cache`): outside the published folder, in the newsletter folder's
``.dispatch-cache/`` (``cache_dir`` in ``dispatch.toml``), one subfolder per output folder:
``index.json`` (per source file: SHA-256 of its bytes, the metadata, the content hash, the
page's size and hash) and ``content/<sha>.html`` (rendered bodies, each checked against its
SHA-256 when read). A source whose bytes, the settings, the layout and the dispatch version
are unchanged is not parsed or rendered again. An unreadable, oversized or invalid entry is
a miss (the issue is rendered again), never an error. Deleting the folder is always safe (it
only costs time, and resets entry ``updated`` dates to front-matter or publication dates).
A cache an older dispatch kept in ``out/.dispatch-cache/`` is removed.

Failure: every issue is parsed and rendered before anything is written, so a bad issue
raises :class:`~dispatch.errors.DispatchError` and leaves ``out/`` as it was.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path

from ..config import Settings, load_settings
from ..errors import DispatchError
from ..output import same_bytes
from .cache import Cache, cache_folder, environment_key, remove_legacy_cache
from .feeds import render_feeds
from .images import prune_retina, retina_bytes, select_images
from .lock import WORK_DIR, OutputLock, staged_inside, work_folder
from .manifest import MANIFEST, manifest_bytes, read_manifest
from .pages import render_pages
from .plan import Plan, stale_files
from .replace import Replacement, discard_work, recover
from .report import BuildReport, OutputError, build_summary, describe_due
from .schedule import check_unique_ids, check_unique_slugs, entry_dates, parse_now, schedule
from .sources import Sources
from .tags import tag_key, tag_slug
from .target import check_out_folder, check_targets, foreign_files, refuse_foreign

__all__ = ["MANIFEST", "WORK_DIR", "BuildReport", "OutputError", "build_archive", "build_summary", "describe_due",
           "newsletter_root", "parse_now", "tag_key", "tag_slug", "with_base_url", "work_folder"]


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


def newsletter_root(settings: Settings, issues_dir: Path) -> Path:
    """The newsletter folder, the only one files are read from: the folder of the
    ``dispatch.toml`` in use, else the issues folder's parent (never the working directory
    by accident)."""
    return settings.path.parent.resolve() if settings.path is not None else issues_dir.resolve().parent


def build_archive(
    issues_dir: Path | str,
    out: Path | str = "public",
    settings: Settings | None = None,
    now: datetime | None = None,
    base_url: str | None = None,
    *,
    force: bool = False,
    wait: float = 0.0,
    cache_dir: Path | str | None = None,
    on_wait=None,
    strict: bool = True,
    jobs: int = 1,
) -> BuildReport:
    """Build the web archive and feeds of every issue in ``issues_dir`` into ``out``.

    Args:
        issues_dir: the folder of issue files (searched recursively).
        out: the output folder (created when missing).
        settings: defaults to the nearest ``dispatch.toml`` above ``issues_dir``.
        now: the instant to judge the schedule at (aware); default: the current time.
        base_url: replaces the settings' ``base_url`` for this build (see :func:`with_base_url`).
        force: replace files in ``out`` that dispatch did not write instead of stopping.
        wait: seconds to wait for another build holding ``out``'s lock.
        cache_dir: the cache folder (default: ``settings.cache_dir`` in the newsletter folder).
        on_wait: called with the lock holder's description when this build has to wait.
        jobs: worker processes that parse and render issues (``0``: one per core); the
            output is byte-identical whatever the number. Workers die with the build.
        strict: stop at the first unreadable issue (nothing written). When false (what
            ``dispatch build`` does unless ``--strict``), every unreadable issue and every id
            or slug clash goes to the report's ``errors`` and the rest is built; a broken
            issue keeps the version the last good build published (its cached record, its
            page), and while any issue is broken no file is removed.

    Returns:
        a :class:`BuildReport`.

    Raises:
        DispatchError: an unreadable or invalid issue (``path:line``), two issues with one id
            or one slug, a broken layout, a bad ``base_url``; nothing is written then.
        OutputError: ``out`` cannot be written (a file in the way, no permission, a file
            dispatch did not write, a folder ``out`` may not be); nothing is replaced then.
        LockError: another build holds ``out`` for longer than ``wait``.
    """
    started = time.perf_counter()
    jobs = jobs if jobs > 0 else len(os.sched_getaffinity(0))
    issues_dir = Path(issues_dir)
    out = Path(out)
    settings = with_base_url(settings or load_settings(issues_dir), base_url)
    root = newsletter_root(settings, issues_dir)
    settings = dataclasses.replace(settings, root=root)
    now = (now or parse_now(None)).astimezone(timezone.utc).replace(microsecond=0)
    report = BuildReport(out=out, now=now)
    cache_path = cache_folder(root, out, cache_dir if cache_dir is not None else settings.cache_dir)
    check_out_folder(out, issues_dir, root, cache_path)

    with OutputLock(out, wait, on_wait) as lock:
        work = work_folder(out)  # beside out: the served folder never holds a half-written tree
        try:
            # 0. repair what a killed build left; the old in-folder cache goes.
            for note in (recover(out, work), remove_legacy_cache(out), staged_inside(out, work)):
                if note:
                    report.warnings.append(note)
            lock.write_holder(work)
            _build_locked(issues_dir, out, settings, now, report, cache_path, force, strict, jobs, work)
        except BaseException:
            discard_work(out, work)
            if lock.created:  # a first build that failed leaves no empty folder behind
                try:
                    out.rmdir()
                except OSError:
                    pass
            raise
        discard_work(out, work)
    report.seconds = time.perf_counter() - started
    return report


def _build_locked(issues_dir: Path, out: Path, settings: Settings, now: datetime, report: BuildReport,
                  cache_path: Path, force: bool, strict: bool, jobs: int, work: Path) -> None:
    """The build, with ``out``'s lock held (see :func:`build_archive`), staging in ``work``."""
    cache = Cache(cache_path, environment_key(settings), settings, settings.root)
    old_manifest = read_manifest(out)
    replacement = Replacement(out, work)
    replacement.open()
    try:
        _steps(issues_dir, out, settings, now, report, cache, old_manifest, replacement, force, strict, jobs)
    except OSError as exc:  # a stage file that cannot be written: nothing was replaced
        replacement.discard()
        raise OutputError(f"cannot write a file of the build: {exc.strerror}", Path(exc.filename or out)) from None
    except BaseException:
        replacement.discard()
        raise


def _steps(issues_dir: Path, out: Path, settings: Settings, now: datetime, report: BuildReport, cache: Cache,
           old_manifest: dict[str, str], replacement: Replacement, force: bool, strict: bool, jobs: int) -> None:
    """Steps 1–10 of :func:`build_archive`, top to bottom."""
    # 1. every source: from the cache when its bytes are unchanged, else parsed and rendered
    #    (over `jobs` processes; pages straight to stage files, bodies to the cache).
    sources = Sources(settings, now, cache, report, strict=strict, out=out, old_manifest=old_manifest,
                      stage=replacement.work / "stage", jobs=jobs)
    sources.collect(issues_dir)
    errors, refused = (None, None) if strict else (report.errors, report.refused)
    # 2. unique ids. 3. schedule, unique slugs.
    check_unique_ids(sources.records, sources.paths, errors, refused)
    published = schedule(sources.records, now, out, report, sources.kept)
    check_unique_slugs(published, sources.paths, errors, refused)
    # 4. entry updated dates. 5. feeds. 6. pages, index, stylesheet. 7. local images; each
    #    output compared with the folder as it is produced, the changed ones staged (step 8).
    plan = Plan(out, replacement)
    updated, history = entry_dates(published, cache.history, now)
    render_feeds(sources, published, updated, settings, plan.put)
    render_pages(sources, published, settings, plan, old_manifest, updated, report)
    retina_dir, used = cache.dir / "retina", set()
    for rel, (file, resized) in select_images(published, set(plan.manifest), report).items():
        plan.copy(rel, file, report, (lambda data: retina_bytes(data, retina_dir, used)) if resized else None)
    prune_retina(retina_dir, used)
    # 8. what is stale; check every target before replacing any.
    stale = stale_files(out, old_manifest, plan.manifest, report)
    if report.errors and stale:  # a broken issue's files may be among them: nothing goes until it is fixed,
        held = [rel for rel in stale if not sources.withdrawn_file(rel)]  # but a withdrawn draft's do
        if held:
            report.warnings.append(f"{out}: {len(held)} file(s) no longer produced are kept until every issue "
                                   "reads again")
        stale = {rel: sha for rel, sha in stale.items() if rel not in held}
    manifest_data = manifest_bytes(plan.manifest)
    check_targets(out, [*sorted(plan.changed), MANIFEST])
    foreign = foreign_files(out, sorted(plan.changed), old_manifest)
    if foreign and not force:
        refuse_foreign(out, foreign)
    # 9. journal, rename every staged file into place, remove the stale ones.
    if plan.changed or stale or not same_bytes(out / MANIFEST, manifest_data):
        try:
            replacement.stage(MANIFEST, manifest_data)
        except OSError as exc:
            raise OutputError(f"cannot write the file: {exc.strerror}", out / MANIFEST) from None
        replacement.commit(stale, report)
    else:
        replacement.discard()
    report.changed = sorted(plan.changed)
    report.unchanged = len(plan.manifest) - len(report.changed)
    # 10. the cache, outside the published folder.
    note = cache.save(sources.records, history)
    if note:
        report.warnings.append(note)
