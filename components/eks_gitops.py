"""GitOps in the cluster: External Secrets, Argo CD, and one Application per service that self-heals drift.

The split of ownership:

- ``pulumi up`` registers every service's Kubernetes objects (:mod:`fintech_infra.eks_workloads`) through a
  *render* provider per service (pulumi-kubernetes ``renderYamlToDirectory``): the manifests are written to
  ``rendered/<gitops.path>/<cluster>/<service>/`` instead of being applied, and the policy pack judges them
  like any other resource. The deploy job commits that folder to the GitOps repository (docs/eks.md).
- Argo CD, installed here from a pinned chart (:mod:`fintech_infra.eks_charts`), syncs each service's folder
  with ``automated: {prune: true, selfHeal: true}``: a change made in the cluster by hand is reverted, not just
  reported. An ``AppProject`` limits the Applications to that repository, the cell's workload namespaces and
  the kinds a service is made of; no cluster-scoped kind.
- Live (applied by Pulumi): the platform namespaces, the Helm releases, the AppProject, the Applications and
  Argo CD's repository credential.

Argo CD is private and SSO-ready: its server is a ClusterIP service (no Ingress, no LoadBalancer; reached with
``kubectl port-forward`` under the cluster's access entries), the local admin is disabled, RBAC maps two SSO
groups (admin, read-only) and denies everyone else, and an OIDC issuer can be named in config (PKCE, so no
client secret). The repository credential is a reference: an ``ExternalSecret`` copies a Secrets Manager
secret (``username``/``password``) into a Secret labelled as an Argo CD repository, under an IRSA role that
may read that one secret.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from fintech_infra._naming import child
from fintech_infra.eks_addons import irsa_role
from fintech_infra.eks_charts import ARGO_CD, EXTERNAL_SECRETS, ChartPin
from fintech_infra.eks_config import GitOpsSettings
from fintech_infra.eks_workloads import EXTERNAL_SECRETS_API, PRIVATE_RANGES, manifest

__all__ = [
    "ARGO_CD_API",
    "ARGO_CD_NAMESPACE",
    "EXTERNAL_SECRETS_NAMESPACE",
    "IN_CLUSTER",
    "RENDER_ROOT",
    "SERVICE_KINDS",
    "GitOps",
    "render_directory",
]

ARGO_CD_NAMESPACE = "argocd"
EXTERNAL_SECRETS_NAMESPACE = "external-secrets"
ARGO_CD_API = "argoproj.io/v1alpha1"
IN_CLUSTER = "https://kubernetes.default.svc"
RENDER_ROOT = "rendered"
"""Folder (relative to the Pulumi program's directory) the render providers write manifests under."""
SERVICE_KINDS: tuple[tuple[str, str], ...] = (
    ("", "ServiceAccount"),
    ("", "Service"),
    ("apps", "Deployment"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("policy", "PodDisruptionBudget"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("elbv2.k8s.aws", "TargetGroupBinding"),
    ("external-secrets.io", "SecretStore"),
    ("external-secrets.io", "ExternalSecret"),
)
"""The namespaced kinds an Application may sync (the AppProject's whitelist): what a service is made of."""
REPO_CREDENTIAL_ACCOUNT = "repo-credential"


def render_directory(gitops: GitOpsSettings, cluster: str, service: str) -> str:
    """Where ``service``'s manifests are rendered, and (without the root) its folder in the GitOps repository."""
    return f"{RENDER_ROOT}/{gitops.path}/{cluster}/{service}"


def _release(
    name: str, chart: ChartPin, namespace: str, values: dict[str, Any], opts: pulumi.ResourceOptions
) -> k8s.helm.v3.Release:
    return k8s.helm.v3.Release(
        name,
        name=chart.chart,
        chart=chart.chart,
        version=chart.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository),
        namespace=namespace,
        atomic=True,
        values=values,
        opts=opts,
    )


def _argo_values(gitops: GitOpsSettings) -> dict[str, Any]:
    cm: dict[str, Any] = {"admin.enabled": "false", "exec.enabled": "false"}
    if gitops.sso_issuer_url is not None:
        cm["oidc.config"] = json.dumps(
            {
                "name": "SSO",
                "issuer": gitops.sso_issuer_url,
                "clientID": gitops.sso_client_id,
                "enablePKCEAuthentication": True,
                "requestedScopes": ["openid", "profile", "email", "groups"],
            }
        )
    return {
        "crds": {"install": True, "keep": True},
        # The baseline's default-deny and allows cover the namespace; the chart's own policies would overlap.
        "global": {"networkPolicy": {"create": False}},
        "dex": {"enabled": False},
        "configs": {
            "cm": cm,
            "params": {"server.insecure": False},
            "rbac": {
                "policy.default": "",
                "policy.csv": f"g, {gitops.admin_group}, role:admin\ng, {gitops.readonly_group}, role:readonly\n",
                "scopes": "[groups]",
            },
        },
        "server": {"service": {"type": "ClusterIP"}, "ingress": {"enabled": False}},
    }


class GitOps:
    """External Secrets and Argo CD releases, the repository credential, the AppProject and the Applications.

    Not a component: its children belong to the compute tier's parent (``opts``).
    """

    def __init__(
        self,
        prefix: str,
        gitops: GitOpsSettings,
        *,
        cluster: str,
        namespaces: Sequence[str],
        region: pulumi.Input[str],
        issuer: pulumi.Output[str],
        oidc_provider_arn: pulumi.Input[str],
        provider: k8s.Provider,
        parent: pulumi.Resource,
        opts: pulumi.ResourceOptions,
        depends_on: Sequence[pulumi.Resource],
    ) -> None:
        """``depends_on`` holds what the platform namespaces need first (their baseline); ``parent`` owns the
        IAM role and ``opts`` carries it with the region's providers."""
        self._prefix, self._gitops, self._cluster, self._parent = prefix, gitops, cluster, parent
        live = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=provider))
        after_baseline = pulumi.ResourceOptions.merge(live, pulumi.ResourceOptions(depends_on=list(depends_on)))
        self.external_secrets = _release(
            child(prefix, "external-secrets"),
            EXTERNAL_SECRETS,
            EXTERNAL_SECRETS_NAMESPACE,
            {"installCRDs": True, "serviceAccount": {"create": True}},
            after_baseline,
        )
        self.argocd = _release(
            child(prefix, "argocd"), ARGO_CD, ARGO_CD_NAMESPACE, _argo_values(gitops), after_baseline
        )
        k8s.networking.v1.NetworkPolicy(
            child(prefix, "argocd-allow-git-https"),
            metadata=manifest({"name": "allow-git-https", "namespace": ARGO_CD_NAMESPACE}),
            spec=manifest(
                {
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "argocd-repo-server"}},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}],
                            "ports": [{"port": 443, "protocol": "TCP"}],
                        }
                    ],
                }
            ),
            opts=after_baseline,
        )
        self._repo_credential(region, issuer, oidc_provider_arn, opts, live)
        with_argo = pulumi.ResourceOptions.merge(live, pulumi.ResourceOptions(depends_on=[self.argocd]))
        self.project = k8s.apiextensions.CustomResource(
            child(prefix, "argocd-project"),
            api_version=ARGO_CD_API,
            kind="AppProject",
            metadata={"name": "services", "namespace": ARGO_CD_NAMESPACE},
            spec={
                "description": f"The services of cluster {cluster}",
                "sourceRepos": [gitops.repo_url],
                "destinations": [{"server": IN_CLUSTER, "namespace": namespace} for namespace in namespaces],
                "clusterResourceWhitelist": [],
                "namespaceResourceWhitelist": [{"group": group, "kind": kind} for group, kind in SERVICE_KINDS],
            },
            opts=with_argo,
        )
        self._with_project = pulumi.ResourceOptions.merge(live, pulumi.ResourceOptions(depends_on=[self.project]))
        self.applications: dict[str, k8s.apiextensions.CustomResource] = {}

    def render_provider(
        self, service: str, kubeconfig: pulumi.Input[str], opts: pulumi.ResourceOptions
    ) -> k8s.Provider:
        """The provider ``service``'s objects are registered through: it writes them to its folder."""
        return k8s.Provider(
            child(self._prefix, f"{service}-render"),
            kubeconfig=kubeconfig,
            render_yaml_to_directory=render_directory(self._gitops, self._cluster, service),
            opts=opts,
        )

    def application(self, service: str, namespace: str) -> k8s.apiextensions.CustomResource:
        """An Application syncing ``service``'s folder into ``namespace``, automated with prune and self-heal."""
        app = k8s.apiextensions.CustomResource(
            child(self._prefix, f"{service}-app"),
            api_version=ARGO_CD_API,
            kind="Application",
            metadata={"name": service, "namespace": ARGO_CD_NAMESPACE},
            spec={
                "project": "services",
                "source": {
                    "repoURL": self._gitops.repo_url,
                    "targetRevision": self._gitops.revision,
                    "path": render_directory(self._gitops, self._cluster, service).removeprefix(f"{RENDER_ROOT}/"),
                    "directory": {"recurse": True},
                },
                "destination": {"server": IN_CLUSTER, "namespace": namespace},
                "syncPolicy": {
                    "automated": {"prune": True, "selfHeal": True},
                    "syncOptions": ["CreateNamespace=false", "PruneLast=true"],
                    "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
                },
            },
            opts=self._with_project,
        )
        self.applications[service] = app
        return app

    def _repo_credential(
        self,
        region: pulumi.Input[str],
        issuer: pulumi.Output[str],
        oidc_provider_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions,
        live: pulumi.ResourceOptions,
    ) -> None:
        secret_arn = self._gitops.credential_secret_arn
        role = irsa_role(
            self._prefix,
            "argocd-repo",
            issuer=issuer,
            oidc_provider_arn=oidc_provider_arn,
            namespace=ARGO_CD_NAMESPACE,
            service_account=REPO_CREDENTIAL_ACCOUNT,
            policy_document=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadRepositoryCredential",
                            "Effect": "Allow",
                            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                            "Resource": secret_arn,
                        }
                    ],
                }
            ),
            parent=self._parent,
        )
        with_eso = pulumi.ResourceOptions.merge(live, pulumi.ResourceOptions(depends_on=[self.external_secrets]))
        account = k8s.core.v1.ServiceAccount(
            child(self._prefix, "argocd-repo-sa"),
            metadata={
                "name": REPO_CREDENTIAL_ACCOUNT,
                "namespace": ARGO_CD_NAMESPACE,
                "annotations": {"eks.amazonaws.com/role-arn": role.arn},
            },
            automount_service_account_token=False,
            opts=with_eso,
        )
        store = k8s.apiextensions.CustomResource(
            child(self._prefix, "argocd-repo-store"),
            api_version=EXTERNAL_SECRETS_API,
            kind="SecretStore",
            metadata={"name": REPO_CREDENTIAL_ACCOUNT, "namespace": ARGO_CD_NAMESPACE},
            spec={
                "provider": {
                    "aws": {
                        "service": "SecretsManager",
                        "region": region,
                        "auth": {"jwt": {"serviceAccountRef": {"name": REPO_CREDENTIAL_ACCOUNT}}},
                    }
                }
            },
            opts=pulumi.ResourceOptions.merge(with_eso, pulumi.ResourceOptions(depends_on=[account])),
        )
        k8s.apiextensions.CustomResource(
            child(self._prefix, "argocd-repo-credential"),
            api_version=EXTERNAL_SECRETS_API,
            kind="ExternalSecret",
            metadata={"name": "gitops-repository", "namespace": ARGO_CD_NAMESPACE},
            spec={
                "refreshInterval": "1h",
                "secretStoreRef": {"name": REPO_CREDENTIAL_ACCOUNT, "kind": "SecretStore"},
                "target": {
                    "name": "gitops-repository",
                    "creationPolicy": "Owner",
                    "template": {
                        "metadata": {"labels": {"argocd.argoproj.io/secret-type": "repository"}},
                        # Only placeholders: External Secrets fills them from the secret's JSON keys.
                        "data": {
                            "type": "git",
                            "url": self._gitops.repo_url,
                            "username": "{{ .username }}",
                            "password": "{{ .password }}",
                        },
                    },
                },
                "dataFrom": [{"extract": {"key": secret_arn}}],
            },
            opts=pulumi.ResourceOptions.merge(with_eso, pulumi.ResourceOptions(depends_on=[store])),
        )
