"""Answer-First Lead: the issue's answer in two or three sentences, written for readers who
stop there and for answer engines. The web page's description (``<meta name="description">``,
Open Graph, the NewsArticle JSON-LD) is this text, and the JSON-LD marks it ``speakable``."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Block
from . import ComponentError, SectionDraft, heading_key, paragraph_text


@dataclass(frozen=True)
class AnswerFirst:
    """Attributes: ``text`` — the answer as plain text (paragraphs joined by a space);
    ``blocks`` — the section's body as written; ``term_heading`` — the heading is the
    component's own name ("Answer-First Lead", an author's term), so the layouts show their
    reader-facing label ``answer_first`` ("In brief") in its place."""

    text: str
    blocks: tuple[Block, ...]
    term_heading: bool = False


#: Headings that name the component (the author's term) rather than speak to readers, as
#: :func:`~dispatch.components.heading_key` gives them.
TERM_HEADINGS = frozenset({"answer-first lead", "answer first lead", "answer-first", "answer first"})


class AnswerFirstComponent:
    """Headings: "Answer-First Lead", "Answer First", "The Short Answer", "Quick Answer",
    "Key Answer"."""

    name = "answer_first"
    label = "Answer-First Lead"
    aliases = ("answer-first lead", "answer first lead", "answer-first", "answer first", "short answer",
               "the short answer", "quick answer", "key answer")

    def match(self, heading: str):
        return None

    def parse(self, draft: SectionDraft) -> AnswerFirst:
        """Raises :class:`ComponentError` when the section has no paragraph of text."""
        text = paragraph_text(draft.blocks)
        if not text:
            raise ComponentError(
                f"the '{draft.heading}' section has no text; write the answer as a paragraph under the heading"
            )
        return AnswerFirst(text, draft.blocks, heading_key(draft.heading) in TERM_HEADINGS)
