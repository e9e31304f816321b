"""One error tree for the whole project: every exception class derives from FintechInfraError, and the tree
drawn in ``fintech_infra.errors``' docstring is the real hierarchy (so the drawing cannot go stale)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import fintech_infra
import fintech_infra_gate
from fintech_infra import errors
from fintech_infra.errors import FintechInfraError

_LINE = re.compile(r"^(?P<indent>[ │]*)(?:[├└]── )?(?P<name>[A-Z]\w*Error)\b")


def _drawn() -> dict[str, str | None]:
    """Class name -> the name it is drawn under (None for the root), read from the docstring's tree."""
    assert errors.__doc__ is not None
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in errors.__doc__.splitlines():
        found = _LINE.match(line.strip("\n")[4:]) if line.startswith("    ") else None
        if found is None:
            continue
        depth = len(found.group("indent"))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[found.group("name")] = stack[-1][1] if stack else None
        stack.append((depth, found.group("name")))
    return parents


def _project_modules() -> list[str]:
    names = []
    for package in (fintech_infra, fintech_infra_gate):
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            names.append(module.name)
    return names


def _project_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of the library, the harness or the gate."""
    found: dict[str, type[BaseException]] = {}
    for name in _project_modules():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == name:
                found[value.__qualname__] = value
    return found


def test_the_drawn_tree_is_the_class_hierarchy() -> None:
    _project_exceptions()  # every module imported first: a subclass defined anywhere is in the walk below
    real: dict[str, str | None] = {}
    frontier: list[type[BaseException]] = [FintechInfraError]
    while frontier:
        cls = frontier.pop()
        bases = [base for base in cls.__bases__ if issubclass(base, FintechInfraError)]
        real[cls.__name__] = bases[0].__name__ if bases else None
        frontier.extend(cls.__subclasses__())
    assert _drawn() == real


def test_every_exception_class_of_the_project_is_in_the_tree() -> None:
    strays = [name for name, cls in _project_exceptions().items() if not issubclass(cls, FintechInfraError)]
    assert strays == []
    assert set(_project_exceptions()) <= set(_drawn())


def test_the_gate_raises_the_errors_of_the_tree() -> None:
    from fintech_infra_gate import analyzer, relay_client, runner

    assert analyzer.PolicyPackError is errors.PolicyPackError
    assert relay_client.RelayError is errors.RelayError
    assert runner.ProgramError is errors.ProgramError
