"""The public surface: ``fintech_infra.__all__`` is exactly what the package exports, and every name resolves."""

from __future__ import annotations

import inspect

import fintech_infra


def _isort_style(name: str) -> tuple[int, str]:
    # The order ruff keeps __all__ in (RUF022): CONSTANTS, then Classes, then functions.
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


def test_all_is_exactly_the_public_names_sorted() -> None:
    # Submodules are bound as attributes by their import; `annotations` by `from __future__ import annotations`.
    public = [
        name
        for name, value in vars(fintech_infra).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    ]
    assert fintech_infra.__all__ == sorted(public, key=_isort_style)


def test_every_name_resolves() -> None:
    for name in fintech_infra.__all__:
        assert getattr(fintech_infra, name) is not None, name


def test_every_component_class_is_exported() -> None:
    from fintech_infra_gate import docs

    exported = {id(getattr(fintech_infra, name)) for name in fintech_infra.__all__}
    missing = [cls.__name__ for cls in docs._component_classes() if id(cls) not in exported]
    assert missing == [], f"components not exported from `components`: {missing}"
