"""Sender details a bulk email needs: a postal address (CAN-SPAM) warned about when it is
missing, and a My Take column signed by its author, never by the site's name."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dispatch.authoring import check_issue
from dispatch.cli import main
from dispatch.config import load_settings
from dispatch.render import render_in_memory

TAKE = ("---\ntitle: Chips\ndate: 2026-05-01\n---\nThe lead.\n\n## The Bottom Line\n\nChips are up.\n\n"
        "## 🤔 My Take: Salt matters\n\nMore salt, fewer regrets.\n")


def _newsletter(tmp_path: Path, toml: str) -> Path:
    (tmp_path / "dispatch.toml").write_text('site_name = "Kiwi Chips"\nbase_url = "https://chips.example.nz/"\n'
                                            'unsubscribe_url = "https://chips.example.nz/u"\n' + toml,
                                            encoding="utf-8")
    issue = tmp_path / "chips.md"
    issue.write_text(TAKE, encoding="utf-8")
    return issue


def _codes(issue: Path) -> dict[str, str]:
    return {d.code: d.message for d in check_issue(issue, load_settings(issue.parent)).diagnostics}


def test_a_missing_postal_address_is_one_warning_saying_how_to_fix_it(tmp_path):
    issue = _newsletter(tmp_path, 'author = "Aroha"\n')
    assert _codes(issue)["postal-address"] == (
        "no postal_address: email sent in bulk through 'generic' must show the sender's postal address (CAN-SPAM); "
        "set postal_address = \"PO Box 1234, Wellington 6140, New Zealand\" in dispatch.toml (a PO box will do)")
    result = CliRunner().invoke(main, ["render", str(issue), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    assert [line for line in result.stderr.splitlines() if "postal_address" in line] == [
        f"warning: {tmp_path / 'dispatch.toml'}: " + _codes(issue)["postal-address"]]
    # Substack adds its own footer (address included): nothing to warn about; set: quiet
    assert "postal-address" not in _codes(_newsletter(tmp_path, 'author = "Aroha"\nplatform = "substack"\n'))
    assert "postal-address" not in _codes(_newsletter(tmp_path, 'author = "Aroha"\npostal_address = "PO Box 1"\n'))


def test_my_take_is_signed_by_the_author_never_the_site_name(tmp_path):
    issue = _newsletter(tmp_path, 'postal_address = "PO Box 1"\nauthor = "Aroha Smith"\n')
    done = render_in_memory(issue, load_settings(tmp_path))
    assert "— Aroha Smith" in done.text.text and "— Aroha Smith" in done.email.html
    assert "<p class=\"my-take-signature\"" in done.email.html
    assert "my-take-author" not in _codes(issue)
    # nobody known: unsigned, and a warning says how to sign it
    issue = _newsletter(tmp_path, 'postal_address = "PO Box 1"\n')
    done = render_in_memory(issue, load_settings(tmp_path))
    assert "— Kiwi Chips" not in done.text.text and "— Kiwi Chips" not in done.email.html
    assert "<p class=\"my-take-signature\"" not in done.email.html
    [warning] = [d for d in check_issue(issue, load_settings(tmp_path)).diagnostics if d.code == "my-take-author"]
    assert (warning.path, warning.line) == (str(issue), 11)
    assert warning.message == ("the My Take column has no author to sign it, so it goes out unsigned; set author = "
                               "\"Name\" in dispatch.toml, 'author: Name' in the front matter, or {.my_take by=\"Name\"} "
                               "on its heading")
    # the front matter's author, or by=, signs it
    issue.write_text(TAKE.replace("date: 2026-05-01\n", "date: 2026-05-01\nauthor: Tama\n"), encoding="utf-8")
    assert "— Tama" in render_in_memory(issue, load_settings(tmp_path)).text.text
    issue.write_text(TAKE.replace("Salt matters\n", 'Salt matters {.my_take by="Mere"}\n'), encoding="utf-8")
    assert "— Mere" in render_in_memory(issue, load_settings(tmp_path)).text.text
