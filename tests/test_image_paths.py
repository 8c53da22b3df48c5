"""An image that can never be shown (outside the newsletter folder, an absolute path on this
computer, a file: URL) is left out of every channel with a path:line warning, never linked as
a URL that cannot exist; a path on the site is kept, with a warning."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from PIL import Image as PILImage

from dispatch.archive import build_archive
from dispatch.config import load_settings
from dispatch.render import render_issue


def newsletter(tmp_path: Path) -> tuple[Path, Path, Path]:
    root = tmp_path / "news"
    (root / "issues" / "img").mkdir(parents=True)
    (root / "dispatch.toml").write_text('base_url = "https://s.example/"\nunsubscribe_url = "https://s.example/u"\n',
                                        encoding="utf-8")
    secret = tmp_path / "sec"
    secret.mkdir()
    for where in (tmp_path / "outside.png", secret / "outside.png", root / "issues" / "img" / "ok.png"):
        PILImage.new("RGB", (10, 10)).save(where)
    issue = root / "issues" / "pics.md"
    issue.write_text(f"---\ntitle: Pics\ndate: 2026-11-01\n---\nLead.\n\n![a chart](../../outside.png)\n\n"
                     f"![c](/{secret.relative_to('/')}/outside.png)\n\n![ok](img/ok.png)\n\n"
                     '<img src="../../outside.png" alt="raw one">\n\n![logo](/brand/logo.png)\n', encoding="utf-8")
    return root, issue, secret


def test_refused_and_absolute_images_are_left_out_of_every_channel(tmp_path):
    root, issue, secret = newsletter(tmp_path)
    settings = load_settings(root)
    report = render_issue(issue, tmp_path / "dist", settings)
    assert [str(d) for d in report.diagnostics if d.code == "image"] == [
        f"{issue}:7: '../../outside.png' is outside the newsletter folder ({root}); it is not published, and no "
        "reader could see it, so it is left out of every channel (its alt text stands in); put the file in the "
        "newsletter folder (e.g. img/ next to the issue) and write its path relative to the issue",
        f"{issue}:9: '{secret}/outside.png' is an absolute path on this computer and is outside the newsletter "
        f"folder ({root}); it is not published, and no reader could see it, so it is left out of every channel "
        "(its alt text stands in); put the file in the newsletter folder (e.g. img/ next to the issue) and write "
        "its path relative to the issue",
        f"{issue}:13: '../../outside.png' is outside the newsletter folder ({root}); it is not published, and no "
        "reader could see it, so it is left out of every channel (its alt text stands in); put the file in the "
        "newsletter folder (e.g. img/ next to the issue) and write its path relative to the issue",
        f"{issue}:15: image '/brand/logo.png' is a path on the site (https://s.example/brand/logo.png); dispatch "
        "publishes only the files an issue links relative to itself, so make sure the site serves it, or put it "
        "next to the issue and write img/…",
    ]
    email = (report.folder / "email.html").read_text(encoding="utf-8")
    text = (report.folder / "email.txt").read_text(encoding="utf-8")
    assert "outside.png" not in email and "outside.png" not in text and "s.example/tmp" not in email
    assert 'src="https://s.example/pics/img/ok.png"' in email and 'src="https://s.example/brand/logo.png"' in email
    assert "\na chart\n" in text and "\nraw one\n" in text and "\nc\n" in text
    build_archive(root / "issues", tmp_path / "public", settings, now=datetime(2026, 12, 1, tzinfo=timezone.utc))
    page = (tmp_path / "public" / "pics" / "index.html").read_text(encoding="utf-8")
    assert "outside.png" not in page and "img/ok.png" in page
    assert not list((tmp_path / "public").rglob("outside.png"))


def test_an_absolute_path_inside_the_folder_says_the_relative_one(tmp_path):
    root, issue, _ = newsletter(tmp_path)
    ok = root / "issues" / "img" / "ok.png"
    issue.write_text(f"---\ntitle: Pics\ndate: 2026-11-01\n---\nLead.\n\n![ok]({ok})\n", encoding="utf-8")
    report = render_issue(issue, tmp_path / "dist", load_settings(root))
    assert [str(d) for d in report.diagnostics if d.code == "image"] == [
        f"{issue}:7: '{ok}' is an absolute path on this computer; it is not published, and no reader could see it, "
        "so it is left out of every channel (its alt text stands in); write it relative to the issue: 'img/ok.png'"]


def test_a_cover_image_no_reader_could_see_is_left_out(tmp_path):
    root, issue, _ = newsletter(tmp_path)
    issue.write_text("---\ntitle: Pics\ndate: 2026-11-01\nimage: ../../outside.png\n---\nLead.\n", encoding="utf-8")
    settings = load_settings(root)
    report = render_issue(issue, tmp_path / "dist", settings)
    assert [str(d) for d in report.diagnostics if d.code == "image"] == [
        f"{issue}:4: '../../outside.png' is outside the newsletter folder ({root}); it is not published, and no "
        "reader could see it, so the issue has no cover image; put the file in the newsletter folder (e.g. img/ "
        "next to the issue) and write its path relative to the issue"]
    assert "outside.png" not in (report.folder / "email.html").read_text(encoding="utf-8")
    build_archive(root / "issues", tmp_path / "public", settings, now=datetime(2026, 12, 1, tzinfo=timezone.utc))
    page = (tmp_path / "public" / "pics" / "index.html").read_text(encoding="utf-8")
    assert "outside.png" not in page
