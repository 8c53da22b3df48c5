"""The publication state of one issue: what went out where, so every post goes out exactly once.

One JSON file per issue, ``<out>/<slug>.publish.json``, beside the render output folder
``<out>/<slug>/`` (not inside it: a render replaces that folder whole). It is rewritten
atomically (temporary file + rename, :func:`dispatch.output.write_file`) before and after
every request, so a crash at any point leaves either the state before or after a step.
It holds no secret: no token, password, session or signature is ever written.

Shape (``format`` 1)::

    {"format": 1,
     "issue": {"id": "urn:uuid:…", "slug": "moonshot-moment"},
     "channels": {
       "masto": {"kind": "mastodon", "endpoint": "https://…/", "account": "@briefing",
                 "entries": [Entry, …],        # in sending order
                 "superseded": [[Entry, …], …] # earlier runs replaced by --force
       }}}

An :class:`Entry` is one (channel, post): the content hash and frozen text, the client key
chosen before the first request (Mastodon's Idempotency-Key, Bluesky's record key, the
webhook-id), then the remote id and URL, the parent reference, the status, the number of
attempts and the last error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ..errors import DispatchError
from ..output import write_file

FORMAT = 1

#: Entry statuses. ``in_flight``: a request was (maybe) sent and its outcome is not known;
#: the next run asks the server before anything else.
PENDING, IN_FLIGHT, DONE, FAILED = "pending", "in_flight", "done", "failed"


def content_hash(data: Any) -> str:
    """``sha256:<hex>`` of ``data`` as canonical JSON (sorted keys, UTF-8): the hash of what
    one request would carry, so any change to text, facets or card is seen."""
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def now_iso() -> str:
    """The current UTC time as RFC 3339 with seconds (``2026-05-22T07:00:00Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Entry:
    """One (channel, post) of the state file.

    Attributes:
        key: the item's key within its channel (``post-1``, ``event``).
        hash: :func:`content_hash` of the item's content when it was planned.
        text: the frozen text (what a person would recognise: a post's text, a subject).
        client_key: chosen before the first request and reused by every retry and re-run.
        status: ``pending`` / ``in_flight`` / ``done`` / ``failed``.
        attempts: requests started for this entry, over all runs.
        remote_id: the server's id (Mastodon status id, Bluesky ``at://`` URI), once known.
        remote_url: a URL a person can open, where the platform gives one.
        ref: platform data later items need (Bluesky ``{"uri", "cid"}``), else ``{}``.
        parent: the ``remote_id`` this item replies to (threads), else ``""``.
        last_error: the last failure, one line, else ``""``.
        sent_at: when the last request started (RFC 3339 UTC), else ``""``.
    """

    key: str
    hash: str
    text: str
    client_key: str
    status: str = PENDING
    attempts: int = 0
    remote_id: str = ""
    remote_url: str = ""
    ref: dict = field(default_factory=dict)
    parent: str = ""
    last_error: str = ""
    sent_at: str = ""

    @classmethod
    def from_json(cls, data: dict) -> "Entry":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class ChannelState:
    """A channel's part of the state: where it publishes and its entries, in order."""

    kind: str
    endpoint: str
    account: str
    entries: list[Entry] = field(default_factory=list)
    superseded: list[list[Entry]] = field(default_factory=list)

    def live(self) -> list[Entry]:
        """Entries that are or may be on the server (``done`` or ``in_flight``)."""
        return [e for e in self.entries if e.status in (DONE, IN_FLIGHT)]


class PublishState:
    """The state file of one issue, loaded and saved whole.

    Use :meth:`open` (a context manager holding an exclusive lock on ``<file>.lock``, so two
    runs for the same issue cannot interleave); call :meth:`save` after every change.
    """

    def __init__(self, path: Path, issue_id: str, slug: str):
        self.path = path
        self.issue_id = issue_id
        self.slug = slug
        self.channels: dict[str, ChannelState] = {}
        self.saves = 0

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path, issue_id: str, slug: str) -> Iterator["PublishState"]:
        """Load (or start) the state at ``path`` and hold its lock while the block runs.

        Raises:
            DispatchError: the file is unreadable, not a state file, belongs to another issue
                id, or another ``dispatch publish`` holds the lock.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = path.with_name(path.name + ".lock")
        with open(lock_path, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DispatchError("another 'dispatch publish' of this issue is running; wait for it to finish",
                                    path) from None
            state = cls(path, issue_id, slug)
            state._load()
            yield state

    def _load(self) -> None:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise DispatchError(f"cannot read the publication state: {exc.strerror}", self.path) from None
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise ValueError
            channels = data["channels"]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise DispatchError("is not a dispatch publication state file (format 1); move it aside only if "
                                "nothing was published from it", self.path) from None
        stored_id = data.get("issue", {}).get("id")
        if stored_id and stored_id != self.issue_id:
            raise DispatchError(f"records issue {stored_id}, but the issue's id is now {self.issue_id}; "
                                "restore the issue's 'id' (changing it would publish everything again)", self.path)
        for name, ch in channels.items():
            self.channels[name] = ChannelState(
                ch["kind"], ch.get("endpoint", ""), ch.get("account", ""),
                [Entry.from_json(e) for e in ch.get("entries", [])],
                [[Entry.from_json(e) for e in run] for run in ch.get("superseded", [])],
            )

    def to_json(self) -> dict:
        """The file's content as a JSON-able dict."""
        return {
            "format": FORMAT,
            "issue": {"id": self.issue_id, "slug": self.slug},
            "channels": {
                name: {
                    "kind": ch.kind, "endpoint": ch.endpoint, "account": ch.account,
                    "entries": [dataclasses.asdict(e) for e in ch.entries],
                    **({"superseded": [[dataclasses.asdict(e) for e in run] for run in ch.superseded]}
                       if ch.superseded else {}),
                }
                for name, ch in self.channels.items()
            },
        }

    def save(self) -> None:
        """Write the whole state atomically (temporary file in the same folder + rename).

        Raises:
            DispatchError: the file cannot be written (the run must stop: sending on without a
                record could duplicate).
        """
        data = (json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        try:
            write_file(self.path, data)
        except OSError as exc:
            raise DispatchError(f"cannot write the publication state: {exc.strerror}", self.path) from None
        self.saves += 1


def state_path(out: Path, slug: str) -> Path:
    """Where the state of the issue with ``slug`` lives: ``<out>/<slug>.publish.json``."""
    return Path(out) / f"{slug}.publish.json"
