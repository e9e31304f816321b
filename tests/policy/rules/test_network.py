"""network.py: flow logs, default SG, public IPs, world-open ingress, descriptions, IGW routes."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, rc, run_case

VPC = R(t.VPC, "vpc", {"cidrBlock": "10.0.0.0/16"})
FLOW = R(t.FLOW_LOG, "flow", {"vpcId": "vpc-1", "trafficType": "ALL"}, deps={"vpcId": [VPC.urn]})
IGW = R(t.INTERNET_GATEWAY, "igw", {"vpcId": "vpc-1"}, deps={"vpcId": [VPC.urn]})
PUBLIC = R(t.SUBNET, "public-a", {"mapPublicIpOnLaunch": True})
PRIVATE = R(t.SUBNET, "private-a", {})
ALB_SG = R(t.SECURITY_GROUP, "alb-sg", {"description": "ALB"})
ALB = R(
    t.LOAD_BALANCERS[0],
    "alb",
    {"internal": False, "subnets": [U], "securityGroups": [U]},
    deps={"subnets": [PUBLIC.urn], "securityGroups": [ALB_SG.urn]},
)


def table(name: str, gateway: str = "igw-1", deps: dict | None = None) -> R:
    return R(
        t.ROUTE_TABLE,
        name,
        {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": gateway}]},
        deps=deps or {"routes": [IGW.urn]},
    )


def assoc(name: str, table_: R, subnet: R) -> R:
    return R(
        t.ROUTE_TABLE_ASSOCIATION,
        name,
        {"routeTableId": U, "subnetId": U},
        deps={"routeTableId": [table_.urn], "subnetId": [subnet.urn]},
    )


def world(port: int, cidr: str = "0.0.0.0/0") -> dict:
    return {
        "cidrIpv4": cidr,
        "ipProtocol": "tcp",
        "fromPort": port,
        "toPort": port,
        "description": "web",
        "securityGroupId": U,
    }


PUBLIC_TABLE = table("public-rt")

CASES = {
    "vpc-flow-logs-enabled": [
        Case("a VPC with an ALL flow log", "pass", [VPC, FLOW]),
        Case("a VPC without a flow log", "fail", [VPC]),
        Case(
            "a REJECT-only flow log",
            "fail",
            [VPC, R(t.FLOW_LOG, "flow", {"trafficType": "REJECT"}, deps={"vpcId": [VPC.urn]})],
        ),
        Case(
            "trafficType unknown at preview",
            "pending",
            [VPC, R(t.FLOW_LOG, "flow", {"trafficType": U}, deps={"vpcId": [VPC.urn]})],
            unknown=True,
        ),
    ],
    "default-security-group-closed": [
        Case(
            "adopted and empty",
            "pass",
            [VPC, R(t.DEFAULT_SECURITY_GROUP, "dsg", {"vpcId": U}, deps={"vpcId": [VPC.urn]})],
            unknown=True,
        ),
        Case("not adopted", "fail", [VPC]),
        Case(
            "adopted with an egress rule",
            "fail",
            [
                VPC,
                R(
                    t.DEFAULT_SECURITY_GROUP,
                    "dsg",
                    {"egress": [{"cidrBlocks": ["0.0.0.0/0"]}]},
                    deps={"vpcId": [VPC.urn]},
                ),
            ],
        ),
        Case(
            "rules unknown at preview",
            "pending",
            [VPC, R(t.DEFAULT_SECURITY_GROUP, "dsg", {"ingress": U}, deps={"vpcId": [VPC.urn]})],
            unknown=True,
        ),
    ],
    "subnet-no-auto-public-ip": [
        Case("public IPs only in the ALB's subnet", "pass", [PUBLIC, PRIVATE, ALB_SG, ALB]),
        Case("public IPs in a subnet nothing public uses", "fail", [PUBLIC, ALB_SG]),
        Case("mapPublicIpOnLaunch unknown", "pending", [R(t.SUBNET, "s", {"mapPublicIpOnLaunch": U})], unknown=True),
    ],
    "private-route-table-no-igw": [
        Case(
            "only the public subnet routes to the IGW",
            "pass",
            [IGW, PUBLIC, PRIVATE, ALB_SG, ALB, PUBLIC_TABLE, assoc("a1", PUBLIC_TABLE, PUBLIC)],
        ),
        Case(
            "a private subnet routes to the IGW",
            "fail",
            [IGW, PUBLIC, PRIVATE, ALB_SG, ALB, PUBLIC_TABLE, assoc("a2", PUBLIC_TABLE, PRIVATE)],
        ),
        Case(
            "a private subnet via a standalone aws.ec2.Route",
            "fail",
            [
                IGW,
                PRIVATE,
                R(t.ROUTE_TABLE, "rt", {}),
                R(
                    t.ROUTE,
                    "r",
                    {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": U, "routeTableId": U},
                    deps={"gatewayId": [IGW.urn], "routeTableId": [urn_rt := R(t.ROUTE_TABLE, "rt").urn]},
                ),
                R(t.ROUTE_TABLE_ASSOCIATION, "a", {}, deps={"routeTableId": [urn_rt], "subnetId": [PRIVATE.urn]}),
            ],
        ),
        Case(
            "a route target unknown at preview",
            "pending",
            [PRIVATE, (rt := table("rt2", U, deps={})), assoc("a3", rt, PRIVATE)],
            unknown=True,
        ),
    ],
    "security-group-no-world-ingress": [
        rc(t.SG_INGRESS_RULE, world(443), "pass", "world-open 443 rule"),
        rc(t.SG_INGRESS_RULE, world(22), "fail", "world-open SSH"),
        rc(t.SG_INGRESS_RULE, world(5432, "::/0"), "fail", "world-open IPv6 PostgreSQL"),
        rc(
            t.SECURITY_GROUP,
            {"ingress": [{"cidrBlocks": ["0.0.0.0/0"], "protocol": "-1", "fromPort": 0, "toPort": 0}]},
            "fail",
            "inline all-traffic ingress",
        ),
        rc(
            t.SG_RULE,
            {"type": "ingress", "cidrBlocks": ["10.0.0.0/16"], "protocol": "tcp", "fromPort": 22, "toPort": 22},
            "pass",
            "VPC-internal SSH rule",
        ),
        rc(t.SG_INGRESS_RULE, {**world(22), "cidrIpv4": U}, "pending", "source CIDR unknown", unknown=True),
        rc(t.SG_INGRESS_RULE, {**world(22), "fromPort": U}, "pending", "world-open with unknown port", unknown=True),
    ],
    "security-group-descriptions": [
        rc(
            t.SECURITY_GROUP,
            {"description": "db clients", "ingress": [{"description": "pg"}]},
            "pass",
            "described group and rule",
        ),
        rc(t.SECURITY_GROUP, {"description": "Managed by Pulumi"}, "fail", "the provider's default description"),
        rc(t.SG_EGRESS_RULE, {}, "fail", "an undescribed egress rule"),
        rc(t.SECURITY_GROUP, {"description": U}, "pending", "description unknown", unknown=True),
    ],
    "security-group-world-ingress-alb-only": [
        Case(
            "443 from the world on the ALB's group",
            "pass",
            [ALB_SG, ALB, R(t.SG_INGRESS_RULE, "r", world(443), deps={"securityGroupId": [ALB_SG.urn]})],
        ),
        Case(
            "443 from the world on an app group",
            "fail",
            [
                ALB_SG,
                ALB,
                (app := R(t.SECURITY_GROUP, "app-sg", {"description": "x"})),
                R(t.SG_INGRESS_RULE, "r", world(443), deps={"securityGroupId": [app.urn]}),
            ],
        ),
        Case(
            "inline world ingress on a group no LB uses",
            "fail",
            [R(t.SECURITY_GROUP, "sg", {"ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 443, "toPort": 443}]})],
        ),
        Case("group of the rule unknown", "pending", [R(t.SG_INGRESS_RULE, "r", world(443))], unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
