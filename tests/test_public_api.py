"""The public surface: ``components.__all__`` is exactly what we mean to export, and every name resolves."""

from __future__ import annotations

import subprocess
import sys

import components


def test_all_has_no_duplicates_and_every_name_resolves() -> None:
    assert len(set(components.__all__)) == len(components.__all__)
    for name in components.__all__:
        value = getattr(components, name)
        assert value is not None, name


def test_every_component_class_is_exported() -> None:
    from components import docs

    exported = {id(getattr(components, name)) for name in components.__all__}
    missing = [cls.__name__ for cls in docs._component_classes() if id(cls) not in exported]
    assert missing == [], f"components not exported from `components`: {missing}"


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        components.NotAThing  # noqa: B018
    except AttributeError as error:
        assert "NotAThing" in str(error)
    else:
        raise AssertionError("unknown names must raise AttributeError")


def test_importing_the_registry_does_not_import_aws_modules() -> None:
    # The policy pack imports the registry in its own process; keep that import light.
    code = "import sys, components.jurisdictions; print('pulumi_aws.rds' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_all_matches_the_lazy_export_table() -> None:
    assert sorted(components.__all__) == sorted(components._EXPORTS)
