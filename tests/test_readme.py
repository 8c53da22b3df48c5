"""The README's figures and file lists are what the code does now: the files `render`
writes and the example's listmonk dry-run sizes."""

from __future__ import annotations

import re
from pathlib import Path

from dispatch.config import load_settings
from dispatch.render import render_in_memory, render_issue

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "issues" / "2026-05-22-moonshot-moment.md"


def _section(title: str) -> str:
    start = README.index(title)
    return README[start:README.index("\n## ", start + 1)]


def test_the_render_table_names_every_file_render_writes(tmp_path):
    report = render_issue(EXAMPLE, tmp_path, load_settings(EXAMPLE.parent), eml=True)
    written = sorted(p.name for p in report.folder.iterdir())
    table = [line for line in _section("## What `dispatch render` writes").splitlines() if line.startswith("| `")]
    documented = {name for line in table for name in re.findall(r"`([^`]+)`", line.split("|")[1])}
    assert set(written) <= documented, sorted(set(written) - documented)
    assert documented - set(written) == {"img/…"}  # the example shows no local image
    # the quick start's count: the five files besides the hidden list (no --eml there)
    assert "five\nfiles, to `dist/moonshot-moment/`" in README
    assert len([n for n in written if not n.startswith(".") and n != "message.eml"]) == 5


def test_the_listmonk_dry_run_sizes_are_the_examples(tmp_path):
    done = render_in_memory(EXAMPLE, load_settings(EXAMPLE.parent), platform="listmonk")
    [(html, text)] = re.findall(r"body: ([\d,]+) bytes of HTML, altbody: ([\d,]+) bytes of plain text", README)
    assert (html, text) == (f"{done.email.bytes:,}", f"{len(done.text.text.encode('utf-8')):,}")
