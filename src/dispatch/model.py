"""The typed document model every channel renders from.

One parse of an issue file (:func:`dispatch.parse.parse_issue`) gives one :class:`Issue`:
its :class:`FrontMatter`, the *lead* (blocks before the first section heading), and its
:class:`Section` list. A section whose heading names a component carries that component's
typed data in :attr:`Section.data` (see :mod:`dispatch.components`); its blocks are kept too,
so nothing the author wrote is lost.

Blocks and inlines mirror CommonMark's vocabulary. Text is stored as Unicode strings with
Markdown escapes, entities and smart punctuation already resolved; raw HTML is kept verbatim
in :class:`RawHtml`/:class:`HtmlBlock`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Union

from .textutil import first_sentence, plain_text


# --- inlines ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Text:
    """Plain text. ``text`` may contain newlines only from soft line breaks (renderers
    treat them as spaces)."""

    text: str

    def plain(self) -> str:
        """Plain text (soft breaks as spaces); see :func:`dispatch.textutil.plain_text`."""
        return self.text.replace("\n", " ")


@dataclass(frozen=True, slots=True)
class Emph:
    """Emphasis (``*x*``)."""

    children: tuple["Inline", ...]

    def plain(self) -> str:
        return plain_text(self.children)


@dataclass(frozen=True, slots=True)
class Strong:
    """Strong emphasis (``**x**``)."""

    children: tuple["Inline", ...]

    def plain(self) -> str:
        return plain_text(self.children)


@dataclass(frozen=True, slots=True)
class Code:
    """Inline code span; ``text`` is verbatim."""

    text: str

    def plain(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Link:
    """A hyperlink. ``href`` is as written (may be relative); ``title`` may be empty."""

    children: tuple["Inline", ...]
    href: str
    title: str = ""

    def plain(self) -> str:
        """The link text (not the URL)."""
        return plain_text(self.children)


@dataclass(frozen=True, slots=True)
class Image:
    """An image. ``alt`` is ``None`` when the source gave no alt attribute at all (raw HTML
    ``<img>`` without ``alt``), ``""`` when it is deliberately empty. ``width`` is the width
    the writer gave (``![a](b.png){width=300}``, Markdown attr_list), in CSS px, at most the
    email column (:data:`dispatch.images.COLUMN_PX`); ``None`` when none was given."""

    src: str
    alt: str | None
    title: str = ""
    width: int | None = None

    def plain(self) -> str:
        """The alt text."""
        return self.alt or ""


@dataclass(frozen=True, slots=True)
class LineBreak:
    """A hard line break (two trailing spaces or a backslash)."""

    def plain(self) -> str:
        return " "


@dataclass(frozen=True, slots=True)
class RawHtml:
    """An inline HTML tag or comment, verbatim (e.g. ``<small>``)."""

    html: str

    def plain(self) -> str:
        """Nothing (tags are dropped), or a space for ``<br>``."""
        return " " if self.html.lower().startswith("<br") else ""


@dataclass(frozen=True, slots=True)
class FootnoteRef:
    """A footnote reference ``[^label]``; ``number`` is its 1-based display number."""

    label: str
    number: int

    def plain(self) -> str:
        """Nothing: plain text (a thread's posts, a summary, a preheader) holds no notes
        list, so a mark there would point at nothing."""
        return ""


Inline = Union[Text, Emph, Strong, Code, Link, Image, LineBreak, RawHtml, FootnoteRef]


# --- blocks ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of inlines."""

    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading inside a section (levels 3-6, or setext headings)."""

    level: int
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class ListBlock:
    """A bullet (``ordered=False``) or numbered list; each item is a tuple of blocks."""

    ordered: bool
    items: tuple[tuple["Block", ...], ...]
    start: int = 1


@dataclass(frozen=True, slots=True)
class Quote:
    """A block quote."""

    children: tuple["Block", ...]


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A fenced or indented code block; ``text`` is verbatim, ``lang`` may be empty."""

    text: str
    lang: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    """A pipe table. ``head`` and each row are tuples of cells (each a tuple of inlines);
    ``align`` holds ``"left" | "right" | "center" | ""`` per column."""

    head: tuple[tuple[Inline, ...], ...]
    rows: tuple[tuple[tuple[Inline, ...], ...], ...]
    align: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """A thematic break (``---``)."""


@dataclass(frozen=True, slots=True)
class HtmlBlock:
    """A raw HTML block, verbatim. HTML comments are kept here too; channels do not publish
    them (they are notes to the editor)."""

    html: str

    @property
    def is_comment(self) -> bool:
        """True when the block is only an HTML comment."""
        s = self.html.strip()
        return s.startswith("<!--") and s.endswith("-->") and s.count("<!--") == 1


@dataclass(frozen=True, slots=True)
class Footnotes:
    """The footnote definitions of the issue, in display order: ``(label, blocks)`` pairs."""

    items: tuple[tuple[str, tuple["Block", ...]], ...]


Block = Union[Paragraph, Heading, ListBlock, Quote, CodeBlock, Table, Rule, HtmlBlock, Footnotes]


def walk_inlines(nodes: Iterable[Inline]) -> Iterator[Inline]:
    """Inlines depth first (children of emphasis and links included)."""
    for node in nodes:
        yield node
        if isinstance(node, (Emph, Strong, Link)):
            yield from walk_inlines(node.children)


def walk_blocks(blocks: Iterable[Block]) -> Iterator[Block | Inline]:
    """Blocks and their inlines depth first, in source order."""
    for block in blocks:
        yield block
        if isinstance(block, (Paragraph, Heading)):
            yield from walk_inlines(block.children)
        elif isinstance(block, ListBlock):
            for item in block.items:
                yield from walk_blocks(item)
        elif isinstance(block, Quote):
            yield from walk_blocks(block.children)
        elif isinstance(block, Table):
            for row in (block.head, *block.rows):
                for cell in row:
                    yield from walk_inlines(cell)
        elif isinstance(block, Footnotes):
            for _, item in block.items:
                yield from walk_blocks(item)


# --- document --------------------------------------------------------------------------

@dataclass(frozen=True)
class FrontMatter:
    """The issue's metadata, normalised.

    Attributes:
        title: the issue's title (front matter ``title`` or the first ``#`` heading).
        date: publication instant, timezone-aware (naive dates take the site's time zone).
        id: permanent identifier, an absolute URI (used as Atom id / RSS GUID).
        slug: URL path segment (``[a-z0-9-]``), from ``slug`` or the title.
        summary: one-line summary; the Bottom Line when absent.
        tags: tag names as written.
        author: author name.
        lang: BCP 47 language tag.
        draft: drafts are never published to feeds.
        preheader: inbox preview text override.
        extra: every other key as parsed (kept, never dropped).
        dialect: ``"yaml" | "toml" | "pelican" | "none"``.
        lines: 1-based source line of each key, for error messages.
    """

    title: str
    date: datetime
    id: str
    slug: str
    summary: str = ""
    tags: tuple[str, ...] = ()
    author: str = ""
    lang: str = "en"
    draft: bool = False
    preheader: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    dialect: str = "none"
    lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    """One section of the body, from a ``#``/``##`` heading to the next.

    Attributes:
        kind: ``"section"`` for an ordinary section, else the component name
            (``"bottom_line"``, ``"answer_first"``, ``"faq"``, ``"numbers"``, ``"lens"``,
            ``"my_take"``, ``"sources"``, ``"recap"``).
        heading: the heading as inlines (emoji and all, as the author wrote it).
        heading_text: the heading as plain text.
        level: 1 or 2.
        line: 1-based source line of the heading.
        blocks: the section's body.
        data: the component's typed data (``None`` for ordinary sections).
        anchor: an id for in-page links, unique within the issue.
    """

    kind: str
    heading: tuple[Inline, ...]
    heading_text: str
    level: int
    line: int
    blocks: tuple[Block, ...]
    data: Any = None
    anchor: str = ""

    @property
    def is_component(self) -> bool:
        """True when the section is a recognised component."""
        return self.kind != "section"


@dataclass(frozen=True)
class Attachment:
    """An audio or video file (or any file) attached to the issue in front matter
    (``audio:``, ``video:``, ``enclosure:``): the feeds' enclosure, the email's link, the web
    page's player.

    Attributes:
        src: the reference as written (``audio/ep1.mp3`` or a URL).
        url: absolute URL where readers fetch it.
        mime: its MIME type (``audio/mpeg``).
        length: its size in bytes (0 when unknown: a URL given without ``length``).
        kind: ``"audio" | "video" | "file"``.
        title: a label (may be empty).
        duration: length in seconds (0 when not given).
        line: 1-based line of the front-matter key.
        file: the local file, or ``None`` for a URL.
    """

    src: str
    url: str
    mime: str
    length: int
    kind: str
    title: str = ""
    duration: int = 0
    line: int = 1
    file: Path | None = None


@dataclass(frozen=True)
class Issue:
    """One parsed issue file.

    Attributes:
        path: the source file.
        meta: the front matter.
        lead: blocks before the first section heading (the *Lead*).
        sections: the sections in source order.
        footnotes: footnote definitions (rendered at the end by each channel), or ``None``.
        permalink: absolute URL of the issue's web page.
        source_hash: SHA-256 (hex) of the source bytes.
        warnings: ``path:line: message`` lines about what parsing cleaned up.
        attachments: audio/video attached in front matter (:class:`Attachment`).
        coded_warnings: ``(code, "path:line: message")`` pairs for what the parse left out
            under a rule of its own: ``image`` (an image no reader could see: outside the
            newsletter folder, an absolute path on this computer; or on a path of the site,
            which dispatch does not publish) and ``active-html`` (scripts, event handlers,
            ``javascript:`` URLs: :mod:`dispatch.activehtml`). The code is the diagnostic's.
    """

    path: Path
    meta: FrontMatter
    lead: tuple[Block, ...]
    sections: tuple[Section, ...]
    footnotes: Footnotes | None
    permalink: str
    source_hash: str
    warnings: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    coded_warnings: tuple[tuple[str, str], ...] = ()

    def walk(self) -> "Iterator[Block | Inline]":
        """Every block and inline of the issue in source order, depth first (lead, sections,
        footnotes), for checks that look at all content (images, links)."""
        blocks: list[Block] = list(self.lead)
        for section in self.sections:
            blocks.extend(section.blocks)
        if self.footnotes:
            blocks.append(self.footnotes)
        return walk_blocks(blocks)

    @cached_property
    def _source_lines(self) -> list[str]:
        try:
            return self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []

    @property
    def source_lines(self) -> list[str]:
        """The source file's lines, without line ends (read once per issue, on first use)."""
        return self._source_lines

    def source_line(self, needle: str, default: int = 0) -> int:
        """The first 1-based line of the source file containing ``needle``, else ``default``
        (the file is read once per issue, on first use)."""
        return next((n for n, text in enumerate(self._source_lines, 1) if needle and needle in text), default)

    def component(self, kind: str) -> Section | None:
        """Return the first section of ``kind`` or ``None``."""
        return next((s for s in self.sections if s.kind == kind), None)

    def components(self, kind: str) -> list[Section]:
        """Return every section of ``kind`` in source order."""
        return [s for s in self.sections if s.kind == kind]

    @property
    def bottom_line(self) -> str:
        """The Bottom Line's text; an issue with none but a closing recap uses the recap's
        text; else ``""``."""
        section = self.component("bottom_line") or self.component("recap")
        return section.data.text if section is not None else ""

    @property
    def description(self) -> str:
        """What the web page says the issue is (``<meta name="description">``, Open Graph,
        JSON-LD): ``summary`` from front matter, else the Answer-First Lead, else
        :attr:`summary`."""
        if self.meta.summary:
            return self.meta.summary
        section = self.component("answer_first")
        return section.data.text if section is not None else self.summary

    @property
    def summary(self) -> str:
        """``summary`` from front matter, else the Bottom Line, else the lead's first sentence."""
        if self.meta.summary:
            return self.meta.summary
        if self.bottom_line:
            return self.bottom_line
        for block in self.lead:
            if isinstance(block, Paragraph):
                return first_sentence(plain_text(block.children))
        return ""
