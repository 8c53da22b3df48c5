"""The text channel: Issue → the plain-text part of the email (``email.txt``).

Rendered from the document model, never by converting the HTML. Layout templates
(``text/issue.txt``, ``text/<kind>.txt``) decide what goes where; :class:`TextRenderer`
(``t`` in templates) does the typesetting:

* lines of at most 78 display columns (RFC 5322 §2.1.1 "SHOULD"), counted by display width
  (CJK and emoji are 2 columns); a URL longer than a line stays whole on its own line;
* headings underlined (``=`` for level 1, ``-`` for level 2) to their display width;
* links as ``text [n]`` with a numbered list at the end (the same URL keeps one number);
  images as ``[image: alt] [n]``;
* lists with hanging indents, quotes prefixed ``> ``, code verbatim and indented;
* tables aligned by display width, or as ``header: value`` records when wider than the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import lxml.html

from ..config import Settings
from ..layout import environment, render, section_templates
from ..memo import LRU
from ..model import (
    Block, Code, CodeBlock, Emph, FootnoteRef, Footnotes, Heading, HtmlBlock, Image, Inline, Issue,
    LineBreak, Link, ListBlock, Paragraph, Quote, RawHtml, Rule, Strong, Table, Text,
)
from ..i18n import labels, long_date, text_direction
from ..textutil import join_columns, pad, width, wrap
from .html import absolute_url

#: RFC 5322 §2.1.1: lines SHOULD be no more than 78 characters.
LINE_COLUMNS = 78
#: Stands for a hard line break inside a paragraph's text until it is wrapped (private use).
_BREAK = "\ue002"


@dataclass(frozen=True)
class TextResult:
    """The plain-text part: ``text`` (ends with a newline)."""

    text: str


class TextRenderer:
    """Typesets model blocks as plain text (see the module docstring).

    Args:
        base: URL relative links are resolved against (the issue's permalink).
        columns: line width in display columns.
    """

    def __init__(self, base: str = "", columns: int = LINE_COLUMNS):
        self.base = base
        self.columns = columns
        self.links: list[str] = []

    # -- helpers for templates --------------------------------------------------
    def heading(self, text: str, level: int = 2) -> str:
        """A heading, wrapped, underlined with ``=`` (level 1) or ``-`` to its width."""
        lines = wrap(text, self.columns)
        rule = "=" if level <= 1 else "-"
        return "\n".join(lines) + "\n" + rule * min(max(width(l) for l in lines), self.columns)

    def para(self, text: str, indent: str = "", subsequent: str | None = None) -> str:
        """Wrap plain ``text`` as a paragraph."""
        return "\n".join(wrap(text, self.columns, indent=indent, subsequent=subsequent))

    def inline(self, inlines: Iterable[Inline]) -> str:
        """Inlines as one line of text (links numbered; a hard line break becomes a space)."""
        return " ".join(self._inline(list(inlines)).replace(_BREAK, " ").split())

    def _broken(self, inlines: Iterable[Inline], first: str, rest: str) -> list[str]:
        """Inlines wrapped as paragraph lines: a hard line break (two trailing spaces, ``\\``,
        ``<br>``) starts a new line, as it does in the HTML part."""
        parts = [" ".join(p.split()) for p in self._inline(list(inlines)).split(_BREAK)]
        lines: list[str] = []
        for n, part in enumerate(parts):
            if part or n == 0:
                lines.extend(wrap(part, self.columns, indent=first if not lines else rest, subsequent=rest))
        return lines

    def blocks(self, blocks: Iterable[Block], indent: str = "") -> str:
        """Blocks separated by blank lines; each line prefixed by ``indent``."""
        parts = [self.block(b, indent) for b in blocks]
        return "\n\n".join(p for p in parts if p)

    def table(self, head: Sequence[str], rows: Sequence[Sequence[str]], align: Sequence[str] = ()) -> str:
        """A table aligned by display width; when it is wider than the line, each row becomes
        a record of ``header: value`` lines instead."""
        ncols = max([len(head), *(len(r) for r in rows)] or [0])
        head = list(head) + [""] * (ncols - len(head))
        rows = [list(r) + [""] * (ncols - len(r)) for r in rows]
        align = [(align[i] if i < len(align) else "") or "left" for i in range(ncols)]
        widths = [max(width(c) for c in col) for col in zip(head, *rows)]
        total = sum(widths) + 2 * (ncols - 1)
        if total <= self.columns:
            lines = []
            if any(head):
                lines.append(join_columns(head, widths, align))
                lines.append(join_columns(["-" * w for w in widths], widths, align))
            lines.extend(join_columns(r, widths, align) for r in rows)
            return "\n".join(lines)
        records = []
        label_w = max(width(h) for h in head) if any(head) else 0
        for row in rows:
            rec = []
            for h, cell in zip(head, row):
                label = f"{pad(h + ':', label_w + 1)} " if any(head) else ""
                rec.extend(wrap(cell, self.columns, indent=label, subsequent=" " * width(label)))
            records.append("\n".join(rec))
        return "\n\n".join(records)

    def cells(self, cells: Iterable[Iterable[Inline]]) -> list[str]:
        """Table cells (each a sequence of inlines) as one-line texts, links numbered."""
        return [self.inline(c) for c in cells]

    def link_list(self) -> str:
        """The numbered link list (``[1] https://…``), or ``""`` when there are no links."""
        lines = []
        for number, url in enumerate(self.links, 1):
            label = f"[{number}] "
            lines.extend(wrap(url, self.columns, indent=label))
        return "\n".join(lines)

    def ref(self, url: str) -> int:
        """The number of ``url`` in the link list, adding it when new."""
        url = self._absolute(url)
        if url not in self.links:
            self.links.append(url)
        return self.links.index(url) + 1

    # -- blocks ------------------------------------------------------------------
    def block(self, block: Block, indent: str = "") -> str:
        """One block as text lines (no trailing newline), each prefixed by ``indent`` and
        wrapped to ``columns`` display columns; code is kept verbatim.

        Kept in :data:`_BLOCKS` by everything the text comes from (the block's value,
        ``indent``, ``columns``, ``base`` and the links numbered before it), with the links
        it numbers, so a re-render after an edit typesets again only the edited blocks."""
        key = (type(self), block, indent, self.columns, self.base, tuple(self.links))
        found = _BLOCKS.get(key)
        if found is None:
            before = len(self.links)
            text = self._block(block, indent)
            found = _BLOCKS.put(key, (text, tuple(self.links[before:])))
        else:
            self.links.extend(found[1])
        return found[0]

    def _block(self, block: Block, indent: str) -> str:
        cols = self.columns
        if isinstance(block, Paragraph):
            return "\n".join(self._broken(block.children, indent, indent))
        if isinstance(block, Heading):
            # ### underlined with "~" to its display width; deeper headings as plain lines.
            # (Not upper-cased: that changes words such as "straße".)
            text = self.inline(block.children)
            lines = wrap(text, cols, indent=indent)
            if block.level <= 3:
                lines.append(indent + "~" * min(max(width(l) for l in lines) - width(indent), cols - width(indent)))
            return "\n".join(lines)
        if isinstance(block, ListBlock):
            out = []
            for n, item in enumerate(block.items, block.start):
                marker = f"{n}. " if block.ordered else "- "
                out.append(self._item(item, indent + marker, indent + " " * len(marker)))
            return "\n".join(out)
        if isinstance(block, Quote):
            inner = TextRenderer(self.base, cols - 2)
            inner.links = self.links
            text = inner.blocks(block.children)
            return "\n".join((indent + "> " + line).rstrip() for line in text.split("\n"))
        if isinstance(block, CodeBlock):
            return "\n".join((indent + "    " + line).rstrip() for line in block.text.split("\n"))
        if isinstance(block, Table):
            head = [self.inline(c) for c in block.head]
            rows = [[self.inline(c) for c in row] for row in block.rows]
            inner = TextRenderer(self.base, cols - width(indent))
            table = inner.table(head, rows, block.align)
            return "\n".join((indent + line).rstrip() for line in table.split("\n"))
        if isinstance(block, Rule):
            return indent + "-" * min(20, cols)
        if isinstance(block, HtmlBlock):
            return "" if block.is_comment else self._html(block.html, indent)
        if isinstance(block, Footnotes):
            out = []
            for n, (label, blocks) in enumerate(block.items, 1):
                mark = footnote_mark(n) + " "
                out.append(self._item(blocks, indent + mark, indent + " " * len(mark)))
            return "\n".join(out)
        raise TypeError(f"unknown block {block!r}")  # pragma: no cover

    def _item(self, blocks: Sequence[Block], first: str, rest: str) -> str:
        lines: list[str] = []
        for i, block in enumerate(blocks):
            if isinstance(block, Paragraph):
                lines.extend(self._broken(block.children, first if i == 0 else rest, rest))
            else:
                sub = self.block(block, rest)
                if i == 0:
                    sub = first + sub[len(rest):]
                lines.extend(sub.split("\n"))
        if not lines:
            lines.append(first.rstrip())
        return "\n".join(lines)

    def _html(self, html: str, indent: str) -> str:
        try:
            fragment = lxml.html.fragment_fromstring(html, create_parent="div")
        except Exception:  # lxml raises several types for broken markup
            return "\n".join(wrap(re.sub(r"<[^>]+>", " ", html), self.columns, indent=indent))
        parts: list[str] = []
        for el in fragment.iter():
            if el.tag == "img":
                parts.append(f"[image: {el.get('alt') or el.get('title') or 'no description'}] [{self.ref(el.get('src', ''))}]")
            elif el.tag == "a" and el.get("href"):
                parts.append(f"{el.text_content().strip()} [{self.ref(el.get('href'))}]")
        text = " ".join(fragment.text_content().split())
        for p in parts:
            if p.split(" [")[0] and p.split(" [")[0] in text and not p.startswith("[image"):
                text = text.replace(p.rsplit(" [", 1)[0], p, 1)
            elif p.startswith("[image"):
                text = (text + " " + p).strip()
        return "\n".join(wrap(text, self.columns, indent=indent)) if text else ""

    # -- inlines -----------------------------------------------------------------
    def _inline(self, nodes: list[Inline]) -> str:
        out: list[str] = []
        for node in nodes:
            if isinstance(node, Text):
                out.append(node.text.replace("\n", " "))
            elif isinstance(node, Strong):
                out.append(self._inline(list(node.children)))
            elif isinstance(node, Emph):
                out.append(self._inline(list(node.children)))
            elif isinstance(node, Code):
                out.append(node.text)
            elif isinstance(node, Link):
                label = self._inline(list(node.children)).strip()
                href = node.href
                if href.startswith("#"):
                    out.append(label)
                elif href.startswith("mailto:") and label == href.removeprefix("mailto:"):
                    out.append(label)
                elif label in (href, self._absolute(href), href.removeprefix("mailto:")):
                    out.append(self._absolute(href))
                else:
                    out.append(f"{label} [{self.ref(href)}]")
            elif isinstance(node, Image):
                out.append(f"[image: {node.alt or 'no description'}] [{self.ref(node.src)}]")
            elif isinstance(node, LineBreak):
                out.append(_BREAK)
            elif isinstance(node, FootnoteRef):
                out.append(footnote_mark(node.number))
            elif isinstance(node, RawHtml):
                if node.html.lower().startswith("<br"):
                    out.append(_BREAK)
                elif not node.html.startswith("<"):
                    out.append(node.html)
        return "".join(out)

    def _absolute(self, url: str) -> str:
        return absolute_url(url, self.base)


#: Blocks typeset (see :meth:`TextRenderer.block`).
_BLOCKS = LRU(1024, "text part: blocks")


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def footnote_mark(number: int) -> str:
    """The text part's mark for footnote ``number``: the number in superscript digits
    (``3`` → ``"³"``, ``12`` → ``"¹²"``), so it cannot be read as a link reference ``[3]``
    (the text part numbers its links that way); the same mark starts the note in the Notes list."""
    return str(number).translate(_SUPERSCRIPT)


def render_text(issue: Issue, settings: Settings, *, unsubscribe: str = "", view_online: str = "") -> TextResult:
    """Render the plain-text part of ``issue`` through the layout's ``text/issue.txt``.

    Args:
        unsubscribe: the sending platform's unsubscribe URL or merge tag (``*|UNSUB|*``…),
            shown in the footer; ``""`` leaves the line out (the platform adds its own).
        view_online: the platform's "view in browser" URL or merge tag; default the issue's
            permalink.

    Lines are at most 78 display columns (RFC 5322 §2.1.1) except a URL or code line that is
    longer on its own. Fixed words come from the layout's labels for the issue's ``lang``,
    the dateline is in that language (:func:`dispatch.i18n.long_date`), and a right-to-left
    issue's lines start with a RIGHT-TO-LEFT MARK (:func:`right_to_left`).

    Raises:
        RenderError: a layout template is missing or broken.
    """
    env = environment(settings.root, settings.layout)
    t = TextRenderer(issue.permalink)
    text = render(
        env,
        "text/issue.txt",
        issue=issue,
        settings=settings,
        t=t,
        section_templates=section_templates,
        view_online=view_online or issue.permalink,
        unsubscribe=unsubscribe,
        dateline=long_date(issue.meta.date, settings.tz, issue.meta.lang),
        labels=labels(settings.root, settings.layout, issue.meta.lang, settings.labels),
    )
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
    if text_direction(issue.meta.lang) == "rtl":
        text = right_to_left(text)
    return TextResult(text)


#: RIGHT-TO-LEFT MARK: a strong RTL character of zero width (Unicode UAX #9).
RLM = "\u200f"


def right_to_left(text: str) -> str:
    """Start every non-empty line of ``text`` with a RIGHT-TO-LEFT MARK, so a mail client
    that takes a line's direction from its first strong character (UAX #9 rules P2-P3) lays
    out right to left even the lines that begin with a bullet, a number, a link or Latin
    text. The mark has no width: lines stay within 78 columns."""
    return "\n".join(RLM + line if line.strip() else line for line in text.split("\n"))
