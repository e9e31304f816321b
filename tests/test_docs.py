"""The README's reference sections are generated from the code and must not go stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fintech_infra_gate import docs
from fintech_infra_gate.analyzer import PolicyPackError

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_reference_sections_are_current() -> None:
    current = README.read_text()
    assert docs.rewrite(current, docs.render_sections()) == current, "README is stale: run `make docs`"


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
        "table = docs.render_sections()['POLICY TABLE']\n"
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
