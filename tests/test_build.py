"""`dispatch build`: schedule, stability, cache, updated dates, ids, errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from dispatch.archive import build_archive, parse_now
from dispatch.cli import main
from dispatch.config import load_settings

from test_build_support import BASE, cache_of, feed_items, issue_text, write_archive

ROOT = Path(__file__).resolve().parents[1]


def _build(folder: Path, out: Path, now: str, **kw):
    return build_archive(folder, out, load_settings(folder), parse_now(now), **kw)


def _ids(path: Path) -> list[str]:
    return [e["id"] for e in feed_items(path)]


@pytest.fixture()
def scheduled(tmp_path):
    """Three issues: one published, one draft, one scheduled for 10 June 09:00 NZST."""
    folder = write_archive(tmp_path, {
        "past.md": issue_text("Past", "2026-05-01 07:00", id="urn:uuid:00000000-0000-4000-8000-000000000001",
                              tags=("news", "ai")),
        "draft.md": issue_text("Draft", "2026-05-02 07:00", id="urn:uuid:00000000-0000-4000-8000-000000000002",
                               draft=True),
        "future.md": issue_text("Future", "2026-06-10 09:00", id="urn:uuid:00000000-0000-4000-8000-000000000003",
                                tags=("news", "later")),
    })
    return folder, tmp_path / "public"


def test_future_and_draft_absent_until_due(scheduled):
    folder, out = scheduled
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(out), "--now", "2026-05-20T00:00:00Z"])
    assert result.exit_code == 0, result.output
    # 2026-06-10 09:00 in Pacific/Auckland (NZST, +12) is 2026-06-09 21:00 UTC, 20.9 days after --now.
    assert "next scheduled issue: 'Future' due 2026-06-09T21:00:00Z (in 20.9 days)" in result.output
    past = "urn:uuid:00000000-0000-4000-8000-000000000001"
    for name in ("feed.xml", "atom.xml", "feed.json", "tags/news/atom.xml"):
        assert _ids(out / name) == [past], name
    assert not (out / "tags" / "later").exists()
    assert (out / "past" / "index.html").is_file()
    assert not (out / "future").exists() and not (out / "draft").exists()
    index = (out / "index.html").read_text()
    assert "Past" in index and "Future" not in index and "Draft" not in index

    # One minute before it is due: still absent. At the due instant: present, newest first.
    _build(folder, out, "2026-06-09T20:59:00Z")
    assert _ids(out / "atom.xml") == [past]
    report = _build(folder, out, "2026-06-09T21:00:00Z")
    future = "urn:uuid:00000000-0000-4000-8000-000000000003"
    for name in ("feed.xml", "atom.xml", "feed.json", "tags/news/atom.xml"):
        assert _ids(out / name) == [future, past], name
    assert _ids(out / "tags/later/atom.xml") == [future]
    assert (out / "future" / "index.html").is_file()
    assert "future/index.html" in report.changed and "tags/later/atom.xml" in report.changed
    assert report.next_due is None
    assert not (out / "draft").exists()
    assert "Draft" not in (out / "atom.xml").read_text()


def test_second_run_is_quiet_and_skips_parsing(scheduled):
    folder, out = scheduled
    first = _build(folder, out, "2026-05-20T00:00:00Z")
    assert first.parsed == 3 and len(first.changed) == 14
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    second = _build(folder, out, "2026-05-20T00:00:00Z")
    assert second.parsed == 0
    assert second.changed == [] and second.removed == []
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before

    # a deleted page is rebuilt; a deleted cache only costs time: the same bytes come back
    page = (out / "past" / "index.html").read_bytes()
    atom = (out / "atom.xml").read_bytes()
    (out / "past" / "index.html").unlink()
    third = _build(folder, out, "2026-05-20T00:00:00Z")
    assert third.changed == ["past/index.html"] and third.parsed == 1
    assert (out / "past" / "index.html").read_bytes() == page
    shutil.rmtree(cache_of(folder.parent, out))
    fourth = _build(folder, out, "2026-05-20T00:00:00Z")
    assert fourth.parsed == 3 and fourth.changed == []
    assert (out / "atom.xml").read_bytes() == atom


def test_changed_files_are_exactly_the_outputs(scheduled):
    folder, out = scheduled
    first = _build(folder, out, "2026-05-20T00:00:00Z")
    assert sorted(first.changed) == [
        "404.html", "atom.xml", "feed.json", "feed.xml", "index.html", "past/index.html", "robots.txt",
        "sitemap.xml", "style.css", "tags/ai/atom.xml", "tags/ai/index.html", "tags/index.html",
        "tags/news/atom.xml", "tags/news/index.html",
    ]


def test_settings_change_invalidates_cache(scheduled):
    folder, out = scheduled
    _build(folder, out, "2026-05-20T00:00:00Z")
    toml = folder.parent / "dispatch.toml"
    toml.write_text(toml.read_text().replace("Test Weekly", "Test Daily"))
    report = _build(folder, out, "2026-05-20T00:00:00Z")
    assert report.parsed == 3
    assert "<title>Test Daily</title>" in (out / "atom.xml").read_text()


def _run_cli(folder: Path, out: Path, tz: str, seed: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TZ": tz, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-m", "dispatch", "build", str(folder), "--out", str(out), "--now", "2026-06-01T00:00:00Z"],
        env=env, capture_output=True, text=True, timeout=120,
    )


def test_byte_identical_under_other_time_zones_and_hash_seeds(tmp_path):
    folder = write_archive(tmp_path / "src", {
        "a.md": issue_text("Alpha ✨ 日本語", "2026-05-01", tags=("news", "ai", "ÆØÅ")),
        "b.md": issue_text("Beta", "2026-05-01 23:30", tags=("ai",)),  # same day, other instant
        "c.md": issue_text("Gamma", "2026-05-03 00:30 +0000", tags=("news",)),
    })
    outs = []
    for tz, seed in (("Pacific/Auckland", "1"), ("America/Los_Angeles", "2")):
        out = tmp_path / f"out-{tz.replace('/', '-')}"
        proc = _run_cli(folder, out, tz, seed)
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert Path("atom.xml") in files and Path("tags/ai/atom.xml") in files and Path("alpha/index.html") in files
    assert files == sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    for rel in files:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel
    # dates were read in the newsletter's zone (NZST), not the process's
    atom = feedparser.parse((outs[0] / "atom.xml").read_bytes())
    assert [e.published for e in atom.entries] == [
        "2026-05-03T00:30:00+00:00", "2026-05-01T11:30:00+00:00", "2026-04-30T12:00:00+00:00"]
    assert atom.feed.updated == "2026-05-03T00:30:00+00:00"


def test_entry_updated_changes_only_with_content(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id="urn:uuid:00000000-0000-4000-8000-00000000000a"),
        "b.md": issue_text("Beta", "2026-05-02 07:00", id="urn:uuid:00000000-0000-4000-8000-00000000000b"),
        "c.md": issue_text("Gamma", "2026-05-03 07:00", id="urn:uuid:00000000-0000-4000-8000-00000000000c",
                           updated="2026-05-04 08:00"),
    })
    out = tmp_path / "public"

    def updated() -> dict[str, str]:
        feed = feedparser.parse((out / "atom.xml").read_bytes())
        return {e.title: e.updated for e in feed.entries} | {"feed": feed.feed.updated}

    _build(folder, out, "2026-05-10T00:00:00Z")
    assert updated() == {"Alpha": "2026-04-30T19:00:00+00:00", "Beta": "2026-05-01T19:00:00+00:00",
                         "Gamma": "2026-05-03T20:00:00+00:00", "feed": "2026-05-03T20:00:00+00:00"}
    # a later run with no edit changes nothing, whatever the clock says
    report = _build(folder, out, "2026-05-12T00:00:00Z")
    assert report.changed == []
    # editing Alpha's body moves its updated (to the build time) and the feed's, nothing else
    a = folder / "a.md"
    a.write_text(a.read_text().replace("The lead of Alpha.", "The lead of Alpha, corrected."))
    report = _build(folder, out, "2026-05-15T06:30:00Z")
    assert updated() == {"Alpha": "2026-05-15T06:30:00+00:00", "Beta": "2026-05-01T19:00:00+00:00",
                         "Gamma": "2026-05-03T20:00:00+00:00", "feed": "2026-05-15T06:30:00+00:00"}
    assert "alpha/index.html" in report.changed and "beta/index.html" not in report.changed
    # and it stays there on later runs, even when a settings change re-renders every issue
    toml = folder.parent / "dispatch.toml"
    toml.write_text(toml.read_text().replace("Test Weekly", "Test Daily"))
    report = _build(folder, out, "2026-05-20T00:00:00Z")
    assert report.parsed == 3
    assert updated()["Alpha"] == "2026-05-15T06:30:00+00:00"
    assert updated()["Beta"] == "2026-05-01T19:00:00+00:00"
    # newest first by date even though Alpha was updated last
    assert [e.title for e in feedparser.parse((out / "atom.xml").read_bytes()).entries] == ["Gamma", "Beta", "Alpha"]


def test_id_stable_across_slug_and_title_edit(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01", id="tag:news.example.org,2026-05-01:alpha", slug="alpha"),
    })
    out = tmp_path / "public"
    _build(folder, out, "2026-05-10T00:00:00Z")
    a = folder / "a.md"
    a.write_text(a.read_text().replace("slug: alpha", "slug: alpha-renamed").replace('"Alpha"', '"Alpha, renamed"'))
    report = _build(folder, out, "2026-05-10T00:00:00Z")
    for name in ("feed.xml", "atom.xml", "feed.json"):
        items = feed_items(out / name)
        assert [e["id"] for e in items] == ["tag:news.example.org,2026-05-01:alpha"], name
        assert [e["link"] for e in items] == [BASE + "alpha-renamed/"], name
    assert (out / "alpha-renamed" / "index.html").is_file()
    assert not (out / "alpha").exists()
    assert report.removed == ["alpha/index.html"]


def test_entry_limit_from_config_applies_to_feeds_not_index(tmp_path):
    issues = {f"i{n}.md": issue_text(f"Issue {n}", f"2026-05-{n:02d} 07:00", tags=("news",)) for n in range(1, 6)}
    folder = write_archive(tmp_path, issues, extra="[feed]\nlimit = 3\n")
    out = tmp_path / "public"
    _build(folder, out, "2026-06-01T00:00:00Z")
    for name in ("feed.xml", "atom.xml", "feed.json", "tags/news/atom.xml"):
        assert [e["title"] for e in feed_items(out / name)] == ["Issue 5", "Issue 4", "Issue 3"], name
    index = (out / "index.html").read_text()
    positions = [index.index(f">Issue {n}<") for n in (5, 4, 3, 2, 1)]
    assert positions == sorted(positions)


def test_same_date_sorted_by_id(tmp_path):
    folder = write_archive(tmp_path, {
        "x.md": issue_text("X", "2026-05-01 07:00", id="urn:uuid:00000000-0000-4000-8000-00000000000b"),
        "y.md": issue_text("Y", "2026-05-01 07:00", id="urn:uuid:00000000-0000-4000-8000-00000000000a"),
    })
    out = tmp_path / "public"
    _build(folder, out, "2026-06-01T00:00:00Z")
    assert [e.title for e in feedparser.parse((out / "atom.xml").read_bytes()).entries] == ["X", "Y"]


def test_bad_issue_with_strict_exits_2_and_writes_nothing(tmp_path):
    folder = write_archive(tmp_path, {
        "good.md": issue_text("Good", "2026-05-01"),
        "bad.md": "---\ntitle: Bad\ndate: someday\n---\n\nBody.\n",
    })
    out = tmp_path / "public"
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(out), "--now", "2026-06-01T00:00:00Z",
                                       "--strict"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"{folder / 'bad.md'}:3: cannot read date 'someday'; write it as YYYY-MM-DD or YYYY-MM-DD HH:MM "
        "(optionally with +HH:MM)"]
    assert not out.exists()


def test_duplicate_id_is_an_error(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("A", "2026-05-01", id="urn:uuid:00000000-0000-4000-8000-0000000000aa"),
        "b.md": issue_text("B", "2026-05-02", id="urn:uuid:00000000-0000-4000-8000-0000000000aa"),
    })
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(tmp_path / "o"), "--now", "2026-06-01",
                                       "--strict"])
    assert result.exit_code == 2
    assert result.output.strip() == (f"{folder / 'b.md'}:4: id 'urn:uuid:00000000-0000-4000-8000-0000000000aa' "
                                     "is already used by a.md; every issue needs its own id")
    assert not (tmp_path / "o").exists()


def test_duplicate_slug_is_an_error(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("A", "2026-05-01", slug="same"),
        "b.md": issue_text("B", "2026-05-02", slug="same"),
    })
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(tmp_path / "o"), "--now", "2026-06-01",
                                       "--strict"])
    assert result.exit_code == 2
    assert result.output.strip() == (f"{folder / 'a.md'}:4: slug 'same' is already used by b.md; "
                                     "give this issue its own slug")


def test_bad_now_is_a_one_line_error(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("A", "2026-05-01")})
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(tmp_path / "o"), "--now", "tomorrow"])
    assert result.exit_code == 2
    assert result.output.strip() == "dispatch: --now 'tomorrow' is not an ISO 8601 date-time; write e.g. " \
        "2026-05-22T07:00:00+12:00"


def test_parse_now_defaults_to_utc():
    assert parse_now("2026-05-22T07:00+12:00") == datetime(2026, 5, 21, 19, 0, tzinfo=timezone.utc)
    assert parse_now("2026-05-22") == datetime(2026, 5, 22, tzinfo=timezone.utc)


def test_example_repository_builds(tmp_path):
    report = _build(ROOT / "issues", tmp_path / "public", "2026-06-01T00:00:00Z", cache_dir=tmp_path / "cache")
    assert report.published == ["tag:briefing.example.nz,2026-05-22:moonshot-moment"]
    (cache,) = (tmp_path / "cache").iterdir()
    cache = json.loads((cache / "index.json").read_text())
    assert cache["records"]["2026-05-22-moonshot-moment.md"]["slug"] == "moonshot-moment"


def test_only_drafts_gives_valid_quiet_empty_feeds(tmp_path):
    folder = write_archive(tmp_path, {"d.md": issue_text("D", "2026-05-01", draft=True),
                                      "README.md": "Notes for the editors, not an issue.\n",
                                      "_template.md": "---\ntitle: x\n---\n"})
    out = tmp_path / "public"
    first = _build(folder, out, "2026-06-01T00:00:00Z")
    assert first.parsed == 1 and first.drafts == 1 and first.published == []
    assert feed_items(out / "atom.xml") == [] and feed_items(out / "feed.json") == []
    assert "<updated>1970-01-01T00:00:00+00:00</updated>" in (out / "atom.xml").read_text()
    assert _build(folder, out, "2026-06-05T00:00:00Z").changed == []
