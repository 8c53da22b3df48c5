"""The Bluesky channel against Bluesky's reference PDS (npm @atproto/pds, Node 22) on loopback,
started once per session; faults through a loopback proxy."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from dispatch.config import load_settings
from dispatch.publish import publish_issue
from dispatch.publish.bluesky import TidClock, tid
from dispatch.publish.http import Http
from dispatch.publish.state import PublishState
from servers import pds as pds_server
from servers.loopback import FaultProxy
from servers.sites import five_post_site


@pytest.fixture(scope="session")
def pds():
    why = pds_server.missing()
    if why:
        pytest.skip(why)
    server = pds_server.take()
    proxy = FaultProxy(server.url)
    yield server, proxy
    proxy.stop()
    server.stop()


@pytest.fixture()
def account(pds):
    pds[1].heal()
    return pds[0].account()


def fast(name, config):
    return Http(retries=2, backoff=0.01, timeout=10)


def site(tmp_path, pds, handle, via_proxy=True):
    server, proxy = pds
    endpoint = proxy.url if via_proxy else server.url
    return five_post_site(tmp_path, f'[publish.sky]\nkind = "bluesky"\nendpoint = "{endpoint}"\naccount = "{handle}"\n')


def run(issue, password, **kw):
    return publish_issue(issue, load_settings(issue.parent), out=issue.parent / "dist",
                         env={"DISPATCH_SKY_APP_PASSWORD": password}, http_factory=fast, **kw)


def expected_posts(issue):
    from dispatch.parse import parse_issue
    from dispatch.publish.channel import Context

    settings = load_settings(issue.parent)
    return Context(parse_issue(issue, settings), settings, issue).rendered().threads["bluesky"].posts


def assert_one_chain(records, posts):
    assert len(records) == len(posts) == 5
    first = records[0]
    assert "reply" not in first["value"]
    for before, after in zip(records, records[1:]):
        reply = after["value"]["reply"]
        assert reply["parent"] == {"uri": before["uri"], "cid": before["cid"]}
        assert reply["root"] == {"uri": first["uri"], "cid": first["cid"]}
    for record, post in zip(records, posts):
        assert record["value"]["text"] == post.text
        assert record["value"].get("facets", []) == list(post.facets)
    assert records[-1]["value"]["embed"] == posts[-1].embed


def test_tids_are_sortable_and_well_formed():
    # atproto.com/specs/tid: 13 characters of base32-sortable, the first of 234567abcdefghij.
    assert tid(0, 0) == "2222222222222"
    assert tid(2 ** 53 - 1, 1023) == "bzzzzzzzzzzzz"
    clock = TidClock()
    keys = [clock.next() for _ in range(100)]
    assert keys == sorted(keys) and len(set(keys)) == 100
    assert all(len(k) == 13 and k[0] in "234567abcdefghij" for k in keys)


def test_a_thread_goes_out_with_refs_facets_and_card(tmp_path, pds, account):
    server, _ = pds
    handle, did, password = account
    issue = site(tmp_path, pds, handle, via_proxy=False)
    report = run(issue, password)
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    records = server.records(did)
    posts = expected_posts(issue)
    assert_one_chain(records, posts)
    assert all(r["value"]["langs"] == ["en-NZ"] for r in records)  # the issue's lang: en-NZ
    state = json.loads(report.state_path.read_text("utf-8"))
    entries = state["channels"]["sky"]["entries"]
    assert [r["uri"].rsplit("/", 1)[-1] for r in records] == [e["client_key"] for e in entries]
    assert [e["ref"] for e in entries] == [{"uri": r["uri"], "cid": r["cid"]} for r in records]
    assert password not in report.state_path.read_text("utf-8")
    again = run(issue, password)
    assert again.outcomes[0].status == "nothing"
    assert len(server.records(did)) == 5


def test_link_facets_and_card_reach_the_pds(tmp_path, pds, account):
    """The example issue's thread: long URLs shortened for display, facets with byte offsets."""
    from conftest import EXAMPLE
    import shutil

    server, _ = pds
    handle, did, password = account
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    (tmp_path / "dispatch.toml").write_text(
        'base_url = "https://briefing.example.nz/"\ntimezone = "Pacific/Auckland"\nlanguage = "en-NZ"\n'
        f'[publish.sky]\nkind = "bluesky"\nendpoint = "{server.url}"\naccount = "{handle}"\n', "utf-8")
    report = run(tmp_path / EXAMPLE.name, password)
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    records = server.records(did)
    posts = expected_posts(tmp_path / EXAMPLE.name)
    assert [r["value"]["text"] for r in records] == [p.text for p in posts]
    with_facets = [r for r in records if r["value"].get("facets")]
    assert with_facets, "the example's thread has links"
    for r in with_facets:
        raw = r["value"]["text"].encode("utf-8")
        for facet in r["value"]["facets"]:
            shown = raw[facet["index"]["byteStart"]:facet["index"]["byteEnd"]].decode("utf-8")
            uri = facet["features"][0]["uri"]
            assert shown.rstrip(".").rstrip("…") in uri or uri.split("//", 1)[1].startswith(shown.rstrip("…").rstrip("."))
    assert records[-1]["value"]["embed"]["external"]["uri"] == "https://briefing.example.nz/moonshot-moment/"


@pytest.mark.parametrize("forward", [True, False], ids=["answer-lost", "never-arrived"])
def test_connection_drops_after_the_second_post(tmp_path, pds, account, forward):
    server, proxy = pds
    handle, did, password = account
    issue = site(tmp_path, pds, handle)
    proxy.drop_after(2, "com.atproto.repo.createRecord", forward=forward)
    first = run(issue, password)
    outcome = first.outcomes[0]
    assert outcome.status == "failed" and outcome.message.startswith("post 3/5 failed")
    assert len(server.records(did)) == (3 if forward else 2)
    entries = json.loads(first.state_path.read_text("utf-8"))["channels"]["sky"]["entries"]
    assert [e["status"] for e in entries] == ["done", "done", "in_flight", "pending", "pending"]
    proxy.heal()
    second = run(issue, password)
    assert second.outcomes[0].status == "done", second.outcomes[0].message
    assert_one_chain(server.records(did), expected_posts(issue))


def test_killed_between_request_and_state_write(tmp_path, pds, account, monkeypatch):
    server, _ = pds
    handle, did, password = account
    issue = site(tmp_path, pds, handle, via_proxy=False)
    real_save = PublishState.save

    def dying_save(self):
        entries = self.channels["sky"].entries
        if len(entries) > 1 and entries[1].remote_id:
            raise KeyboardInterrupt
        real_save(self)

    monkeypatch.setattr(PublishState, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        run(issue, password)
    monkeypatch.setattr(PublishState, "save", real_save)
    assert len(server.records(did)) == 2
    report = run(issue, password)
    assert report.outcomes[0].status == "done"
    assert_one_chain(server.records(did), expected_posts(issue))


def _expired_jwt(did: str) -> str:
    """An access token signed with the test PDS's JWT secret whose ``exp`` has passed."""
    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()

    now = int(time.time())
    head = b64({"typ": "at+jwt", "alg": "HS256"})
    body = b64({"scope": "com.atproto.appPass", "aud": "did:web:localhost", "sub": did, "iat": now - 7200,
                "exp": now - 3600})
    sig = hmac.new(b"dispatch-test-jwt-secret", f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"


def test_an_expired_session_is_refreshed_not_recreated(tmp_path, pds, account, monkeypatch):
    from dispatch.publish import bluesky

    server, proxy = pds
    handle, did, password = account
    issue = site(tmp_path, pds, handle)
    real_login = bluesky.BlueskyChannel.login

    def login_then_expire(self):
        real_login(self)
        self.session["accessJwt"] = _expired_jwt(self.session["did"])

    monkeypatch.setattr(bluesky.BlueskyChannel, "login", login_then_expire)
    proxy.log.clear()
    report = run(issue, password)
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    paths = [p for _, p, _ in proxy.log]
    assert sum("createSession" in p for p in paths) == 1
    assert sum("refreshSession" in p for p in paths) == 1
    assert len(server.records(did)) == 5


def test_schedule_skips_and_dry_run_shows_refs(tmp_path, pds, account):
    server, _ = pds
    handle, did, password = account
    issue = site(tmp_path, pds, handle, via_proxy=False)
    report = run(issue, password, schedule="2026-06-02T07:00")
    assert report.outcomes[0].status == "skipped" and "cannot schedule" in report.outcomes[0].message
    report = run(issue, password, dry_run=True)
    lines = report.outcomes[0].lines
    assert sum("com.atproto.repo.createRecord" in line for line in lines) == 5
    assert any("reply root <uri of post 1>, parent <uri of post 4>" in line for line in lines)
    assert server.records(did) == []


def test_a_wrong_app_password_fails_with_the_pds_message(tmp_path, pds, account):
    server, _ = pds
    handle, did, _ = account
    issue = site(tmp_path, pds, handle, via_proxy=False)
    report = run(issue, "wrong-app-password")
    outcome = report.outcomes[0]
    assert outcome.status == "failed" and outcome.message.startswith("cannot log in: POST ")
    assert "HTTP 401 AuthenticationRequired: Invalid identifier or password" in outcome.message
    assert "wrong-app-password" not in outcome.message
    assert server.records(did) == []


def test_force_after_a_partial_thread_goes_on_from_the_last_unchanged_post(tmp_path, pds, account):
    server, proxy = pds
    handle, did, password = account
    issue = site(tmp_path, pds, handle)
    proxy.drop_after(2, "com.atproto.repo.createRecord", forward=False)
    run(issue, password)
    proxy.heal()
    old = server.records(did)
    assert len(old) == 2
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace("Three open models now match", "Three open models now equal"), encoding="utf-8")
    forced = run(issue, password, force=True).outcomes[0]
    assert forced.status == "done", forced.message
    assert forced.message.startswith("--force: 1 post out and unchanged kept; posts 2–5 go out anew, replying to post 1")
    records = server.records(did)
    assert len(records) == 6 and records[:2] == old  # post 1 once; the old post 2 left as it was
    # the new posts 2-5 reply to the kept post 1 (root and first parent) and chain on
    assert_one_chain([old[0]] + [r for r in records if r["uri"] not in {o["uri"] for o in old}], expected_posts(issue))
