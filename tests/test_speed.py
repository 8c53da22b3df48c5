"""What keeps a cold render fast and the warm loop short, checked by what it does, never by
the clock (timings live in benchmarks/): which modules a command imports, the module graph
without cycles, the compiled-template cache (used, never stale, never in the way), no
Markdown entry-point scan, and thread packing whose measuring work grows linearly."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch import compilecache, layout
from dispatch.channels import thread
from dispatch.channels.thread import Unit, split_thread
from dispatch.counters import PLATFORMS

from conftest import EXAMPLE, ROOT

SRC = ROOT / "src" / "dispatch"
HEAVY = ("jinja2", "premailer", "cssutils", "markdown", "feedgen", "lxml", "mjml", "requests", "yaml", "wcwidth")


def _modules_after(code: str, env: dict | None = None) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    return set(json.loads(out.stdout.splitlines()[-1]))


def _top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_cli_startup_imports_no_renderer_library():
    """``dispatch --help``, ``dispatch config`` and the like import click, not the libraries
    a render needs."""
    code = ("import sys; sys.argv = ['dispatch', '--help']\nfrom dispatch.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass")
    loaded = _top(_modules_after(code))
    assert "click" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def _spy(watch: set[str]) -> str:
    """Code that records, for each module of ``watch`` first imported from then on, the
    files on the stack when it was, and defines ``imported_by(name, *folders)``: whether a
    file under one of those folders (``premailer``, ``dateutil``…) imported it. A test asks
    who imported a module, not whether it is loaded: another installed library may import it
    for its own reasons, depending on its version."""
    return ("import sys, traceback\n"
            f"WATCH = set({sorted(watch)!r})\n"
            "importers = {}\n"
            "class Spy:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name in WATCH and name not in sys.modules:\n"
            "            importers.setdefault(name, [f.filename for f in traceback.extract_stack()])\n"
            "sys.meta_path.insert(0, Spy())\n"
            "def imported_by(name, *folders):\n"
            "    return name in sys.modules and any(f'/{d}/' in f for f in importers.get(name, ()) for d in folders)\n")


def test_render_never_imports_what_only_fetches(tmp_path):
    """premailer and cssutils import requests, urllib.request and importlib.metadata but use
    them only to fetch a URL, which a render never does: a render leaves them unimported by
    premailer and cssutils (another installed library may import importlib.metadata for its
    own reasons: Pygments before 2.21 does, from ``pygments.plugin``, when Python-Markdown's
    codehilite imports it), imports no HTTP or TLS module at all, and the libraries'
    references still reach the real modules when used."""
    from dispatch.channels.email import FETCH_ONLY

    code = (_spy({*FETCH_ONLY, "urllib3", "http.client", "ssl"}) +
            "from dispatch.render import render_issue\n"
            f"render_issue({str(EXAMPLE)!r}, {str(tmp_path)!r})\n"
            "network = [m for m in ('requests', 'urllib.request', 'urllib3', 'http.client', 'ssl') if m in sys.modules]\n"
            "assert not network, network\n"
            "by_them = [m for m in WATCH if imported_by(m, 'premailer', 'cssutils')]\n"
            "assert not by_them, by_them\n"
            "sys.meta_path.pop(0)\n"
            "import premailer.premailer as p, cssutils._fetch as f, urllib\n"
            "get, version, request = p.requests.get, f._get_version(), urllib.request.Request\n"
            "import requests, urllib.request, importlib.metadata\n"
            "assert get is requests.get and sys.modules['requests'] is requests\n"
            "assert request is urllib.request.Request and version == importlib.metadata.version('cssutils')")
    # with an empty user cache folder (cssutils imported late, for styles not cached yet) and
    # with the one that first run filled (no cssutils at all)
    env = {**os.environ, "DISPATCH_CACHE_DIR": str(tmp_path / "user-cache")}
    for _ in range(2):
        loaded = _modules_after(code, env=env)
        assert {"premailer", "cssutils", "requests", "urllib"} <= _top(loaded)


def _import_graph() -> dict[str, set[str]]:
    """dispatch's modules → the dispatch modules each imports (anywhere in the file but under
    ``if TYPE_CHECKING:``). A package's own submodules, imported by the package, are left
    out (the registry idiom)."""
    def module_of(path: Path) -> str:
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    def exists(name: str) -> bool:
        base = SRC.parent / name.replace(".", "/")
        return base.with_suffix(".py").exists() or (base / "__init__.py").exists()

    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        mod = module_of(path)
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        edges = graph.setdefault(mod, set())
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                       and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                       for stmt in block.body for n in ast.walk(stmt)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level and id(node) not in typing_only:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                for name in [target, *(f"{target}.{a.name}" for a in node.names)]:
                    if exists(name) and name != mod and not (path.name == "__init__.py" and name.startswith(mod + ".")):
                        edges.add(name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    graph = _import_graph()
    assert "dispatch.channels.thread" not in graph["dispatch.config"]  # config ↔ thread over PLATFORMS
    assert "dispatch.model" not in graph["dispatch.textutil"]  # model ↔ textutil
    cycles = _cycles(graph)
    assert not cycles, cycles


def test_markdown_extensions_are_not_looked_up_by_entry_point(monkeypatch, settings):
    import markdown.util

    from dispatch.parse import parse_issue

    def scan():
        raise AssertionError("Python-Markdown scanned the installed packages for extension entry points")

    monkeypatch.setattr(markdown.util, "get_installed_extensions", scan)
    assert parse_issue(EXAMPLE, settings).meta.title == "The Moonshot Moment"


# --- the compiled-template cache --------------------------------------------------------------

def _render_in_process(issue: Path, out: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DISPATCH_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "dispatch", "render", str(issue), "--out", str(out)],
                          capture_output=True, text=True, env=env, cwd=issue.parent)


def _newsletter(tmp_path: Path) -> Path:
    (tmp_path / "dispatch.toml").write_text((ROOT / "dispatch.toml").read_text(encoding="utf-8"), encoding="utf-8")
    issue = tmp_path / EXAMPLE.name
    issue.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    own = tmp_path / "layouts" / "default" / "text"
    own.mkdir(parents=True)
    (own / "lens.txt").write_text((ROOT / "layouts" / "default" / "text" / "lens.txt").read_text(encoding="utf-8")
                                  + "LENS-MARK-ONE\n", encoding="utf-8")
    return issue


def test_templates_compiled_once_and_an_edited_layout_is_never_stale(tmp_path):
    issue = _newsletter(tmp_path)
    cache = tmp_path / "cache"
    first = _render_in_process(issue, tmp_path / "dist", cache)
    assert first.returncode == 0, first.stderr
    entries = list(cache.glob("templates-*/__jinja2_*.cache"))
    assert len(entries) >= 20  # every template a render used, the built-in and the user's
    text = (tmp_path / "dist" / "moonshot-moment" / "email.txt").read_text(encoding="utf-8")
    assert "LENS-MARK-ONE" in text

    # the same size and modification time: only the content says it changed
    lens = tmp_path / "layouts" / "default" / "text" / "lens.txt"
    stat = lens.stat()
    lens.write_text(lens.read_text(encoding="utf-8").replace("LENS-MARK-ONE", "LENS-MARK-TWO"), encoding="utf-8")
    os.utime(lens, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = _render_in_process(issue, tmp_path / "dist", cache)
    assert second.returncode == 0, second.stderr
    text = (tmp_path / "dist" / "moonshot-moment" / "email.txt").read_text(encoding="utf-8")
    assert "LENS-MARK-TWO" in text and "LENS-MARK-ONE" not in text
    # a render from the cache writes what a render without one writes
    fresh = _render_in_process(issue, tmp_path / "dist2", tmp_path / "cache2")
    assert fresh.returncode == 0, fresh.stderr
    for name in ("email.html", "email.txt", "entry.xml", "thread.json", "thread.txt"):
        assert (tmp_path / "dist" / "moonshot-moment" / name).read_bytes() == \
            (tmp_path / "dist2" / "moonshot-moment" / name).read_bytes(), name


def test_a_damaged_or_unwritable_cache_is_not_in_the_way(tmp_path):
    issue = _newsletter(tmp_path)
    cache = tmp_path / "cache"
    assert _render_in_process(issue, tmp_path / "dist", cache).returncode == 0
    expected = (tmp_path / "dist" / "moonshot-moment" / "email.html").read_bytes()
    damaged = [*cache.glob("templates-*/__jinja2_*.cache"), *cache.glob("inline-rules-*/*.json")]
    assert any(p.suffix == ".json" for p in damaged)  # the email's style rules are cached too
    for entry in damaged:
        entry.write_bytes(entry.read_bytes()[:40] + b"\x00garbage")
    damaged = _render_in_process(issue, tmp_path / "dist-damaged", cache)
    assert damaged.returncode == 0, damaged.stderr
    assert (tmp_path / "dist-damaged" / "moonshot-moment" / "email.html").read_bytes() == expected
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    blocked = _render_in_process(issue, tmp_path / "dist-blocked", blocker / "cache")
    assert blocked.returncode == 0, blocked.stderr
    assert (tmp_path / "dist-blocked" / "moonshot-moment" / "email.html").read_bytes() == expected


def test_cache_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("DISPATCH_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert layout.cache_dir() == tmp_path / "dispatch"
    monkeypatch.setenv("DISPATCH_CACHE_DIR", str(tmp_path / "mine"))
    assert layout.cache_dir() == tmp_path / "mine"


# --- thread packing: linear ----------------------------------------------------------------------

class _Counting:
    """A platform whose tally counts the characters it is given to measure."""

    def __init__(self, platform):
        self.platform = platform
        self.chars = 0

    def __getattr__(self, name):
        return getattr(self.platform, name)

    def tally(self, text):
        self.chars += len(text)
        return self.platform.tally(text)


def _measured_chars(paragraphs: int, name: str) -> int:
    sentence = ("Moonshot raised $2B at a $20B valuation, see https://example.com/kimi-k2 for the "
                "numbers and 人工智能 for the rest. ")
    units = [Unit(sentence * 7 + f"Paragraph {n}.", n + 1, 1 + n // 3) for n in range(paragraphs)]
    thread._TALLIES.clear()
    thread._sentences.cache_clear()
    thread._words.cache_clear()
    counting = _Counting(PLATFORMS[name])
    split_thread(units, "The link https://example.com/", counting, counting.limit)
    thread._TALLIES.clear()
    return counting.chars


@pytest.mark.parametrize("name", ["x", "bluesky", "mastodon"])
def test_thread_packing_measures_linearly(name):
    """Twice the text, about twice the measuring (re-measuring each post from its start
    would be quadratic in the post's length and is what this replaced)."""
    small, large = _measured_chars(20, name), _measured_chars(40, name)
    assert 1.8 < large / small < 2.2, (small, large)
    # each character of the thread is measured a small, bounded number of times
    text_chars = 40 * (len("Moonshot raised $2B at a $20B valuation, see https://example.com/kimi-k2 for the "
                           "numbers and 人工智能 for the rest. ") * 7 + 14)
    assert large < 8 * text_chars, (large, text_chars)


# --- start-up of the command line: compiled-regex cache, garbage collector -----------------------

_PATTERNS = r'''[
    ("[a-z]+(?P<num>\\d+)", 0), ("(?i)straße|ǅ", 0), ("-?(?:[_a-z]|[^\\0-\\177])*", 2),
    ("[\x00\ud800-\udfff]", 0), (b"(?P<k>[\\x80-\\xff]+)=(.*)$", 8), ("^\\s*#.*coding[:=]", 256 | 8),
    ("(a)(b)?(?(2)c|d)", 64), ("\\w?[\u4e00-\u9fff]{2,}", 32),
]'''


def _compiled_then_kept(check: str, cache: Path, at_least: int) -> None:
    """Run ``check`` (it prints how many entries were new to the compiled-code cache, then
    saves) in two processes: the first compiles at least ``at_least``, the second none."""
    assert int(_in_python(check, cache)) >= at_least
    assert int(_in_python(check, cache)) == 0


def _in_python(code: str, cache: Path) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "DISPATCH_CACHE_DIR": str(cache)})
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_regex_cache_builds_the_stdlib_pattern_and_is_used_by_the_next_process(tmp_path):
    """A pattern from the cache is the one ``re``'s own compiler builds (Pattern ``==``
    compares flags, pattern and compiled program), matches the same, and a second process
    takes every pattern from the file instead of compiling it."""
    check = ("import re, sys\nfrom dispatch import compilecache\nassert compilecache.install()\n"
             f"PATTERNS = {_PATTERNS}\n"
             "for text, flags in PATTERNS:\n"
             "    mine, stdlib = re.compile(text, flags), compilecache._stdlib_compile(text, flags)\n"
             "    assert mine == stdlib and mine.groupindex == stdlib.groupindex and mine.groups == stdlib.groups\n"
             "    sample = b'x\\xe9=1' if isinstance(text, bytes) else 'ab12 STRASSE ǆ 中文字'\n"
             "    assert [m.span() for m in mine.finditer(sample)] == [m.span() for m in stdlib.finditer(sample)]\n"
             "    re.purge()\n"
             "print(len(compilecache._new_patterns))\ncompilecache.SAVE_AT_LEAST = 1\ncompilecache.save()\n")
    cache = tmp_path / "cache"
    _compiled_then_kept(check, cache, 8)
    files = list(cache.glob("compiled-*.marshal"))
    assert len(files) == 1
    # a damaged file is ignored (CRC), and the patterns are compiled as without a cache
    files[0].write_bytes(files[0].read_bytes()[:60] + b"\x00garbage")
    assert int(_in_python(check, cache)) >= 8


def test_dataclass_methods_from_the_cache_are_the_ones_dataclasses_compiles(tmp_path):
    """A dataclass made with the cache in place has the methods ``@dataclass`` makes without
    it (code objects compare equal) and behaves the same (init, defaults, repr, eq, hash,
    frozen); a second process takes every method's code from the file."""
    check = ("import dataclasses, sys\nfrom dispatch import compilecache\ncompilecache.install()\n"
             "def make():\n"
             "    @dataclasses.dataclass(frozen=True, order=True)\n"
             "    class Point:\n"
             "        x: int\n"
             "        y: int = 0\n"
             "        tags: tuple = dataclasses.field(default_factory=tuple)\n"
             "    @dataclasses.dataclass\n"
             "    class Box:\n"
             "        items: list = dataclasses.field(default_factory=list)\n"
             "    return Point, Box\n"
             "Point, Box = make()\n"
             "new = len(compilecache._new_codes)\n"
             "del dataclasses.exec\n"  # the builtin again: what dataclasses makes without the cache
             "Point0, Box0 = make()\n"
             "for a, b in ((Point, Point0), (Box, Box0)):\n"
             "    for name in ('__init__', '__repr__', '__eq__', '__setattr__', '__delattr__', '__hash__', '__lt__'):\n"
             "        fa, fb = a.__dict__.get(name), b.__dict__.get(name)\n"
             "        assert (fa is None) == (fb is None), name\n"
             "        if fa is not None and hasattr(fa, '__code__'):\n"
             "            assert fa.__code__ == fb.__code__, name\n"
             "p = Point(1, tags=('a',))\n"
             "assert repr(p) == 'make.<locals>.Point(x=1, y=0, tags=(\\'a\\',))' and p == Point(1, 0, ('a',))\n"
             "assert hash(p) == hash(Point(1, 0, ('a',))) and Point(0) < p and Box().items == [] and Box() == Box()\n"
             "try:\n    p.x = 2\nexcept dataclasses.FrozenInstanceError:\n    pass\nelse:\n    raise AssertionError\n"
             "print(new)\ncompilecache.SAVE_AT_LEAST = 1\ncompilecache.save()\n")
    _compiled_then_kept(check, tmp_path / "cache", 8)


def test_regex_module_patterns_from_the_cache_are_the_ones_it_compiles(tmp_path):
    """``regex`` patterns (hooked once ``regex`` is imported, after the cache is installed)
    are rebuilt from the compiled program its own pickling keeps: the same program as a
    fresh compile, the same matches; a second process compiles none of them again."""
    check = ("import sys\nfrom dispatch import compilecache\ncompilecache.install()\n"
             "assert 'regex' not in sys.modules\nimport regex\n"
             "PATTERNS = [(r'\\X', 0), (r'[\\p{Han}\\p{Hiragana}]+', 0), (r'(?<=[.!?])\\s+(?=\\p{Lu})', 0),\n"
             "            (r'(?P<tag>#\\w+)', regex.I), (r'\\p{Extended_Pictographic}', regex.V1)]\n"
             "sample = 'Hi. Über 人工智能 ひらがな #Tag 👩\u200d💻 e\u0301!'\n"
             "for text, flags in PATTERNS:\n"
             "    mine, fresh = regex.compile(text, flags), regex.compile(text, flags, cache_pattern=False)\n"
             "    assert mine is not fresh and mine._pickled_data == fresh._pickled_data\n"
             "    assert mine.findall(sample) == fresh.findall(sample) and mine.groupindex == fresh.groupindex\n"
             "    assert regex.compile(text, flags) is mine and bool(regex.search(text, sample, flags)) == bool(fresh.search(sample))\n"
             "print(len(compilecache._new_rx))\ncompilecache.SAVE_AT_LEAST = 1\ncompilecache.save()\n")
    _compiled_then_kept(check, tmp_path / "cache", 5)


def test_a_run_with_a_few_new_patterns_does_not_rewrite_the_cache(tmp_path):
    """Babel builds a pattern from a set (its order changes with each process's hash seed):
    a run whose only new entries are a handful like it leaves the file as it is."""
    cache = tmp_path / "cache"
    assert _render_in_process(EXAMPLE, tmp_path / "one", cache).returncode == 0
    (path,) = cache.glob("compiled-*.marshal")
    before = (path.stat().st_mtime_ns, path.read_bytes())
    code = ("import re\nfrom dispatch import compilecache\ncompilecache.install()\n"
            "re.compile('(?:' + '|'.join({'and', 'or', 'not', 'mod'}) + ')x'); re.compile('only-in-this-run-[0-9]')\n"
            "print(len(compilecache._new_patterns))\ncompilecache.save()\n")
    assert 1 <= int(_in_python(code, cache)) < compilecache.SAVE_AT_LEAST
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before


def test_regex_cache_falls_back_on_a_program_sre_rejects(tmp_path):
    code = ("import re\nfrom dispatch import compilecache\ncompilecache.install()\n"
            "key = ('(?P<x>a+)b', 0)\n"
            "compilecache._patterns[key] = ('(?P<x>a+)b', 32, [1, 2, 3], 1, {'x': 1}, (None, 'x'))\n"
            "p = re.compile(*key)\n"
            "assert p == compilecache._stdlib_compile(*key) and p.match('aab').group('x') == 'aa'\nprint('ok')")
    assert _in_python(code, tmp_path / "cache").strip() == "ok"


def test_library_import_leaves_re_and_the_collector_alone(tmp_path):
    """Only the command line (``python -m dispatch``, the ``dispatch`` script) installs the
    compiled-code cache and turns the collector off; importing and using the library does neither."""
    code = ("import dataclasses, gc, re\nstdlib = re._compiler.compile\n"
            "from dispatch.render import render_issue\n"
            f"render_issue({str(EXAMPLE)!r}, {str(tmp_path / 'out')!r})\n"
            "import regex._main\n"
            "assert re._compiler.compile is stdlib and gc.isenabled() and 'exec' not in vars(dataclasses)\n"
            "assert regex._main._compile.__name__ == '_compile'\n"
            "print('ok')")
    assert _in_python(code, tmp_path / "cache").strip() == "ok"


def test_command_line_render_writes_the_compiled_code_cache_and_the_same_outputs(tmp_path):
    cache = tmp_path / "cache"
    first = _render_in_process(EXAMPLE, tmp_path / "one", cache)
    assert first.returncode == 0, first.stderr
    assert len(list(cache.glob("compiled-*.marshal"))) == 1
    second = _render_in_process(EXAMPLE, tmp_path / "two", cache)
    assert second.returncode == 0, second.stderr
    for name in ("email.html", "email.txt", "entry.xml", "thread.json", "thread.txt"):
        assert (tmp_path / "one" / "moonshot-moment" / name).read_bytes() == \
            (tmp_path / "two" / "moonshot-moment" / name).read_bytes(), name


def test_only_one_shot_commands_run_without_the_collector(tmp_path):
    """``python -m dispatch`` starts with the cyclic collector off; ``render`` keeps it off,
    every other command (here ``check`` and ``config``) turns it back on before its work."""
    import gc

    from click.testing import CliRunner

    from dispatch.cli import ONE_SHOT, main

    assert ONE_SHOT == {"render"}
    runner = CliRunner()
    try:
        for args, on in ((["check", str(EXAMPLE)], True), (["config"], True),
                         (["render", str(EXAMPLE), "--out", str(tmp_path)], False)):
            gc.disable()
            result = runner.invoke(main, args)
            assert result.exit_code == 0, result.output
            assert gc.isenabled() is on, args
    finally:
        gc.enable()


def test_feedgen_without_its_date_string_parser_until_one_is_needed(tmp_path):
    """feedgen is imported with ``dateutil.parser`` (and ``dateutil.tz``'s zone-file
    helpers, and off Windows ``dateutil.tz.win``) left out: a render imports none of them;
    afterwards zones load, ``tzwin`` is what it is without the trick, and feedgen reading a
    date string imports the real parser."""
    clean = _in_python("import dateutil.tz, sys\nprint(dateutil.tz.tzwin)\n", tmp_path / "cache")
    code = (_spy({"dateutil.parser", "importlib.resources", "calendar", "ctypes"}) +
            "from dispatch.render import render_issue\n"
            f"render_issue({str(EXAMPLE)!r}, {str(tmp_path / 'out')!r})\n"
            "by_them = [m for m in WATCH if imported_by(m, 'dateutil', 'feedgen')]\n"
            "assert not by_them or by_them == ['ctypes'] and sys.platform == 'win32', by_them\n"
            "import dateutil.tz\n"
            "tzwin = dateutil.tz.tzwin\n"
            "nz = dateutil.tz.gettz('Pacific/Auckland')\n"
            "assert nz is not None and nz.utcoffset(__import__('datetime').datetime(2026, 5, 22)).total_seconds() == 12 * 3600\n"
            "from feedgen.feed import FeedGenerator\n"
            "fg = FeedGenerator(); fg.updated('2026-05-22T07:00:00+12:00')\n"
            "assert fg.updated().isoformat() == '2026-05-22T07:00:00+12:00'\n"
            "import dateutil.parser, dateutil\n"
            "assert sys.modules['dateutil.parser'] is dateutil.parser and dateutil.parser.parse('2026-05-22').day == 22\n"
            "print(tzwin)")
    assert _in_python(code, tmp_path / "cache") == clean


_HIGHLIGHT = ("import markdown\n"
              "text = '```python hl_lines=\"2\"\\nimport os\\nprint(os.sep)\\n```\\n\\n~~~{.python hl_lines=\"1\"}\\nx = 1\\n~~~\\n'\n"
              "print(markdown.markdown(text, extensions=['fenced_code', 'codehilite']))\n"
              "print(markdown.markdown(text, extensions=['fenced_code']))\n")


def test_fenced_code_without_pygments_and_codehilite_still_highlights(tmp_path):
    """dispatch imports fenced_code with codehilite (and Pygments under it) left out: a
    render imports neither; afterwards the same process highlights a fenced block with
    codehilite exactly as a process that never saw dispatch (``hl_lines`` included)."""
    plain = _in_python(_HIGHLIGHT, tmp_path / "cache")
    code = (_spy({"pygments", "markdown.extensions.codehilite"}) +
            "from dispatch.render import render_issue\n"
            f"render_issue({str(EXAMPLE)!r}, {str(tmp_path / 'out')!r})\n"
            "assert 'markdown.extensions.codehilite' not in sys.modules and not imported_by('pygments', 'markdown')\n"
            "import markdown.extensions.fenced_code as fc\n"
            "assert not isinstance(object(), fc.CodeHiliteExtension) and fc.parse_hl_lines('1 3') == [1, 3]\n"
            + _HIGHLIGHT)
    after = _in_python(code, tmp_path / "cache")
    assert after == plain
    assert "hll" in plain or "codehilite" in plain  # codehilite did its work (Pygments or its plain fallback)


_BABEL = ("from datetime import datetime, timezone\nfrom dispatch.i18n import long_date\n"
          "when = datetime(2026, 5, 22, 7, tzinfo=timezone.utc)\n"
          "LANGS = ('en-NZ', 'en', 'zh', 'he', 'th', 'de', 'ar')\n"
          "dates = [long_date(when, timezone.utc, lang) for lang in LANGS]\n")
_BABEL_AFTER = ("from babel import Locale, localedata\nfrom babel.numbers import format_decimal\n"
                "from babel.dates import format_datetime\n"
                "nz = Locale.parse('en_NZ')\n"
                "rest = [nz.territories['NZ'], nz.number_symbols['latn']['decimal'], format_decimal(1234.5, locale=nz),\n"
                "        format_datetime(when, 'full', tzinfo=timezone.utc, locale=nz), len(localedata.load('en_NZ')),\n"
                "        sorted(localedata.load('th'))[:5], Locale.parse('he').character_order]\n"
                "print(repr((dates, rest)))\n")


def test_locale_date_part_is_used_and_the_rest_of_babel_is_unchanged(tmp_path):
    """The dateline's Babel data comes from the cache folder in a later process (the
    whole locale data is not loaded for it), dates are those Babel formats from its whole
    data, and anything else read afterwards (names, numbers, other formats, the data's
    length and keys) is what Babel gives without the cache."""
    cache = tmp_path / "cache"
    plain = subprocess.run([sys.executable, "-c", "from datetime import datetime, timezone\n"
                            "from babel.dates import format_date\nfrom babel import Locale\n"
                            "when = datetime(2026, 5, 22, 7, tzinfo=timezone.utc)\n"
                            "dates = [format_date(when.date(), 'long', locale=Locale.parse(l, sep='-')) "
                            "for l in ('en-NZ', 'en', 'zh', 'he', 'th', 'de', 'ar')]\n" + _BABEL_AFTER],
                           capture_output=True, text=True, check=True).stdout
    first = _in_python(_BABEL + _BABEL_AFTER, cache)
    assert len(list(cache.glob("locale-dates-*/*.pickle"))) >= 6  # 'en' may come in whole, as en-NZ's parent
    probe = ("from babel import localedata\n"
             "assert all(not localedata._cache[n]._whole for n in ('en_NZ', 'th', 'ar')), 'whole data loaded'\n")
    second = _in_python(_BABEL + probe + _BABEL_AFTER, cache)
    assert first == second == plain
    assert "22 May 2026" in plain and "2026年5月22日" in plain


_PREMAILER_USE = ("import premailer\n"
                  "page = ('<html><head><style>p{color:red;margin:1px} img{float:right}</style></head><body>'\n"
                  "        '<p style=\"margin:0\">x</p><img src=\"a.png\" style=\"width:10px\"></body></html>')\n"
                  "print(premailer.transform(page, allow_network=False))\n")


def test_a_render_with_every_style_known_imports_no_cssutils_and_premailer_is_itself_after(tmp_path):
    """With the declarations of every style in the cache, a render imports no cssutils and
    writes the same email; premailer's module-level names are its own again afterwards,
    and premailer used directly in that process inlines as in one that never saw dispatch
    (``float`` images aligned, cssutils imported then)."""
    cache = tmp_path / "cache"
    plain = _in_python(_PREMAILER_USE, cache)
    assert 'align="right"' in plain
    assert _render_in_process(EXAMPLE, tmp_path / "one", cache).returncode == 0
    assert (next(cache.glob("inline-rules-*")) / "declarations.json").is_file()
    code = ("import sys\nfrom dispatch.render import render_issue\n"
            f"render_issue({str(EXAMPLE)!r}, {str(tmp_path / 'two')!r})\n"
            "assert 'cssutils' not in sys.modules, 'cssutils imported'\n"
            "import premailer.premailer as pp, premailer.merge_style as ms\n"
            "assert pp.csstext_to_pairs is ms.csstext_to_pairs and ms.csstext_to_pairs.__module__ == 'premailer.merge_style'\n"
            "assert type(pp.cssutils).__name__ != '_CssutilsInTransform'\n" + _PREMAILER_USE)
    after = _in_python(code, cache)
    assert after == plain
    for name in ("email.html", "email.txt"):
        assert (tmp_path / "one" / "moonshot-moment" / name).read_bytes() == \
            (tmp_path / "two" / "moonshot-moment" / name).read_bytes(), name


def test_a_floating_image_is_aligned_with_the_declarations_cached(tmp_path):
    """premailer's ``align_floating_images`` through the cache: an image whose style floats
    gets ``align`` (real cssutils reads it), one without gets none, in a first and a second
    process alike."""
    code = ("from dispatch.channels.email import inline\n"
            "page = ('<html><body><img src=\"a.png\" style=\"float:right;width:10px\">'\n"
            "        '<img src=\"b.png\" style=\"width:5px\"></body></html>')\n"
            "print(inline(page, 'img { border: 0 }'))\n")
    cache = tmp_path / "cache"
    first, second = _in_python(code, cache), _in_python(code, cache)
    assert first == second
    assert '<img src="a.png" style="border:0; float:right; width:10px" align="right">' in first
    assert '<img src="b.png" style="border:0; width:5px">' in first


def test_render_ends_without_teardown_and_every_other_ending_is_pythons(tmp_path):
    """``render`` ends with everything printed and written, then without the interpreter's
    teardown (an ``atexit`` handler does not run); a failed render still says why and exits
    2; ``check`` exits as Python does (the handler runs)."""
    def run(*args: str) -> subprocess.CompletedProcess:
        code = ("import atexit, sys\natexit.register(lambda: print('atexit ran', flush=True))\n"
                f"sys.argv = ['dispatch', *{list(args)!r}]\nfrom dispatch.__main__ import main\nmain()\n")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "DISPATCH_CACHE_DIR": str(tmp_path / "cache")})

    # the example with one source left without a URL, so the run has a warning to print
    news = tmp_path / "news"
    news.mkdir()
    (news / "dispatch.toml").write_bytes((ROOT / "dispatch.toml").read_bytes())
    warned = news / EXAMPLE.name
    warned.write_text(EXAMPLE.read_text(encoding="utf-8").rstrip("\n") + "\n- Reuters\n", encoding="utf-8")
    done = run("render", str(warned), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "atexit ran" not in done.stdout
    lines = done.stdout.splitlines()
    assert [line.split()[0].rsplit("/", 1)[1] for line in lines] == \
        ["email.html", "email.txt", "entry.xml", "thread.json", "thread.txt"]
    assert "warning:" in done.stderr and "'Reuters'" in done.stderr  # printed before the fast exit
    assert (tmp_path / "out" / "moonshot-moment" / "thread.txt").stat().st_size > 0
    failed = run("render", str(tmp_path / "missing.md"))
    assert failed.returncode == 2 and "no such file" in failed.stderr
    checked = run("check", str(EXAMPLE))
    assert checked.returncode == 0 and "atexit ran" in checked.stdout
