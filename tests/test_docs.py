"""The README's reference sections are generated from the code and must not go stale."""

from __future__ import annotations

from pathlib import Path

from fintech_infra_gate import docs

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
