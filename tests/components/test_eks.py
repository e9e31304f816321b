"""EksCluster under the mock engine: control plane, access, nodes, IRSA, add-ons and the Kubernetes provider."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra.config import EksSettings
from fintech_infra.eks import EksCluster
from fintech_infra.errors import ConfigError
from fintech_infra.testing import Recording, synthesize
from fintech_infra.validation import load_stack_config
from fintech_infra.wiring import AppNetwork, KeyRef

REGION = "eu-central-1"
ACCOUNT = "123456789012"
SECRETS_KEY = KeyRef(arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/platform", alias="alias/eu/platform")
LOGS_KEY = KeyRef(arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/logs", alias="alias/eu/logs")
ADMINS = (f"arn:aws:iam::{ACCOUNT}:role/fintech-deploy", f"arn:aws:iam::{ACCOUNT}:role/platform/sre-breakglass")
NETWORK = AppNetwork(
    vpc_id="vpc-1",
    vpc_cidr="10.0.0.0/16",
    private_subnet_ids=["subnet-app-a", "subnet-app-b", "subnet-app-c"],
    public_subnet_ids=["subnet-pub-a"],
)
CLUSTER = "aws:eks/cluster:Cluster"
ERRORS: list[ConfigError] = []


def _program() -> None:
    provider = aws.Provider("eu-provider", region=REGION)
    opts = pulumi.ResourceOptions(providers={"aws": provider})
    common: dict[str, Any] = {
        "cell": "eu",
        "network": NETWORK,
        "secrets_key": SECRETS_KEY,
        "logs_key": LOGS_KEY,
        "log_retention_days": 400,
        "opts": opts,
    }
    cluster = EksCluster(
        "eu-eks",
        EksSettings(node_min=3, node_max=9),
        admin_role_arns=ADMINS,
        kubeconfig_role_arn=ADMINS[0],
        **common,
    )
    pulumi.export("kubeconfig", cluster.kubeconfig)
    EksCluster(
        "eu-ops",
        EksSettings(
            public_endpoint_cidrs=("203.0.113.0/24",),
            ami_type="BOTTLEROCKET_x86_64",
            node_instance_types=("m7i.large",),
        ),
        admin_role_arns=ADMINS[:1],
        **common,
    )
    for bad_name, admins in (("eu-no-admins", ()), ("eu-bad-admin", ("arn:aws:iam::123:user/bob",))):
        try:
            EksCluster(bad_name, EksSettings(), admin_role_arns=admins, **common)
        except ConfigError as error:
            ERRORS.append(error)


@pytest.fixture(scope="module")
def rec() -> Recording:
    ERRORS.clear()
    return synthesize(_program)


def _inputs(rec: Recording, name: str, type_: str | None = None) -> dict[str, Any]:
    return dict(rec.named(name, type_).inputs)


def test_api_endpoint_is_private_by_default(rec: Recording) -> None:
    vpc = _inputs(rec, "eu-eks-cluster", CLUSTER)["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc
    assert vpc["subnetIds"] == list(NETWORK.private_subnet_ids)


def test_public_endpoint_only_from_named_cidrs(rec: Recording) -> None:
    vpc = _inputs(rec, "eu-ops-cluster", CLUSTER)["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_open_public_endpoint_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"public_endpoint_cidrs may not contain '0\.0\.0\.0/0'"):
        EksSettings(public_endpoint_cidrs=("0.0.0.0/0",))


def test_secrets_are_envelope_encrypted_with_the_key(rec: Recording) -> None:
    assert _inputs(rec, "eu-eks-cluster", CLUSTER)["encryptionConfig"] == {
        "provider": {"keyArn": SECRETS_KEY.arn},
        "resources": ["secrets"],
    }


def test_all_five_control_plane_logs_to_a_precreated_encrypted_group(rec: Recording) -> None:
    cluster = rec.named("eu-eks-cluster", CLUSTER)
    assert cluster.inputs["name"] == "dev-eu-eks"
    assert sorted(cluster.inputs["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    )
    log_group = rec.named("eu-eks-control-plane-logs")
    assert log_group.inputs["name"] == "/aws/eks/dev-eu-eks/cluster"
    assert log_group.inputs["kmsKeyId"] == LOGS_KEY.arn
    assert log_group.inputs["retentionInDays"] == 400
    assert log_group.urn in cluster.depends_on


def test_cluster_is_protected_against_deletion(rec: Recording) -> None:
    cluster = rec.named("eu-eks-cluster", CLUSTER)
    assert cluster.protect
    assert cluster.inputs["deletionProtection"] is True


def test_api_authentication_mode_with_access_entries(rec: Recording) -> None:
    assert _inputs(rec, "eu-eks-cluster", CLUSTER)["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }
    entries = {r.name: r.inputs for r in rec.of_type("aws:eks/accessEntry:AccessEntry") if r.name.startswith("eu-eks")}
    associations = {
        r.inputs["principalArn"]: r.inputs
        for r in rec.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if r.name.startswith("eu-eks")
    }
    assert {name: entry["principalArn"] for name, entry in entries.items()} == {
        "eu-eks-admin-fintech-deploy": ADMINS[0],
        "eu-eks-admin-sre-breakglass": ADMINS[1],
    }
    assert all(entry["type"] == "STANDARD" for entry in entries.values())
    for arn in ADMINS:
        assert associations[arn]["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        assert associations[arn]["accessScope"] == {"type": "cluster"}


def test_nodes_use_imdsv2_with_hop_limit_one(rec: Recording) -> None:
    metadata = _inputs(rec, "eu-eks-node-template")["metadataOptions"]
    assert metadata == {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}


def test_node_volumes_are_encrypted_with_a_key(rec: Recording) -> None:
    (mapping,) = _inputs(rec, "eu-eks-node-template")["blockDeviceMappings"]
    assert mapping["deviceName"] == "/dev/xvda"
    assert mapping["ebs"]["encrypted"] == "true"
    assert mapping["ebs"]["kmsKeyId"] == SECRETS_KEY.arn
    bottlerocket = _inputs(rec, "eu-ops-node-template")["blockDeviceMappings"]
    assert [m["deviceName"] for m in bottlerocket] == ["/dev/xvda", "/dev/xvdb"]
    assert all(m["ebs"]["encrypted"] == "true" for m in bottlerocket)
    grant = _inputs(rec, "eu-eks-node-volume-grant")
    assert grant["keyId"] == SECRETS_KEY.arn
    assert grant["granteePrincipal"].endswith(
        ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    assert "CreateGrant" in grant["operations"]


def test_nodes_get_no_public_ip(rec: Recording) -> None:
    (interface,) = _inputs(rec, "eu-eks-node-template")["networkInterfaces"]
    assert interface["associatePublicIpAddress"] == "false"
    assert "subnetId" not in interface  # EKS prohibits it in a node group's template


def test_managed_node_group_in_private_subnets_through_the_template(rec: Recording) -> None:
    nodes = rec.named("eu-eks-nodes")
    template = rec.named("eu-eks-node-template")
    assert nodes.inputs["subnetIds"] == list(NETWORK.private_subnet_ids)
    assert nodes.inputs["launchTemplate"]["id"] == template.id
    assert nodes.inputs["scalingConfig"] == {"minSize": 3, "maxSize": 9, "desiredSize": 3}
    assert nodes.inputs["amiType"] == "AL2023_ARM_64_STANDARD"
    assert "diskSize" not in nodes.inputs and "remoteAccess" not in nodes.inputs
    assert nodes.ignore_changes == ("scalingConfig.desiredSize",)


def test_oidc_provider_for_irsa(rec: Recording) -> None:
    oidc = _inputs(rec, "eu-eks-oidc")
    assert oidc["url"].startswith(f"https://oidc.eks.{REGION}.amazonaws.com/id/")
    assert oidc["clientIdLists"] == ["sts.amazonaws.com"]
    trust = json.loads(_inputs(rec, "eu-eks-cni-role")["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    host = oidc["url"].removeprefix("https://")
    assert statement["Condition"]["StringEquals"][f"{host}:sub"] == "system:serviceaccount:kube-system:aws-node"


def test_core_addons_with_network_policy_enforcement(rec: Recording) -> None:
    addons = {r.inputs["addonName"]: r for r in rec.of_type("aws:eks/addon:Addon") if r.name.startswith("eu-eks-")}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"}
    cni = addons["vpc-cni"].inputs
    assert json.loads(cni["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert cni["serviceAccountRoleArn"] == rec.named("eu-eks-cni-role").outputs["arn"]
    assert rec.named("eu-eks-nodes").urn in addons["coredns"].depends_on


def test_cluster_runs_the_default_version_and_addons_follow_it(rec: Recording) -> None:
    cluster = _inputs(rec, "eu-eks-cluster", CLUSTER)
    assert cluster["version"] == "1.35" and cluster["upgradePolicy"] == {"supportType": "STANDARD"}
    addons = {
        r.inputs["addonName"]: r.inputs for r in rec.of_type("aws:eks/addon:Addon") if r.name.startswith("eu-eks-")
    }
    # Resolved by get_addon_version (most recent for 1.35); the harness answers like EKS would.
    assert addons["kube-proxy"]["addonVersion"] == "v1.35.0-eksbuild.1"
    assert all(inputs["addonVersion"].endswith("-eksbuild.1") for inputs in addons.values())


def test_roles_and_policies(rec: Recording) -> None:
    attachments = {
        r.name: r.inputs["policyArn"] for r in rec.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attachments["eu-eks-cluster-policy"] == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    node_policies = {v.rsplit("/", 1)[1] for k, v in attachments.items() if k.startswith("eu-eks-node-")}
    assert node_policies == {"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"}
    assert attachments["eu-eks-cni-policy"].endswith("/AmazonEKS_CNI_Policy")


def test_kubeconfig_uses_get_token_with_region_and_is_secret(rec: Recording) -> None:
    config = json.loads(rec.exports["kubeconfig"])
    (user,) = config["users"]
    exec_config = user["user"]["exec"]
    assert exec_config["command"] == "aws"
    assert exec_config["args"] == [
        "--region", REGION, "eks", "get-token", "--cluster-name", "dev-eu-eks", "--output", "json",
        "--role-arn", ADMINS[0],
    ]  # fmt: skip
    assert config["clusters"][0]["cluster"]["server"].startswith("https://")
    provider = rec.named("eu-eks-k8s", "pulumi:providers:kubernetes")
    secret = provider.inputs["kubeconfig"]
    assert secret["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"  # the secret signature
    assert json.loads(secret["value"]) == config
    associations = {r.urn for r in rec.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")}
    assert {u for u in provider.depends_on if "AccessPolicyAssociation" in u} <= associations
    assert rec.named("eu-eks-nodes").urn in provider.depends_on


def test_no_admins_is_one_clear_error_registering_nothing(rec: Recording) -> None:
    assert str(ERRORS[0]) == (
        "eu-no-admins.admin_role_arns: () is empty; allowed: one or more IAM role ARNs, including the role that "
        "deploys the stack (API authentication grants nobody access implicitly, so without it the Kubernetes "
        "baseline cannot be applied)"
    )
    assert str(ERRORS[1]) == (
        "eu-bad-admin.admin_role_arns[0]: 'arn:aws:iam::123:user/bob' is not an IAM role ARN; "
        "allowed: arn:aws:iam::<account>:role/<name>"
    )
    assert not [r for r in rec if r.name.startswith(("eu-no-admins", "eu-bad-admin"))]


def test_instance_types_must_match_the_ami_architecture() -> None:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(
            {
                "environment": "dev",
                "tags": {"owner": "platform", "cost_center": "cc-1"},
                "cells": {
                    "eu": {
                        "jurisdiction": "cysec",
                        "primary_region": REGION,
                        "entities": [{"name": "cysec-cy", "legal_name": "Acme CY", "hostname": "api.acme.example"}],
                        "concerns": [{"concern": "payments"}],
                        "compute": {"kind": "eks", "node_instance_types": ["m7i.large"], "namespaces": {}},
                    }
                },
            }
        )
    assert str(caught.value) == (
        "invalid stack config: cells.eu.compute: node_instance_types ['m7i.large'] do not match ami_type "
        "'AL2023_ARM_64_STANDARD'; allowed: Graviton (e.g. m7g.large) types, or change ami_type"
    )
