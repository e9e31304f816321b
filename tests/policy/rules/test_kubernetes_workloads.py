"""kubernetes_workloads.py: restricted pods, digests, no secrets in manifests, bindings and pod data paths."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, rc, run_case

IMAGE = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/orders@sha256:" + "a" * 64
CONTAINER: dict[str, Any] = {
    "name": "orders",
    "image": IMAGE,
    "securityContext": {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
    "ports": [{"name": "http", "containerPort": 8080}],
}


def deployment(container: Any = None, namespace: object = "trading", **pod: Any) -> dict[str, Any]:
    spec = {"containers": [container if container is not None else CONTAINER], **pod}
    return {"metadata": {"name": "orders", "namespace": namespace}, "spec": {"template": {"spec": spec}}}


def changed(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    container = copy.deepcopy(CONTAINER)
    target = container
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return container


def workload(props: dict[str, Any], expect: Any, title: str, **options: Any) -> Case:
    return rc(t.K8S_DEPLOYMENT, props, expect, title, region=None, **options)


TG_ARN = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/orders/abc"
TARGET_GROUP = R(t.LB_TARGET_GROUP, "edge-orders-tg", {"arn": TG_ARN, "port": 8080})
SERVICE = R(
    t.K8S_SERVICE,
    "orders-service",
    {"metadata": {"name": "orders", "namespace": "trading"}, "spec": {"ports": [{"port": 8080}]}},
    region=None,
)


def binding(arn: object = TG_ARN, name: object = "orders", port: object = 8080, deps: bool = True) -> R:
    return R(
        t.K8S_TARGET_GROUP_BINDING,
        "orders-binding",
        {
            "metadata": {"name": "orders", "namespace": "trading"},
            "spec": {"targetGroupARN": arn, "serviceRef": {"name": name, "port": port}},
        },
        region=None,
        deps={"spec": [TARGET_GROUP.urn]} if deps else {},
    )


def deny(namespace: object = "trading") -> R:
    return R(
        t.K8S_NETWORK_POLICY,
        f"{namespace}-deny",
        {"metadata": {"namespace": namespace}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
        region=None,
    )


def allow_everything() -> R:
    spec = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]}
    return R(t.K8S_NETWORK_POLICY, "allow", {"metadata": {"namespace": "trading"}, "spec": spec}, region=None)


WORKLOAD = R(t.K8S_DEPLOYMENT, "orders", deployment(), region=None)
CLUSTER = R(t.EKS_CLUSTER, "eks", {"vpcConfig": {"clusterSecurityGroupId": "sg-cluster"}})


def namespace(label: str = "trading.cache") -> R:
    return R(
        t.K8S_NAMESPACE,
        "trading-ns",
        {"metadata": {"name": "trading", "labels": {"fintech-infra.io/data-concerns": label}}},
        region=None,
    )


NAMESPACE = namespace()
SGP = R(
    t.K8S_SECURITY_GROUP_POLICY,
    "trading-sgp",
    {"metadata": {"namespace": "trading"}, "spec": {"podSelector": {}, "securityGroups": {"groupIds": ["sg-pods"]}}},
    region=None,
)


def database(concern: str) -> R:
    return R(t.SECURITY_GROUP, f"{concern}-db-sg", {"id": f"sg-{concern}", "tags": {"DataConcern": concern}})


def ingress(source: object, concern: str = "trading", port: int = 5432) -> R:
    return R(
        t.SG_INGRESS_RULE,
        f"{concern}-from-{source}",
        {"securityGroupId": f"sg-{concern}", "referencedSecurityGroupId": source, "fromPort": port, "toPort": port},
        deps={"securityGroupId": [database(concern).urn]},
    )


PATH = [CLUSTER, NAMESPACE, SGP, database("trading"), database("payments")]

CASES = {
    "k8s-workload-restricted": [
        workload(deployment(), "pass", "restricted container with requests and limits"),
        workload(deployment(changed(("securityContext", "runAsNonRoot"), None)), "fail", "may run as root"),
        workload(
            deployment(changed(("securityContext", "runAsNonRoot"), None), securityContext={"runAsNonRoot": True}),
            "pass",
            "non-root at pod level",
        ),
        workload(
            deployment(changed(("securityContext", "allowPrivilegeEscalation"), True)), "fail", "privilege escalation"
        ),
        workload(deployment(changed(("securityContext", "readOnlyRootFilesystem"), False)), "fail", "writable root"),
        workload(deployment(changed(("securityContext", "capabilities"), None)), "fail", "capabilities kept"),
        workload(deployment(changed(("securityContext", "seccompProfile"), None)), "fail", "no seccomp profile"),
        workload(deployment(changed(("resources", "limits"), None)), "fail", "no limits"),
        workload(deployment(hostNetwork=True), "fail", "host network"),
        workload({"spec": {"template": {"spec": U}}}, "pending", "pod template unknown", unknown=True),
    ],
    "k8s-image-pinned-by-digest": [
        workload(deployment(), "pass", "pinned by digest"),
        workload(deployment(changed(("image",), "orders:1.4.2")), "fail", "a tag"),
        workload(deployment(changed(("image",), "orders@sha256:abc")), "fail", "a truncated digest"),
        workload(deployment(changed(("image",), U)), "pending", "image unknown", unknown=True),
    ],
    "k8s-no-secret-in-manifest": [
        workload(deployment(), "pass", "no literal credentials"),
        workload(
            deployment(changed(("env",), [{"name": "DB_PASSWORD", "value": "hunter2"}])), "fail", "literal password"
        ),
        workload(
            deployment(changed(("env",), [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "x"}}}])),
            "pass",
            "password from a Secret reference",
        ),
        workload(
            deployment(changed(("env",), [{"name": "FINTECH_SECRETS_DIR", "value": "/var/run/secrets/fintech"}])),
            "pass",
            "a path to mounted secrets",
        ),
        rc(t.K8S_SECRET, {"metadata": {"name": "db"}, "stringData": {"password": "x"}}, "fail", "Secret", region=None),
        workload({"spec": {"template": {"spec": U}}}, "pending", "pod template unknown", unknown=True),
    ],
    "k8s-target-group-binding-resolves": [
        Case("target group, Service and port resolve", "pass", [TARGET_GROUP, SERVICE, binding()]),
        Case("matched by ARN without a dependency", "pass", [TARGET_GROUP, SERVICE, binding(deps=False)]),
        Case("target group not in the stack", "fail", [SERVICE, binding(arn="arn:aws:x", deps=False)]),
        Case("no such Service", "fail", [TARGET_GROUP, SERVICE, binding(name="ordres")]),
        Case("Service lacks the port", "fail", [TARGET_GROUP, SERVICE, binding(port=9090)]),
        Case("ARN unknown", "pending", [TARGET_GROUP, SERVICE, binding(arn=U, deps=False)], unknown=True),
    ],
    "k8s-workload-namespace-default-deny": [
        Case("namespace has default-deny", "pass", [WORKLOAD, deny()]),
        Case("namespace without a policy", "fail", [WORKLOAD, deny("crm")]),
        Case("only an allow-all policy", "fail", [WORKLOAD, allow_everything()]),
        Case("policy namespace unknown", "pending", [WORKLOAD, deny(U)], unknown=True),
    ],
    "eks-pod-data-paths-least-privilege": [
        Case("the concern's pods reach its database", "pass", [*PATH, ingress("sg-pods")]),
        Case("the cache admits a namespace that declares it", "pass", [*PATH, ingress("sg-pods", "cache", 6379)]),
        Case(
            "the cache admits a namespace that does not declare it",
            "fail",
            [CLUSTER, namespace("trading"), SGP, database("trading"), ingress("sg-pods", "cache", 6379)],
        ),
        Case("the database admits every pod (cluster group)", "fail", [*PATH, ingress("sg-cluster")]),
        Case("pods reach another concern's database", "fail", [*PATH, ingress("sg-pods", "payments")]),
        Case("source unknown", "pending", [*PATH, ingress(U)], unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect


def test_messages_never_echo_the_secret() -> None:
    case = workload(deployment(changed(("env",), [{"name": "API_TOKEN", "value": "s3cr3t"}])), "fail", "literal")
    messages = run_case("k8s-no-secret-in-manifest", case).messages("k8s-no-secret-in-manifest")
    assert messages and all("s3cr3t" not in message for message in messages)
