"""`![alt](src){width=…}` (Markdown attr_list on images): the width flows into the email's
`width` attribute (Outlook) and the web page's `<img>`, validated: a whole number of px from 1
to the layout's content column (544), else one `path:line` error per image, exit 2."""

from __future__ import annotations

from pathlib import Path

import lxml.html
from click.testing import CliRunner
from PIL import Image as PILImage

from dispatch.archive import build_archive, parse_now
from dispatch.cli import main
from dispatch.config import load_settings
from dispatch.model import Image
from dispatch.parse import parse_issue

from test_build_support import issue_text, write_archive

BODY = """\
The lead, with a chart: ![Rates chart](img/chart.png){width=300} and {braces} in prose kept.

![Photo](img/photo.png){: width="200px" }

![Plain](img/chart.png)
"""


def _folder(tmp_path: Path, body: str = BODY) -> Path:
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", body=body,
                                                         id="urn:uuid:00000000-0000-4000-8000-000000000001")})
    (folder / "img").mkdir()
    PILImage.new("RGB", (1200, 600), (10, 20, 30)).save(folder / "img" / "chart.png")
    PILImage.new("RGB", (800, 1000), (10, 20, 30)).save(folder / "img" / "photo.png")
    return folder


def _imgs(html: str) -> dict[str, tuple[str | None, str | None]]:
    doc = lxml.html.document_fromstring(html)
    return {img.get("alt"): (img.get("width"), img.get("height")) for img in doc.iter("img") if img.get("alt")}


def test_width_reaches_the_email_and_the_page(tmp_path):
    folder = _folder(tmp_path)
    issue = parse_issue(folder / "a.md", load_settings(folder))
    images = [n for n in issue.walk() if isinstance(n, Image)]
    assert [(i.alt, i.width) for i in images] == [("Rates chart", 300), ("Photo", 200), ("Plain", None)]
    assert issue.warnings == () or all("has no effect" not in w for w in issue.warnings)

    result = CliRunner().invoke(main, ["render", str(folder / "a.md"), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    email = (tmp_path / "dist" / "alpha" / "email.html").read_text()
    found = _imgs(email)
    assert found["Rates chart"] == ("300", "150")  # Outlook's width, the height in the real proportion
    assert found["Photo"] == ("200", "250")
    assert found["Plain"] == ("544", "272")  # no width: the column, as before
    assert "{braces} in prose kept" in email and "{width" not in email

    out = tmp_path / "public"
    build_archive(folder, out, load_settings(folder), parse_now("2026-06-01T00:00:00Z"))
    page = _imgs((out / "alpha" / "index.html").read_text())
    assert page["Rates chart"] == ("300", None) and page["Photo"] == ("200", None) and page["Plain"] == (None, None)


def test_a_width_inside_a_box_fits_its_narrower_column(tmp_path):
    body = "Lead.\n\n## The Bottom Line\n\nThe gist ![Boxed](img/chart.png){width=530}\n"
    folder = _folder(tmp_path, body)
    text = (folder / "a.md").read_text().replace("## The Bottom Line\n\nBottom line of Alpha.\n\n", "")
    (folder / "a.md").write_text(text)
    result = CliRunner().invoke(main, ["render", str(folder / "a.md"), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    assert _imgs((tmp_path / "dist" / "alpha" / "email.html").read_text())["Boxed"] == ("504", "252")


def test_bad_widths_are_path_line_errors_all_at_once(tmp_path):
    body = ("Lead.\n\n![Too wide](img/chart.png){width=900}\n\n![Percent](img/photo.png){width=50%}\n\n"
            "![Zero](img/chart.png){width=0}\n")
    folder = _folder(tmp_path, body)
    lines = (folder / "a.md").read_text().splitlines()
    at = {alt: n for n, line in enumerate(lines, 1) for alt in ("Too wide", "Percent", "Zero") if f"![{alt}]" in line}
    path = folder / "a.md"
    result = CliRunner().invoke(main, ["render", str(path), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"{path}:{at['Too wide']}: image 'img/chart.png': width=900 is wider than the layout's 544 px content "
        "column; give at most 544, or leave width out to show it at the column's width",
        f"{path}:{at['Percent']}: image 'img/photo.png': width='50%' is not a number of px; write a whole number "
        "from 1 to 544, e.g. {width=300}",
        f"{path}:{at['Zero']}: image 'img/chart.png': width='0' is not a number of px; write a whole number from 1 "
        "to 544, e.g. {width=300}",
    ]
    assert not (tmp_path / "dist" / "alpha").exists()


def test_other_attributes_are_named_not_silently_dropped(tmp_path):
    folder = _folder(tmp_path, "Lead.\n\n![Styled](img/chart.png){.wide height=100}\n")
    issue = parse_issue(folder / "a.md", load_settings(folder))
    line = next(n for n, text in enumerate((folder / "a.md").read_text().splitlines(), 1) if "![Styled]" in text)
    notes = [w for w in issue.warnings if "has no effect" in w]
    assert notes == [f"{folder / 'a.md'}:{line}: image 'img/chart.png': {{.wide}} has no effect; dispatch reads "
                     "only {width=…} on images",
                     f"{folder / 'a.md'}:{line}: image 'img/chart.png': {{height}} has no effect; dispatch reads "
                     "only {width=…} on images"]
