"""Step 6: each published issue's web page (its permalink), the index and the stylesheet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..channels.web import IndexItem, render_index, stylesheet
from ..config import Settings
from .feeds import feed_links
from .record import Record

if TYPE_CHECKING:
    from .sources import Sources


def render_pages(sources: Sources, published: list[Record], out: Path, settings: Settings,
                 old_manifest: dict[str, str]) -> tuple[dict[str, bytes], dict[str, str]]:
    """Step 6: each published issue's page, the index and the stylesheet. A page is rendered
    for an issue rendered this run, or when the file in ``out`` is missing or not ours;
    otherwise (and always for an issue kept while its source is broken) it is left as it is.

    Returns:
        output path → bytes of the files to write, and output path → SHA-256 of the pages
        left as they are.
    """
    writes: dict[str, bytes] = {}
    page_shas: dict[str, str] = {}
    for rec in published:
        rel = f"{rec.slug}/index.html"
        target = out / rel
        if rec.source in sources.kept:  # its source is broken: the page published last stays
            if rel in old_manifest:
                page_shas[rel] = old_manifest[rel]
            continue
        if rec.source not in sources.fresh or sources.fresh[rec.source].page is None:
            try:
                if (rec.page_sha and old_manifest.get(rel) == rec.page_sha
                        and target.stat().st_size == rec.page_size):
                    page_shas[rel] = rec.page_sha
                    continue
            except OSError:
                pass
            rec = sources.rerender(rec.source)
        writes[rel] = sources.fresh[rec.source].page
    writes["index.html"] = render_index(
        [IndexItem(r.title, r.permalink, r.when, r.summary, tuple(r.tags)) for r in published],
        settings, feed_links(settings), sources.css_url).encode("utf-8")
    writes["style.css"] = stylesheet(settings).encode("utf-8")
    return writes, page_shas
