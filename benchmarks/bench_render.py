"""Benchmark ``dispatch render`` on the example issue.

Times a cold run (a new ``python -m dispatch render`` process: interpreter start, imports,
first-use set-up of premailer/cssutils included) and, in this process, the steps inside a
render (parse, email, text, feed, thread, write), first call and warm median. Prints each
step's share of the cold run, so a regression shows as a changed ratio whatever the
machine's speed.

    python benchmarks/bench_render.py [--runs 5] [ISSUE]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "issues" / "2026-05-22-moonshot-moment.md"
STEPS = ("parse", "email", "text", "feed", "thread", "write")


def cold_run(issue: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dispatch", "render", str(issue), "--out", str(out)],
                   check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def import_time() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import dispatch.render"], check=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("issue", nargs="?", type=Path, default=EXAMPLE)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from dispatch.config import load_settings
    from dispatch.render import render_issue

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        colds = [cold_run(args.issue, out) for _ in range(args.runs)]
        imports = [import_time() for _ in range(args.runs)]
        settings = load_settings(args.issue.parent)
        first = render_issue(args.issue, out, settings).timings
        warm = [render_issue(args.issue, out, settings).timings for _ in range(args.runs)]

    cold = statistics.median(colds)
    print(f"issue: {args.issue.name}   runs: {args.runs}")
    print(f"{'cold dispatch render (process)':34} {cold * 1000:8.1f} ms   1.00")
    print(f"{'  python + imports':34} {statistics.median(imports) * 1000:8.1f} ms   {statistics.median(imports) / cold:4.2f}")
    print(f"{'step':12} {'first call':>12} {'share':>6} {'warm median':>12} {'share':>6}")
    for step in STEPS:
        w = statistics.median(t[step] for t in warm)
        print(f"{step:12} {first[step] * 1000:9.1f} ms {first[step] / cold:6.2f} {w * 1000:9.1f} ms {w / cold:6.2f}")
    total_warm = statistics.median(sum(t.values()) for t in warm)
    print(f"{'all steps':12} {sum(first.values()) * 1000:9.1f} ms {sum(first.values()) / cold:6.2f} "
          f"{total_warm * 1000:9.1f} ms {total_warm / cold:6.2f}")


if __name__ == "__main__":
    main()
