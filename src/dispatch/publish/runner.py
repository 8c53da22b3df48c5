"""The runner: every configured channel, each item exactly once, resumable after any failure.

For each channel, in ``dispatch.toml`` order (one failing channel never stops the others):

1. *plan*: the channel's items from the issue as rendered now, compared with the state file.
   Nothing recorded (or nothing that went out): the plan is recorded with a client key per
   item. Only items that never went out changed (a thread stopped part-way, then edited): the
   run resumes, the rest planned from the issue as it is now. Items already out whose content
   changed: refused, unless ``--force``, which re-posts what changed and nothing else: the
   leading items out and unchanged are kept, the first changed one and all after it go out
   anew (a thread goes on from its last unchanged post, so nothing is posted twice; post 1
   changed, or a count ``i/N`` that changed, means a new thread); what they replace stays on
   the server, named in the run's note, its entries kept under ``superseded``. Every item
   done: "nothing to do".
2. *reconcile*: each ``in_flight`` entry (a request went out and no answer was recorded) is
   looked up on the server (:meth:`~dispatch.publish.channel.Channel.find`); found, it is
   done; not found, it is sent again with the same client key.
3. *send*, in order: ``in_flight`` is recorded (with the attempt count and time) before the
   request, the remote id, URL and parent after it. A request that may have reached the
   server and failed is looked up at once; a chained channel (a thread) stops at the first
   failure, so the chain never breaks: the next run resumes at that post.

Each channel ends with one :class:`Outcome` (done / nothing to do / skipped / failed and why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..errors import DispatchError
from .channel import Channel, Context, Item
from .http import HttpError, Request
from .state import DONE, FAILED, IN_FLIGHT, PENDING, ChannelState, Entry, PublishState, content_hash, now_iso


@dataclass
class Outcome:
    """One channel's result: ``status`` is ``done``, ``nothing``, ``skipped``, ``failed`` or
    ``planned`` (``--dry-run``); ``message`` says what happened, ``lines`` (dry-run) what
    would be sent."""

    name: str
    status: str
    message: str
    lines: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The channel's summary line: ``name: status: message``."""
        word = {"nothing": "done", "planned": "dry run"}.get(self.status, self.status)
        return f"{self.name}: {word}: {self.message}"


#: ``progress(channel name, total items)`` → an object with ``update(n)`` and ``close()``
#: (a ``tqdm`` bar fits).
Progress = Callable[[str, int], object]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _noun(items: list[Item]) -> str:
    return "post" if items and items[0].key.startswith("post") else "item"


def plan_entries(channel: Channel, items: list[Item]) -> list[Entry]:
    """Fresh entries for ``items``, each with a new client key (nothing sent yet)."""
    return [Entry(item.key, content_hash(item.content), item.text, channel.client_key(item)) for item in items]


def _first_url(entries: Iterable[Entry]) -> str:
    for e in entries:
        if e.remote_url or e.remote_id:
            return e.remote_url or e.remote_id
    return ""


def reconcile_plan(channel: Channel, items: list[Item], cs: ChannelState | None, *, force: bool
                   ) -> tuple[ChannelState, str | None, str | None]:
    """Compare the plan with what the state records.

    Returns:
        ``(channel state to use, refusal or None, a --force note or None)``. A refusal means
        items already out changed; the state is then returned unchanged.
    """
    config = channel.config
    fresh = ChannelState(channel.kind, config.endpoint, config.account)
    if cs is None:
        fresh.entries = plan_entries(channel, items)
        return fresh, None, None
    live = cs.live()
    if not live:  # nothing went out: plan again, keeping the client keys of unchanged items
        keys = {(e.key, e.hash): e for e in cs.entries}
        entries = []
        for item, new in zip(items, plan_entries(channel, items)):
            old = keys.get((item.key, new.hash))
            entries.append(old if old else new)
        cs.entries, cs.kind, cs.endpoint, cs.account = entries, channel.kind, config.endpoint, config.account
        return cs, None, None
    noun = _noun(items)
    changes: list[str] = []
    if (cs.kind, cs.endpoint.rstrip("/"), cs.account) != (channel.kind, config.endpoint.rstrip("/"), config.account):
        changes.append(f"the channel now points at {channel.describe()}, not {cs.kind} {cs.endpoint}"
                       + (f" as {cs.account}" if cs.account else ""))
    hashes = [content_hash(i.content) for i in items]
    for item, h, entry in zip(items, hashes, cs.entries):
        if entry.hash != h or entry.key != item.key:
            changes.append(f"{item.label} changed")
            break
    if not changes and len(items) > len(cs.entries):
        # Items after the ones recorded, those unchanged (an email draft already made, then a
        # run with --schedule adds its send): plan the new ones after them.
        cs.entries = cs.entries + plan_entries(channel, items[len(cs.entries):])
        return cs, None, None
    if not changes and not any(e.status == IN_FLIGHT for e in cs.entries[len(items):]):
        # Fewer items, the rest unchanged (a run without --schedule after the send was
        # scheduled): what went out stays recorded, what never went out leaves the plan.
        cs.entries = cs.entries[:len(items)] + [e for e in cs.entries[len(items):] if e.status == DONE]
        return cs, None, None
    if len(items) != len(cs.entries):
        changes.append(f"the issue now makes {_plural(len(items), noun)}, not {len(cs.entries)}")
    if not changes:
        return cs, None, None
    revised = channel.revise(items, cs)  # e.g. an email draft not sent yet: updated in place
    if revised:
        return cs, None, revised
    same_place = (cs.kind, cs.endpoint.rstrip("/"), cs.account) == \
        (channel.kind, config.endpoint.rstrip("/"), config.account)
    kept = _unchanged_prefix(items, cs.entries) if same_place else 0
    out_at = [i for i, e in enumerate(cs.entries) if e.status in (DONE, IN_FLIGHT)]
    if same_place and all(i < kept for i in out_at):
        # Only what never went out changed (a thread stopped part-way, then edited): resume it,
        # the rest planned from the issue as it is now; nothing out is touched or repeated.
        cs.entries = cs.entries[:kept] + _replan(channel, items[kept:], cs.entries[kept:])
        return cs, None, (f"{_plural(len(out_at), noun)} already out unchanged; the rest follows the edited issue"
                          if any(e.status != DONE for e in cs.entries[kept:]) else None)
    out = sum(e.status == DONE for e in cs.entries)
    where = _first_url(live)
    what_out = f"{out} of {_plural(len(cs.entries), noun)} already published" + (f" ({where})" if where else "")
    if not force:
        keep = f"keep the first {_plural(kept, noun)} (unchanged) and " if kept else "leave those as they are and "
        return cs, (f"{'; '.join(changes)} since it went out ({what_out}); re-run with --force to {keep}publish "
                    f"the edited issue's {'changed ' if kept else ''}{noun}s as new ones"), None
    left = ", ".join(f"{e.key.replace('-', ' ')} ({e.remote_url or e.remote_id})" if e.status == DONE else
                     f"{e.key.replace('-', ' ')} (if it arrived: its request went unanswered)"
                     for e in cs.entries[kept:] if e.status in (DONE, IN_FLIGHT))
    if kept:  # the thread goes on from its last unchanged post: nothing unchanged is posted twice
        note = (f"--force: {_plural(kept, noun)} out and unchanged kept; {noun}s {kept + 1}–{len(items)} go out "
                f"anew, replying to {noun} {kept}; left on the server as they were: {left}; delete them there if "
                "they should go")
        cs.superseded = [*cs.superseded, cs.entries[kept:]]
        cs.entries = cs.entries[:kept] + plan_entries(channel, items[kept:])
        return cs, None, note
    note = (f"--force: {what_out} stay as they are; the edited issue goes out as {_plural(len(items), 'new ' + noun)}"
            + (" in a new thread" if channel.chained and len(items) > 1 else ""))
    fresh.entries = plan_entries(channel, items)
    fresh.superseded = [*cs.superseded, cs.entries]
    return fresh, None, note


def _unchanged_prefix(items: list[Item], entries: list[Entry]) -> int:
    """How many leading ``items`` are what ``entries`` recorded (same key, same content hash)."""
    n = 0
    for item, entry in zip(items, entries):
        if entry.key != item.key or entry.hash != content_hash(item.content):
            break
        n += 1
    return n


def _replan(channel: Channel, items: list[Item], entries: list[Entry]) -> list[Entry]:
    """Entries for ``items``, none of which went out: an unchanged one keeps its entry (its
    client key, attempts, last error), a changed or new one is planned afresh."""
    old = {(e.key, e.hash): e for e in entries if e.status not in (DONE, IN_FLIGHT)}
    return [old.get((new.key, new.hash), new) for new in plan_entries(channel, items)]


def dry_run(channel: Channel, items: list[Item], cs: ChannelState | None, *, force: bool) -> Outcome:
    """What a real run would send on ``channel``, request by request; sends nothing."""
    cs_plan, refusal, note = reconcile_plan(channel, items, _copy(cs), force=force)
    if refusal:
        return Outcome(channel.name, "failed", refusal)
    skip = channel.skip_reason()
    if skip:
        return Outcome(channel.name, "skipped", skip)
    lines = [f"{channel.name} ({channel.describe()}): {_plural(len(items), _noun(items))}"]
    if note:
        lines.append(f"  {note}")
    missing = channel.missing_secrets()
    if missing:
        lines.append(f"  note: set {', '.join('$' + m for m in missing)} before a real run")
    entries = cs_plan.entries
    stored = {e.client_key for e in cs.entries} if cs is not None else set()
    todo = 0
    before: list[Entry] = []
    for item, entry in zip(items, entries):
        if entry.status == DONE:
            lines.append(f"  {item.label}: already published ({entry.remote_url or entry.remote_id})")
            before.append(entry)
            continue
        shown = Entry(**{**entry.__dict__})
        if entry.client_key not in stored:  # a new key is chosen (and stored) when the real run starts
            shown.client_key = f"<new {entry.client_key[:4]}… key, chosen when sent>" \
                if entry.client_key.startswith("msg_") else "<new key, chosen when sent>"
        if entry.status == IN_FLIGHT:
            lines.append(f"  {item.label}: in flight from an earlier run: the server is asked first")
        request = channel.request(item, shown, before)
        todo += 1
        lines.append(f"  {item.label}: {request.method} {request.url}")
        lines += [f"      {h}: {v}" for h, v in request.headers.items()]
        if request.summary:
            lines += [f"      {part}" for part in request.summary.splitlines()]
        shown.remote_id = shown.remote_id or f"<id of {item.label.split('/')[0]}>"
        shown.ref = shown.ref or {"uri": f"<uri of {item.label.split('/')[0]}>", "cid": f"<cid of {item.label.split('/')[0]}>"}
        before.append(shown)
    if not todo:
        return Outcome(channel.name, "nothing", "nothing to do: " + _done_message(channel, items, entries), lines)
    return Outcome(channel.name, "planned", f"would send {_plural(todo, 'request')}", lines)


def _copy(cs: ChannelState | None) -> ChannelState | None:
    if cs is None:
        return None
    return ChannelState(cs.kind, cs.endpoint, cs.account, [Entry(**e.__dict__) for e in cs.entries],
                        list(cs.superseded))


def _done_message(channel: Channel, items: list[Item], entries: list[Entry]) -> str:
    said = channel.state_text(entries)
    if said:
        return said
    where = _first_url(entries)
    return f"{_plural(len(entries), _noun(items))} published" + (f" ({where})" if where else "")


def run_channel(channel: Channel, state: PublishState, *, force: bool = False,
                progress: Progress | None = None) -> Outcome:
    """Publish ``channel``'s items, recording each step in ``state`` (see the module doc).

    Never raises for a platform problem: it becomes a ``failed`` :class:`Outcome`.

    Raises:
        DispatchError: the state file cannot be written (nothing more is sent then).
    """
    name = channel.name
    try:
        items = channel.items()
    except DispatchError as exc:
        return Outcome(name, "failed", str(exc))
    cs, refusal, note = reconcile_plan(channel, items, state.channels.get(name), force=force)
    if refusal:
        return Outcome(name, "failed", refusal)
    prefix = f"{note}; " if note else ""
    entries = cs.entries
    if all(e.status == DONE for e in entries):
        return Outcome(name, "nothing", prefix + "nothing to do: " + _done_message(channel, items, entries))
    skip = channel.skip_reason()
    if skip:
        return Outcome(name, "skipped", skip)
    missing = channel.missing_secrets()
    if missing:
        return Outcome(name, "failed", f"set {', '.join('$' + m for m in missing)} (see `dispatch config`)")
    state.channels[name] = cs
    state.save()
    noun = _noun(items)
    try:
        channel.login()
    except HttpError as exc:
        return Outcome(name, "failed", f"{prefix}cannot log in: {exc}")
    # Reconcile: ask the server about every entry whose outcome is unknown, before sending.
    for i, (item, entry) in enumerate(zip(items, entries)):
        if entry.status != IN_FLIGHT:
            continue
        try:
            found = channel.find(item, entry, entries[:i])
        except HttpError as exc:
            return Outcome(name, "failed", f"{prefix}cannot ask the server whether {item.label} went out "
                                           f"(it stays in flight; re-run later): {exc}")
        entry.status = DONE if found else PENDING
        state.save()
    bar = progress(name, len(items)) if progress else None
    try:
        return _send_all(channel, state, items, entries, prefix, noun, (lambda: bar.update(1)) if bar else None)
    finally:
        if bar is not None:
            bar.close()


def _send_all(channel: Channel, state: PublishState, items: list[Item], entries: list[Entry], prefix: str,
              noun: str, tick: Callable[[], None] | None) -> Outcome:
    name = channel.name
    sent = 0
    for i, (item, entry) in enumerate(zip(items, entries)):
        if entry.status == DONE:
            if tick:
                tick()
            continue
        before = entries[:i]
        if channel.chained and any(e.status != DONE for e in before):  # pragma: no cover - stopped below
            break
        entry.status, entry.attempts, entry.sent_at, entry.last_error = IN_FLIGHT, entry.attempts + 1, now_iso(), ""
        state.save()
        tries = channel.http.tries
        try:
            try:
                channel.send(item, entry, before)
            finally:  # every request that went out for it, retries included (at least the one above)
                entry.attempts += max(0, channel.http.tries - tries - 1)
        except HttpError as exc:
            entry.last_error = str(exc)
            if exc.maybe_created:
                try:
                    found = channel.find(item, entry, before)
                except HttpError as again:
                    state.save()
                    return Outcome(name, "failed", _failed(prefix, item, entries, noun,
                                                           f"{exc}; the server could not be asked whether it "
                                                           f"went out ({again}), so it stays in flight"))
                if found:
                    entry.status, entry.last_error = DONE, ""
                    state.save()
                    sent += 1
                    if tick:
                        tick()
                    continue
            entry.status = FAILED
            state.save()
            if channel.chained:
                return Outcome(name, "failed", _failed(prefix, item, entries, noun, str(exc)))
            continue
        entry.status = DONE
        state.save()
        sent += 1
        if tick:
            tick()
    failed = [e for e in entries if e.status != DONE]
    if failed:
        first = next(it for it, e in zip(items, entries) if e.status != DONE)
        return Outcome(name, "failed", _failed(prefix, first, entries, noun, failed[0].last_error))
    resumed = len(items) - sent
    said = channel.state_text(entries)
    if said:
        return Outcome(name, "done", prefix + said + (f" ({resumed} of {len(items)} steps done before this run)"
                                                       if resumed else ""))
    return Outcome(name, "done", prefix + f"{_plural(sent, noun)} published"
                   + (f" ({resumed} already out before this run)" if resumed else "")
                   + (f": {_first_url(entries)}" if _first_url(entries) else ""))


def _failed(prefix: str, item: Item, entries: list[Entry], noun: str, why: str) -> str:
    out = sum(e.status == DONE for e in entries)
    return (f"{prefix}{item.label} failed: {why}; {out} of {_plural(len(entries), noun)} published, "
            "re-run to resume")


def publish(channels: list[Channel], state: PublishState, *, dry: bool = False, force: bool = False,
            progress: Progress | None = None) -> list[Outcome]:
    """Run (or ``dry``-run) every channel in order; one :class:`Outcome` each.

    Raises:
        DispatchError: the state file cannot be written (the run stops at once).
    """
    outcomes = []
    for channel in channels:
        if dry:
            try:
                outcomes.append(dry_run(channel, channel.items(), state.channels.get(channel.name), force=force))
            except DispatchError as exc:
                outcomes.append(Outcome(channel.name, "failed", str(exc)))
            continue
        outcomes.append(run_channel(channel, state, force=force, progress=progress))
    return outcomes


__all__ = ["Outcome", "publish", "run_channel", "dry_run", "reconcile_plan", "plan_entries", "Request",
           "Context", "PENDING"]
