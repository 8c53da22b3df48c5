"""The Mastodon channel against mastodon_mock (a FastAPI + SQLite implementation of the
Mastodon client API) on loopback, started once per session; faults through a loopback proxy."""

from __future__ import annotations

import contextlib
import json

import pytest
import requests

from dispatch.config import load_settings
from dispatch.publish import publish_issue
from dispatch.publish.http import Http
from dispatch.publish.state import PublishState
from servers.loopback import FaultProxy
from servers.sites import five_post_site

pytest.importorskip("mastodon_mock", reason="mastodon_mock (PyPI) is not installed: pip install '.[test]'")


@pytest.fixture(scope="session")
def mastodon():
    from mastodon_mock.testing.server import MockServer

    server = MockServer().start()
    proxy = FaultProxy(server.base_url)
    yield server, proxy
    proxy.stop()
    server.stop()


@pytest.fixture()
def account(mastodon):
    """A fresh account on the server: (username, token)."""
    server, proxy = mastodon
    proxy.heal()
    r = requests.post(server.base_url + "/api/v1/_mock/dev_user", json={}, timeout=10)
    r.raise_for_status()
    return r.json()["username"], r.json()["access_token"]


def fast(name, config):
    return Http(retries=2, backoff=0.01, timeout=5)


def site(tmp_path, mastodon, username, via_proxy=True):
    server, proxy = mastodon
    endpoint = proxy.url if via_proxy else server.base_url
    return five_post_site(tmp_path, f'[publish.masto]\nkind = "mastodon"\nendpoint = "{endpoint}"\n'
                                    f'account = "@{username}"\n')


def run(issue, token, **kw):
    return publish_issue(issue, load_settings(issue.parent), out=issue.parent / "dist",
                         env={"DISPATCH_MASTO_TOKEN": token}, http_factory=fast, **kw)


@contextlib.contextmanager
def faults(server, *effects):
    """mastodon_mock's fault injection on POST /api/v1/statuses: each ``(effect, count)`` in
    order (count ``None``: every request), removed afterwards."""
    url = server.base_url + "/api/v1/_mock/faults"
    for effect, count in effects:
        requests.post(url, json={"match": {"methods": ["POST"], "path": "/api/v1/statuses"}, "effect": effect,
                                 **({"count": count} if count else {})}, timeout=10).raise_for_status()
    try:
        yield
    finally:
        requests.delete(url, timeout=10)


def thread_on_server(server, token, issue):
    """The account's statuses, oldest first, and a check that they form one reply chain."""
    headers = {"Authorization": f"Bearer {token}"}
    me = requests.get(server.base_url + "/api/v1/accounts/verify_credentials", headers=headers, timeout=10).json()
    statuses = requests.get(server.base_url + f"/api/v1/accounts/{me['id']}/statuses?limit=40", headers=headers,
                            timeout=10).json()
    return sorted(statuses, key=lambda s: int(s["id"]))


def expected_texts(issue):
    from dispatch.publish.channel import Context
    from dispatch.parse import parse_issue

    settings = load_settings(issue.parent)
    return [p.text for p in Context(parse_issue(issue, settings), settings, issue).rendered().threads["mastodon"].posts]


def assert_one_chain(statuses, texts):
    from dispatch.publish.mastodon import plain

    assert len(statuses) == len(texts) == 5
    assert statuses[0]["in_reply_to_id"] is None
    for before, after in zip(statuses, statuses[1:]):
        assert after["in_reply_to_id"] == before["id"]
    for status, text in zip(statuses, texts):
        assert plain(status["content"]).split() == text.split()


def test_a_thread_goes_out_as_one_chain(tmp_path, mastodon, account):
    username, token = account
    issue = site(tmp_path, mastodon, username, via_proxy=False)
    report = run(issue, token)
    assert [o.line().split(":")[1].strip() for o in report.outcomes] == ["done"]
    statuses = thread_on_server(mastodon[0], token, issue)
    assert_one_chain(statuses, expected_texts(issue))
    assert {s["language"] for s in statuses} == {"en"}
    state = json.loads(report.state_path.read_text("utf-8"))
    entries = state["channels"]["masto"]["entries"]
    assert [e["remote_id"] for e in entries] == [s["id"] for s in statuses]
    assert [e["parent"] for e in entries] == [""] + [s["id"] for s in statuses[:-1]]
    assert token not in report.state_path.read_text("utf-8")
    again = run(issue, token)
    assert again.outcomes[0].status == "nothing" and "5 posts published" in again.outcomes[0].message
    assert len(thread_on_server(mastodon[0], token, issue)) == 5


@pytest.mark.parametrize("forward", [True, False], ids=["answer-lost", "never-arrived"])
def test_connection_drops_after_the_second_post(tmp_path, mastodon, account, forward):
    server, proxy = mastodon
    username, token = account
    issue = site(tmp_path, mastodon, username)
    proxy.drop_after(2, "/api/v1/statuses", forward=forward)
    first = run(issue, token)
    outcome = first.outcomes[0]
    assert outcome.status == "failed" and outcome.message.startswith("post 3/5 failed")
    assert "2 of 5 posts published, re-run to resume" in outcome.message
    on_server = thread_on_server(server, token, issue)
    assert len(on_server) == (3 if forward else 2)
    state = json.loads(first.state_path.read_text("utf-8"))["channels"]["masto"]["entries"]
    assert [e["status"] for e in state] == ["done", "done", "in_flight", "pending", "pending"]
    proxy.heal()
    second = run(issue, token)
    assert second.outcomes[0].status == "done", second.outcomes[0].message
    assert_one_chain(thread_on_server(server, token, issue), expected_texts(issue))


@pytest.mark.parametrize("post", [1, 2], ids=["first-post", "a-reply"])
def test_killed_between_request_and_state_write(tmp_path, mastodon, account, monkeypatch, post):
    """The first post is found among the account's statuses, a reply in its parent's context."""
    server, _ = mastodon
    username, token = account
    issue = site(tmp_path, mastodon, username, via_proxy=False)
    real_save = PublishState.save

    def dying_save(self):
        entries = self.channels["masto"].entries
        if len(entries) >= post and entries[post - 1].remote_id:
            raise KeyboardInterrupt  # the post is on the server; its record never reaches the disk
        real_save(self)

    monkeypatch.setattr(PublishState, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        run(issue, token)
    monkeypatch.setattr(PublishState, "save", real_save)
    entries = json.loads((issue.parent / "dist" / "five-posts.publish.json").read_text("utf-8"))["channels"]["masto"]["entries"]
    assert entries[post - 1]["status"] == "in_flight" and entries[post - 1]["remote_id"] == ""
    assert len(thread_on_server(server, token, issue)) == post
    report = run(issue, token)
    assert report.outcomes[0].status == "done"
    assert f"{5 - post} posts published ({post} already out before this run)" in report.outcomes[0].message
    assert_one_chain(thread_on_server(server, token, issue), expected_texts(issue))


def test_rate_limit_and_validation_errors(tmp_path, mastodon, account):
    server, _ = mastodon
    username, token = account
    issue = site(tmp_path, mastodon, username, via_proxy=False)
    with faults(server, ({"type": "ratelimit", "status": 429, "headers": {"Retry-After": "1"}}, 1),
                ({"type": "status", "status": 422, "body": {"error": "Validation failed: Text is too long"}}, 1)):
        report = run(issue, token)
    outcome = report.outcomes[0]
    assert outcome.status == "failed"
    assert "post 1/5 failed" in outcome.message and "HTTP 422 Validation failed: Text is too long" in outcome.message
    assert thread_on_server(server, token, issue) == []
    report = run(issue, token)
    assert report.outcomes[0].status == "done"
    assert len(thread_on_server(server, token, issue)) == 5


def test_wrong_account_and_schedule(tmp_path, mastodon, account):
    username, token = account
    issue = site(tmp_path, mastodon, "somebody_else", via_proxy=False)
    report = run(issue, token)
    assert report.outcomes[0].status == "failed"
    assert f"the token belongs to @{username}, not @somebody_else" in report.outcomes[0].message
    report = run(issue, token, schedule="2026-06-02T07:00")
    assert report.outcomes[0].status == "skipped" and "cannot schedule a thread" in report.outcomes[0].message


def test_dry_run_shows_each_post(tmp_path, mastodon, account):
    username, token = account
    issue = site(tmp_path, mastodon, username, via_proxy=False)
    report = run(issue, token, dry_run=True)
    lines = report.outcomes[0].lines
    posts = [line for line in lines if "POST " in line and "/api/v1/statuses" in line]
    assert len(posts) == 5
    assert any("in reply to <id of post 1>" in line for line in lines)
    assert any(line.strip().startswith("Idempotency-Key: ") for line in lines)
    assert thread_on_server(mastodon[0], token, issue) == []


def test_a_bad_token_fails_with_the_server_message(tmp_path, mastodon, account):
    username, _ = account
    issue = site(tmp_path, mastodon, username, via_proxy=False)
    report = run(issue, "not-a-token")
    outcome = report.outcomes[0]
    assert outcome.status == "failed" and outcome.message.startswith("cannot log in: GET ")
    assert "HTTP 401" in outcome.message and "not-a-token" not in outcome.message


def test_progress_is_drawn_while_a_slow_thread_goes_out(tmp_path, mastodon, account):
    from click.testing import CliRunner

    from dispatch.cli import main

    server, _ = mastodon
    username, token = account
    issue = site(tmp_path, mastodon, username, via_proxy=False)
    with faults(server, ({"type": "latency", "delay_ms": 250}, None)):
        result = CliRunner().invoke(main, ["publish", str(issue), "--out", str(tmp_path / "dist")],
                                    env={"DISPATCH_MASTO_TOKEN": token, "DISPATCH_PROGRESS": "1"})
    assert result.exit_code == 0, result.output
    assert "masto:" in result.stderr and "5/5" in result.stderr and "post" in result.stderr
    assert result.stdout.strip().startswith("masto: done: 5 posts published")


def _edit(issue, old, new):
    text = issue.read_text(encoding="utf-8")
    assert old in text
    issue.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("forward", [True, False], ids=["answer-lost", "never-arrived"])
def test_a_partial_thread_edited_after_it_stopped_is_resumed_not_duplicated(tmp_path, mastodon, account, forward):
    server, proxy = mastodon
    username, token = account
    issue = site(tmp_path, mastodon, username)
    proxy.drop_after(2, "/api/v1/statuses", forward=forward)
    assert run(issue, token).outcomes[0].message.startswith("post 3/5 failed")
    proxy.heal()
    _edit(issue, "two of the three forbid commercial use.", "two of the three still forbid commercial use.")  # post 4
    texts = expected_texts(issue)
    second = run(issue, token)
    assert second.outcomes[0].status == "done", second.outcomes[0].message
    assert second.outcomes[0].message.startswith("3 posts already out unchanged; the rest follows the edited issue")
    statuses = thread_on_server(server, token, issue)
    assert_one_chain(statuses, texts)  # five posts, one chain: posts 1-3 not repeated, post 4 as edited
    assert "still forbid" in statuses[3]["content"]


def test_force_after_a_partial_thread_reposts_only_what_changed(tmp_path, mastodon, account):
    server, proxy = mastodon
    username, token = account
    issue = site(tmp_path, mastodon, username)
    proxy.drop_after(2, "/api/v1/statuses", forward=False)
    run(issue, token)
    proxy.heal()
    old = thread_on_server(server, token, issue)
    assert len(old) == 2
    _edit(issue, "Three open models now match", "Three open models now equal")  # post 2, already out
    refused = run(issue, token).outcomes[0]
    assert refused.status == "failed" and "post 2/5 changed since it went out" in refused.message
    assert "re-run with --force to keep the first 1 post (unchanged)" in refused.message
    assert len(thread_on_server(server, token, issue)) == 2
    forced = run(issue, token, force=True).outcomes[0]
    assert forced.status == "done", forced.message
    assert forced.message.startswith(f"--force: 1 post out and unchanged kept; posts 2–5 go out anew, replying to post "
                                     f"1; left on the server as they were: post 2 ({old[1]['url']}), post 3 (if it "
                                     "arrived: its request went unanswered); delete them there if they should go; "
                                     "4 posts published (1 already out before this run)")
    statuses = thread_on_server(server, token, issue)
    assert len(statuses) == 6  # post 1 once, the old post 2, and the edited posts 2-5
    new = [old[0]] + statuses[2:]
    assert_one_chain(new, expected_texts(issue))
    assert statuses[0]["id"] == old[0]["id"] and statuses[1]["id"] == old[1]["id"]
    assert run(issue, token).outcomes[0].status == "nothing"
