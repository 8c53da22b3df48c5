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
  it with ``exec``: 70 classes, about 400 small compilations, ≈ 30 ms;
* **patterns of the ``regex`` module** (graphemes, scripts, emoji in dispatch's counters
  and thread packing): about 40, compiled by its parser in Python, ≈ 19 ms.

:func:`install` puts a cache in front of each, and :func:`save` writes what was compiled
for the first time to the user cache folder (:func:`dispatch.usercache.cache_dir`,
``compiled-<key>.marshal``) for the next process:

* ``re``: the first time a pattern is compiled, the arguments the stdlib compiler
  (``re._compiler.compile``: parse, then code generation, both in Python) hands to
  ``_sre.compile`` are recorded; a later process hands a known pattern's recorded program
  straight to ``_sre.compile``;
* ``regex``: a pattern's compiled program is what the module's own pickling keeps
  (``Pattern._pickled_data``, rebuilt by ``_regex.compile`` on unpickling); the first time
  a plain pattern is compiled (no named lists, not ``LOCALE``, not ``DEBUG``) that is
  recorded, and a later process rebuilds the pattern from it as unpickling does, keeping it
  as ``regex`` would in its own cache. The hook goes on ``regex._main._compile`` when
  ``regex`` is first imported (a command that never imports it never pays for it);
* dataclasses: ``exec`` as the ``dataclasses`` module sees it (a module global, ahead of the
  builtin) compiles a source text once (``compile(text, "<string>", "exec",
  dont_inherit=True)``, what ``exec`` of a string does there) and keeps the code object; a
  later process executes the kept code object.

Safe for every other user of ``re`` and ``dataclasses`` in the process (the libraries, the
user's code), which get what the stdlib gives them:

* a pattern from the cache is built by ``_sre.compile`` from the same arguments as the
  stdlib's (equal to it by ``==``, which compares flags, pattern and program); a dataclass
  method runs the code object compiling its source gives (code objects compare equal); a
  ``regex`` pattern is the one unpickling it gives;
* ``<key>`` covers what both depend on: the Python build (``sys.version``,
  ``sys.hexversion``, the cache tag), ``_sre.MAGIC`` and ``_sre.CODESIZE`` (the program
  format), the marshal version and ``-O``; another Python uses another file; ``regex``
  entries are keyed by its version, ``_regex.MAGIC`` and ``DEFAULT_VERSION``;
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
imported; ``import dispatch`` as a library changes nothing in ``re``, ``regex`` or
``dataclasses``.
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
#: A run rewrites the file only when at least this many entries are new to it: a handful
#: new to every run (Babel builds a pattern from a set, whose order changes with each
#: process's hash seed; patterns built from an issue's text) are compiled again instead of
#: rewriting the whole file every run.
SAVE_AT_LEAST = 8

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
#: (regex version, MAGIC, DEFAULT_VERSION, pattern, flags) → ``_pickled_data``; and the
#: pattern objects made in this process.
_rx: dict[tuple, tuple] = {}
_new_rx: dict[tuple, tuple] = {}
_rx_made: dict[tuple, object] = {}
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


def _hook_regex(main) -> None:
    """Put the cache in front of ``regex._main._compile`` (``main``), if it has the
    signature this was written against."""
    real = getattr(main, "_compile", None)
    code = getattr(real, "__code__", None)
    if code is None or code.co_varnames[:5] != ("pattern", "flags", "ignore_unused", "kwargs", "cache_it"):
        return
    import regex
    from regex import _regex

    stamp = (getattr(regex, "__version__", None), getattr(_regex, "MAGIC", None))
    skip = main.DEBUG | main.LOCALE

    def compile_(pattern, flags, ignore_unused, kwargs, cache_it):
        if kwargs or not cache_it or type(pattern) not in (str, bytes) or flags & skip:
            return real(pattern, flags, ignore_unused, kwargs, cache_it)
        key = (*stamp, int(regex.DEFAULT_VERSION), pattern, int(flags))
        made = _rx_made.get(key)
        if made is not None:
            return made
        data = _rx.get(key)
        if data is not None:
            try:
                made = _regex.compile(*data)
            except Exception:  # data _regex rejects: compile it as regex does
                del _rx[key]
        if made is None:
            made = real(pattern, flags, ignore_unused, kwargs, cache_it)
            if not made.flags & main.LOCALE:
                try:
                    data = tuple(made._pickled_data)
                    marshal.dumps(data)
                    _rx[key] = _new_rx[key] = data
                except (AttributeError, ValueError):
                    pass
        if len(_rx_made) >= 500:
            _rx_made.clear()
        _rx_made[key] = made
        return made

    main._compile = compile_


class _WhenImported:
    """A ``sys.meta_path`` entry that finds nothing itself: when ``regex._main`` is found by
    the other finders, its loader is wrapped so :func:`_hook_regex` runs once it is loaded;
    then this entry leaves ``sys.meta_path``."""

    def find_spec(self, name, path=None, target=None):
        if name != "regex._main":
            return None
        sys.meta_path.remove(self)
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path, target)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        real_exec = loader.exec_module

        def exec_module(module):
            real_exec(module)
            try:
                _hook_regex(module)
            except Exception:  # an unexpected regex: run without the cache
                pass

        loader.exec_module = exec_module
        return spec


def _path():
    from .usercache import cache_dir

    return cache_dir() / _FILE


def _read() -> tuple[dict, dict, dict]:
    try:
        data = _path().read_bytes()
        if len(data) < 4 or zlib.crc32(data[4:]) != int.from_bytes(data[:4], "big"):
            return {}, {}, {}
        key, patterns, codes, rx = marshal.loads(data[4:])
        if key == _KEY and isinstance(patterns, dict) and isinstance(codes, dict) and isinstance(rx, dict):
            return patterns, codes, rx
    except Exception:  # absent, unreadable or damaged: compile as without a cache
        pass
    return {}, {}, {}


def install() -> bool:
    """Put the caches in front of ``re``'s compiler, of the ``exec`` of ``dataclasses`` and
    (once it is imported) of ``regex``'s compiler for this process (once; later calls do nothing), with what earlier runs saved.

    Returns:
        whether the ``re`` cache is in place (``False`` where ``re`` is not CPython's 3.11+
        layout; the other two are in place either way).
    """
    global _installed, _stdlib_compile, _recorder
    if _installed:
        return _stdlib_compile is not None
    _installed = True
    import dataclasses

    patterns, codes, rx = _read()
    _codes.update(codes)
    dataclasses.exec = _exec
    _rx.update(rx)
    if "regex._main" in sys.modules:
        _hook_regex(sys.modules["regex._main"])
    else:
        sys.meta_path.insert(0, _WhenImported())
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
    cache file (atomically: a temporary file renamed over it). Does nothing when fewer than
    :data:`SAVE_AT_LEAST` are new; never raises for a cache folder that cannot be written."""
    if len(_new_patterns) + len(_new_codes) + len(_new_rx) < SAVE_AT_LEAST:
        return
    patterns, codes, rx = _read()
    patterns.update(_new_patterns)
    codes.update(_new_codes)
    rx.update(_new_rx)
    if len(patterns) + len(codes) + len(rx) > MAX_ENTRIES:
        patterns, codes, rx = dict(_new_patterns), dict(_new_codes), dict(_new_rx)
    try:
        payload = marshal.dumps((_KEY, patterns, codes, rx))
        path = _path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(zlib.crc32(payload).to_bytes(4, "big") + payload)
        os.replace(tmp, path)
        _new_patterns.clear()
        _new_codes.clear()
        _new_rx.clear()
    except (OSError, ValueError):  # a full or read-only cache folder; something marshal cannot write
        pass
