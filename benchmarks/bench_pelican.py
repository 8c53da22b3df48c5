"""``dispatch build`` against Pelican, side by side, on one archive of real-sized issues.

The archive is generated at benchmark time (never committed) from the This Week in Rust
issues in ../shared/corpus: N copies (default 400) cycling through them, each with its own
title, number, slug and date (one a week, backwards), in the Pelican front matter they are
written in, which both tools read. Pelican (with Python-Markdown) is installed into a
temporary virtual environment with pip, or taken from ``--pelican-python``; without it the
Pelican runs are skipped and said so.

Each round runs the two cold builds back to back, in alternating order (paired runs): an
empty output folder, no cache (dispatch's cache folder removed, Pelican's content cache off),
each tool's defaults otherwise (Pelican: its theme, feeds, tag, category, author and archive
pages; dispatch: pages, index, RSS/Atom/JSON feeds, tag feeds). It prints the medians of
wall and CPU time (the process and its workers), their ratios, and peak memory (the largest
resident set of the process or any of its workers, from ``wait4``), then dispatch's peak
memory at ``--memory-issues`` (default 500 and 2,000) to show that it stays flat.

The ratios are printed twice: of the medians, and the median of the per-round ratios (each
round's runs are back to back, so a load spike from elsewhere hits both); on a loaded
machine trust the CPU columns and the per-round ratios over the wall medians.
``--baseline SRC`` adds a third dispatch, run from another checkout's ``src`` folder (e.g. a
``git worktree`` of an older commit), in the same rounds: before and after, paired.
``--breakdown`` then prints where the time goes per issue: dispatch's steps (one process, one
worker, each step timed around its call) and Pelican's (its profile: Markdown's conversion,
the rest of reading, writing pages and feeds).

    python benchmarks/bench_pelican.py [--issues 400] [--rounds 3] [--jobs 0]
        [--pelican-python PATH] [--memory-issues 500,2000] [--keep DIR] [--baseline SRC] [--breakdown]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "this-week-in-rust"
PELICAN_CONF = """AUTHOR = "TWIR"
SITENAME = "This Week in Rust"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
DEFAULT_PAGINATION = False
"""


def bodies() -> list[str]:
    """The body (after the front matter) of every This Week in Rust issue in the corpus."""
    found = []
    for path in sorted(CORPUS.glob("*.md*")):
        text = path.read_text(encoding="utf-8")
        found.append(text.split("\n\n", 1)[1])
    return found


def generate(folder: Path, count: int) -> int:
    """Write ``count`` issues to ``folder/content`` (both tools' input), ``dispatch.toml``
    and ``pelicanconf.py``; return the total bytes of the issues."""
    texts = bodies()
    content = folder / "content"
    content.mkdir(parents=True)
    (folder / "dispatch.toml").write_text('site_name = "This Week in Rust"\nbase_url = "https://twir.example.org/"\n'
                                          'timezone = "UTC"\n', encoding="utf-8")
    (folder / "pelicanconf.py").write_text(PELICAN_CONF, encoding="utf-8")
    total = 0
    start = date(2025, 11, 19)
    for n in range(count):
        when = start - timedelta(weeks=n)
        number = count - n
        text = (f"Title: This Week in Rust {number}\nNumber: {number}\nDate: {when.isoformat()}\n"
                f"Slug: this-week-in-rust-{number}\nCategory: This Week in Rust\n"
                f"Tags: rust, this-week-in-rust\n\n{texts[n % len(texts)]}")
        data = text.encode("utf-8")
        total += len(data)
        (content / f"{when.isoformat()}-this-week-in-rust-{number}.md").write_bytes(data)
    return total


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Run ``cmd``; return wall seconds, CPU seconds (user + system, workers included) and
    peak RSS in KiB (the largest of the process and its workers)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def dispatch_cmd(folder: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "dispatch", "build", str(folder / "content"), "--out", str(folder / "public"),
            "--jobs", str(jobs), "--force"]


def cold_dispatch(folder: Path, jobs: int, src: Path | None = None) -> tuple[float, float, int]:
    """A cold build (no output folder, no cache) with dispatch from this checkout, or from
    the ``src`` folder of another."""
    shutil.rmtree(folder / "public", ignore_errors=True)
    shutil.rmtree(folder / ".dispatch-cache", ignore_errors=True)
    env = None
    if src is not None:
        env = {**os.environ, "PYTHONPATH": str(src)}
    return run(dispatch_cmd(folder, jobs), folder, env)


def cold_pelican(folder: Path, python: str) -> tuple[float, float, int]:
    shutil.rmtree(folder / "output", ignore_errors=True)
    shutil.rmtree(folder / "cache", ignore_errors=True)
    return run([python, "-m", "pelican", "content", "-o", "output", "-s", "pelicanconf.py", "-q"], folder)


def pelican_python(given: str | None, tmp: Path) -> str | None:
    """A Python with Pelican and Markdown: ``given``, or a new venv in ``tmp`` (``None`` when
    it cannot be installed)."""
    if given:
        return given
    venv = tmp / "pelican-venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "pelican", "markdown"], check=True,
                       capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"Pelican runs skipped: cannot install pelican into a temporary venv ({exc})")
        return None
    return str(venv / "bin" / "python")


def median(values):
    return statistics.median(values)


#: The start of both step scripts below: ``timed(owner, name, label)`` replaces a function by
#: one that adds the CPU seconds of each call to ``spent[label]``.
TIMED = r"""
import collections, time
spent = collections.Counter()
def timed(owner, name, label):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - start
    setattr(owner, name, wrapper)
"""

#: Run in a new dispatch process: a cold one-worker build of ``argv[1]`` with every step of an
#: issue's render timed around its call (CPU seconds); prints ``step<TAB>seconds`` lines and
#: ``issues<TAB>N``.
DISPATCH_STEPS = TIMED + r"""
import sys, time, collections, shutil
from pathlib import Path
import markdown.core
import dispatch.parse as parse
import dispatch.archive as archive
import dispatch.archive.sources as sources
timed(markdown.core.Markdown, "convert", "parse: Python-Markdown's conversion")
timed(parse, "_assemble", "parse: Markdown's tree -> document model")
timed(sources, "read_source", "parse: reading and splitting the source")
timed(parse, "read_front_matter", "parse: front matter")
timed(parse, "check_body", "parse: input limits")
timed(sources, "content_html", "body HTML: model -> HTML (layout html/)")
timed(sources, "render_page", "web page (layout web/page.html)")
timed(sources, "local_assets", "local images and files")
timed(sources, "issue_warnings", "diagnostics")
timed(sources, "_cache_body", "cache: body file")
timed(sources, "_render", "one issue, all steps")
timed(archive, "render_feeds", "after: feeds (site, per tag)")
timed(archive, "render_pages", "after: index, stylesheet, pages to the plan")
from dispatch.config import load_settings
folder = Path(sys.argv[1])
shutil.rmtree(folder / "public", ignore_errors=True)
shutil.rmtree(folder / ".dispatch-cache", ignore_errors=True)
start = time.process_time()
report = archive.build_archive(folder / "content", folder / "public", load_settings(folder / "content"), jobs=1,
                               force=True)
spent["whole build (in process, after imports)"] = time.process_time() - start
for label, seconds in spent.items():
    print(f"{label}\t{seconds}")
print(f"issues\t{report.parsed}")
"""

#: Run in Pelican's Python: a cold Pelican build of ``argv[1]`` with its stages timed around
#: their calls (CPU seconds), as for dispatch.
PELICAN_STEPS = TIMED + r"""
import sys, os, shutil, time, collections
import markdown.core
import pelican
import pelican.generators as generators
timed(markdown.core.Markdown, "convert", "read: Python-Markdown's conversion")
timed(generators.ArticlesGenerator, "generate_context", "read: every article (Markdown included)")
timed(generators.ArticlesGenerator, "generate_output", "write: articles, tags, categories, archives, feeds")
os.chdir(sys.argv[1])
shutil.rmtree("output", ignore_errors=True)
sys.argv = ["pelican", "content", "-o", "output", "-s", "pelicanconf.py", "-q"]
start = time.process_time()
try:
    pelican.main()
except SystemExit:
    pass
spent["whole build (in process, after imports)"] = time.process_time() - start
for label, seconds in spent.items():
    print(f"{label}\t{seconds}")
"""


def breakdown(folder: Path, python: str | None, issues: int) -> None:
    """Print where a cold build's CPU goes per issue, dispatch's steps and Pelican's."""
    print(f"\nwhere the time goes (CPU ms per issue, {issues} issues, one process, steps timed around their calls):")
    out = subprocess.run([sys.executable, "-c", DISPATCH_STEPS, str(folder)], capture_output=True, text=True,
                         check=True).stdout
    rows = dict(line.split("\t") for line in out.strip().splitlines())
    count = int(rows.pop("issues"))
    whole = float(rows["whole build (in process, after imports)"])
    for label, seconds in rows.items():
        print(f"  dispatch  {label:52} {float(seconds) / count * 1000:7.1f} ms {float(seconds) / whole:6.1%}")
    if python:
        out = subprocess.run([python, "-c", PELICAN_STEPS, str(folder)], capture_output=True, text=True,
                             check=True).stdout
        rows = dict(line.split("\t") for line in out.strip().splitlines() if "\t" in line)  # not Pelican's own
        whole = float(rows["whole build (in process, after imports)"])
        for label, seconds in rows.items():
            print(f"  pelican   {label:52} {float(seconds) / issues * 1000:7.1f} ms {float(seconds) / whole:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0, help="dispatch --jobs (0: one per core)")
    parser.add_argument("--pelican-python", default=None, help="A Python that has pelican and markdown installed.")
    parser.add_argument("--memory-issues", default="500,2000", help="Archive sizes for dispatch's peak memory.")
    parser.add_argument("--keep", type=Path, default=None, help="Generate into DIR and keep it.")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="Also run dispatch from this src folder (another checkout), in the same rounds.")
    parser.add_argument("--breakdown", action="store_true", help="Print where the time goes per issue.")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} not found: the benchmark needs ../shared/corpus beside this checkout")
    tmp = Path(tempfile.mkdtemp(prefix="dispatch-pelican-"))
    try:
        folder = args.keep or tmp / "archive"
        size = generate(folder, args.issues)
        cores = len(os.sched_getaffinity(0))
        print(f"archive: {args.issues} This-Week-in-Rust issues, {size / 2**20:.1f} MiB of Markdown "
              f"({size // args.issues / 1024:.1f} KiB an issue); {cores} cores")
        python = pelican_python(args.pelican_python, tmp)
        names = ["dispatch", "dispatch --jobs 1", *(["baseline dispatch"] if args.baseline else []), "pelican"]
        rows: dict[str, list[tuple[float, float, int]]] = {name: [] for name in names}
        for n in range(args.rounds):
            order = list(names)
            if n % 2:
                order.reverse()
            for name in order:
                if name == "pelican":
                    if python:
                        rows[name].append(cold_pelican(folder, python))
                elif name == "baseline dispatch":
                    rows[name].append(cold_dispatch(folder, args.jobs, args.baseline.resolve()))
                else:
                    rows[name].append(cold_dispatch(folder, 1 if name.endswith("1") else args.jobs))
        pages = sum(1 for _ in (folder / "public").rglob("index.html"))
        print(f"dispatch wrote {pages} pages" + (f"; pelican {sum(1 for _ in (folder / 'output').rglob('*.html'))} "
                                                 "HTML files" if python else ""))
        print(f"{'cold build (median of ' + str(args.rounds) + ')':32} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9}")
        for name, values in rows.items():
            if values:
                print(f"{name:32} {median(v[0] for v in values):8.2f} {median(v[1] for v in values):8.2f} "
                      f"{max(v[2] for v in values) / 1024:9.0f}")
        if rows["pelican"]:
            pw, pc = median(v[0] for v in rows["pelican"]), median(v[1] for v in rows["pelican"])
            for name in names[:-1]:
                dw, dc = median(v[0] for v in rows[name]), median(v[1] for v in rows[name])
                pair_w = median(d[0] / p[0] for d, p in zip(rows[name], rows["pelican"]))
                pair_c = median(d[1] / p[1] for d, p in zip(rows[name], rows["pelican"]))
                print(f"{name} / pelican: wall {dw / pw:.2f} x, CPU {dc / pc:.2f} x (medians); "
                      f"per round: wall {pair_w:.2f} x, CPU {pair_c:.2f} x")
        if args.baseline:
            for name in ("dispatch", "dispatch --jobs 1"):
                pair_w = median(d[0] / b[0] for d, b in zip(rows[name], rows["baseline dispatch"]))
                pair_c = median(d[1] / b[1] for d, b in zip(rows[name], rows["baseline dispatch"]))
                print(f"{name} / baseline dispatch (per round): wall {pair_w:.2f} x, CPU {pair_c:.2f} x")
        if args.breakdown:
            breakdown(folder, python, args.issues)
        for count in (int(c) for c in args.memory_issues.split(",") if c.strip()):
            big = tmp / f"memory-{count}"
            generate(big, count)
            wall, cpu, rss = cold_dispatch(big, args.jobs)
            print(f"dispatch at {count} issues: peak {rss / 1024:.0f} MiB (largest process), wall {wall:.1f} s")
            shutil.rmtree(big, ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
