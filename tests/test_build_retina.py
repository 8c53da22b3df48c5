"""`dispatch build` publishes the retina (2×) copies the email links to (`retina_images`), and
only those: every `-1088w` URL of the email is a file of the site, no other copy is."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image as PILImage

import dispatch.archive.images as archive_images
from dispatch.archive import build_archive, parse_now
from dispatch.config import load_settings
from dispatch.images import retina_copy
from dispatch.render import render_issue

from test_build_support import BASE, issue_text, write_archive

NOW = "2026-06-10T00:00:00Z"


def png(path: Path, width: int, height: int, colour=(30, 90, 160)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", (width, height), colour).save(path)
    return path


def _archive(tmp_path: Path, retina: bool = True) -> Path:
    body = ("The lead.\n\n![A wide chart](img/chart.png)\n\n![A small one](img/small.png)\n\n"
            "![Remote](https://cdn.example.org/huge.png)\n\n<img src=\"img/raw.png\" alt=\"raw\">\n")
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-06-01 07:00", id="urn:uuid:00000000-0000-4000-8000-000000000001",
                           body=body).replace("tags:", "image: img/cover.png\ntags:"),
    }, extra=f"retina_images = {'true' if retina else 'false'}")
    png(folder / "img" / "chart.png", 2400, 1200)
    png(folder / "img" / "small.png", 800, 400)
    png(folder / "img" / "raw.png", 2000, 1000)      # raw HTML: the email sends the original
    png(folder / "img" / "cover.png", 3000, 1500)    # the cover: not a retina copy in the email
    return folder


def _build(folder: Path, out: Path):
    return build_archive(folder, out, load_settings(folder), parse_now(NOW))


def test_the_copies_the_email_links_to_are_published(tmp_path):
    folder = _archive(tmp_path)
    out = tmp_path / "public"
    _build(folder, out)
    settings = load_settings(folder)
    email = (render_issue(folder / "a.md", tmp_path / "dist", settings).folder / "email.html").read_text()
    linked = sorted(set(re.findall(re.escape(BASE) + r"([^\"' ]*-1088w\.png)", email)))
    assert linked == ["alpha/img/chart-1088w.png"]
    published = sorted(p.relative_to(out).as_posix() for p in out.rglob("*-1088w.*"))
    assert published == linked  # every copy the email links to, and no other
    with PILImage.open(out / "alpha" / "img" / "chart-1088w.png") as copy:
        assert copy.size == (1088, 544)
    assert (out / "alpha/img/chart-1088w.png").read_bytes() == retina_copy(folder / "img" / "chart.png")
    assert (out / "alpha/img/chart.png").read_bytes() == (folder / "img" / "chart.png").read_bytes()
    assert "alpha/img/chart-1088w.png" in (out / ".dispatch-manifest").read_text()


def test_an_unchanged_image_is_resized_once_and_a_changed_one_again(tmp_path, monkeypatch):
    folder = _archive(tmp_path)
    out = tmp_path / "public"
    calls = []
    real = archive_images.retina_copy
    monkeypatch.setattr(archive_images, "retina_copy", lambda data: calls.append(1) or real(data))
    _build(folder, out)
    assert len(calls) == 1
    again = _build(folder, out)
    assert len(calls) == 1 and again.changed == []
    png(folder / "img" / "chart.png", 2400, 1200, colour=(200, 40, 40))  # same issue file, new pixels
    third = _build(folder, out)
    assert len(calls) == 2 and "alpha/img/chart-1088w.png" in third.changed
    with PILImage.open(out / "alpha/img/chart-1088w.png") as copy:
        assert copy.convert("RGB").getpixel((10, 10)) == (200, 40, 40)
    png(folder / "img" / "chart.png", 900, 450)  # now narrow: the email sends it as it is
    fourth = _build(folder, out)
    assert "alpha/img/chart-1088w.png" in fourth.removed and not list(out.rglob("*-1088w.*"))


def test_no_copies_without_retina_images(tmp_path):
    folder = _archive(tmp_path, retina=False)
    out = tmp_path / "public"
    _build(folder, out)
    assert list(out.rglob("*-1088w.*")) == []
    assert (out / "alpha/img/chart.png").is_file()


def test_an_animated_image_is_sent_as_it_is(tmp_path):
    folder = _archive(tmp_path)
    frames = [PILImage.new("RGB", (2400, 1200), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(folder / "img" / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    (folder / "a.md").write_text((folder / "a.md").read_text().replace("The lead.", "The lead.\n\n![Moving](img/anim.gif)"))
    settings = load_settings(folder)
    email = (render_issue(folder / "a.md", tmp_path / "dist", settings).folder / "email.html").read_text()
    assert f'src="{BASE}alpha/img/anim.gif"' in email and "anim-1088w" not in email
    out = tmp_path / "public"
    _build(folder, out)
    assert sorted(p.name for p in out.rglob("*-1088w.*")) == ["chart-1088w.png"]
