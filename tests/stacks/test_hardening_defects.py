"""The pack flags each hardening defect of issue 15 (part D) when it is put back into a shipped stack.

Each case synthesizes the dev stack with one in-process transformation that undoes what the library does (as a
team bypassing it would), judges it with the real pack over its analyzer protocol, and expects the rule for that
defect to report it; the shipped stacks as committed must not be reported by any of these rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fintech_infra.testing import Recording, synthesize
from fintech_infra_gate.verdict import Verdict
from tests.stacks.defects import judged
from tests.stacks.test_deployability_regressions import _with
from tests.stacks.test_policy_verdict import STACKS
from tests.stacks.test_stacks import ORG, stack_config

Props = dict[str, Any]
Change = Callable[[str, Props], Props | None]

POLICIES = (
    "security-group-no-world-egress-all-ports",
    "network-acl-no-world-admin-ports",
    "kms-key-enabled",
    "rds-ca-certificate-current",
    "rds-copy-tags-to-snapshot",
    "rds-postgres-logging-parameters",
    "secretsmanager-recovery-window",
    "s3-bucket-acls-disabled",
    "ecs-exec-logging",
    "ecs-task-roles-distinct",
    "ecs-fargate-platform-version",
    "lb-target-group-health-check",
    "waf-known-bad-inputs",
)


def _on(type_: str, **values: Any) -> Change:
    """Set ``values`` on every resource of ``type_``."""
    return lambda seen, props: {**props, **values} if seen == type_ else None


def _world_egress_all(type_: str, props: Props) -> Props | None:
    if type_ == "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule" and props.get("cidr_ipv4") == "0.0.0.0/0":
        return {**props, "ip_protocol": "-1", "from_port": None, "to_port": None}
    return None


def _acl_allow_all(type_: str, props: Props) -> Props | None:
    if type_ != "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl":
        return None
    allow_all = {
        "rule_no": 200,
        "action": "allow",
        "protocol": "-1",
        "cidr_block": "0.0.0.0/0",
        "from_port": 0,
        "to_port": 0,
    }
    return {**props, "ingress": [allow_all]}  # AWS's own default, SSH from the internet included


def _exec_unlogged(type_: str, props: Props) -> Props | None:
    if type_ == "aws:ecs/cluster:Cluster":
        return {**props, "configuration": None}
    if type_ == "aws:ecs/service:Service":
        return {**props, "enable_execute_command": True}
    return None


def _one_role(type_: str, props: Props) -> Props | None:
    if type_ == "aws:ecs/taskDefinition:TaskDefinition":
        return {**props, "task_role_arn": props["execution_role_arn"]}
    return None


def _no_known_bad_inputs(type_: str, props: Props) -> Props | None:
    if type_ != "aws:wafv2/webAcl:WebAcl":
        return None
    rules = [rule for rule in props["rules"] if rule.get("name") != "AWSManagedRulesKnownBadInputsRuleSet"]
    return {**props, "rules": rules}


DEFECTS: dict[str, tuple[str, Change]] = {
    "all protocols to the internet from a service's group": (
        "security-group-no-world-egress-all-ports",
        _world_egress_all,
    ),
    "the default network ACL with AWS's allow-all only": ("network-acl-no-world-admin-ports", _acl_allow_all),
    "a disabled KMS key": ("kms-key-enabled", _on("aws:kms/key:Key", is_enabled=False)),
    "an RDS instance on the expired rds-ca-2019": (
        "rds-ca-certificate-current",
        _on("aws:rds/instance:Instance", ca_cert_identifier="rds-ca-2019"),
    ),
    "snapshots without the database's tags": (
        "rds-copy-tags-to-snapshot",
        _on("aws:rds/instance:Instance", copy_tags_to_snapshot=False),
    ),
    "a parameter group with only TLS enforcement": (
        "rds-postgres-logging-parameters",
        _on("aws:rds/parameterGroup:ParameterGroup", parameters=[{"name": "rds.force_ssl", "value": "1"}]),
    ),
    "a secret deleted without recovery": (
        "secretsmanager-recovery-window",
        _on("aws:secretsmanager/secret:Secret", recovery_window_in_days=0),
    ),
    "buckets with ACLs enabled": (
        "s3-bucket-acls-disabled",
        _on(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            rule={"object_ownership": "BucketOwnerPreferred"},
        ),
    ),
    "ECS Exec on a cluster that does not log it": ("ecs-exec-logging", _exec_unlogged),
    "one role as execution and task role": ("ecs-task-roles-distinct", _one_role),
    "a service pinned to the retired Fargate 1.3.0": (
        "ecs-fargate-platform-version",
        _on("aws:ecs/service:Service", platform_version="1.3.0"),
    ),
    "target groups on AWS's default health check": (
        "lb-target-group-health-check",
        _on("aws:lb/targetGroup:TargetGroup", health_check=None),
    ),
    "a web ACL without the known-bad-inputs (Log4j) group": ("waf-known-bad-inputs", _no_known_bad_inputs),
}


def test_every_new_guardrail_has_a_defect() -> None:
    assert sorted({policy for policy, _ in DEFECTS.values()}) == sorted(POLICIES)


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_the_pack_flags_the_defect_put_back_into_a_shipped_stack(
    judge_policy: Callable[..., Verdict], recordings: dict[str, Recording], defect: str
) -> None:
    policy, change = DEFECTS[defect]
    zones = {f"{ORG}/global": dict(recordings["global"].exports)}
    recording = synthesize(_with(change), stack="dev", config=stack_config("dev"), stack_outputs=zones)
    verdict = judged(judge_policy, recording, "dev")
    flagged = [finding for finding in verdict.mandatory if finding.policy == policy]
    assert flagged, f"{policy} did not flag: {defect}"


@pytest.mark.parametrize("stack", STACKS)
def test_the_shipped_stacks_are_not_flagged_by_these_rules(
    shipped_verdict: Callable[[str], Verdict], stack: str
) -> None:
    verdict = shipped_verdict(stack)  # judged(judge_policy, recordings[stack], stack), once per worker
    assert [f"{f.policy}: {f.message}" for f in verdict.findings if f.policy in POLICIES] == []
    assert set(POLICIES) <= {info.name for info in verdict.policies}
