"""Side by side: a cold ``dispatch render`` of the example (all five outputs) against the MJML
CLI compiling the same email alone, on this machine, in the same run.

What is compared:

* **dispatch**: a new ``python -m dispatch render ISSUE --out TMP`` process (interpreter
  start, imports, parse, email, text part, Atom entry, threads, write) on a copy of the
  issue whose text is edited before every run (nothing of the issue's own can be reused),
  with the user cache folder the first run wrote (``DISPATCH_CACHE_DIR``: compiled
  templates, regex programs and dataclass methods, the layout's inlining rules, the
  dateline's locale data; what every run after the first pays) and with an empty one (the
  very first run after an install).
* **mjml**: ``mjml email.mjml -o out.html`` of the npm ``mjml`` package (version 5 unless
  ``--mjml-version``), installed with npm into a temporary folder at benchmark time; its input
  is the MJML dispatch compiles for the same issue (the layout rendered by Jinja), so both
  sides do the email's MJML → HTML step and dispatch does everything else on top.

Runs are paired (dispatch, then mjml, alternating which goes first) so a load spike hits
both; the script prints, for each side, the median wall time, CPU time (user + sys of the
child) and peak memory (max RSS), and the ratio dispatch / mjml of each median and the
median of the per-pair ratios. With ``--breakdown`` it also prints the cold path as a table:
CPU per step of a render in a new interpreter (start-up, imports, settings, parse, each
channel with the libraries it imports on first use, diagnostics, write) and the import self
time per library (``-X importtime``). It reports, in this process (wall and CPU, medians of at least 15), the warm
re-render of the example (what ``watch``/``preview`` pay per save, after an edit of one word,
and unchanged) and thread packing alone with empty and with warm caches. On a loaded machine
trust the CPU columns and the paired ratios over the wall medians.

    python benchmarks/bench_vs_mjml.py [--runs 9] [--mjml-version 5] [--mjml DIR] [--breakdown] [ISSUE]

``--mjml DIR`` reuses a folder where ``npm install mjml`` already ran. Needs ``npm``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
EXAMPLE = ROOT / "issues" / "2026-05-22-moonshot-moment.md"


def timed(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, CPU seconds: user + sys) of that child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def peak_rss(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None) -> int:
    """Peak RSS in KiB of ``cmd`` (the largest process of its tree), read by a child Python
    that runs it and nothing else (``RUSAGE_CHILDREN`` keeps the largest child so far)."""
    probe = ("import resource,subprocess,sys;"
             "subprocess.run(sys.argv[1:],check=True,capture_output=True);"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, env=env, cwd=cwd, check=True)
    return int(out.stdout)


def mjml_source(issue: Path) -> str:
    """The MJML dispatch compiles for ``issue`` (the email layout rendered by Jinja, merge
    tags protected as compile_mjml does), captured at the call into mjml-python."""
    from dispatch.channels import email
    from dispatch.config import load_settings
    from dispatch.parse import parse_issue

    import mjml

    captured: list[str] = []

    original = mjml.mjml2html

    def capture(source, **kwargs):
        captured.append(source)
        return original(source, **kwargs)

    mjml.mjml2html = capture
    try:
        settings = load_settings(issue.parent)
        email.render_email(parse_issue(issue, settings), settings)
    finally:
        mjml.mjml2html = original
    return captured[0]


def install_mjml(version: str, folder: Path) -> Path:
    npm = shutil.which("npm")
    if not npm:
        sys.exit("npm is needed to install the mjml CLI")
    subprocess.run([npm, "init", "-y"], cwd=folder, check=True, capture_output=True)
    subprocess.run([npm, "install", "--no-audit", "--no-fund", f"mjml@{version}"], cwd=folder, check=True,
                   capture_output=True)
    return folder / "node_modules" / ".bin" / "mjml"


def warm_figures(issue: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Warm re-render (after a one-word edit, and unchanged) and thread packing (with empty
    and with warm caches), in this process: name → (median wall ms, median CPU ms)."""
    from dispatch.channels import thread
    from dispatch.config import load_settings
    from dispatch.parse import parse_issue
    from dispatch.render import render_issue

    settings = load_settings(issue.parent)
    text = issue.read_text(encoding="utf-8")
    rows: dict[str, list[tuple[float, float]]] = {}

    def clock(name: str, fn) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        rows.setdefault(name, []).append((time.perf_counter() - wall, time.process_time() - cpu))

    def empty_caches() -> None:
        thread._TALLIES.clear()
        thread._sentences.cache_clear()
        thread._words.cache_clear()

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / issue.name
        copy.write_text(text, encoding="utf-8")
        out = Path(tmp) / "dist"
        render_issue(copy, out, settings)
        for n in range(runs):
            # an edit of one word in the lead, as a writer saving in watch/preview
            copy.write_text(text.replace("roughly", f"roughly{n}", 1), encoding="utf-8")
            clock("re-render after an edit", lambda: render_issue(copy, out, settings))
        copy.write_text(text, encoding="utf-8")
        for _ in range(runs):
            clock("re-render, unchanged", lambda: render_issue(copy, out, settings))
        parsed = parse_issue(copy, settings)
        for _ in range(runs):
            empty_caches()
            clock("thread packing, empty caches", lambda: thread.render_threads(parsed, settings))
            clock("thread packing, warm caches", lambda: thread.render_threads(parsed, settings))
    return {name: (statistics.median(v[0] for v in vals) * 1000, statistics.median(v[1] for v in vals) * 1000)
            for name, vals in rows.items()}


#: Run in a new interpreter: the command line's start-up (:mod:`dispatch.__main__`: the
#: compiled-code cache, the collector off), then a render step by step, printing CPU ms per
#: step as JSON. ``interpreter`` is the CPU spent before the first line (interpreter start,
#: ``site``); ``imports`` is what ``dispatch.cli`` and ``dispatch.render`` import; the
#: libraries a step imports on first use (premailer, Babel…) count in that step.
_STEPS_PROBE = """
import time
marks = {"interpreter": time.process_time()}
def mark(name, start):
    marks[name] = time.process_time() - start
t = time.process_time()
import gc, sys
gc.disable()
from dispatch import compilecache
compilecache.install()
mark("compiled-code cache", t)
t = time.process_time()
import dispatch.cli, dispatch.render
from pathlib import Path
mark("imports", t)
from dispatch.config import load_settings
from dispatch.parse import parse_issue
from dispatch.render import render_channels, threads_json, threads_text, write_folder, local_assets, issue_warnings
issue_path, out = Path(sys.argv[1]), Path(sys.argv[2])
t = time.process_time(); settings = load_settings(issue_path.parent); mark("settings", t)
t = time.process_time(); issue = parse_issue(issue_path, settings); mark("parse", t)
def step(name, fn, *args):
    t = time.process_time()
    try:
        return fn(*args)
    finally:
        mark(name, t)
channels = render_channels(issue, settings, timed=step)
t = time.process_time()
assets, asset_warnings = local_assets(issue, settings)
issue_warnings(issue, settings, email=channels.email, threads=channels.threads, asset_warnings=asset_warnings)
mark("diagnostics", t)
t = time.process_time()
files = {"email.html": channels.email.html.encode(), "email.txt": channels.text.text.encode(), "entry.xml": channels.entry.xml,
         "thread.json": threads_json(channels.threads, issue).encode(), "thread.txt": threads_text(channels.threads).encode()}
write_folder(out / issue.meta.slug, files, replaceable=tuple(files), protect=[issue_path])
mark("write", t)
t = time.process_time(); compilecache.save(); mark("cache save", t)
marks["total"] = time.process_time()
import json; print(json.dumps({k: v * 1000 for k, v in marks.items()}))
"""


def cold_steps(issue: Path, runs: int, env: dict, out: Path) -> dict[str, float]:
    """Median CPU ms of each step of a cold render in a new interpreter (:data:`_STEPS_PROBE`)."""
    import json

    rows = [json.loads(subprocess.run([sys.executable, "-c", _STEPS_PROBE, str(issue), str(out)], capture_output=True,
                                      text=True, env=env, cwd=ROOT, check=True).stdout) for _ in range(runs)]
    return {name: statistics.median(r[name] for r in rows) for name in rows[0]}


def import_by_library(issue: Path, runs: int, env: dict, out: Path) -> tuple[dict[str, float], float]:
    """Self time of every module a cold ``python -m dispatch render`` imports, summed per
    top-level package (``dispatch`` per module), median ms over ``runs`` (``-X importtime``,
    which adds overhead of its own), and the sum of those medians."""
    import collections
    import re

    rows = []
    for _ in range(runs):
        err = subprocess.run([sys.executable, "-X", "importtime", "-m", "dispatch", "render", str(issue), "--out", str(out)],
                             capture_output=True, text=True, env=env, cwd=ROOT, check=True).stderr
        row: collections.Counter = collections.Counter()
        for line in err.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+\d+ \| *(\S+)", line)
            if m:
                parts = m.group(2).split(".")
                row[".".join(parts[:2]) if parts[0] == "dispatch" else parts[0]] += int(m.group(1)) / 1000
        rows.append(row)
    names = set().union(*rows)
    medians = {n: statistics.median(r.get(n, 0.0) for r in rows) for n in names}
    return medians, sum(medians.values())


def print_breakdown(issue: Path, runs: int, env: dict, tmp: Path) -> None:
    """The cold path's table: CPU per step, then import self time per library."""
    steps = cold_steps(issue, runs, env, tmp / "dist-steps")
    print(f"\n{'cold render, step by step (new interpreter, CPU ms, median)':62}")
    for name, ms in steps.items():
        print(f"  {name:28} {ms:7.1f}")
    libs, total = import_by_library(issue, runs, env, tmp / "dist-imports")
    print(f"\nimports by library (self time under -X importtime, median ms; sum {total:.0f} ms, "
          "inflated by importtime itself)")
    ranked = sorted(libs.items(), key=lambda kv: -kv[1])
    for name, ms in ranked[:40]:
        print(f"  {name:28} {ms:7.1f}")
    print(f"  {'the other ' + str(len(ranked) - 40) + ' packages':28} {sum(ms for _, ms in ranked[40:]):7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("issue", nargs="?", type=Path, default=EXAMPLE)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--mjml-version", default="5")
    parser.add_argument("--mjml", type=Path, default=None, help="a folder where mjml is already npm-installed")
    parser.add_argument("--breakdown", action="store_true",
                        help="also print the cold path step by step and the imports by library")
    args = parser.parse_args()
    issue = args.issue.resolve()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.mjml:
            cli = args.mjml / "node_modules" / ".bin" / "mjml"
        else:
            (tmp / "npm").mkdir()
            cli = install_mjml(args.mjml_version, tmp / "npm")
        version = subprocess.run([str(cli), "--version"], capture_output=True, text=True).stdout.split()
        source = tmp / "email.mjml"
        source.write_text(mjml_source(issue), encoding="utf-8")

        cold_cache = tmp / "cache-cold"
        warm_cache = tmp / "cache-warm"
        # .pyc files written as an installed package has them (any value of the variable disables them)
        base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        # dispatch renders a copy of the issue whose text changes before every run (a cold
        # render is a new process on an edited issue: nothing of the issue's own is reused)
        from dispatch.config import load_settings

        config = load_settings(issue.parent).path
        edited = tmp / "news" / issue.name
        edited.parent.mkdir()
        text = issue.read_text(encoding="utf-8")

        def edit(n: int) -> None:
            changed = text.replace(" the ", f" the {n} ", 1)
            edited.write_text(changed if changed != text else text + f"\n\nEdit {n}.\n", encoding="utf-8")

        edit(0)
        dispatch_cmd = [sys.executable, "-m", "dispatch", "render", str(edited), "--out", str(tmp / "dist"),
                        *(["--config", str(config)] if config else [])]
        mjml_cmd = [str(cli), str(source), "-o", str(tmp / "mjml.html")]
        # one run each first: Python's own .pyc files, npm's, the warm caches
        timed(dispatch_cmd, env={**base_env, "DISPATCH_CACHE_DIR": str(warm_cache)}, cwd=ROOT)
        timed(mjml_cmd)

        rows: dict[str, list[tuple[float, float]]] = {"dispatch": [], "dispatch, empty cache folder": [], "mjml": []}
        for n in range(args.runs):
            shutil.rmtree(cold_cache, ignore_errors=True)
            edit(n + 1)
            jobs = [
                ("dispatch", lambda: timed(dispatch_cmd, env={**base_env, "DISPATCH_CACHE_DIR": str(warm_cache)}, cwd=ROOT)),
                ("dispatch, empty cache folder",
                 lambda: timed(dispatch_cmd, env={**base_env, "DISPATCH_CACHE_DIR": str(cold_cache)}, cwd=ROOT)),
                ("mjml", lambda: timed(mjml_cmd)),
            ]
            if n % 2:
                jobs.reverse()
            for name, job in jobs:
                wall, cpu = job()
                rows[name].append((wall, cpu))
        peaks = {
            "dispatch": peak_rss(dispatch_cmd, env={**base_env, "DISPATCH_CACHE_DIR": str(warm_cache)}, cwd=ROOT),
            "dispatch, empty cache folder": peak_rss(dispatch_cmd, env={**base_env, "DISPATCH_CACHE_DIR": str(tmp / "c3")},
                                                    cwd=ROOT),
            "mjml": peak_rss(mjml_cmd),
        }

    print(f"issue: {issue.name}   runs: {args.runs} paired   mjml CLI: {' '.join(version)}   cores: {os.cpu_count()}")
    print(f"{'':30} {'wall ms':>9} {'CPU ms':>9} {'peak MiB':>9} {'wall ×mjml':>11} {'CPU ×mjml':>10} {'paired ×':>9}")
    mj = rows["mjml"]
    for name, vals in rows.items():
        wall = statistics.median(v[0] for v in vals)
        cpu = statistics.median(v[1] for v in vals)
        paired = statistics.median(a[0] / b[0] for a, b in zip(vals, mj))
        print(f"{name:30} {wall * 1000:9.0f} {cpu * 1000:9.0f} {peaks[name] / 1024:9.1f} "
              f"{wall / statistics.median(v[0] for v in mj):11.2f} {cpu / statistics.median(v[1] for v in mj):10.2f} "
              f"{paired:9.2f}")
    if args.breakdown:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**base_env, "DISPATCH_CACHE_DIR": str(Path(tmp) / "cache")}
            subprocess.run([sys.executable, "-m", "dispatch", "render", str(issue), "--out", str(Path(tmp) / "dist")],
                           capture_output=True, env=env, cwd=ROOT, check=True)  # the caches, as every run but the first
            print_breakdown(issue, args.runs, env, Path(tmp))
    print(f"\n{'in one process':30} {'wall ms':>9} {'CPU ms':>9}")
    for name, (wall, cpu) in warm_figures(issue, max(args.runs, 15)).items():
        print(f"{name:30} {wall:9.1f} {cpu:9.1f}")


if __name__ == "__main__":
    main()
