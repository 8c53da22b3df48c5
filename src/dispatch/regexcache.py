"""Compiled regular expressions kept between runs of the ``dispatch`` command.

A cold ``dispatch render`` compiles about 300 regular expressions (``re``) at import time,
most of them in the libraries it uses (cssutils' tokenizer, wcwidth, PyYAML's reader,
cssselect, Python-Markdown, Jinja's lexer, click…): ≈ 65 ms of CPU, an eighth of the run,
every run, for patterns that never change. CPython's ``re`` keeps them in memory only
(``re._cache``), so each new process compiles them again.

:func:`install` puts a cache under ``re``'s compiler: the first time a pattern is compiled
the result of the stdlib's own compiler (``re._compiler.compile``: parse, then code
generation in Python, then ``_sre.compile`` on the finished program) is recorded, and
:func:`save` writes what was recorded to the user cache folder
(:func:`dispatch.usercache.cache_dir`, ``regex-<key>.marshal``). The next process that
installs the cache hands a known pattern's recorded program straight to ``_sre.compile``,
skipping the two Python steps, which are a pure function of the pattern and its flags.

Safe for every other user of ``re`` in the process (the libraries, the user's code):

* the pattern object is the one the stdlib compiler would build, from the same arguments
  (same ``pattern``, ``flags``, ``groups``, ``groupindex``, program; equal to it by ``==``);
* ``<key>`` covers what the program depends on: the Python build (``sys.version``,
  ``sys.hexversion``, the implementation's cache tag), ``_sre.MAGIC`` (the program format)
  and ``_sre.CODESIZE``; another Python uses another file;
* a file that is absent, unreadable, damaged (CRC-32 over its content) or written by
  another build is ignored, and a recorded program ``_sre`` rejects (it validates every
  program it is given) falls back to the stdlib compiler; a cache folder that cannot be
  written only means compiling again next time;
* only ``str``/``bytes`` patterns go through it; ``re.DEBUG`` compiles (which print the
  program) and already-parsed patterns go to the stdlib compiler untouched; a pattern that
  does not compile raises as before (nothing is recorded). The one difference: a warning the
  stdlib's parser gives for a pattern (``FutureWarning: Possible nested set``…) is given the
  first time it is compiled, not again in later processes.

Only the command line installs it (:mod:`dispatch.__main__`), before anything else is
imported; ``import dispatch`` as a library changes nothing in ``re``. The cache file is the
user's own, like Python's ``__pycache__`` (marshal data, read only from the user's cache
folder, made ``0700``).
"""

from __future__ import annotations

import marshal
import os
import re
import sys
import zlib

try:
    import _sre
    from re import _compiler
except ImportError:  # not CPython's re (or a future layout of it): no cache
    _sre = _compiler = None

#: Most entries kept in the file; a run that would pass it writes only its own patterns.
MAX_ENTRIES = 4000

_KEY = repr((sys.version, sys.hexversion, sys.implementation.cache_tag,
             getattr(_sre, "MAGIC", None), getattr(_sre, "CODESIZE", None)))
_FILE = f"regex-{zlib.crc32(_KEY.encode()):08x}.marshal"

_known: dict[tuple, tuple] = {}
_recorded: dict[tuple, tuple] = {}
_installed = False


class _Recorder:
    """Stands in for ``_sre`` inside ``re._compiler``: every attribute is the real one, and
    ``compile`` also records the arguments it was given (by the id of the pattern object it
    returns, read back at once by :func:`_compile`)."""

    def __init__(self, real) -> None:
        self.__dict__.update({k: getattr(real, k) for k in dir(real) if not k.startswith("__") and k != "compile"})
        self._real_compile = real.compile
        self.last: dict[int, tuple] = {}

    def compile(self, *args):
        compiled = self._real_compile(*args)
        self.last[id(compiled)] = args
        return compiled


_stdlib_compile = None
_recorder: _Recorder | None = None


def _compile(p, flags=0):
    """``re._compiler.compile`` with the cache in front (same arguments, same result)."""
    if not isinstance(p, (str, bytes)) or flags & re.DEBUG:
        compiled = _stdlib_compile(p, flags)
        _recorder.last.pop(id(compiled), None)
        return compiled
    key = (p, int(flags))
    args = _known.get(key)
    if args is not None:
        try:
            pattern, final_flags, code, groups, groupindex, indexgroup = args
            return _sre.compile(pattern, final_flags, code, groups, dict(groupindex), indexgroup)
        except Exception:  # a program _sre rejects: compile it as the stdlib does
            del _known[key]
    compiled = _stdlib_compile(p, flags)
    args = _recorder.last.pop(id(compiled), None)
    if args is not None and args[0] is p:
        pattern, final_flags, code, groups, groupindex, indexgroup = args
        _recorded[key] = _known[key] = (pattern, int(final_flags), [int(c) for c in code], int(groups), dict(groupindex),
                                        tuple(indexgroup))
    return compiled


def _path():
    from .usercache import cache_dir

    return cache_dir() / _FILE


def _read() -> dict[tuple, tuple]:
    try:
        data = _path().read_bytes()
        if len(data) < 4 or zlib.crc32(data[4:]) != int.from_bytes(data[:4], "big"):
            return {}
        key, table = marshal.loads(data[4:])
        return table if key == _KEY and isinstance(table, dict) else {}
    except Exception:  # absent, unreadable or damaged: compile as without a cache
        return {}


def install() -> bool:
    """Put the cache under ``re``'s compiler for this process (once; later calls do nothing)
    and load the patterns earlier runs recorded.

    Returns:
        whether the cache is in place (``False`` where ``re`` is not CPython's 3.11+ layout).
    """
    global _installed, _stdlib_compile, _recorder
    if _installed:
        return True
    if _compiler is None or not callable(getattr(_compiler, "compile", None)):
        return False
    _known.update(_read())
    _stdlib_compile = _compiler.compile
    _recorder = _Recorder(_sre)
    _compiler._sre = _recorder
    _compiler.compile = _compile
    _installed = True
    return True


def save() -> None:
    """Write the patterns compiled for the first time in this process to the cache file
    (atomically: a temporary file renamed over it). Does nothing when nothing is new;
    never raises for a cache folder that cannot be written."""
    if not _recorded:
        return
    table = {**_read(), **_recorded}
    if len(table) > MAX_ENTRIES:
        table = dict(_recorded)
    try:
        payload = marshal.dumps((_KEY, table))
        path = _path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(zlib.crc32(payload).to_bytes(4, "big") + payload)
        os.replace(tmp, path)
        _recorded.clear()
    except (OSError, ValueError):  # a full or read-only cache folder; a pattern marshal cannot write
        pass
