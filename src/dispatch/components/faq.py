"""FAQ: questions and answers.

Two ways to write one, mixable:

* a paragraph starting ``Q:`` — the question runs to the first ``?``, the rest of the
  paragraph (and any following blocks up to the next question) is the answer; an answer
  paragraph may start with ``A:``;
* a ``###`` heading per question, the blocks under it being the answer.

Blocks before the first question are kept as ``intro``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Block, Emph, Heading, Inline, Paragraph, Strong, Text
from ..textutil import plain_text
from . import ComponentError, SectionDraft

_Q = re.compile(r"^\s*(?:Q|Question)\s*[:.]\s*", re.I)
_A = re.compile(r"^\s*(?:A|Answer)\s*[:.]\s*", re.I)


@dataclass(frozen=True)
class FAQEntry:
    """One question and its answer blocks.

    Attributes:
        question: plain text, "Q:" removed, usually ending in "?".
        answer: the answer's blocks.
        question_inlines: the question as written (links and emphasis kept), for channels
            that can show them.
    """

    question: str
    answer: tuple[Block, ...]
    question_inlines: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class FAQ:
    """Attributes: ``entries`` (in order), ``intro`` (blocks before the first question)."""

    entries: tuple[FAQEntry, ...]
    intro: tuple[Block, ...] = ()


class FAQComponent:
    """Headings: "FAQ", "FAQs", "Frequently Asked Questions", "Questions and answers", "Q&A"."""

    name = "faq"
    label = "FAQ"
    aliases = ("faq", "faqs", "frequently asked questions", "questions and answers", "q&a", "your questions")

    def match(self, heading: str):
        return None

    def parse(self, draft: SectionDraft) -> FAQ:
        """Raises :class:`ComponentError` when no question can be found."""
        intro: list[Block] = []
        entries: list[tuple[tuple[Inline, ...], list[Block]]] = []
        for block in draft.blocks:
            if isinstance(block, Heading) and block.level >= 3:
                entries.append((_strip_q_inlines(block.children), []))
                continue
            if isinstance(block, Paragraph):
                split = _split_question(block.children)
                if split is not None:
                    question, rest = split
                    entries.append((question, [Paragraph(rest)] if rest else []))
                    continue
                if entries:
                    entries[-1][1].append(_strip_a(block))
                    continue
            (entries[-1][1] if entries else intro).append(block)
        if not entries:
            raise ComponentError(
                f"the '{draft.heading}' section has no questions; write each as a paragraph "
                "'Q: the question? the answer' or as a '### question' heading"
            )
        return FAQ(tuple(FAQEntry(plain_text(q), tuple(a), q) for q, a in entries), tuple(intro))


def _strip_q_inlines(children: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """Remove a leading "Q:" from the first text of ``children``."""
    if children and isinstance(children[0], Text) and _Q.match(children[0].text):
        rest = _Q.sub("", children[0].text, count=1)
        return ((Text(rest),) if rest else ()) + tuple(children[1:])
    return tuple(children)


def _strip_a(block: Paragraph) -> Paragraph:
    children = list(block.children)
    if children and isinstance(children[0], Text) and _A.match(children[0].text):
        children[0] = Text(_A.sub("", children[0].text, count=1))
    elif children and isinstance(children[0], (Strong, Emph)) and _A.fullmatch(plain_text(children[0].children) + " "):
        children.pop(0)
        if children and isinstance(children[0], Text):
            children[0] = Text(children[0].text.lstrip())
    return Paragraph(tuple(children))


def _split_question(children: tuple[Inline, ...]) -> tuple[tuple[Inline, ...], tuple[Inline, ...]] | None:
    """``Q: question? answer…`` → ``(question inlines, answer inlines)``, else ``None``.

    Also ``**Q: question?** answer`` and ``**Q:** question? answer``."""
    if not children:
        return None
    first = children[0]
    if isinstance(first, (Strong, Emph)):
        text = plain_text(first.children)
        if not _Q.match(text):
            return None
        if not _Q.sub("", text).strip():  # **Q:** question? answer
            return _split_at_question_mark(_lstrip(tuple(children[1:])))
        return _strip_q_inlines(first.children), _lstrip(tuple(children[1:]))  # **Q: question?** answer
    if isinstance(first, Text) and _Q.match(first.text):
        return _split_at_question_mark(_strip_q_inlines(tuple(children)))
    return None


def _split_at_question_mark(children: tuple[Inline, ...]) -> tuple[tuple[Inline, ...], tuple[Inline, ...]]:
    """Split inlines after the first "?" in top-level text; without one, all is question."""
    for i, node in enumerate(children):
        if isinstance(node, Text) and "?" in node.text:
            head, _, tail = node.text.partition("?")
            rest = ((Text(tail),) if tail.strip() else ()) + tuple(children[i + 1:])
            return tuple(children[:i]) + (Text(head + "?"),), _lstrip(rest)
    return tuple(children), ()


def _lstrip(children: tuple[Inline, ...]) -> tuple[Inline, ...]:
    children = tuple(children)
    if children and isinstance(children[0], Text):
        stripped = _A.sub("", children[0].text.lstrip(), count=1)
        children = ((Text(stripped),) if stripped else ()) + children[1:]
    return children
