"""One build at a time per output folder: an exclusive ``flock(2)`` on the folder itself, held
for the whole build and released by the kernel when the process ends (a ``kill -9`` included,
so a lock is never left stale). The descriptor is close-on-exec and the build's worker
processes are spawned, not forked (see :mod:`dispatch.archive.sources`), so no other process
shares it: the lock dies with the build that took it. While it is held, ``OUT/.dispatch-work/holder`` names the
process (``pid``, start time in UTC) so that a second build can say who it waits for.

A second build waits up to ``wait`` seconds for the first to finish, then stops with one line
naming the holder (:class:`LockError`). Once it holds the lock it repairs what a killed build
left (see :mod:`dispatch.archive.replace`) before it reads anything from the folder.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path

from .report import OutputError

#: Dispatch's own working folder inside the output folder: present only while a build runs
#: (the holder, the staged files and the replacement journal), or after one was killed.
WORK_DIR = ".dispatch-work"
#: How often a waiting build tries the lock again (seconds).
POLL = 0.1


class LockError(OutputError):
    """Another build holds the output folder's lock and did not finish within the wait."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _openers(out: Path) -> list[int]:
    """Pids of the processes (other than this one) holding ``out`` open, from ``/proc``
    (Linux; empty elsewhere or where it cannot be read)."""
    try:
        target = os.path.realpath(out)
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
    except OSError:
        return []
    found = []
    for pid in pids:
        try:
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") == target for fd in os.listdir(f"/proc/{pid}/fd")):
                found.append(pid)
        except OSError:
            continue
    return sorted(found)


def holder(out: Path) -> str:
    """Who holds ``out``'s lock, as written in its holder file (``"pid 123, started
    2026-06-01T07:00:00Z"``), or ``"another build"`` when it cannot be read. When the pid
    written there has ended (a build that is just starting, or a process an old dispatch
    left holding the lock), the processes holding the folder open are named instead."""
    try:
        with open(out / WORK_DIR / "holder", "rb") as fh:
            text = fh.read(200).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    line = text.splitlines()[0] if text else ""
    m = re.match(r"pid (\d+)", line)
    if m and _alive(int(m.group(1))):
        return line
    live = _openers(out)
    if live:
        return "pid " + ", ".join(map(str, live)) + (f"; the holder file names {line}, which has ended" if m else "")
    return line or "another build"


class OutputLock:
    """An exclusive lock on output folder ``out`` (a context manager).

    Entering creates ``out`` when it does not exist (and remembers that it did, see
    :attr:`created`), then takes the lock, waiting up to ``wait`` seconds.

    Raises (on entering):
        LockError: the lock is still held by another process after ``wait`` seconds; the
            message names that process.
        OutputError: ``out`` cannot be created or opened.
    """

    def __init__(self, out: Path, wait: float = 0.0, on_wait=None):
        self.out = out
        self.wait = wait
        self.on_wait = on_wait
        self.fd: int | None = None
        self.created = False

    def __enter__(self) -> "OutputLock":
        try:
            if not self.out.exists():
                self.out.mkdir(parents=True)
                self.created = True
            self.fd = os.open(self.out, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise OutputError(f"cannot open the output folder: {exc.strerror}", self.out) from None
        deadline = time.monotonic() + self.wait
        told = False
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                pass
            if time.monotonic() >= deadline:
                who = holder(self.out)
                os.close(self.fd)
                self.fd = None
                raise LockError(f"another build is writing this folder ({who}); wait for it to finish, "
                                "or pass --wait SECONDS to queue behind it", self.out)
            if not told and self.on_wait is not None:
                self.on_wait(holder(self.out))
                told = True
            time.sleep(POLL)

    def write_holder(self) -> None:
        """Create the work folder and write the holder file in it (call once a killed
        build's work folder has been dealt with).

        Raises:
            OutputError: the folder cannot be written.
        """
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            (self.out / WORK_DIR).mkdir()
            (self.out / WORK_DIR / "holder").write_text(f"pid {os.getpid()}, started {stamp}\n", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot write to the output folder: {exc.strerror}", self.out / WORK_DIR) from None

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
