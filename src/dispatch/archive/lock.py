"""One build at a time per output folder: an exclusive ``flock(2)`` on the folder itself, held
for the whole build and released by the kernel when the process ends (a ``kill -9`` included,
so a lock is never left stale). The descriptor is close-on-exec, and a worker process the
build forks closes its copy first thing (:func:`close_inherited`) and dies with the build
(see :mod:`dispatch.archive.sources`), so no other process keeps it: the lock dies with the
build that took it. While it is held, ``holder`` in the build's work folder
(:func:`work_folder`, beside ``OUT``) names the process (``pid``, start time in UTC) so that a
second build can say who it waits for.

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

#: Dispatch's own working folder (the holder, the staged files and the replacement journal),
#: present only while a build runs or after one was killed: ``.<out name>.dispatch-work`` beside
#: the output folder (:func:`work_folder`); ``OUT/.dispatch-work`` is where dispatch ≤ 0.3 kept
#: it, and where it still goes when the folder beside cannot hold it.
WORK_DIR = ".dispatch-work"


def work_folder(out: Path) -> Path:
    """The work folder of builds of ``out`` (an existing folder): ``.<name>.dispatch-work``
    beside it (``public/`` → ``.public.dispatch-work/``), so the served folder never holds a
    half-written tree, even while a deploy copies it mid-build. Beside the folder's real path
    (a symlinked ``out`` stages beside its target), and only when that parent is on the same
    file system (every staged file then reaches its target by ``rename(2)``) and writable;
    else inside, at ``OUT/.dispatch-work`` (the build says so: :func:`staged_inside`).
    Every build of ``out`` finds the same folder."""
    real = Path(os.path.realpath(out))
    try:
        if (real.parent != real and os.stat(real.parent).st_dev == os.stat(real).st_dev
                and os.access(real.parent, os.W_OK | os.X_OK)):
            return real.parent / f".{real.name}{WORK_DIR}"
    except OSError:
        pass
    return out / WORK_DIR


def staged_inside(out: Path, work: Path) -> str | None:
    """A warning when ``work`` (from :func:`work_folder`) is inside ``out``, else ``None``."""
    if work != out / WORK_DIR:
        return None
    return (f"{work}: staging inside the output folder (its parent is on another file system or not writable), "
            f"so a deploy that copies {out} while a build runs must leave {WORK_DIR}/ out")
#: How often a waiting build tries the lock again (seconds).
POLL = 0.1


#: Descriptors this process holds output-folder locks with (a forked child inherits them).
_held: set[int] = set()


def close_inherited() -> None:
    """Close, in a forked child, the descriptors its parent holds output-folder locks with:
    an ``flock(2)`` lock belongs to the open file, so the child's copy would keep it held
    after the parent ended. Closing a copy does not release the parent's lock."""
    while _held:
        try:
            os.close(_held.pop())
        except OSError:
            pass


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
    text = ""
    for work in dict.fromkeys((work_folder(out), out / WORK_DIR)):  # an older dispatch writes inside
        try:
            with open(work / "holder", "rb") as fh:
                text = fh.read(200).decode("utf-8", "replace").strip()
            break
        except OSError:
            continue
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
            try:
                self.out.mkdir(parents=True)
                self.created = True
            except FileExistsError:  # there already, or made by a build starting at the same instant
                pass
            self.fd = os.open(self.out, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise OutputError(f"cannot open the output folder: {exc.strerror}", self.out) from None
        deadline = time.monotonic() + self.wait
        told = False
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                _held.add(self.fd)
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

    def write_holder(self, work: Path | None = None) -> None:
        """Create the work folder ``work`` (default :func:`work_folder`) and write the holder
        file in it (call once a killed build's work folder has been dealt with).

        Raises:
            OutputError: the folder cannot be written.
        """
        work = work or work_folder(self.out)
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            work.mkdir()
            (work / "holder").write_text(f"pid {os.getpid()}, started {stamp}\n", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot write dispatch's work folder: {exc.strerror}", work) from None

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            _held.discard(self.fd)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
