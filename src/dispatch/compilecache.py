"""Compiled code kept between runs of the ``dispatch`` command: regular-expression programs
and the methods ``@dataclass`` writes.

A cold ``dispatch render`` spends a fifth of its CPU compiling things that are the same in
every run:

* **regular expressions**: about 300 patterns, compiled at import time, most of them in the
  libraries it uses (cssutils' tokenizer, wcwidth, PyYAML's reader, cssselect,
  Python-Markdown, Jinja's lexer, click…): ≈ 65 ms. CPython's ``re`` keeps compiled
  patterns in memory only (``re._cache``), so each new process compiles them again;
* **dataclass methods**: ``@dataclass`` writes the source of each class's ``__init__``,
  ``__repr__``, ``__eq__`` (and ``__setattr__``, ``__hash__``… of a frozen one) and compiles
  it with ``exec``: 70 classes, about 400 small compilations, ≈ 30 ms.

:func:`install` puts a cache in front of each, and :func:`save` writes what was compiled
for the first time to the user cache folder (:func:`dispatch.usercache.cache_dir`,
``compiled-<key>.marshal``) for the next process:

* ``re``: the first time a pattern is compiled, the arguments the stdlib compiler
  (``re._compiler.compile``: parse, then code generation, both in Python) hands to
  ``_sre.compile`` are recorded; a later process hands a known pattern's recorded program
  straight to ``_sre.compile``;
* dataclasses: ``exec`` as the ``dataclasses`` module sees it (a module global, ahead of the
  builtin) compiles a source text once (``compile(text, "<string>", "exec",
  dont_inherit=True)``, what ``exec`` of a string does there) and keeps the code object; a
  later process executes the kept code object.

Safe for every other user of ``re`` and ``dataclasses`` in the process (the libraries, the
user's code), which get what the stdlib gives them:

* a pattern from the cache is built by ``_sre.compile`` from the same arguments as the
  stdlib's (equal to it by ``==``, which compares flags, pattern and program); a dataclass
  method runs the code object compiling its source gives (code objects compare equal);
* ``<key>`` covers what both depend on: the Python build (``sys.version``,
  ``sys.hexversion``, the cache tag), ``_sre.MAGIC`` and ``_sre.CODESIZE`` (the program
  format), the marshal version and ``-O``; another Python uses another file;
* a file that is absent, unreadable, damaged (CRC-32 over its content) or written by
  another build is ignored; a recorded program ``_sre`` rejects (it validates every program
  it is given) is compiled by the stdlib instead; a cache folder that cannot be written only
  means compiling again next time;
* only ``str``/``bytes`` patterns and ``str`` sources go through it; ``re.DEBUG`` compiles
  (which print the program), already-parsed patterns and everything else are passed on
  untouched; a pattern or source that does not compile raises as before (nothing is
  recorded). The one difference: a warning the stdlib's regex parser gives for a pattern
  (``FutureWarning: Possible nested set``…) is given the first time it is compiled, not
  again in later processes.

Only the command line installs it (:mod:`dispatch.__main__`), before anything else is
imported; ``import dispatch`` as a library changes nothing in ``re`` or ``dataclasses``.
The cache file is the user's own, like Python's ``__pycache__`` (marshal data, read only
from the user's cache folder, made ``0700``).
"""

from __future__ import annotations

import builtins
import marshal
import os
import re
import sys
import zlib

try:
    import _sre
    from re import _compiler
except ImportError:  # not CPython's re (or a future layout of it): no regex cache
    _sre = _compiler = None

#: Most entries kept in the file (patterns and sources together); a run that would pass it
#: writes only its own.
MAX_ENTRIES = 6000

_KEY = repr((sys.version, sys.hexversion, sys.implementation.cache_tag, getattr(_sre, "MAGIC", None),
             getattr(_sre, "CODESIZE", None), marshal.version, sys.flags.optimize))
_FILE = f"compiled-{zlib.crc32(_KEY.encode()):08x}.marshal"

#: (pattern, flags) → the arguments of ``_sre.compile``; known (from the file or this run)
#: and new in this run.
_patterns: dict[tuple, tuple] = {}
_new_patterns: dict[tuple, tuple] = {}
#: source text → code object, for dataclasses.
_codes: dict[str, object] = {}
_new_codes: dict[str, object] = {}
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
    args = _patterns.get(key)
    if args is not None:
        try:
            pattern, final_flags, code, groups, groupindex, indexgroup = args
            return _sre.compile(pattern, final_flags, code, groups, dict(groupindex), indexgroup)
        except Exception:  # a program _sre rejects: compile it as the stdlib does
            del _patterns[key]
    compiled = _stdlib_compile(p, flags)
    args = _recorder.last.pop(id(compiled), None)
    if args is not None and args[0] is p:
        pattern, final_flags, code, groups, groupindex, indexgroup = args
        # the program holds the stdlib's named opcode constants (int subclasses marshal refuses)
        _new_patterns[key] = _patterns[key] = (pattern, int(final_flags), [int(c) for c in code], int(groups),
                                               dict(groupindex), tuple(indexgroup))
    return compiled


def _exec(source, globals=None, locals=None, /, **kwargs):
    """``exec`` as the ``dataclasses`` module calls it, a compiled source text kept."""
    if type(source) is str:
        code = _codes.get(source)
        if code is None:
            code = compile(source, "<string>", "exec", dont_inherit=True)
            _codes[source] = _new_codes[source] = code
        source = code
    if globals is None:  # exec's defaults: the caller's namespaces
        frame = sys._getframe(1)
        globals = frame.f_globals
        locals = frame.f_locals if locals is None else locals
    return builtins.exec(source, globals, locals, **kwargs)


def _path():
    from .usercache import cache_dir

    return cache_dir() / _FILE


def _read() -> tuple[dict, dict]:
    try:
        data = _path().read_bytes()
        if len(data) < 4 or zlib.crc32(data[4:]) != int.from_bytes(data[:4], "big"):
            return {}, {}
        key, patterns, codes = marshal.loads(data[4:])
        if key == _KEY and isinstance(patterns, dict) and isinstance(codes, dict):
            return patterns, codes
    except Exception:  # absent, unreadable or damaged: compile as without a cache
        pass
    return {}, {}


def install() -> bool:
    """Put the caches in front of ``re``'s compiler and of the ``exec`` of ``dataclasses``
    for this process (once; later calls do nothing), with what earlier runs saved.

    Returns:
        whether the regex cache is in place (``False`` where ``re`` is not CPython's 3.11+
        layout; the dataclass cache is in place either way).
    """
    global _installed, _stdlib_compile, _recorder
    if _installed:
        return _stdlib_compile is not None
    _installed = True
    import dataclasses

    patterns, codes = _read()
    _codes.update(codes)
    dataclasses.exec = _exec
    if _compiler is None or not callable(getattr(_compiler, "compile", None)):
        return False
    _patterns.update(patterns)
    _stdlib_compile = _compiler.compile
    _recorder = _Recorder(_sre)
    _compiler._sre = _recorder
    _compiler.compile = _compile
    return True


def save() -> None:
    """Write the patterns and sources compiled for the first time in this process to the
    cache file (atomically: a temporary file renamed over it). Does nothing when nothing is
    new; never raises for a cache folder that cannot be written."""
    if not _new_patterns and not _new_codes:
        return
    patterns, codes = _read()
    patterns.update(_new_patterns)
    codes.update(_new_codes)
    if len(patterns) + len(codes) > MAX_ENTRIES:
        patterns, codes = dict(_new_patterns), dict(_new_codes)
    try:
        payload = marshal.dumps((_KEY, patterns, codes))
        path = _path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(zlib.crc32(payload).to_bytes(4, "big") + payload)
        os.replace(tmp, path)
        _new_patterns.clear()
        _new_codes.clear()
    except (OSError, ValueError):  # a full or read-only cache folder; something marshal cannot write
        pass
