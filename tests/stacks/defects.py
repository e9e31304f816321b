"""Putting a defect back into a shipped stack: synthesize it with one transformation, and judge it with the pack.

A transformation undoes what the library does (as a team bypassing it would); the regression tests expect the rule
for that defect to report it, and the shipped stacks as committed to be reported by none of those rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi

from fintech_infra.testing import Recording, synthesize
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_stacks import ORG, ROOT, _run_program, stack_config

Props = dict[str, Any]
Change = Callable[[pulumi.ResourceTransformationArgs], Props | None]
"""New props for a resource the defect touches, None for every other resource."""


def program_with(change: Change) -> Callable[[], None]:
    """The shipped program with ``change`` applied to every resource it registers."""

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        props = change(args)
        return None if props is None else pulumi.ResourceTransformationResult(props=props, opts=args.opts)

    def program() -> None:
        pulumi.runtime.register_stack_transformation(transform)
        _run_program()

    return program


def synthesize_with(change: Change, stack: str, recordings: dict[str, Recording]) -> Recording:
    """``stack`` synthesized with ``change``; a cell stack reads the zones stack (`dns.zones_stack`), answered with
    the session's synthesis of `global`."""
    zones = {f"{ORG}/global": dict(recordings["global"].exports)}
    return synthesize(program_with(change), stack=stack, config=stack_config(stack), stack_outputs=zones)


def judged(judge_policy: Callable[..., Verdict], recording: Recording, stack: str) -> Verdict:
    """The real pack's verdict on ``recording``, with ``stack``'s policy config."""
    return judge_policy(recording, policy_pack=ROOT / "policy", stack_config=stack_config(stack))
