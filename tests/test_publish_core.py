"""dispatch publish's core (state file, retries, runner, CLI) through the webhook channel,
against a Standard Webhooks receiver on loopback that verifies every signature."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import EXAMPLE
from dispatch.cli import main
from dispatch.config import load_settings
from dispatch.publish import publish_issue
from dispatch.publish.http import Http
from dispatch.publish.state import PublishState
from servers.loopback import Receiver, json_body

SECRET = "whsec_" + base64.b64encode(b"dispatch-test-secret-0123456789ab").decode()
ENV = {"DISPATCH_HOOK_SECRET": SECRET, "DISPATCH_OTHER_SECRET": SECRET}


@pytest.fixture(scope="session")
def receiver():
    r = Receiver(SECRET)
    yield r
    r.stop()


@pytest.fixture()
def site(tmp_path, receiver):
    """A newsletter folder with the example issue and two webhook channels."""
    receiver.reset()
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    (tmp_path / "dispatch.toml").write_text(
        'site_name = "The Aotearoa AI Briefing"\nbase_url = "https://briefing.example.nz/"\n'
        'timezone = "Pacific/Auckland"\nlanguage = "en-NZ"\n'
        'unsubscribe_url = "https://briefing.example.nz/unsubscribe"\n'
        'postal_address = "The Briefing desk, PO Box 1234, Wellington 6140, New Zealand"\n\n'
        f'[publish.hook]\nkind = "webhook"\nendpoint = "{receiver.url}"\n', encoding="utf-8")
    return tmp_path


def fast(name, config):
    return Http(retries=2, backoff=0.01, timeout=5)


def run(site, **kw):
    settings = load_settings(site)
    return publish_issue(site / EXAMPLE.name, settings, out=site / "dist", env=ENV, http_factory=fast, **kw)


def test_delivery_is_signed_and_carries_the_issue(site, receiver):
    report = run(site)
    assert [o.status for o in report.outcomes] == ["done"]
    assert len(receiver.deliveries) == 1
    headers, body, verified = receiver.deliveries[0]
    assert verified, "the standardwebhooks package verifies the signature"
    payload = json.loads(body)
    assert payload["type"] == "issue.published"
    issue = payload["data"]["issue"]
    assert issue["title"] == "The Moonshot Moment"
    assert issue["permalink"] == "https://briefing.example.nz/moonshot-moment/"
    golden = Path(__file__).parent / "golden" / "moonshot-moment"
    thread = json.loads((golden / "thread.json").read_text("utf-8"))
    assert payload["data"]["outputs"]["threads"]["mastodon"] == [p["text"] for p in thread["platforms"]["mastodon"]["posts"]]
    assert payload["data"]["outputs"]["email.txt"] == (golden / "email.txt").read_text("utf-8")
    assert "<html" in payload["data"]["outputs"]["email.html"]
    state = json.loads(report.state_path.read_text("utf-8"))
    entry = state["channels"]["hook"]["entries"][0]
    assert entry["status"] == "done" and entry["client_key"] == headers["webhook-id"] and entry["attempts"] == 1
    assert SECRET not in report.state_path.read_text("utf-8")
    assert report.state_path == site / "dist" / "moonshot-moment.publish.json"


def test_rerun_after_success_does_nothing(site, receiver):
    run(site)
    report = run(site)
    assert report.outcomes[0].status == "nothing"
    assert "nothing to do" in report.outcomes[0].line()
    assert len(receiver.deliveries) == 1


def test_retry_after_and_5xx_keep_the_webhook_id(site, receiver):
    receiver.script = [(429, {"Retry-After": "1"}, b""), (502, {}, b""), (204, {}, b"")]
    report = run(site)
    assert report.outcomes[0].status == "done"
    ids = {h["webhook-id"] for h, _, _ in receiver.deliveries}
    assert len(receiver.deliveries) == 3 and len(ids) == 1


def test_a_4xx_reports_the_platform_message_and_others_go_on(site, receiver):
    with open(site / "dispatch.toml", "a", encoding="utf-8") as fh:
        fh.write(f'\n[publish.other]\nkind = "webhook"\nendpoint = "{receiver.url}"\n')
    receiver.script = [(422, {"Content-Type": "application/json"}, json_body({"error": "unknown newsletter"}))]
    result = CliRunner().invoke(main, ["publish", str(site / EXAMPLE.name), "--out", str(site / "dist")], env=ENV)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[-2].startswith("hook: failed: event failed: POST") and "HTTP 422 unknown newsletter" in lines[-2]
    assert lines[-1].startswith("other: done: 1 item published")
    assert len(receiver.deliveries) == 2
    # The failed one is sent again (same webhook-id) on the next run; the done one is not.
    result = CliRunner().invoke(main, ["publish", str(site / EXAMPLE.name), "--out", str(site / "dist")], env=ENV)
    assert result.exit_code == 0, result.output
    assert "hook: done: 1 item published" in result.output and "other: done: nothing to do" in result.output
    assert receiver.deliveries[0][0]["webhook-id"] == receiver.deliveries[2][0]["webhook-id"]


def test_killed_between_request_and_state_write_resends_the_same_id(site, receiver, monkeypatch):
    real_save = PublishState.save
    calls = []

    def dying_save(self):
        calls.append(1)
        if any(e.status == "done" for ch in self.channels.values() for e in ch.entries):
            raise KeyboardInterrupt  # the process dies after the server answered, before the record
        real_save(self)

    monkeypatch.setattr(PublishState, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        run(site)
    monkeypatch.setattr(PublishState, "save", real_save)
    state = json.loads((site / "dist" / "moonshot-moment.publish.json").read_text("utf-8"))
    assert state["channels"]["hook"]["entries"][0]["status"] == "in_flight"
    report = run(site)
    assert report.outcomes[0].status == "done"
    first, second = receiver.deliveries
    assert first[0]["webhook-id"] == second[0]["webhook-id"], "the receiver can deduplicate on webhook-id"


def test_an_edit_after_sending_is_refused_unless_forced(site, receiver):
    run(site)
    issue = site / EXAMPLE.name
    issue.write_text(issue.read_text("utf-8").replace("Moonshot Moment", "Moonshot Moment, revised", 1), "utf-8")
    report = run(site)
    assert report.outcomes[0].status == "failed"
    assert "changed since it went out" in report.outcomes[0].message and "--force" in report.outcomes[0].message
    assert len(receiver.deliveries) == 1
    dry = run(site, dry_run=True, force=True)
    assert any("--force: 1 of 1 item already published" in line for line in dry.outcomes[0].lines)
    report = run(site, force=True)
    assert report.outcomes[0].status == "done" and report.outcomes[0].message.startswith("--force:")
    assert len(receiver.deliveries) == 2
    assert receiver.deliveries[0][0]["webhook-id"] != receiver.deliveries[1][0]["webhook-id"]
    state = json.loads(report.state_path.read_text("utf-8"))
    assert len(state["channels"]["hook"]["superseded"]) == 1


def test_dry_run_sends_nothing_and_writes_nothing(site, receiver):
    result = CliRunner().invoke(main, ["publish", str(site / EXAMPLE.name), "--dry-run", "--out", str(site / "dist")],
                                env={})
    assert result.exit_code == 0, result.output
    assert f"event: POST {receiver.url}" in result.output
    assert "set $DISPATCH_HOOK_SECRET before a real run" in result.output
    assert "hook: dry run: would send 1 request" in result.output
    assert receiver.deliveries == [] and not (site / "dist").exists()


def test_missing_secret_fails_naming_the_variable(site, receiver):
    result = CliRunner().invoke(main, ["publish", str(site / EXAMPLE.name), "--out", str(site / "dist")], env={})
    assert result.exit_code == 1
    assert "hook: failed: set $DISPATCH_HOOK_SECRET" in result.output
    assert receiver.deliveries == []


def test_config_errors_name_the_line(site):
    (site / "dispatch.toml").write_text('[publish.x]\nkind = "myspace"\nendpoint = "https://a.example/"\n', "utf-8")
    result = CliRunner().invoke(main, ["publish", str(site / EXAMPLE.name)])
    assert result.exit_code == 2
    assert result.output.strip().endswith(":1: [publish.x] kind 'myspace' is not known; known: " +
                                          result.output.split("known: ")[-1].strip())
    result = CliRunner().invoke(main, ["publish", str(site / EXAMPLE.name), "--to", "nope"])
    assert result.exit_code == 2


def test_unknown_to_and_no_channels(site, tmp_path):
    result = CliRunner().invoke(main, ["publish", str(site / EXAMPLE.name), "--to", "nope", "--dry-run"])
    assert result.exit_code == 2 and "--to nope: no such channel; configured: hook" in result.output
    (site / "dispatch.toml").write_text('site_name = "x"\n', "utf-8")
    result = CliRunner().invoke(main, ["publish", str(site / EXAMPLE.name), "--dry-run"])
    assert result.exit_code == 2 and "no channels to publish to" in result.output


def test_schedule_is_carried_in_the_event(site, receiver):
    report = run(site, schedule="2026-05-22T07:00")
    assert report.outcomes[0].status == "done"
    payload = json.loads(receiver.deliveries[0][1])
    assert payload["type"] == "issue.scheduled"
    assert payload["data"]["issue"]["scheduled_at"] == "2026-05-22T07:00:00+12:00"  # the site's zone
    bad = CliRunner().invoke(main, ["publish", str(site / EXAMPLE.name), "--schedule", "next tuesday"], env=ENV)
    assert bad.exit_code == 2 and "--schedule 'next tuesday' is not an ISO 8601 date and time" in bad.output


def test_config_lists_the_channels_secrets_never_their_values(site, monkeypatch):
    monkeypatch.chdir(site)
    result = CliRunner().invoke(main, ["config", "--list"], env={"DISPATCH_HOOK_SECRET": SECRET})
    assert result.exit_code == 0
    assert "# $DISPATCH_<NAME>_TOKEN (an environment variable): for a [publish.<name>] of kind mastodon" \
        in result.output
    assert "#   $DISPATCH_HOOK_SECRET (set): [publish.hook]: the endpoint's signing secret" in result.output
    assert SECRET not in result.output
    toml = CliRunner().invoke(main, ["config"], env={"DISPATCH_HOOK_SECRET": SECRET})
    assert "# secret from $DISPATCH_HOOK_SECRET (set): the endpoint's signing secret" in toml.output
    assert SECRET not in toml.output


def test_two_runs_for_one_issue_never_interleave(site, receiver):
    from dispatch.errors import DispatchError
    from dispatch.publish.state import state_path

    path = state_path(site / "dist", "moonshot-moment")
    with PublishState.open(path, "urn:x", "moonshot-moment"):
        with pytest.raises(DispatchError, match="another 'dispatch publish' of this issue is running"):
            run(site)
    assert receiver.deliveries == []


def test_readme_dry_run_on_the_example_issue():
    """What the README shows: the example's three channels, request by request (a dry run opens
    no connection, so the example's real endpoints are never contacted)."""
    result = CliRunner().invoke(main, ["publish", str(EXAMPLE), "--dry-run", "--out", "/nonexistent/dist"], env={})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-3:] == ["hook: dry run: would send 1 request", "masto: dry run: would send 13 requests",
                          "sky: dry run: would send 17 requests"]
    assert "masto (mastodon https://mastodon.social/ as @briefing): 13 posts" in lines
    assert "  post 2/13: POST https://mastodon.social/api/v1/statuses" in lines
    assert any(line.startswith("      411/500 graphemes, visibility public, language en, in reply to <id of post 1>")
               for line in lines)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    assert "\n".join(lines[-3:]) in readme


def test_a_draft_is_not_published(site, receiver):
    issue = site / EXAMPLE.name
    issue.write_text(issue.read_text("utf-8").replace("lang: en-NZ\n", "lang: en-NZ\ndraft: true\n", 1), "utf-8")
    result = CliRunner().invoke(main, ["publish", str(issue), "--out", str(site / "dist")], env=ENV)
    assert result.exit_code == 2 and "is a draft (draft: true); remove the draft key to publish it" in result.output
    assert receiver.deliveries == [] and not (site / "dist").exists()


def test_an_issue_dated_in_the_future_is_a_warning(site, receiver):
    issue = site / EXAMPLE.name
    issue.write_text(issue.read_text("utf-8").replace("date: 2026-05-22 07:00", "date: 2999-05-22 07:00", 1), "utf-8")
    result = CliRunner().invoke(main, ["publish", str(issue), "--dry-run", "--out", str(site / "dist")], env=ENV)
    assert result.exit_code == 0
    assert "warning: " in result.stderr and "the issue is dated 2999-05-22T07:00:00+12:00, after now" in result.stderr
    assert "https://briefing.example.nz/moonshot-moment/ (which the threads link to) does not exist yet" in result.stderr
