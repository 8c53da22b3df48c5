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
    attribute read imports the real module (then in ``sys.modules``) and reads it there."""

    def __getattr__(self, name: str):
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def import_deferring(module: str, deferred: tuple[str, ...]) -> types.ModuleType:
    """Import ``module`` (dotted name) with each module of ``deferred`` (dotted names) that
    is not imported yet standing in as a :class:`Deferred` while it is imported.

    A deferred module's parent package is imported for real first (it must be cheap: it is
    the one the stand-in is set on). Returns the imported module; an already imported one is
    returned as it is.

    Raises:
        ImportError: as ``import module`` would.
    """
    if module in sys.modules:
        return sys.modules[module]
    stand_ins: dict[str, Deferred] = {}
    for name in deferred:
        if name in sys.modules:
            continue
        parent, _, child = name.rpartition(".")
        if parent:
            importlib.import_module(parent)
        stand_ins[name] = sys.modules[name] = Deferred(name)
        if parent and child not in vars(sys.modules[parent]):  # vars: a package's __getattr__ may import
            setattr(sys.modules[parent], child, stand_ins[name])  # what ``import a.b`` leaves on ``a``
    try:
        return importlib.import_module(module)
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
