"""The auto-named physical names the validation pass checks are exactly the ones the components register.

``fintech_infra._naming.AUTONAMED`` predicts, from a cell's config, the logical name of every auto-named
resource whose name carries a cell or service name; ``config_limits`` checks those against AWS's limits
before anything registers. If a component renames a child or adds an auto-named one, this test fails until
the table says so too, so the check cannot drift from the components.
"""

from __future__ import annotations

import pytest

from fintech_infra.aws_facts import NAME_LIMITS
from fintech_infra.config_limits import derived_names
from fintech_infra.testing import Recording
from fintech_infra.validation import validate_stack_config
from tests.stacks.test_stacks import CELL_STACKS, secret_keys, stack_config

EXPLICIT_NAME_INPUTS = ("name", "namePrefix", "bucket", "bucketPrefix", "identifier", "replicationGroupId")
"""Inputs that set a physical name: a resource with one is not auto-named."""


@pytest.mark.parametrize("stack", CELL_STACKS)
def test_autonamed_names_are_predicted_from_config(recordings: dict[str, Recording], stack: str) -> None:
    config = validate_stack_config(stack_config(stack), secret_keys=secret_keys(stack))
    predicted = {
        (name.type_token, name.logical)
        for cell, settings in config.cells.items()
        for name in derived_names(cell, settings, config.environment)
    }
    registered = {
        (resource.type, resource.name)
        for resource in recordings[stack].resources
        if resource.type in NAME_LIMITS and not any(key in resource.inputs for key in EXPLICIT_NAME_INPUTS)
    }
    assert registered - predicted == set(), "auto-named resources fintech_infra._naming.AUTONAMED does not predict"
    assert predicted - registered == set(), "AUTONAMED predicts names no component registers"
