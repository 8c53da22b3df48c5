"""Sources: where the facts came from, a list of names with optional URLs.

Each list item (or line) is one source: ``[Name](url)``, ``Name — https://…``, ``Name``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Block, Inline, Link, ListBlock, Paragraph
from ..textutil import find_urls, plain_text
from . import ComponentError, SectionDraft


@dataclass(frozen=True)
class Source:
    """Attributes: ``name`` (plain text), ``url`` (``""`` when none), ``inlines`` (the item
    as written, for HTML channels)."""

    name: str
    url: str = ""
    inlines: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class Sources:
    """Attributes: ``items`` in order; ``other`` (blocks that are not a source list)."""

    items: tuple[Source, ...]
    other: tuple[Block, ...] = ()


class SourcesComponent:
    """Headings: "Sources", "References", "Further Reading", "Sources and Further Reading"."""

    name = "sources"
    label = "Sources"
    aliases = ("sources", "source", "references", "further reading", "sources and further reading", "read more")

    def match(self, heading: str):
        return None

    def parse(self, draft: SectionDraft) -> Sources:
        """Raises :class:`ComponentError` when the section lists nothing."""
        items: list[Source] = []
        other: list[Block] = []
        for block in draft.blocks:
            if isinstance(block, ListBlock):
                for item in block.items:
                    paragraphs = [b for b in item if isinstance(b, Paragraph)]
                    if paragraphs:
                        items.append(_source(paragraphs[0].children))
                    other.extend(b for b in item if not isinstance(b, Paragraph))
            elif isinstance(block, Paragraph) and not items:
                items.append(_source(block.children))
            else:
                other.append(block)
        if not items:
            raise ComponentError(
                f"the '{draft.heading}' section lists no sources; write one '- Name' or '- [Name](url)' per line"
            )
        return Sources(tuple(items), tuple(other))


def _source(children: tuple[Inline, ...]) -> Source:
    url = next((n.href for n in children if isinstance(n, Link)), "")
    bare = [n for n in children if isinstance(n, Link) and plain_text(n.children) == n.href]
    # "Name — https://…": the bare URL (now a link to itself) is the address, not the name
    text = plain_text(tuple(n for n in children if n not in bare)) if bare and len(bare) < len(children) \
        else plain_text(children)
    if not url:
        found = find_urls(text)
        if found:
            url = found[0].group(0)
            text = (text[: found[0].start()] + text[found[0].end():]).strip()
    name = re.sub(r"[\s—–:.,;-]+$", "", text).strip() or url
    return Source(name, url, tuple(children))
