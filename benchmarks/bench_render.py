"""Benchmark ``dispatch render`` on the example issue: cold, and warm (what ``watch`` and
``preview`` pay per save).

Cold: a new ``python -m dispatch render`` process (interpreter start, imports, first-use
set-up of premailer/cssutils included).

Warm: in this one process, what ``dispatch watch``'s loop does on every save, on a copy of
the example newsletter: read ``dispatch.toml`` (``load_settings``) and render every output
to disk (``render_issue``: parse, email HTML via MJML + premailer, plain-text part, Atom
entry, threads, the atomic folder write). Two loops, CPU time per save (``process_time``:
the machine may be shared) and wall time, medians:

* ``edit``: before each render one word of the issue is changed, a different place each
  time (the lead, the Bottom Line, a FAQ answer, the Numbers table, a list item, a section
  paragraph, My Take), as a writer saving after a small edit; the new word is one no
  earlier save had (:func:`word`), so every save's text is new;
* ``no edit``: the file is saved again unchanged.

Each step's warm median is printed too, and every ratio against the cold run of the same
invocation, so a regression shows as a changed ratio whatever the machine's speed.

    python benchmarks/bench_render.py [--runs 5] [--saves 60] [--profile] [ISSUE]

``--profile`` prints a cProfile of the ``edit`` loop (by internal time).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "issues" / "2026-05-22-moonshot-moment.md"
STEPS = ("settings", "parse", "email", "text", "feed", "thread", "write")
#: One-word edits of the example issue, each at another place of the body (old → new).
EDITS = (
    ("has raised roughly", "has raised nearly"),                      # lead
    ("is the clearest sign yet", "is the plainest sign yet"),         # Bottom Line
    ("serious money at scale", "serious revenue at scale"),           # FAQ answer
    ("| Kimi chatbot |", "| Kimi assistant |"),                       # Numbers table
    ("Start a feedback loop", "Start a feedback cycle"),              # list item
    ("fed by government support", "fed by state support"),            # section paragraph
    ("Moonshot's figures undercut it", "Moonshot's numbers undercut it"),  # My Take
)


def cold_run(issue: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dispatch", "render", str(issue), "--out", str(out)],
                   check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def import_time() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import dispatch.render"], check=True, cwd=ROOT)
    return time.perf_counter() - start


def newsletter_copy(issue: Path, folder: Path) -> Path:
    """A copy of the issue's newsletter (its dispatch.toml, layouts/ and the issue with the
    files beside it) in ``folder``; returns the copied issue."""
    from dispatch.config import find_config

    config = find_config(issue.parent)
    root = config.parent if config else issue.parent
    if config:
        shutil.copy(config, folder / "dispatch.toml")
    if (root / "layouts").is_dir() and (root / "layouts").resolve() != (ROOT / "layouts").resolve():
        shutil.copytree(root / "layouts", folder / "layouts")
    where = folder / issue.parent.relative_to(root)
    shutil.copytree(issue.parent, where, dirs_exist_ok=True)
    return where / issue.name


def word(n: int) -> str:
    """A letter suffix of its own for save ``n`` (``a``, ``b``, … ``ba``…): no save's text
    is ever one an earlier save had, so nothing is reused from a text seen before."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = chr(97 + r) + out
        if not n:
            return out


class Saves:
    """``watch``'s per-save work on ``issue``, timed."""

    def __init__(self, issue: Path, out: Path):
        self.issue, self.out = issue, out
        self.original = issue.read_text(encoding="utf-8")
        self.edits = [(old, new) for old, new in EDITS if old in self.original]
        self.count = 0

    def save(self, edit: bool) -> tuple[float, float, dict[str, float]]:
        from dispatch.config import load_settings
        from dispatch.render import render_issue

        text = self.original
        if edit:
            if not self.edits:
                raise SystemExit(f"none of the edits applies to {self.issue.name}")
            old, new = self.edits[self.count % len(self.edits)]
            text = text.replace(old, new + word(self.count), 1)
        self.count += 1
        self.issue.write_text(text, encoding="utf-8")
        cpu, wall = time.process_time(), time.perf_counter()
        start = wall
        settings = load_settings(self.issue.parent)
        loaded = time.perf_counter()
        report = render_issue(self.issue, self.out, settings)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return cpu, wall, {"settings": loaded - start, **report.timings}


def warm_loop(saves: Saves, edit: bool, n: int) -> list[tuple[float, float, dict[str, float]]]:
    return [saves.save(edit) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("issue", nargs="?", type=Path, default=EXAMPLE)
    parser.add_argument("--runs", type=int, default=5, help="cold runs")
    parser.add_argument("--saves", type=int, default=60, help="saves per warm loop")
    parser.add_argument("--profile", action="store_true", help="cProfile the edit loop")
    parser.add_argument("--warm-only", action="store_true", help="no cold runs (ratios then against nothing)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cold"
        colds = [cold_run(args.issue, out) for _ in range(0 if args.warm_only else args.runs)] or [float("nan")]
        imports = [import_time() for _ in range(0 if args.warm_only else args.runs)] or [float("nan")]
        (Path(tmp) / "news").mkdir()
        saves = Saves(newsletter_copy(args.issue.resolve(), Path(tmp) / "news"), Path(tmp) / "dist")
        warm_loop(saves, True, 2 * len(EDITS))  # first-call costs out of the way
        loops = {"edit": warm_loop(saves, True, args.saves), "no edit": warm_loop(saves, False, args.saves)}
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            warm_loop(saves, True, args.saves)
            profile.disable()

    cold = statistics.median(colds)
    print(f"issue: {args.issue.name}   cold runs: {args.runs}   saves per warm loop: {args.saves}")
    print(f"{'cold dispatch render (process)':34} {cold * 1000:8.1f} ms   1.00")
    print(f"{'  python + imports':34} {statistics.median(imports) * 1000:8.1f} ms   {statistics.median(imports) / cold:4.2f}")
    for name, runs in loops.items():
        cpu = statistics.median(r[0] for r in runs)
        wall = statistics.median(r[1] for r in runs)
        slow = sorted(r[0] for r in runs)[int(len(runs) * 0.9)]
        print(f"{'warm save, ' + name + ' (CPU)':34} {cpu * 1000:8.1f} ms   {cpu / cold:4.3f}   "
              f"(90th percentile {slow * 1000:.1f} ms)")
        print(f"{'warm save, ' + name + ' (wall)':34} {wall * 1000:8.1f} ms   {wall / cold:4.3f}")
    print(f"{'step (wall, median)':22} {'edit':>10} {'no edit':>10}")
    for step in STEPS:
        row = [statistics.median(r[2].get(step, 0.0) for r in runs) * 1000 for runs in loops.values()]
        print(f"{step:22} {row[0]:7.2f} ms {row[1]:7.2f} ms")
    if args.profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    main()
