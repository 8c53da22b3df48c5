"""Step 5: the web archive's whole feeds: RSS 2.0, Atom 1.0 (RFC 4287) and JSON Feed 1.1, for
the site and per tag (the single entry ``dispatch render`` writes is :mod:`dispatch.channels.entry`).

Each function takes :class:`~dispatch.channels.entry.EntryData` records already sorted newest
first and already cut to the entry limit, and returns the file's bytes. Output depends only
on its input: the feed's ``updated``/``lastBuildDate`` is the newest entry's ``updated``
(never the clock), the generator carries no version, dates are written in UTC, and feedgen's
``prepend`` default is avoided (entries are appended in the given order). Rules followed:

* RSS 2.0 (https://www.rssboard.org/rss-specification): ``<channel>`` needs ``title``,
  ``link`` (the site, which feedgen takes from the *last* ``link()`` call, so ``rel="self"``
  is added first) and ``description``; ``guid isPermaLink="false"`` carries the permanent id;
  the full HTML goes in ``content:encoded`` as CDATA (``]]>`` is split safely by lxml ≥ 5.3).
* Atom (RFC 4287): feed ``id``, ``title``, ``updated``, an author, ``link rel="self"``;
  content ``type="html"`` (never feedgen's invalid ``type="CDATA"``).
* JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): written directly (feedgen has no
  JSON Feed), ``version``, ``title``, ``home_page_url``, ``feed_url``, ``items`` with ``id``,
  ``url``, ``content_html``, RFC 3339 ``date_published``/``date_modified``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Sequence

from feedgen.feed import FeedGenerator

from ..channels.entry import EntryData, atom_with_enclosures, feed_author, fill_entry, xml_safe
from ..channels.web import FeedLink
from ..config import Settings
from ..model import Attachment
from .record import Record
from .tags import tag_groups

if TYPE_CHECKING:
    from .sources import Sources

GENERATOR = "dispatch"
#: ``updated`` of a feed with no entries yet (RFC 4287 requires one): fixed, so rebuilding an
#: empty archive stays quiet instead of rewriting its feeds with the clock.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class FeedInfo:
    """The feed-level facts shared by the three formats.

    Attributes:
        id: the feed's permanent id (an absolute URI; the site's or tag page's URL).
        title: plain text.
        home: absolute URL of the HTML page the feed describes.
        self_url: absolute URL the feed itself is published at.
        description: plain text (RSS requires one).
        lang: BCP 47 language tag.
        fallback_updated: the feed's ``updated`` when it has no entries (aware datetime).
    """

    id: str
    title: str
    home: str
    self_url: str
    description: str
    lang: str
    fallback_updated: datetime


def utc(when: datetime) -> datetime:
    """``when`` (aware) converted to UTC, so output never depends on a time zone."""
    return when.astimezone(timezone.utc)


def rfc3339(when: datetime) -> str:
    """``when`` as an RFC 3339 UTC timestamp, e.g. ``2026-05-21T19:00:00Z``."""
    return utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_updated(entries: Sequence[EntryData], info: FeedInfo) -> datetime:
    """The feed's ``updated``: the newest entry ``updated`` (RFC 4287 §4.2.15: the most
    recent significant change), or ``info.fallback_updated`` for an empty feed."""
    return max((e.updated for e in entries), default=info.fallback_updated)


def _generator(info: FeedInfo, settings: Settings) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(info.id)
    fg.title(xml_safe(info.title))
    fg.author(feed_author(xml_safe(settings.author or settings.site_name), settings))
    fg.language(info.lang)
    fg.generator(GENERATOR)
    return fg


def _utc_entry(entry: EntryData) -> EntryData:
    return replace(entry, published=utc(entry.published), updated=utc(entry.updated))


def render_atom(entries: Sequence[EntryData], info: FeedInfo, settings: Settings) -> bytes:
    """An Atom 1.0 feed document (RFC 4287 §4.1.1), UTF-8 with XML declaration."""
    fg = _generator(info, settings)
    fg.link(href=info.self_url, rel="self", type="application/atom+xml")
    fg.link(href=info.home, rel="alternate", type="text/html")
    for hub in settings.feed.hubs:  # WebSub discovery (W3C WebSub §4)
        fg.link(href=hub, rel="hub")
    fg.subtitle(xml_safe(info.description) or xml_safe(info.title))
    fg.updated(utc(feed_updated(entries, info)))
    for entry in entries:
        fill_entry(fg.add_entry(order="append"), _utc_entry(entry), settings)
    return atom_with_enclosures(fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True), entries)


def render_rss(entries: Sequence[EntryData], info: FeedInfo, settings: Settings) -> bytes:
    """An RSS 2.0 document, UTF-8 with XML declaration; ``lastBuildDate`` is the newest
    entry's ``updated``, each item's ``pubDate`` its publication date (RFC 822 form)."""
    fg = _generator(info, settings)
    fg.link(href=info.self_url, rel="self", type="application/rss+xml")
    fg.link(href=info.home, rel="alternate")  # RSS <link> is the last one added
    fg.description(xml_safe(info.description) or xml_safe(info.title))
    fg.lastBuildDate(utc(feed_updated(entries, info)))
    for entry in entries:
        fill_entry(fg.add_entry(order="append"), _utc_entry(entry), settings, rss=True)
    return _rss_hubs(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True), settings.feed.hubs)


def _rss_hubs(xml: bytes, hubs: Sequence[str]) -> bytes:
    """``xml`` with an ``<atom:link rel="hub">`` per WebSub hub after the self link (feedgen
    writes only ``rel="self"`` atom links into RSS)."""
    if not hubs:
        return xml
    from xml.sax.saxutils import quoteattr

    end = xml.index(b"/>", xml.index(b'rel="self"')) + 2
    start = xml.rindex(b"\n", 0, end) + 1
    indent = xml[start:xml.index(b"<", start)]
    links = b"".join(b"\n" + indent + b"<atom:link href=" + quoteattr(hub).encode("utf-8") + b' rel="hub"/>'
                     for hub in hubs)
    return xml[:end] + links + xml[end:]


def render_json_feed(entries: Sequence[EntryData], info: FeedInfo, settings: Settings) -> bytes:
    """A JSON Feed 1.1 document (UTF-8, two-space indent, non-ASCII kept as characters)."""
    author = {"name": settings.author or settings.site_name}
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": info.title,
        "home_page_url": info.home,
        "feed_url": info.self_url,
        "description": info.description,
        "language": info.lang,
        "authors": [author],
        **({"hubs": [{"type": "WebSub", "url": hub} for hub in settings.feed.hubs]} if settings.feed.hubs else {}),
        "items": [
            {
                "id": e.id,
                "url": e.permalink,
                "title": e.title,
                "content_html": e.content_html,
                **({"summary": e.summary} if e.summary else {}),
                "date_published": rfc3339(e.published),
                "date_modified": rfc3339(e.updated),
                "authors": [{"name": e.author}],
                **({"tags": list(e.tags)} if e.tags else {}),
                "language": e.lang,
                **({"attachments": [
                    {"url": a.url, "mime_type": a.mime, **({"title": a.title} if a.title else {}),
                     **({"size_in_bytes": a.length} if a.length else {}),
                     **({"duration_in_seconds": a.duration} if a.duration else {})}
                    for a in e.attachments]} if e.attachments else {}),
            }
            for e in entries
        ],
    }
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    return xml_safe(text).encode("utf-8") + b"\n"


def feed_links(settings: Settings, tags: list[tuple[str, str]] = ()) -> list[FeedLink]:
    """The ``<link rel="alternate">`` feeds of a page: the site's RSS, Atom and JSON feeds,
    then the Atom feed of each ``(tag slug, tag)`` in ``tags``."""
    base = settings.base_url.rstrip("/") + "/"
    links = [
        FeedLink(base + "feed.xml", "application/rss+xml", "RSS"),
        FeedLink(base + "atom.xml", "application/atom+xml", "Atom"),
        FeedLink(base + "feed.json", "application/feed+json", "JSON Feed"),
    ]
    for slug, name in tags:
        links.append(FeedLink(f"{base}tags/{slug}/atom.xml", "application/atom+xml", f"Atom: {name}"))
    return links


def render_feeds(sources: Sources, published: list[Record], updated: dict[str, datetime],
                 settings: Settings, put: Callable[[str, bytes], None]) -> None:
    """Step 5: the site's RSS, Atom and JSON feeds and one Atom feed per tag, each with the
    newest ``[feed] limit`` entries, each handed to ``put(output path, bytes)`` as soon as it
    is rendered."""
    base = settings.base_url.rstrip("/") + "/"
    limit = settings.feed.limit

    def entry(rec: Record) -> EntryData:
        return EntryData(
            id=rec.id, title=rec.title, permalink=rec.permalink, published=rec.when, updated=updated[rec.id],
            author=rec.author, summary=rec.summary, content_html=sources.content(rec), tags=tuple(rec.tags),
            lang=rec.lang, attachments=tuple(
                Attachment(src=url, url=url, mime=mime, length=int(length), kind=kind, title=title,
                           duration=int(duration)) for url, mime, length, kind, title, duration in rec.attachments),
        )

    top = [entry(r) for r in published[:limit]]
    site = FeedInfo(id=base, title=settings.site_name, home=base, self_url="", description=settings.site_name,
                    lang=settings.language, fallback_updated=EMPTY_FEED_UPDATED)
    put("feed.xml", render_rss(top, replace(site, self_url=base + "feed.xml"), settings))
    put("atom.xml", render_atom(top, replace(site, self_url=base + "atom.xml"), settings))
    put("feed.json", render_json_feed(top, replace(site, self_url=base + "feed.json"), settings))
    for slug, (name, recs) in tag_groups(published, sources.paths).items():
        info = FeedInfo(id=f"{base}tags/{slug}/", title=f"{settings.site_name}: {name}", home=f"{base}tags/{slug}/",
                        self_url=f"{base}tags/{slug}/atom.xml", description=f"Issues tagged {name}",
                        lang=settings.language, fallback_updated=EMPTY_FEED_UPDATED)
        put(f"tags/{slug}/atom.xml", render_atom([entry(r) for r in recs[:limit]], info, settings))
