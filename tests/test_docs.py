"""The generated parts of the README and docs/ come from the code and must not go stale."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from fintech_infra_gate import docs
from fintech_infra_gate.analyzer import PolicyPackError

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_every_generated_page_is_current() -> None:
    pages = docs.render_pages()
    assert {path.relative_to(REPO_ROOT).as_posix() for path in pages} == set(docs.PAGES)
    stale = [str(path.relative_to(REPO_ROOT)) for path, (current, updated) in pages.items() if updated != current]
    assert stale == [], f"stale: {stale}: run `make docs`"


def test_every_section_is_on_exactly_one_page_and_rendered() -> None:
    placed = [section for sections in docs.PAGES.values() for section in sections]
    assert sorted(placed) == sorted(set(placed))
    text = {page: (REPO_ROOT / page).read_text() for page in docs.PAGES}
    for page, sections in docs.PAGES.items():
        for section in sections:
            assert f"<!-- BEGIN {section} -->" in text[page] and f"<!-- END {section} -->" in text[page], page


def test_the_plan_sample_is_a_real_run_with_only_the_time_masked() -> None:
    sample = docs.render_plan_sample()
    assert sample.startswith("```text\n$ make plan\n.venv/bin/fintech-infra plan --stack dev\n== stack dev ")
    assert sample.rstrip().endswith("0 mandatory, 0 advisory, 0 exempted, 0 pending (… s)\n```")


def test_the_readme_stays_short() -> None:
    assert len((REPO_ROOT / "README.md").read_text().splitlines()) <= 250


def test_every_component_documents_its_outputs_and_token() -> None:
    classes = docs._component_classes()
    assert classes, "no components found"
    for cls in classes:
        assert docs._type_token(cls).startswith("fintech:"), cls
        assert cls.OUTPUTS, f"{cls.__name__} documents no outputs"  # type: ignore[attr-defined]


def test_missing_markers_are_an_error() -> None:
    try:
        docs.rewrite("no markers here", {"JURISDICTIONS": "x"})
    except ValueError as error:
        assert "<!-- BEGIN JURISDICTIONS -->" in str(error)
    else:
        raise AssertionError("rewrite must refuse a README without markers")


def test_the_policy_table_comes_from_the_pack_process_without_importing_the_pack() -> None:
    # A fresh interpreter: in this one, the policy tests may already have imported the pack.
    probe = (
        "import sys\n"
        "from fintech_infra_gate import docs\n"
        "table = docs._policy_table()\n"
        "assert table.startswith('| Policy | What it checks |'), table[:80]\n"
        "leaked = sorted(name for name in sys.modules if name.split('.')[0] in ('fintech_guardrails', 'docs'))\n"
        "assert not leaked, leaked\n"
        "assert not any(entry.rstrip('/').endswith('policy') for entry in sys.path), sys.path\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_pack_renderer_that_fails_is_an_error_not_a_silently_kept_table(tmp_path: Path, monkeypatch) -> None:
    renderer = tmp_path / "policy" / "fintech_guardrails" / "docs.py"
    renderer.parent.mkdir(parents=True)
    (renderer.parent / "__init__.py").write_text("")
    renderer.write_text("raise SystemExit('the registry did not load')\n")
    monkeypatch.setattr(docs, "REPO_ROOT", tmp_path)
    with pytest.raises(PolicyPackError) as error:
        docs._policy_table()
    assert str(error.value) == (
        "policy pack 'policy': `-m fintech_guardrails.docs --table` exited 1: the registry did not load"
    )


_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _anchors(page: Path) -> set[str]:
    """The heading anchors GitHub gives a page: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", _FENCE.sub("", page.read_text()), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_every_relative_link_of_the_readme_and_docs_resolves() -> None:
    pages = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for link in _LINK.findall(_FENCE.sub("", page.read_text())):
            if re.match(r"^[a-z]+:", link):
                continue
            path, _, anchor = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            if not target.exists() or (anchor and target.suffix == ".md" and anchor not in _anchors(target)):
                broken.append(f"{page.relative_to(REPO_ROOT)}: {link}")
    assert broken == []
