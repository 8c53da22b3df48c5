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
    """One question (plain text, "Q:" removed, ending in "?") and its answer blocks."""

    question: str
    answer: tuple[Block, ...]


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
        entries: list[tuple[str, list[Block]]] = []
        for block in draft.blocks:
            if isinstance(block, Heading) and block.level >= 3:
                entries.append((_strip_q(plain_text(block.children)), []))
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
        return FAQ(tuple(FAQEntry(q, tuple(a)) for q, a in entries), tuple(intro))


def _strip_q(text: str) -> str:
    return _Q.sub("", text).strip()


def _strip_a(block: Paragraph) -> Paragraph:
    children = list(block.children)
    if children and isinstance(children[0], Text) and _A.match(children[0].text):
        children[0] = Text(_A.sub("", children[0].text, count=1))
    elif children and isinstance(children[0], (Strong, Emph)) and _A.fullmatch(plain_text(children[0].children) + " "):
        children.pop(0)
        if children and isinstance(children[0], Text):
            children[0] = Text(children[0].text.lstrip())
    return Paragraph(tuple(children))


def _split_question(children: tuple[Inline, ...]) -> tuple[str, tuple[Inline, ...]] | None:
    """``Q: question? answer…`` → ``("question?", answer inlines)``, else ``None``."""
    if not children:
        return None
    first = children[0]
    if isinstance(first, (Strong, Emph)):
        text = plain_text(first.children)
        if _Q.match(text):
            # **Q: question?** answer
            return _strip_q(text), _lstrip(children[1:])
        return None
    if not (isinstance(first, Text) and _Q.match(first.text)):
        return None
    question: list[str] = []
    for i, node in enumerate(children):
        if isinstance(node, Text) and "?" in node.text:
            head, _, tail = node.text.partition("?")
            question.append(head + "?")
            rest = ((Text(tail),) if tail.strip() else ()) + tuple(children[i + 1:])
            q = _strip_q(" ".join("".join(question).split()))
            return q, _lstrip(rest)
        question.append(plain_text([node]))
    # no question mark: the whole paragraph is the question
    return _strip_q(plain_text(children)), ()


def _lstrip(children: tuple[Inline, ...]) -> tuple[Inline, ...]:
    children = tuple(children)
    if children and isinstance(children[0], Text):
        stripped = _A.sub("", children[0].text.lstrip(), count=1)
        children = ((Text(stripped),) if stripped else ()) + children[1:]
    return children
