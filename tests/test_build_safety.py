"""Issue 10, items 1–6: the published folder is safe. Nothing of a draft, scheduled or deleted
issue under --out; files read only from inside the newsletter folder; one build at a time;
a killed build (at every step of the replacement) leaves the old or the new build and its
successor no temporary file; a failed rename rolls back; foreign files are never replaced;
the cache is data."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dispatch.archive import MANIFEST, WORK_DIR, OutputError, build_archive, parse_now, work_folder
from dispatch.archive import replace as replace_mod
from dispatch.archive.lock import OutputLock
from dispatch.cli import main
from dispatch.config import load_settings

from test_build_support import cache_of, issue_text, write_archive

NOW = "2026-06-01T00:00:00Z"
ID = "urn:uuid:00000000-0000-4000-8000-0000000000{:02d}"
PNG = bytes(range(256)) * 4


def _build(folder: Path, out: Path, now: str = NOW, **kw):
    return build_archive(folder, out, load_settings(folder), parse_now(now), **kw)


def _snapshot(out: Path) -> dict[str, bytes]:
    """Every file under ``out``, hidden ones included (path → bytes)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _temporaries(out: Path) -> list[str]:
    beside = [work_folder(out).name] if out.is_dir() and work_folder(out).exists() else []
    return beside + [p.relative_to(out).as_posix() for p in out.rglob("*")
                     if WORK_DIR in p.parts or p.name.endswith(".tmp")]


def _cli(*args: str):
    return CliRunner().invoke(main, ["build", *args])


# 1. nothing of a draft, a scheduled or a deleted issue is published


def test_no_trace_of_draft_scheduled_or_deleted_issues_anywhere_under_out(tmp_path):
    folder = write_archive(tmp_path, {
        "pub.md": issue_text("Published Piece", "2026-05-01 07:00", id=ID.format(1)),
        "secret-draft.md": issue_text("Zanzibar Merger Draft", "2026-05-02 07:00", id=ID.format(2), draft=True,
                                      tags=("embargoed-tag",), body="Quixotic draft lead. ![x](img/draftchart.png)"),
        "embargo.md": issue_text("Embargoed Quarterly", "2026-06-20 07:00", id=ID.format(3),
                                 body="Obstreperous embargo lead."),
        "gone.md": issue_text("Vanished Issue", "2026-05-03 07:00", id=ID.format(4), body="Mellifluous lead."),
    })
    (folder / "img").mkdir()
    (folder / "img" / "draftchart.png").write_bytes(PNG)
    out = tmp_path / "public"
    _build(folder, out)
    assert (out / "vanished-issue" / "index.html").is_file()
    (folder / "gone.md").unlink()
    _build(folder, out)
    secrets = ["Zanzibar", "Quixotic", "embargoed-tag", "draftchart", "secret-draft", "Embargoed Quarterly",
               "Obstreperous", "embargo.md", "Vanished", "Mellifluous", "gone.md", str(tmp_path), str(folder)]
    tree = _snapshot(out)
    assert {".dispatch-manifest", "index.html", "published-piece/index.html"} <= set(tree)
    for rel, data in tree.items():
        for secret in secrets:
            assert secret.encode() not in data, (rel, secret)
            assert secret not in rel, (rel, secret)
    # the drafts live on in the cache only, outside the published folder
    cache = cache_of(tmp_path, out)
    assert not cache.is_relative_to(out) and b"Zanzibar" in (cache / "index.json").read_bytes()


def test_an_old_cache_inside_out_is_removed(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    out = tmp_path / "public"
    legacy = out / ".dispatch-cache"
    (legacy / "content").mkdir(parents=True)
    (legacy / "index.json").write_text('{"records": {"d.md": {"title": "Secret draft"}}}')
    (legacy / "content" / ("0" * 64 + ".html")).write_text("<p>draft body</p>")
    _build(folder, out, force=True)
    assert not legacy.exists()
    assert all(b"draft" not in data for data in _snapshot(out).values())


def test_cache_dir_inside_out_is_refused(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))},
                           extra='cache_dir = "public/.cache"')
    result = _cli(str(folder), "--out", str(tmp_path / "public"))
    assert result.exit_code == 2 and "holds the build cache" in result.output
    assert not (tmp_path / "public").exists()


# 2. files are read only from inside the newsletter folder


def test_files_outside_hidden_or_own_are_never_published(tmp_path, monkeypatch):
    root = tmp_path / "news"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text("[remote] url = secret")
    outside = tmp_path / "private.png"
    outside.write_bytes(b"PRIVATE")
    issues = root / "issues"
    issues.mkdir()
    (issues / "img").mkdir()
    (issues / "img" / "ok.png").write_bytes(PNG)
    os.symlink(outside, issues / "img" / "link.png")
    (issues / "draft.md").write_text(issue_text("Draft", "2026-05-02 07:00", id=ID.format(2), draft=True))
    body = "\n\n".join(["Lead.", "![p](../../../../../../../../etc/passwd)", "![g](../.git/config)",
                        "![l](img/link.png)", "![d](draft.md)", "![o](img/ok.png)"])
    (issues / "a.md").write_text(issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1), body=body))
    monkeypatch.chdir("/")  # no dispatch.toml: the root is the issues folder's parent, never the cwd
    out = tmp_path / "public"
    report = _build(issues, out)
    tree = _snapshot(out)
    assert sorted(k for k in tree if not k.endswith((".html", ".xml", ".json", ".css", "robots.txt", MANIFEST))) == \
        ["alpha/img/ok.png"]
    assert not any(b"root:" in d or b"PRIVATE" in d or b"secret" in d for d in tree.values())
    source = issues / "a.md"
    lines = source.read_text().splitlines()
    refused = [w for w in report.warnings if "it is not published" in w]
    expected = {
        "../../../../../../../../etc/passwd": "is outside the newsletter folder",
        "../.git/config": "is in a hidden folder or hidden itself",
        "img/link.png": "is outside the newsletter folder",
        "draft.md": "is dispatch's own file or an issue source",
    }
    for src, why in expected.items():
        line = next(n for n, text in enumerate(lines, 1) if f"({src})" in text)
        assert any(w.startswith(f"{source}:{line}: {src!r} {why}") for w in refused), (src, refused)


def test_dispatch_toml_is_never_published(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1),
                                                         body="Lead.\n\n![t](../dispatch.toml)")})
    report = _build(folder, tmp_path / "public")
    assert not [p for p in (tmp_path / "public").rglob("dispatch.toml")]
    assert any("'../dispatch.toml' is dispatch's own file or an issue source" in w and f"{folder / 'a.md'}:" in w
               for w in report.warnings)


@pytest.mark.parametrize("where", ["issues", "root", "/"])
def test_out_may_not_be_the_issues_the_root_or_slash(tmp_path, where):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    out = {"issues": folder, "root": tmp_path, "/": Path("/")}[where]
    before = sorted(p.name for p in out.iterdir())
    result = _cli(str(folder), "--out", str(out))
    assert result.exit_code == 2 and len(result.output.splitlines()) == 1, result.output
    assert result.output.startswith(f"{out}: is ")
    assert sorted(p.name for p in out.iterdir()) == before


# 5. foreign files are never replaced, unless --force


def test_foreign_files_stop_the_build_unless_force(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    out = tmp_path / "public"
    out.mkdir()
    (out / "index.html").write_text("<h1>my own home page</h1>")
    (out / "style.css").write_text("body { color: red }")
    (out / "notes.txt").write_text("mine")
    result = _cli(str(folder), "--out", str(out))
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"{out / 'index.html'}: was not written by dispatch (it is not in {out / MANIFEST}, or changed since) "
        f"(and 1 more: style.css); the build would replace it: move it away, or pass --force to replace it"]
    assert _snapshot(out) == {"index.html": b"<h1>my own home page</h1>", "style.css": b"body { color: red }",
                              "notes.txt": b"mine"}
    result = _cli(str(folder), "--out", str(out), "--force")
    assert result.exit_code == 0, result.output
    assert b"Alpha" in (out / "index.html").read_bytes() and (out / "notes.txt").read_text() == "mine"
    # a page of ours that someone edited is foreign too
    (out / "alpha" / "index.html").write_text("hand edit")
    (folder / "a.md").write_text(issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1), body="New lead."))
    result = _cli(str(folder), "--out", str(out))
    assert result.exit_code == 2 and result.output.startswith(f"{out / 'alpha' / 'index.html'}: was not written")
    assert (out / "alpha" / "index.html").read_text() == "hand edit"


def test_a_symlinked_folder_in_out_is_never_written_through(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    victim = tmp_path / "victim"
    victim.mkdir()
    out = tmp_path / "public"
    out.mkdir()
    os.symlink(victim, out / "tags")
    result = _cli(str(folder), "--out", str(out))
    assert result.exit_code == 2 and result.output.startswith(f"{out / 'tags'}: is a symbolic link")
    assert list(victim.iterdir()) == []


# 6. cache entries are data


def _poison(tmp_path: Path, out: Path, change) -> None:
    index = cache_of(tmp_path, out) / "index.json"
    data = json.loads(index.read_text())
    change(data["records"]["a.md"])
    index.write_text(json.dumps(data))


def test_a_cached_slug_cannot_write_outside_out(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    out = tmp_path / "pub" / "site"
    _build(folder, out)
    before = _snapshot(out)
    _poison(tmp_path, out, lambda r: r.update(slug="../../x", permalink="https://news.example.org/../../x/",
                                              page_sha=""))
    report = _build(folder, out)
    assert report.parsed == 1 and report.changed == []
    assert not (tmp_path / "x").exists() and not (tmp_path / "pub" / "x").exists()
    assert _snapshot(out) == before


def test_a_cached_asset_cannot_publish_a_private_file(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    secret = tmp_path.parent / f"{tmp_path.name}-shadow"
    secret.write_text("root:$6$secret")
    out = tmp_path / "public"
    _build(folder, out)
    before = _snapshot(out)
    for file in (str(secret), "/etc/passwd"):
        _poison(tmp_path, out, lambda r: r.update(assets=[["x.png", file, "alpha/shadow", "a.md:1"]]))
        report = _build(folder, out)
        assert report.parsed == 1 and _snapshot(out) == before
        assert not (out / "alpha" / "shadow").exists()


@pytest.mark.parametrize("damage", ["dev-zero", "brackets", "fifo", "huge"])
def test_hostile_cache_files_are_misses(tmp_path, damage):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    out = tmp_path / "public"
    _build(folder, out)
    before = _snapshot(out)
    cache = cache_of(tmp_path, out)
    index = cache / "index.json"
    index.unlink()
    if damage == "dev-zero":
        os.symlink("/dev/zero", index)
        for body in (cache / "content").iterdir():
            body.unlink()
            os.symlink("/dev/zero", body)
    elif damage == "brackets":
        index.write_text("[" * 100_000)
    elif damage == "fifo":
        os.mkfifo(index)
    else:
        with index.open("wb") as fh:
            fh.truncate(65 * 2**20)  # sparse: over the limit without using the disk
    started = time.monotonic()
    result = _cli(str(folder), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and time.monotonic() - started < 30
    assert "1 published, 0 drafts, 1 parsed, 0 changed" in result.output
    assert _snapshot(out) == before


# 3 and 4. the lock, crash safety, rollback, concurrency


def test_a_second_build_stops_naming_the_holder(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    out = tmp_path / "public"
    _build(folder, out)
    with OutputLock(out) as lock:
        lock.write_holder()
        result = _cli(str(folder), "--out", str(out), "--wait", "0")
        assert result.exit_code == 2
        assert result.output.splitlines() == [
            f"{out}: another build is writing this folder (pid {os.getpid()}, started "
            f"{result.output.split('started ')[1].split(')')[0]}); wait for it to finish, or pass --wait SECONDS "
            "to queue behind it"]
        shutil.rmtree(work_folder(out))


def test_a_second_build_waits_for_the_first(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    out = tmp_path / "public"
    _build(folder, out)
    lock = OutputLock(out).__enter__()
    lock.write_holder()

    def release():
        time.sleep(0.5)
        shutil.rmtree(work_folder(out))
        lock.__exit__(None, None, None)

    waited = []
    threading.Thread(target=release).start()
    (folder / "a.md").write_text(issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1), body="Edited lead."))
    report = _build(folder, out, wait=10, on_wait=waited.append)
    assert waited == [f"pid {os.getpid()}, started {waited[0].split('started ')[1]}"]
    assert "alpha/index.html" in report.changed and _temporaries(out) == []


def _scenario(tmp_path: Path):
    """An archive built once (old), then edited (an issue changed, one deleted, one added
    with an image, a tag dropped). Returns the issues folder, the output folder (holding the
    old build), the snapshots of the old and the new build, and a function that puts the
    output folder and its cache back as the old build left them."""
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1), tags=("news", "solo")),
        "b.md": issue_text("Beta", "2026-05-02 07:00", id=ID.format(2)),
        "c.md": issue_text("Gamma", "2026-05-03 07:00", id=ID.format(3)),
    })
    (folder / "img").mkdir()
    (folder / "img" / "d.png").write_bytes(PNG)
    out = tmp_path / "public"
    _build(folder, out)
    old = _snapshot(out)
    cache = cache_of(tmp_path, out)
    saved = tmp_path / "saved"
    shutil.copytree(out, saved / "out")
    shutil.copytree(cache, saved / "cache")

    def reset():
        for live, copy in ((out, saved / "out"), (cache, saved / "cache")):
            shutil.rmtree(live)
            shutil.copytree(copy, live)

    (folder / "a.md").write_text(issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1), body="A new lead."))
    (folder / "c.md").unlink()
    (folder / "d.md").write_text(issue_text("Delta", "2026-05-04 07:00", id=ID.format(4),
                                            body="Lead.\n\n![d](img/d.png)"))
    labels: list[str] = []
    no_op, replace_mod.checkpoint = replace_mod.checkpoint, labels.append
    try:
        _build(folder, out)
    finally:
        replace_mod.checkpoint = no_op
    new = _snapshot(out)
    reset()
    assert old != new and "delta/img/d.png" in new and "gamma/index.html" in old and "gamma/index.html" not in new
    return folder, out, old, new, reset, labels


def _killed_build(folder: Path, out: Path, at: int, legacy: bool = False) -> None:
    """In a forked child: build, and SIGKILL itself at checkpoint number ``at``; ``legacy``:
    staging inside ``out`` as dispatch ≤ 0.3 did (``OUT/.dispatch-work``)."""
    calls = []
    if legacy:
        import dispatch.archive

        dispatch.archive.work_folder = lambda out: out / WORK_DIR

    def die(label):
        calls.append(label)
        if len(calls) == at:
            os.kill(os.getpid(), signal.SIGKILL)

    replace_mod.checkpoint = die
    _build(folder, out)
    os._exit(0)


def test_a_build_killed_at_every_step_leaves_old_or_new_and_no_temporary_file(tmp_path):
    folder, out, old, new, reset, labels = _scenario(tmp_path)
    kinds = {label.split()[0] for label in labels}
    assert kinds == {"staged", "backed", "journal", "replaced", "removed"}, labels
    assert len(labels) > 15
    fork = multiprocessing.get_context("fork")
    seen = {"old": 0, "new": 0}
    for at in range(1, len(labels) + 1):
        reset()
        child = fork.Process(target=_killed_build, args=(folder, out, at))
        child.start()
        child.join(60)
        assert child.exitcode == -signal.SIGKILL, (at, labels[at - 1], child.exitcode)
        # what the next run does first, under the lock: finish or discard
        with OutputLock(out):
            replace_mod.recover(out)
        after = _snapshot(out)
        assert after in (old, new), (at, labels[at - 1], set(after) ^ set(old), [k for k in after if after[k] != new.get(k)], set(after.get(MANIFEST, b"").splitlines()) ^ set(new.get(MANIFEST, b"").splitlines()))
        seen["old" if after == old else "new"] += 1
        committed = labels.index("journal written") + 1
        assert (after == new) == (at >= committed), (at, labels[at - 1])
        report = _build(folder, out)
        assert _snapshot(out) == new and _temporaries(out) == [], (at, labels[at - 1])
        assert report.warnings == []
    assert seen["old"] > 0 and seen["new"] > 0


def test_the_next_build_repairs_a_killed_one_by_itself(tmp_path):
    folder, out, old, new, reset, labels = _scenario(tmp_path)
    at = next(n for n, label in enumerate(labels, 1) if label.startswith("replaced")) + 1  # mid-replacement
    child = multiprocessing.get_context("fork").Process(target=_killed_build, args=(folder, out, at))
    child.start()
    child.join(60)
    assert (work_folder(out) / "journal").is_file() and not (out / WORK_DIR).exists()
    result = _cli(str(folder), "--out", str(out), "--now", NOW)
    assert result.exit_code == 0, result.output
    assert f"warning: {work_folder(out)}: finished the replacement of an interrupted build" in result.output
    assert _snapshot(out) == new and _temporaries(out) == []


def test_legacy_temporary_files_are_removed(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    out = tmp_path / "public"
    _build(folder, out)
    for rel in ("alpha/.index.html.k2j4h_x9.tmp", ".atom.xml.abcdefgh.tmp", "..dispatch-manifest.a1b2c3d4.tmp"):
        (out / rel).write_text("")
    (out / ".mine.txt.abcdefgh.tmp").write_text("not beside a file of that name: kept")
    _build(folder, out)
    assert [p.name for p in out.rglob("*.tmp")] == [".mine.txt.abcdefgh.tmp"]


@pytest.mark.parametrize("fail_at", [1, 3, "last"])
def test_a_failed_rename_rolls_back(tmp_path, monkeypatch, fail_at):
    folder, out, old, new, reset, labels = _scenario(tmp_path)
    real, calls = os.replace, []
    total = sum(1 for label in labels if label.startswith("replaced"))
    target = total if fail_at == "last" else fail_at

    def flaky(src, dst, *a, **kw):
        if WORK_DIR + "/stage/" in str(src):
            calls.append(dst)
            if len(calls) == target:
                raise PermissionError(1, "Operation not permitted")  # an immutable file (chattr +i)
        return real(src, dst, *a, **kw)

    monkeypatch.setattr(replace_mod.os, "replace", flaky)
    with pytest.raises(OutputError) as info:
        _build(folder, out)
    assert str(info.value) == f"{calls[-1]}: cannot replace the file: Operation not permitted; the folder is as it was"
    assert _snapshot(out) == old and _temporaries(out) == []


def test_two_builds_at_once_give_one_of_the_two_whole(tmp_path):
    def site(name: str, titles: list[str]) -> Path:
        return write_archive(tmp_path / name, {f"{t.lower()}.md": issue_text(t, f"2026-05-0{n + 1} 07:00",
                                                                              id=ID.format(n + 1))
                                               for n, t in enumerate(titles)})

    one = site("one", ["Alpha", "Beta", "Gamma"])
    two = site("two", ["Delta", "Epsilon"])
    expected = []
    for n, folder in enumerate((one, two)):
        solo = tmp_path / f"solo{n}"
        _build(folder, solo)
        expected.append(_snapshot(solo))
    out = tmp_path / "shared-out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for _ in range(2):
        racers = [subprocess.Popen([sys.executable, "-m", "dispatch", "build", str(f), "--out", str(out), "--now", NOW],
                                   env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE) for f in (one, two)]
        for racer in racers:
            _, err = racer.communicate(timeout=120)
            assert racer.returncode == 0, err.decode()
        after = _snapshot(out)
        assert after in expected, sorted(set(after) ^ set(expected[0]))
        assert _temporaries(out) == []
        pages = {p.parent.name for p in out.glob("*/index.html")} - {"tags"}
        assert pages in ({"alpha", "beta", "gamma"}, {"delta", "epsilon"})  # no orphan page


# issue 13: the process pool


def test_one_and_two_workers_give_byte_identical_output(tmp_path):
    folder = write_archive(tmp_path, {
        f"{n:02d}.md": issue_text(f"Issue {n}", f"2026-05-{n + 1:02d} 07:00", id=ID.format(n),
                                  tags=("news", f"t{n % 3}"), draft=n == 5,
                                  body=f"Lead {n}.\n\n![c](img/c{n % 2}.png)")
        for n in range(1, 13)})
    (folder / "img").mkdir()
    for n in range(2):
        (folder / "img" / f"c{n}.png").write_bytes(PNG + bytes([n]))
    (folder / "bad.md").write_text("---\ntitle: Bad\ndate: someday\n---\n\nBody.\n")
    trees, reports = [], []
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        reports.append(_build(folder, out, jobs=jobs, strict=False))
        trees.append(_snapshot(out))
    assert trees[0] == trees[1] and len(trees[0]) > 30
    assert reports[0].parsed == reports[1].parsed == 12
    assert reports[0].errors == reports[1].errors == [
        f"{folder / 'bad.md'}:3: cannot read date 'someday'; write it as YYYY-MM-DD or YYYY-MM-DD HH:MM "
        "(optionally with +HH:MM)"]
    assert reports[0].warnings == reports[1].warnings
    # with strict, the first bad issue in path order stops either way
    for jobs in (1, 2):
        with pytest.raises(Exception) as info:
            _build(folder, tmp_path / f"strict{jobs}", jobs=jobs)
        assert str(info.value).startswith(f"{folder / 'bad.md'}:3:")


def test_the_build_stages_beside_out_never_inside(tmp_path):
    folder, out, old, new, reset, labels = _scenario(tmp_path)
    seen = []

    def look(label):  # at every step of the replacement: nothing of dispatch's work under out
        seen.append((label, sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                                   if WORK_DIR in p.name or p.name.endswith(".tmp"))))

    replace_mod.checkpoint = look
    try:
        _build(folder, out)
    finally:
        replace_mod.checkpoint = lambda label: None
    assert len(seen) == len(labels) and all(found == [] for _, found in seen), [s for s in seen if s[1]]
    assert work_folder(out) == out.parent / ".public.dispatch-work"
    assert _snapshot(out) == new and not work_folder(out).exists()


def test_a_build_killed_under_the_old_layout_is_finished(tmp_path):
    folder, out, old, new, reset, labels = _scenario(tmp_path)
    at = next(n for n, label in enumerate(labels, 1) if label.startswith("replaced")) + 2  # mid-replacement
    child = multiprocessing.get_context("fork").Process(target=_killed_build, args=(folder, out, at, True))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    assert (out / WORK_DIR / "journal").is_file() and not work_folder(out).exists()
    assert _snapshot(out) not in (old, new)  # half replaced
    result = _cli(str(folder), "--out", str(out), "--now", NOW)
    assert result.exit_code == 0, result.output
    assert f"warning: {out / WORK_DIR}: finished the replacement of an interrupted build" in result.output
    assert _snapshot(out) == new and _temporaries(out) == []


def test_an_old_layout_build_killed_before_its_journal_is_discarded(tmp_path):
    folder, out, old, new, reset, labels = _scenario(tmp_path)
    at = labels.index("journal written")  # the last step before the commit point
    child = multiprocessing.get_context("fork").Process(target=_killed_build, args=(folder, out, at, True))
    child.start()
    child.join(60)
    assert (out / WORK_DIR / "stage").is_dir() and not (out / WORK_DIR / "journal").exists()
    with OutputLock(out):
        note = replace_mod.recover(out)
    assert note == f"{out / WORK_DIR}: removed what an interrupted build had staged; the folder held the previous build"
    assert _snapshot(out) == old and _temporaries(out) == []


def test_where_the_parent_cannot_hold_the_work_it_goes_inside_with_a_warning(tmp_path, monkeypatch):
    import dispatch.archive.lock as lock_mod

    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    out = tmp_path / "public"
    out.mkdir()
    monkeypatch.setattr(lock_mod.os, "access", lambda path, mode: False)  # e.g. /var/www not writable
    assert work_folder(out) == out / WORK_DIR
    report = _build(folder, out)
    assert report.warnings == [f"{out / WORK_DIR}: staging inside the output folder (its parent is on another file "
                               f"system or not writable), so a deploy that copies {out} while a build runs must leave "
                               f"{WORK_DIR}/ out"]
    assert "alpha/index.html" in report.changed and _temporaries(out) == []
