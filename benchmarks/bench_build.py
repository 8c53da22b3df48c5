"""Benchmark ``dispatch build`` on a generated archive.

Generates N issues (default 1,000) in a temporary folder from the example issue and the
newsletters in ../shared/corpus (when present): each copy gets its own title, slug, permanent
id, date (one a day, backwards from the example's, with a few drafts and a few scheduled
after ``--now``) and tags; with ``--images`` each also shows a local image
(``issues/img/chart.png``, 20 KB), which the build copies to ``<slug>/img/chart.png``. Then,
in this process:

1. a cold build (empty output folder): total seconds, seconds per issue, peak memory (the
   process's peak RSS from ``resource``; with ``--tracemalloc`` also tracemalloc's peak of
   Python allocations, which slows the build about threefold, so its time is not comparable);
2. a second, no-op build of the same input: seconds, files changed (must be 0) and sources
   parsed (must be 0: the cache keyed on each source's SHA-256 is used), and its share of the
   first run.

    python benchmarks/bench_build.py [--issues 1000] [--images] [--keep DIR] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dispatch.archive import build_archive  # noqa: E402
from dispatch.config import load_settings  # noqa: E402
from dispatch.source import read_source  # noqa: E402

EXAMPLE = ROOT / "issues" / "2026-05-22-moonshot-moment.md"
SHARED = ROOT.parent / "shared"
TAGS = ("ai", "policy", "funding", "open-source", "nz", "china", "rust", "kubernetes", "security", "research")
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def templates() -> list[tuple[str, str]]:
    """(title, body) of the example and every corpus newsletter."""
    paths = [EXAMPLE]
    corpus = SHARED / "corpus"
    if corpus.is_dir():
        paths += sorted(p for p in corpus.rglob("*") if p.suffix in (".md", ".markdown") and p.parent != corpus)
    out = []
    for path in paths:
        src = read_source(path)
        title = str(src.front.data.get("title") or src.title or path.stem)
        out.append((title.replace('"', "'"), src.body))
    return out


def generate(folder: Path, count: int, images: bool = False) -> None:
    """Write ``count`` issues and a dispatch.toml into ``folder`` (with ``images``, each
    issue ends with a local image, ``img/chart.png``)."""
    (folder / "dispatch.toml").write_text(
        'site_name = "Bench Weekly"\nbase_url = "https://bench.example.org/"\ntimezone = "Pacific/Auckland"\n'
        'language = "en-NZ"\n', encoding="utf-8")
    issues = folder / "issues"
    issues.mkdir()
    bodies = templates()
    if images:
        (issues / "img").mkdir()
        (issues / "img" / "chart.png").write_bytes(bytes(range(256)) * 80)  # 20 KB
    start = datetime(2026, 6, 5, 7, 0)
    for n in range(count):
        title, body = bodies[n % len(bodies)]
        when = start - timedelta(days=n)  # the first four are scheduled after NOW
        slug = f"issue-{n:04d}"
        tags = ", ".join(TAGS[(n + k) % len(TAGS)] for k in range(2 + n % 3))
        front = (f'---\ntitle: "{title} #{n}"\ndate: {when:%Y-%m-%d %H:%M}\n'
                 f"id: {uuid.uuid5(uuid.NAMESPACE_URL, f'bench/{n}').urn}\nslug: {slug}\ntags: [{tags}]\n"
                 + ("draft: true\n" if n % 97 == 13 else "") + "---\n\n")
        image = "\n\n![A chart](img/chart.png)\n" if images else ""
        (issues / f"{when:%Y-%m-%d}-{slug}.md").write_text(front + body + image, encoding="utf-8")


def timed_build(folder: Path, out: Path):
    settings = load_settings(folder / "issues")
    start = time.perf_counter()
    report = build_archive(folder / "issues", out, settings, NOW)
    return time.perf_counter() - start, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--images", action="store_true", help="Give every issue a local image to publish.")
    parser.add_argument("--keep", type=Path, default=None, help="Build into DIR and keep it.")
    parser.add_argument("--tracemalloc", action="store_true", help="Also trace Python allocations (slow).")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="dispatch-bench-"))
    try:
        generate(tmp, args.issues, args.images)
        out = args.keep or tmp / "public"
        if out.exists():
            shutil.rmtree(out)
        if args.tracemalloc:
            tracemalloc.start()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        first, report = timed_build(tmp, out)
        peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        tracemalloc.stop()
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        second, again = timed_build(tmp, out)
        files = sum(1 for p in out.rglob("*") if p.is_file() and ".dispatch-cache" not in p.parts)
        print(f"issues generated     {args.issues} ({len(templates())} templates; {report.drafts} drafts, "
              f"{args.issues - report.drafts - len(report.published)} scheduled later)")
        print(f"published            {len(report.published)}; {files} output files")
        print(f"first build          {first:.2f} s total, {first / args.issues * 1000:.1f} ms per issue"
              + (" (tracemalloc on)" if args.tracemalloc else ""))
        traced = f", {peak / 2**20:.1f} MiB traced Python allocations" if peak is not None else ""
        print(f"peak memory          {rss_kb / 1024:.0f} MiB peak RSS (before the build: "
              f"{rss_before / 1024:.0f} MiB){traced}")
        print(f"second (no-op) build {second:.3f} s, {again.parsed} parsed, {len(again.changed)} files changed "
              f"= {second / first:.1%} of the first")
        if again.parsed or again.changed:
            sys.exit("the no-op run did work it had already done")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
