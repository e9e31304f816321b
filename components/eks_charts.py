"""The Helm charts an EKS cell installs, pinned, each with where the version was read and when.

A chart version is pinned (never "latest"): an upgrade is a reviewed change of one line here. Each pin names
the chart's ``Chart.yaml`` at the release tag it was read from, the app version that chart ships and the
Kubernetes range it declares; all three are compatible with :data:`~fintech_infra.aws_facts.EKS_DEFAULT_VERSION`
(1.35). Checked 2026-12-07 against the repositories' newest snapshots available offline; a newer release may
exist (``helm search repo <repo>/<chart> --versions`` from a runner settles it).

The EKS managed add-ons (vpc-cni, kube-proxy, eks-pod-identity-agent, coredns) are not pinned here: each
resolves, when the program runs, to the newest version EKS lists for the cluster's Kubernetes version
(:mod:`fintech_infra.eks_addons`), so an upgraded control plane never keeps add-ons built for the previous one.
:data:`EKS_ADDONS` lists them as data, with that source.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ARGO_CD",
    "CHARTS",
    "EKS_ADDONS",
    "EXTERNAL_SECRETS",
    "LOAD_BALANCER_CONTROLLER",
    "ChartPin",
]

CHECKED = "2026-12-07"


@dataclass(frozen=True)
class ChartPin:
    """One Helm chart at one version, from one repository."""

    chart: str
    version: str
    repository: str
    """The chart repository URL Helm fetches the chart from."""
    app_version: str
    kube_version: str
    """The ``kubeVersion`` constraint the chart declares ('' when it declares none)."""
    source: str
    """Where the version was read: repository, file and tag or commit."""
    checked: str = CHECKED


LOAD_BALANCER_CONTROLLER = ChartPin(
    chart="aws-load-balancer-controller",
    version="3.5.0",
    repository="https://aws.github.io/eks-charts",
    app_version="v3.5.0",
    kube_version="",
    source="kubernetes-sigs/aws-load-balancer-controller helm/aws-load-balancer-controller/Chart.yaml at tag "
    "v3.5.0 (11eb202c, 2026-08-03), synced to aws/eks-charts; requires Kubernetes 1.22+ (eks-charts release notes)",
)
"""The controller's IAM permissions are in :mod:`fintech_infra.eks_lb_controller`, taken from
``docs/install/iam_policy.json`` at the same tag."""

ARGO_CD = ChartPin(
    chart="argo-cd",
    version="10.1.1",
    repository="https://argoproj.github.io/argo-helm",
    app_version="v3.4.4",
    kube_version=">=1.25.0-0",
    source="argoproj/argo-helm charts/argo-cd/Chart.yaml at tag argo-cd-10.1.1 (af0a9310, 2026-07-02)",
)

EXTERNAL_SECRETS = ChartPin(
    chart="external-secrets",
    version="2.9.0",
    repository="https://charts.external-secrets.io",
    app_version="v2.9.0",
    kube_version=">= 1.19.0-0",
    source="external-secrets/external-secrets deploy/charts/external-secrets/Chart.yaml at tag helm-chart-2.9.0 "
    "(cc5bfbc2, 2026-08-08); API external-secrets.io/v1 (docs/provider/aws-access.md at the same tag)",
)

CHARTS: tuple[ChartPin, ...] = (LOAD_BALANCER_CONTROLLER, ARGO_CD, EXTERNAL_SECRETS)

EKS_ADDONS: dict[str, str] = {
    "vpc-cni": "resolved at deploy time: aws.eks.get_addon_version(most_recent=True) for the cluster's version",
    "kube-proxy": "resolved at deploy time: aws.eks.get_addon_version(most_recent=True) for the cluster's version",
    "eks-pod-identity-agent": "resolved at deploy time: aws.eks.get_addon_version(most_recent=True)",
    "coredns": "resolved at deploy time: aws.eks.get_addon_version(most_recent=True) for the cluster's version",
}
"""The managed add-ons and how their versions are chosen (``aws eks describe-addon-versions
--kubernetes-version 1.35 --addon-name <name>`` shows the same list from a shell)."""
