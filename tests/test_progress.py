"""dispatch.progress: a bar on a terminal, nothing in a pipe or log."""

from __future__ import annotations

import io

from dispatch.progress import enabled, progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_quiet_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv("DISPATCH_PROGRESS", raising=False)
    out = io.StringIO()
    assert list(progress(range(5), desc="Rendering", stream=out, delay=0)) == [0, 1, 2, 3, 4]
    assert out.getvalue() == ""
    assert not enabled(out)


def test_draws_on_a_terminal(monkeypatch):
    monkeypatch.delenv("DISPATCH_PROGRESS", raising=False)
    out = _Tty()
    with progress(total=3, desc="Checking links", unit="link", stream=out, delay=0) as bar:
        for _ in range(3):
            bar.update()
    drawn = out.getvalue()
    assert "Checking links" in drawn and "0/3" in drawn and "link/s" in drawn


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("DISPATCH_PROGRESS", "0")
    assert not enabled(_Tty())
    monkeypatch.setenv("DISPATCH_PROGRESS", "1")
    out = io.StringIO()
    list(progress(range(2), desc="Publishing", stream=out, delay=0))
    assert "Publishing" in out.getvalue()


def test_build_shows_progress_only_when_asked_or_on_a_terminal(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "issues").mkdir()
    for n in range(3):
        (tmp_path / "issues" / f"{n}.md").write_text(f"---\ntitle: N{n}\ndate: 2026-01-0{n + 1}\n---\nLead.\n",
                                                   encoding="utf-8")
    (tmp_path / "dispatch.toml").write_text('base_url = "https://p.example/"\n', encoding="utf-8")

    def build(flag: str) -> str:
        env = {**os.environ, "DISPATCH_PROGRESS": flag}
        proc = subprocess.run([sys.executable, "-m", "dispatch", "build", "issues", "--out", f"out{flag}"],
                              cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stderr

    assert "Reading issues" not in build("0")
    # DISPATCH_PROGRESS=1 draws even into a pipe, from the first issue
    shown = build("1")
    assert "Reading issues:" in shown and "/3 [" in shown
