"""Lists as writers write them: CommonMark's list rules on top of Python-Markdown.

Python-Markdown (the kept parser) reads lists by its own older rules, and two forms every
writer uses, and GitHub and every CommonMark reader take as lists, come out glued into the
paragraph before them in every channel:

* a list straight after a paragraph line, with no blank line between (``Intro\\n- point``);
  CommonMark §5.2: a list item may interrupt a paragraph when it is a bullet or starts at 1;
* a nested list indented to its parent item's content (``1. Ordered\\n   - nested``, three
  spaces; ``- a\\n  - b``, two), and a continuation paragraph indented that way: CommonMark
  §5.2 puts a line in an item when it is indented at least to the item's content column (the
  marker's width plus the spaces after it); Python-Markdown wants four spaces a level.

:class:`ListSyntaxPreprocessor` rewrites the source lines before Python-Markdown reads them:
it inserts the blank line such a list needs, and re-indents a line that belongs to an item by
CommonMark's rule to the four spaces a level Python-Markdown wants. It also reads ``1)`` items
(CommonMark's other ordered-list delimiter) as ``1.``, and starts a new list where a list of
the other kind (bullets after numbers) follows with no blank line; inside a block quote
(``> Intro\n> - point``) the same rules apply to the quoted lines. A line Python-Markdown
already reads as intended is left as it is, so an issue without these forms renders byte for
byte as before. It runs after fenced code and raw HTML blocks are stashed, so neither is
touched; a top-level indented code block is followed and left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

#: A list item's first line: indent, marker (bullet, or 1–9 digits and ``.``/``)``), the
#: spaces after it and its first character (CommonMark §5.2; an empty item is left out, as
#: ``Title\n-`` is a setext heading and an empty item cannot interrupt a paragraph).
_ITEM = re.compile(r"^( *)([-*+]|(\d{1,9})[.)])( +)(?=\S)")
#: A thematic break (CommonMark §4.1) looks like a bullet item (``- - -``) and wins.
_BREAK = re.compile(r"^ {0,3}([-*_])(?: *\1){2,} *$")
_TAB = 4  # Python-Markdown's tab_length: the indent of one list level
_QUOTE = re.compile(r"^ {0,3}> ?")


@dataclass
class _Item:
    content: int  # the source column of the item's content (CommonMark's W + N)
    ordered: bool


def normalise_lists(lines: list[str]) -> list[str]:
    """Rewrite Markdown ``lines`` (tabs already expanded) so Python-Markdown reads their lists
    as CommonMark does (module docstring). Returns a new list of lines (possibly longer: a
    blank line is inserted where a list interrupts a paragraph); linear in the number of lines.
    Never raises."""
    out: list[str] = []
    stack: list[_Item] = []  # the open list items, outermost first
    prev_blank = True
    prev_para = False  # the previous line is paragraph text (a list would be glued to it)
    in_code = False  # inside a top-level indented code block
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            out.append(line)
            prev_blank, prev_para = True, False
            continue
        indent = len(line) - len(line.lstrip(" "))
        if in_code and indent >= _TAB:
            out.append(line)
            prev_blank = prev_para = False
            continue
        in_code = False
        if _QUOTE.match(line) and (not stack or prev_blank and indent < stack[0].content):
            # a block quote outside the lists: its lines are a document of their own
            stack.clear()
            end = i
            while end < len(lines) and _QUOTE.match(lines[end]):
                end += 1
            run = lines[i - 1:end]
            inner = [_QUOTE.sub("", q, count=1) for q in run]
            done = normalise_lists(inner)
            out.extend(run if done == inner else [f"> {q}" if q.strip() else ">" for q in done])
            i = end
            prev_blank = prev_para = False
            continue
        m = _ITEM.match(line)
        if m and (_BREAK.match(line) or indent >= (stack[-1].content if stack else 0) + _TAB):
            m = None  # a rule, or deeper than an item can start: code or text
        keep = len(stack)  # the open items this line stays inside
        while keep and indent < stack[keep - 1].content:
            keep -= 1
        if m is not None and not prev_blank:
            ordered = m.group(3) is not None
            sibling = stack[keep] if keep < len(stack) else None
            if sibling is None or sibling.ordered != ordered:  # the first item of a new list
                if prev_para and ordered and int(m.group(3)) != 1:
                    m = None  # CommonMark: only a bullet or '1.' interrupts a paragraph
                elif not keep:
                    out.append("")  # the list starts here; Python-Markdown needs the blank line
        if m is None:
            if prev_blank:  # a paragraph after a blank line: in an open item, or out of the lists
                del stack[keep:]
                if keep and indent < _TAB * keep:
                    line = " " * (_TAB * keep + indent - stack[-1].content) + line.lstrip(" ")
                elif not keep and indent >= _TAB:
                    in_code = True
            # else a continuation line: Python-Markdown keeps it with what it follows
            out.append(line)
            prev_blank = False
            prev_para = not in_code and not line.lstrip().startswith(("#", ">", "|"))
            continue
        del stack[keep:]
        lead, marker, number, spaces = m.group(1), m.group(2), m.group(3), m.group(4)
        width = len(marker) + (len(spaces) if len(spaces) <= _TAB else 1)
        stack.append(_Item(indent + width, number is not None))
        if number is not None and marker.endswith(")"):
            marker = number + "."  # Python-Markdown knows only '1.'
        if keep and indent < _TAB * keep:
            lead = " " * (_TAB * keep)
        out.append(lead + marker + spaces + line[m.end():])
        prev_blank, prev_para = False, True
    return out


class ListSyntaxPreprocessor(Preprocessor):
    """Python-Markdown preprocessor applying :func:`normalise_lists`."""

    def run(self, lines: list[str]) -> list[str]:
        return normalise_lists(lines)


class ListSyntaxExtension(Extension):
    """Registers :class:`ListSyntaxPreprocessor` after fenced code (25) and raw HTML blocks
    (20) are stashed, so it sees neither."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        md.preprocessors.register(ListSyntaxPreprocessor(md), "dispatch-lists", 15)
