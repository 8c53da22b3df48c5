"""WebSub: the feeds name their hubs (rel="hub"), and `dispatch build` notifies each hub of the
feeds that changed, against a recording hub on loopback."""

from __future__ import annotations

import json
import shutil
from urllib.parse import parse_qs

import feedparser
import pytest
from click.testing import CliRunner
from lxml import etree

from conftest import EXAMPLE, shared_path
from dispatch.cli import main
from servers.loopback import Receiver


@pytest.fixture(scope="module")
def hub():
    h = Receiver()
    yield h
    h.stop()


@pytest.fixture()
def newsletter(tmp_path, hub):
    hub.reset()
    issues = tmp_path / "issues"
    issues.mkdir()
    shutil.copy(EXAMPLE, issues / EXAMPLE.name)
    (tmp_path / "dispatch.toml").write_text(
        'site_name = "The Aotearoa AI Briefing"\nbase_url = "https://briefing.example.nz/"\n'
        f'timezone = "Pacific/Auckland"\n[feed]\nhubs = ["{hub.url}", "{hub.url}?second"]\n', "utf-8")
    return tmp_path


def build(folder, *extra):
    return CliRunner().invoke(main, ["build", str(folder / "issues"), "--out", str(folder / "public"),
                                     "--now", "2026-06-01T00:00Z", *extra])


def pings(hub):
    return [(headers.get("content-type"), parse_qs(body.decode())) for headers, body, _ in hub.deliveries]


def test_feeds_advertise_the_hubs(newsletter, hub):
    result = build(newsletter, "--no-ping")
    assert result.exit_code == 0, result.output
    public = newsletter / "public"
    hubs = [hub.url, hub.url + "?second"]
    for name in ("atom.xml", "feed.xml", "tags/nz/atom.xml"):
        parsed = feedparser.parse((public / name).read_bytes())
        assert [link.href for link in parsed.feed.links if link.rel == "hub"] == hubs, name
    assert [h["url"] for h in json.loads((public / "feed.json").read_text("utf-8"))["hubs"]] == hubs
    schema = etree.RelaxNG(etree.parse(str(shared_path("validators", "atom.rng"))))
    assert schema.validate(etree.parse(str(public / "atom.xml"))), schema.error_log
    assert hub.deliveries == []


def test_build_pings_each_hub_for_each_changed_feed_once(newsletter, hub):
    result = build(newsletter)
    assert result.exit_code == 0, result.output
    feeds = sorted(p.relative_to(newsletter / "public").as_posix() for p in (newsletter / "public").rglob("*")
                   if p.name in ("feed.xml", "atom.xml", "feed.json"))
    topics = sorted(form["hub.url"][0] for _, form in pings(hub))
    assert topics == sorted(["https://briefing.example.nz/" + f for f in feeds] * 2)
    assert all(ct == "application/x-www-form-urlencoded" and form["hub.mode"] == ["publish"] for ct, form in pings(hub))
    assert f"websub: {hub.url}: notified https://briefing.example.nz/atom.xml" in result.output
    hub.reset()
    result = build(newsletter)
    assert result.exit_code == 0 and hub.deliveries == [], "nothing changed, nothing to tell"


def test_a_failing_hub_is_a_warning_and_previews_never_ping(newsletter, hub):
    hub.script = [(400, {}, b"hub.url is not reachable")] * 20
    result = build(newsletter)
    assert result.exit_code == 0
    assert f"websub: {hub.url}: https://briefing.example.nz/feed.xml failed: HTTP 400 hub.url is not reachable" \
        in result.output
    hub.reset()
    result = CliRunner().invoke(main, ["build", str(newsletter / "issues"), "--out", str(newsletter / "preview"),
                                       "--now", "2026-06-01T00:00Z", "--base-url", "http://localhost:8000/"])
    assert result.exit_code == 0 and hub.deliveries == []
