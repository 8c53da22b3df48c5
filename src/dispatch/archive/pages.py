"""Step 6: the web pages: each published issue's page (its permalink) with its previous/next
links (:mod:`.nav`), the index, a page per tag and the tags index, the 404 page, the
stylesheet, and the sitemap and robots.txt (:mod:`.sitemap`).

Outputs (besides ``<slug>/index.html``):

* ``index.html``: every published issue, newest first, with its tags linking to their pages;
* ``tags/<tag-path>/index.html`` per tag (beside its ``atom.xml``): its published issues,
  newest first; ``tags/index.html``: every tag with its number of issues, by name;
* ``404.html``: the page static hosts (GitHub Pages, Netlify, Cloudflare Pages) serve for an
  address with nothing behind it, with the newest issues; every URL in it is absolute, since
  it is served at any depth;
* ``style.css``; ``sitemap.xml``; ``robots.txt`` where dispatch may write one.

Each list shows an issue's date in the issue's language. Drafts and scheduled issues are in
none of them: everything here is made from the published records only.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..channels.web import (FeedLink, IndexItem, TagEntry, render_index, render_not_found, render_tag_page,
                            render_tags_index, stylesheet, tags_url)
from ..config import Settings
from .feeds import feed_links
from .nav import fill_nav
from .record import Record
from .report import BuildReport
from .sitemap import ROBOTS, at_host_root, names_sitemap, robots_is_ours, robots_txt, sitemap_files
from .tags import tag_groups, tag_key, tag_links, tag_pairs

if TYPE_CHECKING:
    from .plan import Plan
    from .sources import Sources

#: Issues the 404 page lists.
NOT_FOUND_ISSUES = 5


def render_pages(sources: Sources, published: list[Record], settings: Settings, plan: Plan,
                 old_manifest: dict[str, str], updated: dict[str, datetime] | None = None,
                 report: BuildReport | None = None) -> None:
    """Step 6: every page of the site into ``plan`` (``published`` newest first; ``updated``:
    entry id → its ``updated``, for the sitemap's ``lastmod``). An issue's page rendered this
    run is its stage file; any other is the file already in the output folder
    (:class:`~dispatch.archive.sources.Sources` renders again any whose file is not as
    dispatch wrote it), and so is the page of an issue kept while its source is broken; each
    gets its previous/next links (:func:`~dispatch.archive.nav.fill_nav`)."""
    base = settings.base_url.rstrip("/") + "/"
    updated = updated if updated is not None else {r.id: r.when for r in published}
    items: dict[str, IndexItem] = {}

    def item(rec: Record) -> IndexItem:
        found = items.get(rec.source)
        if found is None:
            found = items[rec.source] = IndexItem(
                rec.title, rec.permalink, rec.when, rec.summary, tuple(rec.tags), rec.lang,
                tuple(tag_links(settings, tag_pairs(rec.tags))))
        return found

    fill_nav(published, sources, settings, plan, old_manifest, item)
    site_feeds = feed_links(settings)
    css_url = sources.css_url
    groups = tag_groups(published, sources.paths)
    every = [item(r) for r in published]
    plan.put("index.html", render_index(every, settings, site_feeds, css_url, has_tags=bool(groups))
             .encode("utf-8"))
    urls: list[tuple[str, datetime | None]] = [(base, max(updated.values(), default=None))]
    urls += [(r.permalink, updated[r.id]) for r in published if r.canonical in ("", r.permalink)]
    if groups:
        tags = []
        for slug, (name, recs) in groups.items():
            url = f"{base}tags/{slug}/"
            feed = FeedLink(f"{url}atom.xml", "application/atom+xml", f"Atom: {name}")
            plan.put(f"tags/{slug}/index.html", render_tag_page(
                name, url, feed, [item(r) for r in recs], settings, [*site_feeds, feed], css_url).encode("utf-8"))
            tags.append((TagEntry(name, url, len(recs)), max(updated[r.id] for r in recs)))
        tags.sort(key=lambda t: (tag_key(t[0].name), t[0].url))
        plan.put("tags/index.html", render_tags_index(
            [t for t, _ in tags], tags_url(settings), settings, site_feeds, css_url).encode("utf-8"))
        urls.append((tags_url(settings), max(when for _, when in tags)))
        urls += [(t.url, when) for t, when in tags]
    plan.put("404.html", render_not_found(every[:NOT_FOUND_ISSUES], settings, site_feeds, css_url,
                                          has_tags=bool(groups)).encode("utf-8"))
    plan.put("style.css", stylesheet(settings).encode("utf-8"))
    for rel, data in sitemap_files(urls, base).items():
        plan.put(rel, data)
    if at_host_root(base):
        if robots_is_ours(plan.out, old_manifest):
            plan.put(ROBOTS, robots_txt(base + "sitemap.xml"))
        elif report is not None and not names_sitemap(plan.out):
            report.warnings.append(f"{plan.out / ROBOTS}: yours, so dispatch leaves it; add the line "
                                   f"'Sitemap: {base}sitemap.xml' so crawlers find the sitemap")
