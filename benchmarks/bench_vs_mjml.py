"""Side by side: a cold ``dispatch render`` of the example (all five outputs) against the MJML
CLI compiling the same email alone, on this machine, in the same run.

What is compared:

* **dispatch**: a new ``python -m dispatch render ISSUE --out TMP`` process (interpreter
  start, imports, parse, email, text part, Atom entry, threads, write) with a cold
  template cache (``DISPATCH_CACHE_DIR`` pointing at an empty folder) and with a warm one
  (the cache the first run wrote: what every run after the first pays).
* **mjml**: ``mjml email.mjml -o out.html`` of the npm ``mjml`` package (version 5 unless
  ``--mjml-version``), installed with npm into a temporary folder at benchmark time; its input
  is the MJML dispatch compiles for the same issue (the layout rendered by Jinja), so both
  sides do the email's MJML → HTML step and dispatch does everything else on top.

Runs are paired (dispatch, then mjml, alternating which goes first) so a load spike hits
both; the script prints, for each side, the median wall time, CPU time (user + sys of the
child) and peak memory (max RSS), and the ratio dispatch / mjml of each median and the
median of the per-pair ratios. It also reports the CPU a new interpreter spends importing
what a render imports, and, in this process (wall and CPU, medians of at least 15), the warm
re-render of the example (what ``watch``/``preview`` pay per save, after an edit of one word,
and unchanged) and thread packing alone with empty and with warm caches. On a loaded machine
trust the CPU columns and the paired ratios over the wall medians.

    python benchmarks/bench_vs_mjml.py [--runs 9] [--mjml-version 5] [--mjml DIR] [ISSUE]

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


def import_cpu(runs: int, env: dict) -> float:
    """Median CPU ms of a new interpreter importing what ``dispatch render`` imports."""
    probe = ("import time; t = time.process_time(); import dispatch.cli, dispatch.render, feedgen.feed; "
             "from dispatch.channels.email import _premailer; _premailer(); print(time.process_time() - t)")
    out = [float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                                cwd=ROOT, check=True).stdout) for _ in range(runs)]
    return statistics.median(out) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("issue", nargs="?", type=Path, default=EXAMPLE)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--mjml-version", default="5")
    parser.add_argument("--mjml", type=Path, default=None, help="a folder where mjml is already npm-installed")
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
        dispatch_cmd = [sys.executable, "-m", "dispatch", "render", str(issue), "--out", str(tmp / "dist")]
        mjml_cmd = [str(cli), str(source), "-o", str(tmp / "mjml.html")]
        # one run each first: Python's own .pyc files, npm's, the warm template cache
        timed(dispatch_cmd, env={**base_env, "DISPATCH_CACHE_DIR": str(warm_cache)}, cwd=ROOT)
        timed(mjml_cmd)

        rows: dict[str, list[tuple[float, float]]] = {"dispatch": [], "dispatch, no template cache": [], "mjml": []}
        for n in range(args.runs):
            shutil.rmtree(cold_cache, ignore_errors=True)
            jobs = [
                ("dispatch", lambda: timed(dispatch_cmd, env={**base_env, "DISPATCH_CACHE_DIR": str(warm_cache)}, cwd=ROOT)),
                ("dispatch, no template cache",
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
            "dispatch, no template cache": peak_rss(dispatch_cmd, env={**base_env, "DISPATCH_CACHE_DIR": str(tmp / "c3")},
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
    print(f"\n{'imports of a render (new interpreter)':38} CPU {import_cpu(args.runs, base_env):7.1f} ms")
    print(f"\n{'in one process':30} {'wall ms':>9} {'CPU ms':>9}")
    for name, (wall, cpu) in warm_figures(issue, max(args.runs, 15)).items():
        print(f"{name:30} {wall:9.1f} {cpu:9.1f}")


if __name__ == "__main__":
    main()
