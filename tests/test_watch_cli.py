"""dispatch watch: says what it watches, prints a timestamped line per re-render with the
sizes that changed, and takes --platform and --eml."""

from __future__ import annotations

import os
import re
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path


def _reader(proc: subprocess.Popen) -> "queue.Queue[str]":
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    return lines


def _line(lines: "queue.Queue[str]", timeout: float = 20) -> str:
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError("watch printed nothing in time") from None


def _as_in_a_terminal() -> None:
    """In the child: SIGINT as a terminal leaves it (default). A test run started in the
    background by a non-interactive shell (`sh -c 'pytest &'`, as CI scripts and load
    generators do) has SIGINT ignored, the child inherits that, and Python then never turns
    SIGINT into KeyboardInterrupt: the cause of this test's old 'takes > 10 s to exit'."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _watch(tmp_path: Path, *args: str, sigint=_as_in_a_terminal) -> subprocess.Popen:
    (tmp_path / "dispatch.toml").write_text('base_url = "https://w.example/"\nemail = "w@w.example"\n', encoding="utf-8")
    (tmp_path / "a.md").write_text("---\ntitle: W\ndate: 2026-01-01\n---\nLead.\n\n## Bottom Line\n\nShort.\n",
                                   encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "dispatch", "watch", "a.md", "--out", "dist", *args], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, preexec_fn=sigint,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_watch_prints_changed_sizes(tmp_path):
    proc = _watch(tmp_path, "--eml", "--platform", "mailchimp")
    issue = tmp_path / "a.md"
    lines = _reader(proc)
    try:
        assert _line(lines) == "watching a.md, dispatch.toml; writing dist/<slug>/ (Ctrl-C stops)\n"
        first = _line(lines)
        assert re.match(r"^\d\d:\d\d:\d\d  rendered dist/w/: email\.html [\d,]+ bytes; ", first), first
        assert "message.eml" in first
        assert "*|UNSUB|*" in (tmp_path / "dist" / "w" / "email.html").read_text(encoding="utf-8")
        sizes = {p.name: p.stat().st_size for p in (tmp_path / "dist" / "w").iterdir()}
        issue.write_text(issue.read_text(encoding="utf-8").replace("Lead.", "Lead, longer."), encoding="utf-8")
        second = _line(lines)
        grown = {p.name: p.stat().st_size - sizes[p.name] for p in (tmp_path / "dist" / "w").iterdir()}
        assert f"email.txt {sizes['email.txt'] + grown['email.txt']:,} bytes (+{grown['email.txt']})" in second
        assert "thread.json" not in second or grown["thread.json"]  # only what changed is listed
        assert re.match(r"^\d\d:\d\d:\d\d  rendered dist/w/: ", second)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_sigterm_stops_watch_like_ctrl_c_even_with_sigint_ignored(tmp_path):
    proc = _watch(tmp_path, sigint=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # started in the background
    lines = _reader(proc)
    try:
        assert _line(lines).startswith("watching a.md")
        assert "rendered dist/w/" in _line(lines)
        proc.send_signal(signal.SIGINT)  # ignored, as POSIX says for a background job
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0  # a clean stop (the default action would end it with -15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [p.name for p in (tmp_path / "dist").iterdir()] == ["w"]  # nothing half-written left


def test_watch_a_missing_file_or_a_folder_exits_2_at_once(tmp_path):
    (tmp_path / "issues").mkdir()
    for target, message in [("issues/nope.md", "issues/nope.md: no such issue file; check the path (issues live in "
                                               "issues/)"),
                            ("issues", "issues: is a folder; watch takes one issue file (dispatch preview serves a "
                                       "whole folder)")]:
        proc = subprocess.run([sys.executable, "-m", "dispatch", "watch", target], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
        assert (proc.returncode, proc.stderr, proc.stdout) == (2, message + "\n", "")
