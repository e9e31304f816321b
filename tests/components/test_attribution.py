"""A CI deploy is attributable: the deploy role session names the commit and the actor, and carries the actor as
its sts:SourceIdentity, on every provider of the stack (and through the chained validation writer role)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from fintech_infra.attribution import ACTOR_VARIABLE, COMMIT_VARIABLE, Attribution, attribution_from
from fintech_infra.errors import ConfigError
from fintech_infra_gate.runner import synthesize_stack
from fintech_infra_gate.stackfiles import load_project

SHA = "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"
PROJECT = load_project(Path(__file__).resolve().parents[2])


def _hops(inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    # The engine hands a provider its nested config JSON-encoded, as the Pulumi CLI does.
    hops = inputs["assumeRoles"]
    decoded: list[dict[str, Any]] = json.loads(hops) if isinstance(hops, str) else hops
    return decoded


def test_ci_variables_make_the_session_name_and_the_source_identity() -> None:
    attribution = attribution_from({COMMIT_VARIABLE: SHA, ACTOR_VARIABLE: "octo-cat"})
    assert attribution == Attribution(commit=SHA, actor="octo-cat")
    assert attribution.session_name == "fi-3f2a9c1d8e7b-octo-cat"
    assert attribution.source_identity == "octo-cat"


def test_a_bot_actor_is_made_sts_safe_and_long_names_fit_64() -> None:
    assert attribution_from({COMMIT_VARIABLE: SHA, ACTOR_VARIABLE: "dependabot[bot]"}).actor == "dependabot-bot-"  # type: ignore[union-attr]
    long = Attribution(commit=SHA, actor="a" * 64)
    assert len(long.session_name) == 64 and len(long.source_identity) == 64


def test_without_ci_variables_nothing_changes() -> None:
    assert attribution_from({}) is None


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({COMMIT_VARIABLE: "main", ACTOR_VARIABLE: "octo"}, f"{COMMIT_VARIABLE}: 'main' is not a commit"),
        ({COMMIT_VARIABLE: SHA}, f"{ACTOR_VARIABLE}: '' is not an actor"),
        ({ACTOR_VARIABLE: "octo"}, f"{COMMIT_VARIABLE}: '' is not a commit"),
        ({COMMIT_VARIABLE: SHA, ACTOR_VARIABLE: "x" * 80}, f"{ACTOR_VARIABLE}: '{'x' * 80}' is not an actor"),
    ],
)
def test_half_or_bad_attribution_is_refused_naming_the_variable(environment: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        attribution_from(environment)


def test_every_provider_of_a_ci_deploy_assumes_the_role_as_that_commit_and_actor(monkeypatch) -> None:
    monkeypatch.setenv(COMMIT_VARIABLE, SHA)
    monkeypatch.setenv(ACTOR_VARIABLE, "octo-cat")
    zones = synthesize_stack(PROJECT, PROJECT.stack("global"), preview=False)
    recording = synthesize_stack(PROJECT, PROJECT.stack("dev"), preview=False, exports={"global": zones.exports})
    providers = [r for r in recording if r.type == "pulumi:providers:aws"]
    assert providers
    for provider in providers:
        first_hop = _hops(provider.inputs)[0]
        assert first_hop["roleArn"] == "arn:aws:iam::111111111111:role/fintech-infra-deploy"
        assert first_hop["sessionName"] == "fi-3f2a9c1d8e7b-octo-cat"
        assert first_hop["sourceIdentity"] == "octo-cat"
    # The zones account's writer roles accept the source identity the chained session carries.
    for role in zones.of_type("aws:iam/role:Role"):
        if "validation" in role.name:
            (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
            assert statement["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]


def test_a_local_run_keeps_the_configured_session_and_sets_no_source_identity(monkeypatch) -> None:
    monkeypatch.delenv(COMMIT_VARIABLE, raising=False)
    monkeypatch.delenv(ACTOR_VARIABLE, raising=False)
    zones = synthesize_stack(PROJECT, PROJECT.stack("global"), preview=False)
    recording = synthesize_stack(PROJECT, PROJECT.stack("dev"), preview=False, exports={"global": zones.exports})
    for provider in (r for r in recording if r.type == "pulumi:providers:aws"):
        first_hop = _hops(provider.inputs)[0]
        assert first_hop["sessionName"] == "fintech-infra-deploy" and "sourceIdentity" not in first_hop
