"""By the Numbers: metric/value rows from a Markdown table (first column metric, second
value; a third column, if any, is a note). A bullet list of ``Metric: value`` items is
accepted too. Blocks before and after the table are kept."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Block, Inline, ListBlock, Paragraph, Table, Text
from ..textutil import plain_text
from . import ComponentError, SectionDraft


@dataclass(frozen=True)
class NumberRow:
    """One row: ``metric`` and ``value`` as plain text, ``note`` from a third column or
    ``""``; ``cells`` keeps every cell as written (links, emphasis, columns past the third)."""

    metric: str
    value: str
    value_inlines: tuple[Inline, ...] = ()
    note: str = ""
    cells: tuple[tuple[Inline, ...], ...] = ()


@dataclass(frozen=True)
class Numbers:
    """Attributes: ``rows``; ``header`` (the table's column names, ``("Metric", "Value")``
    by default); ``before``/``after`` (blocks around the table)."""

    rows: tuple[NumberRow, ...]
    header: tuple[str, ...] = ("Metric", "Value")
    before: tuple[Block, ...] = ()
    after: tuple[Block, ...] = ()

    @property
    def columns(self) -> int:
        """How many columns the table has (2 for metric | value)."""
        return max([len(self.header), *(len(r.cells) for r in self.rows)])


class NumbersComponent:
    """Headings: "By the Numbers", "Numbers", "In Numbers", "Key Numbers", "The Numbers"."""

    name = "numbers"
    label = "By the Numbers"
    aliases = ("by the numbers", "numbers", "in numbers", "key numbers", "by the numbers so far", "in figures")

    def match(self, heading: str):
        return None

    def parse(self, draft: SectionDraft) -> Numbers:
        """Raises :class:`ComponentError` when there is no table (or list of ``metric: value``),
        or the table has fewer than two columns."""
        for i, block in enumerate(draft.blocks):
            if isinstance(block, Table):
                if len(block.head) < 2 and not all(len(r) >= 2 for r in block.rows):
                    raise ComponentError(
                        f"the '{draft.heading}' table needs two columns, metric | value"
                    )
                rows = tuple(
                    NumberRow(
                        plain_text(row[0]),
                        plain_text(row[1]) if len(row) > 1 else "",
                        tuple(row[1]) if len(row) > 1 else (),
                        plain_text(row[2]) if len(row) > 2 else "",
                        tuple(row),
                    )
                    for row in block.rows
                )
                header = tuple(plain_text(c) for c in block.head) or ("Metric", "Value")
                return Numbers(rows, header, draft.blocks[:i], draft.blocks[i + 1:])
            if isinstance(block, ListBlock):
                rows = _list_rows(block)
                if rows:
                    return Numbers(rows, ("Metric", "Value"), draft.blocks[:i], draft.blocks[i + 1:])
        raise ComponentError(
            f"the '{draft.heading}' section has no table; add a Markdown table "
            "'| Metric | Value |' with one row per number"
        )


def _list_rows(block: ListBlock) -> tuple[NumberRow, ...]:
    rows = []
    for item in block.items:
        if len(item) != 1 or not isinstance(item[0], Paragraph):
            return ()
        text = plain_text(item[0].children)
        m = re.match(r"^(.+?)\s*(?::|—|–| - )\s+(.+)$", text)
        if not m:
            return ()
        metric, value = m.group(1).strip(), m.group(2).strip()
        rows.append(NumberRow(metric, value, (Text(value),), "", ((Text(metric),), (Text(value),))))
    return tuple(rows)
