"""`dispatch build` regressions: removal without the cache, unwritable output, control
characters in front-matter values, tag feed paths, a corrupt cache, local images,
--base-url previews, --now with a lowercase z, the line of a bad lastmod."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner

from dispatch.archive import MANIFEST, build_archive, parse_now, tag_slug
from dispatch.cli import main
from dispatch.config import load_settings
from dispatch.errors import SourceError

from test_build_support import BASE, cache_of, feed_items, issue_text, write_archive

NOW = "2026-06-01T00:00:00Z"
ID_A = "urn:uuid:00000000-0000-4000-8000-0000000000a1"
ID_B = "urn:uuid:00000000-0000-4000-8000-0000000000b1"


def _build(folder: Path, out: Path, now: str = NOW, **kw):
    return build_archive(folder, out, load_settings(folder), parse_now(now), **kw)


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _cli(*args: str):
    return CliRunner().invoke(main, ["build", *args])


# 1. removal relies on the manifest, not on the cache


@pytest.mark.parametrize("how", ["delete", "draft"])
def test_unpublished_issue_removed_even_without_cache(tmp_path, how):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID_A, tags=("news", "solo")),
        "b.md": issue_text("Beta", "2026-05-02 07:00", id=ID_B, tags=("news",)),
    })
    out = tmp_path / "pub"
    _build(folder, out)
    (out / "notes.txt").write_text("mine")  # never written by dispatch: never removed
    assert (out / "alpha" / "index.html").is_file() and (out / "tags" / "solo" / "atom.xml").is_file()
    shutil.rmtree(cache_of(tmp_path, out))
    if how == "delete":
        (folder / "a.md").unlink()
    else:
        (folder / "a.md").write_text(issue_text("Alpha", "2026-05-01 07:00", id=ID_A, tags=("news", "solo"),
                                                draft=True))
    report = _build(folder, out)
    assert report.removed == ["alpha/index.html", "tags/solo/atom.xml", "tags/solo/index.html"]
    assert not (out / "alpha").exists() and not (out / "tags" / "solo").exists()
    assert [e["id"] for e in feed_items(out / "tags" / "news" / "atom.xml")] == [ID_B]
    assert (out / "notes.txt").read_text() == "mine"
    manifest = (out / MANIFEST).read_text().splitlines()
    assert [line.split("  ")[1] for line in manifest] == [
        "404.html", "atom.xml", "beta/index.html", "feed.json", "feed.xml", "index.html", "robots.txt", "sitemap.xml",
        "style.css", "tags/index.html", "tags/news/atom.xml", "tags/news/index.html"]
    sha = hashlib.sha256((out / "beta" / "index.html").read_bytes()).hexdigest()
    assert f"{sha}  beta/index.html" in manifest


def test_a_written_file_changed_by_someone_is_left_with_a_warning(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID_A),
        "b.md": issue_text("Beta", "2026-05-02 07:00", id=ID_B),
    })
    out = tmp_path / "pub"
    _build(folder, out)
    (out / "alpha" / "index.html").write_text("hand edited")
    (folder / "a.md").unlink()
    report = _build(folder, out)
    assert report.removed == []
    assert (out / "alpha" / "index.html").read_text() == "hand edited"
    assert [w for w in report.warnings if "alpha" in w] == [
        f"{out / 'alpha' / 'index.html'}: no longer produced by the build, but changed since dispatch wrote it; "
        "left in place (remove it yourself if it should go)"]


def test_a_tampered_manifest_cannot_remove_other_files(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID_A)})
    out = tmp_path / "pub"
    _build(folder, out)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    sha = hashlib.sha256(b"keep").hexdigest()
    with (out / MANIFEST).open("a") as fh:
        fh.write(f"{sha}  ../victim.txt\n{sha}  .dispatch-cache/index.json\n")
    report = _build(folder, out)
    assert report.removed == [] and victim.read_text() == "keep"
    assert (out / "alpha" / "index.html").is_file()


# 2. unwritable output: one line, exit 2, nothing replaced


def test_file_in_the_way_exits_2_and_leaves_the_folder_as_it_was(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID_A)})
    out = tmp_path / "p3"
    out.mkdir()
    (out / "tags").write_text("x\n")
    result = _cli(str(folder), "--out", str(out), "--now", NOW)
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"{out / 'tags'}: is a file, but the build needs a folder here (for {out / 'tags/index.html'}); "
        "move the file or choose another --out"]
    assert _snapshot(out) == {"tags": b"x\n"}

    # a built folder: an edit plus a file in the way replaces nothing and leaves no temp file
    (out / "tags").unlink()
    assert _cli(str(folder), "--out", str(out), "--now", NOW).exit_code == 0
    before = _snapshot(out)
    (folder / "a.md").write_text(issue_text("Alpha edited", "2026-05-01 07:00", id=ID_A, tags=("news", "new")))
    (out / "tags" / "new").write_text("in the way")
    result = _cli(str(folder), "--out", str(out), "--now", NOW)
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"{out / 'tags' / 'new'}: is a file, but the build needs a folder here (for {out / 'tags/new/atom.xml'}); "
        "move the file or choose another --out"]
    assert _snapshot(out) == {**before, "tags/new": b"in the way"}


def test_a_failed_write_replaces_nothing_and_leaves_no_temp_files(tmp_path, monkeypatch):
    import errno

    from dispatch.archive import OutputError
    from dispatch.archive.replace import Replacement

    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID_A)})
    out = tmp_path / "pub"
    _build(folder, out)
    before = _snapshot(out)
    (folder / "a.md").write_text(issue_text("Alpha two", "2026-05-01 07:00", id=ID_A, tags=("news", "more")))
    real_add, calls = Replacement.stage, []

    def add(self, rel, data):  # the disk fills up once every output is staged, at the manifest
        calls.append(rel)
        if rel == MANIFEST:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_add(self, rel, data)

    monkeypatch.setattr(Replacement, "stage", add)
    with pytest.raises(OutputError) as info:
        _build(folder, out)
    assert "tags/more/atom.xml" in calls
    assert str(info.value) == f"{out / MANIFEST}: cannot write the file: No space left on device"
    assert _snapshot(out) == before  # no replaced file, no temp file, no new tags/more/ folder
    assert not (out / "tags" / "more").exists()


def test_out_is_a_plain_file(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00")})
    target = tmp_path / "afile"
    target.write_text("x")
    result = _cli(str(folder), "--out", str(target), "--now", NOW)
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"{target}: is a file, not a folder; give --out a folder (or a name that does not exist yet)"]
    assert target.read_text() == "x"


def test_folder_where_a_file_goes(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00")})
    out = tmp_path / "pub"
    (out / "feed.xml").mkdir(parents=True)
    result = _cli(str(folder), "--out", str(out), "--now", NOW)
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"{out / 'feed.xml'}: is a folder, but the build writes a file here; move it or choose another --out"]
    assert sorted(p.name for p in out.iterdir()) == ["feed.xml"]


# 3. control characters written as YAML escapes in id and tags


def test_control_characters_in_id_and_tags(tmp_path):
    text = ('---\ntitle: "Bell"\ndate: 2026-05-01 07:00\nid: "urn:x:\\x07"\ntags: ["bell\\a tag", "ok"]\n---\n\n'
            "Body.\n")
    folder = write_archive(tmp_path, {"bell.md": text})
    out = tmp_path / "pub"
    report = _build(folder, out)
    assert report.published == ["urn:x:"]
    # one warning per line, whichever layer removed the character (frontmatter.py or the archive build)
    assert [w.split(": ")[0] for w in report.warnings] == [f"{folder / 'bell.md'}:4", f"{folder / 'bell.md'}:5"]
    assert all("U+0007" in w for w in report.warnings)
    for name in ("feed.xml", "atom.xml", "feed.json", "tags/bell-tag/atom.xml", "tags/ok/atom.xml"):
        assert [e["id"] for e in feed_items(out / name)] == ["urn:x:"], name
    assert "bell tag" in (out / "bell" / "index.html").read_text()


def test_raw_control_character_in_tags_line(tmp_path):
    folder = write_archive(tmp_path, {"c.md": '---\ntitle: "C"\ndate: 2026-05-01\ntags: ["a\x07b"]\n---\n\nBody.\n'})
    out = tmp_path / "pub"
    report = _build(folder, out)
    assert len(report.warnings) == 1 and report.warnings[0].startswith(f"{folder / 'c.md'}:4: ")
    assert [e["title"] for e in feed_items(out / "tags" / "ab" / "atom.xml")] == ["C"]


# 4. every tag has a feed of its own


def test_tag_paths_are_distinct_stable_and_url_safe():
    def h(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]

    assert tag_slug("open-source AI") == "open-source-ai" == tag_slug("Open Source_AI")
    assert tag_slug("C++") == "c-" + h("c++") == "c-cedb1bac" == tag_slug("c++")
    assert tag_slug("C#") == "c-" + h("c#") == "c-951a4d36"
    assert tag_slug("人工智能") == h("人工智能") == "161332dd"
    assert tag_slug("🚀") == h("🚀")
    assert tag_slug("日本") == h("日本")
    assert tag_slug("Zürich") == "zurich-" + h("zürich")
    assert tag_slug("   ") == ""
    assert len(tag_slug("x" * 200)) == 69  # 60 slug characters, "-", 8 hex digits


def test_every_tag_gets_its_own_feed(tmp_path):
    tags = ("C++", "C#", "人工智能", "🚀", "日本")
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID_A, tags=tags),
        "b.md": issue_text("Beta", "2026-05-02 07:00", id=ID_B, tags=("C++", "AI")),
    })
    out = tmp_path / "pub"
    _build(folder, out)
    feeds = sorted(p.parent.name for p in (out / "tags").glob("*/atom.xml"))
    assert feeds == sorted(["ai", *(tag_slug(t) for t in tags)]) and len(feeds) == 6
    assert [e["id"] for e in feed_items(out / "tags" / tag_slug("C++") / "atom.xml")] == [ID_B, ID_A]
    assert [e["id"] for e in feed_items(out / "tags" / tag_slug("C#") / "atom.xml")] == [ID_A]
    assert [e["id"] for e in feed_items(out / "tags" / tag_slug("🚀") / "atom.xml")] == [ID_A]
    page = lxml.html.document_fromstring((out / "alpha" / "index.html").read_bytes())
    alternates = {el.get("title"): el.get("href") for el in page.xpath('//link[@rel="alternate"]')}
    assert alternates["Atom: 人工智能"] == f"{BASE}tags/{tag_slug('人工智能')}/atom.xml"
    assert alternates["Atom: C#"] == f"{BASE}tags/{tag_slug('C#')}/atom.xml"


def test_tags_that_would_share_a_feed_are_an_error(tmp_path):
    # a plain tag spelled like another tag's hashed path: reported, never merged
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID_A, tags=("C++",)),
        "b.md": issue_text("Beta", "2026-05-02 07:00", id=ID_B, tags=("c-cedb1bac",)),
    })
    with pytest.raises(SourceError) as info:
        _build(folder, tmp_path / "pub")
    assert str(info.value) == (f"{folder / 'a.md'}:5: tags 'c-cedb1bac' and 'C++' would share the feed "
                               "tags/c-cedb1bac/; rename one of them")
    assert not (tmp_path / "pub").exists()


# 5. a corrupt cache is a miss


def test_corrupt_cached_body_is_rendered_again(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID_A)})
    out = tmp_path / "pub"
    _build(folder, out)
    before = _snapshot(out)
    (bodies := list((cache_of(tmp_path, out) / "content").iterdir()))[0].write_text("TRUNC")
    assert len(bodies) == 1
    report = _build(folder, out)
    assert report.parsed == 1 and report.changed == []
    assert b"TRUNC" not in (out / "atom.xml").read_bytes()
    assert _snapshot(out) == before  # the cached body is written back too


@pytest.mark.parametrize("damage", [
    lambda d: d["history"][ID_A].update(updated="not a date"),
    lambda d: d["history"].update({ID_A: "x"}),
    lambda d: d["records"]["a.md"].update(date=5),
    lambda d: d["records"]["a.md"].update(date="not a date"),
    lambda d: d["records"]["a.md"].update(tags="news"),
    lambda d: d["records"]["a.md"].update(page_size="12"),
    lambda d: d["records"]["a.md"].update(content_sha="../../../etc/passwd"),
    lambda d: d.update(records=[1, 2]),
    lambda d: d.update(outputs={"a": 1}),
])
def test_invalid_cache_entries_are_misses(tmp_path, damage):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID_A)})
    out = tmp_path / "pub"
    _build(folder, out)
    before = _snapshot(out)
    index = cache_of(tmp_path, out) / "index.json"
    data = json.loads(index.read_text())
    damage(data)
    index.write_text(json.dumps(data))
    report = _build(folder, out)
    assert report.changed == [] and report.published == [ID_A]
    assert {k: v for k, v in _snapshot(out).items() if "cache" not in k} == \
        {k: v for k, v in before.items() if "cache" not in k}


# 6. local images are published


def test_local_images_are_copied_beside_the_page(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID_A, body="Look: ![x](img/latte.png) and ![y](img/gone.png)"),
    })
    (folder / "img").mkdir()
    (folder / "img" / "latte.png").write_bytes(b"\x89PNG one")
    out = tmp_path / "pub"
    report = _build(folder, out)
    assert (out / "alpha" / "img" / "latte.png").read_bytes() == b"\x89PNG one"
    assert "alpha/img/latte.png" in report.changed
    assert report.warnings == [f"{folder / 'a.md'}:8: image 'img/gone.png' not found "
                               f"(looked for {(folder / 'img' / 'gone.png').resolve()}); readers will see it broken"]
    assert f'src="{BASE}alpha/img/latte.png"' in (out / "alpha" / "index.html").read_text()

    # unchanged: not rewritten; new bytes: only the image changes; the missing one appears
    assert _build(folder, out).changed == []
    (folder / "img" / "latte.png").write_bytes(b"\x89PNG two")
    (folder / "img" / "gone.png").write_bytes(b"\x89PNG back")
    report = _build(folder, out)
    assert report.changed == ["alpha/img/gone.png", "alpha/img/latte.png"] and report.warnings == []
    assert (out / "alpha" / "img" / "latte.png").read_bytes() == b"\x89PNG two"

    # no longer referred to: removed with the folder it was in
    (folder / "a.md").write_text(issue_text("Alpha", "2026-05-01 07:00", id=ID_A, body="No image now."))
    report = _build(folder, out)
    assert sorted(report.removed) == ["alpha/img/gone.png", "alpha/img/latte.png"]
    assert not (out / "alpha" / "img").exists()


def test_images_of_drafts_are_not_published(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID_A, body="![x](img/secret.png)", draft=True),
    })
    (folder / "img").mkdir()
    (folder / "img" / "secret.png").write_bytes(b"png")
    out = tmp_path / "pub"
    _build(folder, out)
    assert not (out / "alpha").exists()


# 7. previews: --base-url into a folder of their own


def test_base_url_preview_leaves_public_alone(tmp_path):
    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID_A),
        "later.md": issue_text("Later", "2099-01-01 07:00", id=ID_B),
    })
    public, preview = tmp_path / "public", tmp_path / "preview"
    _build(folder, public)
    before = _snapshot(public)
    result = _cli(str(folder), "--out", str(preview), "--base-url", "http://localhost:8000",
                  "--now", "2099-01-02T00:00:00Z")
    assert result.exit_code == 0, result.output
    assert _snapshot(public) == before
    page = (preview / "later" / "index.html").read_text()
    assert '<link rel="stylesheet" href="http://localhost:8000/style.css">' in page
    assert 'href="http://localhost:8000/atom.xml"' in page and BASE not in page
    assert [e["link"] for e in feed_items(preview / "atom.xml")] == [
        "http://localhost:8000/later/", "http://localhost:8000/alpha/"]
    assert (f"warning: {preview}: --now is later than the clock, so 1 issue(s) not yet due are published here; "
            "build previews into a folder of their own (--out /tmp/preview), never the one you publish") \
        in result.output


def test_bad_base_url_is_one_line(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00")})
    result = _cli(str(folder), "--out", str(tmp_path / "o"), "--base-url", "localhost:8000")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "dispatch: --base-url 'localhost:8000' is not an absolute http(s) URL; write e.g. http://localhost:8000/"]


# 8. and 9.


def test_now_accepts_lowercase_z():
    assert parse_now("2026-06-01T00:00z") == parse_now("2026-06-01T00:00:00Z") == parse_now("2026-06-01t00:00Z")


@pytest.mark.parametrize("key", ["lastmod", "updated", "modified"])
def test_bad_lastmod_names_its_own_line(tmp_path, key):
    text = f'---\ntitle: "A"\ndate: 2026-05-01\ntags: [x]\n{key}: bogus\n---\n\nBody.\n'
    folder = write_archive(tmp_path, {"a.md": text})
    with pytest.raises(SourceError) as info:
        _build(folder, tmp_path / "pub")
    assert (info.value.path, info.value.line) == (folder / "a.md", 5)
    assert not (tmp_path / "pub").exists()


def test_warnings_of_drafts_left_out_collapse_to_one_line(tmp_path):
    """A draft from 'dispatch new' still holds its placeholder text (nine warnings in check);
    build leaves it out, so it says so in one line instead of nine warnings about a page it
    does not write. check still lists every one, with its line."""
    from datetime import datetime, timezone

    from dispatch.authoring import check_folder, new_issue
    from dispatch.config import load_settings

    from test_build_support import issue_text, write_archive

    folder = write_archive(tmp_path / "site", {"2026-05-01-out.md": issue_text("Out", "2026-05-01 07:00")})
    settings = load_settings(folder)
    draft = new_issue("Next week", folder, settings, datetime(2026, 5, 20, tzinfo=timezone.utc))
    placeholders = [w for w in check_folder(folder, settings, parse_now(NOW)).warnings if "placeholder text" in w]
    assert len(placeholders) >= 3 and all(w.startswith(f"{draft}:") for w in placeholders), placeholders
    result = _cli(str(folder), "--out", str(tmp_path / "public"), "--now", NOW)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert warned == [f"warning: {folder}: 1 draft left out of the build, with {len(placeholders)} warnings; "
                      f"'dispatch check {folder}' shows them"], result.output
    assert "1 published, 1 draft, " in result.output
