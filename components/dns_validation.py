"""A cell stack's side of certificate validation: write its ACM records in the zones stack's zones itself.

The zones (``global``) stack is deployed first (:mod:`fintech_infra.dns_zones`). A cell stack names it in
``dns.zones_stack`` and reads it through one ``StackReference`` (:func:`read_zone_access`): the hosted zone id of
every zone, and the validation writer role this stack may assume there (its ``dns.writer``, by default the
stack's name). Each cell then gets a provider that assumes the stack's deploy role and, from it, the writer role
(:meth:`ZoneAccess.validation_for`), and each edge writes its certificate's validation ``CNAME`` records through
it into the most specific zone holding each hostname. The certificate is issued within the cell's own
``pulumi up``: no step waits for another stack.

What the writer role allows is decided by the zones stack (``validation_writers.<stack>.names``); a hostname
outside those names, or outside every zone, fails the preview here with the key to change, instead of an
AccessDenied after the ALB was built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child
from fintech_infra.config import DeploymentIdentity, DnsConfig
from fintech_infra.dns_zones import WRITERS_OUTPUT, ZONES_OUTPUT, zone_for
from fintech_infra.errors import ConfigError, allowed
from fintech_infra.wiring import ValidationZones

__all__ = ["VALIDATION_SESSION", "ZoneAccess", "read_zone_access"]

VALIDATION_SESSION = "fintech-infra-acm-validation"
"""Session name of the second hop (deploy role -> writer role), visible in the zones account's CloudTrail."""


def _covered(hostname: str, names: Sequence[str]) -> bool:
    return any(hostname == name or hostname.endswith(f".{name}") for name in names)


@dataclass(frozen=True)
class ZoneAccess:
    """The zones stack as one cell stack sees it: its zones and the writer role it validates with."""

    zones_stack: str
    writer: str
    zones: pulumi.Output[Any]
    """Zone name to hosted zone id (the zones stack's ``zones`` output)."""
    writers: pulumi.Output[Any]
    """Writer to ``{role_arn, names}`` (the zones stack's ``validation_writers`` output)."""
    identity: DeploymentIdentity | None

    def _writer_spec(self, writers: Any) -> Mapping[str, Any]:
        known = sorted(writers) if isinstance(writers, Mapping) else []
        if self.writer not in known:
            raise ConfigError(
                f"dns.writer: {self.writer!r} is not a validation writer of stack {self.zones_stack!r}; "
                + (allowed(known) if known else "add it under zones.validation_writers there and deploy it first")
            )
        spec: Mapping[str, Any] = writers[self.writer]
        return spec

    def _zone_id(self, hostname: str, where: str) -> Callable[[list[Any]], str]:
        def pick(values: list[Any]) -> str:
            zones, writers = values
            names = [str(name) for name in self._writer_spec(writers).get("names") or []]
            if not _covered(hostname, names):
                raise ConfigError(
                    f"{where}: {hostname!r} is not a name stack {self.zones_stack!r} lets writer {self.writer!r} "
                    f"validate; allowed: names under {', '.join(names)} (zones.validation_writers.{self.writer}.names)"
                )
            zone = zone_for(hostname, list(zones) if isinstance(zones, Mapping) else [])
            if zone is None:
                raise ConfigError(
                    f"{where}: {hostname!r} is in no zone of stack {self.zones_stack!r}; "
                    f"{allowed(sorted(zones) if isinstance(zones, Mapping) else [])}"
                )
            return str(zones[zone])

        return pick

    def account(self) -> pulumi.Output[str]:
        """The zones stack's account (its writer role's): where the routing stack also deploys, since it writes
        the entity records into these zones with its own provider."""
        return self.writers.apply(lambda writers: str(self._writer_spec(writers)["role_arn"]).split(":")[4])

    def validation_for(
        self, cell: str, hostnames: Mapping[str, str], *, region: str, parent: pulumi.Resource
    ) -> ValidationZones:
        """Where ``cell``'s certificates validate: a zone id per hostname, written through a new provider.

        ``hostnames`` maps each hostname to the config key it comes from (for error messages). The provider
        deploys as the stack's identity, then assumes the writer role; ``region`` only picks the STS endpoint
        (Route 53 itself is global).
        """
        role_arn = self.writers.apply(lambda writers: str(self._writer_spec(writers)["role_arn"]))
        account = role_arn.apply(lambda arn: arn.split(":")[4])
        identity = self.identity
        hops: list[aws.ProviderAssumeRoleArgs] = []
        if identity is not None and identity.deploy_role_arn:
            hops.append(
                aws.ProviderAssumeRoleArgs(
                    role_arn=identity.deploy_role_arn,
                    session_name=identity.session_name,
                    source_identity=identity.source_identity,
                    external_id=identity.external_id,
                )
            )
        # The source identity set on the first hop carries into this one by itself (role chaining).
        hops.append(aws.ProviderAssumeRoleArgs(role_arn=role_arn, session_name=VALIDATION_SESSION))
        provider = aws.Provider(
            child(cell, "dns-validation"),
            region=region,
            assume_roles=hops,
            allowed_account_ids=[account],
            skip_metadata_api_check=not (identity is not None and identity.use_instance_metadata),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        both = pulumi.Output.all(self.zones, self.writers)
        zone_ids = {hostname: both.apply(self._zone_id(hostname, where)) for hostname, where in hostnames.items()}
        return ValidationZones(zone_ids=zone_ids, provider=provider)


def read_zone_access(config: DnsConfig, *, stack: str, identity: DeploymentIdentity | None) -> ZoneAccess:
    """One ``StackReference`` to the zones stack for the whole stack; ``stack`` is this stack's name."""
    reference = pulumi.StackReference("dns-zones", stack_name=config.zones_stack)
    return ZoneAccess(
        zones_stack=config.zones_stack,
        writer=config.writer or stack,
        zones=reference.get_output(ZONES_OUTPUT),
        writers=reference.get_output(WRITERS_OUTPUT),
        identity=identity,
    )
