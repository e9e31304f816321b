"""KubernetesBaseline under the mock engine: namespaces, Pod Security, default-deny networking, budgets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from fintech_infra.errors import ConfigError
from fintech_infra.k8s_baseline import KubernetesBaseline, NamespaceBudget
from fintech_infra.testing import RecordedResource, Recording, synthesize

NAMESPACES: Mapping[str, Sequence[str]] = {"payments": ["payments", "audit"], "trading": ["trading"], "web": []}
DATA_CIDRS = ("10.0.96.0/20", "10.0.112.0/20")
NAMESPACE = "kubernetes:core/v1:Namespace"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ERRORS: list[ConfigError] = []


def _program() -> None:
    provider = k8s.Provider("eu-k8s-provider", kubeconfig="{}")
    KubernetesBaseline(
        "eu-baseline",
        cell="eu",
        jurisdiction="cysec",
        namespaces=NAMESPACES,
        provider=provider,
        vpc_cidr="10.0.0.0/16",
        data_cidrs=DATA_CIDRS,
        budget=NamespaceBudget(pods=50),
    )
    bad: dict[str, dict[str, Any]] = {
        "eu-default": {"namespaces": {"default": []}},
        "eu-system": {"namespaces": {"kube-system": [], "ok": ["pii"]}},
        "eu-open": {"namespaces": {"ok": []}, "data_cidrs": ("0.0.0.0/0",)},
    }
    for bad_name, overrides in bad.items():
        arguments: dict[str, Any] = {
            "cell": "eu",
            "jurisdiction": "cysec",
            "provider": provider,
            "vpc_cidr": "10.0.0.0/16",
            "data_cidrs": DATA_CIDRS,
            **overrides,
        }
        try:
            KubernetesBaseline(bad_name, **arguments)
        except ConfigError as error:
            ERRORS.append(error)
    pulumi.export("done", True)


@pytest.fixture(scope="module")
def rec() -> Recording:
    ERRORS.clear()
    return synthesize(_program)


def _in(rec: Recording, type_: str, namespace: str) -> list[RecordedResource]:
    return [r for r in rec.of_type(type_) if r.inputs.get("metadata", {}).get("namespace") == namespace]


def _policy(rec: Recording, namespace: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in _in(rec, POLICY, namespace) if r.inputs["metadata"]["name"] == name]
    return dict(found.inputs["spec"])


def test_one_namespace_per_workload_group_with_labels(rec: Recording) -> None:
    namespaces = {r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"] for r in rec.of_type(NAMESPACE)}
    assert set(namespaces) == set(NAMESPACES)
    payments = namespaces["payments"]
    assert payments["fintech-infra.io/jurisdiction"] == "cysec"
    assert payments["fintech-infra.io/cell"] == "eu"
    assert payments["fintech-infra.io/data-concerns"] == "audit.payments"
    assert payments["concern.fintech-infra.io/payments"] == "true"
    assert namespaces["web"]["fintech-infra.io/data-concerns"] == "none"


def test_pod_security_admission_is_restricted_everywhere(rec: Recording) -> None:
    for namespace in rec.of_type(NAMESPACE):
        labels = namespace.inputs["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_every_namespace_has_a_default_deny_policy(rec: Recording) -> None:
    for namespace in NAMESPACES:
        spec = _policy(rec, namespace, "default-deny")
        assert spec == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_dns_egress_only_to_kube_dns(rec: Recording) -> None:
    egress = _policy(rec, "web", "allow-platform-egress")["egress"]
    dns = egress[0]
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert dns["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]


def test_data_egress_only_for_namespaces_that_reach_a_concern(rec: Recording) -> None:
    payments = _policy(rec, "payments", "allow-platform-egress")["egress"]
    data = payments[-1]
    assert data["to"] == [{"ipBlock": {"cidr": cidr}} for cidr in DATA_CIDRS]
    assert data["ports"] == [{"port": 5432, "protocol": "TCP"}, {"port": 6379, "protocol": "TCP"}]
    web = _policy(rec, "web", "allow-platform-egress")["egress"]
    assert all(rule["to"] != data["to"] for rule in web)


def test_https_egress_and_ingress_stay_inside_the_vpc(rec: Recording) -> None:
    egress = _policy(rec, "trading", "allow-platform-egress")["egress"]
    assert {"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"port": 443, "protocol": "TCP"}]} in egress
    ingress = _policy(rec, "trading", "allow-ingress-from-vpc")["ingress"]
    assert ingress == [{"from": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"port": 8080, "protocol": "TCP"}]}]
    for policy in rec.of_type(POLICY):
        assert "0.0.0.0/0" not in str(policy.inputs)


def test_quota_and_limit_range_per_namespace(rec: Recording) -> None:
    for namespace in NAMESPACES:
        (quota,) = _in(rec, "kubernetes:core/v1:ResourceQuota", namespace)
        hard = quota.inputs["spec"]["hard"]
        assert hard["pods"] == "50"
        assert hard["services.loadbalancers"] == "0"
        assert hard["services.nodeports"] == "0"
        assert {"requests.cpu", "requests.memory", "limits.cpu", "limits.memory"} <= set(hard)
        (limits,) = _in(rec, "kubernetes:core/v1:LimitRange", namespace)
        (item,) = limits.inputs["spec"]["limits"]
        assert item["type"] == "Container"
        assert item["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}
        assert item["default"] == {"cpu": "500m", "memory": "512Mi"}


def test_everything_uses_the_clusters_provider_and_waits_for_its_namespace(rec: Recording) -> None:
    namespaced = [r for r in rec if r.type.startswith("kubernetes:") and r.type != NAMESPACE]
    assert namespaced
    ns_urns = {r.inputs["metadata"]["name"]: r.urn for r in rec.of_type(NAMESPACE)}
    for resource in namespaced:
        assert resource.provider is not None and "eu-k8s-provider" in resource.provider
        assert ns_urns[resource.inputs["metadata"]["namespace"]] in resource.depends_on


def test_nothing_lands_in_default_or_kube_namespaces(rec: Recording) -> None:
    for resource in rec:
        if resource.type.startswith("kubernetes:"):
            metadata = resource.inputs["metadata"]
            assert metadata.get("namespace", metadata.get("name")) not in ("default", "kube-system")


def test_reserved_namespaces_are_config_errors_registering_nothing(rec: Recording) -> None:
    assert str(ERRORS[0]) == (
        "eu-default.namespaces.default: 'default' is reserved; workloads never run in default, kube-system, "
        "kube-public, kube-node-lease or kube-*; allowed: a workload namespace name"
    )
    assert ERRORS[1].problems == (
        "eu-system.namespaces.kube-system: 'kube-system' is reserved; workloads never run in default, "
        "kube-system, kube-public, kube-node-lease or kube-*; allowed: a workload namespace name",
        "eu-system.namespaces.ok: 'pii' is not a data concern; allowed: crm, trading, payments, audit",
    )
    assert str(ERRORS[2]) == "eu-open.data_cidrs[0]: '0.0.0.0/0' admits everything; allowed: the VPC's ranges"
    assert not [r for r in rec if r.name.startswith(("eu-default", "eu-system", "eu-open"))]
