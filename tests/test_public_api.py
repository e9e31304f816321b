"""The public surface: ``fintech_infra.__all__`` is exactly what we mean to export, and every name resolves."""

from __future__ import annotations

import subprocess
import sys

import fintech_infra


def test_all_has_no_duplicates_and_every_name_resolves() -> None:
    assert len(set(fintech_infra.__all__)) == len(fintech_infra.__all__)
    for name in fintech_infra.__all__:
        value = getattr(fintech_infra, name)
        assert value is not None, name


def test_every_component_class_is_exported() -> None:
    from fintech_infra_gate import docs

    exported = {id(getattr(fintech_infra, name)) for name in fintech_infra.__all__}
    missing = [cls.__name__ for cls in docs._component_classes() if id(cls) not in exported]
    assert missing == [], f"components not exported from `components`: {missing}"


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        fintech_infra.NotAThing  # noqa: B018
    except AttributeError as error:
        assert "NotAThing" in str(error)
    else:
        raise AssertionError("unknown names must raise AttributeError")


def test_importing_the_registry_does_not_import_aws_modules() -> None:
    # The policy pack imports the registry in its own process; keep that import light.
    code = "import sys, fintech_infra.jurisdictions; print('pulumi_aws.rds' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_all_matches_the_lazy_export_table() -> None:
    assert sorted(fintech_infra.__all__) == sorted(fintech_infra._EXPORTS)
