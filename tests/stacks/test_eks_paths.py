"""prod-au on EKS, both regions: every service has a complete ingress path and least-privilege data paths.

Walked in the synthesized resources of the real program:

- ingress: the edge's listener rule -> the service's ALB target group -> a ``TargetGroupBinding`` naming its ARN
  -> the ``Service`` and port it references -> the ``Deployment`` whose pods that Service selects, listening
  on the target group's port;
- data: the service's namespace -> its ``SecurityGroupPolicy`` -> the pod security group -> the ingress rules
  of the data stores that admit it: its own concern's database and, when it declares it, the cache; nothing
  admits the EKS cluster security group;
- and the platform around them: the controller, Argo CD and its Applications, the alert rules, the access
  entries.

Then each defect the issue names is put back (a broken binding, a missing NetworkPolicy, an open
pod-to-database path) and the real pack fails the stack.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from fintech_infra.eks_charts import ARGO_CD, EXTERNAL_SECRETS, LOAD_BALANCER_CONTROLLER
from fintech_infra.testing import RecordedResource, Recording
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_deployability_network_defects import changed
from tests.stacks.test_stacks import ROOT, stack_config

STACK = "prod-au"
CLUSTERS = {"au": "ap-southeast-2", "au-dr": "ap-southeast-4"}
SERVICES = {"orders": "trading", "payments": "payments", "accounts": "crm", "audit-feed": "audit"}
TG = "aws:lb/targetGroup:TargetGroup"
RULE = "aws:lb/listenerRule:ListenerRule"
TGB = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
SERVICE = "kubernetes:core/v1:Service"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SGP = "kubernetes:vpcresources.k8s.aws/v1beta1:SecurityGroupPolicy"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"


@pytest.fixture(scope="module")
def rec(recordings: dict[str, Recording]) -> Recording:
    return recordings[STACK]


def _only(resources: list[RecordedResource]) -> RecordedResource:
    assert len(resources) == 1, [r.name for r in resources]
    return resources[0]


@pytest.mark.parametrize("cluster", CLUSTERS)
@pytest.mark.parametrize("service", SERVICES)
def test_ingress_path_is_complete(rec: Recording, cluster: str, service: str) -> None:
    group = rec.named(f"{cluster}-edge-{service}-tg", TG)
    assert group.region == CLUSTERS[cluster]
    rule = rec.named(f"{cluster}-edge-{service}-rule", RULE)
    assert rule.inputs["actions"][0]["targetGroupArn"] == group.outputs["arn"]
    binding = rec.named(f"{cluster}-eks-platform-{service}-binding", TGB)
    spec, namespace = binding.inputs["spec"], binding.inputs["metadata"]["namespace"]
    assert namespace == SERVICES[service]
    assert spec["targetGroupARN"] == group.outputs["arn"] and spec["targetType"] == "ip"
    k8s_service = _only(
        [
            s
            for s in rec.of_type(SERVICE)
            if s.provider == binding.provider
            and (s.inputs["metadata"]["name"], s.inputs["metadata"]["namespace"])
            == (spec["serviceRef"]["name"], namespace)
        ]
    )
    (port,) = [p for p in k8s_service.inputs["spec"]["ports"] if p["port"] == spec["serviceRef"]["port"]]
    selector = k8s_service.inputs["spec"]["selector"].items()
    deployment = _only(
        [
            d
            for d in rec.of_type(DEPLOYMENT)
            if d.provider == binding.provider
            and d.inputs["metadata"]["namespace"] == namespace
            and selector <= d.inputs["spec"]["template"]["metadata"]["labels"].items()
        ]
    )
    (container,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
    (listening,) = [p for p in container["ports"] if p["name"] == port["targetPort"]]
    assert listening["containerPort"] == group.inputs["port"]
    # The binding, Service and Deployment are rendered for Argo CD by the same service's render provider.
    assert binding.provider == k8s_service.provider == deployment.provider


DATA_STORES = {
    # The primary region: each concern's database, and the cache for trading (orders declares it).
    "au": {"crm": {"au-crm-sg"}, "trading": {"au-trading-sg", "au-cache-sg"}, "payments": {"au-payments-sg"},
           "audit": {"au-audit-sg"}},
    # The DR region: a copy of every concern (Aurora secondaries for trading and payments, cross-region replicas
    # for crm and audit, which meet the 15-minute RTO with them: issue 20) and the warm-standby cache for trading.
    "au-dr": {"crm": {"au-crm-dr-sg"}, "trading": {"au-trading-dr-sg", "au-dr-cache-sg"},
              "payments": {"au-payments-dr-sg"}, "audit": {"au-audit-dr-sg"}},
}  # fmt: skip


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_data_paths_are_least_privilege(rec: Recording, cluster: str) -> None:
    groups = {r.outputs["id"]: r for r in rec.of_type(SG)}
    admitted: dict[str, set[str]] = {}
    for rule in rec.of_type(INGRESS):
        if rule.inputs.get("fromPort") in (5432, 6379) and rule.inputs.get("referencedSecurityGroupId"):
            target = groups[rule.inputs["securityGroupId"]]
            admitted.setdefault(rule.inputs["referencedSecurityGroupId"], set()).add(target.name)
    cluster_group = rec.named(f"{cluster}-eks-cluster").outputs["vpcConfig"]["clusterSecurityGroupId"]
    assert cluster_group not in admitted
    for concern, stores in DATA_STORES[cluster].items():
        policy = rec.named(f"{cluster}-{concern}-pod-sg-policy", SGP)
        assert policy.inputs["metadata"]["namespace"] == concern and policy.inputs["spec"]["podSelector"] == {}
        (pod_group,) = policy.inputs["spec"]["securityGroups"]["groupIds"]
        assert groups[pod_group].name == f"{cluster}-pods-{concern}-sg"
        assert admitted.get(pod_group, set()) == stores


def test_every_workload_namespace_is_default_deny_and_only_payments_leaves_the_vpc(rec: Recording) -> None:
    denies = {
        p.inputs["metadata"]["namespace"]
        for p in rec.of_type(POLICY)
        if p.inputs["spec"]["podSelector"] == {} and set(p.inputs["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    }
    assert {d.inputs["metadata"]["namespace"] for d in rec.of_type(DEPLOYMENT)} <= denies
    assert {"argocd", "external-secrets"} <= denies
    external = [p for p in rec.of_type(POLICY) if p.name.endswith("-external-egress")]
    assert sorted(p.name for p in external) == [
        "au-dr-eks-platform-payments-external-egress",
        "au-eks-platform-payments-external-egress",
    ]
    for policy in external:
        (egress,) = policy.inputs["spec"]["egress"]
        assert egress == {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443, "protocol": "TCP"}]}


def test_workloads_are_restricted_pinned_and_secret_free(rec: Recording) -> None:
    for deployment in rec.of_type(DEPLOYMENT):
        pod = deployment.inputs["spec"]["template"]["spec"]
        assert "replicas" not in deployment.inputs["spec"]  # the HPA owns the count
        assert pod["automountServiceAccountToken"] is False
        (container,) = pod["containers"]
        assert "@sha256:" in container["image"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert all("value" not in env or not env["name"].endswith(("PASSWORD", "TOKEN")) for env in container["env"])
    secrets = rec.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
    orders = _only([s for s in secrets if s.name == "au-eks-platform-orders-external-secret"])
    assert {item["secretKey"] for item in orders.inputs["spec"]["data"]} == {"database.json", "cache.json"}
    assert rec.of_type("kubernetes:core/v1:Secret") == []


def test_every_mounted_secret_is_synced_and_every_sync_reads_something(rec: Recording) -> None:
    """External Secrets refuses an ExternalSecret without data, and IAM a read statement without resources: a
    service with nothing to read in a region (crm's and audit's DR standbys: no database there until failover)
    mounts no Secret and gets no read policy; every Secret a pod mounts is one an ExternalSecret fills."""
    synced = set()
    for external in rec.of_type("kubernetes:external-secrets.io/v1:ExternalSecret"):
        spec = external.inputs["spec"]
        assert spec.get("data") or spec.get("dataFrom"), external.name
        synced.add((external.name.split("-eks-platform-")[0], external.inputs["spec"]["target"]["name"]))
    mounted = set()
    for deployment in rec.of_type(DEPLOYMENT):
        cluster = deployment.name.split("-eks-platform-")[0]
        for volume in deployment.inputs["spec"]["template"]["spec"]["volumes"]:
            if "secret" in volume:
                mounted.add((cluster, volume["secret"]["secretName"]))
    # Argo CD reads its repository credentials from a synced Secret it does not mount.
    assert mounted == synced - {("au", "gitops-repository"), ("au-dr", "gitops-repository")}
    standby_without_data = {("au-dr", "accounts-data"), ("au-dr", "audit-feed-data")}
    assert not standby_without_data & mounted
    assert rec.named("au-dr-eks-platform-accounts-app-role") is not None
    assert not [r for r in rec.resources if r.name == "au-dr-eks-platform-accounts-app-permissions"]
    for permissions in rec.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(permissions.inputs["policy"])["Statement"]:
            assert statement.get("Resource") or statement.get("NotResource"), permissions.name


def test_controller_argocd_and_external_secrets_are_pinned(rec: Recording) -> None:
    releases = {(r.name, r.inputs["chart"], r.inputs["version"]) for r in rec.of_type(RELEASE)}
    for cluster in CLUSTERS:
        prefix = f"{cluster}-eks-platform"
        assert (f"{prefix}-lbc", LOAD_BALANCER_CONTROLLER.chart, LOAD_BALANCER_CONTROLLER.version) in releases
        assert (f"{prefix}-argocd", ARGO_CD.chart, ARGO_CD.version) in releases
        assert (f"{prefix}-external-secrets", EXTERNAL_SECRETS.chart, EXTERNAL_SECRETS.version) in releases
    lbc = rec.named("au-eks-platform-lbc", RELEASE).inputs["values"]
    assert lbc["region"] == "ap-southeast-2" and lbc["vpcId"] == rec.named("au-vpc-vpc").outputs["id"]
    assert lbc["createIngressClassResource"] is False and lbc["enableServiceMutatorWebhook"] is False
    policy = json.loads(rec.named("au-eks-platform-lbc-permissions").inputs["policy"])
    (register,) = [s for s in policy["Statement"] if "elasticloadbalancing:RegisterTargets" in s["Action"]]
    assert sorted(register["Resource"]) == sorted(rec.named(f"au-edge-{s}-tg", TG).outputs["arn"] for s in SERVICES)
    writes = {
        a for s in policy["Statement"] for a in s["Action"] if not a.split(":")[1].startswith(("Describe", "Get"))
    }
    assert writes == {"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"}
    argo = rec.named("au-eks-platform-argocd", RELEASE).inputs["values"]
    assert argo["server"]["service"]["type"] == "ClusterIP" and argo["configs"]["cm"]["admin.enabled"] == "false"
    assert argo["configs"]["rbac"]["policy.default"] == ""


def test_one_self_healing_application_per_service_from_config(rec: Recording) -> None:
    apps = {a.name: a.inputs["spec"] for a in rec.of_type(APPLICATION)}
    assert set(apps) == {f"{c}-eks-platform-{s}-app" for c in CLUSTERS for s in SERVICES}
    orders = apps["au-dr-eks-platform-orders-app"]
    assert orders["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert orders["source"]["repoURL"] == "https://git.example.com/platform/fintech-gitops"
    assert orders["source"]["path"] == "clusters/prod-au/au-dr/orders"
    assert orders["destination"]["namespace"] == "trading"
    credential = rec.named("au-eks-platform-argocd-repo-credential").inputs["spec"]
    reference = "arn:aws:secretsmanager:ap-southeast-2:444444444444:secret:fintech-infra/gitops-read-token-AbCdEf"
    assert credential["dataFrom"] == [{"extract": {"key": reference}}]
    assert credential["target"]["template"]["data"]["password"] == "{{ .password }}"


def test_alert_rules_route_by_severity_to_the_cell_alert_topics(rec: Recording) -> None:
    for cluster in CLUSTERS:
        rules = json.loads(rec.named(f"{cluster}-eks-platform-amp-rules").inputs["data"])
        alerts = {r["alert"]: r for r in rules["groups"][0]["rules"]}
        assert set(alerts) == {
            "OrderLatencyP95High",
            "TransactionFailureRateHigh",
            "ErrorRateHigh",
            "PodRestarting",
            "ContainerCpuHigh",
            "ContainerMemoryHigh",
            "HpaAtMaximum",
        }
        expr = {name: rule["expr"] for name, rule in alerts.items()}
        assert expr["OrderLatencyP95High"].endswith("> 0.5") and expr["TransactionFailureRateHigh"].endswith("> 0.001")
        assert expr["ErrorRateHigh"].endswith("> 0.01")
        assert (
            expr["ContainerCpuHigh"].endswith("> 0.8")
            and "container_cpu_usage_seconds_total" in expr["ContainerCpuHigh"]
        )
        assert expr["ContainerMemoryHigh"].endswith("> 0.8")
        assert {name for name, rule in alerts.items() if rule["labels"]["severity"] == "warning"} == {
            "ContainerCpuHigh",
            "ContainerMemoryHigh",
            "HpaAtMaximum",
        }
        definition = json.loads(rec.named(f"{cluster}-eks-platform-amp-alertmanager").inputs["definition"])
        config = json.loads(definition["alertmanager_config"])
        receivers = {r["name"]: r["sns_configs"][0]["topic_arn"] for r in config["receivers"]}
        prefix = "au" if cluster == "au" else "au-dr"
        critical = rec.named(f"{prefix}-alarms-critical-topic").outputs["arn"]
        warning = rec.named(f"{prefix}-alarms-warning-topic").outputs["arn"]
        assert receivers == {"alarm-topic": critical, "warning-topic": warning}
        assert config["route"]["receiver"] == "alarm-topic"
        assert config["route"]["routes"] == [{"receiver": "warning-topic", "matchers": ['severity="warning"']}]
        topic_policy = json.loads(rec.named(f"{prefix}-alarms-critical-policy").inputs["policy"])
        assert any(s["Principal"] == {"Service": "aps.amazonaws.com"} for s in topic_policy["Statement"])
        scrape = json.loads(rec.named(f"{cluster}-eks-platform-amp-scraper").inputs["scrapeConfiguration"])
        assert "cadvisor" in [job["job_name"] for job in scrape["scrape_configs"]]


def test_access_entries_are_the_deploy_and_break_glass_roles_only(rec: Recording) -> None:
    for cluster in CLUSTERS:
        entries = {
            e.inputs["principalArn"]
            for e in rec.of_type("aws:eks/accessEntry:AccessEntry")
            if e.name.startswith(f"{cluster}-eks-")
        }
        assert entries == {
            "arn:aws:iam::444444444444:role/fintech-infra-deploy",
            "arn:aws:iam::444444444444:role/fintech-infra-break-glass",
        }


# -- defects put back --------------------------------------------------------------------------------------------


def _without(recording: Recording, name: str) -> Recording:
    return dataclasses.replace(recording, resources=tuple(r for r in recording.resources if r.name != name))


def _replace(recording: Recording, name: str, change: Callable[[RecordedResource], dict[str, Any]]) -> Recording:
    found = recording.named(name)
    return dataclasses.replace(
        recording, resources=tuple(changed(r, change(r)) if r.urn == found.urn else r for r in recording.resources)
    )


def broken_binding(recording: Recording) -> Recording:
    def retarget(binding: RecordedResource) -> dict[str, Any]:
        spec = {**binding.inputs["spec"], "serviceRef": {"name": "ordres", "port": 8080}}
        return {"spec": spec}

    return _replace(recording, "au-eks-platform-orders-binding", retarget)


def missing_network_policy(recording: Recording) -> Recording:
    return _without(recording, "au-k8s-baseline-trading-default-deny")


def open_database(recording: Recording) -> Recording:
    cluster_group = recording.named("au-eks-cluster").outputs["vpcConfig"]["clusterSecurityGroupId"]
    return _replace(
        recording, "au-trading-sg-from-pods-trading", lambda _: {"referencedSecurityGroupId": cluster_group}
    )


DEFECTS = {
    "broken binding": (broken_binding, "k8s-target-group-binding-resolves", "au-eks-platform-orders-binding"),
    "missing NetworkPolicy": (
        missing_network_policy,
        "k8s-workload-namespace-default-deny",
        "au-eks-platform-orders-deployment",
    ),
    "open pod-to-database path": (
        open_database,
        "eks-pod-data-paths-least-privilege",
        "au-trading-sg-from-pods-trading",
    ),
}


def _judge(judge_policy: Callable[..., Verdict], recording: Recording) -> Verdict:
    return judge_policy(recording, policy_pack=ROOT / "policy", stack_config=stack_config(STACK))


def test_the_shipped_stack_passes(rec: Recording, judge_policy: Callable[..., Verdict]) -> None:
    verdict = _judge(judge_policy, rec)
    assert verdict.mandatory == []
    assert {"k8s-target-group-binding-resolves", "eks-pod-data-paths-least-privilege"} <= {
        p.name for p in verdict.policies
    }


@pytest.mark.parametrize("defect", DEFECTS, ids=list(DEFECTS))
def test_the_gate_fails_the_defect_put_back(rec: Recording, judge_policy: Callable[..., Verdict], defect: str) -> None:
    reintroduce, policy, resource = DEFECTS[defect]
    verdict = _judge(judge_policy, reintroduce(rec))
    flagged = {finding.urn.rsplit("::", 1)[-1] for finding in verdict.mandatory if finding.policy == policy}
    assert resource in flagged


def test_the_warm_standby_pulls_its_images_from_the_dr_registry_that_ecr_replication_fills(rec: Recording) -> None:
    images = {
        (
            d.name.split("-eks-platform-")[0],
            d.inputs["spec"]["template"]["spec"]["containers"][0]["image"].split("/")[0],
        )
        for d in rec.of_type(DEPLOYMENT)
    }
    assert images == {(cluster, f"444444444444.dkr.ecr.{region}.amazonaws.com") for cluster, region in CLUSTERS.items()}
    (replication,) = rec.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")
    (rule,) = replication.inputs["replicationConfiguration"]["rules"]
    assert rule["destinations"] == [{"region": "ap-southeast-4", "registryId": "444444444444"}]
    assert sorted(f["filter"] for f in rule["repositoryFilters"]) == sorted(SERVICES)


def test_a_namespace_declares_the_cache_only_when_one_of_its_services_uses_it(rec: Recording) -> None:
    labels = {
        (n.name, n.inputs["metadata"]["name"]): n.inputs["metadata"]["labels"]["fintech-infra.io/data-concerns"]
        for n in rec.of_type("kubernetes:core/v1:Namespace")
        if n.inputs["metadata"]["name"] in SERVICES.values()
    }
    assert len(labels) == 2 * len(SERVICES)
    for (_, namespace), label in labels.items():
        assert label == ("trading.cache" if namespace == "trading" else namespace)  # orders declares the cache
