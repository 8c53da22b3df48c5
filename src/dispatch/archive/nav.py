"""Step 6a: each issue page's previous/next links, filled in once the schedule is known.

An issue's page is rendered on its own (in a worker process, and kept between builds while
its source is unchanged), but its neighbours depend on the other issues: which are published,
in what order, under what title. So the page is rendered with
:data:`~dispatch.channels.web.NAV_SLOT` where its links go, its record keeps the sizes of the
pieces around them (``page_parts``) and the SHA-256 of the links it holds (``nav_sha``), and
this step writes the links in: into this run's stage file, or, for a page already in the
output folder whose neighbours changed, into a copy of that file (checked against the
SHA-256 dispatch wrote). A page is never rendered again just because an issue was published
beside it, and the bytes are the same as a build from scratch would write.

Order of publication is the schedule's (``(date, id)``): ``rel="prev"`` is the issue
published just before, ``rel="next"`` just after; drafts and scheduled issues are never in
the list, so they are never linked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..channels.web import NAV_SLOT, IndexItem, IssueNav
from ..config import Settings
from .record import Record, file_sha

if TYPE_CHECKING:
    from .plan import Plan
    from .sources import Sources

NAV_BYTES = NAV_SLOT.encode("utf-8")


def fill_slots(parts: list[int], data: bytes, old_nav: int, nav: bytes) -> bytes | None:
    """``data``, a page whose pieces have the sizes ``parts`` (bytes) with ``old_nav`` bytes of
    links between each two, with ``nav`` there instead; ``None`` when the sizes do not add up
    (the file is not the page the record describes)."""
    if len(data) != sum(parts) + old_nav * (len(parts) - 1):
        return None
    pieces, at = [], 0
    for n, size in enumerate(parts):
        if n:
            at += old_nav
        pieces.append(data[at:at + size])
        at += size
    return nav.join(pieces)


def fill_nav(published: list[Record], sources: Sources, settings: Settings, plan: Plan,
             old_manifest: dict[str, str], item: Callable[[Record], IndexItem]) -> None:
    """Step 6a: every published page into ``plan`` with its previous/next links (``published``
    newest first; ``item`` gives a record's title and URL). Updates each record's
    ``page_sha``, ``page_size`` and ``nav_sha`` to the page as written, so the cache
    describes it."""
    stage = plan.replacement.work / "stage"
    render_nav = IssueNav(settings)

    def staged(rec: Record, nav: bytes) -> None:  # rendered this run: its stage file holds the slots
        name = sources.staged[rec.source]
        if rec.page_parts:
            data = fill_slots(rec.page_parts, (stage / name).read_bytes(), len(NAV_BYTES), nav)
            (stage / name).write_bytes(data)
            rec.page_sha, rec.page_size, rec.nav_sha = file_sha(data), len(data), file_sha(nav)
        plan.put_staged(f"{rec.slug}/index.html", name, rec.page_sha, rec.page_size)

    for n, rec in enumerate(published):
        rel = f"{rec.slug}/index.html"
        older = item(published[n + 1]) if n + 1 < len(published) else None
        newer = item(published[n - 1]) if n else None
        nav = render_nav(older, newer, rec.lang).encode("utf-8")
        if rec.source in sources.staged:
            staged(rec, nav)
            continue
        kept = rec.source in sources.kept  # a broken issue, kept as last published
        if kept and old_manifest.get(rel) != rec.page_sha:
            if rel in old_manifest:  # not the page its record describes: left as it is
                plan.keep(rel, old_manifest[rel])
            continue
        if not rec.page_parts or file_sha(nav) == rec.nav_sha:
            plan.keep(rel, rec.page_sha)
            continue
        try:  # its neighbours changed: the links of the page as dispatch wrote it, replaced
            data = (plan.out / rel).read_bytes()
        except OSError:
            data = b""
        old_nav = (rec.page_size - sum(rec.page_parts)) // max(1, len(rec.page_parts) - 1)
        filled = fill_slots(rec.page_parts, data, old_nav, nav) if file_sha(data) == rec.page_sha else None
        if filled is not None:
            rec.page_sha, rec.page_size, rec.nav_sha = file_sha(filled), len(filled), file_sha(nav)
            plan.put(rel, filled)
        elif kept:  # changed since it was written, and its source does not read: as it is
            plan.keep(rel, old_manifest[rel])
        else:  # changed since it was written: rendered again
            staged(sources.render_page_again(rec.source), nav)
