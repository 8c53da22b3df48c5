"""Step 6: each published issue's web page (its permalink), the index and the stylesheet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..channels.web import IndexItem, render_index, stylesheet
from ..config import Settings
from .feeds import feed_links
from .record import Record

if TYPE_CHECKING:
    from .plan import Plan
    from .sources import Sources


def render_pages(sources: Sources, published: list[Record], settings: Settings, plan: Plan,
                 old_manifest: dict[str, str]) -> None:
    """Step 6: each published issue's page, the index and the stylesheet, into ``plan``. A
    page rendered this run is its stage file; any other is the file already in the output
    folder (:class:`~dispatch.archive.sources.Sources` renders again any whose file is not
    as dispatch wrote it), and so is the page of an issue kept while its source is broken."""
    for rec in published:
        rel = f"{rec.slug}/index.html"
        if rec.source in sources.kept:
            if rel in old_manifest:
                plan.keep(rel, old_manifest[rel])
        elif rec.source in sources.staged:
            plan.put_staged(rel, sources.staged[rec.source], rec.page_sha, rec.page_size)
        else:
            plan.keep(rel, rec.page_sha)
    plan.put("index.html", render_index(
        [IndexItem(r.title, r.permalink, r.when, r.summary, tuple(r.tags)) for r in published],
        settings, feed_links(settings), sources.css_url).encode("utf-8"))
    plan.put("style.css", stylesheet(settings).encode("utf-8"))
