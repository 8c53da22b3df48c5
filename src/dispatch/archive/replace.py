"""Step 9: replace the output folder's files, crash-safe and all or nothing.

Everything happens in the build's work folder, ``.<out name>.dispatch-work/`` beside ``OUT``
(:func:`~dispatch.archive.lock.work_folder`; on the folder's own file system, so every rename is
atomic, and outside the served folder, so a deploy copying ``OUT`` mid-build never sees it):

1. *stage*: every changed output is written to ``stage/<n>``; the manifest is staged last;
2. *back up*: every target about to be replaced is hard-linked (copied where links are not
   possible) to ``old/<n>``;
3. *commit point*: ``journal`` (JSON: each staged file's target, the stale files to remove
   with the SHA-256 they must still hold) is written to a temporary name and renamed into
   place — before that instant the folder is untouched, after it the build is decided;
4. *apply*: each staged file is renamed onto its target (``rename(2)``: a reader sees the
   old bytes or the new, never a partial file), the manifest last; then the stale files are
   removed;
5. *finish*: the staged files and backups are removed, then the journal.

A failure in step 4 first rewrites the journal as a roll-back (so that a build killed while
rolling back is rolled back again by the next one, never forward).

A failure in step 4 (a rename refused: an immutable file, a full disk for a folder) moves
every backup back, removes the files it had added, and raises :class:`OutputError`: the
folder is as it was. A build killed at any instant (``kill -9``, a power cut of the process)
is repaired by the next one, under the lock, before it reads the folder
(:func:`recover`): with no journal the work folder is discarded (the old build stays); with
a journal the replacement is finished (the new build). Either way no file of dispatch's is
left behind. A work folder an older dispatch left inside ``OUT`` (``OUT/.dispatch-work/``) is
repaired the same way.

:data:`checkpoint` is called between every two steps (each file staged, backed up, renamed
or removed): the fault-injection tests kill the process there.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from pathlib import Path
from typing import Callable

from .lock import WORK_DIR, work_folder
from .manifest import MANIFEST, safe_relative
from .record import file_sha
from .report import BuildReport, OutputError

JOURNAL = "journal"
JOURNAL_VERSION = 1
#: Called with a label between every two steps of a replacement (tests kill the process there).
checkpoint: Callable[[str], None] = lambda label: None
#: Temporary files of dispatch versions before the work folder (``.index.html.ab12cd_x.tmp``
#: beside the target, from :func:`tempfile.mkstemp`).
_LEGACY_TEMP = re.compile(r"\.(.+)\.[A-Za-z0-9_]{8}\.tmp")


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


class Replacement:
    """One build's replacement of the files of ``out`` (see the module docstring).

    Use: :meth:`open`, :meth:`stage` each changed file (bytes or a file to copy), then
    :meth:`commit`; :meth:`discard` when the build stops before committing.
    """

    def __init__(self, out: Path, work: Path | None = None):
        self.out = out
        self.work = work or work_folder(out)
        self.ops: list[tuple[str, str]] = []  # (stage name, target rel), in apply order
        self._n = 0

    def open(self) -> None:
        """Create the (empty) work folder.

        Raises:
            OutputError: it cannot be created.
        """
        try:
            (self.work / "stage").mkdir(parents=True)
            (self.work / "old").mkdir()
        except OSError as exc:
            raise OutputError(f"cannot create dispatch's work folder: {exc.strerror}", self.work) from None

    def new_stage_file(self) -> tuple[str, Path]:
        """A fresh ``(name, path)`` in the stage folder for a file to be written there."""
        self._n += 1
        name = str(self._n)
        return name, self.work / "stage" / name

    def stage(self, rel: str, data: bytes | Path) -> None:
        """Write ``data`` (bytes, or a file to copy byte for byte) to a stage file that will
        replace ``out/rel``.

        Raises:
            OutputError: the stage file cannot be written (no space, no permission); naming
                ``out/rel``.
        """
        name, path = self.new_stage_file()
        try:
            with open(path, "wb") as fh:
                if isinstance(data, Path):
                    with data.open("rb") as src:
                        shutil.copyfileobj(src, fh)
                else:
                    fh.write(data)
            os.chmod(path, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot write the file: {exc.strerror}", self.out / rel) from None
        self.adopt(rel, name)

    def adopt(self, rel: str, name: str) -> None:
        """Take the already written stage file ``name`` as the new ``out/rel``."""
        self.ops.append((name, rel))
        checkpoint(f"staged {rel}")

    def discard(self) -> None:
        """Remove everything staged (nothing in ``out`` was touched)."""
        _rmtree(self.work / "stage")
        _rmtree(self.work / "old")

    def commit(self, remove: dict[str, str], report: BuildReport) -> None:
        """Back up, write the journal, rename every staged file into place, then remove the
        ``remove`` files (relative path → the SHA-256 they must still hold; a file changed
        since, or that cannot be removed, is left with a warning) and the folders they leave
        empty, adding each to ``report.removed``.

        Raises:
            OutputError: a target cannot be backed up or replaced; everything replaced so far
                is put back and the folder is as it was.
        """
        backups: list[tuple[str, str]] = []  # (target rel, backup name)
        try:
            for n, (_, rel) in enumerate(self.ops):
                target = self.out / rel
                if target.is_file() and not target.is_symlink():
                    backup = self.work / "old" / str(n)
                    try:
                        os.link(target, backup)
                    except OSError:
                        shutil.copy2(target, backup)
                    backups.append((rel, str(n)))
                    checkpoint(f"backed up {rel}")
            _write_journal(self.work, self.ops, remove)
        except OSError as exc:
            self.discard()
            raise OutputError(f"cannot prepare the replacement: {exc.strerror}", self.work) from None
        checkpoint("journal written")
        done: list[str] = []  # target rels replaced, in order
        created: list[Path] = []  # folders made for them, outermost first
        current = self.out
        try:
            for name, rel in self.ops:
                current = self.out / rel
                _make_folders(self.out, current.parent, created)
                os.replace(self.work / "stage" / name, current)
                done.append(rel)
                checkpoint(f"replaced {rel}")
        except OSError as exc:
            self._roll_back(done, dict(backups), created)
            raise OutputError(f"cannot replace the file: {exc.strerror}; the folder is as it was", current) from None
        _remove_files(self.out, remove, report)
        _finish(self.work)

    def _roll_back(self, done: list[str], backups: dict[str, str], created: list[Path]) -> None:
        """Undo the renames of ``done``: first the journal is rewritten to say so (a build
        killed while rolling back is rolled back by the next one, never forward), then each
        backup is put back and each file this build added removed, newest first, then the
        folders made for them; then the work files go."""
        try:
            _write_journal(self.work, [], {}, back=[[rel, backups.get(rel, "")] for rel in done])
        except OSError:
            pass
        _undo(self.out, self.work, [(rel, backups.get(rel, "")) for rel in done])
        for folder in reversed(created):
            try:
                folder.rmdir()
            except OSError:
                pass
        _finish(self.work)


def _undo(out: Path, work: Path, back: list[tuple[str, str]]) -> None:
    """Put back ``(target rel, backup name)`` pairs, newest first: a backup is renamed onto
    its target, a target without one (added by the build) is removed. Idempotent."""
    for rel, backup in reversed(back):
        target = out / rel
        try:
            if backup:
                if (work / "old" / backup).is_file():
                    os.replace(work / "old" / backup, target)
            else:
                target.unlink(missing_ok=True)
        except OSError:
            pass


def _make_folders(out: Path, folder: Path, created: list[Path] | None = None) -> None:
    """Create ``folder`` (inside ``out``) and its missing parents, adding each one made to
    ``created`` (outermost first) as soon as it exists."""
    missing = []
    while folder != out and not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for d in reversed(missing):
        d.mkdir()
        if created is not None:
            created.append(d)


def _write_journal(work: Path, ops: list[tuple[str, str]], remove: dict[str, str],
                   back: list[list[str]] | None = None) -> None:
    """Write the journal atomically (temporary name, fsync, rename): forward (``ops`` to
    apply, ``remove`` to delete) or, with ``back``, a roll-back of ``[target, backup]``."""
    data = json.dumps({"version": JOURNAL_VERSION, "ops": [list(op) for op in ops],
                       "remove": [[rel, remove[rel]] for rel in sorted(remove)],
                       "back": back or []}).encode("utf-8")
    tmp = work / (JOURNAL + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, work / JOURNAL)


def _pairs(value: object) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        return []
    return [(a, b) for a, b in (v for v in value if isinstance(v, list) and len(v) == 2)
            if isinstance(a, str) and isinstance(b, str)]


def _read_journal(work: Path) -> dict | None:
    """The journal (``ops``, ``remove``, ``back``), or ``None`` when there is no valid one
    (a build killed before its commit point). Every path is checked like a manifest path
    and every name like one dispatch gives its staged files."""
    try:
        with open(work / JOURNAL, "rb") as fh:
            data = json.loads(fh.read(64 * 2**20))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("version") != JOURNAL_VERSION:
        return None
    return {
        "ops": [(n, r) for n, r in _pairs(data.get("ops")) if re.fullmatch(r"[a-z]*[0-9]+", n) and (safe_relative(r) or r == MANIFEST)],
        "remove": {r: s for r, s in _pairs(data.get("remove")) if safe_relative(r) and re.fullmatch(r"[0-9a-f]{64}", s)},
        "back": [(r, b) for r, b in _pairs(data.get("back")) if safe_relative(r) and (b == "" or b.isdigit())],
    }


def _remove_files(out: Path, remove: dict[str, str], report: BuildReport | None) -> None:
    for rel in sorted(remove):
        target = out / rel
        try:
            if target.is_symlink() or not target.is_file():
                continue
            if file_sha(target.read_bytes()) != remove[rel]:
                if report is not None:
                    report.warnings.append(f"{target}: no longer produced by the build, but changed since dispatch "
                                           "wrote it; left in place (remove it yourself if it should go)")
                continue
            target.unlink()
        except OSError as exc:
            if report is not None:
                report.warnings.append(f"{target}: no longer produced, but cannot be removed ({exc.strerror})")
            continue
        checkpoint(f"removed {rel}")
        if report is not None:
            report.removed.append(rel)
        folder = target.parent
        while folder != out:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent


def _finish(work: Path) -> None:
    """Remove the staged files and backups, then the journal (so that a build killed in
    between is still finished, not discarded, by the next one)."""
    _rmtree(work / "stage")
    _rmtree(work / "old")
    try:
        os.unlink(work / JOURNAL)
    except FileNotFoundError:
        pass
    checkpoint("journal removed")


def discard_work(out: Path, work: Path | None = None) -> None:
    """Remove ``out``'s work folder (``work``, default :func:`work_folder`) unless it holds a
    committed journal (which the next build finishes)."""
    work = work or work_folder(out)
    if work.is_dir() and not work.is_symlink() and not (work / JOURNAL).exists():
        _rmtree(work)


def recover(out: Path, work: Path | None = None) -> str | None:
    """Repair what a killed build left in ``out`` (call with the lock held): finish a
    committed replacement, else discard the work folder; first one an older dispatch left
    inside ``out`` (``OUT/.dispatch-work``), then the current one (``work``, default
    :func:`work_folder`); remove the temporary files older versions of dispatch left beside
    their targets.

    Returns:
        one line for the report when something was repaired (two joined by ``; `` when both
        work folders held something), else ``None``.

    Raises:
        OutputError: a committed replacement cannot be finished (the next run tries again).
    """
    notes = [note for folder in dict.fromkeys((out / WORK_DIR, work or work_folder(out)))
             if (note := _recover_work(out, folder))]
    _remove_legacy_temps(out)
    return "; ".join(notes) or None


def _recover_work(out: Path, work: Path) -> str | None:
    """:func:`recover` for one work folder."""
    note = None
    if os.path.lexists(work):
        if work.is_symlink() or not work.is_dir():
            raise OutputError("is in the way of dispatch's work folder; remove it (it is not dispatch's)", work)
        journal = _read_journal(work)
        if journal is None:
            note = f"{work}: removed what an interrupted build had staged; the folder held the previous build"
        elif journal["back"]:
            _undo(out, work, journal["back"])
            note = f"{work}: finished rolling back a build that had failed; the folder holds the previous build"
        else:
            rel = ""
            try:
                for name, rel in journal["ops"]:
                    staged = work / "stage" / name
                    if staged.is_file():
                        target = out / rel
                        _make_folders(out, target.parent)
                        os.replace(staged, target)
            except OSError as exc:
                raise OutputError(f"cannot finish the build that was interrupted: {exc.strerror}", out / rel) from None
            _remove_files(out, journal["remove"], None)
            note = f"{work}: finished the replacement of an interrupted build"
        _finish(work)
        _rmtree(work)
    return note


def _remove_legacy_temps(out: Path) -> None:
    """Remove ``.<name>.<8 chars>.tmp`` files that dispatch ≤ 0.1 left beside its outputs
    when it was killed (only beside a file of that name, or where the manifest goes)."""
    for folder, dirs, files in os.walk(out):
        dirs[:] = [d for d in dirs if d != WORK_DIR]
        names = set(files)
        for name in files:
            m = _LEGACY_TEMP.fullmatch(name)
            if m and (m.group(1) in names or m.group(1) in (".dispatch-manifest", "index.json")):
                try:
                    os.unlink(os.path.join(folder, name))
                except OSError as exc:
                    if exc.errno != errno.ENOENT:
                        raise OutputError(f"cannot remove a temporary file: {exc.strerror}",
                                          Path(folder) / name) from None
