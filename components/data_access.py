"""Who may reach a data store: a security group that admits exactly its declared clients, and nothing out.

Shared by every data store here (the PostgreSQL databases and the cache), so the rule is written once.

Every rule is its own ``aws.vpc.SecurityGroupIngressRule``; the group has no inline ``ingress``/``egress``
blocks. The provider warns that inline blocks and rule resources on one group overwrite each other, and an
omitted block is simply not managed, so standalone rules are the only form that composes (others, such as
the rotation function's egress, attach to the same groups). A new group still has no egress: the provider
revokes AWS's default allow-all egress rule when it creates a group in a VPC
(:data:`fintech_infra.aws_facts.SECURITY_GROUP_RULES_SOURCE`), and a data store never initiates connections.
``egress=[]``, the provider's documented way to strip a group, is itself an inline block and would delete
rules others attach, so it is not used; ``revoke_rules_on_delete`` is not needed either, because every rule
is a resource Pulumi deletes before the groups it joins.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_aws as aws

from fintech_infra._naming import child
from fintech_infra.errors import ConfigError, key_path
from fintech_infra.wiring import DataNetwork

__all__ = ["check_client_labels", "data_security_group"]

_LABEL = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def check_client_labels(path: str, *networks: DataNetwork | None) -> None:
    """Refuse client labels that cannot name a rule; data stores call it before they register anything."""
    bad = sorted(
        {label for n in networks if n is not None for label in n.client_security_group_ids if not _LABEL.match(label)}
    )
    if bad:
        raise ConfigError(
            f"{key_path(path, 'network', 'client_security_group_ids')}: labels {bad!r} are not kebab-case; "
            "allowed: lowercase letters, digits and single hyphens (they name the ingress rules)"
        )


def data_security_group(
    name: str,
    *,
    network: DataNetwork,
    port: int,
    what: str,
    parent: pulumi.Resource,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.ec2.SecurityGroup:
    """A security group admitting ``port`` from each of ``network``'s clients, one rule per client; no egress.

    The rules are named ``<name>-from-<label>`` after the client's label, so adding or removing a client
    touches only its own rule.
    """
    check_client_labels(name, network)
    options = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=parent), opts)
    group = aws.ec2.SecurityGroup(
        name,
        vpc_id=network.vpc_id,
        description=f"{what}: port {port} from the application tier only",
        tags={},
        opts=options,
    )
    for label, client in network.client_security_group_ids.items():
        aws.vpc.SecurityGroupIngressRule(
            child(name, f"from-{label}"),
            security_group_id=group.id,
            referenced_security_group_id=client,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"{what} client {label}",
            tags={},
            opts=options,
        )
    return group
