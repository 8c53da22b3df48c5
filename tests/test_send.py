"""message.eml and `dispatch send-test`: a standard multipart/alternative message, delivered to
a real SMTP server (aiosmtpd) on loopback, in clear and over STARTTLS with a login."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import ssl
import subprocess
import time
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

import pytest
from click.testing import CliRunner

from dispatch.cli import main
from dispatch.config import SmtpSettings, load_settings
from dispatch.mail import SendError, build_message, message_bytes, send_message, send_test
from dispatch.parse import parse_issue
from dispatch.render import render_issue

from conftest import EXAMPLE

aiosmtpd = pytest.importorskip("aiosmtpd", reason="aiosmtpd is in the [test] extra: pip install '.[test]'")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every delivered message."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes, bool]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content,
                              session.ssl is not None))
        return "250 OK"


@pytest.fixture
def smtp_server():
    started = []

    def start(**kw):
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), **kw)
        controller.start()
        started.append(controller)
        return inbox, controller.port

    yield start
    for controller in started:
        controller.stop()


def _parts(raw: bytes):
    msg = message_from_bytes(raw, policy=policy.default)
    return msg, [(p.get_content_type(), p.get_content()) for p in msg.iter_parts()]


def test_eml_is_multipart_alternative_text_first(tmp_path, settings):
    result = CliRunner().invoke(main, ["render", str(EXAMPLE), "--out", str(tmp_path), "--eml", "--platform", "listmonk"])
    assert result.exit_code == 0, result.output
    raw = (tmp_path / "moonshot-moment" / "message.eml").read_bytes()
    assert b"\r\n" in raw and max(len(line) for line in raw.split(b"\r\n")) <= 998  # RFC 5322 §2.1.1
    msg, parts = _parts(raw)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == "The Moonshot Moment"
    assert msg["From"] == "The Aotearoa AI Briefing <briefing@example.nz>"
    assert parsedate_to_datetime(msg["Date"]).isoformat() == "2026-05-22T07:00:00+12:00"
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith(".moonshot-moment@example.nz>")
    assert msg["MIME-Version"] == "1.0"
    assert [t for t, _ in parts] == ["text/plain", "text/html"]
    html = (tmp_path / "moonshot-moment" / "email.html").read_text(encoding="utf-8")
    text = (tmp_path / "moonshot-moment" / "email.txt").read_text(encoding="utf-8")
    # line endings are CRLF on the wire (RFC 5322 §2.3); the content is otherwise the files'
    assert parts[1][1].replace("\r\n", "\n").rstrip("\n") == html.rstrip("\n")
    assert "{{ UnsubscribeURL }}" in parts[1][1]
    assert parts[0][1].replace("\r\n", "\n") == text
    # same issue, same bytes (deterministic boundary, date and Message-ID)
    CliRunner().invoke(main, ["render", str(EXAMPLE), "--out", str(tmp_path / "again"), "--eml", "--platform", "listmonk"])
    assert (tmp_path / "again" / "moonshot-moment" / "message.eml").read_bytes() == raw


def test_eml_of_ghost_carries_a_whole_document(settings):
    from dispatch.channels.email import render_email
    from dispatch.channels.text import render_text

    issue = parse_issue(EXAMPLE, settings)
    email = render_email(issue, settings, "ghost")
    msg = build_message(issue, settings, email.document, render_text(issue, settings).text)
    _, parts = _parts(message_bytes(msg))
    assert parts[1][1].startswith("<!doctype html>") and "%%{unsubscribe_url}%%" in parts[1][1]


def test_send_test_delivers_both_parts_over_loopback(smtp_server, settings, tmp_path):
    inbox, port = smtp_server()
    local = dataclasses.replace(settings, smtp=SmtpSettings(host="127.0.0.1", port=port))
    line = send_test(EXAMPLE, local, "reader@example.org", platform="mailchimp")
    assert line.startswith(f"sent '[TEST] The Moonshot Moment' to reader@example.org via 127.0.0.1:{port}, ")
    assert "STARTTLS" not in line
    assert len(inbox.messages) == 1
    mail_from, rcpts, raw, tls = inbox.messages[0]
    assert (mail_from, rcpts, tls) == ("briefing@example.nz", ["reader@example.org"], False)
    msg, parts = _parts(raw)
    assert msg["To"] == "reader@example.org"
    assert msg["Subject"] == "[TEST] The Moonshot Moment"  # test_subject_prefix
    assert msg["List-Unsubscribe"] is None  # Mailchimp's merge tag: Mailchimp writes its own header
    assert abs(parsedate_to_datetime(msg["Date"]).timestamp() - time.time()) < 120  # a fresh Date
    assert not msg["Message-ID"].endswith(".moonshot-moment@example.nz>")  # a fresh Message-ID
    assert [t for t, _ in parts] == ["text/plain", "text/html"]
    assert "*|UNSUB|*" in parts[0][1] and "Moonshot AI, the Chinese lab" in parts[0][1]
    assert parts[1][1].startswith("<!doctype html>") and 'href="*|UNSUB|*"' in parts[1][1]
    assert "Te Reo Māori" in parts[1][1]


def test_send_test_cli_reads_smtp_from_dispatch_toml(smtp_server, tmp_path):
    inbox, port = smtp_server()
    (tmp_path / "dispatch.toml").write_text(
        f'site_name = "Loopback News"\nemail = "desk@news.example.org"\n[smtp]\nhost = "127.0.0.1"\nport = {port}\n',
        encoding="utf-8",
    )
    issue = tmp_path / "issue.md"
    shutil.copy(EXAMPLE, issue)
    result = CliRunner().invoke(main, ["send-test", str(issue), "--to", "me@example.org"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sent '[TEST] The Moonshot Moment' to me@example.org")
    _, parts = _parts(inbox.messages[0][2])
    assert [t for t, _ in parts] == ["text/plain", "text/html"]
    assert inbox.messages[0][0] == "desk@news.example.org"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl is needed to make a certificate for the STARTTLS test")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    return folder / "cert.pem", folder / "key.pem"


def test_starttls_and_login_when_offered(smtp_server, settings, certificate, monkeypatch):
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password, session.ssl is not None))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)  # server answers 535

    inbox, port = smtp_server(tls_context=server_tls, require_starttls=True, authenticator=authenticator,
                              auth_require_tls=True)
    local = dataclasses.replace(settings, smtp=SmtpSettings(host="127.0.0.1", port=port, user="desk",
                                                            password_env="TEST_DISPATCH_SMTP_PW"))
    issue = parse_issue(EXAMPLE, local)
    msg = build_message(issue, local, "<!doctype html><p>hi</p>", "hi\n")
    client_tls = ssl.create_default_context(cafile=str(cert))

    monkeypatch.delenv("TEST_DISPATCH_SMTP_PW", raising=False)
    with pytest.raises(SendError) as err:
        send_message(msg, local, "reader@example.org", tls_context=client_tls)
    assert "TEST_DISPATCH_SMTP_PW" in err.value.message

    monkeypatch.setenv("TEST_DISPATCH_SMTP_PW", "wrong")
    with pytest.raises(SendError) as err:
        send_message(msg, local, "reader@example.org", tls_context=client_tls)
    assert err.value.message.startswith("SMTP login as desk refused: 535")

    monkeypatch.setenv("TEST_DISPATCH_SMTP_PW", "s3cret")
    line = send_message(msg, local, "reader@example.org", tls_context=client_tls)
    assert "(STARTTLS)" in line
    assert logins[-1] == (b"desk", b"s3cret", True)
    assert len(inbox.messages) == 1 and inbox.messages[0][3] is True
    _, parts = _parts(inbox.messages[0][2])
    assert [(t, c.replace("\r\n", "\n")) for t, c in parts] == [
        ("text/plain", "hi\n"), ("text/html", "<!doctype html><p>hi</p>\n")]


def test_unreachable_server_is_one_line_exit_2(tmp_path):
    port = _free_port()  # nothing listens there
    (tmp_path / "dispatch.toml").write_text(
        f'email = "desk@news.example.org"\n[smtp]\nhost = "127.0.0.1"\nport = {port}\n', encoding="utf-8")
    issue = tmp_path / "issue.md"
    shutil.copy(EXAMPLE, issue)
    result = CliRunner().invoke(main, ["send-test", str(issue), "--to", "me@example.org"])
    assert result.exit_code == 2
    assert result.output == f"dispatch: cannot send through 127.0.0.1:{port}: [Errno 111] Connection refused\n"


def test_no_sender_address_is_a_config_problem(tmp_path):
    (tmp_path / "dispatch.toml").write_text('site_name = "x"\n', encoding="utf-8")
    settings = load_settings(tmp_path)
    with pytest.raises(SendError) as err:
        build_message(parse_issue(EXAMPLE, settings), settings, "<p>x</p>", "x")
    assert "email = " in err.value.message and err.value.path == tmp_path / "dispatch.toml"


def test_send_test_needs_an_smtp_host_and_one_address(tmp_path):
    from dispatch.errors import DispatchError

    settings = load_settings(EXAMPLE.parent)
    with pytest.raises(DispatchError, match="no SMTP server"):
        send_test(EXAMPLE, settings, "reader@example.org")
    with pytest.raises(DispatchError, match="not one email address"):
        send_test(EXAMPLE, settings, "a@b.org\r\nBcc: x@y.org")


def test_send_test_carries_one_click_unsubscribe_and_a_configurable_prefix(smtp_server, settings):
    inbox, port = smtp_server()
    local = dataclasses.replace(settings, smtp=SmtpSettings(host="127.0.0.1", port=port), test_subject_prefix="(proof) ")
    assert settings.unsubscribe_url.startswith("https://")
    send_test(EXAMPLE, local, "reader@example.org")
    msg, _ = _parts(inbox.messages[0][2])
    assert msg["Subject"] == "(proof) The Moonshot Moment"
    # RFC 2369 List-Unsubscribe; RFC 8058 one-click for an https URL
    assert msg["List-Unsubscribe"] == f"<{settings.unsubscribe_url}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_eml_list_unsubscribe_headers(settings, tmp_path):
    from dispatch.mail import build_message, list_unsubscribe

    report = render_issue(EXAMPLE, tmp_path, settings, eml=True)
    msg = message_from_bytes((report.folder / "message.eml").read_bytes(), policy=policy.default)
    assert msg["List-Unsubscribe"] == "<https://briefing.example.nz/unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Subject"] == "The Moonshot Moment"  # only a test send is marked
    # mailto: gets List-Unsubscribe but no one-click POST (RFC 8058 §3.1 needs an https URI)
    issue = report.issue
    mailto = build_message(issue, settings, "<p>x</p>", "x", unsubscribe="mailto:leave@example.nz")
    assert mailto["List-Unsubscribe"] == "<mailto:leave@example.nz>" and mailto["List-Unsubscribe-Post"] is None
    plain = build_message(issue, settings, "<p>x</p>", "x", unsubscribe="http://example.nz/u")
    assert plain["List-Unsubscribe"] == "<http://example.nz/u>" and plain["List-Unsubscribe-Post"] is None
    assert list_unsubscribe("*|UNSUB|*") == "" and list_unsubscribe("") == ""


def test_cjk_bodies_are_base64_when_quoted_printable_would_double_them(settings):
    from dispatch.mail import build_message, transfer_encoding

    chinese = "月之暗面以开源模型融资二十亿美元。" * 40
    assert transfer_encoding(chinese) == "base64"
    assert transfer_encoding("Plain English with one café.") == "quoted-printable"
    issue = parse_issue(EXAMPLE, settings)
    msg = build_message(issue, settings, f"<p>{chinese}</p>", chinese)
    raw = message_bytes(msg)
    assert raw.count(b"Content-Transfer-Encoding: base64") == 2
    # base64 costs 4/3 of the UTF-8 bytes; quoted-printable would have cost 3 per byte
    assert len(raw) < 2 * len(chinese.encode()) * 4 / 3 + 2000
    _, parts = _parts(raw)
    assert parts[0][1].strip() == chinese
