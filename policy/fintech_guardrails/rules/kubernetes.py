"""Kubernetes tenancy guardrails: default-deny network policies, Pod Security `restricted`, no `default`."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import equals, require
from fintech_guardrails.model import Findings, Resource, Stack, expect
from fintech_guardrails.preview import UNKNOWN, dig, is_unknown
from fintech_guardrails.registry import pci, resource_rule, stack_rule
from fintech_guardrails.rules.kubernetes_workloads import cluster_of, denies_all, scope_of

SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
CLUSTER_SCOPED = (
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:PersistentVolume",
    "kubernetes:core/v1:Node",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
    "kubernetes:storage.k8s.io/v1:StorageClass",
    "kubernetes:storage.k8s.io/v1:CSIDriver",
    "kubernetes:scheduling.k8s.io/v1:PriorityClass",
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
    "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
    "kubernetes:apiregistration.k8s.io/v1:APIService",
    "kubernetes:networking.k8s.io/v1:IngressClass",
    "kubernetes:node.k8s.io/v1:RuntimeClass",
)


def namespace_name(node_props: dict[str, object], fallback: str) -> object:
    """A Namespace's name: ``metadata.name``, else the logical name (the provider auto-names from it)."""
    name = dig(node_props, "metadata", "name")
    return fallback if name is None else name


@stack_rule(
    name="k8s-namespace-default-deny",
    severity=Severity.HIGH,
    framework=pci("1.3.1", "Inbound traffic to the CDE is restricted"),
    tags=("PCI DSS 4.0.1 1.2.1", "checkov:CKV2_K8S_6", "cis-k8s:5.3.2"),
    remediation=(
        "KubernetesBaseline creates a default-deny NetworkPolicy (podSelector {}, Ingress and Egress) per namespace."
    ),
)
def k8s_default_deny(stack: Stack, out: Findings) -> None:
    """Every application namespace has a default-deny NetworkPolicy for ingress and egress.

    A policy counts when it is in the namespace of the same cluster (its provider's kubeconfig server, so a DR
    cluster's policy never covers the primary's namespace of the same name), selects every pod (empty
    ``podSelector``), lists both ``Ingress`` and ``Egress`` in ``policyTypes`` and has no allow rule. Unknown
    names, clusters or specs are pending.
    """
    covered: set[Any] = set()
    waiting = False
    for policy in stack.of_type(t.K8S_NETWORK_POLICY):
        scope, verdict = scope_of(policy), denies_all(policy)
        if scope is UNKNOWN or verdict is UNKNOWN:
            waiting = True
        elif verdict and isinstance(scope[1], str):
            covered.add(scope)
    for namespace in stack.of_type(t.K8S_NAMESPACE):
        name, cluster = namespace_name(namespace.props, namespace.name), cluster_of(namespace)
        if is_unknown(name) or is_unknown(cluster):
            out.wait("metadata.name or the cluster", namespace.urn)
        elif name in SYSTEM_NAMESPACES or (cluster, name) in covered:
            continue
        elif waiting:
            out.wait("network policy namespace or spec", namespace.urn)
        else:
            out.fail("the namespace has no default-deny NetworkPolicy for Ingress and Egress", namespace.urn)


@resource_rule(
    types=(t.K8S_NAMESPACE,),
    name="k8s-pod-security-restricted",
    severity=Severity.HIGH,
    framework=pci("2.2.6", "System security parameters are configured to prevent misuse"),
    tags=("cis-k8s:5.2", "checkov:CKV_K8S_16", "checkov:CKV_K8S_20", "checkov:CKV_K8S_23"),
    remediation="Label the namespace pod-security.kubernetes.io/enforce=restricted (KubernetesBaseline does).",
)
def k8s_pod_security(r: Resource, out: Findings) -> None:
    """Namespaces enforce the Pod Security Standard `restricted`.

    No ``pod-security.kubernetes.io/enforce`` label means the cluster default (privileged) and is a violation.
    System namespaces are skipped. Unknown labels are pending.
    """
    if namespace_name(r.props, r.name) in SYSTEM_NAMESPACES:
        return
    if r.get("metadata", "labels") is UNKNOWN:
        out.wait("metadata.labels")
        return
    require(
        r,
        out,
        ("metadata", "labels", ENFORCE_LABEL),
        equals("restricted"),
        message=f"label {ENFORCE_LABEL} must be restricted",
    )


def namespaced_kubernetes(resource_type: str) -> bool:
    return (
        resource_type.startswith("kubernetes:")
        and not resource_type.startswith("pulumi:")
        and resource_type not in CLUSTER_SCOPED
        and not resource_type.endswith(("List", "Patch"))
    )


@resource_rule(
    types=("kubernetes:* (namespaced kinds)",),
    applies_to=namespaced_kubernetes,
    name="k8s-no-default-namespace",
    severity=Severity.MEDIUM,
    framework=pci("2.2.3", "Primary functions requiring different security levels are managed"),
    tags=("checkov:CKV_K8S_21", "cis-k8s:5.7.4"),
    remediation="Set metadata.namespace to one of the cell's application namespaces.",
)
def k8s_no_default_namespace(r: Resource, out: Findings) -> None:
    """Nothing is deployed into the `default` namespace.

    ``metadata.namespace`` (or a Helm release's ``namespace``) unset means the provider's default namespace,
    normally `default`, and is a violation. Unknown namespaces are pending.
    """
    namespace = r.get("namespace") if r.type.startswith("kubernetes:helm.sh/") else r.get("metadata", "namespace")
    expect(
        out,
        namespace,
        lambda v: isinstance(v, str) and bool(v) and v != "default",
        "set metadata.namespace to an application namespace, not default",
        what="metadata.namespace",
    )
