"""The feed channel: Issue → an Atom Entry Document (RFC 4287 §4.1.2) built with feedgen.

The entry carries the permanent ``id``, aware ``published``/``updated`` dates, the summary
(the Bottom Line), and the full HTML content with every ``href``/``src``/``srcset`` made
absolute against the issue's permalink (readers show relative images broken). Characters
outside the XML 1.0 ``Char`` production are removed first (one kills a whole feedgen
serialisation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.etree as etree
import lxml.html
from feedgen.feed import FeedGenerator

from ..config import Settings
from ..layout import environment, render, section_templates
from ..model import Issue
from .html import HtmlRenderer

ATOM_NS = "http://www.w3.org/2005/Atom"
#: XML 1.0 §2.2 Char: what may appear in a document.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """Remove characters outside XML 1.0's ``Char`` range (controls, U+FFFE/FFFF, lone
    surrogates)."""
    return _NOT_XML_CHAR.sub("", text)


class AbsoluteHtmlRenderer(HtmlRenderer):
    """An :class:`HtmlRenderer` that makes every URL absolute, raw HTML blocks included."""

    def __init__(self, base: str, **kw):
        super().__init__(url=lambda u: absolute(u, base), **kw)
        self.base = base

    def raw_block(self, html: str) -> str:
        return absolutize_html(html, self.base)


def absolute(url: str, base: str) -> str:
    """``url`` resolved against ``base`` (fragments and ``mailto:`` left alone)."""
    if not url or url.startswith(("#", "mailto:", "tel:", "data:")):
        return url
    return urljoin(base, url)


def absolutize_html(html: str, base: str) -> str:
    """Resolve ``href``, ``src`` and every URL of ``srcset`` in an HTML fragment."""
    if not re.search(r"\b(?:href|src|srcset)\s*=", html, re.I):
        return html
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    except Exception:  # unparseable markup is published as written
        return html
    for el in fragment.iter():
        if not isinstance(el.tag, str):
            continue
        for name in ("href", "src"):
            if el.get(name):
                el.set(name, absolute(el.get(name).strip(), base))
        if el.get("srcset"):
            parts = []
            for candidate in el.get("srcset").split(","):
                bits = candidate.strip().split(None, 1)
                if bits:
                    bits[0] = absolute(bits[0], base)
                    parts.append(" ".join(bits))
            el.set("srcset", ", ".join(parts))
    inner = (fragment.text or "") + "".join(lxml.html.tostring(c, encoding="unicode") for c in fragment)
    return inner


def content_html(issue: Issue, settings: Settings) -> str:
    """The issue's full HTML for feeds and web pages (layout ``html/content.html``), with
    absolute URLs."""
    env = environment(settings.root, settings.layout)
    h = AbsoluteHtmlRenderer(issue.permalink)
    return render(env, "html/content.html", issue=issue, settings=settings, h=h,
                  section_templates=section_templates).strip()


@dataclass(frozen=True)
class EntryResult:
    """The Atom entry document: ``xml`` (UTF-8 bytes, with XML declaration)."""

    xml: bytes


def fill_entry(fe, issue: Issue, settings: Settings, html: str) -> None:
    """Fill a feedgen ``FeedEntry`` from ``issue`` (shared by the entry and whole feeds)."""
    fe.id(issue.meta.id)
    fe.title(xml_safe(issue.meta.title))
    fe.link(href=issue.permalink, rel="alternate", type="text/html")
    fe.published(issue.meta.date)
    fe.updated(issue.meta.date)
    author = issue.meta.author or settings.author or settings.site_name
    fe.author({"name": xml_safe(author), **({"email": settings.email} if settings.email else {})})
    summary = xml_safe(issue.summary)
    if summary:
        fe.summary(summary)
    fe.content(xml_safe(html), type="html")
    for tag in issue.meta.tags:
        fe.category(term=xml_safe(tag))


def render_entry(issue: Issue, settings: Settings) -> EntryResult:
    """Render ``issue`` as an Atom Entry Document (root element ``atom:entry``)."""
    fg = FeedGenerator()
    fg.id(settings.base_url)
    fg.title(settings.site_name)
    fg.link(href=settings.base_url, rel="alternate")
    fg.updated(issue.meta.date)
    fe = fg.add_entry(order="append")
    fill_entry(fe, issue, settings, content_html(issue, settings))
    entry = fe.atom_entry()
    doc = etree.Element(f"{{{ATOM_NS}}}entry", nsmap={None: ATOM_NS})
    lang = issue.meta.lang
    doc.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    for child in entry:
        doc.append(child)
    xml = etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return EntryResult(xml)
