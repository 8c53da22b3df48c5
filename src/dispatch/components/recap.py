"""Recap: the closing restatement of the Bottom Line (a plain-text briefing's last line
"🔍 THE BOTTOM LINE: …"), shown as a closing callout. It is bound to the Bottom Line: an
issue without a Bottom Line section uses the recap's text as its Bottom Line (preheader,
feed summary, thread hook); threads leave the recap out, since their first post already
carries that text. A plain-text briefing's second Bottom Line becomes ``{.recap}``."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Block
from . import ComponentError, SectionDraft, paragraph_text


@dataclass(frozen=True)
class Recap:
    """Attributes: ``text`` (plain text, paragraphs joined by a space), ``blocks`` (as written)."""

    text: str
    blocks: tuple[Block, ...]


class RecapComponent:
    """Headings: "Recap", "In Summary", "To Sum Up", "Wrapping Up"; explicitly ``{.recap}``."""

    name = "recap"
    label = "Recap"
    aliases = ("recap", "in summary", "to sum up", "summing up", "wrapping up", "wrap up", "the wrap")

    def match(self, heading: str):
        return None

    def parse(self, draft: SectionDraft) -> Recap:
        """Raises :class:`ComponentError` when the section has no paragraph of text."""
        text = paragraph_text(draft.blocks)
        if not text:
            raise ComponentError(f"the '{draft.heading}' recap has no text; write it as a paragraph under the heading")
        return Recap(text, draft.blocks)
