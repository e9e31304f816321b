"""SharedZones: the public hosted zone, its delegated subzones and who may validate names in them.

The zones (``global``) stack is deployed before every other stack. It owns:

- the public zone (``zones.zone_name``), protected: its name servers are what the registrar delegates to;
- one delegated subzone per non-production environment (``zones.subzones``: ``dev`` makes
  ``dev.<zone>``), with the NS delegation written in the parent in the same run;
- per cell stack (``zones.validation_writers``), an IAM role in this account that only that stack's deploy role
  may assume, allowed to write exactly the ACM validation records of its names: ``CNAME`` records named
  ``_<token>.<name>`` (and below) in the zone that holds the name, nothing else. A cell stack writes its
  certificates' validation records through it (:mod:`fintech_infra.dns_validation`), so its certificates are
  issued within its own ``pulumi up``.

The IAM conditions are Route 53's own keys for ``ChangeResourceRecordSets``
(``route53:ChangeResourceRecordSetsNormalizedRecordNames``, ``...RecordTypes``, ``...Actions``; Route 53
developer guide, "Using IAM policy conditions for fine-grained access control"); the other actions are the
ones the provider's record resource calls (GetHostedZone, ListResourceRecordSets, GetChange).

The stack exports :data:`ZONES_OUTPUT` (zone name to zone id) and :data:`WRITERS_OUTPUT` (writer to role ARN and
names). Query logging stays off for the reason given in :mod:`fintech_infra.dns`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.config import DeploymentIdentity, ValidationWriter, ZonesConfig
from fintech_infra.providers import RegionalProviders

__all__ = [
    "DELEGATION_TTL_SECONDS",
    "ROUTE53_CONTROL_REGION",
    "WRITERS_OUTPUT",
    "ZONES_OUTPUT",
    "SharedZones",
    "validation_name_patterns",
    "validation_writer_policy",
    "writer_role_name",
    "zone_for",
]

ROUTE53_CONTROL_REGION = "us-east-1"
"""Route 53 is a global service whose control plane AWS serves from us-east-1; no data is stored there."""
ZONES_OUTPUT = "zones"
"""The zones stack's output: zone name to hosted zone id, for the zone and every subzone."""
WRITERS_OUTPUT = "validation_writers"
"""The zones stack's output: writer (cell stack) name to ``{role_arn, names}``."""
DELEGATION_TTL_SECONDS = 3600
"""TTL of a subzone's NS delegation: an hour, so moving a subzone's name servers does not take two days."""
_ZONE_COMMENT = "fintech-infra shared zone: one failover hostname per regulatory entity"
# The component's type before the zones and the routing were split into two stacks: the zone keeps its URN.
_FORMER_TYPE = "fintech:dns:GlobalRouting"


def zone_for(name: str, zones: Sequence[str]) -> str | None:
    """The most specific of ``zones`` that holds ``name`` (a subzone before its parent); None if none does."""
    host = name.rstrip(".").lower()
    holding = [zone for zone in zones if host == zone or host.endswith(f".{zone}")]
    return max(holding, key=len) if holding else None


def writer_role_name(writer: str) -> str:
    """The fixed IAM role name of a validation writer, so a deploy role's policy can name it in advance."""
    return f"fintech-infra-acm-validation-{writer}"


def validation_name_patterns(names: Sequence[str]) -> list[str]:
    """``route53:ChangeResourceRecordSetsNormalizedRecordNames`` patterns: ``_*.<name>`` per name.

    Normalized names are lower case without the final dot; ``_`` needs no escape (Route 53 guide).
    """
    return [f"_*.{name.rstrip('.').lower()}" for name in names]


def validation_writer_policy(zone_ids: Sequence[pulumi.Input[str]], names: Sequence[str]) -> dict[str, Any]:
    """The writer role's policy: CNAMEs named ``_*.<name>`` in ``zone_ids``, plus what the provider reads."""
    zones = [pulumi.Output.concat("arn:aws:route53:::hostedzone/", zone_id) for zone_id in zone_ids]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteAcmValidationRecords",
                "Effect": "Allow",
                "Action": "route53:ChangeResourceRecordSets",
                "Resource": zones,
                "Condition": {
                    "ForAllValues:StringLike": {
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": validation_name_patterns(names)
                    },
                    "ForAllValues:StringEquals": {
                        "route53:ChangeResourceRecordSetsRecordTypes": ["CNAME"],
                        "route53:ChangeResourceRecordSetsActions": ["CREATE", "UPSERT", "DELETE"],
                    },
                    # ForAllValues passes a request without the key; every change batch carries names.
                    "Null": {"route53:ChangeResourceRecordSetsNormalizedRecordNames": "false"},
                },
            },
            {
                "Sid": "ReadTheZone",
                "Effect": "Allow",
                "Action": ["route53:GetHostedZone", "route53:ListResourceRecordSets"],
                "Resource": zones,
            },
            # GetChange has no zone in its ARN: the provider waits on each change it made.
            {
                "Sid": "WaitForChanges",
                "Effect": "Allow",
                "Action": "route53:GetChange",
                "Resource": "arn:aws:route53:::change/*",
            },
        ],
    }


def _account_of(role_arn: str) -> str:
    return role_arn.split(":")[4]


def _trust(writer: ValidationWriter) -> dict[str, Any]:
    # The account is the principal and the deploy role a condition: the trust policy stays valid while that
    # role is re-created, and names no principal that must exist when this stack deploys.
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{_account_of(writer.deploy_role_arn)}:root"},
                # A CI deploy's session carries an sts:SourceIdentity into this role (fintech_infra.attribution).
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                "Condition": {"ArnEquals": {"aws:PrincipalArn": writer.deploy_role_arn}},
            }
        ],
    }


class SharedZones(FintechComponent):
    """The public zone, one delegated subzone per non-production environment, and the validation writers."""

    TYPE: ClassVar[str] = "fintech:dns:SharedZones"
    OUTPUTS: ClassVar[dict[str, str]] = {
        "zone_id": "Route 53 hosted zone id of the public zone.",
        "name_servers": "Name servers to delegate the public zone to (at the registrar).",
        "zones": "Zone name to hosted zone id, for the zone and each subzone.",
        "validation_writers": "Writer (cell stack) to {role_arn, names}: the role it writes validation records with.",
    }

    def __init__(
        self,
        name: str,
        config: ZonesConfig,
        *,
        deployment: DeploymentIdentity | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        renamed = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=_FORMER_TYPE)])
        super().__init__(self.TYPE, name, pulumi.ResourceOptions.merge(opts, renamed), scope={"Jurisdiction": "global"})
        providers = RegionalProviders(name, identity=deployment, parent=self)
        control = pulumi.ResourceOptions(parent=self, providers={"aws": providers.get(ROUTE53_CONTROL_REGION)})
        protected = pulumi.ResourceOptions.merge(control, pulumi.ResourceOptions(protect=True))

        self.zone = aws.route53.Zone(
            child(name, "zone"), name=config.zone_name, comment=_ZONE_COMMENT, force_destroy=False, opts=protected
        )
        zone_ids: dict[str, pulumi.Output[str]] = {config.zone_name: self.zone.zone_id}
        for label in config.subzones:
            subzone = aws.route53.Zone(
                child(name, f"{label}-zone"),
                name=f"{label}.{config.zone_name}",
                comment=f"fintech-infra {label} environment, delegated from {config.zone_name}",
                force_destroy=False,
                opts=protected,
            )
            aws.route53.Record(
                child(name, f"{label}-delegation"),
                zone_id=self.zone.zone_id,
                name=f"{label}.{config.zone_name}",
                type="NS",
                ttl=DELEGATION_TTL_SECONDS,
                records=subzone.name_servers,
                opts=control,
            )
            zone_ids[f"{label}.{config.zone_name}"] = subzone.zone_id

        writers: dict[str, dict[str, Any]] = {}
        for writer, spec in sorted(config.validation_writers.items()):
            writers[writer] = self._writer(name, writer, spec, config, zone_ids, control)

        self.zone_id: pulumi.Output[str] = self.zone.zone_id
        self.name_servers: pulumi.Output[Sequence[str]] = self.zone.name_servers
        self.zones: Mapping[str, pulumi.Output[str]] = zone_ids
        self.validation_writers: Mapping[str, dict[str, Any]] = writers
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})

    @staticmethod
    def _writer(
        name: str,
        writer: str,
        spec: ValidationWriter,
        config: ZonesConfig,
        zone_ids: Mapping[str, pulumi.Output[str]],
        opts: pulumi.ResourceOptions,
    ) -> dict[str, Any]:
        holding = sorted({zone for n in spec.names if (zone := zone_for(n, config.zone_names)) is not None})
        role = aws.iam.Role(
            child(name, f"acm-{writer}-role"),
            name=writer_role_name(writer),
            assume_role_policy=pulumi.Output.json_dumps(_trust(spec)),
            description=f"Writes the ACM validation records of stack {writer} (its names only, CNAMEs only)",
            max_session_duration=3600,
            tags={},
            opts=opts,
        )
        aws.iam.RolePolicy(
            child(name, f"acm-{writer}-policy"),
            role=role.id,
            policy=pulumi.Output.json_dumps(
                validation_writer_policy([zone_ids[zone] for zone in holding], list(spec.names))
            ),
            opts=opts,
        )
        return {"role_arn": role.arn, "names": list(spec.names)}
