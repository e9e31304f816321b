"""Kubernetes workload guardrails: restricted pods, pinned images, no secrets in manifests, provable paths.

The ingress path (target group -> TargetGroupBinding -> Service) and the pod-to-data paths (namespace ->
SecurityGroupPolicy -> pod security group -> data store ingress) are judged on the registered objects, so a
broken binding or an open path fails the gate before anything is deployed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Node, Resource, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown
from fintech_guardrails.registry import pci, resource_rule, stack_rule

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
CREDENTIAL_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.IGNORECASE)
REFERENCE_SUFFIXES = ("_DIR", "_PATH", "_FILE", "_ARN", "_ID", "_NAME", "_URL")
"""Names that point at a secret (a mounted file, an ARN) rather than hold one."""
DATA_PORTS = frozenset({5432, 6379})
CACHE = "cache"
"""What a namespace's data-concerns label lists when its workloads reach the cache."""
CONCERNS_LABEL = "fintech-infra.io/data-concerns"


def _pod_spec(r: Resource) -> Any:
    return r.get("spec", "template", "spec")


def _containers(spec: Any) -> list[Any]:
    if not isinstance(spec, dict):
        return []
    return [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]


def _restricted_problems(spec: dict[str, Any]) -> list[str]:
    pod = spec.get("securityContext") or {}
    problems: list[str] = []
    if spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"):
        problems.append("no host namespaces")
    for container in _containers(spec):
        name = dig(container, "name") or "?"
        context = dig(container, "securityContext") or {}
        non_root = context.get("runAsNonRoot", pod.get("runAsNonRoot"))
        seccomp = dig(context, "seccompProfile", "type") or dig(pod, "seccompProfile", "type")
        if non_root is not True:
            problems.append(f"container {name}: runAsNonRoot true")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"container {name}: allowPrivilegeEscalation false")
        if context.get("readOnlyRootFilesystem") is not True:
            problems.append(f"container {name}: readOnlyRootFilesystem true")
        if context.get("privileged") is True:
            problems.append(f"container {name}: not privileged")
        if "ALL" not in (dig(context, "capabilities", "drop") or []):
            problems.append(f"container {name}: capabilities.drop [ALL]")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"container {name}: seccompProfile RuntimeDefault")
        for kind in ("requests", "limits"):
            values = dig(container, "resources", kind) or {}
            if not (isinstance(values, dict) and values.get("cpu") and values.get("memory")):
                problems.append(f"container {name}: resources.{kind} for cpu and memory")
    return problems


@resource_rule(
    types=t.K8S_WORKLOADS,
    name="k8s-workload-restricted",
    severity=Severity.HIGH,
    framework=pci("2.2.6", "System security parameters are configured to prevent misuse"),
    tags=("cis-k8s:5.2", "checkov:CKV_K8S_20", "checkov:CKV_K8S_22", "checkov:CKV_K8S_28", "checkov:CKV_K8S_11"),
    remediation="Build workloads with fintech_infra.eks_workloads (restricted security contexts, requests and limits).",
)
def k8s_workload_restricted(r: Resource, out: Findings) -> None:
    """Workloads run under the restricted Pod Security profile with resource requests and limits.

    Every container runs as non-root, with no privilege escalation, a read-only root filesystem, all
    capabilities dropped and the RuntimeDefault seccomp profile (container or pod level), and has CPU and
    memory requests and limits; no host namespaces. Unset means the Kubernetes default (permissive) and is a
    violation. An unknown pod template is pending.
    """
    spec = _pod_spec(r)
    if is_unknown(spec) or contains_unknown(spec):
        out.wait("spec.template.spec")
        return
    if not isinstance(spec, dict) or not _containers(spec):
        out.fail("spec.template.spec must list the containers")
        return
    problems = _restricted_problems(spec)
    if problems:
        out.fail("the pod template must set " + "; ".join(problems))


@resource_rule(
    types=t.K8S_WORKLOADS,
    name="k8s-image-pinned-by-digest",
    severity=Severity.HIGH,
    framework=pci("6.3.2", "An inventory of bespoke and custom software is maintained"),
    tags=("PCI DSS 4.0.1 6.4.3", "checkov:CKV_K8S_43", "DORA 2022/2554 Art. 8"),
    remediation="Reference each image as <registry>/<repository>@sha256:<digest> (EksServiceSettings.image).",
)
def k8s_image_pinned(r: Resource, out: Findings) -> None:
    """Workload images are pinned by digest.

    A tag (``:latest``, ``:1.2``) can be moved to other content after review; only ``@sha256:<64 hex>`` names
    exactly what was scanned and approved. An unknown image is pending.
    """
    spec = _pod_spec(r)
    if is_unknown(spec):
        out.wait("spec.template.spec")
        return
    for container in _containers(spec):
        image = dig(container, "image")
        if is_unknown(image):
            out.wait("image")
        elif not (isinstance(image, str) and DIGEST.search(image)):
            out.fail(f"container {dig(container, 'name') or '?'}: the image must be pinned by @sha256 digest")


def _literal_credentials(spec: Any) -> Iterable[str]:
    for container in _containers(spec):
        for entry in dig(container, "env") or []:
            name = dig(entry, "name")
            if (
                isinstance(name, str)
                and CREDENTIAL_NAME.search(name)
                and not name.upper().endswith(REFERENCE_SUFFIXES)
                and dig(entry, "value") not in (None, "")
            ):
                yield f"{dig(container, 'name') or '?'}.{name}"


@resource_rule(
    types=(t.K8S_SECRET, *t.K8S_WORKLOADS),
    name="k8s-no-secret-in-manifest",
    severity=Severity.CRITICAL,
    framework=pci("8.3.2", "Strong cryptography renders all authentication factors unreadable during storage"),
    tags=("PCI DSS 4.0.1 3.5.1", "checkov:CKV_K8S_35"),
    exemptible=False,
    remediation=(
        "Keep secrets in Secrets Manager and let External Secrets copy them in (ExternalSecret with a per-service "
        "SecretStore); reference them from the pod, never as literal values."
    ),
)
def k8s_no_secret_in_manifest(r: Resource, out: Findings) -> None:
    """No secret value sits in a Kubernetes manifest.

    A ``Secret`` registered with ``data`` or ``stringData`` puts its value in the program, the state and (for
    rendered manifests) the GitOps repository: a violation, known or not. A container environment variable
    whose name looks like a credential with a literal ``value`` is one too (names ending ``_DIR``, ``_PATH``,
    ``_FILE``, ``_ARN``, ``_ID``, ``_NAME`` or ``_URL`` point at a secret and are not judged).
    """
    if r.type == t.K8S_SECRET:
        for field in ("data", "stringData"):
            value = r.get(field)
            if value not in (None, {}, ""):
                out.fail(f"{field} holds a secret value; let External Secrets create the Secret")
        return
    spec = _pod_spec(r)
    if is_unknown(spec):
        out.wait("spec.template.spec")
        return
    for where in _literal_credentials(spec):
        out.fail(f"env {where} is a literal credential; mount it from an ExternalSecret")


def _namespace(node: Node) -> Any:
    return dig(node.props, "metadata", "namespace")


def cluster_of(node: Node) -> Any:
    """The cluster a Kubernetes object goes to: its provider's kubeconfig server (a render provider shares the
    kubeconfig of the cluster's live provider); None without one, UNKNOWN while unknown."""
    kubeconfig = (node.provider_props or {}).get("kubeconfig")
    if isinstance(kubeconfig, dict) and "value" in kubeconfig:  # a secret, in the engine's wire form
        kubeconfig = kubeconfig["value"]
    if kubeconfig is None:
        return None
    if is_unknown(kubeconfig) or contains_unknown(kubeconfig):
        return UNKNOWN
    try:
        document = json.loads(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    except ValueError:
        return kubeconfig
    server = dig(document, "clusters", 0, "cluster", "server")
    return UNKNOWN if is_unknown(server) else server or str(kubeconfig)


def scope_of(node: Node) -> Any:
    """(cluster, namespace) of a namespaced object; UNKNOWN when either is unknown."""
    cluster, namespace = cluster_of(node), _namespace(node)
    if is_unknown(cluster) or is_unknown(namespace):
        return UNKNOWN
    return (cluster, namespace)


def _target_group_of(stack: Stack, binding: Node, arn: Any) -> Node | None:
    for target in stack.refs(binding, "spec", *t.TARGET_GROUPS):
        return target
    for target in stack.of_type(*t.TARGET_GROUPS):
        if target.get("arn") == arn:
            return target
    return None


def _service_ports(service: Node) -> set[Any]:
    return {dig(port, "port") for port in as_list(dig(service.props, "spec", "ports")) or []}


@stack_rule(
    name="k8s-target-group-binding-resolves",
    severity=Severity.HIGH,
    framework=pci("1.2.1", "Configuration standards for NSC rulesets are defined and maintained"),
    tags=("DORA 2022/2554 Art. 9(4)(e)",),
    remediation=(
        "Bind each service with fintech_infra.eks_workloads: spec.targetGroupARN from the edge's target group of "
        "this stack, spec.serviceRef naming the service's Service and port in the same namespace."
    ),
)
def k8s_target_group_binding_resolves(stack: Stack, out: Findings) -> None:
    """Every TargetGroupBinding names a target group of the stack and a Service port in its namespace.

    A binding to a target group the stack does not create, or to a Service (or port) that does not exist in
    the binding's namespace of the same cluster (the provider's kubeconfig server), leaves the ALB's target
    group empty: every request to that route fails. Unknown ARNs, names or clusters are pending.
    """
    services = stack.of_type(t.K8S_SERVICE)
    for binding in stack.of_type(t.K8S_TARGET_GROUP_BINDING):
        arn = dig(binding.props, "spec", "targetGroupARN")
        ref = dig(binding.props, "spec", "serviceRef")
        scope = scope_of(binding)
        if is_unknown(arn) or contains_unknown(ref) or scope is UNKNOWN:
            out.wait("spec.targetGroupARN, spec.serviceRef, metadata.namespace or the cluster", binding.urn)
            continue
        if _target_group_of(stack, binding, arn) is None:
            out.fail("spec.targetGroupARN must be a target group created in this stack", binding.urn)
        name, port = dig(ref, "name"), dig(ref, "port")
        matches = [s for s in services if dig(s.props, "metadata", "name") == name and scope_of(s) == scope]
        if not matches:
            out.fail("spec.serviceRef.name must name a Service in the binding's namespace and cluster", binding.urn)
        elif not any(port in _service_ports(service) for service in matches):
            out.fail("spec.serviceRef.port must be a port of that Service", binding.urn)


def denies_all(policy: Node) -> Any:
    """Whether ``policy`` is a default-deny (every pod, both directions, no allow rule); UNKNOWN while unknown."""
    selector = dig(policy.props, "spec", "podSelector")
    types = as_list(dig(policy.props, "spec", "policyTypes"))
    rules = [dig(policy.props, "spec", "ingress"), dig(policy.props, "spec", "egress")]
    if contains_unknown(selector) or types is UNKNOWN or any(is_unknown(rule) for rule in rules):
        return UNKNOWN
    return (
        not dig(selector, "matchLabels")
        and not dig(selector, "matchExpressions")
        and {"Ingress", "Egress"} <= set(types)
        and not any(rules)
    )


@stack_rule(
    name="k8s-workload-namespace-default-deny",
    severity=Severity.HIGH,
    framework=pci("1.3.1", "Inbound traffic to the CDE is restricted"),
    tags=("PCI DSS 4.0.1 1.3.2", "cis-k8s:5.3.2"),
    remediation="Run workloads only in namespaces from KubernetesBaseline (each has a default-deny NetworkPolicy).",
)
def k8s_workload_namespace_default_deny(stack: Stack, out: Findings) -> None:
    """Every workload runs in a namespace with a default-deny NetworkPolicy in the same stack and cluster.

    The namespace-level rule sees only namespaces the stack creates; this one starts from the workloads, so a
    Deployment in a namespace without its isolation (or whose policy was removed) fails. A default-deny selects
    every pod for Ingress and Egress and allows nothing; objects are matched per cluster (the provider's
    kubeconfig server), so the DR cluster's policy never covers the primary's namespace. Unknown namespaces,
    clusters or policies are pending.
    """
    covered: set[Any] = set()
    waiting = False
    for policy in stack.of_type(t.K8S_NETWORK_POLICY):
        scope, verdict = scope_of(policy), denies_all(policy)
        if scope is UNKNOWN or verdict is UNKNOWN:
            waiting = True
        elif verdict:
            covered.add(scope)
    for workload in stack.of_type(*t.K8S_WORKLOADS):
        scope = scope_of(workload)
        if scope is UNKNOWN or (waiting and scope not in covered):
            out.wait("metadata.namespace, the cluster or a NetworkPolicy", workload.urn)
        elif scope not in covered:
            out.fail("the workload's namespace has no default-deny NetworkPolicy for Ingress and Egress", workload.urn)


def _cluster_groups(stack: Stack) -> set[str]:
    groups: set[str] = set()
    for cluster in stack.of_type(t.EKS_CLUSTER):
        group = cluster.get("vpcConfig", "clusterSecurityGroupId")
        if isinstance(group, str):
            groups.add(group)
    return groups


def _pod_groups(stack: Stack) -> dict[str, str]:
    """Security group id -> the namespace whose SecurityGroupPolicy gives it to pods."""
    groups: dict[str, str] = {}
    for policy in stack.of_type(t.K8S_SECURITY_GROUP_POLICY):
        for group in as_list(dig(policy.props, "spec", "securityGroups", "groupIds")) or []:
            if isinstance(group, str):
                groups[group] = str(_namespace(policy))
    return groups


def _namespace_concerns(stack: Stack) -> dict[str, set[str]]:
    concerns: dict[str, set[str]] = {}
    for namespace in stack.of_type(t.K8S_NAMESPACE):
        name = dig(namespace.props, "metadata", "name")
        label = dig(namespace.props, "metadata", "labels", CONCERNS_LABEL)
        if isinstance(name, str) and isinstance(label, str):
            concerns[name] = set(label.split(".")) - {"none"}
    return concerns


@stack_rule(
    name="eks-pod-data-paths-least-privilege",
    severity=Severity.CRITICAL,
    framework=pci("1.3.1", "Inbound traffic to the CDE is restricted"),
    tags=("PCI DSS 4.0.1 7.2.1", "DORA 2022/2554 Art. 9(4)(e)"),
    remediation=(
        "Admit pods to a data store through their namespace's security group (fintech_infra.eks_pod_network), "
        "never through the EKS cluster security group that every pod and node wears."
    ),
)
def eks_pod_data_paths(stack: Stack, out: Findings) -> None:
    """Pods reach a data store only through their own concern namespace's security group.

    A data-store port (PostgreSQL 5432, Redis 6379) opened to the EKS cluster security group admits every pod
    of every namespace: a violation. A port opened to a pod security group (one a SecurityGroupPolicy hands
    to a namespace) must be on the data store of a concern that namespace declares (its
    ``fintech-infra.io/data-concerns`` label); the cache (6379) only to a namespace whose label lists
    ``cache``. Unknown group ids are pending.
    """
    cluster_groups = _cluster_groups(stack)
    if not cluster_groups and not stack.of_type(t.EKS_CLUSTER):
        return
    pod_groups = _pod_groups(stack)
    concerns = _namespace_concerns(stack)
    for rule in stack.of_type(t.SG_INGRESS_RULE):
        source = rule.get("referencedSecurityGroupId")
        low, high = rule.get("fromPort"), rule.get("toPort")
        # Numbers cross the analyzer protocol as floats.
        if not (isinstance(low, int | float) and isinstance(high, int | float)):
            continue
        if not any(low <= p <= high for p in DATA_PORTS):
            continue
        if is_unknown(source):
            out.wait("referencedSecurityGroupId", rule.urn)
            continue
        if source in cluster_groups:
            out.fail("a data-store port is open to the EKS cluster security group (every pod)", rule.urn)
            continue
        namespace = pod_groups.get(str(source))
        if namespace is None:
            continue
        declared = concerns.get(namespace, set())
        if not (low <= 5432 <= high):
            if CACHE not in declared:
                out.fail(f"namespace {namespace}'s pods reach the cache, which it does not declare", rule.urn)
            continue
        target = next(iter(stack.refs(rule, "securityGroupId", t.SECURITY_GROUP)), None)
        concern = stack.concern(target) if target is not None else None
        if concern is not None and concern not in declared:
            out.fail(
                f"namespace {namespace}'s pods reach the {concern} database, a concern it does not declare", rule.urn
            )
