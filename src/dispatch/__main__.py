"""The ``dispatch`` command (``python -m dispatch`` and the installed script).

Two start-up measures, both for this process only (``import dispatch`` as a library does
neither):

* the compiled-code cache (:mod:`dispatch.compilecache`: regex programs, dataclass
  methods) goes in first, before click and the libraries a command imports compile their
  patterns and dispatch makes its dataclasses; what is new to it is saved when the command
  ends;
* the cyclic garbage collector is off while the command starts: a cold ``dispatch render``
  makes about 400,000 objects while importing its libraries, nearly all of them kept for
  the life of the process, and the collector walked them over and over (≈ 60 ms of CPU, 134
  collections, for about 300 garbage cycles, 0.5 MiB). Commands that do one bounded piece of
  work (:data:`dispatch.cli.ONE_SHOT`: ``render``) keep it off to the end; every other
  command turns it back on before it starts its work (:func:`dispatch.cli.main`), so
  ``watch``, ``preview``, ``build`` and the rest collect as any Python program does.
  Reference counting frees everything that is not a cycle either way;
* a one-shot command that ended with an exit status (``render``, whose files are written
  and closed by then) ends the process with :func:`os._exit` once stdout and stderr are
  flushed and the compiled-code cache is saved: tearing the interpreter down (freeing every
  module and object one by one, a last collection) costs ≈ 50 ms of CPU and changes nothing
  the command did. Any other ending (an exception, a broken pipe, another command) exits as
  usual, with every ``atexit`` handler.
"""

import gc
import os
import sys

from . import compilecache


def main() -> None:
    """Run the command line (:func:`dispatch.cli.main`) with the start-up measures above."""
    gc.disable()
    compilecache.install()
    code = None
    try:
        from . import cli

        cli.ran_one_shot = False
        cli.main()
    except SystemExit as exc:
        code = exc.code
        if not (cli.ran_one_shot and (code is None or isinstance(code, int))):
            raise
    finally:
        compilecache.save()
    if not cli.ran_one_shot:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken stdout: exit as Python does
        sys.exit(code)
    os._exit(code or 0)


if __name__ == "__main__":
    main()
