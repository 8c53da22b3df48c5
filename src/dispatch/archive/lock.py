"""One build at a time per output folder: an exclusive ``flock(2)`` on the folder itself, held
for the whole build and released by the kernel when the process ends (a ``kill -9`` included,
so a lock is never left stale). While it is held, ``OUT/.dispatch-work/holder`` names the
process (``pid``, start time in UTC) so that a second build can say who it waits for.

A second build waits up to ``wait`` seconds for the first to finish, then stops with one line
naming the holder (:class:`LockError`). Once it holds the lock it repairs what a killed build
left (see :mod:`dispatch.archive.replace`) before it reads anything from the folder.
"""

from __future__ import annotations

import fcntl
import os
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


def holder(out: Path) -> str:
    """Who holds ``out``'s lock, as written in its holder file (``"pid 123, started
    2026-06-01T07:00:00Z"``), or ``"another build"`` when it cannot be read."""
    try:
        with open(out / WORK_DIR / "holder", "rb") as fh:
            text = fh.read(200).decode("utf-8", "replace").strip()
    except OSError:
        return "another build"
    return text.splitlines()[0] if text else "another build"


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
