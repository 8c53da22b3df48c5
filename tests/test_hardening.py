"""Adversarial findings on main, each reproduced: a build killed with ``kill -9`` mid-run
leaves no worker and no lock behind."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dispatch.archive import MANIFEST, WORK_DIR, work_folder

from test_build_support import issue_text, write_archive

NOW = "2026-06-01T00:00:00Z"
ID = "urn:uuid:00000000-0000-4000-8000-{:012d}"


def _children(pid: int) -> set[int]:
    """Pids whose parent is ``pid`` (from ``/proc``)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _dispatch(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-m", "dispatch", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)


def test_kill_9_of_a_build_with_two_jobs_leaves_no_worker_and_no_lock(tmp_path):
    folder = write_archive(tmp_path, {
        f"{n:03d}.md": issue_text(f"Issue {n}", f"2026-0{1 + n % 5}-{1 + n % 28:02d} 07:00", id=ID.format(n),
                                  body=f"Lead {n}.\n\n" + "A paragraph of the briefing. " * 40)
        for n in range(400)})
    out = tmp_path / "out"
    build = _dispatch("build", str(folder), "--out", str(out), "--now", NOW, "--jobs", "2")
    out.mkdir()
    stage = work_folder(out) / "stage"
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and build.poll() is None:
        workers |= _children(build.pid)
        if len(workers) >= 2 and stage.is_dir() and len(list(stage.iterdir())) >= 5:
            break
        time.sleep(0.02)
    assert build.poll() is None, "the build finished before it could be killed: make the archive bigger"
    assert len(workers) >= 2, workers
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    left = [w for w in workers if _alive(w)]
    for w in left:  # do not leak them into the rest of the run when this fails
        os.kill(w, signal.SIGKILL)
    assert left == []
    # the next build takes the lock at once (no waiting) and finishes whole
    again = _dispatch("build", str(folder), "--out", str(out), "--now", NOW, "--jobs", "2", "--wait", "0")
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()
    manifest = dict(line.split("  ", 1)[::-1] for line in (out / MANIFEST).read_text().splitlines())
    files = {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in out.rglob("*") if p.is_file() and p.name != MANIFEST}
    assert files == manifest and len(files) > 400
    assert not (out / WORK_DIR).exists() and not work_folder(out).exists() and not [p for p in out.rglob("*.tmp")]


def test_a_lock_left_with_a_process_whose_build_ended_names_that_process(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    out = tmp_path / "out"
    out.mkdir()
    work_folder(out).mkdir()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (work_folder(out) / "holder").write_text(f"pid {gone.pid}, started 2026-06-01T00:00:00Z\n")
    keeper = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY);"
                               " fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", str(out)],
                              stdout=subprocess.PIPE)
    try:
        assert keeper.stdout.readline() == b"held\n"
        refused = _dispatch("build", str(folder), "--out", str(out), "--now", NOW, "--wait", "0")
        _, err = refused.communicate(timeout=120)
    finally:
        keeper.kill()
        keeper.wait()
    assert refused.returncode != 0
    assert f"(pid {keeper.pid}; the holder file names pid {gone.pid}, started 2026-06-01T00:00:00Z, which has ended)" \
        in err.decode()
    done = _dispatch("build", str(folder), "--out", str(out), "--now", NOW, "--wait", "0")
    _, err = done.communicate(timeout=120)
    assert done.returncode == 0, err.decode()


def _laughs() -> str:
    lines = ["---", "title: Laughs", "date: 2026-05-01", 'a: &a ["x","x"]']
    for prev, name in zip("abcdef", "bcdefg"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    lines.append("h: [" + ", ".join(["*g"] * 9) + "]")
    return "\n".join([*lines, "---", "", "Body text.", ""])


def _limited():
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB: expanding the aliases needs far more


def test_billion_laughs_front_matter_is_one_error_fast_and_in_bounded_memory(tmp_path):
    issue = tmp_path / "laughs.md"
    issue.write_text(_laughs(), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for command in ("render", "check"):
        done = subprocess.run([sys.executable, "-m", "dispatch", command, str(issue)], env=env, capture_output=True,
                              text=True, timeout=60, preexec_fn=_limited)
        assert done.returncode == 2, done.stderr
        errors = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith(str(issue))]
        assert errors == [f"{issue}:8: 'e' makes the front matter stand for more than 10000 values through YAML "
                          "aliases (*name); write the values out plainly"]
        assert "Traceback" not in done.stderr


def test_a_published_issue_broken_and_marked_draft_is_withdrawn_a_broken_one_kept_and_both_said(tmp_path):
    from click.testing import CliRunner

    from dispatch.cli import main

    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1)),
        "b.md": issue_text("Beta Secret", "2026-05-02 07:00", id=ID.format(2), tags=("news", "embargo")),
        "c.md": issue_text("Gamma", "2026-05-03 07:00", id=ID.format(3)),
    })
    out = tmp_path / "public"
    build = ["build", str(folder), "--out", str(out), "--now", NOW]
    assert CliRunner().invoke(main, build).exit_code == 0
    assert (out / "beta-secret" / "index.html").is_file() and (out / "tags" / "embargo").is_dir()
    # Beta: an unquoted impossible date (YAML itself fails) and draft: true; Gamma: broken only
    (folder / "b.md").write_text(issue_text("Beta Secret", "2026-13-06", id=ID.format(2), draft=True,
                                            tags=("news", "embargo")))
    (folder / "c.md").write_text(issue_text("Gamma", "2026-13-06", id=ID.format(3)))
    result = CliRunner().invoke(main, build)
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert f"warning: {folder / 'b.md'}:5: the file cannot be read but is marked draft; its last published " \
        "version (beta-secret/) is withdrawn" in lines
    assert f"warning: {folder / 'c.md'}: the file cannot be read; its last published version (gamma/) is kept " \
        "until it reads again" in lines
    assert any(line.startswith("2 published (1 of them as last published), 0 drafts")
               and ", 2 unreadable, 1 withdrawn (marked draft) in " in line for line in lines), \
        result.output
    assert not (out / "beta-secret").exists() and not (out / "tags" / "embargo").exists()
    published = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"Beta Secret" not in published and b"Gamma" in published
    assert (out / "gamma" / "index.html").is_file()


def test_a_forked_child_that_outlives_the_build_does_not_keep_the_lock(tmp_path):
    from dispatch.archive.lock import OutputLock, close_inherited

    out = tmp_path / "out"
    ready_r, ready_w = os.pipe()
    build = os.fork()
    if build == 0:  # the "build": takes the lock, forks a child that lives on, and waits to be killed
        try:
            lock = OutputLock(out).__enter__()
            child = os.fork()
            if child == 0:
                close_inherited()
                os.write(ready_w, str(os.getpid()).encode() + b"\n")
                time.sleep(30)
                os._exit(0)
            time.sleep(30)
        finally:
            os._exit(1)
    os.close(ready_w)
    child = int(os.read(ready_r, 100).decode())
    os.close(ready_r)
    try:
        os.kill(build, signal.SIGKILL)
        os.waitpid(build, 0)
        assert _alive(child)
        with OutputLock(out, wait=0):  # at once, though the child holds a copy of the descriptor no more
            pass
    finally:
        os.kill(child, signal.SIGKILL)
