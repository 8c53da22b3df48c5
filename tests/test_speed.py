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

from dispatch import layout
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


def test_render_never_imports_what_only_fetches(tmp_path):
    """premailer and cssutils import requests, urllib.request and importlib.metadata but use
    them only to fetch a URL, which a render never does: a render leaves them unimported by
    premailer and cssutils (another installed library may import importlib.metadata for its
    own reasons: Pygments before 2.21 does, from ``pygments.plugin``, when Python-Markdown's
    codehilite imports it), imports no HTTP or TLS module at all, and the libraries'
    references still reach the real modules when used."""
    code = ("import sys, traceback\n"
            "from dispatch.channels.email import FETCH_ONLY\n"
            "WATCH = {*FETCH_ONLY, 'urllib3', 'http.client', 'ssl'}\n"
            "importers = {}\n"
            "class Spy:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name in WATCH and name not in sys.modules:\n"
            "            importers.setdefault(name, [f.filename for f in traceback.extract_stack()])\n"
            "sys.meta_path.insert(0, Spy())\n"
            "from dispatch.render import render_issue\n"
            f"render_issue({str(EXAMPLE)!r}, {str(tmp_path)!r})\n"
            "network = [m for m in ('requests', 'urllib.request', 'urllib3', 'http.client', 'ssl') if m in sys.modules]\n"
            "assert not network, network\n"
            "by_them = {m: s for m, s in importers.items() if m in sys.modules and any(\n"
            "    ('/premailer/' in f or '/cssutils/' in f) for f in s)}\n"
            "assert not by_them, by_them\n"
            "sys.meta_path.pop(0)\n"
            "import premailer.premailer as p, cssutils._fetch as f, urllib\n"
            "get, version, request = p.requests.get, f._get_version(), urllib.request.Request\n"
            "import requests, urllib.request, importlib.metadata\n"
            "assert get is requests.get and sys.modules['requests'] is requests\n"
            "assert request is urllib.request.Request and version == importlib.metadata.version('cssutils')")
    loaded = _modules_after(code)
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


def _in_python(code: str, cache: Path) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "DISPATCH_CACHE_DIR": str(cache)})
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_regex_cache_builds_the_stdlib_pattern_and_is_used_by_the_next_process(tmp_path):
    """A pattern from the cache is the one ``re``'s own compiler builds (Pattern ``==``
    compares flags, pattern and compiled program), matches the same, and a second process
    takes every pattern from the file instead of compiling it."""
    check = ("import re, sys\nfrom dispatch import regexcache\nassert regexcache.install()\n"
             f"PATTERNS = {_PATTERNS}\n"
             "for text, flags in PATTERNS:\n"
             "    mine, stdlib = re.compile(text, flags), regexcache._stdlib_compile(text, flags)\n"
             "    assert mine == stdlib and mine.groupindex == stdlib.groupindex and mine.groups == stdlib.groups\n"
             "    sample = b'x\\xe9=1' if isinstance(text, bytes) else 'ab12 STRASSE ǆ 中文字'\n"
             "    assert [m.span() for m in mine.finditer(sample)] == [m.span() for m in stdlib.finditer(sample)]\n"
             "    re.purge()\n"
             "print(len(regexcache._recorded))\nregexcache.save()\n")
    cache = tmp_path / "cache"
    assert int(_in_python(check, cache)) >= 8  # first process: compiled and recorded
    files = list(cache.glob("regex-*.marshal"))
    assert len(files) == 1
    assert int(_in_python(check, cache)) == 0  # second: every pattern from the file, nothing new
    # a damaged file is ignored (CRC), and the patterns are compiled as without a cache
    files[0].write_bytes(files[0].read_bytes()[:60] + b"\x00garbage")
    assert int(_in_python(check, cache)) >= 8


def test_regex_cache_falls_back_on_a_program_sre_rejects(tmp_path):
    code = ("import re\nfrom dispatch import regexcache\nregexcache.install()\n"
            "key = ('(?P<x>a+)b', 0)\n"
            "regexcache._known[key] = ('(?P<x>a+)b', 32, [1, 2, 3], 1, {'x': 1}, (None, 'x'))\n"
            "p = re.compile(*key)\n"
            "assert p == regexcache._stdlib_compile(*key) and p.match('aab').group('x') == 'aa'\nprint('ok')")
    assert _in_python(code, tmp_path / "cache").strip() == "ok"


def test_library_import_leaves_re_and_the_collector_alone(tmp_path):
    """Only the command line (``python -m dispatch``, the ``dispatch`` script) installs the
    regex cache and turns the collector off; importing and using the library does neither."""
    code = ("import gc, re\nstdlib = re._compiler.compile\n"
            "from dispatch.render import render_issue\n"
            f"render_issue({str(EXAMPLE)!r}, {str(tmp_path / 'out')!r})\n"
            "assert re._compiler.compile is stdlib and gc.isenabled()\nprint('ok')")
    assert _in_python(code, tmp_path / "cache").strip() == "ok"


def test_command_line_render_writes_the_regex_cache_and_the_same_outputs(tmp_path):
    cache = tmp_path / "cache"
    first = _render_in_process(EXAMPLE, tmp_path / "one", cache)
    assert first.returncode == 0, first.stderr
    assert len(list(cache.glob("regex-*.marshal"))) == 1
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
    """feedgen is imported with ``dateutil.parser`` deferred: a render never imports it;
    feedgen reading a date string afterwards imports it then, and gets the real parser."""
    code = ("import sys\nfrom dispatch.render import render_issue\n"
            f"render_issue({str(EXAMPLE)!r}, {str(tmp_path / 'out')!r})\n"
            "assert 'dateutil.parser' not in sys.modules\n"
            "from feedgen.feed import FeedGenerator\n"
            "fg = FeedGenerator(); fg.updated('2026-05-22T07:00:00+12:00')\n"
            "assert fg.updated().isoformat() == '2026-05-22T07:00:00+12:00'\n"
            "import dateutil.parser, dateutil\n"
            "assert sys.modules['dateutil.parser'] is dateutil.parser and dateutil.parser.parse('2026-05-22').day == 22\n"
            "print('ok')")
    assert _in_python(code, tmp_path / "cache").strip() == "ok"
