"""The email channels of ``dispatch publish`` (Buttondown, Ghost, listmonk): a draft made from
exactly what ``dispatch render --platform <preset>`` writes, read back from the server;
scheduled only with ``--schedule``; exactly once through 429s, 5xx, resets and a crash
between the request and the state write.

Buttondown and listmonk run as loopback servers that follow their documented APIs
(``servers/buttondown.py``, ``servers/listmonk.py``); Ghost is the real Ghost 6.65.0 on
SQLite (``servers/ghost.py``), booted once per session, behind a fault proxy for the faults.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
import pytest
import requests
from click.testing import CliRunner

from conftest import EXAMPLE, ROOT
from dispatch.cli import main
from dispatch.config import load_settings
from dispatch.parse import parse_issue
from dispatch.publish import publish_issue
from dispatch.publish.ghost import admin_token
from dispatch.publish.http import Http
from dispatch.render import render_issue
from servers.api import LoopbackServer
from servers.buttondown import Buttondown
from servers.ghost import GhostServer, find_ghost
from servers.listmonk import Listmonk
from servers.loopback import FaultProxy

BD_KEY = "bd-test-key-7f3a"
LM_USER, LM_TOKEN = "dispatch-api", "lm-test-token-91c2"
SLUG = "moonshot-moment"


@pytest.fixture(scope="session")
def buttondown():
    with LoopbackServer(Buttondown(BD_KEY)) as server:
        yield server


@pytest.fixture(scope="session")
def listmonk():
    with LoopbackServer(Listmonk(LM_USER, LM_TOKEN)) as server:
        yield server


@pytest.fixture(scope="session")
def ghost():
    found = find_ghost()
    if isinstance(found, str):
        pytest.skip(found)
    server = GhostServer(*found).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ghost_proxy(ghost):
    proxy = FaultProxy(ghost.url)
    yield proxy
    proxy.stop()


def fast(name, config):
    return Http(retries=2, backoff=0.01, timeout=10)


#: The example's settings without its own [publish.*] channels.
SETTINGS = re.split(r"^(?:# .*\n)*\[publish\.", (ROOT / "dispatch.toml").read_text("utf-8"),
                    maxsplit=1, flags=re.M)[0]


class Site:
    """A newsletter folder with the example issue, the example's settings and the given channels."""

    def __init__(self, root: Path, channels: dict[str, str], env: dict[str, str]):
        self.root, self.env = root, env
        shutil.copy(EXAMPLE, root / EXAMPLE.name)
        self.write(channels)

    def write(self, channels: dict[str, str]) -> None:
        (self.root / "dispatch.toml").write_text(
            SETTINGS.rstrip("\n") + "\n\n" + "\n".join(f"[publish.{name}]\n{body}\n" for name, body in channels.items()), encoding="utf-8")

    def run(self, **kw):
        settings = load_settings(self.root)
        return publish_issue(self.root / EXAMPLE.name, settings, out=self.root / "dist", env=self.env,
                             http_factory=fast, **kw)

    def rendered(self, platform: str) -> Path:
        """``dispatch render --platform PLATFORM`` of the site's issue: the output folder."""
        return render_issue(self.root / EXAMPLE.name, self.root / "render", load_settings(self.root),
                            platform=platform).folder

    def state(self) -> dict:
        return json.loads((self.root / "dist" / f"{SLUG}.publish.json").read_text("utf-8"))


def buttondown_channel(server: LoopbackServer, extra: str = "") -> str:
    return f'kind = "buttondown"\nendpoint = "{server.url}"\n{extra}'


def listmonk_channel(server: LoopbackServer, extra: str = 'options = { lists = ["Briefing"] }') -> str:
    return f'kind = "listmonk"\nendpoint = "{server.url}"\naccount = "{LM_USER}"\n{extra}'


def ghost_channel(url: str, extra: str = "") -> str:
    return f'kind = "ghost"\nendpoint = "{url}"\n{extra}'


@pytest.fixture()
def bd(tmp_path, buttondown):
    buttondown.clear()
    buttondown.platform.emails.clear()
    buttondown.platform.idempotent.clear()
    return Site(tmp_path, {"bd": buttondown_channel(buttondown)}, {"DISPATCH_BD_API_KEY": BD_KEY})


@pytest.fixture()
def lm(tmp_path, listmonk):
    listmonk.clear()
    listmonk.platform.campaigns.clear()
    return Site(tmp_path, {"lm": listmonk_channel(listmonk)}, {"DISPATCH_LM_TOKEN": LM_TOKEN})


@pytest.fixture()
def gh(tmp_path, ghost, ghost_proxy):
    ghost_proxy.heal()
    ghost_proxy.log.clear()
    _delete_posts(ghost)
    return Site(tmp_path, {"gh": ghost_channel(ghost_proxy.url)}, {"DISPATCH_GH_ADMIN_KEY": ghost.admin_key})


def _ghost_get(ghost: GhostServer, path: str) -> dict:
    r = requests.get(ghost.api(path), headers={"Authorization": f"Ghost {admin_token(ghost.admin_key)}",
                                               "Accept-Version": "v6.0"}, timeout=30)
    r.raise_for_status()
    return r.json()


def _ghost_posts(ghost: GhostServer) -> list[dict]:
    return _ghost_get(ghost, "posts/?limit=all&filter=status:[draft,scheduled,published]")["posts"]


def _delete_posts(ghost: GhostServer) -> None:
    for post in _ghost_posts(ghost):
        requests.delete(ghost.api(f"posts/{post['id']}/"), timeout=30,
                        headers={"Authorization": f"Ghost {admin_token(ghost.admin_key)}", "Accept-Version": "v6.0"}
                        ).raise_for_status()


def _later(days: int = 3) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).replace(microsecond=0).isoformat()


def _issue():
    return parse_issue(EXAMPLE, load_settings(EXAMPLE.parent))


# --- Buttondown -----------------------------------------------------------------------------

def test_buttondown_draft_is_what_render_writes_read_back(bd, buttondown):
    report = bd.run()
    assert [o.status for o in report.outcomes] == ["done"], report.outcomes[0].message
    (post,) = buttondown.sent("POST", "/v1/emails")
    sent = post.json
    assert sent["status"] == "draft", "the status is always explicit: older API versions default to sending"
    assert post.headers["x-api-version"] == "2026-04-01"
    entry = bd.state()["channels"]["bd"]["entries"][0]
    assert post.headers["x-idempotency-key"] == entry["client_key"]
    assert entry["status"] == "done" and entry["attempts"] == 1
    # Read it back from the server, as a person would.
    r = requests.get(f"{buttondown.url}v1/emails/{entry['remote_id']}", headers={"Authorization": f"Token {BD_KEY}"})
    email = r.json()
    assert email["subject"] == "The Moonshot Moment"
    assert email["body"] == (bd.rendered("buttondown") / "email.html").read_text("utf-8")
    assert "{{ unsubscribe_url }}" in email["body"], "Buttondown's merge tags go out as render wrote them"
    assert email["status"] == "draft"
    assert email["metadata"] == {"dispatch_issue_id": _issue().meta.id, "dispatch_key": entry["client_key"]}
    assert BD_KEY not in (bd.root / "dist" / f"{SLUG}.publish.json").read_text("utf-8")


def test_buttondown_never_relies_on_the_default_status(bd, buttondown):
    bd.write({"bd": buttondown_channel(buttondown, 'options = { api_version = "2024-09-30" }')})
    bd.run()
    (email,) = buttondown.platform.emails.values()
    assert email["status"] == "draft", "on 2024-09-30 a create without status would have emailed everyone"


def test_buttondown_rerun_does_nothing(bd, buttondown):
    bd.run()
    buttondown.clear()
    report = bd.run()
    assert report.outcomes[0].status == "nothing"
    assert "nothing to do" in report.outcomes[0].line()
    assert buttondown.requests == [], "a re-run after success sends nothing, not even a lookup"
    assert len(buttondown.platform.emails) == 1


def test_buttondown_429_then_5xx_then_created_once(bd, buttondown):
    buttondown.fail("POST", "/v1/emails", status=429, retry_after=1,
                    body={"code": "rate_limited", "detail": "Request was throttled."})
    buttondown.fail("POST", "/v1/emails", status=503)
    report = bd.run()
    assert report.outcomes[0].status == "done"
    assert len(buttondown.sent("POST", "/v1/emails")) == 3
    assert len(buttondown.platform.emails) == 1


def test_buttondown_reset_after_create_is_not_duplicated(bd, buttondown):
    buttondown.fail("POST", "/v1/emails", reset=True, after=True)  # created, the answer lost
    report = bd.run()
    assert report.outcomes[0].status == "done"
    posts = buttondown.sent("POST", "/v1/emails")
    assert len(posts) == 2 and posts[0].headers["x-idempotency-key"] == posts[1].headers["x-idempotency-key"]
    assert len(buttondown.platform.emails) == 1


def test_buttondown_crash_between_request_and_state_write(bd, buttondown, monkeypatch):
    from dispatch.publish.buttondown import ButtondownChannel

    def killed(self, entry, body):
        raise SystemExit("killed")  # the process dies after the server answered, before the state write

    for n in range(3):  # other drafts, so reconciling pages through the list (2 per page here)
        requests.post(f"{buttondown.url}v1/emails", json={"subject": f"Other {n}", "body": "x", "status": "draft"},
                      headers={"Authorization": f"Token {BD_KEY}", "X-API-Version": "2026-04-01"}).raise_for_status()
    with monkeypatch.context() as m:
        m.setattr(ButtondownChannel, "accept_draft", killed)
        with pytest.raises(SystemExit):
            bd.run()
    assert bd.state()["channels"]["bd"]["entries"][0]["status"] == "in_flight"
    assert len(buttondown.platform.emails) == 4
    report = bd.run()
    assert report.outcomes[0].status == "done"
    assert len(buttondown.platform.emails) == 4, "the re-run found the draft (metadata dispatch_key), made none"
    assert len(buttondown.sent("POST", "/v1/emails")) == 4
    assert len(buttondown.sent("GET", "/v1/emails")) == 2, "two pages read"
    (email,) = [e for e in buttondown.platform.emails.values() if e["subject"] == "The Moonshot Moment"]
    assert bd.state()["channels"]["bd"]["entries"][0]["remote_id"] == email["id"]


def test_buttondown_4xx_reports_the_platform_message(bd):
    bd.env = {"DISPATCH_BD_API_KEY": "wrong"}
    report = bd.run()
    assert report.outcomes[0].status == "failed"
    assert "HTTP 401 Invalid token." in report.outcomes[0].message
    assert report.failed


def test_buttondown_schedule_after_review(bd, buttondown):
    bd.run()
    (email,) = buttondown.platform.emails.values()
    assert email["status"] == "draft"
    when = _later()
    report = bd.run(schedule=when)
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    assert len(buttondown.platform.emails) == 1, "the draft from the first run is the one scheduled"
    assert email["status"] == "scheduled"
    assert datetime.fromisoformat(email["publish_date"].replace("Z", "+00:00")) == datetime.fromisoformat(when)
    entries = bd.state()["channels"]["bd"]["entries"]
    assert [(e["key"], e["status"]) for e in entries] == [("draft", "done"), ("send", "done")]
    buttondown.clear()
    assert bd.run(schedule=when).outcomes[0].status == "nothing"
    assert bd.run().outcomes[0].status == "nothing", "a run without --schedule leaves the scheduled send alone"
    assert [r.method for r in buttondown.requests] == []


def _edit(site: Site) -> None:
    """Change one sentence of the site's copy of the example issue."""
    path = site.root / EXAMPLE.name
    path.write_text(path.read_text("utf-8").replace("The twist:", "The catch:"), encoding="utf-8")


def test_buttondown_edited_draft_is_updated_in_place_until_scheduled(bd, buttondown):
    bd.run()
    (email,) = buttondown.platform.emails.values()
    _edit(bd)
    buttondown.fail("PATCH", f"/v1/emails/{email['id']}", reset=True, after=True)  # the update's answer lost
    report = bd.run()
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    assert "updated in place" in report.outcomes[0].message
    assert len(buttondown.platform.emails) == 1 and len(buttondown.sent("POST", "/v1/emails")) == 1
    assert email["body"] == (bd.rendered("buttondown") / "email.html").read_text("utf-8")
    assert "The catch:" in email["body"] and email["status"] == "draft"
    bd.run(schedule=_later())
    path = bd.root / EXAMPLE.name
    path.write_text(path.read_text("utf-8").replace("The catch:", "The hook:"), encoding="utf-8")
    report = bd.run()
    assert report.outcomes[0].status == "failed" and "--force" in report.outcomes[0].message
    assert "The catch:" in email["body"], "a scheduled email is not changed behind the writer's back"


# --- listmonk -----------------------------------------------------------------------------

def test_listmonk_draft_is_what_render_writes_read_back(lm, listmonk):
    report = lm.run()
    assert [o.status for o in report.outcomes] == ["done"], report.outcomes[0].message
    entry = lm.state()["channels"]["lm"]["entries"][0]
    r = requests.get(f"{listmonk.url}api/campaigns/{entry['remote_id']}",
                     headers={"Authorization": f"token {LM_USER}:{LM_TOKEN}"})
    campaign = r.json()["data"]
    assert campaign["subject"] == "The Moonshot Moment"
    assert campaign["name"] == "The Moonshot Moment (2026-05-22)"
    assert campaign["status"] == "draft"
    assert campaign["content_type"] == "html"
    folder = lm.rendered("listmonk")
    assert campaign["body"] == (folder / "email.html").read_text("utf-8")
    assert campaign["altbody"] == (folder / "email.txt").read_text("utf-8")
    assert "{{ UnsubscribeURL }}" in campaign["body"] and "{{ UnsubscribeURL }}" in campaign["altbody"]
    assert [x["name"] for x in campaign["lists"]] == ["Briefing"], "the list name was looked up"
    assert entry["client_key"] in campaign["tags"]
    assert listmonk.sent("PUT", f"/api/campaigns/{entry['remote_id']}/status") == [], "creating never sends"


def test_listmonk_edited_draft_is_updated_in_place(lm, listmonk):
    lm.run()
    _edit(lm)
    report = lm.run()
    assert report.outcomes[0].status == "done" and "updated in place" in report.outcomes[0].message
    (campaign,) = listmonk.platform.campaigns.values()
    folder = lm.rendered("listmonk")
    assert campaign["body"] == (folder / "email.html").read_text("utf-8")
    assert campaign["altbody"] == (folder / "email.txt").read_text("utf-8") and "The catch:" in campaign["altbody"]
    assert campaign["status"] == "draft" and [x["name"] for x in campaign["lists"]] == ["Briefing"]


def test_listmonk_draft_deleted_on_the_platform_is_made_anew_on_edit(lm, listmonk):
    lm.run()
    first = lm.state()["channels"]["lm"]["entries"][0]["remote_id"]
    listmonk.platform.campaigns.clear()  # the writer deleted it in listmonk
    _edit(lm)
    report = lm.run()
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    (campaign,) = listmonk.platform.campaigns.values()
    assert "The catch:" in campaign["altbody"]
    assert lm.state()["channels"]["lm"]["entries"][0]["remote_id"] == str(campaign["id"]) != first


def test_listmonk_rerun_does_nothing(lm, listmonk):
    lm.run()
    listmonk.clear()
    assert lm.run().outcomes[0].status == "nothing"
    assert listmonk.requests == []
    assert len(listmonk.platform.campaigns) == 1


def test_listmonk_reset_after_create_is_found_not_duplicated(lm, listmonk):
    listmonk.fail("POST", "/api/campaigns", reset=True, after=True)
    report = lm.run()
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    assert len(listmonk.sent("POST", "/api/campaigns")) == 1, "no idempotency key: never blindly re-posted"
    assert len(listmonk.platform.campaigns) == 1
    (lookup,) = [r for r in listmonk.requests if r.method == "GET" and r.path == "/api/campaigns"]
    assert lookup.query["tags"] == [lm.state()["channels"]["lm"]["entries"][0]["client_key"]]


def test_listmonk_read_timeout_after_create_is_found(lm, listmonk):
    listmonk.fail("POST", "/api/campaigns", delay=1.5)  # created, the answer comes too late
    report = publish_issue(lm.root / EXAMPLE.name, load_settings(lm.root), out=lm.root / "dist", env=lm.env,
                           http_factory=lambda n, c: Http(retries=2, backoff=0.01, timeout=0.5))
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    assert len(listmonk.sent("POST", "/api/campaigns")) == 1 and len(listmonk.platform.campaigns) == 1


def test_listmonk_5xx_and_429_on_reconcile_then_resume(lm, listmonk):
    listmonk.fail("POST", "/api/campaigns", status=502, times=3)  # beyond the retries: the run fails
    report = lm.run()
    assert report.outcomes[0].status == "failed"
    assert len(listmonk.platform.campaigns) == 0
    listmonk.fail("GET", "/api/campaigns", status=429, retry_after=1)
    report = lm.run()
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    assert len(listmonk.platform.campaigns) == 1


def test_listmonk_4xx_message_and_unknown_list(lm, listmonk):
    lm.write({"lm": listmonk_channel(listmonk, 'options = { lists = ["Nope"] }')})
    report = lm.run()
    assert report.outcomes[0].status == "failed"
    assert "no list named 'Nope'" in report.outcomes[0].message and "'Briefing'" in report.outcomes[0].message
    lm.write({"lm": listmonk_channel(listmonk, 'options = { lists = [99] }')})
    report = lm.run()
    assert report.outcomes[0].status == "failed"
    assert "HTTP 400 invalid lists" in report.outcomes[0].message
    assert listmonk.platform.campaigns == {}


def test_listmonk_schedule(lm, listmonk):
    when = _later(2)
    report = lm.run(schedule=when)
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    (campaign,) = listmonk.platform.campaigns.values()
    assert campaign["status"] == "scheduled"
    assert datetime.fromisoformat(campaign["send_at"].replace("Z", "+00:00")) == datetime.fromisoformat(when)
    assert campaign["altbody"], "the whole campaign was written back with send_at, the plain-text part kept"
    listmonk.fail("PUT", f"/api/campaigns/{campaign['id']}/status", reset=True, after=True)
    assert lm.run(schedule=when).outcomes[0].status == "nothing"


def test_listmonk_schedule_status_answer_lost(lm, listmonk):
    lm.run()
    (campaign,) = listmonk.platform.campaigns.values()
    listmonk.fail("PUT", f"/api/campaigns/{campaign['id']}/status", reset=True, after=True)
    report = lm.run(schedule=_later(2))
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    assert campaign["status"] == "scheduled"


def test_listmonk_schedule_in_the_past_is_refused(lm, listmonk):
    report = lm.run(schedule="2020-01-01T09:00:00+13:00")
    assert report.outcomes[0].status == "failed" and "is in the past" in report.outcomes[0].message
    assert listmonk.requests == []


# --- dry run and the CLI --------------------------------------------------------------------

def test_dry_run_shows_each_request_and_sends_nothing(tmp_path, buttondown, listmonk):
    buttondown.clear()
    listmonk.clear()
    site = Site(tmp_path, {"bd": buttondown_channel(buttondown), "lm": listmonk_channel(listmonk),
                           "gh": ghost_channel("https://example.ghost.io/", 'options = { newsletter = "weekly" }')}, {})
    result = CliRunner().invoke(main, ["publish", str(site.root / EXAMPLE.name), "--dry-run",
                                       "--out", str(site.root / "dist"), "--schedule", _later()])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"draft: POST {buttondown.url}v1/emails" in out
    assert "status: draft" in out and "X-Idempotency-Key:" in out
    assert f"draft: POST {listmonk.url}api/campaigns" in out and "altbody:" in out
    assert "draft: POST https://example.ghost.io/ghost/api/admin/posts/?source=html" in out
    assert "newsletter 'weekly'" in out and "cannot be undone" in out
    assert "$DISPATCH_BD_API_KEY" in out and "$DISPATCH_GH_ADMIN_KEY" in out
    assert buttondown.requests == [] and listmonk.requests == []
    assert not (site.root / "dist").exists()


def test_config_lists_the_email_secrets(tmp_path, buttondown, listmonk, monkeypatch):
    site = Site(tmp_path, {"bd": buttondown_channel(buttondown), "lm": listmonk_channel(listmonk),
                           "gh": ghost_channel("https://example.ghost.io/")}, {})
    monkeypatch.chdir(site.root)
    result = CliRunner().invoke(main, ["config", "--list"], env={"DISPATCH_BD_API_KEY": BD_KEY})
    assert result.exit_code == 0
    for secret, kind in (("API_KEY", "buttondown"), ("ADMIN_KEY", "ghost"), ("TOKEN", "listmonk")):
        assert f"# $DISPATCH_<NAME>_{secret} (an environment variable): for a [publish.<name>] of kind {kind}" \
            in result.output
    assert "#   $DISPATCH_BD_API_KEY (set): [publish.bd]: the newsletter's API key" in result.output
    assert "$DISPATCH_GH_ADMIN_KEY (not set)" in result.output and "$DISPATCH_LM_TOKEN (not set)" in result.output
    assert BD_KEY not in result.output


# --- Ghost (the real server) -----------------------------------------------------------------

def test_ghost_admin_token_claims():
    key = "6b0f36245b658f7ca57d7f61:" + "ab" * 32
    token = admin_token(key)
    header = jwt.get_unverified_header(token)
    assert header["kid"] == "6b0f36245b658f7ca57d7f61" and header["alg"] == "HS256"
    claims = jwt.decode(token, bytes.fromhex("ab" * 32), algorithms=["HS256"], audience="/admin/",
                        leeway=5)
    assert claims["exp"] - claims["iat"] == 300


def test_ghost_draft_read_back(gh, ghost):
    report = gh.run()
    assert [o.status for o in report.outcomes] == ["done"], report.outcomes[0].message
    entry = gh.state()["channels"]["gh"]["entries"][0]
    post = _ghost_get(ghost, f"posts/{entry['remote_id']}/?formats=html,plaintext")["posts"][0]
    assert post["title"] == "The Moonshot Moment" and post["slug"] == SLUG and post["status"] == "draft"
    def card(html: str) -> str:  # the inside of the one HTML card
        return html.split("<!--kg-card-begin: html-->", 1)[1].rsplit("<!--kg-card-end: html-->", 1)[0].strip("\n")

    fragment = card((gh.rendered("ghost") / "email.html").read_text("utf-8"))
    inner = card(post["html"])
    # Ghost re-serialises the card through a DOM: the one difference is the <tbody> a parser implies.
    assert inner.replace("<tbody>", "").replace("</tbody>", "") == fragment.replace("<tbody>", "").replace("</tbody>", "")
    assert 'class="postal-address"' in inner, "the card body render writes, footer included"
    assert "Moonshot AI, the Chinese lab behind the Kimi models" in post["plaintext"]
    assert post["custom_excerpt"] == _issue().summary[:300] and post["custom_excerpt"]
    assert not post.get("email") and not post.get("newsletter"), "a draft is never emailed"
    assert ghost.admin_key not in (gh.root / "dist" / f"{SLUG}.publish.json").read_text("utf-8")


def test_ghost_rerun_does_nothing(gh, ghost, ghost_proxy):
    gh.run()
    ghost_proxy.log.clear()
    assert gh.run().outcomes[0].status == "nothing"
    assert ghost_proxy.log == []
    assert len(_ghost_posts(ghost)) == 1


def test_ghost_reset_after_create_is_found_by_slug(gh, ghost, ghost_proxy):
    ghost_proxy.drop_after(0, "/posts/?source=html")  # Ghost creates it; the answer never arrives
    report = gh.run()
    assert report.outcomes[0].status == "failed", "the server cannot be asked while the network is down"
    assert gh.state()["channels"]["gh"]["entries"][0]["status"] == "in_flight"
    ghost_proxy.heal()
    ghost_proxy.log.clear()
    report = gh.run()
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    posts = _ghost_posts(ghost)
    assert len(posts) == 1 and posts[0]["slug"] == SLUG, "found by slug, not created again as moonshot-moment-2"
    assert [p for m, p, s in ghost_proxy.log if m == "POST"] == []


def test_ghost_slug_taken_by_another_post(gh, ghost):
    r = requests.post(ghost.api("posts/"), timeout=30, json={"posts": [{"title": "Something else", "slug": SLUG}]},
                      headers={"Authorization": f"Ghost {admin_token(ghost.admin_key)}", "Accept-Version": "v6.0"})
    r.raise_for_status()
    report = gh.run()
    assert report.outcomes[0].status == "failed"
    assert "already has a post at slug 'moonshot-moment' titled 'Something else'" in report.outcomes[0].message
    assert len(_ghost_posts(ghost)) == 1


def test_ghost_edited_draft_is_updated_in_place(gh, ghost):
    gh.run()
    _edit(gh)
    report = gh.run()
    assert report.outcomes[0].status == "done" and "updated in place" in report.outcomes[0].message
    (post,) = _ghost_posts(ghost)
    post = _ghost_get(ghost, f"posts/{post['id']}/?formats=plaintext")["posts"][0]
    assert "The catch: Moonshot got there" in post["plaintext"] and post["status"] == "draft"


def test_ghost_schedule_emails_only_with_a_newsletter(gh, ghost, ghost_proxy):
    gh.run()
    when = _later(4)
    report = gh.run(schedule=when)
    assert report.outcomes[0].status == "failed" and "options.newsletter" in report.outcomes[0].message
    (post,) = _ghost_posts(ghost)
    assert post["status"] == "draft"
    gh.write({"gh": ghost_channel(ghost_proxy.url, 'options = { newsletter = "default-newsletter" }')})
    report = gh.run(schedule=when)
    assert report.outcomes[0].status == "done", report.outcomes[0].message
    post = _ghost_get(ghost, f"posts/{post['id']}/?include=newsletter")["posts"][0]
    assert post["status"] == "scheduled" and post["newsletter"]["slug"] == "default-newsletter"
    assert datetime.fromisoformat(post["published_at"].replace("Z", "+00:00")) == datetime.fromisoformat(when)
    entries = gh.state()["channels"]["gh"]["entries"]
    assert [(e["key"], e["status"]) for e in entries] == [("draft", "done"), ("send", "done")]
    assert len(_ghost_posts(ghost)) == 1


def test_ghost_wrong_key_reports_ghosts_message(gh, ghost):
    kid = ghost.admin_key.split(":")[0]
    gh.env = {"DISPATCH_GH_ADMIN_KEY": f"{kid}:{'0f' * 32}"}
    report = gh.run()
    assert report.outcomes[0].status == "failed"
    assert "HTTP 401 Invalid token: invalid signature" in report.outcomes[0].message, "Ghost's own words"
    gh.env = {"DISPATCH_GH_ADMIN_KEY": "not-a-key"}
    report = gh.run()
    assert report.outcomes[0].status == "failed" and "<id>:<hex secret>" in report.outcomes[0].message
    assert _ghost_posts(ghost) == []
