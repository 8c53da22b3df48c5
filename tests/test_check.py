"""One set of diagnostics: check reports what render and build would, as text or JSON, and
build refuses an issue still holding dispatch new's placeholder text."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from dispatch.authoring import new_issue
from dispatch.scaffold import PLACEHOLDERS
from dispatch.config import Settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "issues" / "2026-05-22-moonshot-moment.md"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dispatch", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def site(tmp_path: Path) -> Path:
    (tmp_path / "dispatch.toml").write_text('site_name = "T"\nbase_url = "https://t.example/"\n'
                                            'unsubscribe_url = "https://t.example/unsubscribe"\n'
                                            'postal_address = "PO Box 1, Wellington"\n', encoding="utf-8")
    (tmp_path / "issues").mkdir()
    return tmp_path / "issues"


def test_check_json_has_every_diagnostic_with_its_line(tmp_path):
    issues = site(tmp_path)
    issue = issues / "a.md"
    issue.write_text("---\ntitle: A\ndate: 2026-01-01\n---\nLead <img src=\"img/gone.png\"> here.\n\n"
                     "## Bottom Line\n\nIt matters to @someone.\n\n## Sources\n\n- Reuters\n- [AP](https://apnews.com/x)\n",
                     encoding="utf-8")
    proc = run("check", "--format", "json", str(issue), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    by_code = {d["code"]: d for d in data["diagnostics"]}
    assert set(by_code) == {"image", "alt-text", "source-url", "mention"}
    assert by_code["image"]["line"] == 5 and "img/gone.png" in by_code["image"]["message"]
    assert by_code["alt-text"]["line"] == 5
    assert by_code["mention"]["line"] == 9 and "@someone" in by_code["mention"]["message"]
    assert by_code["source-url"]["line"] == 13 and "'Reuters'" in by_code["source-url"]["message"]
    assert all(d["severity"] == "warning" and d["path"] == str(issue) for d in data["diagnostics"])
    assert data["warnings"] == 4 and data["errors"] == 0
    [summary] = data["issues"]
    assert summary["title"] == "A" and summary["status"] == "published"
    assert summary["outputs"]["email.html"]["bytes"] > 1000
    assert summary["outputs"]["thread bluesky"]["limit"] == 300


def test_strict_fails_on_warnings_and_passes_a_clean_issue(tmp_path):
    issues = site(tmp_path)
    clean = issues / "clean.md"
    clean.write_text("---\ntitle: Clean\ndate: 2026-01-01\n---\nLead.\n\n## Bottom Line\n\nIt matters.\n",
                     encoding="utf-8")
    ok = run("check", "--strict", str(clean), cwd=tmp_path)
    assert ok.returncode == 0 and ok.stderr == "", ok.stderr
    warned = issues / "warned.md"
    warned.write_text("---\ntitle: W\ndate: 2026-01-01\n---\nLead.\n", encoding="utf-8")
    assert run("check", str(warned), cwd=tmp_path).returncode == 0
    strict = run("check", "--strict", str(warned), cwd=tmp_path)
    assert strict.returncode == 1
    assert f"warning: {warned}: no Bottom Line section" in strict.stderr


def test_check_collects_every_error_of_an_issue(tmp_path):
    issues = site(tmp_path)
    (tmp_path / "dispatch.toml").write_text('base_url = "https://t.example/"\n[thread]\nlimits = { x = 20, mastodon = 20 }\n',
                                            encoding="utf-8")
    issue = issues / "long.md"
    issue.write_text("---\ntitle: L\ndate: 2026-01-01\n---\nLead.\n\n## Bottom Line\n\n"
                     "Pneumonoultramicroscopicsilicovolcanoconiosis is long.\n", encoding="utf-8")
    proc = run("check", "--format", "json", str(issue), cwd=tmp_path)
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    errors = [d for d in data["diagnostics"] if d["severity"] == "error"]
    # the thread fails; the email, text part and feed entry are still rendered and summarised
    assert [(e["code"], e["line"]) for e in errors] == [("render", 9)], errors
    assert "'Pneumonoultramicroscopicsilicovolcanoconiosis' cannot fit" in errors[0]["message"]
    assert "email.html" in data["issues"][0]["outputs"] and "email.txt" in data["issues"][0]["outputs"]


def test_check_a_folder_finds_duplicates_and_clashing_schedules(tmp_path):
    issues = site(tmp_path)
    body = "\nLead.\n\n## Bottom Line\n\nIt matters.\n"
    (issues / "a.md").write_text(f"---\ntitle: A\nid: same\ndate: 2026-01-01\n---{body}", encoding="utf-8")
    (issues / "b.md").write_text(f"---\ntitle: B\nid: same\nslug: a\ndate: 2026-01-02\n---{body}", encoding="utf-8")
    (issues / "c.md").write_text(f"---\ntitle: C\ndate: 2099-01-01 07:00\n---{body}", encoding="utf-8")
    (issues / "d.md").write_text(f"---\ntitle: D\ndate: 2099-01-01 07:00\n---{body}", encoding="utf-8")
    proc = run("check", "--format", "json", str(issues), cwd=tmp_path)
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    found = {(d["code"], Path(d["path"]).name, d["line"]) for d in data["diagnostics"]}
    assert ("duplicate-id", "b.md", 3) in found
    assert ("duplicate-slug", "b.md", 4) in found
    assert ("schedule", "d.md", 3) in found
    assert [i["status"] for i in data["issues"]] == ["published", "published", "scheduled", "scheduled"]
    text = run("check", str(issues), cwd=tmp_path)
    assert "4 issues: 2 published, 2 scheduled, 0 drafts" in text.stdout
    assert f"{issues / 'b.md'}:3: id 'urn:uuid:" in text.stderr and f"is already used by {issues / 'a.md'}" in text.stderr


def test_placeholders_warned_by_check_and_refused_by_build(tmp_path):
    issues = site(tmp_path)
    path = new_issue("First light", issues, Settings(root=tmp_path), now=datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc))
    source = path.read_text(encoding="utf-8")
    checked = json.loads(run("check", "--format", "json", str(path), cwd=tmp_path).stdout)
    lines = {d["line"] for d in checked["diagnostics"] if d["code"] == "placeholder"}
    expected = {n for n, line in enumerate(source.splitlines(), 1) if line.strip() in PLACEHOLDERS}
    assert lines == expected and len(lines) == len(PLACEHOLDERS)
    # a draft with placeholders is simply left out of the archive
    built = run("build", "issues", "--out", "public", "--now", "2026-02-01T00:00Z", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert not (tmp_path / "public" / "first-light").exists()
    # once it is no longer a draft, build refuses it and writes nothing
    path.write_text(source.replace("draft: true", "draft: false"), encoding="utf-8")
    refused = run("build", "issues", "--out", "public", "--now", "2026-02-01T00:00Z", cwd=tmp_path)
    assert refused.returncode == 2
    lead_line = source.splitlines().index(PLACEHOLDERS[0]) + 1
    assert refused.stderr.startswith(f"{Path('issues') / path.name}:{lead_line}: still holds the placeholder text "
                                     f"{PLACEHOLDERS[0]!r} from 'dispatch new' (and {len(PLACEHOLDERS) - 1} more line(s))"), refused.stderr
    assert not (tmp_path / "public" / "first-light").exists()
    # the cached record of the draft does not let it through either
    again = run("build", "issues", "--out", "public", "--now", "2026-02-01T00:00Z", cwd=tmp_path)
    assert again.returncode == 2


def test_render_and_check_report_the_same_warnings(tmp_path):
    check = run("check", "--format", "json", str(EXAMPLE), cwd=ROOT)
    render = run("render", str(EXAMPLE), "--out", str(tmp_path), cwd=ROOT)
    from_check = [f"warning: {d['path']}{':' + str(d['line']) if d['line'] else ''}: {d['message']}"
                  for d in json.loads(check.stdout)["diagnostics"]]
    assert from_check == render.stderr.splitlines()
    assert from_check == []  # the example is clean: check --strict passes on it
    strict = run("check", "--strict", "issues", cwd=ROOT)
    assert strict.returncode == 0, strict.stderr


def test_every_front_matter_error_of_an_issue_in_one_run(tmp_path):
    issues = site(tmp_path)
    issue = issues / "multi.md"
    issue.write_text("---\ntitle: [a, b]\ndate: soon\ndraft: maybe\nlang: '12'\ntags: 5\n---\nLead.\n",
                     encoding="utf-8")
    data = json.loads(run("check", "--format", "json", str(issue), cwd=tmp_path).stdout)
    errors = [(d["line"], d["message"].split(" ")[0]) for d in data["diagnostics"] if d["severity"] == "error"]
    assert errors == [(2, "'title'"), (3, "cannot"), (4, "'draft'"), (5, "lang"), (6, "'tags'")]
    rendered = run("render", str(issue), "--out", "dist", cwd=tmp_path)
    assert rendered.returncode == 2
    assert [line.split(": ")[0] for line in rendered.stderr.splitlines()] == [f"{issue}:{n}" for n in range(2, 7)]
    assert not (tmp_path / "dist").exists()


def test_front_matter_unreadable_date_and_component_errors_all_in_one_run(tmp_path):
    issues = site(tmp_path)
    issue = issues / "errs.md"
    issue.write_text("---\ntitle: Errors\ndate: 2026-02-30\ndraft: maybe\n---\nLead paragraph.\n\n"
                     "## 📊 By the Numbers\n\nNo table here.\n\n## FAQ\n\nNo questions.\n", encoding="utf-8")
    proc = run("check", str(issue), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"{issue}:3: 'date' has a value YAML cannot read (day is out of range for month); quote it or fix it "
        "(dates are YYYY-MM-DD)",
        f"{issue}:4: 'draft' must be true or false, not 'maybe'",
        f"{issue}:8: the '📊 By the Numbers' section has no table; add a Markdown table '| Metric | Value |' with "
        "one row per number",
        f"{issue}:12: the 'FAQ' section has no questions; write each as a paragraph 'Q: the question? the answer' "
        "or as a '### question' heading",
        "4 error(s), 0 warning(s)"]
    rendered = run("render", str(issue), "--out", "dist", cwd=tmp_path)
    assert rendered.returncode == 2 and not (tmp_path / "dist").exists()
    assert [line.split(": ")[0] for line in rendered.stderr.splitlines()] == [f"{issue}:{n}" for n in (3, 4, 8, 12)]
