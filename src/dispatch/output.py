"""Atomic writing of an output folder: everything is written into a temporary folder next to
the target, then moved into place, so a failed run never leaves a half-written folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import DispatchError


def write_folder(target: Path, files: dict[str, bytes]) -> dict[str, int]:
    """Replace folder ``target`` by one holding ``files`` (name → bytes), atomically.

    Returns:
        name → size in bytes of each file written.

    Raises:
        DispatchError: the output folder cannot be created or replaced (permissions, a file
            in the way), naming the folder.
    """
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise DispatchError(f"cannot create the output folder: {exc.strerror}", parent) from None
    try:
        for name, data in files.items():
            path = tmp / name
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
    return {name: len(data) for name, data in files.items()}


def write_file(path: Path, data: bytes) -> bool:
    """Write ``path`` atomically (temp file + rename); skip it when the bytes are unchanged.

    Returns:
        ``True`` when the file was written, ``False`` when it already held ``data``.
    """
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
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
