"""The pack flags each network, traffic, size and name defect of issue 12 when it is put back into a shipped stack.

Each case takes the prod-eu recording (the session's, from the real program), reintroduces one defect the
library no longer makes (a sixth security group on the service, an inline rule beside standalone ones, a
blue/green rule that forwards to one group, request scaling on one group, a Fargate pair AWS refuses, a target
group name too long for its suffix, too many groups on one network interface), and judges it with the real
pack process: the matching deployability policy reports a mandatory violation naming exactly that resource.
The unmutated recording has no finding from these policies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from google.protobuf import struct_pb2

from fintech_infra.testing import RecordedResource, Recording
from fintech_infra_gate.requests import to_struct
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_stacks import ROOT, stack_config

STACK = "prod-eu"
SG = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
POLICIES = (
    "ecs-service-security-group-limit",
    "eni-security-group-quota",
    "security-group-no-inline-rules",
    "security-group-rules-not-mixed",
    "ecs-blue-green-listener-layout",
    "ecs-blue-green-request-scaling",
    "fargate-task-size",
    "physical-name-length",
)


def changed(resource: RecordedResource, changes: Mapping[str, Any]) -> RecordedResource:
    """``resource`` with top-level properties replaced, in its inputs (what Analyze gets) and outputs (AnalyzeStack)."""
    raw = struct_pb2.Struct()
    raw.CopyFrom(resource.raw_inputs)
    wire = to_struct(changes)
    for key in changes:
        raw.fields[key].CopyFrom(wire.fields[key])
    return dataclasses.replace(
        resource,
        inputs={**resource.inputs, **changes},
        raw_inputs=raw,
        outputs={**resource.outputs, **changes},
    )


def replace(recording: Recording, name: str, changes: Callable[[RecordedResource], Mapping[str, Any]]) -> Recording:
    found = recording.named(name)
    resources = tuple(changed(r, changes(r)) if r.urn == found.urn else r for r in recording.resources)
    return dataclasses.replace(recording, resources=resources)


def add_copy(recording: Recording, name: str, new_name: str) -> Recording:
    original = recording.named(name)
    copy = dataclasses.replace(original, name=new_name, urn=original.urn.rsplit("::", 1)[0] + f"::{new_name}")
    return dataclasses.replace(recording, resources=(*recording.resources, copy))


def six_groups(service: RecordedResource) -> dict[str, Any]:
    network = dict(service.inputs["networkConfiguration"])
    # What the marker-group design gave every service: its own, one per concern, the cache's.
    network["securityGroups"] = [*network["securityGroups"], *(f"sg-marker-{n}" for n in range(5))]
    return {"networkConfiguration": network}


def audit_service_group(recording: Recording) -> Recording:
    """The service group as the audit found it: inline egress (HTTPS, PostgreSQL, cache), an empty inline ingress
    block, and the edge's standalone ingress rule from the ALB on the same group."""
    group = recording.named("eu-api-sg", SG)
    data = sorted({str(rule.inputs["cidrIpv4"]) for rule in recording.of_type(EGRESS) if "-postgres-out-" in rule.name})
    egress = [
        {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"], "description": "HTTPS out"},
        {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": data, "description": "PostgreSQL"},
        {"protocol": "tcp", "fromPort": 6379, "toPort": 6379, "cidrBlocks": data, "description": "Cache"},
    ]
    own_egress = {r.urn for r in recording.of_type(EGRESS) if r.inputs.get("securityGroupId") == group.outputs["id"]}
    without = dataclasses.replace(recording, resources=tuple(r for r in recording if r.urn not in own_egress))
    return replace(without, "eu-api-sg", lambda _: {"ingress": [], "egress": egress})


def forward_to_primary_only(rule: RecordedResource) -> dict[str, Any]:
    (action,) = rule.inputs["actions"]
    primary = action["forward"]["targetGroups"][0]["arn"]
    return {"actions": [{"type": "forward", "targetGroupArn": primary}]}


def predefined_request_metric(policy: RecordedResource) -> dict[str, Any]:
    config = dict(policy.inputs["targetTrackingScalingPolicyConfiguration"])
    config.pop("customizedMetricSpecification")
    config["predefinedMetricSpecification"] = {
        "predefinedMetricType": "ALBRequestCountPerTarget",
        "resourceLabel": "app/eu-edge-alb/1/targetgroup/eu-edge-api-tg/2",
    }
    return {"targetTrackingScalingPolicyConfiguration": config}


@dataclass(frozen=True)
class Defect:
    reintroduce: Callable[[Recording], Recording]
    policy: str
    resource: str


TG_NAME = "eu-dr-edge-payments-api-tg-alt"  # 30 characters: 38 with Pulumi's suffix, over the 32 AWS allows

DEFECTS = {
    "a sixth security group on the ECS service": Defect(
        lambda rec: replace(rec, "eu-api-service", six_groups), "ecs-service-security-group-limit", "eu-api-service"
    ),
    "inline rules on the service group beside the edge's standalone rule (stack view)": Defect(
        audit_service_group, "security-group-rules-not-mixed", "eu-api-sg"
    ),
    "inline rules on the service group beside the edge's standalone rule (the group's own inputs)": Defect(
        audit_service_group, "security-group-no-inline-rules", "eu-api-sg"
    ),
    "a blue/green production rule that forwards to one target group": Defect(
        lambda rec: replace(rec, "eu-edge-api-rule", forward_to_primary_only),
        "ecs-blue-green-listener-layout",
        "eu-edge-api-rule",
    ),
    "blue/green request scaling on ALBRequestCountPerTarget": Defect(
        lambda rec: replace(rec, "eu-api-scale-requests", predefined_request_metric),
        "ecs-blue-green-request-scaling",
        "eu-api-scale-requests",
    ),
    "a 4096 MiB task with 256 CPU": Defect(
        lambda rec: replace(rec, "eu-api-task", lambda _: {"cpu": "256", "memory": "4096"}),
        "fargate-task-size",
        "eu-api-task",
    ),
    "a 30-character target group logical name": Defect(
        lambda rec: add_copy(rec, "eu-dr-edge-api-tg-alt", TG_NAME), "physical-name-length", TG_NAME
    ),
    "six security groups on a database's network interfaces": Defect(
        lambda rec: replace(
            rec, "eu-crm-db", lambda db: {"vpcSecurityGroupIds": [*db.inputs["vpcSecurityGroupIds"], *("sg-x",) * 5]}
        ),
        "eni-security-group-quota",
        "eu-crm-db",
    ),
}


def _judge(judge_policy: Callable[..., Verdict], recording: Recording) -> Verdict:
    return judge_policy(recording, policy_pack=ROOT / "policy", stack_config=stack_config(STACK))


def test_the_shipped_stack_has_none_of_these_defects(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    verdict = _judge(judge_policy, recordings[STACK])
    assert {policy.name for policy in verdict.policies} >= set(POLICIES), "the deployability policies were loaded"
    assert [finding for finding in verdict.findings if finding.policy in POLICIES] == []
    assert [entry for entry in verdict.not_applicable if entry.policy in POLICIES and "pending" in entry.reason] == []


@pytest.mark.parametrize("defect", DEFECTS.values(), ids=list(DEFECTS))
def test_the_pack_flags_the_defect_put_back(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict], defect: Defect
) -> None:
    verdict = _judge(judge_policy, defect.reintroduce(recordings[STACK]))
    flagged = {finding.urn.rsplit("::", 1)[-1] for finding in verdict.mandatory if finding.policy == defect.policy}
    assert flagged == {defect.resource}
