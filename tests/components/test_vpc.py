"""SecureVpc: tiers, routes, NAT strategy, AZ stability, default SG, flow logs and endpoints."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra import hardening_facts
from fintech_infra.config import VpcSettings
from fintech_infra.testing import MOCK_ACCOUNT_ID, RecordedResource, Recording, synthesize
from fintech_infra.vpc import DENIED_ADMIN_PORTS, INTERFACE_ENDPOINT_SERVICES, SecureVpc, subnet_cidr
from fintech_infra.wiring import KeyRef
from tests.components.helpers import rejected

REGION = "eu-central-1"
ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
KEY = KeyRef(arn=f"arn:aws:kms:{REGION}:{MOCK_ACCOUNT_ID}:key/logs", alias="alias/eu/logs")

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_RTA = "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _vpc(name: str, settings: VpcSettings, provider: pulumi.ProviderResource, region: str = REGION) -> SecureVpc:
    return SecureVpc(
        name,
        settings,
        region=region,
        flow_logs_key=KEY,
        flow_log_retention_days=1825,
        opts=pulumi.ResourceOptions(provider=provider),
    )


def _program() -> None:
    eu = aws.Provider("eu", region=REGION)
    tokyo = aws.Provider("tokyo", region="ap-northeast-1")
    vpc = _vpc("eu", VpcSettings(), eu)
    dev = _vpc(
        "dev",
        VpcSettings(
            cidr=ipaddress.IPv4Network("10.1.0.0/20"),
            availability_zones=("eu-central-1a", "eu-central-1b"),
            nat_gateways="single",
        ),
        eu,
    )
    jp = _vpc("jp", VpcSettings(cidr=ipaddress.IPv4Network("10.2.0.0/16")), tokyo, region="ap-northeast-1")
    app = vpc.app_network()
    data = vpc.data_network({"app": "sg-app"})
    pulumi.export("zones", {"eu": vpc.availability_zones, "dev": dev.availability_zones, "jp": jp.availability_zones})
    pulumi.export("cidr", vpc.cidr)
    pulumi.export("public", vpc.public_subnet_ids)
    pulumi.export("private", vpc.private_subnet_ids)
    pulumi.export("isolated", vpc.isolated_subnet_ids)
    pulumi.export("endpoint_sg", vpc.endpoint_security_group_id)
    pulumi.export("app", [app.vpc_id, app.vpc_cidr, list(app.private_subnet_ids), list(app.public_subnet_ids)])
    pulumi.export("data", [data.vpc_id, list(data.subnet_ids), dict(data.client_security_group_ids)])


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(_program)


def _in(recording: Recording, name: str, type_: str) -> list[RecordedResource]:
    component = recording.named(name, "fintech:vpc:SecureVpc")
    return [r for r in recording.children_of(component.urn) if r.type == type_]


def _id(recording: Recording, name: str) -> str:
    resource_id = recording.named(name).id
    assert resource_id
    return resource_id


def test_every_child_is_parented_to_the_component_in_its_region(recording: Recording) -> None:
    for name, region in (("eu", REGION), ("dev", REGION), ("jp", "ap-northeast-1")):
        component = recording.named(name, "fintech:vpc:SecureVpc")
        children = recording.children_of(component.urn)
        assert len(children) > 40
        assert {c.region for c in children if c.type != "aws:iam/role:Role"} - {None} == {region}


def test_availability_zones_are_plan_time_strings(recording: Recording) -> None:
    assert recording.exports["zones"] == {
        "eu": list(ZONES),
        "dev": ["eu-central-1a", "eu-central-1b"],
        # ap-northeast-1b is not offered to new accounts: the default skips it.
        "jp": ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"],
    }


def test_three_tiers_per_az_no_public_ips_and_outputs_in_az_order(recording: Recording) -> None:
    subnets = _in(recording, "eu", SUBNET)
    assert len(subnets) == 9
    for subnet in subnets:
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
        assert subnet.inputs["availabilityZone"] == subnet.name.split("-", 2)[2]
    vpc_id = _id(recording, "eu-vpc")
    assert {s.inputs["vpcId"] for s in subnets} == {vpc_id}
    for tier in ("public", "private", "isolated"):
        assert recording.exports[tier] == [_id(recording, f"eu-{tier}-{zone}") for zone in ZONES]
        for zone in ZONES:
            assert recording.named(f"eu-{tier}-{zone}").inputs["tags"]["Tier"] == tier


def test_subnet_cidrs_follow_the_az_letter_and_never_overlap(recording: Recording) -> None:
    vpc_cidr = ipaddress.IPv4Network("10.0.0.0/16")
    cidrs = {s.name: ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in _in(recording, "eu", SUBNET)}
    assert cidrs["eu-private-eu-central-1a"] == ipaddress.IPv4Network("10.0.0.0/20")
    assert cidrs["eu-isolated-eu-central-1b"] == ipaddress.IPv4Network("10.0.136.0/21")
    assert cidrs["eu-public-eu-central-1c"] == ipaddress.IPv4Network("10.0.200.0/22")
    values = list(cidrs.values())
    assert all(cidr.subnet_of(vpc_cidr) for cidr in values)
    assert not any(a.overlaps(b) for i, a in enumerate(values) for b in values[i + 1 :])
    # Tokyo skips "b": its "c" subnets take slot 2, exactly where they would sit if "b" existed.
    jp_private_c = recording.named("jp-private-ap-northeast-1c").inputs["cidrBlock"]
    assert jp_private_c == str(subnet_cidr(ipaddress.IPv4Network("10.2.0.0/16"), "private", "ap-northeast-1c"))
    assert jp_private_c == "10.2.32.0/20"


def _routes_of(recording: Recording, table: str) -> list[RecordedResource]:
    table_id = _id(recording, table)
    return [r for r in recording.of_type(ROUTE) if r.inputs["routeTableId"] == table_id]


def test_public_tier_routes_to_the_internet_gateway(recording: Recording) -> None:
    (route,) = _routes_of(recording, "eu-public-rt")
    assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
    assert route.inputs["gatewayId"] == _id(recording, "eu-igw")
    table_id = _id(recording, "eu-public-rt")
    associated = {r.inputs["subnetId"] for r in recording.of_type(RTA) if r.inputs["routeTableId"] == table_id}
    assert associated == set(recording.exports["public"])


def test_private_tier_routes_through_its_own_azs_nat(recording: Recording) -> None:
    nats = _in(recording, "eu", NAT)
    assert len(nats) == 3
    for zone in ZONES:
        (route,) = _routes_of(recording, f"eu-private-rt-{zone}")
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        assert route.inputs["natGatewayId"] == _id(recording, f"eu-nat-{zone}")
        nat = recording.named(f"eu-nat-{zone}")
        assert nat.inputs["subnetId"] == _id(recording, f"eu-public-{zone}")
        assert nat.inputs["allocationId"] == _id(recording, f"eu-nat-eip-{zone}")
        assert recording.named(f"eu-nat-eip-{zone}").protect is True


def test_single_nat_serves_every_private_route_table(recording: Recording) -> None:
    (nat,) = _in(recording, "dev", NAT)
    assert nat.name == "dev-nat-eu-central-1a"
    assert len(_in(recording, "dev", EIP)) == 1
    for zone in ("eu-central-1a", "eu-central-1b"):
        (route,) = _routes_of(recording, f"dev-private-rt-{zone}")
        assert route.inputs["natGatewayId"] == nat.id


def test_isolated_tier_has_no_route_out(recording: Recording) -> None:
    for name in ("eu", "dev", "jp"):
        tables = [t for t in _in(recording, name, ROUTE_TABLE) if t.name.startswith(f"{name}-isolated-rt-")]
        assert len(tables) >= 2
        for table in tables:
            assert _routes_of(recording, table.name) == []
            assert not table.inputs.get("routes")
            gateway = [r for r in recording.of_type(ENDPOINT_RTA) if r.inputs["routeTableId"] == table.id]
            assert len(gateway) == 1
            assert gateway[0].inputs["vpcEndpointId"] == _id(recording, f"{name}-s3-endpoint")


def test_default_security_group_is_adopted_and_empty(recording: Recording) -> None:
    (group,) = _in(recording, "eu", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert group.inputs["vpcId"] == _id(recording, "eu-vpc")
    assert group.inputs["ingress"] == []
    assert group.inputs["egress"] == []


def test_default_network_acl_is_adopted_with_ssh_from_the_internet_denied_first(recording: Recording) -> None:
    (acl,) = _in(recording, "eu", "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")
    assert acl.inputs["defaultNetworkAclId"] == recording.named("eu-vpc").outputs["defaultNetworkAclId"]
    ingress = sorted(acl.inputs["ingress"], key=lambda entry: entry["ruleNo"])
    assert [(e["ruleNo"], e["action"], e["protocol"], e["fromPort"], e["toPort"]) for e in ingress] == [
        (100, "deny", "tcp", 22, 22),
        (200, "allow", "-1", 0, 0),
    ]
    assert {e["cidrBlock"] for e in ingress} == {"0.0.0.0/0"}
    assert [(e["action"], e["protocol"]) for e in acl.inputs["egress"]] == [("allow", "-1")]
    assert "subnetIds" in acl.ignore_changes
    # RDP stays open at this layer: it lies in the range NAT gateways receive replies on.
    assert DENIED_ADMIN_PORTS == (22,)
    assert 3389 in hardening_facts.ADMIN_PORTS and hardening_facts.EPHEMERAL_PORTS[0] <= 3389


def test_flow_logs_capture_all_traffic_into_an_encrypted_retained_group(recording: Recording) -> None:
    (flow,) = _in(recording, "eu", "aws:ec2/flowLog:FlowLog")
    (group,) = _in(recording, "eu", LOG_GROUP)
    (role,) = _in(recording, "eu", "aws:iam/role:Role")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["vpcId"] == _id(recording, "eu-vpc")
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow.inputs["logDestination"] == group.outputs["arn"]
    assert flow.inputs["iamRoleArn"] == role.outputs["arn"]
    assert group.inputs["kmsKeyId"] == KEY.arn
    assert group.inputs["retentionInDays"] == 1827  # 1825 rounded up to what CloudWatch accepts
    assert group.protect is True


def test_flow_log_role_is_least_privilege_with_a_source_account_condition(recording: Recording) -> None:
    (role,) = _in(recording, "eu", "aws:iam/role:Role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": MOCK_ACCOUNT_ID}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:ec2:{REGION}:{MOCK_ACCOUNT_ID}:vpc-flow-log/*"}
    (policy,) = _in(recording, "eu", "aws:iam/rolePolicy:RolePolicy")
    group_arn = _in(recording, "eu", LOG_GROUP)[0].outputs["arn"]
    write, find = json.loads(policy.inputs["policy"])["Statement"]
    assert write["Resource"] == [group_arn, f"{group_arn}:*"]
    assert set(write["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
    assert find["Action"] == "logs:DescribeLogGroups"
    assert "*" not in (write["Resource"][0], find["Resource"])


def test_every_endpoint_service_is_present(recording: Recording) -> None:
    endpoints = {e.inputs["serviceName"]: e for e in _in(recording, "eu", ENDPOINT)}
    expected = {f"com.amazonaws.{REGION}.{service}" for service in (*INTERFACE_ENDPOINT_SERVICES, "s3")}
    assert set(endpoints) == expected
    for service in ("kms", "secretsmanager", "ecr.api", "ecr.dkr", "logs", "sts", "ssm", "ssmmessages", "ec2messages"):
        endpoint = endpoints[f"com.amazonaws.{REGION}.{service}"]
        assert endpoint.inputs["vpcEndpointType"] == "Interface"
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert endpoint.inputs["subnetIds"] == recording.exports["private"]
        assert endpoint.inputs["securityGroupIds"] == [recording.exports["endpoint_sg"]]
    s3 = endpoints[f"com.amazonaws.{REGION}.s3"]
    assert s3.inputs["vpcEndpointType"] == "Gateway"
    tables = {r.inputs["routeTableId"] for r in recording.of_type(ENDPOINT_RTA) if r.inputs["vpcEndpointId"] == s3.id}
    expected_tables = {_id(recording, f"eu-{tier}-rt-{zone}") for tier in ("private", "isolated") for zone in ZONES}
    assert tables == expected_tables


def test_endpoint_security_group_admits_only_https_from_the_vpc(recording: Recording) -> None:
    (group,) = _in(recording, "eu", "aws:ec2/securityGroup:SecurityGroup")
    assert group.id == recording.exports["endpoint_sg"]
    assert group.inputs["description"]
    assert not group.inputs.get("ingress") and not group.inputs.get("egress")
    (rule,) = _in(recording, "eu", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["securityGroupId"] == group.id
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 443, 443)
    assert rule.inputs["cidrIpv4"] == "10.0.0.0/16"
    assert rule.inputs["description"]
    assert _in(recording, "eu", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") == []


def test_wiring_hands_off_the_right_tiers(recording: Recording) -> None:
    vpc_id = _id(recording, "eu-vpc")
    assert recording.exports["cidr"] == "10.0.0.0/16"
    assert recording.exports["app"] == [
        vpc_id,
        "10.0.0.0/16",
        recording.exports["private"],
        recording.exports["public"],
    ]
    assert recording.exports["data"] == [vpc_id, recording.exports["isolated"], {"app": "sg-app"}]


def _grow(zones: tuple[str, ...]) -> Recording:
    def program() -> None:
        _vpc("grow", VpcSettings(availability_zones=zones), aws.Provider("eu", region=REGION))

    return synthesize(program)


def test_adding_an_az_keeps_every_existing_subnet_and_nat_identical() -> None:
    before = _grow(("eu-central-1a", "eu-central-1c"))
    after = _grow(("eu-central-1a", "eu-central-1b", "eu-central-1c"))

    def by_name(recording: Recording, type_: str) -> dict[str, Any]:
        return {r.name: dict(r.inputs) for r in recording.of_type(type_)}

    for type_ in (SUBNET, NAT, EIP, ROUTE_TABLE, ROUTE, RTA, ENDPOINT_RTA):
        old, new = by_name(before, type_), by_name(after, type_)
        assert old, type_
        assert set(old) < set(new), type_
        for name, inputs in old.items():
            assert new[name] == inputs, name
    added = set(by_name(after, SUBNET)) - set(by_name(before, SUBNET))
    assert added == {f"grow-{tier}-eu-central-1b" for tier in ("public", "private", "isolated")}


_rejected = rejected


@pytest.mark.parametrize(
    ("settings", "region", "retention", "message"),
    [
        (
            VpcSettings(availability_zones=("eu-central-1a", "eu-west-1a")),
            REGION,
            365,
            "vpc.availability_zones[1]: 'eu-west-1a' is not an availability zone of eu-central-1; "
            "allowed: eu-central-1a, eu-central-1b, eu-central-1c",
        ),
        (
            VpcSettings(availability_zones=("ap-northeast-1a", "ap-northeast-1b")),
            "ap-northeast-1",
            365,
            "vpc.availability_zones[1]: 'ap-northeast-1b' is not an availability zone of ap-northeast-1; "
            "allowed: ap-northeast-1a, ap-northeast-1c, ap-northeast-1d",
        ),
        (
            VpcSettings(),
            "us-west-1",
            365,
            "vpc.az_count: 3 has no default zones in us-west-1 (its zones differ per account); "
            "name the zones in vpc.availability_zones",
        ),
        (
            VpcSettings(az_count=4),
            REGION,
            365,
            "vpc.az_count: 4 is more than the 3 default AZs of eu-central-1; name the zones in vpc.availability_zones",
        ),
        (
            VpcSettings(),
            REGION,
            -1,
            "flow_log_retention_days: -1 is not a retention period; allowed: a whole number of days >= 1 "
            "(rounded up to one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, "
            "2192, 2557, 2922, 3288, 3653), or 0 to never expire",
        ),
    ],
)
def test_bad_input_is_one_config_error_and_registers_nothing(
    settings: VpcSettings, region: str, retention: int, message: str
) -> None:
    errors, recording = _rejected(
        lambda provider: SecureVpc(
            "bad",
            settings,
            region=region,
            flow_logs_key=KEY,
            flow_log_retention_days=retention,
            opts=pulumi.ResourceOptions(provider=provider),
        )
    )
    assert errors == [message]
    assert [resource.type for resource in recording if not resource.is_provider] == []
