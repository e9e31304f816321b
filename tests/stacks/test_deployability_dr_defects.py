"""The pack flags each DNS and DR defect of issue 12 (items 3 and 7) reintroduced into a synthesized shipped stack.

Each test takes a shipped stack as the stack tests synthesized it, puts one defect back (the stack config the
defect came from, or the resource inputs the old code registered), judges it with the real pack, and checks that
the policy for that class flags it while the unmutated stack passes it.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2

from fintech_infra.testing import Recording
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_stacks import ORG, ROOT, run_stack, stack_config

PACK = ROOT / "policy"
Change = Callable[[dict[str, Any]], None]


def _verdict(judge_policy: Callable[..., Verdict], recording: Recording, stack: str) -> set[str]:
    verdict = judge_policy(recording, policy_pack=PACK, stack_config=stack_config(stack))
    return {finding.policy for finding in verdict.mandatory}


def _mutated(recording: Recording, name: str, change: Change) -> Recording:
    """``recording`` with resource ``name``'s inputs edited by ``change``, in what the pack receives for both
    ``Analyze`` (the inputs) and ``AnalyzeStack`` (the outputs, which echo the inputs)."""
    resources = []
    found = False
    for resource in recording.resources:
        if resource.name == name and resource.custom:
            inputs = copy.deepcopy(dict(resource.inputs))
            change(inputs)
            raw = struct_pb2.Struct()
            json_format.ParseDict(json.loads(json.dumps(inputs)), raw)
            outputs = {**resource.outputs, **inputs}
            resource = dataclasses.replace(resource, inputs=inputs, raw_inputs=raw, outputs=outputs)
            found = True
        resources.append(resource)
    assert found, name
    return dataclasses.replace(recording, resources=tuple(resources))


def _primary(value: str) -> str:
    return value.replace(":eu-west-1:", ":eu-central-1:").replace(".eu-west-1.", ".eu-central-1.")


@pytest.fixture
def prod_eu_passes(shipped_verdict: Callable[[str], Verdict]) -> set[str]:
    """The policies the unmutated prod-eu stack violates (none: the verdict tests assert so), judged once."""
    return {finding.policy for finding in shipped_verdict("prod-eu").mandatory}


def test_certificates_waiting_on_another_stack_are_flagged(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict], prod_eu_passes: set[str]
) -> None:
    """Item 3: without `dns` the cell's edges only export their records (the global stack was to write them)."""
    config = stack_config("prod-eu")
    del config["fintech-infra:dns"]
    zones = {f"{ORG}/global": dict(recordings["global"].exports)}
    defective = run_stack("prod-eu", config, stack_outputs=zones)
    assert "acm-validation-completes-in-stack" in _verdict(judge_policy, defective, "prod-eu")
    assert "acm-validation-completes-in-stack" not in prod_eu_passes


def test_dr_task_granted_primary_secrets_behind_a_dr_via_service_is_flagged(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict], prod_eu_passes: set[str]
) -> None:
    """Item 7b: the old DR grant, primary-region secret ARNs and keys under kms:ViaService secretsmanager.<dr>."""

    def old_grant(inputs: dict[str, Any]) -> None:
        policy = json.loads(inputs["policy"])
        for statement in policy["Statement"]:
            if statement["Sid"] in ("ReadRuntimeSecrets", "DecryptSecretsViaStores"):
                statement["Resource"] = [_primary(arn) for arn in statement["Resource"]]
        inputs["policy"] = json.dumps(policy)

    defective = _mutated(recordings["prod-eu"], "eu-dr-api-task-policy", old_grant)
    flagged = _verdict(judge_policy, defective, "prod-eu")
    assert {"task-roles-in-own-region", "kms-via-service-matches-key-region"} <= flagged
    assert not {"task-roles-in-own-region", "kms-via-service-matches-key-region"} & prod_eu_passes


def test_dr_task_pulling_from_the_primary_registry_is_flagged(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict], prod_eu_passes: set[str]
) -> None:
    """Item 7c: the standby's image on the primary region's registry host."""

    def primary_image(inputs: dict[str, Any]) -> None:
        containers = json.loads(inputs["containerDefinitions"])
        containers[0]["image"] = _primary(containers[0]["image"])
        inputs["containerDefinitions"] = json.dumps(containers)

    defective = _mutated(recordings["prod-eu"], "eu-dr-api-task", primary_image)
    assert "task-dependencies-in-own-region" in _verdict(judge_policy, defective, "prod-eu")
    assert "task-dependencies-in-own-region" not in prod_eu_passes


def test_dr_manifest_naming_the_primary_secrets_is_flagged(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict], prod_eu_passes: set[str]
) -> None:
    """Item 7a: the DR routing manifest listing the primary region's secret ARNs (what it did before)."""

    def primary_secrets(inputs: dict[str, Any]) -> None:
        document = json.loads(inputs["value"]["value"])
        for route in document["databases"].values():
            if route["secret_arn"]:
                route["secret_arn"] = _primary(route["secret_arn"])
        inputs["value"]["value"] = json.dumps(document)

    defective = _mutated(recordings["prod-eu"], "eu-dr-routing-ssm-cysec-cy", primary_secrets)
    assert "routing-manifest-in-own-region" in _verdict(judge_policy, defective, "prod-eu")
    assert "routing-manifest-in-own-region" not in prod_eu_passes


def test_image_replication_out_of_the_jurisdiction_is_flagged(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict], prod_eu_passes: set[str]
) -> None:
    def to_virginia(inputs: dict[str, Any]) -> None:
        inputs["replicationConfiguration"]["rules"][0]["destinations"][0]["region"] = "us-east-1"

    defective = _mutated(recordings["prod-eu"], "eu-ecr-replication", to_virginia)
    assert "ecr-replication-in-jurisdiction" in _verdict(judge_policy, defective, "prod-eu")
    assert "ecr-replication-in-jurisdiction" not in prod_eu_passes


def test_a_zone_over_route53s_tag_limit_is_flagged(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    def eleven_tags(inputs: dict[str, Any]) -> None:
        inputs["tags"] = {**inputs["tags"], **{f"Extra{i}": "x" for i in range(11 - len(inputs["tags"]))}}

    assert "route53-tag-limit" not in _verdict(judge_policy, recordings["global"], "global")
    defective = _mutated(recordings["global"], "global-zone", eleven_tags)
    assert "route53-tag-limit" in _verdict(judge_policy, defective, "global")
