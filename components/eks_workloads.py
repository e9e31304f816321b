"""One service on EKS: its identity, its secrets, its workload objects and the binding that fills its target group.

Per :class:`~fintech_infra.eks_config.EksServiceSettings`, in the namespace of the service's concern:

- an IRSA role only ``<namespace>/<service>`` can assume, allowed to read exactly its concern's database
  secret (and the cache's, when it declares the cache) and to decrypt them through Secrets Manager;
- a ``ServiceAccount`` annotated with that role, a ``SecretStore`` authenticating as it (External Secrets'
  ``jwt`` auth: the controller holds no credentials) and an ``ExternalSecret`` that copies the secrets into
  a Kubernetes Secret mounted read-only. The manifests carry secret ARNs, never values;
- a ``Deployment`` under the restricted Pod Security profile (non-root, read-only root filesystem, no
  privilege escalation, all capabilities dropped, seccomp ``RuntimeDefault``, requests and limits, no
  service-account token), its image pinned by digest, spread across zones; no ``replicas`` (the
  HorizontalPodAutoscaler owns the count, so a GitOps sync never resets it);
- a ``Service`` (ClusterIP), a ``HorizontalPodAutoscaler`` (CPU) and a ``PodDisruptionBudget``;
- a ``TargetGroupBinding`` (``elbv2.k8s.aws/v1beta1``) naming the edge's target group for the service
  and the Service's port: the Load Balancer Controller registers the pods' IPs there;
- a ``NetworkPolicy`` allowing HTTPS out of the VPC only when the service declares external endpoints,
  only to their CIDRs when given (else any public address: NetworkPolicies cannot match hostnames).

These objects go through ``render`` (a Kubernetes provider that writes manifests to a directory, committed to
the GitOps repository, from which Argo CD syncs them with self-heal): :mod:`fintech_infra.eks_gitops`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from fintech_infra._naming import child
from fintech_infra.eks_addons import irsa_role
from fintech_infra.eks_config import EksServiceSettings
from fintech_infra.k8s_baseline import LABEL_PREFIX
from fintech_infra.routing import CONFIG_MAP_NAME
from fintech_infra.wiring import KeyRef

__all__ = [
    "EXTERNAL_SECRETS_API",
    "PRIVATE_RANGES",
    "RUN_AS_USER",
    "SECRETS_MOUNT",
    "TARGET_GROUP_BINDING_API",
    "ServiceIdentity",
    "manifest",
    "service_workload",
]

TARGET_GROUP_BINDING_API = "elbv2.k8s.aws/v1beta1"
EXTERNAL_SECRETS_API = "external-secrets.io/v1"
RUN_AS_USER = 10001
SECRETS_MOUNT = "/var/run/secrets/fintech"
ROUTING_MOUNT = "/etc/fintech/routing"
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10")
"""Excluded from "any public address": the VPC, peered networks, link-local (IMDS) and carrier-grade NAT."""


def manifest(value: Any) -> Any:
    """``value`` as pulumi-kubernetes receives it: a raw manifest fragment in Kubernetes' own camelCase field
    names (what ``kubectl``, Argo CD and the policy pack read), not the SDK's snake_case typed arguments."""
    return value


@dataclass(frozen=True)
class ServiceIdentity:
    """What a service may read: its secrets (by the key they appear under in its mounted Secret) and keys."""

    secrets: dict[str, pulumi.Input[str]]
    """File name in the mounted Secret (``database.json``, ``cache.json``) to a Secrets Manager ARN."""
    keys: Sequence[KeyRef]


def _read_policy(secret_arns: list[str], key_arns: list[str], region: str) -> str:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadOwnSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": sorted(secret_arns),
        }
    ]
    if key_arns:
        statements.append(
            {
                "Sid": "DecryptViaSecretsManager",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": sorted(key_arns),
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _security_context() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_USER,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _external_peers(service: EksServiceSettings) -> list[dict[str, Any]]:
    cidrs = sorted({cidr for endpoint in service.external_endpoints for cidr in endpoint.cidrs})
    if cidrs and all(endpoint.cidrs for endpoint in service.external_endpoints):
        return [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]
    return [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}]


def service_workload(
    prefix: str,
    service: EksServiceSettings,
    *,
    namespace: str,
    target_group_arn: pulumi.Input[str],
    vpc_id: pulumi.Input[str],
    region: pulumi.Input[str],
    identity: ServiceIdentity,
    issuer: pulumi.Output[str],
    oidc_provider_arn: pulumi.Input[str],
    render: k8s.Provider,
    parent: pulumi.Resource,
    standby: bool = False,
) -> None:
    """Register ``service``'s role (live, in AWS) and its Kubernetes objects (through ``render``).

    Children are named ``<prefix>-<service>-<role>``; ``standby`` (the DR region's warm standby) runs the
    service at one replica.
    """
    name = child(prefix, service.name)
    secret_arns = list(identity.secrets.values())
    role = irsa_role(
        name,
        "app",
        issuer=issuer,
        oidc_provider_arn=oidc_provider_arn,
        namespace=namespace,
        service_account=service.name,
        # IAM refuses a statement without resources: a service with nothing to read here gets no policy.
        policy_document=pulumi.Output.all(
            pulumi.Output.all(*secret_arns), pulumi.Output.all(*(key.arn for key in identity.keys)), region
        ).apply(lambda values: _read_policy(list(values[0]), list(values[1]), values[2]))
        if secret_arns
        else None,
        parent=parent,
    )
    opts = pulumi.ResourceOptions(parent=parent, provider=render)
    labels = {"app.kubernetes.io/name": service.name, f"{LABEL_PREFIX}/concern": service.concern.value}
    selector = {"app.kubernetes.io/name": service.name}

    def meta(object_name: str = service.name) -> dict[str, Any]:
        return {"name": object_name, "namespace": namespace, "labels": labels}

    k8s.core.v1.ServiceAccount(
        child(name, "sa"),
        metadata=manifest({**meta(), "annotations": {"eks.amazonaws.com/role-arn": role.arn}}),
        automount_service_account_token=False,
        opts=opts,
    )
    data_secret = f"{service.name}-data"
    if identity.secrets:
        _secret_sync(name, service, identity, data_secret=data_secret, region=region, meta=meta, opts=opts)
    secret_mounts: list[dict[str, Any]] = []
    secret_volumes: list[dict[str, Any]] = []
    if identity.secrets:
        secret_mounts.append({"name": "secrets", "mountPath": SECRETS_MOUNT, "readOnly": True})
        secret_volumes.append({"name": "secrets", "secret": {"secretName": data_secret, "defaultMode": 0o440}})
    port_name = "http"
    probe = {"httpGet": {"path": service.health_check_path, "port": port_name}, "periodSeconds": 10}
    k8s.apps.v1.Deployment(
        child(name, "deployment"),
        metadata=manifest(meta()),
        spec=manifest(
            {
                "selector": {"matchLabels": selector},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                "template": {
                    "metadata": {
                        "labels": labels,
                        # The managed collector scrapes annotated pods (fintech_infra.eks_alerts).
                        "annotations": {
                            "prometheus.io/scrape": "true",
                            "prometheus.io/port": str(service.container_port),
                            "prometheus.io/path": "/metrics",
                        },
                    },
                    "spec": {
                        "serviceAccountName": service.name,
                        "automountServiceAccountToken": False,
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": RUN_AS_USER,
                            "runAsGroup": RUN_AS_USER,
                            "fsGroup": RUN_AS_USER,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "topologySpreadConstraints": [
                            {
                                "maxSkew": 1,
                                "topologyKey": "topology.kubernetes.io/zone",
                                "whenUnsatisfiable": "ScheduleAnyway",
                                "labelSelector": {"matchLabels": selector},
                            }
                        ],
                        "containers": [
                            {
                                "name": service.name,
                                "image": service.image,
                                "ports": [{"name": port_name, "containerPort": service.container_port}],
                                "securityContext": _security_context(),
                                "resources": {
                                    "requests": {"cpu": service.cpu_request, "memory": service.memory_request},
                                    "limits": {"cpu": service.cpu_limit, "memory": service.memory_limit},
                                },
                                "readinessProbe": probe,
                                "livenessProbe": {**probe, "initialDelaySeconds": 15},
                                "env": [
                                    {"name": "FINTECH_SECRETS_DIR", "value": SECRETS_MOUNT},
                                    {"name": "FINTECH_ROUTING_DIR", "value": ROUTING_MOUNT},
                                ],
                                "volumeMounts": [
                                    {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 (an emptyDir)
                                    *secret_mounts,
                                    {"name": "routing", "mountPath": ROUTING_MOUNT, "readOnly": True},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                            *secret_volumes,
                            {"name": "routing", "configMap": {"name": CONFIG_MAP_NAME}},
                        ],
                    },
                },
            }
        ),
        opts=opts,
    )
    k8s.core.v1.Service(
        child(name, "service"),
        metadata=manifest(meta()),
        spec=manifest(
            {
                "type": "ClusterIP",
                "selector": selector,
                "ports": [{"name": port_name, "port": service.container_port, "targetPort": port_name}],
            }
        ),
        opts=opts,
    )
    floor = 1 if standby else service.min_replicas
    k8s.autoscaling.v2.HorizontalPodAutoscaler(
        child(name, "hpa"),
        metadata=manifest(meta()),
        spec=manifest(
            {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service.name},
                "minReplicas": floor,
                "maxReplicas": max(floor, service.max_replicas),
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": service.cpu_target_pct},
                        },
                    }
                ],
            }
        ),
        opts=opts,
    )
    k8s.policy.v1.PodDisruptionBudget(
        child(name, "pdb"),
        metadata=manifest(meta()),
        spec=manifest({"maxUnavailable": 1, "selector": {"matchLabels": selector}}),
        opts=opts,
    )
    k8s.apiextensions.CustomResource(
        child(name, "binding"),
        api_version=TARGET_GROUP_BINDING_API,
        kind="TargetGroupBinding",
        metadata=meta(),
        spec={
            "targetGroupARN": target_group_arn,
            "targetType": "ip",
            "vpcID": vpc_id,
            "serviceRef": {"name": service.name, "port": service.container_port},
        },
        opts=opts,
    )
    if service.external_endpoints:
        k8s.networking.v1.NetworkPolicy(
            child(name, "external-egress"),
            metadata=manifest(meta(f"{service.name}-external-egress")),
            spec=manifest(
                {
                    "podSelector": {"matchLabels": selector},
                    "policyTypes": ["Egress"],
                    "egress": [{"to": _external_peers(service), "ports": [{"port": 443, "protocol": "TCP"}]}],
                }
            ),
            opts=opts,
        )


def _secret_sync(
    name: str,
    service: EksServiceSettings,
    identity: ServiceIdentity,
    *,
    data_secret: str,
    region: pulumi.Input[str],
    meta: Callable[[str], dict[str, Any]],
    opts: pulumi.ResourceOptions,
) -> None:
    """The SecretStore and ExternalSecret that copy ``identity``'s secrets into the Secret ``data_secret``.

    External Secrets refuses an ExternalSecret with neither ``data`` nor ``dataFrom``, so a service with nothing
    to read in a region gets neither object (and mounts no Secret).
    """
    store = f"{service.name}-secrets"
    k8s.apiextensions.CustomResource(
        child(name, "secret-store"),
        api_version=EXTERNAL_SECRETS_API,
        kind="SecretStore",
        metadata=meta(store),
        spec={
            "provider": {
                "aws": {
                    "service": "SecretsManager",
                    "region": region,
                    "auth": {"jwt": {"serviceAccountRef": {"name": service.name}}},
                }
            }
        },
        opts=opts,
    )
    k8s.apiextensions.CustomResource(
        child(name, "external-secret"),
        api_version=EXTERNAL_SECRETS_API,
        kind="ExternalSecret",
        metadata=meta(data_secret),
        spec={
            "refreshInterval": "1h",
            "secretStoreRef": {"name": store, "kind": "SecretStore"},
            "target": {"name": data_secret, "creationPolicy": "Owner"},
            "data": [
                {"secretKey": file_name, "remoteRef": {"key": arn}} for file_name, arn in identity.secrets.items()
            ],
        },
        opts=opts,
    )
