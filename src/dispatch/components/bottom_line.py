"""The Bottom Line: the issue's one-paragraph takeaway (email preheader, feed summary,
first post of the thread)."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Paragraph
from ..textutil import plain_text
from . import ComponentError, SectionDraft


@dataclass(frozen=True)
class BottomLine:
    """Attributes: ``text`` — the takeaway as plain text (paragraphs joined by a space)."""

    text: str


class BottomLineComponent:
    """Headings: "Bottom Line", "The Bottom Line", "TL;DR", "In short", "Key takeaway"."""

    name = "bottom_line"
    label = "Bottom Line"
    aliases = ("bottom line", "the bottom line", "tl;dr", "tldr", "in short", "key takeaway")

    def match(self, heading: str):
        return None

    def parse(self, draft: SectionDraft) -> BottomLine:
        """Raises :class:`ComponentError` when the section has no paragraph of text."""
        text = " ".join(plain_text(b.children) for b in draft.blocks if isinstance(b, Paragraph)).strip()
        if not text:
            raise ComponentError(
                f"the '{draft.heading}' section has no text; write the takeaway as a paragraph under the heading"
            )
        return BottomLine(text)
