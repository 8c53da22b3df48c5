"""dispatch.toml settings and layout lookup (user layouts override the built-in one)."""

from __future__ import annotations

import pytest

from dispatch.config import Settings, describe, load_settings
from dispatch.errors import ConfigError, RenderError
from dispatch.layout import builtin_layouts, layout_dirs
from dispatch.render import render_issue

ISSUE = "---\ntitle: Layout test\ndate: 2026-02-03\nslug: layout-test\n---\nLead.\n\n## FAQ\n\nQ: Why? Because.\n"


def newsletter(tmp_path, toml: str = "") -> tuple:
    (tmp_path / "issues").mkdir()
    issue = tmp_path / "issues" / "a.md"
    issue.write_text(ISSUE, encoding="utf-8")
    if toml:
        (tmp_path / "dispatch.toml").write_text(toml, encoding="utf-8")
    return issue, load_settings(issue.parent)


def test_defaults_without_file(tmp_path, monkeypatch):
    (tmp_path / "issues").mkdir()
    monkeypatch.chdir("/")  # the root is the issues folder's parent, never the working directory
    settings = load_settings(tmp_path / "issues")
    assert settings.path is None and settings.root == tmp_path.resolve()
    assert settings.thread.platforms == ("x", "bluesky", "mastodon")
    assert settings.permalink("a-b") == "https://example.com/a-b/"


def test_settings_read_and_typed(tmp_path):
    _, settings = newsletter(tmp_path, 'site_name = "Pānui"\nbase_url = "https://n.example/sub"\n'
                             'timezone = "Pacific/Chatham"\n[thread]\nplatforms = ["bluesky"]\n'
                             'limits = { mastodon = 5000 }\nfaq_posts = false\n'
                             '[components.aliases]\nbottom_line = "Why it matters"\n')
    assert settings.site_name == "Pānui"
    assert settings.permalink("x") == "https://n.example/sub/x/"
    assert settings.tz.key == "Pacific/Chatham"
    assert settings.thread.platforms == ("bluesky",) and settings.thread.limits == {"mastodon": 5000}
    assert settings.thread.faq_posts is False
    assert settings.components.aliases == {"bottom_line": ("Why it matters",)}
    assert settings.root == tmp_path


@pytest.mark.parametrize("toml, line, words", [
    ('site_name = 3\n', 1, "'site_name' must be a string"),
    ('\n[thread]\nplatforms = ["myspace"]\n', 3, "unknown thread platform 'myspace'"),
    ('[thread]\nlimits = { x = -1 }\n', 2, "positive whole numbers"),
    ('base_url = "example.com"\n', 1, "absolute http(s) URL"),
    ('[components.aliases]\nsidebar = ["Aside"]\n', 2, "unknown component 'sidebar'"),
    ('site_name = "unclosed\n', 1, "not valid TOML"),
    ('[links]\nparams = { utm_campaign = "{foo}" }\n', 2, "uses {foo}; the placeholders are {slug} and {date}"),
])
def test_config_errors(tmp_path, toml, line, words):
    (tmp_path / "dispatch.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert err.value.line == line and words in err.value.message


def test_every_option_documented():
    rows = describe()
    names = [name for name, _, _ in rows]
    assert {"site_name", "base_url", "timezone", "language", "layout", "thread.platforms",
            "thread.limits", "components.aliases"} <= set(names)
    assert all(doc for _, _, doc in rows)


def test_user_template_overrides_one_file(tmp_path):
    issue, settings = newsletter(tmp_path, 'site_name = "Override"\n')
    override = tmp_path / "layouts" / "default" / "text" / "faq.txt"
    override.parent.mkdir(parents=True)
    override.write_text("OUR FAQ: {% for e in data.entries %}{{ e.question }}{% endfor %}\n", encoding="utf-8")
    report = render_issue(issue, tmp_path / "out", settings)
    text = (report.folder / "email.txt").read_text(encoding="utf-8")
    assert "OUR FAQ: Why?" in text
    assert "Layout test" in text  # the rest still comes from the built-in layout


def test_named_layout_falls_back_to_default(tmp_path):
    mine = tmp_path / "layouts" / "mine" / "text"
    mine.mkdir(parents=True)
    (mine / "section.txt").write_text("SECTION {{ section.heading_text }}\n", encoding="utf-8")
    issue, settings = newsletter(tmp_path, 'layout = "mine"\n')
    dirs = layout_dirs(tmp_path, "mine")
    assert dirs[0] == tmp_path / "layouts" / "mine" and dirs[-1] == builtin_layouts() / "default"
    report = render_issue(issue, tmp_path / "out", settings)
    assert (report.folder / "email.html").exists()


def test_missing_layout_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no layout 'nope'") as err:
        newsletter(tmp_path, 'site_name = "N"\nlayout = "nope"\n')
    assert err.value.line == 2
    with pytest.raises(RenderError, match="no layout 'nope'"):  # library callers passing Settings directly
        render_issue(tmp_path / "issues" / "a.md", tmp_path / "out", Settings(root=tmp_path, layout="nope"))
    assert not (tmp_path / "out" / "layout-test").exists()


def test_broken_user_template_names_file_and_line(tmp_path):
    issue, settings = newsletter(tmp_path, 'site_name = "Broken"\n')
    bad = tmp_path / "layouts" / "default" / "text" / "faq.txt"
    bad.parent.mkdir(parents=True)
    bad.write_text("fine\n{% for x in %}\n", encoding="utf-8")
    with pytest.raises(RenderError) as err:
        render_issue(issue, tmp_path / "out", settings)
    assert err.value.line == 2 and str(err.value.path).endswith("faq.txt")


def test_builtin_layout_is_found():
    assert (builtin_layouts() / "default" / "email" / "issue.mjml").is_file()
    assert isinstance(Settings().tz.key, str)
