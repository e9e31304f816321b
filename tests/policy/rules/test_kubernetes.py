"""kubernetes.py: default-deny per namespace, Pod Security restricted, nothing in default."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, rc, run_case

NS = R(t.K8S_NAMESPACE, "payments", {"metadata": {"name": "payments"}}, region=None)


def deny(namespace: object = "payments", types: object = ("Ingress", "Egress"), selector: object = None) -> R:
    spec = {
        "podSelector": selector if selector is not None else {},
        "policyTypes": list(types) if isinstance(types, tuple) else types,
    }
    return R(t.K8S_NETWORK_POLICY, "deny", {"metadata": {"namespace": namespace}, "spec": spec}, region=None)


def allow_all() -> R:
    spec = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]}
    return R(t.K8S_NETWORK_POLICY, "allow", {"metadata": {"namespace": "payments"}, "spec": spec}, region=None)


def in_cluster(resource: R, server: str, name: str) -> R:
    """``resource`` as sent through the Kubernetes provider of the cluster at ``server``."""
    return R(resource.type, name, resource.props, region=None, cluster=server)


PRIMARY, DR = "https://primary.eks", "https://dr.eks"

RESTRICTED = {"metadata": {"name": "payments", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}

CASES = {
    "k8s-namespace-default-deny": [
        Case("default-deny for both directions", "pass", [NS, deny()]),
        Case("no network policy", "fail", [NS]),
        Case("ingress only", "fail", [NS, deny(types=("Ingress",))]),
        Case("selects some pods only", "fail", [NS, deny(selector={"matchLabels": {"app": "x"}})]),
        Case("allows traffic (not a deny-all)", "fail", [NS, allow_all()]),
        Case("policy namespace unknown", "pending", [NS, deny(namespace=U)], unknown=True),
        Case(
            "each cluster's namespace has its own default-deny",
            "pass",
            [
                in_cluster(NS, PRIMARY, "ns-primary"),
                in_cluster(NS, DR, "ns-dr"),
                in_cluster(deny(), PRIMARY, "deny-primary"),
                in_cluster(deny(), DR, "deny-dr"),
            ],
        ),
        Case(
            "only the DR cluster's namespace of the same name has one",
            "fail",
            [in_cluster(NS, PRIMARY, "ns-primary"), in_cluster(NS, DR, "ns-dr"), in_cluster(deny(), DR, "deny-dr")],
        ),
    ],
    "k8s-pod-security-restricted": [
        rc(t.K8S_NAMESPACE, RESTRICTED, "pass", "restricted", region=None),
        rc(
            t.K8S_NAMESPACE,
            {"metadata": {"name": "payments", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}},
            "fail",
            "baseline",
            region=None,
        ),
        rc(t.K8S_NAMESPACE, {"metadata": {"name": "payments"}}, "fail", "no label", region=None),
        rc(
            t.K8S_NAMESPACE,
            {"metadata": {"name": "payments", "labels": U}},
            "pending",
            "labels unknown",
            unknown=True,
            region=None,
        ),
    ],
    "k8s-no-default-namespace": [
        rc(
            "kubernetes:apps/v1:Deployment",
            {"metadata": {"namespace": "payments"}},
            "pass",
            "app namespace",
            region=None,
        ),
        rc("kubernetes:core/v1:ConfigMap", {"metadata": {}}, "fail", "unset (provider default namespace)", region=None),
        rc("kubernetes:core/v1:Service", {"metadata": {"namespace": "default"}}, "fail", "default", region=None),
        rc("kubernetes:core/v1:Namespace", {"metadata": {}}, "pass", "cluster-scoped kinds are skipped", region=None),
        rc(
            "kubernetes:apps/v1:Deployment",
            {"metadata": {"namespace": U}},
            "pending",
            "namespace from an unknown output",
            unknown=True,
            region=None,
        ),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
