"""Fuzzing the stack-file reader and the validation pass with mutations of the shipped stack files.

Whatever the mutation, a stack file is either accepted or refused with one ConfigError: never another
exception (a traceback), and never after a resource was registered. Three properties, deterministic
(``derandomize``, no example database) and bounded so the suite stays fast:

- tree mutations of every shipped stack (a value replaced by any JSON value, a key dropped or renamed, a
  list item repeated) through :func:`validate_stack_config`: 300 examples;
- tree mutations of the dev stack through the gate's synthesis of the real program, counting registrations:
  15 examples (an accepted mutant is synthesized in full, about a second each);
- byte mutations of every shipped file (bytes replaced, inserted or cut) through the gate's stack-file
  reader and the validation pass: 200 examples.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fintech_infra.errors import ConfigError, ProgramError
from fintech_infra.testing import RecordedResource, engine_config
from fintech_infra.validation import validate_stack_config
from fintech_infra_gate.runner import synthesize_stack
from fintech_infra_gate.stackfiles import load_project
from tests.stacks.malformed import STACKS, shipped

ROOT = STACKS.parent
NAMES = ("dev", "staging", "prod-eu", "prod-au", "prod-uk", "global")
CONFIGS = {name: shipped(name)["config"] for name in NAMES}

Path_ = tuple[str | int, ...]


def _paths(value: Any, at: Path_ = ()) -> Iterator[Path_]:
    """Every position in a parsed config: mapping keys and list items, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*at, key)
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*at, index)
            yield from _paths(item, (*at, index))


PATHS = {name: list(_paths(config)) for name, config in CONFIGS.items()}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "crm", "eu-west-1", "10.0.0.0/16", "ecs", "eks", "prod", "blue_green", "1.33", "x" * 70]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3),
    max_leaves=6,
)


@st.composite
def mutants(draw: st.DrawFn, names: tuple[str, ...] = NAMES) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(names))
    config = copy.deepcopy(CONFIGS[name])
    path = draw(st.sampled_from(PATHS[name]))
    *parents, last = path
    holder: Any = config
    for part in parents:
        holder = holder[part]
    action = draw(st.sampled_from(["replace", "drop", "rename", "repeat"]))
    if action == "replace":
        holder[last] = draw(json_values)
    elif action == "drop":
        del holder[last]
    elif action == "rename" and isinstance(holder, dict):
        holder[draw(st.text(min_size=1, max_size=20))] = holder.pop(last)
    elif isinstance(holder, list):
        assert isinstance(last, int)
        holder.append(copy.deepcopy(holder[last]))
    else:
        holder[last] = copy.deepcopy(holder[last])
    return name, config


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(mutants())
def test_validation_accepts_or_refuses_every_mutant_with_one_config_error(mutant: tuple[str, dict[str, Any]]) -> None:
    _, config = mutant
    try:
        validate_stack_config(engine_config(config))
    except ConfigError as error:
        assert error.problems and all(problem.strip() for problem in error.problems)


@pytest.fixture(scope="module")
def dev_stack() -> Any:
    project = load_project(ROOT)
    # dev reads the zones stack (global) through a StackReference, as under `pulumi up` after global is deployed.
    zones = synthesize_stack(project, project.stack("global"), preview=False)
    return project, project.stack("dev"), {"global": zones.exports}


@settings(
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutants(("dev",)))
def test_the_program_refuses_a_mutant_before_any_registration(
    dev_stack: Any, mutant: tuple[str, dict[str, Any]]
) -> None:
    project, stack, exports = dev_stack
    registered: list[str] = []

    def count(resource: RecordedResource) -> None:
        registered.append(resource.name)

    try:
        synthesize_stack(project, replace(stack, config=mutant[1]), preview=False, exports=exports, on_register=count)
    except ConfigError as error:
        assert registered == [], f"refused after {len(registered)} registrations: {registered[:5]}: {error}"
    except ProgramError as error:
        # Only what the zones stack's outputs decide (the writer and the names it may validate) is known after
        # the StackReference is read, so it is refused then, naming the dns key; everything else is refused first.
        assert "dns.writer" in str(error) or "zones.validation_writers" in str(error), str(error)[:400]


@st.composite
def damaged_files(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(NAMES))
    data = bytearray((STACKS / f"Pulumi.{name}.yaml").read_bytes())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(data)))
        chunk = draw(st.binary(min_size=0, max_size=4))
        cut = draw(st.integers(min_value=0, max_value=4))
        data[at : at + cut] = chunk
    return name, bytes(data)


@settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(damaged_files())
def test_a_damaged_file_is_read_or_refused_with_one_config_error(
    tmp_path_factory: pytest.TempPathFactory, damaged: tuple[str, bytes]
) -> None:
    name, data = damaged
    root = tmp_path_factory.mktemp("damaged")
    (root / "stacks").mkdir()
    (root / "Pulumi.yaml").write_bytes((ROOT / "Pulumi.yaml").read_bytes())
    (root / "stacks" / f"Pulumi.{name}.yaml").write_bytes(data)
    try:
        stack = load_project(root).stack(name)
        validate_stack_config(engine_config(stack.config), secret_keys=stack.secret_keys)
    except ConfigError as error:
        assert str(error).strip()


def test_the_fuzzed_positions_cover_every_shipped_stack() -> None:
    assert all(len(paths) > 10 for paths in PATHS.values())
    assert Path(STACKS / "Pulumi.dev.yaml").is_file()
