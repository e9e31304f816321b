"""Concern separation holds on the shipped stacks: another concern's key, or a missing default-deny, fails the pack.

Keys (prod-eu): a database, an Aurora cluster, a cluster instance's Performance Insights key and a database secret
are each pointed at another concern's KMS key, both the way a program would (the input refers to the other key, so
the engine records the dependency) and the way a hard-coded ARN from config would (the value only). The
``key-paths-by-concern`` policy must flag that resource either way (and the key, which now serves two concerns).

Kubernetes (prod-au, which runs a primary and a DR cluster with the same namespaces): removing one namespace's
default-deny NetworkPolicy in one cluster must fail ``k8s-namespace-default-deny`` for that namespace, even though
the other cluster's namespace of the same name keeps its own; with a workload in the namespace,
``k8s-workload-namespace-default-deny`` fails too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from fintech_infra.testing import Recording
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_deployability_network_defects import changed
from tests.stacks.test_stacks import ROOT, stack_config

KEYS_POLICY = "key-paths-by-concern"


def other_key(recording: Recording, store: str, prop: str, key: str, *, dependency: bool) -> Recording:
    """``store.prop`` set to ``key``'s ARN; with ``dependency`` the engine's record of the reference moves too."""
    target = recording.named(key, "aws:kms/key:Key")
    found = recording.named(store)
    resources = []
    for resource in recording.resources:
        if resource.urn == found.urn:
            resource = changed(resource, {prop: target.outputs["arn"]})
            if dependency:
                deps = {**resource.property_dependencies, prop: (target.urn,)}
                resource = dataclasses.replace(resource, property_dependencies=deps)
        resources.append(resource)
    return dataclasses.replace(recording, resources=tuple(resources))


@dataclass(frozen=True)
class KeyDefect:
    store: str
    prop: str
    key: str


KEY_DEFECTS = {
    "the CRM database's storage on the trading key": KeyDefect("eu-crm-db", "kmsKeyId", "eu-keys-trading-key"),
    "the CRM database's Performance Insights on the payments key": KeyDefect(
        "eu-crm-db", "performanceInsightsKmsKeyId", "eu-keys-payments-key"
    ),
    "the CRM database's managed master secret on the audit key": KeyDefect(
        "eu-crm-db", "masterUserSecretKmsKeyId", "eu-keys-audit-key"
    ),
    "the trading Aurora cluster on the payments key": KeyDefect(
        "eu-trading-cluster", "kmsKeyId", "eu-keys-payments-key"
    ),
    "a trading cluster instance's Performance Insights on the payments key": KeyDefect(
        "eu-trading-instance-1", "performanceInsightsKmsKeyId", "eu-keys-payments-key"
    ),
    "the trading master secret on the CRM key": KeyDefect("eu-trading-master-secret", "kmsKeyId", "eu-keys-crm-key"),
}


def _judge(judge_policy: Callable[..., Verdict], recording: Recording, stack: str) -> Verdict:
    return judge_policy(recording, policy_pack=ROOT / "policy", stack_config=stack_config(stack))


def _flagged(verdict: Verdict, policy: str) -> set[str]:
    return {finding.urn.rsplit("::", 1)[-1] for finding in verdict.mandatory if finding.policy == policy}


@pytest.mark.parametrize("dependency", [True, False], ids=["as a reference", "as a hard-coded ARN"])
@pytest.mark.parametrize("defect", KEY_DEFECTS.values(), ids=list(KEY_DEFECTS))
def test_a_store_on_another_concerns_key_fails(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict], defect: KeyDefect, dependency: bool
) -> None:
    shipped = recordings["prod-eu"]
    assert shipped.named(defect.store).inputs[defect.prop] != shipped.named(defect.key).outputs["arn"]
    mutated = other_key(shipped, defect.store, defect.prop, defect.key, dependency=dependency)
    # The store, the key now serving two concerns and, for a secret, the task roles of services that read it (they
    # now decrypt with a key of a concern they do not declare, e.g. ws of trading with the CRM key): nothing else.
    flagged = _flagged(_judge(judge_policy, mutated, "prod-eu"), KEYS_POLICY)
    assert defect.store in flagged
    assert all(name.endswith("-task-role") for name in flagged - {defect.store, defect.key}), flagged


def test_prod_eu_keeps_every_concern_on_its_own_key(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    verdict = _judge(judge_policy, recordings["prod-eu"], "prod-eu")
    policies = (KEYS_POLICY, "concern-separation")
    assert [finding for finding in verdict.findings if finding.policy in policies] == []


POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"


def without(recording: Recording, name: str) -> Recording:
    gone = recording.named(name, POLICY)
    return dataclasses.replace(recording, resources=tuple(r for r in recording.resources if r.urn != gone.urn))


@pytest.mark.parametrize(
    ("policy", "namespace"),
    [
        ("au-k8s-baseline-trading-default-deny", "au-k8s-baseline-trading"),
        ("au-dr-k8s-baseline-audit-default-deny", "au-dr-k8s-baseline-audit"),
        ("au-eks-platform-platform-baseline-argocd-default-deny", "au-eks-platform-platform-baseline-argocd"),
    ],
)
def test_removing_a_namespaces_default_deny_fails(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict], policy: str, namespace: str
) -> None:
    shipped = recordings["prod-au"]
    twin = policy.replace("au-dr-", "au-", 1) if policy.startswith("au-dr-") else policy.replace("au-", "au-dr-", 1)
    assert shipped.named(twin, POLICY), "the other cluster keeps the same namespace's policy"
    verdict = _judge(judge_policy, without(shipped, policy), "prod-au")
    assert _flagged(verdict, "k8s-namespace-default-deny") == {namespace}


def test_a_workload_whose_namespace_lost_its_default_deny_fails(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    shipped = recordings["prod-au"]
    # The primary cluster's workloads (rendered through their own providers, on the same cluster).
    workloads = [
        r
        for r in shipped.of_type("kubernetes:apps/v1:Deployment")
        if r.inputs.get("metadata", {}).get("namespace") == "trading" and r.name.startswith("au-eks-")
    ]
    assert workloads, "the primary cluster runs a workload in trading"
    verdict = _judge(judge_policy, without(shipped, "au-k8s-baseline-trading-default-deny"), "prod-au")
    assert _flagged(verdict, "k8s-workload-namespace-default-deny") == {w.name for w in workloads}


def test_prod_au_isolates_every_namespace(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    verdict = _judge(judge_policy, recordings["prod-au"], "prod-au")
    policies = ("k8s-namespace-default-deny", "k8s-workload-namespace-default-deny")
    assert [finding for finding in verdict.findings if finding.policy in policies] == []
    assert len(recordings["prod-au"].of_type(NAMESPACE)) >= 8
