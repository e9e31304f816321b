"""RoutingManifest: where each regulatory entity's traffic and data live, published next to the apps.

An application serving several entities routes every query by the client's regulatory entity: it reads
``/fintech-infra/<cell>/routing/<entity>`` (SSM Parameter Store, in the cell's own region) or the
``routing-manifest`` ConfigMap (EKS cells) and uses the database writer/reader of the concern it needs,
the cache endpoint and the secret ARNs listed there.

The manifest can only describe its own cell:

1. Structurally: every route must name the component it came from, and that component must be a
   descendant of the cell that owns the manifest. A database of another cell (another jurisdiction) is
   refused with a :class:`ResidencyError` before anything is registered.
2. By value: when the endpoints and ARNs resolve, every ARN region and every RDS endpoint region must be
   one of the cell's own regions (primary, DR); anything else fails the deployment.

The parameter is a ``SecureString`` under the cell's ``platform`` key (``key``): it holds no credential (hostnames,
ports and the ARNs of secrets that are KMS-encrypted and IAM-gated on their own), but it maps the cell's data
stores, and reading it now takes ``kms:Decrypt`` on the key through SSM as well as ``ssm:GetParameters``. ECS
injects it into the services (their execution role holds both grants); EKS workloads read the ConfigMap. A
manifest is well under the standard tier's 4 KB; ``Intelligent-Tiering`` moves a larger one (up to 8 KB) to the
advanced tier instead of failing (:data:`fintech_infra.hardening_decisions.SSM_SECURESTRING_TIERS`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.config import DataConcern, EntitySettings
from fintech_infra.errors import ResidencyError, allowed
from fintech_infra.wiring import KeyRef

__all__ = [
    "CONFIG_MAP_NAME",
    "MANIFEST_SCHEMA_VERSION",
    "CacheRoute",
    "DatabaseRoute",
    "KubernetesTarget",
    "RoutingManifest",
    "manifest_document",
    "manifest_problems",
    "parameter_name",
]

MANIFEST_SCHEMA_VERSION = 1
CONFIG_MAP_NAME = "routing-manifest"

_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):")
_RDS_HOST = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d)\.rds\.amazonaws\.com")

Role = Literal["primary", "dr"]


def parameter_name(cell: str, entity: str) -> str:
    """The fixed SSM path of one entity's manifest: ``/fintech-infra/<cell>/routing/<entity>``."""
    return f"/fintech-infra/{cell}/routing/{entity}"


@dataclass(frozen=True)
class DatabaseRoute:
    """How an application reaches one concern's database."""

    concern: DataConcern
    writer: pulumi.Input[str | None]
    reader: pulumi.Input[str | None]
    port: pulumi.Input[int]
    secret_arn: pulumi.Input[str | None]
    source: pulumi.Resource
    """The component the values come from; it must belong to the manifest's cell."""


@dataclass(frozen=True)
class CacheRoute:
    """How an application reaches the cell's cache."""

    primary: pulumi.Input[str]
    reader: pulumi.Input[str]
    port: pulumi.Input[int]
    auth_secret_arn: pulumi.Input[str | None]
    source: pulumi.Resource


@dataclass(frozen=True)
class KubernetesTarget:
    """An EKS cluster of the cell: the ConfigMap goes into each application namespace."""

    provider: k8s.Provider
    namespaces: Sequence[str]
    depends_on: Sequence[pulumi.Resource] = ()


def manifest_document(
    *,
    cell: str,
    jurisdiction: str,
    role: Role,
    region: str,
    entity: EntitySettings,
    databases: Mapping[str, Mapping[str, Any]],
    cache: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The JSON document an application reads for one entity (plain values)."""
    return {
        "schema": MANIFEST_SCHEMA_VERSION,
        "cell": cell,
        "jurisdiction": jurisdiction,
        "role": role,
        "region": region,
        "entity": {
            "name": entity.name,
            "legal_name": entity.legal_name,
            "hostname": entity.hostname,
            # Role hostnames (``app``...), only where the entity has some: older readers see the same document.
            **({"hostnames": dict(entity.hostnames)} if entity.hostnames else {}),
        },
        "databases": {concern: dict(route) for concern, route in sorted(databases.items())},
        "cache": dict(cache) if cache is not None else None,
    }


def _walk(value: Any, path: str) -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        return [item for key, inner in value.items() for item in _walk(inner, f"{path}.{key}" if path else key)]
    if isinstance(value, str):
        return [(path, value)]
    return []


def manifest_problems(document: Mapping[str, Any], *, permitted_regions: Sequence[str]) -> list[str]:
    """Every ARN or RDS endpoint in ``document`` whose region is not one of ``permitted_regions``."""
    problems = []
    for path, value in _walk(document, ""):
        for pattern in (_ARN, _RDS_HOST):
            match = pattern.search(value)
            if match and match.group(1) and match.group(1) not in permitted_regions:
                problems.append(f"{path} is in region {match.group(1)!r}; {allowed(permitted_regions)}")
    return problems


def _descends_from(resource: pulumi.Resource, ancestor: pulumi.Resource) -> bool:
    # The SDK keeps the tree as each resource's set of children; walk it down from the ancestor.
    frontier = [ancestor]
    while frontier:
        current = frontier.pop()
        if resource is current:
            return True
        frontier.extend(getattr(current, "_childResources", ()))
    return False


class RoutingManifest(FintechComponent):
    """Per entity: SSM parameter (and EKS ConfigMaps) naming this cell's endpoints, and nothing else's."""

    TYPE: ClassVar[str] = "fintech:routing:RoutingManifest"
    OUTPUTS: ClassVar[dict[str, str]] = {
        "documents": "Entity name to the manifest document published for it.",
        "parameter_names": "Entity name to the SSM parameter path holding its manifest.",
        "config_maps": "Namespace/name of each routing ConfigMap (EKS cells; empty otherwise).",
    }

    def __init__(
        self,
        name: str,
        *,
        cell: str,
        owner: pulumi.Resource,
        jurisdiction: str,
        role: Role,
        region: str,
        permitted_regions: Sequence[str],
        entities: Sequence[EntitySettings],
        databases: Sequence[DatabaseRoute],
        cache: CacheRoute | None,
        key: KeyRef,
        kubernetes: KubernetesTarget | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``key`` encrypts the SSM parameters (the region's platform key in a cell)."""
        sources = [(f"databases.{route.concern.value}", route.source) for route in databases]
        if cache is not None:
            sources.append(("cache", cache.source))
        for path, source in sources:
            if not _descends_from(source, owner):
                raise ResidencyError(
                    f"routing manifest of cell {cell!r}: {path} comes from {source.pulumi_resource_name!r}, "
                    f"which is not part of cell {cell!r}; allowed: this cell's own components"
                )
        if region not in permitted_regions:
            raise ResidencyError(
                f"routing manifest of cell {cell!r}: region {region!r} is not permitted; {allowed(permitted_regions)}"
            )
        super().__init__(self.TYPE, name, opts)

        database_values = {
            route.concern.value: {
                "writer": route.writer,
                "reader": route.reader,
                "port": route.port,
                "secret_arn": route.secret_arn,
            }
            for route in databases
        }
        cache_values = (
            None
            if cache is None
            else {
                "primary": cache.primary,
                "reader": cache.reader,
                "port": cache.port,
                "auth_secret_arn": cache.auth_secret_arn,
            }
        )
        resolved = pulumi.Output.from_input({"databases": database_values, "cache": cache_values})
        checked_regions = tuple(permitted_regions)

        documents: dict[str, pulumi.Output[dict[str, Any]]] = {}
        self.parameters: dict[str, aws.ssm.Parameter] = {}
        self.config_maps: list[k8s.core.v1.ConfigMap] = []
        for entity in entities:

            def build(values: Mapping[str, Any], entity: EntitySettings = entity) -> dict[str, Any]:
                document = manifest_document(
                    cell=cell,
                    jurisdiction=jurisdiction,
                    role=role,
                    region=region,
                    entity=entity,
                    databases=values["databases"],
                    cache=values["cache"],
                )
                problems = manifest_problems(document, permitted_regions=checked_regions)
                if problems:
                    raise ResidencyError(f"routing manifest {cell}/{entity.name}: " + "; ".join(problems))
                return document

            document = resolved.apply(build)
            documents[entity.name] = document
            self.parameters[entity.name] = aws.ssm.Parameter(
                child(name, f"ssm-{entity.name}"),
                name=parameter_name(cell, entity.name),
                type="SecureString",
                key_id=key.arn,
                tier="Intelligent-Tiering",
                # SecureString takes `value` (the provider refuses insecure_value with it): a secret in state.
                value=pulumi.Output.json_dumps(document),
                description=f"Routing manifest ({role}) of entity {entity.name} in cell {cell}",
                opts=pulumi.ResourceOptions(parent=self),
            )

        if kubernetes is not None:
            data = pulumi.Output.all(*[documents[entity.name].apply(json.dumps) for entity in entities]).apply(
                lambda texts: {f"{e.name}.json": text for e, text in zip(entities, texts, strict=True)}
            )
            for namespace in kubernetes.namespaces:
                self.config_maps.append(
                    k8s.core.v1.ConfigMap(
                        child(name, f"cm-{namespace}"),
                        metadata=k8s.meta.v1.ObjectMetaArgs(
                            name=CONFIG_MAP_NAME,
                            namespace=namespace,
                            labels={
                                "app.kubernetes.io/managed-by": "fintech-infra",
                                "fintech-infra/cell": cell,
                                "fintech-infra/jurisdiction": jurisdiction,
                            },
                        ),
                        data=data,
                        opts=pulumi.ResourceOptions(
                            parent=self, provider=kubernetes.provider, depends_on=list(kubernetes.depends_on)
                        ),
                    )
                )

        self.documents = pulumi.Output.all(**documents) if documents else pulumi.Output.from_input({})
        self.parameter_names = {entity.name: parameter_name(cell, entity.name) for entity in entities}
        self.register_outputs(
            {
                "documents": self.documents,
                "parameter_names": self.parameter_names,
                "config_maps": [
                    f"{namespace}/{CONFIG_MAP_NAME}" for namespace in (kubernetes.namespaces if kubernetes else ())
                ],
            }
        )
