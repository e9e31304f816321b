"""paths_data.py: each workload reaches exactly the data stores of the concerns it declares.

Cases start from the real cell (:mod:`tests.policy.paths_fixture`): the api service declares crm, trading and the
cache; the trading rotation function declares trading; the cache rotation function declares nothing. Each break is
one a review could miss: a cross-concern security group rule, a rule opening every port, a CIDR wider than the
clients' subnets, a network ACL that closes the port, a missing rule. The Kubernetes cases put the crm store behind
an EKS cluster's own group (shared by every namespace: issue 18's finding), then give the crm namespace a group of
its own through a SecurityGroupPolicy.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fintech_guardrails import types as t
from fintech_infra.testing import synthesize
from tests.policy.harness import Case, R, case_params, run_case
from tests.policy.paths_fixture import (
    CELL,
    SECRET_KEYS,
    Edit,
    _program,
    cell,
    cell_preview,
    clone,
    config,
    edit,
    named,
    resources,
    without,
)

POLICY = "data-paths-least-privilege"
CLUSTER_GROUP = "sg-0eks0cluster0"


def ingress(name: str, group: str, peer: str | None = None, **props: Any) -> Edit:
    """A standalone ingress rule on ``group`` (a real group of the cell) from ``peer`` (another one) or ``props``."""

    def apply(resources: list[R]) -> list[R]:
        target = named(resources, group, t.SECURITY_GROUP)
        rule = R(
            t.SG_INGRESS_RULE,
            name,
            {"securityGroupId": target.props["id"], "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, **props},
            region=target.region,
            deps={"securityGroupId": [target.urn]},
        )
        if peer is not None:
            source = named(resources, peer, t.SECURITY_GROUP)
            rule.props["referencedSecurityGroupId"] = source.props["id"]
            rule.deps["referencedSecurityGroupId"] = [source.urn]
        return [*resources, rule]

    return apply


def declare(group: str, concerns: str) -> Edit:
    return edit(group, lambda r: r.props["tags"].update(DataConcerns=concerns), t.SECURITY_GROUP)


def data_acl(resources: list[R]) -> list[R]:
    """A network ACL on the crm database's subnets that lets only HTTPS in."""
    crm = named(resources, "eu-crm-subnets")
    subnets = [r for r in resources if r.type == t.SUBNET and r.props.get("id") in crm.props["subnetIds"]]
    acl = R(
        t.NETWORK_ACL,
        "eu-data-acl",
        {
            "subnetIds": [s.props["id"] for s in subnets],
            "ingress": [
                {
                    "ruleNo": 100,
                    "action": "allow",
                    "protocol": "tcp",
                    "cidrBlock": "10.30.0.0/16",
                    "fromPort": 443,
                    "toPort": 443,
                }
            ],
            "egress": [
                {
                    "ruleNo": 100,
                    "action": "allow",
                    "protocol": "-1",
                    "cidrBlock": "0.0.0.0/0",
                    "fromPort": 0,
                    "toPort": 0,
                }
            ],
        },
        deps={"subnetIds": [s.urn for s in subnets]},
    )
    return [*resources, acl]


def eks(own_groups: bool) -> Edit:
    """The cell on EKS: crm and trading namespaces on one cluster; the api service, its task definition and the
    cache's grant gone.

    Without ``own_groups`` both stores admit the cluster's own group, which every pod wears (issue 18's finding).
    With it, each namespace's pods wear a group of their own (a SecurityGroupPolicy; the group declares the
    concern and lets PostgreSQL out to the data subnets), and each store admits only its namespace's group.
    """

    def apply(resources: list[R]) -> list[R]:
        cluster = R(t.EKS_CLUSTER, "eu-eks-cluster", {"vpcConfig": {"clusterSecurityGroupId": CLUSTER_GROUP}})
        isolated = [
            r for r in resources if r.type == t.SUBNET and "-isolated-" in r.name and r.region == "eu-central-1"
        ]
        private = [r for r in resources if r.type == t.SUBNET and "-private-" in r.name and r.region == "eu-central-1"]
        nodes = R(
            t.EKS_NODE_GROUP,
            "eu-eks-nodes",
            {"clusterName": "eu-eks", "subnetIds": [s.props["id"] for s in private]},
            deps={"clusterName": [cluster.urn], "subnetIds": [s.urn for s in private]},
        )
        found = [*resources, cluster, nodes]
        for concern in ("crm", "trading"):
            found += namespace(concern, [s.props["cidrBlock"] for s in isolated])
            rule = named(found, f"eu-{concern}-sg-from-api")
            if own_groups:
                swaps = {"eu-api-sg": f"eu-{concern}-pods-sg"}
                found = clone("eu-api-sg", swaps, t.SECURITY_GROUP)(found)
                for egress in [r for r in found if r.name.startswith("eu-api-sg-postgres-out-")]:
                    found = clone(egress.name, swaps)(found)
                pods = named(found, f"eu-{concern}-pods-sg", t.SECURITY_GROUP)
                pods.props["tags"]["DataConcerns"] = concern
                found.append(
                    R(
                        t.K8S_SECURITY_GROUP_POLICY,
                        f"{concern}-pods",
                        {
                            "metadata": {"name": "pods", "namespace": concern},
                            "spec": {"podSelector": {}, "securityGroups": {"groupIds": [pods.props["id"]]}},
                        },
                        region=None,
                        deps={"spec": [pods.urn]},
                    )
                )
                rule.props["referencedSecurityGroupId"] = pods.props["id"]
                rule.deps["referencedSecurityGroupId"] = [pods.urn]
            else:
                rule.props["referencedSecurityGroupId"] = CLUSTER_GROUP
                rule.deps["referencedSecurityGroupId"] = [cluster.urn]
        # The api service goes with its task definition: one no service runs names no network to judge it in.
        return [r for r in found if r.name not in ("eu-api-service", "eu-api-task", "eu-cache-sg-from-api")]

    return apply


def namespace(concern: str, data_cidrs: list[str]) -> list[R]:
    """A concern namespace as KubernetesBaseline makes it: its label, and egress to the data subnets on 5432."""
    return [
        R(
            t.K8S_NAMESPACE,
            f"ns-{concern}",
            {"metadata": {"name": concern, "labels": {"fintech-infra.io/data-concerns": concern}}},
            region=None,
        ),
        R(
            t.K8S_NETWORK_POLICY,
            f"ns-{concern}-egress",
            {
                "metadata": {"name": "allow-platform-egress", "namespace": concern},
                "spec": {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{"ipBlock": {"cidr": c}} for c in data_cidrs],
                            "ports": [{"port": 5432, "protocol": "TCP"}],
                        }
                    ],
                },
            },
            region=None,
        ),
    ]


def case(title: str, expect: str, change: Edit | None = None, *, preview: bool = False) -> Case:
    resources = cell_preview() if preview else cell()
    return Case(title, expect, change(resources) if change else resources, unknown=preview)  # type: ignore[arg-type]


ROTATION_INTO_CRM = ingress("eu-crm-sg-from-trading-rotation", "eu-crm-sg", peer="eu-trading-rotation-sg")

CASES = {
    POLICY: [
        case("the real cell: api reaches crm, trading and the cache; each rotation only its own", "pass"),
        case("a concern's namespace with pods in a group of its own (SecurityGroupPolicy)", "pass", eks(True)),
        case("a cross-concern rule: crm's store admits the trading rotation function", "fail", ROTATION_INTO_CRM),
        case("the api service declares no cache but the cache admits it", "fail", declare("eu-api-sg", "crm.trading")),
        case(
            "crm's store admits the api service on every port",
            "fail",
            edit("eu-crm-sg-from-api", lambda r: r.props.update(ipProtocol="-1")),
        ),
        case(
            "crm's store admits the whole VPC CIDR",
            "fail",
            ingress("eu-crm-sg-from-vpc", "eu-crm-sg", cidrIpv4="10.30.0.0/16"),
        ),
        case("api declares crm but crm's store admits nothing of it", "fail", without("eu-crm-sg-from-api")),
        case("a network ACL on crm's subnets closes 5432", "fail", data_acl),
        case("namespaces on the nodes' shared group: trading's pods reach crm's store", "fail", eks(False)),
        case("at a first preview (group ids unknown, joined by dependency)", "pass", preview=True),
        case("at a first preview, the cross-concern rule is known already", "fail", ROTATION_INTO_CRM, preview=True),
    ]
}


@pytest.mark.parametrize(("policy", "case_"), case_params(CASES))
def test_case(policy: str, case_: Case) -> None:
    assert run_case(policy, case_).outcome(policy) == case_.expect


def messages(change: Edit) -> list[str]:
    result = run_case(POLICY, case("messages", "fail", change))
    return sorted(message.split("\n", 1)[-1] for message in result.messages(POLICY))


def test_each_break_names_the_rule_and_the_clients() -> None:
    # Both workloads in trading's rotation group are named: its rotation function and its role bootstrap.
    assert messages(ROTATION_INTO_CRM) == [
        "eu-crm-sg admits application eu-trading-rotation-app on 5432 through eu-crm-sg-from-trading-rotation: "
        "eu-crm-db holds crm data and application eu-trading-rotation-app declares trading",
        "eu-crm-sg admits lambda eu-trading-role-bootstrap-function on 5432 through eu-crm-sg-from-trading-rotation: "
        "eu-crm-db holds crm data and lambda eu-trading-role-bootstrap-function declares trading",
    ]
    assert messages(edit("eu-crm-sg-from-api", lambda r: r.props.update(ipProtocol="-1"))) == [
        "eu-crm-sg admits ecs service eu-api-service on all ports through eu-crm-sg-from-api; eu-crm-db needs only 5432"
    ]
    wide = messages(ingress("eu-crm-sg-from-vpc", "eu-crm-sg", cidrIpv4="10.30.0.0/16"))
    assert wide[-1].startswith(
        "eu-crm-sg admits 10.30.0.0/16 on 5432 through eu-crm-sg-from-vpc, wider than the subnets"
    )
    assert messages(without("eu-crm-sg-from-api")) == [
        "ecs service eu-api-service declares crm but cannot reach eu-crm-db on 5432: no rule of eu-crm-sg admits it "
        "on 5432"
    ]
    assert any(
        message.startswith(
            "ecs service eu-api-service declares crm but cannot reach eu-crm-db on 5432: network ACL eu-data-acl of "
            "eu-vpc-isolated-eu-central-1"
        )
        and message.endswith("denies 5432 in")
        for message in messages(data_acl)
    )
    assert messages(eks(False)) == [
        "eu-crm-sg admits namespace trading on 5432 through eu-crm-sg-from-api: eu-crm-db holds crm data and "
        "namespace trading declares trading",
        "eu-trading-sg admits namespace crm on 5432 through eu-trading-sg-from-api: eu-trading-cluster holds trading "
        "data and namespace crm declares crm",
    ]


def test_a_proved_path_lists_each_store_reached() -> None:
    (reason,) = run_case(POLICY, case("proved", "pass")).reasons(POLICY)
    assert (
        '"links":["ecs service eu-api-service","security groups eu-api-sg","cache: eu-cache-cache:6379",'
        '"crm: eu-crm-db:5432","trading: eu-trading-cluster:5432"]'
    ) in reason


def test_two_cells_each_service_needs_only_the_stores_of_its_own_vpc() -> None:
    """Two cells in one stack (as the benchmark estate has 16): a service declaring crm needs its own cell's crm
    store, not the other cell's, which lives in another VPC that no security group rule can join."""
    other = copy.deepcopy(CELL)
    other["entities"] = [{"name": "eu-nl", "legal_name": "Example eu-nl", "hostname": "api.nl.fintech.example.com"}]
    other["vpc"] = {"cidr": "10.31.0.0/16", "az_count": 2}
    two = synthesize(
        _program,
        stack="paths",
        config={**config(), "fintech-infra:cells": {"eu": CELL, "nl": other}},
        secret_keys=SECRET_KEYS,
    )
    items = resources(two)
    assert {r.name for r in items if r.type == t.ECS_SERVICE} >= {"eu-api-service", "nl-api-service"}
    assert run_case(POLICY, Case("two cells", "pass", items)).outcome(POLICY) == "pass"
