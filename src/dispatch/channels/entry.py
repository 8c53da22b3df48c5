"""The feed channel: Issue → an Atom Entry Document (RFC 4287 §4.1.2) built with feedgen.

The entry carries the permanent ``id``, aware ``published``/``updated`` dates, the summary
(the Bottom Line), and the full HTML content with every ``href``/``src``/``srcset`` made
absolute against the issue's permalink (readers show relative images broken). Characters
outside the XML 1.0 ``Char`` production are removed first (one kills a whole feedgen
serialisation).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import datetime

import lxml.etree as etree

from ..config import Settings
from ..deferred import import_deferring
from ..layout import environment, render, section_templates
from ..model import Attachment, Issue, RawHtml
from .html import HtmlRenderer, absolute_url

#: feedgen imports ``dateutil.parser`` at the top to read date strings; dispatch gives it
#: datetimes, so the parser (and decimal, relativedelta under it) waits until someone does
#: (:func:`dispatch.deferred.import_deferring`). So do what ``dateutil.tz`` imports for
#: reading zone files and tzdata (``calendar``, ``importlib.resources``), which feedgen's
#: ``tzutc()`` never does; and off Windows, ``dateutil.tz.win`` (which imports ctypes, then
#: fails on ``winreg``) fails at once, leaving ``tzwin`` ``None`` as it would.
FeedGenerator = import_deferring(
    "feedgen.feed", ("dateutil.parser", "importlib.resources", "calendar"),
    absent=() if sys.platform == "win32" else ("dateutil.tz.win",),
).FeedGenerator

ATOM_NS = "http://www.w3.org/2005/Atom"
#: What XML 1.0 §2.2 Char leaves out (controls but tab, LF and CR; surrogates; U+FFFE and
#: U+FFFF), spelled as the excluded ranges: the complement of the astral planes costs ≈ 5 ms
#: to compile.
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Remove characters outside XML 1.0's ``Char`` range (controls, U+FFFE/FFFF, lone
    surrogates)."""
    return _NOT_XML_CHAR.sub("", text)


class AbsoluteHtmlRenderer(HtmlRenderer):
    """An :class:`HtmlRenderer` that makes every URL absolute, raw HTML (blocks and inline
    tags) included."""

    def __init__(self, base: str, **kw):
        super().__init__(url=lambda u: absolute(u, base), url_key=("absolute", base), **kw)
        self.base = base

    def raw_block(self, html: str) -> str:
        return absolutize_html(html, self.base)

    def inline(self, node):
        out = super().inline(node)
        return absolutize_html(out, self.base) if isinstance(node, RawHtml) else out


def absolute(url: str, base: str) -> str:
    """``url`` resolved for a feed: :func:`~dispatch.channels.html.absolute_url` with
    fragments made absolute too (``#faq`` → ``base#faq``)."""
    return absolute_url(url, base, in_page=False)


_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_URL_ATTR = re.compile(
    r"""(?P<pre>\s)(?P<name>href|src|srcset|poster|cite)(?P<eq>\s*=\s*)"""
    r"""(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'=<>`]+))""",
    re.I,
)


def absolutize_srcset(value: str, base: str) -> str:
    """Resolve every URL of a ``srcset`` value (HTML Living Standard: comma-separated
    "URL [descriptor]" candidates), keeping the descriptors."""
    parts = []
    for candidate in value.split(","):
        bits = candidate.strip().split(None, 1)
        if bits:
            bits[0] = absolute(bits[0], base)
            parts.append(" ".join(bits))
    return ", ".join(parts)


def absolutize_html(html: str, base: str) -> str:
    """Resolve ``href``, ``src``, ``poster``, ``cite`` and every URL of ``srcset`` in the
    start tags of an HTML fragment against ``base``; everything else is kept byte for byte
    (a lone ``<a href>`` start tag, comments and text are not re-serialised)."""
    if not re.search(r"\b(?:href|src|srcset|poster|cite)\s*=", html, re.I):
        return html

    def attr_(m: re.Match[str]) -> str:
        name = m.group("name")
        value = m.group("dq") if m.group("dq") is not None else m.group("sq") if m.group("sq") is not None else m.group("bare")
        new = absolutize_srcset(value, base) if name.lower() == "srcset" else absolute(value, base)
        quote = "'" if m.group("sq") is not None else '"'
        return f"{m.group('pre')}{name}{m.group('eq')}{quote}{new}{quote}"

    return _TAG.sub(lambda t: _URL_ATTR.sub(attr_, t.group(0)), html)


def content_html(issue: Issue, settings: Settings) -> str:
    """The issue's full HTML for feeds and web pages (layout ``html/content.html``), with every
    ``href``/``src``/``srcset`` absolute against the issue's permalink and characters outside
    XML 1.0's ``Char`` range removed."""
    env = environment(settings.root, settings.layout)
    h = AbsoluteHtmlRenderer(issue.permalink)
    from ..i18n import labels

    html = render(env, "html/content.html", issue=issue, settings=settings, h=h,
                  section_templates=section_templates,
                  labels=labels(settings.root, settings.layout, issue.meta.lang, settings.labels)).strip()
    return xml_safe(unique_ids(absolutize_html(html, issue.permalink), issue.meta.slug + "-", issue.permalink))


_ID_ATTR = re.compile(r"""(?P<pre><[A-Za-z][^<>]*?\s)id(?P<eq>\s*=\s*)(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""")


def unique_ids(html: str, prefix: str, permalink: str) -> str:
    """Give every ``id`` of one issue's content ``prefix`` (the issue's slug and ``-``), and
    point the links to them (``permalink#fn-1``, ``#fn-1``) at the new ids.

    Feed readers show many entries on one page and the archive's pages share their content
    with the feeds: without this every entry repeats ``id="fn-1"`` and ``id="the-bottom-line"``
    (duplicate ids, HTML Living Standard §3.2.6.1) and a footnote link jumps to another
    issue's note. Slugs are unique in an archive, so the ids are too. Links keep the
    permalink, so they work from a reader and, on the issue's own page, stay in the page."""
    ids: set[str] = set()

    def rename(m: re.Match[str]) -> str:
        value = m.group("dq") if m.group("dq") is not None else m.group("sq")
        ids.add(value)
        return f'{m.group("pre")}id{m.group("eq")}"{prefix}{value}"'

    html = _ID_ATTR.sub(rename, html)
    if not ids:
        return html
    target = re.compile(r"""(\shref\s*=\s*)(["'])(?:%s)?#([^"'#]*)\2""" % re.escape(permalink))
    return target.sub(lambda m: f"{m.group(1)}{m.group(2)}{permalink}#{prefix}{m.group(3)}{m.group(2)}"
                      if m.group(3) in ids else m.group(0), html)


@dataclass(frozen=True)
class EntryResult:
    """The Atom entry document: ``xml`` (UTF-8 bytes, with XML declaration)."""

    xml: bytes


@dataclass(frozen=True)
class EntryData:
    """What one feed entry says, independent of the feed format.

    Attributes:
        id: the permanent id, an absolute URI (Atom ``id``, RSS ``guid``, JSON Feed ``id``).
        title: plain text.
        permalink: absolute URL of the issue's web page.
        published: aware datetime (the issue's date).
        updated: aware datetime, last change of the content (never before ``published``).
        author: display name.
        summary: plain text (the Bottom Line or front-matter summary), may be ``""``.
        content_html: the full HTML with absolute URLs.
        tags: tag names as written.
        lang: BCP 47 language tag.
        attachments: audio/video files (RSS enclosure, Atom ``rel="enclosure"``, JSON Feed
            ``attachments``).
    """

    id: str
    title: str
    permalink: str
    published: datetime
    updated: datetime
    author: str
    summary: str
    content_html: str
    tags: tuple[str, ...] = ()
    lang: str = "en"
    attachments: tuple[Attachment, ...] = ()

    @classmethod
    def from_issue(cls, issue: Issue, settings: Settings, html: str, updated: datetime | None = None) -> "EntryData":
        """The entry for ``issue`` with content ``html``; ``updated`` defaults to the date."""
        return cls(
            id=issue.meta.id,
            title=xml_safe(issue.meta.title),
            permalink=issue.permalink,
            published=issue.meta.date,
            updated=updated or issue.meta.date,
            author=xml_safe(issue.meta.author or settings.author or settings.site_name),
            summary=xml_safe(issue.summary),
            content_html=xml_safe(html),
            tags=tuple(xml_safe(t) for t in issue.meta.tags),
            lang=issue.meta.lang,
            attachments=issue.attachments,
        )


def feed_author(name: str, settings: Settings) -> dict[str, str]:
    """The author as feedgen takes it, ``{"name": name}`` plus ``"email"`` only when the writer
    opted in with ``[feed] author_email``: the sender address (``email``) is private and never
    goes into a feed (Atom ``<author><email>``, RFC 4287 §3.2.3; RSS ``<author>``)."""
    email = settings.feed.author_email
    return {"name": name, **({"email": email} if email else {})}


def fill_entry(fe, entry: EntryData, settings: Settings, *, rss: bool = False) -> None:
    """Fill a feedgen ``FeedEntry`` from ``entry`` (shared by the entry document and the
    archive's feeds). ``rss=True`` puts the content in a CDATA ``content:encoded``; Atom gets
    ``<content type="html">`` (feedgen would write the invalid ``type="CDATA"`` into Atom)."""
    fe.id(entry.id)
    fe.title(entry.title)
    fe.link(href=entry.permalink, rel="alternate", type="text/html")
    fe.published(entry.published)
    fe.updated(entry.updated)
    fe.author(feed_author(entry.author, settings))
    if entry.summary:
        fe.summary(entry.summary)
    fe.content(entry.content_html, type="CDATA" if rss else "html")
    for tag in entry.tags:
        fe.category(term=tag)
    if rss and entry.attachments:  # RSS 2.0 allows one enclosure per item: the first
        first = entry.attachments[0]
        fe.enclosure(first.url, str(first.length), first.mime)


def add_atom_enclosures(entry_elem: etree._Element, attachments) -> None:
    """Append an Atom ``<link rel="enclosure" href type length [title]>`` (RFC 4287
    §4.2.7.2) per attachment to ``entry_elem`` (feedgen writes entry links with ``href``
    only, feedgen issue #135)."""
    for a in attachments:
        link = etree.SubElement(entry_elem, f"{{{ATOM_NS}}}link", rel="enclosure", href=a.url, type=a.mime,
                                length=str(a.length))
        if a.title:
            link.set("title", xml_safe(a.title))


def atom_with_enclosures(xml: bytes, entries) -> bytes:
    """An Atom feed document from feedgen with the enclosure links of ``entries`` (in feed
    order) added; the bytes are returned unchanged when no entry has an attachment."""
    if not any(e.attachments for e in entries):
        return xml
    root = etree.fromstring(xml, etree.XMLParser(remove_blank_text=True))
    for elem, entry in zip(root.iter(f"{{{ATOM_NS}}}entry"), entries):
        add_atom_enclosures(elem, entry.attachments)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def render_entry(issue: Issue, settings: Settings) -> EntryResult:
    """Render ``issue`` as an Atom Entry Document (root element ``atom:entry``)."""
    fg = FeedGenerator()
    fg.id(settings.base_url)
    fg.title(settings.site_name)
    fg.link(href=settings.base_url, rel="alternate")
    fg.updated(issue.meta.date)
    fe = fg.add_entry(order="append")
    fill_entry(fe, EntryData.from_issue(issue, settings, content_html(issue, settings)), settings)
    entry = fe.atom_entry()
    doc = etree.Element(f"{{{ATOM_NS}}}entry", nsmap={None: ATOM_NS})
    lang = issue.meta.lang
    doc.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    for child in entry:
        doc.append(child)
    add_atom_enclosures(doc, issue.attachments)
    xml = etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return EntryResult(xml)
