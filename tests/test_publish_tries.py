"""The tries of ``dispatch publish`` as the README says them and the state file records them,
and a dry run that shows the idempotency key the real run sends (or says it is new)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dispatch.cli import main
from dispatch.config import load_settings
from dispatch.publish import publish_issue
from dispatch.publish.http import RETRIES, Http
from test_publish_core import ENV, EXAMPLE, receiver, run, site  # noqa: F401 (fixtures)

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


@pytest.mark.parametrize("fault", [(500, {}, b""), (429, {"Retry-After": "0"}, b""), "drop", "hang"],
                         ids=["500", "429", "reset", "hang"])
def test_each_fault_sends_retries_plus_one_and_the_state_records_them(site, receiver, fault):  # noqa: F811
    receiver.script = [fault] * 10
    report = publish_issue(site / EXAMPLE.name, load_settings(site), out=site / "dist", env=ENV,
                           http_factory=lambda name, config: Http(retries=2, backoff=0.01, timeout=0.3))
    assert report.outcomes[0].status == "failed"
    assert len(receiver.deliveries) == 3
    assert len({h["webhook-id"] for h, _, _ in receiver.deliveries}) == 1
    entry = json.loads(report.state_path.read_text("utf-8"))["channels"]["hook"]["entries"][0]
    assert entry["attempts"] == 3
    receiver.script = []
    report = run(site)  # the re-run's one request is added
    entry = json.loads(report.state_path.read_text("utf-8"))["channels"]["hook"]["entries"][0]
    assert entry["status"] == "done" and entry["attempts"] == 4 and len(receiver.deliveries) == 4


def test_the_readme_states_the_default_tries():
    assert Http().retries == RETRIES == 4
    assert f"({RETRIES} retries after the first try, so at most {RETRIES + 1} requests" in " ".join(README.split())


def test_the_dry_run_shows_the_webhook_id_the_real_run_sends(site, receiver):  # noqa: F811
    dry = CliRunner().invoke(main, ["publish", str(site / EXAMPLE.name), "--dry-run", "--out", str(site / "dist")],
                             env=ENV)
    assert "      webhook-id: <new msg_… key, chosen when sent>" in dry.output.splitlines(), dry.output
    receiver.script = [(500, {}, b"")] * 10
    run(site)  # fails: the key is now stored
    sent = receiver.deliveries[0][0]["webhook-id"]
    assert re.fullmatch(r"msg_[0-9a-f]{32}", sent)
    dry = CliRunner().invoke(main, ["publish", str(site / EXAMPLE.name), "--dry-run", "--out", str(site / "dist")],
                             env=ENV)
    assert f"      webhook-id: {sent}" in dry.output.splitlines(), dry.output
    receiver.script = []
    run(site)
    assert receiver.deliveries[-1][0]["webhook-id"] == sent
