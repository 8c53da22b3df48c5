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


def test_watch_prints_changed_sizes(tmp_path):
    (tmp_path / "dispatch.toml").write_text('base_url = "https://w.example/"\nemail = "w@w.example"\n', encoding="utf-8")
    issue = tmp_path / "a.md"
    issue.write_text("---\ntitle: W\ndate: 2026-01-01\n---\nLead.\n\n## Bottom Line\n\nShort.\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "dispatch", "watch", "a.md", "--out", "dist", "--eml",
                             "--platform", "mailchimp"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
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
        proc.wait(timeout=10)


def test_watch_a_missing_file_or_a_folder_exits_2_at_once(tmp_path):
    (tmp_path / "issues").mkdir()
    for target, message in [("issues/nope.md", "issues/nope.md: no such issue file; check the path (issues live in "
                                               "issues/)"),
                            ("issues", "issues: is a folder; watch takes one issue file (dispatch preview serves a "
                                       "whole folder)")]:
        proc = subprocess.run([sys.executable, "-m", "dispatch", "watch", target], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
        assert (proc.returncode, proc.stderr, proc.stdout) == (2, message + "\n", "")
