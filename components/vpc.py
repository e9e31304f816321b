"""SecureVpc: a three-tier VPC whose per-AZ children never move when an AZ is added.

Tiers, per AZ:

    public    load balancers and NAT gateways only; default route to the internet gateway
    private   the application tier; default route to its AZ's NAT gateway (or the single NAT)
    isolated  data stores; no default route at all, only the S3 gateway endpoint

Stability: every per-AZ child is named after its AZ (``<name>-private-eu-central-1a``) and every subnet's
CIDR is derived from the AZ's letter (a=0, b=1, ...) and its tier, never from its position in the list,
so adding ``eu-central-1c`` replaces nothing that exists. AZ names must therefore be plain strings at
plan time: they come from ``VpcSettings.availability_zones`` or from :data:`ZONE_LETTERS`, not from an
invoke.

CIDR plan for a VPC of prefix /P (P = 16..20), eight AZ slots per tier (letters a..h):

    first half      private   slot i = /P+4 block i        (/20 each in a /16: 4,091 usable addresses)
    third quarter   isolated  slot i = /P+5 block i        (/21 each in a /16)
    seventh eighth  public    slot i = /P+6 block i        (/22 each in a /16)
    last eighth     reserved for later tiers

Also: the default security group adopted with no rules, the default network ACL adopted with SSH from the
internet denied, flow logs for ALL traffic into a KMS-encrypted
log group, and endpoints (S3 gateway; KMS, Secrets Manager, ECR, CloudWatch Logs, STS, SSM interface) so
private workloads reach AWS APIs without the internet.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import ClassVar, Literal

import pulumi
import pulumi_aws as aws

from fintech_infra import hardening_facts
from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.config import VpcSettings
from fintech_infra.errors import ConfigError, allowed, key_path
from fintech_infra.logs import cloudwatch_retention, encrypted_log_group
from fintech_infra.wiring import AppNetwork, DataNetwork, KeyRef

__all__ = [
    "DENIED_ADMIN_PORTS",
    "INTERFACE_ENDPOINT_SERVICES",
    "NO_DEFAULT_ZONES",
    "ZONE_LETTERS",
    "SecureVpc",
    "resolve_zones",
    "subnet_cidr",
]

Tier = Literal["public", "private", "isolated"]

DENIED_ADMIN_PORTS: tuple[int, ...] = tuple(
    port for port in hardening_facts.ADMIN_PORTS if port < hardening_facts.EPHEMERAL_PORTS[0]
)
"""Administration ports the default network ACL denies from the internet: those outside the ephemeral range."""

ZONE_LETTERS: Mapping[str, str] = {
    "us-east-1": "abcdef", "us-east-2": "abc", "us-west-1": "abc", "us-west-2": "abcd",
    "ca-central-1": "abd", "ca-west-1": "abc", "mx-central-1": "abc", "sa-east-1": "abc",
    "eu-central-1": "abc", "eu-central-2": "abc", "eu-west-1": "abc", "eu-west-2": "abc", "eu-west-3": "abc",
    "eu-north-1": "abc", "eu-south-1": "abc", "eu-south-2": "abc",
    "il-central-1": "abc", "me-south-1": "abc", "me-central-1": "abc", "af-south-1": "abc",
    "ap-east-1": "abc", "ap-east-2": "abc", "ap-south-1": "abc", "ap-south-2": "abc",
    "ap-southeast-1": "abc", "ap-southeast-2": "abc", "ap-southeast-3": "abc", "ap-southeast-4": "abc",
    "ap-southeast-5": "abc", "ap-southeast-7": "abc",
    "ap-northeast-1": "acd", "ap-northeast-2": "abcd", "ap-northeast-3": "abc",
}  # fmt: skip
"""AZ letters that exist per region, in the default order. Letters skip where AWS retired or never offered
a zone to new accounts (ap-northeast-1b, ca-central-1c)."""

NO_DEFAULT_ZONES: frozenset[str] = frozenset({"us-west-1"})
"""Regions whose usable zones differ per account (us-west-1 offers each account two of a, b, c): their
zones must be named in ``vpc.availability_zones``."""

INTERFACE_ENDPOINT_SERVICES: tuple[str, ...] = (
    "kms", "secretsmanager", "ecr.api", "ecr.dkr", "logs", "sts", "ssm", "ssmmessages", "ec2messages",
)  # fmt: skip
"""AWS APIs private workloads reach through interface endpoints (S3 is a gateway endpoint)."""

_SLOTS = 8  # letters a..h: every region's AZs fit
_TIER_LAYOUT: Mapping[Tier, tuple[int, int, int]] = {
    # tier: (prefix bits of the tier block, index of the tier block, extra bits per AZ slot inside it)
    "private": (1, 0, 3),
    "isolated": (2, 2, 3),
    "public": (3, 6, 3),
}
_INTERNET = "0.0.0.0/0"


def subnet_cidr(vpc_cidr: ipaddress.IPv4Network, tier: Tier, zone: str) -> ipaddress.IPv4Network:
    """The CIDR of ``tier``'s subnet in ``zone``: a function of the AZ letter only, never of list order."""
    slot = ord(zone[-1]) - ord("a")
    if not 0 <= slot < _SLOTS:
        raise ValueError(f"zone letter {zone[-1]!r} is outside a..h")
    block_bits, block_index, slot_bits = _TIER_LAYOUT[tier]
    block = list(vpc_cidr.subnets(prefixlen_diff=block_bits))[block_index]
    return list(block.subnets(prefixlen_diff=slot_bits))[slot]


def resolve_zones(settings: VpcSettings, region: str, *, path: str = "vpc") -> tuple[str, ...]:
    """The AZ names the VPC spans, validated against ``region``; raises one ConfigError naming the key."""
    letters = ZONE_LETTERS.get(region)
    if settings.availability_zones is not None:
        pattern = re.compile(rf"^{re.escape(region)}[a-h]$")
        for index, zone in enumerate(settings.availability_zones):
            if not pattern.match(zone) or (letters is not None and zone[-1] not in letters):
                examples = [f"{region}{letter}" for letter in (letters or "abc")]
                raise ConfigError(
                    f"{key_path(path, 'availability_zones', index)}: {zone!r} is not an availability zone of "
                    f"{region}; {allowed(examples)}"
                )
        return settings.availability_zones
    zones_key = key_path(path, "availability_zones")
    if not letters or region in NO_DEFAULT_ZONES:
        raise ConfigError(
            f"{key_path(path, 'az_count')}: {settings.az_count!r} has no default zones in {region} (its zones "
            f"differ per account); name the zones in {zones_key}"
        )
    if len(letters) < settings.az_count:
        raise ConfigError(
            f"{key_path(path, 'az_count')}: {settings.az_count!r} is more than the {len(letters)} default AZs of "
            f"{region}; name the zones in {zones_key}"
        )
    return tuple(f"{region}{letter}" for letter in letters[: settings.az_count])


class SecureVpc(FintechComponent):
    """Three-tier VPC with per-AZ NAT, isolated data subnets, flow logs, endpoints and an empty default SG."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "vpc_id": "The VPC id.",
        "cidr": "The VPC CIDR.",
        "availability_zones": "AZ names, in the order of the subnet id lists.",
        "public_subnet_ids": "Public subnets (load balancers and NAT gateways only), in AZ order.",
        "private_subnet_ids": "Private application subnets (egress through NAT), in AZ order.",
        "isolated_subnet_ids": "Isolated data subnets (no route out of the VPC), in AZ order.",
        "nat_gateway_ids": "NAT gateways, one per AZ or one in total.",
        "endpoint_security_group_id": "Security group of the interface endpoints (HTTPS from the VPC only).",
        "flow_log_group_name": "CloudWatch log group that receives the VPC flow logs.",
    }

    def __init__(
        self,
        name: str,
        settings: VpcSettings,
        *,
        region: str,
        flow_logs_key: KeyRef,
        flow_log_retention_days: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        zones = resolve_zones(settings, region)
        retention = cloudwatch_retention(flow_log_retention_days, path="flow_log_retention_days")
        super().__init__("fintech:vpc:SecureVpc", name, opts)
        this = pulumi.ResourceOptions(parent=self)
        self.cidr: str = str(settings.cidr)
        self.availability_zones: tuple[str, ...] = zones
        self.region = region

        vpc = aws.ec2.Vpc(
            child(name, "vpc"),
            cidr_block=self.cidr,
            # Interface endpoints with private DNS need both.
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": name},
            opts=this,
        )
        self.vpc_id: pulumi.Output[str] = vpc.id
        aws.ec2.DefaultSecurityGroup(
            child(name, "default-sg"),
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-unused"},
            opts=this,
        )
        self._default_network_acl(name, vpc)
        igw = aws.ec2.InternetGateway(child(name, "igw"), vpc_id=vpc.id, tags={"Name": name}, opts=this)

        subnets: dict[Tier, dict[str, aws.ec2.Subnet]] = {"public": {}, "private": {}, "isolated": {}}
        for zone in zones:
            for tier in ("public", "private", "isolated"):
                subnets[tier][zone] = self._subnet(name, vpc, tier, zone, settings.cidr)
        self.public_subnet_ids: list[pulumi.Output[str]] = [subnets["public"][z].id for z in zones]
        self.private_subnet_ids: list[pulumi.Output[str]] = [subnets["private"][z].id for z in zones]
        self.isolated_subnet_ids: list[pulumi.Output[str]] = [subnets["isolated"][z].id for z in zones]

        public_routes = aws.ec2.RouteTable(
            child(name, "public-rt"), vpc_id=vpc.id, tags={"Name": f"{name}-public"}, opts=this
        )
        aws.ec2.Route(
            child(name, "public-default-route"),
            route_table_id=public_routes.id,
            destination_cidr_block=_INTERNET,
            gateway_id=igw.id,
            opts=this,
        )
        nat_zones = zones if settings.nat_gateways == "one_per_az" else zones[:1]
        nats: dict[str, aws.ec2.NatGateway] = {}
        for zone in nat_zones:
            # Partners allow-list these addresses; losing one is an outage, so they are protected.
            eip = aws.ec2.Eip(
                child(name, f"nat-eip-{zone}"),
                domain="vpc",
                tags={"Name": f"{name}-nat-{zone}"},
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            nats[zone] = aws.ec2.NatGateway(
                child(name, f"nat-{zone}"),
                allocation_id=eip.id,
                subnet_id=subnets["public"][zone].id,
                connectivity_type="public",
                tags={"Name": f"{name}-nat-{zone}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
        self.nat_gateway_ids: list[pulumi.Output[str]] = [nat.id for nat in nats.values()]

        private_tables: dict[str, aws.ec2.RouteTable] = {}
        isolated_tables: dict[str, aws.ec2.RouteTable] = {}
        for zone in zones:
            aws.ec2.RouteTableAssociation(
                child(name, f"public-rta-{zone}"),
                subnet_id=subnets["public"][zone].id,
                route_table_id=public_routes.id,
                opts=this,
            )
            private_tables[zone] = self._route_table(name, vpc, "private", zone, subnets["private"][zone])
            aws.ec2.Route(
                child(name, f"private-default-route-{zone}"),
                route_table_id=private_tables[zone].id,
                destination_cidr_block=_INTERNET,
                nat_gateway_id=nats.get(zone, nats[nat_zones[0]]).id,
                opts=this,
            )
            # Deliberately no default route: the data tier cannot reach, or be reached from, outside the VPC.
            isolated_tables[zone] = self._route_table(name, vpc, "isolated", zone, subnets["isolated"][zone])

        self.flow_log_group_name = self._flow_logs(name, vpc, flow_logs_key, retention)
        gateway_tables = {
            **{f"private-{zone}": table for zone, table in private_tables.items()},
            **{f"isolated-{zone}": table for zone, table in isolated_tables.items()},
        }
        self.endpoint_security_group_id = self._endpoints(name, vpc, gateway_tables, self.private_subnet_ids)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "cidr": self.cidr,
                "availability_zones": list(zones),
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "isolated_subnet_ids": self.isolated_subnet_ids,
                "nat_gateway_ids": self.nat_gateway_ids,
                "endpoint_security_group_id": self.endpoint_security_group_id,
                "flow_log_group_name": self.flow_log_group_name,
            }
        )

    def app_network(self) -> AppNetwork:
        """Where the application tier runs and where its edge sits."""
        return AppNetwork(
            vpc_id=self.vpc_id,
            vpc_cidr=self.cidr,
            private_subnet_ids=self.private_subnet_ids,
            public_subnet_ids=self.public_subnet_ids,
        )

    def data_network(self, client_security_group_ids: Mapping[str, pulumi.Input[str]]) -> DataNetwork:
        """The isolated subnets, admitting only ``client_security_group_ids`` (label to group id)."""
        return DataNetwork(
            vpc_id=self.vpc_id,
            subnet_ids=self.isolated_subnet_ids,
            client_security_group_ids=dict(client_security_group_ids),
        )

    def _default_network_acl(self, name: str, vpc: aws.ec2.Vpc) -> aws.ec2.DefaultNetworkAcl:
        """Adopt the VPC's default network ACL (every subnet here uses it): SSH from anywhere denied, then all else.

        AWS's default ACL admits everything. Security groups do the filtering; the ACL adds a deny of TCP 22 from
        0.0.0.0/0 in front (nothing here runs SSH; Session Manager replaces it). RDP (3389) is not denied: it lies in
        the ephemeral range on which the NAT gateways, the rotation Lambda and the load balancers get their replies
        (:data:`hardening_facts.EPHEMERAL_PORTS`), and no security group admits it. Adopting the ACL replaces its
        rules in one update (the provider removes AWS's, then writes these): on an existing VPC, in a quiet window.
        """
        world = "0.0.0.0/0"
        ingress = [
            aws.ec2.DefaultNetworkAclIngressArgs(
                rule_no=100 + index, action="deny", protocol="tcp", cidr_block=world, from_port=port, to_port=port
            )
            for index, port in enumerate(DENIED_ADMIN_PORTS)
        ]
        ingress.append(
            aws.ec2.DefaultNetworkAclIngressArgs(
                rule_no=200, action="allow", protocol="-1", cidr_block=world, from_port=0, to_port=0
            )
        )
        return aws.ec2.DefaultNetworkAcl(
            child(name, "default-nacl"),
            default_network_acl_id=vpc.default_network_acl_id,
            ingress=ingress,
            egress=[
                aws.ec2.DefaultNetworkAclEgressArgs(
                    rule_no=100, action="allow", protocol="-1", cidr_block=world, from_port=0, to_port=0
                )
            ],
            tags={"Name": f"{name}-default"},
            # Subnets use the default ACL by not being associated elsewhere; listing them would only add drift.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnetIds"]),
        )

    def _subnet(
        self, name: str, vpc: aws.ec2.Vpc, tier: Tier, zone: str, cidr: ipaddress.IPv4Network
    ) -> aws.ec2.Subnet:
        # Load balancer discovery tags (EKS, AWS Load Balancer Controller); harmless elsewhere.
        role_tag = {"public": {"kubernetes.io/role/elb": "1"}, "private": {"kubernetes.io/role/internal-elb": "1"}}
        return aws.ec2.Subnet(
            child(name, f"{tier}-{zone}"),
            vpc_id=vpc.id,
            availability_zone=zone,
            cidr_block=str(subnet_cidr(cidr, tier, zone)),
            # Public subnets too: only ALBs and NAT gateways live there, and they bring their own addresses.
            map_public_ip_on_launch=False,
            tags={"Name": f"{name}-{tier}-{zone}", "Tier": tier, **role_tag.get(tier, {})},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _route_table(
        self, name: str, vpc: aws.ec2.Vpc, tier: Tier, zone: str, subnet: aws.ec2.Subnet
    ) -> aws.ec2.RouteTable:
        table = aws.ec2.RouteTable(
            child(name, f"{tier}-rt-{zone}"),
            vpc_id=vpc.id,
            tags={"Name": f"{name}-{tier}-{zone}"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ec2.RouteTableAssociation(
            child(name, f"{tier}-rta-{zone}"),
            subnet_id=subnet.id,
            route_table_id=table.id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return table

    def _flow_logs(self, name: str, vpc: aws.ec2.Vpc, key: KeyRef, retention: int) -> pulumi.Output[str]:
        invoke = pulumi.InvokeOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        group = encrypted_log_group(child(name, "flow-logs"), key=key, retention_days=retention, parent=self)
        trust = pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        # Confused-deputy guard: only flow logs of this account may assume the role.
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": account},
                            "ArnLike": {
                                "aws:SourceArn": pulumi.Output.format(
                                    "arn:{0}:ec2:{1}:{2}:vpc-flow-log/*", partition, self.region, account
                                )
                            },
                        },
                    }
                ],
            }
        )
        role = aws.iam.Role(
            child(name, "flow-logs-role"),
            description=f"VPC flow logs of {name} deliver to their log group",
            assume_role_policy=trust,
            tags={},
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            child(name, "flow-logs-policy"),
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "WriteFlowLogs",
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                            "Resource": [group.arn, pulumi.Output.concat(group.arn, ":*")],
                        },
                        {
                            "Sid": "FindLogGroup",
                            "Effect": "Allow",
                            "Action": "logs:DescribeLogGroups",
                            "Resource": pulumi.Output.format(
                                "arn:{0}:logs:{1}:{2}:log-group:*", partition, self.region, account
                            ),
                        },
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ec2.FlowLog(
            child(name, "flow-log"),
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        return group.name

    def _endpoints(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        gateway_tables: Mapping[str, aws.ec2.RouteTable],
        subnet_ids: Sequence[pulumi.Input[str]],
    ) -> pulumi.Output[str]:
        this = pulumi.ResourceOptions(parent=self)
        s3 = aws.ec2.VpcEndpoint(
            child(name, "s3-endpoint"),
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{self.region}.s3",
            vpc_endpoint_type="Gateway",
            tags={"Name": f"{name}-s3"},
            opts=this,
        )
        # One association per route table, keyed by tier and AZ, so adding an AZ only adds associations.
        for key, table in gateway_tables.items():
            aws.ec2.VpcEndpointRouteTableAssociation(
                child(name, f"s3-endpoint-{key}"), vpc_endpoint_id=s3.id, route_table_id=table.id, opts=this
            )
        # No egress rule: endpoints only answer (security groups are stateful) and never initiate.
        group = aws.ec2.SecurityGroup(
            child(name, "endpoints-sg"),
            vpc_id=vpc.id,
            description=f"Interface endpoints of {name}: HTTPS from inside the VPC only",
            tags={"Name": f"{name}-endpoints"},
            opts=this,
        )
        aws.vpc.SecurityGroupIngressRule(
            child(name, "endpoints-https-from-vpc"),
            security_group_id=group.id,
            cidr_ipv4=self.cidr,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS APIs from workloads in this VPC",
            tags={},
            opts=this,
        )
        for service in INTERFACE_ENDPOINT_SERVICES:
            aws.ec2.VpcEndpoint(
                child(name, f"{service.replace('.', '-')}-endpoint"),
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{self.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=list(subnet_ids),
                security_group_ids=[group.id],
                tags={"Name": f"{name}-{service}"},
                opts=this,
            )
        return group.id
