"""`dispatch init` writes a .gitignore that keeps the build cache (every draft's full text),
dist/ and public/ out of git, adding only the lines an existing one lacks; `build` and `check`
warn when git would push the cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch.archive import build_archive, parse_now
from dispatch.authoring import check_folder, init_newsletter
from dispatch.config import load_settings

from test_build_support import issue_text, write_archive

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(folder: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True, env=env).stdout


@needs_git
def test_init_gitignore_keeps_drafts_and_outputs_out_of_a_push(tmp_path):
    folder = tmp_path / "letter"
    done = init_newsletter(folder, timezone="UTC", language="en")
    assert done.gitignore is not None and done.gitignore.created
    lines = (folder / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if not line.startswith("#")] == [".dispatch-cache/", "dist/", "public/",
                                                                    ".*.dispatch-work/"]
    # a real git repository: after a render and a build, `git add -A` would take only the sources
    (folder / "issues" / "later.md").write_text(issue_text("Later", "2026-05-20 07:00", draft=True), encoding="utf-8")
    settings = load_settings(folder)
    build_archive(folder / "issues", folder / "public", settings, parse_now("2026-06-01T00:00:00Z"))
    (folder / "dist" / "x").mkdir(parents=True)
    (folder / "dist" / "x" / "email.html").write_text("<p>draft</p>", encoding="utf-8")
    assert any((folder / ".dispatch-cache").rglob("*")), "the build should have written its cache"
    git(folder, "init", "-q")
    added = sorted(git(folder, "add", "-A", "--dry-run").splitlines())
    assert added == sorted(f"add '{p}'" for p in (".gitignore", "dispatch.toml", f"issues/{done.draft.name}",
                                                  "issues/later.md"))


def test_init_adds_only_the_missing_lines_to_an_existing_gitignore(tmp_path):
    (tmp_path / ".gitignore").write_text("node_modules/\n# mine\n/dist", encoding="utf-8")  # no final newline
    done = init_newsletter(tmp_path, timezone="UTC", language="en")
    assert not done.gitignore.created and done.gitignore.added == [".dispatch-cache/", "public/", ".*.dispatch-work/"]
    text = (tmp_path / ".gitignore").read_text(encoding="utf-8")
    assert text.startswith("node_modules/\n# mine\n/dist\n\n# added by dispatch init")
    assert [line for line in text.splitlines() if line and not line.startswith("#")] == [
        "node_modules/", "/dist", ".dispatch-cache/", "public/", ".*.dispatch-work/"]


def test_init_says_it_wrote_the_gitignore(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "dispatch", "init", "news", "--timezone", "UTC"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (f"created {Path('news') / '.gitignore'}  (git leaves out .dispatch-cache/, dist/, public/, "
            ".*.dispatch-work/: the cache holds your drafts)") in proc.stdout.splitlines()
    assert ".gitignore keeps dist/, public/ and .dispatch-cache/" in proc.stdout.split("Next:")[1]


@needs_git
def test_build_and_check_warn_when_git_would_push_the_cache(tmp_path):
    folder = write_archive(tmp_path, {"one.md": issue_text("One", "2026-05-20 07:00")})
    git(tmp_path, "init", "-q")
    build = subprocess.run([sys.executable, "-m", "dispatch", "build", "issues", "--out", "public",
                            "--now", "2026-06-01T00:00:00Z"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    cache = tmp_path / ".dispatch-cache"
    expected = (f"warning: {cache}: the build cache holds every draft's full text and git does not ignore it; "
                "add '.dispatch-cache/' to .gitignore beside it before you push")
    assert expected in build.stderr.splitlines()
    report = check_folder(folder, load_settings(folder))
    [found] = [d for d in report.diagnostics if d.code == "cache-not-ignored"]
    assert (found.severity, found.path) == ("warning", str(cache))
    # ignored: quiet; ignored but committed earlier: told how to untrack it
    (tmp_path / ".gitignore").write_text(".dispatch-cache/\n", encoding="utf-8")
    assert not [d for d in check_folder(folder, load_settings(folder)).diagnostics if d.code == "cache-not-ignored"]
    git(tmp_path, "add", "-f", ".dispatch-cache")
    [tracked] = [d for d in check_folder(folder, load_settings(folder)).diagnostics if d.code == "cache-not-ignored"]
    assert tracked.message.endswith("remove them with: git rm -r --cached .dispatch-cache")


def test_no_warning_outside_a_git_work_tree(tmp_path):
    folder = write_archive(tmp_path, {"one.md": issue_text("One", "2026-05-20 07:00")})
    build_archive(folder, tmp_path / "public", load_settings(folder), parse_now("2026-06-01T00:00:00Z"))
    assert (tmp_path / ".dispatch-cache").is_dir()
    assert not [d for d in check_folder(folder, load_settings(folder)).diagnostics if d.code == "cache-not-ignored"]
