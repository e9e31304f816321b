"""The X-Ray trace collector on EKS (compute.tracing): off in the shipped prod-au stack, on in a stack-config variant.

On, each cluster (primary and the DR standby) runs the ADOT collector DaemonSet in the `tracing` namespace under an
IRSA role that only `tracing/collector` may assume and that holds only the X-Ray write actions; workload namespaces
may send to it; the variant passes the whole gate (EKS guardrails included).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from fintech_infra.eks_tracing import NAMESPACE, SERVICE_ACCOUNT, collector_config
from fintech_infra.testing import Recording
from fintech_infra.tracing import XRAY_WRITE_ACTIONS
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_stacks import ORG, ROOT, run_stack, stack_config

STACK = "prod-au"
DAEMONSET = "kubernetes:apps/v1:DaemonSet"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
REPOSITORY = "444444444444.dkr.ecr.ap-southeast-2.amazonaws.com/aws-otel-collector"
IMAGE = f"{REPOSITORY}@sha256:{'3e' * 32}"


def _collector_roles(recording: Recording) -> list[Any]:
    return [r for r in recording.of_type(ROLE) if r.name.endswith("-tracing-collector-role")]


def test_off_by_default_registers_nothing(recordings: dict[str, Recording]) -> None:
    recording = recordings[STACK]
    assert recording.of_type("aws:eks/cluster:Cluster")  # it is the EKS stack
    assert recording.of_type(DAEMONSET) == []
    assert [r for r in recording.resources if r.type == "fintech:eks:ClusterTracing"] == []
    assert _collector_roles(recording) == []
    assert [p for p in recording.of_type(NETWORK_POLICY) if "tracing" in p.name] == []


@pytest.fixture(scope="module")
def traced(recordings: dict[str, Recording]) -> Recording:
    config = copy.deepcopy(stack_config(STACK))
    compute = next(iter(config["fintech-infra:cells"].values()))["compute"]
    compute["tracing"] = {"collector_image": IMAGE}
    zones = {f"{ORG}/global": dict(recordings["global"].exports)}
    return run_stack(STACK, config, stack_outputs=zones)


def test_on_each_cluster_runs_the_collector_with_its_regions_image(traced: Recording) -> None:
    daemonsets = traced.of_type(DAEMONSET)
    images = []
    for daemonset in daemonsets:
        assert daemonset.inputs["metadata"]["namespace"] == NAMESPACE
        pod = daemonset.inputs["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == SERVICE_ACCOUNT
        (container,) = pod["containers"]
        images.append(container["image"])
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert {(p["containerPort"], p["protocol"]) for p in container["ports"]} == {
            (4317, "TCP"),
            (4318, "TCP"),
            (2000, "UDP"),
        }
    # One per cluster; the DR standby pulls the DR region's replica of the same digest (ECR replication).
    assert sorted(images) == [IMAGE, IMAGE.replace("ap-southeast-2", "ap-southeast-4")]
    configs = [
        c for c in traced.of_type("kubernetes:core/v1:ConfigMap") if c.inputs["metadata"]["namespace"] == NAMESPACE
    ]
    assert sorted(
        json.loads(c.inputs["data"]["collector.json"])["exporters"]["awsxray"]["region"] for c in configs
    ) == [
        "ap-southeast-2",
        "ap-southeast-4",
    ]
    assert collector_config("ap-southeast-2")["service"]["pipelines"]["traces"]["exporters"] == ["awsxray"]


def test_the_collector_role_is_irsa_bound_and_only_writes_to_xray(traced: Recording) -> None:
    roles = _collector_roles(traced)
    assert len(roles) == 2
    for role in roles:
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        (subject,) = [v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")]
        assert subject == f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"
        (policy,) = [p for p in traced.of_type(ROLE_POLICY) if p.inputs["role"] == role.outputs["id"]]
        (grant,) = json.loads(policy.inputs["policy"])["Statement"]
        assert sorted(grant["Action"]) == sorted(XRAY_WRITE_ACTIONS)
        assert all(action.startswith(("xray:Put", "xray:GetSampling")) for action in grant["Action"])
        attachments = traced.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        assert [a for a in attachments if a.inputs["role"] == role.outputs["name"]] == []


def test_workload_namespaces_may_send_to_the_collector(traced: Recording) -> None:
    egress = [p for p in traced.of_type(NETWORK_POLICY) if p.inputs["metadata"]["name"] == "allow-tracing-egress"]
    namespaces = {p.inputs["metadata"]["namespace"] for p in egress}
    assert namespaces and NAMESPACE not in namespaces
    for policy in egress:
        (rule,) = policy.inputs["spec"]["egress"]
        assert {(p["port"], p["protocol"]) for p in rule["ports"]} == {(4317, "TCP"), (4318, "TCP"), (2000, "UDP")}
        (peer,) = rule["to"]
        assert peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": NAMESPACE}


def test_the_traced_stack_passes_the_gate(traced: Recording, judge_policy: Callable[..., Verdict]) -> None:
    verdict = judge_policy(traced, policy_pack=ROOT / "policy", stack_config=stack_config(STACK))
    assert [(f.policy, f.message) for f in verdict.mandatory] == []
