"""Shared fixtures. ``../shared`` (seed, corpus, validators) is optional: tests that need it
skip with the reason when it is absent."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Compiled layout templates go to a cache folder of the test run, not the user's ~/.cache
# (subprocesses inherit it). Set before dispatch makes its first Jinja environment.
_CACHE = os.environ.setdefault("DISPATCH_CACHE_DIR", tempfile.mkdtemp(prefix="dispatch-test-cache-"))

from dispatch.config import load_settings
from dispatch.parse import parse_issue

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "issues" / "2026-05-22-moonshot-moment.md"
SHARED = Path(os.environ.get("DISPATCH_SHARED", ROOT.parent / "shared"))
ARTIFACTS = ROOT / "tests" / "artifacts"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test saying what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared (seed, corpus, validators) is not beside this checkout")
    return path


def corpus_files() -> list[Path]:
    """Every newsletter in ../shared/corpus (empty when it is absent)."""
    folder = SHARED / "corpus"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in (".md", ".markdown") and p.parent != folder)


@pytest.fixture(scope="session", autouse=True)
def _template_cache():
    yield
    if Path(_CACHE).name.startswith("dispatch-test-cache-"):
        shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def settings():
    return load_settings(EXAMPLE.parent)


@pytest.fixture(scope="session")
def issue(settings):
    return parse_issue(EXAMPLE, settings)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory, settings):
    """The example rendered once for the session: the output folder."""
    from dispatch.render import render_issue

    out = tmp_path_factory.mktemp("dist")
    report = render_issue(EXAMPLE, out, settings)
    return report


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def pytest_collection_finish(session):
    """Start Bluesky's PDS (a Node process, ≈ 4 s to start) as soon as a collected test needs
    it, so its start overlaps the tests before; the ``pds`` fixture then waits for it."""
    if any("pds" in getattr(item, "fixturenames", ()) for item in session.items):
        from servers import pds

        pds.start_early()


def pytest_sessionfinish(session):
    """Stop a PDS started early that no test took (a run stopped before the Bluesky tests)."""
    import sys

    module = sys.modules.get("servers.pds")
    if module is not None and module._early is not None:
        module._early.stop()
