"""What the email-platform channels share (Buttondown, Ghost, listmonk): a draft, then — only
with ``--schedule`` — a scheduled send of that same draft, as two separate items.

Every email channel publishes at most two items, chained:

1. ``draft``: the email as ``dispatch render --platform <preset>`` writes it (subject, HTML,
   plain-text part; merge tags included), created as a **draft**. Nothing reaches a
   subscriber.
2. ``send`` (only with ``--schedule``): the draft from step 1 scheduled to go out at that time.
   Sending cannot be undone, so it is its own entry in the state file: "created" and
   "scheduled to send" are recorded apart, and a draft made by an earlier run without
   ``--schedule`` is the one scheduled (review it, then run again with ``--schedule``).

A platform module subclasses :class:`EmailChannel` and writes the platform's requests:
:meth:`~EmailChannel.draft_request`, :meth:`~EmailChannel.accept_draft`,
:meth:`~EmailChannel.find_draft` (reconcile: does the draft exist although no answer was
recorded?) and, for ``send``, :meth:`~EmailChannel.send_requests` and
:meth:`~EmailChannel.is_scheduled`. The state, retries and order are the runner's
(:mod:`dispatch.publish.runner`).
"""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timezone
from typing import Any

from ..errors import DispatchError
from .channel import Channel, Item, Rendered
from .http import HttpError, Request
from .state import DONE, IN_FLIGHT, PENDING, Entry, content_hash

DRAFT, SEND = "draft", "send"
#: The entry ``ref`` flag of a draft that is on the server and must be updated to the issue.
UPDATE = "update"


def utc_iso(when: datetime) -> str:
    """``when`` as RFC 3339 in UTC with seconds (``2026-05-22T19:00:00Z``)."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def byte_size(text: str) -> str:
    """``45,120 bytes``: the UTF-8 size of ``text``, for ``--dry-run`` summaries."""
    return f"{len(text.encode('utf-8')):,} bytes"


class EmailChannel(Channel):
    """Base of the email channels: items ``draft`` and (with ``--schedule``) ``send``.

    Class attributes: ``platform`` (the render preset: what is sent is exactly what
    ``dispatch render --platform <platform>`` writes).
    """

    chained = True
    #: Ask :meth:`find_draft` before every create (a platform without idempotency keys whose
    #: drafts have a natural key, as Ghost's slug).
    look_before_create = False

    # --- what the runner calls -----------------------------------------------------------------

    def items(self) -> list[Item]:
        """``[draft]`` or ``[draft, send]``.

        Raises:
            DispatchError: ``--schedule`` is not in the future, or the module's own checks
                (:meth:`check`) fail.
        """
        rendered = self.ctx.rendered(self.platform)
        self.check(rendered)
        items = [Item(DRAFT, "draft", rendered.subject, self.draft_content(rendered))]
        when = self.ctx.schedule
        if when is not None:
            if when <= datetime.now(timezone.utc):
                raise DispatchError(f"--schedule {when.isoformat()} is in the past; give a time to come")
            iso = utc_iso(when)
            items.append(Item(SEND, f"send at {iso}", f"send at {iso}", {"send_at": iso, **self.send_options()}))
        return items

    def request(self, item: Item, entry: Entry, before: list[Entry]) -> Request:
        """The first request of ``item`` (for ``--dry-run``; its summary names any that follow)."""
        if item.key == DRAFT:
            return self.update_request(item.content, entry) if _updating(entry) else \
                self.draft_request(item.content, entry)
        first, *rest = self.send_requests(item.content, before[0])
        if rest:
            then = "\n".join(f"then {r.method} {r.url}" + (f": {r.summary}" if r.summary else "") for r in rest)
            first = dataclasses.replace(first, summary=(first.summary + "\n" + then).strip())
        return first

    def accept(self, item: Item, entry: Entry, body: Any) -> None:
        if item.key == DRAFT:
            self.accept_draft(entry, body)

    def send(self, item: Item, entry: Entry, before: list[Entry]) -> None:
        """The draft: created, or updated when the issue changed since (made anew if it was
        deleted on the platform meanwhile). The scheduled send: skipped when the server already
        has the draft scheduled at that time (an earlier answer lost), else its requests in
        order; a refusal is checked against the server once more before it counts as a failure."""
        if item.key == DRAFT:
            if _updating(entry):
                try:
                    self.update(item.content, entry)
                    entry.ref = {k: v for k, v in entry.ref.items() if k != UPDATE}
                    return
                except HttpError as exc:
                    if exc.status != 404:
                        raise
                    entry.remote_id, entry.remote_url, entry.ref = "", "", {}  # deleted there: make it anew
            return self._create(item, entry)
        draft = before[0]
        if self.find(item, entry, before):
            return
        try:
            self.schedule(item.content, draft)
        except HttpError:
            if self.find(item, entry, before):
                return
            raise
        self._fill_send(entry, draft, item.content["send_at"])

    def _create(self, item: Item, entry: Entry) -> None:
        """Create the draft. A create without an idempotency key that failed where the server
        may have acted (a 5xx, no answer) is tried again — with the HTTP layer's backoff and
        number of retries — only once :meth:`find_draft` says the draft is not there."""
        if self.look_before_create and self.find_draft(item.content, entry):
            return
        request = self.create_request(item.content, entry)
        for attempt in range(self.http.retries + 1):
            try:
                self.accept_draft(entry, self.http.send(request))
                return
            except HttpError as exc:
                if request.idempotent or not exc.maybe_created or attempt == self.http.retries:
                    raise
                if self.find_draft(item.content, entry):
                    return
            time.sleep(min(self.http.backoff * 2 ** attempt, 30.0))

    def find(self, item: Item, entry: Entry, before: list[Entry]) -> bool:
        if item.key == DRAFT:
            # An update whose answer was lost is simply sent again (it is idempotent).
            return False if _updating(entry) else self.find_draft(item.content, entry)
        draft = before[0]
        if self.is_scheduled(draft, item.content["send_at"]):
            self._fill_send(entry, draft, item.content["send_at"])
            return True
        return False

    def revise(self, items: list[Item], state) -> str | None:
        """A draft nobody was sent is updated in place when the issue changed: the draft entry
        goes back to ``pending`` with its ``remote_id`` (:meth:`update` then), and a send
        that never went out is planned again. Once a send is scheduled (or may be), an edit is
        refused as for any channel."""
        same = (state.kind, state.endpoint.rstrip("/"), state.account) == \
            (self.kind, self.config.endpoint.rstrip("/"), self.config.account)
        entries = state.entries
        if not same or not entries or entries[0].key != DRAFT or entries[0].status != DONE \
                or any(e.status in (DONE, IN_FLIGHT) for e in entries[1:]):
            return None
        draft, item = entries[0], items[0]
        new = content_hash(item.content)
        note = None
        if draft.hash != new:
            draft.hash, draft.text, draft.status = new, item.text, PENDING
            draft.ref = {**draft.ref, UPDATE: True}
            note = "the issue changed since the draft was made: the draft is updated in place (nothing had been sent)"
        old = {e.key: e for e in entries[1:]}
        state.entries = [draft] + [
            old[i.key] if i.key in old and old[i.key].hash == content_hash(i.content)
            else Entry(i.key, content_hash(i.content), i.text, self.client_key(i)) for i in items[1:]]
        return note or "the send planned before never went out: it is planned again as now given"

    def state_text(self, entries: list[Entry]) -> str | None:
        draft = entries[0]
        send = next((e for e in entries[1:] if e.key == SEND and e.status == DONE), None)
        where = f" ({draft.remote_url or draft.remote_id})"
        if send is None:
            return "draft created, not sent" + where
        return f"draft created, scheduled to send at {send.ref.get('send_at', '')}" + where

    @staticmethod
    def _fill_send(entry: Entry, draft: Entry, send_at: str) -> None:
        entry.remote_id, entry.remote_url = draft.remote_id, draft.remote_url
        entry.ref = {"send_at": send_at}

    # --- what a platform module implements ----------------------------------------------------

    def check(self, rendered: Rendered) -> None:
        """Refuse what the platform would refuse, before anything is sent (default: nothing).

        Raises:
            DispatchError: one line naming the setting or input to fix.
        """

    def draft_content(self, rendered: Rendered) -> dict:
        """The JSON-able content of the draft (its hash notices any edit)."""
        raise NotImplementedError

    def draft_request(self, content: dict, entry: Entry) -> Request:
        """The request creating the draft (``entry.client_key`` is the idempotency key)."""
        raise NotImplementedError

    def update_request(self, content: dict, entry: Entry) -> Request:
        """The request that updates the draft ``entry.remote_id`` to ``content`` (still a draft)."""
        raise NotImplementedError

    def update(self, content: dict, entry: Entry) -> None:
        """Update the draft (default: :meth:`update_request`).

        Raises:
            HttpError: the request failed.
        """
        self.http.send(self.update_request(content, entry))

    def create_request(self, content: dict, entry: Entry) -> Request:
        """The request a real run creates the draft with (default: :meth:`draft_request`;
        a module may resolve names on the server here, which ``--dry-run`` must not)."""
        return self.draft_request(content, entry)

    def accept_draft(self, entry: Entry, body: Any) -> None:
        """Fill ``entry.remote_id``/``remote_url`` from the create answer."""
        raise NotImplementedError

    def find_draft(self, content: dict, entry: Entry) -> bool:
        """Whether the draft exists on the server though no answer was recorded; fill
        ``entry`` in if so."""
        raise NotImplementedError

    def send_options(self) -> dict:
        """Extra content of the ``send`` item (Ghost's newsletter), part of its hash."""
        return {}

    def send_requests(self, content: dict, draft: Entry) -> list[Request]:
        """The request(s) that schedule ``draft`` to send at ``content['send_at']``, as
        ``--dry-run`` shows them (no request may be sent to build them)."""
        raise NotImplementedError

    def schedule(self, content: dict, draft: Entry) -> None:
        """Schedule ``draft`` (default: :meth:`send_requests` in order).

        Raises:
            HttpError: a request failed.
        """
        for request in self.send_requests(content, draft):
            self.http.send(request)

    def is_scheduled(self, draft: Entry, send_at: str) -> bool:
        """Whether the server has ``draft`` scheduled to send at ``send_at``.

        Raises:
            HttpError: the server could not be asked.
        """
        raise NotImplementedError


def _updating(entry: Entry) -> bool:
    """Whether ``entry`` is a draft on the server to be updated (see :meth:`EmailChannel.revise`)."""
    return bool(entry.remote_id and entry.ref.get(UPDATE))


def same_instant(a: str | None, b: str) -> bool:
    """Whether two ISO 8601 timestamps name the same instant (``Z``, offsets, fractions)."""
    if not a:
        return False
    try:
        x = datetime.fromisoformat(a.replace("Z", "+00:00"))
        y = datetime.fromisoformat(b.replace("Z", "+00:00"))
    except ValueError:
        return False
    if x.tzinfo is None:
        x = x.replace(tzinfo=timezone.utc)
    return x.replace(microsecond=0) == y.replace(microsecond=0)
