"""Importing a library without the modules it imports at the top but uses only on a path
dispatch never takes (premailer's and cssutils' fetching, feedgen's date-string parsing).

:func:`import_deferring` imports a module while each of the named modules that is not
imported yet is a :class:`Deferred` stand-in in ``sys.modules`` (and on its parent package,
as ``import a.b`` leaves it). The library keeps the stand-in it was given; the first
attribute read on it imports the real module and reads it there, so the path dispatch never
takes still works if someone takes it. Once the library is imported the stand-ins leave
``sys.modules``: any later ``import`` of one of those modules, by anyone, gets the real
module (and puts it on the parent package in place of the stand-in).
"""

from __future__ import annotations

import importlib
import sys
import types


class Deferred(types.ModuleType):
    """Stands in for a module that an import names but that may never be used: the first
    attribute read imports the real module (then in ``sys.modules``) and reads it there.

    ``siblings`` (dotted names) are the modules deferred with it: the real module is imported
    with them deferred too (a library first used late — cssutils when premailer meets a
    style it has no cached declarations for — still does not import its fetching modules)."""

    def __init__(self, name: str, siblings: tuple[str, ...] = ()) -> None:
        super().__init__(name)
        self._siblings = tuple(s for s in siblings if s != name)

    def __getattr__(self, name: str):
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(import_deferring(self.__name__, self._siblings), name)


def import_deferring(module: str, deferred: tuple[str, ...], absent: tuple[str, ...] = ()) -> types.ModuleType:
    """Import ``module`` (dotted name) with each module of ``deferred`` (dotted names) that
    is not imported yet standing in as a :class:`Deferred` while it is imported.

    A deferred module's parent package is imported for real first (it must be cheap: it is
    the one the stand-in is set on). Each module of ``absent`` is one that cannot be
    imported here anyway (the caller says so, e.g. a Windows-only module elsewhere): while
    ``module`` is imported, importing it fails at once (``None`` in ``sys.modules``, the
    import system's "not importable") instead of failing after importing what it imports
    first; afterwards it is importable (and fails) as before. Returns the imported module;
    an already imported one is returned as it is.

    Raises:
        ImportError: as ``import module`` would.
    """
    if module in sys.modules:
        return sys.modules[module]
    blocked = [name for name in absent if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None
    stand_ins: dict[str, Deferred] = {}
    for name in deferred:
        if name in sys.modules:
            continue
        parent, _, child = name.rpartition(".")
        if parent:
            importlib.import_module(parent)
        stand_ins[name] = sys.modules[name] = Deferred(name, deferred)
        if parent and child not in vars(sys.modules[parent]):  # vars: a package's __getattr__ may import
            setattr(sys.modules[parent], child, stand_ins[name])  # what ``import a.b`` leaves on ``a``
    try:
        return importlib.import_module(module)
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


_CODEHILITE = "markdown.extensions.codehilite"


def _codehilite() -> types.ModuleType:
    """The real ``markdown.extensions.codehilite`` (imported now if it is not yet)."""
    found = sys.modules.get(_CODEHILITE)
    if found is None or isinstance(found, _CodeHiliteStandIn):
        if found is not None:
            del sys.modules[_CODEHILITE]
        found = importlib.import_module(_CODEHILITE)
    return found


class _RealExtensionCheck(type):
    """``isinstance(x, CodeHiliteExtension)`` as the real class answers it: false while
    codehilite is not imported (then no instance of it can exist)."""

    def __instancecheck__(cls, obj) -> bool:
        found = sys.modules.get(_CODEHILITE)
        if found is None or isinstance(found, _CodeHiliteStandIn):
            return False
        return isinstance(obj, found.CodeHiliteExtension)


class _CodeHiliteStandIn(types.ModuleType):
    """What ``fenced_code`` imports from ``codehilite``, each handing over to the real one
    when used; any other name is read from the real module."""

    class CodeHiliteExtension(metaclass=_RealExtensionCheck):
        def __new__(cls, *args, **kwargs):
            return _codehilite().CodeHiliteExtension(*args, **kwargs)

    @staticmethod
    def CodeHilite(*args, **kwargs):  # noqa: N802 - Python-Markdown's name
        return _codehilite().CodeHilite(*args, **kwargs)

    @staticmethod
    def parse_hl_lines(expr: str) -> list[int]:
        return _codehilite().parse_hl_lines(expr)

    def __getattr__(self, name: str):
        if name.startswith("__"):  # the import system asking (__path__, __spec__…)
            raise AttributeError(name)
        return getattr(_codehilite(), name)


def fenced_code_extension() -> type:
    """Python-Markdown's ``FencedCodeExtension`` without the Pygments import it brings.

    ``markdown.extensions.fenced_code`` imports ``CodeHilite``, ``CodeHiliteExtension`` and
    ``parse_hl_lines`` from ``markdown.extensions.codehilite``, which imports Pygments'
    lexers, formatters and plugin machinery (and, before Pygments 2.21,
    ``importlib.metadata``) although dispatch never highlights code. While fenced_code is
    imported, codehilite is a stand-in whose three names hand over to the real module when
    used: ``isinstance(ext, CodeHiliteExtension)`` (how fenced_code looks for a configured
    codehilite) is the real class's answer, ``CodeHilite(...)`` and ``parse_hl_lines(...)``
    (a fence with ``hl_lines``) import codehilite then and call it. The stand-in leaves
    ``sys.modules`` at once: any ``import markdown.extensions.codehilite`` gets the real
    module, and a Markdown instance configured with ``codehilite`` and ``fenced_code``
    highlights as it always does.

    Returns:
        the ``FencedCodeExtension`` class.
    """
    name = "markdown.extensions.fenced_code"
    if name in sys.modules or _CODEHILITE in sys.modules:
        return importlib.import_module(name).FencedCodeExtension
    sys.modules[_CODEHILITE] = _CodeHiliteStandIn(_CODEHILITE)
    try:
        return importlib.import_module(name).FencedCodeExtension
    finally:
        if isinstance(sys.modules.get(_CODEHILITE), _CodeHiliteStandIn):
            del sys.modules[_CODEHILITE]
