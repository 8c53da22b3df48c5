"""Issue 8: one bad file does not hold back the archive. A build lists every unreadable file
with its path:line, builds the rest, keeps what was published for the broken ones and exits
2; --strict stops at the first error and writes nothing."""

from __future__ import annotations

import feedparser
from click.testing import CliRunner

from dispatch.cli import main

from test_build_support import issue_text, write_archive

NOW = "2026-06-01T00:00:00Z"
ID = "urn:uuid:00000000-0000-4000-8000-0000000000{:02d}"


def _cli(folder, out, *extra):
    return CliRunner().invoke(main, ["build", str(folder), "--out", str(out), "--now", NOW, *extra])


def _titles(out):
    return [e.title for e in feedparser.parse((out / "atom.xml").read_bytes()).entries]


def test_every_bad_file_listed_the_rest_built_and_the_broken_kept(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1)),
        "b.md": issue_text("Beta", "2026-05-02 07:00", id=ID.format(2)),
        "c.md": issue_text("Gamma", "2026-05-03 07:00", id=ID.format(3)),
    })
    out = tmp_path / "public"
    assert _cli(folder, out).exit_code == 0
    beta_page = (out / "beta" / "index.html").read_bytes()
    # Beta breaks (a one-digit day Pelican accepts but a typo'd month), Delta arrives broken,
    # Epsilon arrives fine and Alpha is edited: the build goes on
    (folder / "b.md").write_text(issue_text("Beta edited", "2026-05-02 07:00", id=ID.format(2))
                                 .replace("date: 2026-05-02 07:00", "date: 2026-13-2"))
    (folder / "d.md").write_text("---\ntitle: Delta\ndate: someday\n---\n\nBody.\n")
    (folder / "e.md").write_text(issue_text("Epsilon", "2026-05-05 07:00", id=ID.format(5)))
    (folder / "a.md").write_text(issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1), body="Alpha's new lead."))
    result = _cli(folder, out)
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith(str(folder))]
    assert errors == [
        f"{folder / 'b.md'}:3: cannot read date '2026-13-2'; write it as YYYY-MM-DD or YYYY-MM-DD HH:MM "
        "(optionally with +HH:MM)",
        f"{folder / 'd.md'}:3: cannot read date 'someday'; write it as YYYY-MM-DD or YYYY-MM-DD HH:MM "
        "(optionally with +HH:MM)",
    ], result.output
    assert "4 published (1 of them as last published), 0 drafts, 2 parsed" in result.output
    assert ", 2 unreadable in " in result.output and "refused" not in result.output
    assert _titles(out) == ["Epsilon", "Gamma", "Beta", "Alpha"]  # Beta as last published, not "Beta edited"
    assert (out / "beta" / "index.html").read_bytes() == beta_page
    assert b"Alpha&#39;s new lead" in (out / "alpha" / "index.html").read_bytes() or \
        b"Alpha's new lead" in (out / "alpha" / "index.html").read_bytes()
    assert not (out / "delta").exists()
    # fixed: the next build is whole again and exits 0
    (folder / "b.md").write_text(issue_text("Beta edited", "2026-05-02 07:00", id=ID.format(2)))
    (folder / "d.md").unlink()
    result = _cli(folder, out)
    assert result.exit_code == 0, result.output
    assert _titles(out) == ["Epsilon", "Gamma", "Beta edited", "Alpha"]


def test_a_broken_issue_removed_files_wait_until_it_reads(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1), tags=("news", "solo")),
        "b.md": issue_text("Beta", "2026-05-02 07:00", id=ID.format(2)),
    })
    out = tmp_path / "public"
    _cli(folder, out)
    (folder / "a.md").write_text("---\ntitle: Alpha\ndate: nope\n---\n")
    (folder / "b.md").unlink()  # Beta's page would go, but an issue is broken: nothing is removed yet
    result = _cli(folder, out)
    assert result.exit_code == 2
    assert (out / "beta" / "index.html").is_file() and (out / "tags" / "solo" / "atom.xml").is_file()
    assert _titles(out) == ["Alpha"]


def test_duplicate_ids_and_slugs_do_not_stop_the_others(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("A", "2026-05-01", id=ID.format(1), slug="same"),
        "b.md": issue_text("B", "2026-05-02", id=ID.format(1)),
        "c.md": issue_text("C", "2026-05-03", id=ID.format(3), slug="same"),
        "d.md": issue_text("D", "2026-05-04", id=ID.format(4)),
    })
    out = tmp_path / "public"
    result = _cli(folder, out)
    assert result.exit_code == 2
    assert [line for line in result.output.splitlines() if line.startswith(str(folder))] == [
        f"{folder / 'b.md'}:4: id '{ID.format(1)}' is already used by a.md; every issue needs its own id",
        f"{folder / 'a.md'}:5: slug 'same' is already used by c.md; give this issue its own slug",
    ]
    assert _titles(out) == ["D", "C"]


def test_strict_stops_at_the_first_and_writes_nothing(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1)),
        "b.md": "---\ntitle: Bad\ndate: someday\n---\n\nBody.\n",
        "c.md": "---\ntitle: Worse\ndate: never\n---\n\nBody.\n",
    })
    out = tmp_path / "public"
    result = _cli(folder, out, "--strict")
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"{folder / 'b.md'}:3: cannot read date 'someday'; write it as "
                                          "YYYY-MM-DD or YYYY-MM-DD HH:MM (optionally with +HH:MM)"]
    assert not out.exists()
