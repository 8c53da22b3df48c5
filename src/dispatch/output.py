"""Atomic writing of an output folder: everything is written into a temporary folder next to
the target, then moved into place, so a failed run never leaves a half-written folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

from .errors import DispatchError


#: Lists the top-level names a render wrote into its folder, so a later render may replace
#: them (and only them).
MANIFEST = ".dispatch-output"


def _manifest(folder: Path) -> set[str]:
    try:
        return {line for line in (folder / MANIFEST).read_text(encoding="utf-8").splitlines() if line}
    except (OSError, UnicodeDecodeError):
        return set()


def write_folder(target: Path, files: dict[str, bytes], *, replaceable: Iterable[str] = (),
                 protect: Iterable[Path] = ()) -> dict[str, int]:
    """Replace folder ``target`` by one holding ``files`` (name → bytes), atomically.

    Names may contain ``/`` (``img/chart.png``). An existing ``target`` is replaced only when
    it holds nothing but names in ``files``, ``replaceable`` or its :data:`MANIFEST` (what the
    previous render wrote); a folder holding anything else, or any path in ``protect`` (the
    source file), is never replaced.

    Returns:
        name → size in bytes of each file written.

    Raises:
        DispatchError: the output folder cannot be created or replaced (permissions, a file
            in the way, a folder holding other files), naming the folder.
    """
    allowed = {name.split("/")[0] for name in (*files, *replaceable)} | {MANIFEST}
    resolved = target.resolve()
    for path in protect:
        if resolved == path.resolve() or resolved in path.resolve().parents:
            raise DispatchError(f"the output folder would replace {path}; choose another --out", target)
    if target.is_dir():
        allowed |= _manifest(target)
        foreign = sorted(p.name for p in target.iterdir() if p.name not in allowed)
        if foreign:
            raise DispatchError(
                f"holds files dispatch did not write ({', '.join(foreign[:3])}); move them or choose another --out",
                target,
            )
    files = {**files, MANIFEST: ("\n".join(sorted({n.split("/")[0] for n in files})) + "\n").encode("utf-8")}
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise DispatchError(f"cannot create the output folder: {exc.strerror}", parent) from None
    try:
        for name, data in files.items():
            path = tmp / name
            if "/" in name:
                path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        os.chmod(tmp, 0o755)
        old = None
        if target.exists():
            if not target.is_dir():
                raise DispatchError("exists and is not a folder; remove it or choose another --out", target)
            old = parent / f".{target.name}.old.{os.getpid()}"
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DispatchError(f"cannot write the output folder: {exc.strerror}", target) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {name: len(data) for name, data in files.items() if name != MANIFEST}


def same_bytes(path: Path, data: bytes) -> bool:
    """Whether ``path`` exists and holds exactly ``data`` (unreadable counts as different)."""
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def write_file(path: Path, data: bytes) -> bool:
    """Write ``path`` atomically (temp file + rename); skip it when the bytes are unchanged.

    Returns:
        ``True`` when the file was written, ``False`` when it already held ``data``.
    """
    if same_bytes(path, data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
