"""Active content in the writer's raw HTML: removed from every channel, each removal a warning.

Raw HTML in an issue passes through to the email, the web page and the feeds. Scripts, event
handlers and ``javascript:`` URLs do nothing good in any of them: email clients strip them
(Gmail, Outlook and Apple Mail all remove ``<script>``, ``on*`` attributes and
``javascript:`` links), so the email a writer previews is not the one readers get; the web
archive page would run them, on the newsletter's own origin; feed readers sanitise them away.
So dispatch removes them once, while the issue is parsed (:mod:`dispatch.parse` calls this
module for every raw HTML block, inline tag, link and image), and every channel renders what
is left. Nothing goes silently: each removal is a :class:`Removed`, which the parse turns into
a ``path:line`` warning saying what went and why.

What is removed:

* elements that run or load active content, with their content: ``script``, ``style`` (Gmail
  drops body styles, and on the web page it would restyle the whole archive), ``iframe``,
  ``frame``, ``frameset``, ``object``, ``applet``, ``noembed``; the void ``embed``, ``base``,
  ``meta`` and ``link``;
* event-handler attributes (every ``on…`` attribute: HTML Living Standard §8.1.8.2) and
  ``srcdoc``;
* URLs with the ``javascript:``, ``vbscript:`` or ``data:`` scheme in a URL attribute (``href``,
  ``src``, ``action``…; a ``data:image/…`` picture is kept in ``src``), and
  ``style`` attributes holding ``javascript:`` or ``expression(`` (old IE's script in CSS).

Everything else is kept byte for byte; a tag loses only the attribute that had to go.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass

#: Elements removed together with their content.
CONTENT_DROPPED = frozenset("script style iframe frame frameset object applet noembed".split())
#: Void elements removed (they have no content).
VOID_DROPPED = frozenset("embed base meta link".split())
#: Attributes that hold a URL (HTML Living Standard's attribute index).
URL_ATTRIBUTES = frozenset("href src action formaction background poster cite data lowsrc dynsrc "
                           "longdesc xlink:href".split())

_WHY = {
    "script": "email clients strip scripts and the web page would run it",
    "style": "email clients drop styles in the body and on the web page it would restyle the whole archive; "
             "the layout's CSS is the place for styles",
    "base": "it would change how every link of the web page resolves",
    "meta": "it belongs to the page's head, which the layout writes",
    "link": "it would load a file into the web page; the layout's head is the place for it",
}
_WHY_FRAME = "email clients do not show embedded frames or plugins and on the web page it would load another site; link to it instead"
_WHY_HANDLER = "email clients strip event handlers and the web page would run them"
_WHY_URL = "it runs code when clicked (or is dropped by email clients); link to a web page instead"

_TOKEN = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][A-Za-z0-9-]*)((?:[^<>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>", re.S)
_ATTR = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_QUICK = re.compile(r"<\s*/?\s*(?:script|style|i?frame|frameset|object|applet|noembed|embed|base|meta|link)\b"
                    r"|\son[a-z]+\s*=|\ssrcdoc\s*=|javascript:|vbscript:|data:|expression\s*\(", re.I)
_SPACE = re.compile(r"[\x00-\x20\x7f]+")


@dataclass(frozen=True)
class Removed:
    """One piece of active content removed.

    Attributes:
        what: what went, as the writer wrote it (``<script>…</script>``, ``onclick="x()"``).
        why: the reason, for the writer.
        needle: source text to find the line by (the tag, or the URL).
    """

    what: str
    why: str
    needle: str

    def warning(self) -> str:
        """The message (without ``path:line``)."""
        return f"{self.what} removed from every channel: {self.why}"


def unsafe_url(url: str, attribute: str = "href") -> bool:
    """Whether ``url`` (as written, entities allowed) would run code or embed a document:
    the ``javascript:``, ``vbscript:`` or ``data:`` scheme, spaces and control characters inside
    the scheme ignored as browsers ignore them (WHATWG URL §4.4). A ``data:image/…`` URL is
    safe as a ``src`` (an image, SVG too, runs no script)."""
    plain = _SPACE.sub("", htmllib.unescape(url)).lower()
    if plain.startswith(("javascript:", "vbscript:")):
        return True
    if plain.startswith("data:"):
        return not (attribute == "src" and plain.startswith("data:image/"))
    return False


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:59] + "…"


def clean_tag(tag: str) -> tuple[str, list[Removed]]:
    """``tag`` (one start tag, as written) without its event handlers and unsafe URLs, and
    what was removed; a tag with nothing to remove comes back unchanged (same string)."""
    m = _TOKEN.fullmatch(tag)
    if m is None or m.group(1) or not m.group(3).strip():
        return tag, []
    name = m.group(2).lower()
    kept: list[str] = []
    removed: list[Removed] = []
    for a in _ATTR.finditer(m.group(3)):
        attr, raw = a.group(1).lower(), a.group(2) or ""
        value = raw[1:-1] if raw[:1] in "\"'" and len(raw) >= 2 else raw
        shown = _short(a.group(0))
        if attr.startswith("on") or attr == "srcdoc":
            removed.append(Removed(f"{shown} on <{name}>", _WHY_HANDLER, a.group(0)))
        elif attr in URL_ATTRIBUTES and unsafe_url(value, attr):
            removed.append(Removed(f"{shown} on <{name}>", _WHY_URL, a.group(0)))
        elif attr == "style" and re.search(r"javascript:|expression\s*\(", htmllib.unescape(value), re.I):
            removed.append(Removed(f"{shown} on <{name}>", "it runs script inside CSS in old browsers",
                                   a.group(0)))
        else:
            kept.append(a.group(0))
    if not removed:
        return tag, []
    close = "/" if m.group(4) else ""
    return f"<{m.group(2)}{''.join(' ' + k for k in kept)}{close}>", removed


def _element_removed(name: str, text: str, needle: str) -> Removed:
    why = _WHY.get(name, _WHY_FRAME)
    shown = _short(text)
    return Removed(f"the <{name}> element ({shown!r})" if shown != f"<{name}>" else f"the <{name}> element",
                   why, needle)


def clean_html(html: str) -> tuple[str, list[Removed]]:
    """A raw HTML block (or fragment) without active content (module docstring), and what was
    removed, in order. HTML with nothing to remove comes back unchanged (same string); an
    element left open (``<script>`` with no end tag) is removed to the end of ``html``."""
    if not _QUICK.search(html):
        return html, []
    out: list[str] = []
    removed: list[Removed] = []
    pos = 0
    skip: tuple[str, int, str] | None = None  # (element, where it started, start tag) while dropping its content
    for m in _TOKEN.finditer(html):
        if m.group(0).startswith("<!--"):
            continue
        name = m.group(2).lower()
        if skip is not None:
            if m.group(1) and name == skip[0]:
                removed.append(_element_removed(skip[0], html[skip[1]:m.end()], skip[2]))
                skip, pos = None, m.end()
            continue
        if not m.group(1) and name in CONTENT_DROPPED and not m.group(4):
            out.append(html[pos:m.start()])
            skip, pos = (name, m.start(), m.group(0)), m.end()
        elif name in CONTENT_DROPPED or name in VOID_DROPPED:  # a void one, a self-closed or a stray end tag
            out.append(html[pos:m.start()])
            removed.append(_element_removed(name, m.group(0), m.group(0)))
            pos = m.end()
        elif not m.group(1):
            tag, gone = clean_tag(m.group(0))
            if gone:
                out.append(html[pos:m.start()] + tag)
                removed.extend(gone)
                pos = m.end()
    if skip is not None:
        removed.append(_element_removed(skip[0], html[skip[1]:], skip[2]))
        pos = len(html)
    if not removed:
        return html, []
    out.append(html[pos:])
    return "".join(out), removed


def clean_inlines(nodes: list) -> tuple[list, list[Removed]]:
    """A run of inlines (:mod:`dispatch.model`) of one paragraph without active content: a
    dropped element's start tag (:class:`~dispatch.model.RawHtml`), everything up to its end
    tag and the end tag go; other tags lose their handlers and unsafe URLs."""
    from .inlinehtml import element_name
    from .model import RawHtml

    if not any(isinstance(n, RawHtml) and _QUICK.search(n.html) for n in nodes):
        return nodes, []
    out: list = []
    removed: list[Removed] = []
    skip: tuple[str, list[str]] | None = None
    for node in nodes:
        parsed = element_name(node.html) if isinstance(node, RawHtml) else None
        if skip is not None:
            skip[1].append(node.html if isinstance(node, RawHtml) else node.plain())
            if parsed and parsed[1] and parsed[0] == skip[0]:
                removed.append(_element_removed(skip[0], "".join(skip[1]), skip[1][0]))
                skip = None
            continue
        if parsed is None:
            out.append(node)
            continue
        name, closing, self_closed = parsed
        if not closing and not self_closed and name in CONTENT_DROPPED:
            skip = (name, [node.html])
        elif name in CONTENT_DROPPED or name in VOID_DROPPED:
            removed.append(_element_removed(name, node.html, node.html))
        elif not closing:
            tag, gone = clean_tag(node.html.strip())
            out.append(RawHtml(tag) if gone else node)
            removed.extend(gone)
        else:
            out.append(node)
    if skip is not None:
        removed.append(_element_removed(skip[0], "".join(skip[1]), skip[1][0]))
    return out, removed
