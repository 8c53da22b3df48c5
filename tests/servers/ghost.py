"""A real Ghost 6.65.0 (SQLite, Node 22) on loopback for the Ghost publishing tests.

``.ci/ghost`` installs it (with Node 22 from ``.ci/node22``) into the test cache,
``${XDG_CACHE_HOME:-~/.cache}/dispatch-test``, beside the PDS; :func:`find_ghost` looks there
(or at ``$DISPATCH_GHOST_DIR``; Node as :mod:`servers.pds` finds it).

:class:`GhostServer` boots it on a free port with its database and content in a temporary
folder, makes the owner account over HTTP (``authentication/setup/``, then a session whose
``Origin`` is the site URL) and a custom integration whose Admin API key the tests publish
with. That fresh database is then kept (a SQLite backup) as ``ghost-6.65.0-db/`` in the cache:
later sessions start from a copy of it, skipping the migrations and the setup (about half the
boot). :meth:`GhostServer.stop` ends the process it started and removes the folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from contextlib import closing
from pathlib import Path

import requests

from .pds import CACHE, NODE

VERSION = "6.65.0"
BOOT_SECONDS = 180  # first boot runs the migrations: ≈ 15 s on an idle machine
OWNER = {"name": "Dispatch Tests", "email": "owner@example.com", "password": "dispatch-Test-owner-2026!",
         "blogTitle": "Dispatch test site"}


def find_ghost() -> tuple[Path, Path] | str:
    """``(ghost folder, node binary)``, or why they cannot be used (a skip reason)."""
    ghost = Path(os.environ.get("DISPATCH_GHOST_DIR") or CACHE / f"ghost-{VERSION}")
    if not (ghost / ".installed").exists():
        return f"Ghost {VERSION} is not installed at {ghost}: run .ci/ghost (≈ 7 min cold; .ci/run does)"
    if not NODE.exists():
        return f"Node 22 is not installed at {NODE}: run .ci/node22"
    return ghost, NODE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GhostServer:
    """One Ghost process. Attributes once :meth:`start` returned: ``url`` (``http://127.0.0.1:<port>/``),
    ``admin_key`` (``<id>:<hex secret>``), ``boot_seconds``."""

    def __init__(self, ghost: Path, node: Path):
        self.ghost, self.node = ghost, node
        self.folder = Path(tempfile.mkdtemp(prefix="dispatch-ghost-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.admin_key = ""
        self.boot_seconds = 0.0
        self.process: subprocess.Popen | None = None
        self.log = self.folder / "ghost.log"

    def start(self) -> "GhostServer":
        content = self.folder / "content"
        for sub in ("data", "images", "logs", "settings", "public", "adapters", "files", "media"):
            (content / sub).mkdir(parents=True)
        shutil.copytree(self.ghost / "content" / "themes", content / "themes")
        env = {**os.environ, "NODE_ENV": "development", "url": self.url.rstrip("/"), "server__host": "127.0.0.1",
               "server__port": str(self.port), "database__connection__filename": str(content / "data" / "ghost.db"),
               "paths__contentPath": str(content), "logging__transports": '["stdout"]', "logging__level": "error",
               "PATH": f"{self.node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        template = CACHE / f"ghost-{VERSION}-db"
        fresh = not (template / "admin_key").exists()
        if not fresh:
            shutil.copyfile(template / "ghost.db", content / "data" / "ghost.db")
            self.admin_key = (template / "admin_key").read_text().strip()
        started = time.monotonic()
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([str(self.node), "index.js"], cwd=self.ghost, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            self._wait_ready(started)
            self.boot_seconds = time.monotonic() - started
            if fresh:
                self._setup()
                self._keep(content / "data" / "ghost.db", template)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, started: float) -> None:
        while time.monotonic() - started < BOOT_SECONDS:
            if self.process.poll() is not None:
                raise RuntimeError(f"Ghost exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.api("site/"), timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"Ghost did not answer within {BOOT_SECONDS} s: {self.log.read_text()[-2000:]}")

    def api(self, path: str) -> str:
        return f"{self.url}ghost/api/admin/{path}"

    def _setup(self) -> None:
        """The owner account, a session, and a custom integration's Admin API key."""
        headers = {"Origin": self.url.rstrip("/"), "Accept-Version": "v6.0"}
        r = requests.post(self.api("authentication/setup/"), json={"setup": [OWNER]}, headers=headers, timeout=60)
        r.raise_for_status()
        session = requests.Session()
        session.headers.update(headers)
        session.post(self.api("session/"), json={"username": OWNER["email"], "password": OWNER["password"]},
                     timeout=60).raise_for_status()
        r = session.post(self.api("integrations/?include=api_keys"),
                         json={"integrations": [{"name": "dispatch tests"}]}, timeout=60)
        r.raise_for_status()
        keys = r.json()["integrations"][0]["api_keys"]
        self.admin_key = next(k["secret"] for k in keys if k["type"] == "admin")

    def _keep(self, db: Path, template: Path) -> None:
        """Keep a consistent copy of the set-up database (SQLite's online backup) for later runs."""
        tmp = Path(tempfile.mkdtemp(prefix=".ghost-db-", dir=CACHE))
        try:
            with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(tmp / "ghost.db")) as dst:
                src.backup(dst)
            (tmp / "admin_key").write_text(self.admin_key + "\n")
            os.replace(tmp, template)
        except (OSError, sqlite3.Error):
            pass  # another session kept one first, or the cache is read-only: start fresh next time
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)
