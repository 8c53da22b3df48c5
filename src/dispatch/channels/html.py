"""Blocks and inlines → HTML fragments, shared by the email, feed and web channels.

The output is safe to put inside MJML's ``<mj-text>`` (MRML): text is escaped (a bare ``<``
is an MRML parse error), soft line breaks become spaces (MRML drops a newline between two
inline elements), no newline is written between inline elements, and non-ASCII characters in
attribute values are written as numeric character references (MRML writes attribute values
with Rust debug escaping, turning a ZWJ into the text ``\\u{200d}``). See notes/email.md.
"""

from __future__ import annotations

import re
from html import escape
from typing import Callable, Hashable, Iterable
from urllib.parse import urljoin

from markupsafe import Markup

from ..memo import LRU
from ..platforms import MERGE_TAG
from ..model import (
    Block, Code, CodeBlock, Emph, FootnoteRef, Footnotes, Heading, HtmlBlock, Image, Inline,
    LineBreak, Link, ListBlock, Paragraph, Quote, RawHtml, Rule, Strong, Table, Text,
)


def attr(value: str) -> str:
    """Escape an attribute value: ``& < > "`` as entities, and a backslash and every non-ASCII
    character as numeric character references (``ā`` → ``&#257;``), so MRML's Rust-debug
    attribute writer cannot mangle them."""
    out = escape(_CONTROL.sub("", value), quote=True).replace("\\", "&#92;")
    if out.isascii():
        return out
    return "".join(c if ord(c) < 128 else f"&#{ord(c)};" for c in out)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def text(value: str) -> str:
    """Escape text content (``& < >``); soft line breaks become spaces; C0 control
    characters (which MRML and XML reject) are removed."""
    return escape(_CONTROL.sub("", value.replace("\n", " ")), quote=False)


#: An absolute http(s) URL that ``urljoin`` returns unchanged against any base (its parse
#: and unparse are the identity): a lower-case scheme, a host, printable ASCII only, no ``;``
#: in the path (``_splitparams`` drops an empty one), no empty query or fragment (``?`` or
#: ``#`` with nothing after it is dropped), no brackets (IPv6 hosts are checked). Anything
#: else goes through ``urljoin``.
_AS_WRITTEN = re.compile(
    r"https?://[A-Za-z0-9\-._~%!$&'()*+,=:@]+"
    r"(?:/[A-Za-z0-9\-._~%!$&'()*+,=:@/]*)?"
    r"(?:\?[A-Za-z0-9\-._~%!$&'()*+,=:@/?;]+)?"
    r"(?:#[A-Za-z0-9\-._~%!$&'()*+,=:@/?;#]+)?"
)


def absolute_url(url: str, base: str, *, in_page: bool = True) -> str:
    """``url`` resolved against ``base`` (RFC 3986 §5.2), the one rule every channel uses.

    ``mailto:``, ``tel:`` and ``data:`` URLs and merge tags (``*|UNSUB|*``, which the sending
    platform fills in) are left as written; an empty URL (the document itself) becomes
    ``base``. In-page fragments (``#faq``) stay as they are when ``in_page`` is true (an
    email or text part that holds the anchor) and become ``base#faq`` otherwise (a feed
    reader has no page to resolve them against). With no ``base`` the URL is returned as is.
    """
    s = url.strip()
    if _AS_WRITTEN.fullmatch(s):  # most links: nothing for urljoin to change, whatever the base
        return s
    if not base or s.lower().startswith(("mailto:", "tel:", "data:")) or MERGE_TAG.fullmatch(s):
        return s
    if in_page and s.startswith("#"):
        return s
    return urljoin(base, s)


def balance(html: str) -> str:
    """Re-serialise an HTML fragment through lxml's HTML parser: unclosed elements are
    closed, stray end tags, doctypes, CDATA sections, processing instructions and comments
    are dropped; text and well-formed markup come out unchanged."""
    import lxml.etree
    import lxml.html

    cleaned = re.sub(r"<!DOCTYPE[^>]*>|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!--.*?-->", "", html, flags=re.S | re.I)
    try:
        root = lxml.html.fragment_fromstring(cleaned, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return escape(re.sub(r"<[^>]*>", "", cleaned), quote=False)
    lxml.etree.strip_elements(root, lxml.etree.Comment, lxml.etree.ProcessingInstruction, with_tail=False)
    out = escape(root.text or "", quote=False)
    for child in root:
        out += lxml.html.tostring(child, encoding="unicode")
    return out


def _same(url: str) -> str:
    return url


#: Rendered blocks (see :meth:`HtmlRenderer.block`).
_BLOCKS = LRU(2048, "html: blocks")


class HtmlRenderer:
    """Render model blocks to an HTML fragment string.

    Args:
        url: maps every ``href``/``src`` as written to the URL to emit (make absolute, add
            tracking parameters…). Identity by default.
        heading_offset: added to in-section heading levels (``###`` → ``h3`` by default).
        classes: optional CSS class per element kind (``"table"``, ``"quote"``…), for layouts
            that style by class.
        url_key: a hashable value naming what ``url`` does (``("absolute_url", base)``), so
            rendered blocks can be kept (:meth:`block`); ``None`` with a ``url`` of one's own
            keeps nothing.
    """

    def __init__(
        self,
        url: Callable[[str], str] | None = None,
        *,
        heading_offset: int = 0,
        classes: dict[str, str] | None = None,
        footnote_prefix: str = "fn",
        url_key: Hashable = None,
    ):
        self.url = url or _same
        self.heading_offset = heading_offset
        self.classes = classes or {}
        self.footnote_prefix = footnote_prefix
        self._raw = False
        self._fresh = False  # set while a block's output depends on more than its value
        if url is not None and url_key is None:
            self._key = None
        else:
            self._key = (type(self), url_key, heading_offset, tuple(sorted(self.classes.items())), footnote_prefix)

    def cache_key(self) -> Hashable:
        """Everything but the block that a rendered block depends on (:meth:`block`), or
        ``None`` when blocks are not kept. Subclasses with settings of their own add them."""
        return self._key

    def _cls(self, kind: str) -> str:
        name = self.classes.get(kind)
        return f' class="{attr(name)}"' if name else ""

    # -- public ----------------------------------------------------------------
    def blocks(self, blocks: Iterable[Block]) -> Markup:
        """Render blocks; HTML comments are not published. Raw HTML the author wrote is
        balanced (unclosed tags closed, stray end tags, doctypes, CDATA and processing
        instructions dropped) so it cannot break the layout around it or MRML's parser."""
        return Markup(self._balanced("".join(self.block(b) for b in blocks)))

    def inlines(self, inlines: Iterable[Inline]) -> Markup:
        """Render inlines (no surrounding element); raw HTML balanced as in :meth:`blocks`."""
        return Markup(self._balanced("".join(self.inline(n) for n in inlines)))

    def _balanced(self, html: str) -> str:
        if not self._raw:
            return html
        self._raw = False
        return balance(html)

    # -- blocks ----------------------------------------------------------------
    def block(self, block: Block) -> str:
        """One block as HTML.

        Kept in :data:`_BLOCKS` by the renderer's :meth:`cache_key`, the block's value and
        the raw-HTML state before it (with the state after it), so a re-render after an
        edit renders again only the edited blocks; a block whose output read anything else
        (an image file's size: :meth:`uncached`) is not kept."""
        key = self.cache_key()
        if key is None:
            return self._block(block)
        key = (key, block, self._raw)
        found = _BLOCKS.get(key)
        if found is not None:
            self._raw = found[1]
            return found[0]
        outer, self._fresh = self._fresh, False
        html = self._block(block)
        if not self._fresh:
            _BLOCKS.put(key, (html, self._raw))
        self._fresh = outer or self._fresh
        return html

    def uncached(self) -> None:
        """Say that the block being rendered depends on more than its value (a file read):
        it is not kept."""
        self._fresh = True

    def _block(self, block: Block) -> str:
        if isinstance(block, Paragraph):
            return f"<p{self._cls('p')}>{self.inlines(block.children)}</p>"
        if isinstance(block, Heading):
            level = min(block.level + self.heading_offset, 6)
            return f"<h{level}{self._cls('h')}>{self.inlines(block.children)}</h{level}>"
        if isinstance(block, ListBlock):
            tag = "ol" if block.ordered else "ul"
            start = f' start="{block.start}"' if block.ordered and block.start != 1 else ""
            items = "".join(f"<li>{self._item(item)}</li>" for item in block.items)
            return f"<{tag}{start}{self._cls(tag)}>{items}</{tag}>"
        if isinstance(block, Quote):
            return f"<blockquote{self._cls('quote')}>{self.blocks(block.children)}</blockquote>"
        if isinstance(block, CodeBlock):
            lang = f' class="language-{attr(block.lang)}"' if block.lang else ""
            return f"<pre{self._cls('pre')}><code{lang}>{escape(block.text, quote=False)}</code></pre>"
        if isinstance(block, Table):
            return self._table(block)
        if isinstance(block, Rule):
            return f"<hr{self._cls('hr')}>"
        if isinstance(block, HtmlBlock):
            if block.is_comment:
                return ""
            self._raw = True
            return self.raw_block(block.html)
        if isinstance(block, Footnotes):
            return self.footnotes(block)
        raise TypeError(f"unknown block {block!r}")  # pragma: no cover

    def raw_block(self, html: str) -> str:
        """A raw HTML block, as written (subclasses may rewrite URLs in it)."""
        return html

    def _item(self, item: tuple[Block, ...]) -> str:
        if len(item) == 1 and isinstance(item[0], Paragraph):
            return str(self.inlines(item[0].children))
        return str(self.blocks(item))

    def _table(self, table: Table) -> str:
        def cells(row, tag):
            out = []
            for i, cell in enumerate(row):
                align = table.align[i] if i < len(table.align) else ""
                style = f' style="text-align:{align}"' if align else ""
                scope = ' scope="col"' if tag == "th" else ""  # WCAG 2.1 H63
                out.append(f"<{tag}{scope}{style}>{self.inlines(cell)}</{tag}>")
            return "".join(out)

        head = f"<thead><tr>{cells(table.head, 'th')}</tr></thead>" if table.head else ""
        body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in table.rows)
        return f"<table{self._cls('table')}>{head}<tbody>{body}</tbody></table>"

    def footnotes(self, notes: Footnotes) -> str:
        items = "".join(
            f'<li id="{self.footnote_prefix}-{attr(label)}">{self._item(blocks)}</li>' for label, blocks in notes.items
        )
        return f'<hr{self._cls("hr")}><ol{self._cls("footnotes")}>{items}</ol>'

    # -- inlines ---------------------------------------------------------------
    def inline(self, node: Inline) -> str:
        if isinstance(node, Text):
            return text(node.text)
        if isinstance(node, Strong):
            return f"<strong>{self.inlines(node.children)}</strong>"
        if isinstance(node, Emph):
            return f"<em>{self.inlines(node.children)}</em>"
        if isinstance(node, Code):
            return f"<code{self._cls('code')}>{escape(node.text, quote=False)}</code>"
        if isinstance(node, Link):
            title = f' title="{attr(node.title)}"' if node.title else ""
            return f'<a href="{attr(self.url(node.href))}"{title}{self._cls("a")}>{self.inlines(node.children)}</a>'
        if isinstance(node, Image):
            title = f' title="{attr(node.title)}"' if node.title else ""
            width = f' width="{node.width}"' if node.width else ""  # {width=…}; the stylesheet keeps it ≤ 100 %
            return f'<img src="{attr(self.url(node.src))}" alt="{attr(node.alt or "")}"{title}{width}{self._cls("img")}>'
        if isinstance(node, LineBreak):
            return "<br>"
        if isinstance(node, RawHtml):
            if node.html.startswith("<!--"):
                return ""
            self._raw = True
            return node.html
        if isinstance(node, FootnoteRef):
            return f'<sup><a href="#{self.footnote_prefix}-{attr(node.label)}">{node.number}</a></sup>'
        raise TypeError(f"unknown inline {node!r}")  # pragma: no cover
