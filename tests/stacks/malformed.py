"""A corpus of malformed stack files, each derived from a shipped one by breaking exactly one thing.

Every :class:`Case` names the shipped stack it starts from, the one edit (to the parsed document, or to the
file's bytes for encoding and YAML faults), and what the refusal must name: the key path (or file and line)
and the bad value as the message shows it (``[value hidden]`` for a credential, whose value must not appear).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STACKS = Path(__file__).resolve().parents[2] / "stacks"
HIDDEN = "[value hidden]"

Doc = dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    base: str
    edit: Callable[[Doc], object] | None
    """Edits the parsed document in place (None: ``text`` builds the bytes)."""
    path: str
    """What the message must name: the key path, or the file and line."""
    value: str
    """How the message must show the bad value (HIDDEN: a credential, which must not appear)."""
    text: Callable[[str], bytes] | None = None
    """Builds the file's bytes from the shipped file's text (encoding and syntax faults)."""
    secret: str | None = field(default=None)
    """A credential the edit plants: it must appear nowhere in the output."""


def shipped_text(base: str) -> str:
    return (STACKS / f"Pulumi.{base}.yaml").read_text(encoding="utf-8")


def shipped(base: str) -> Doc:
    document: Doc = yaml.safe_load(shipped_text(base))
    return document


def file_bytes(case: Case) -> bytes:
    if case.text is not None:
        return case.text(shipped_text(case.base))
    document = copy.deepcopy(shipped(case.base))
    assert case.edit is not None
    case.edit(document)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode("utf-8")


def _config(doc: Doc) -> Doc:
    config: Doc = doc["config"]
    return config


def _cell(doc: Doc) -> Doc:
    cells: Doc = _config(doc)["fintech-infra:cells"]
    cell: Doc = next(iter(cells.values()))
    return cell


def _service(doc: Doc) -> Doc:
    service: Doc = _cell(doc)["compute"]["services"][0]
    return service


def _concern(doc: Doc, index: int = 0) -> Doc:
    concern: Doc = _cell(doc)["concerns"][index]
    return concern


def setting(where: Callable[[Doc], Doc], key: str, value: Any) -> Callable[[Doc], object]:
    return lambda doc: where(doc).__setitem__(key, value)


def dropping(where: Callable[[Doc], Doc], key: str) -> Callable[[Doc], object]:
    return lambda doc: where(doc).pop(key)


def renaming(where: Callable[[Doc], Doc], old: str, new: str) -> Callable[[Doc], object]:
    return lambda doc: where(doc).__setitem__(new, where(doc).pop(old))


def top(key: str, value: Any) -> Callable[[Doc], object]:
    return lambda doc: _config(doc).__setitem__(key, value)


def _tags(doc: Doc) -> Doc:
    tags: Doc = _config(doc)["fintech-infra:tags"]
    return tags


def _deployment(doc: Doc) -> Doc:
    deployment: Doc = _config(doc)["fintech-infra:deployment"]
    return deployment


def _routing(doc: Doc) -> Doc:
    routing: Doc = _config(doc)["fintech-infra:routing"]
    return routing


def _zones(doc: Doc) -> Doc:
    zones: Doc = _config(doc)["fintech-infra:zones"]
    return zones


def _vpc(doc: Doc) -> Doc:
    vpc: Doc = _cell(doc)["vpc"]
    return vpc


def _compute(doc: Doc) -> Doc:
    compute: Doc = _cell(doc)["compute"]
    return compute


def _objectives(doc: Doc) -> Doc:
    objectives: Doc = _concern(doc)["objectives"]
    return objectives


def _entity(doc: Doc) -> Doc:
    entity: Doc = _cell(doc)["entities"][0]
    return entity


def _two_services(doc: Doc) -> None:
    """The first service listed again, right after it."""
    services = _compute(doc)["services"]
    services.insert(1, copy.deepcopy(services[0]))


def _second_entity_like_first(key: str) -> Callable[[Doc], object]:
    def edit(doc: Doc) -> None:
        entities = _cell(doc)["entities"]
        twin = copy.deepcopy(entities[0])
        twin["name" if key == "hostname" else "hostname"] = "other-entity" if key == "hostname" else "api.x.example.com"
        entities.append(twin)

    return edit


def _cell_named(name: str) -> Callable[[Doc], object]:
    def edit(doc: Doc) -> None:
        cells = _config(doc)["fintech-infra:cells"]
        (old,) = list(cells)
        cells[name] = cells.pop(old)

    return edit


def _dr_cell_twin(doc: Doc) -> None:
    cells = _config(doc)["fintech-infra:cells"]
    twin = copy.deepcopy(cells["eu"])
    twin["vpc"]["cidr"] = "10.60.0.0/16"
    twin["entities"] = [{"name": "twin", "legal_name": "Twin Ltd", "hostname": "api.twin.fintech.example.com"}]
    cells["eu-dr"] = twin


def _namespace_without_its_concern(doc: Doc) -> None:
    _compute(doc)["namespaces"] = {"loans": ["crm"]}
    _cell(doc)["concerns"] = _cell(doc)["concerns"][1:]


def _eu_service(index: int) -> Callable[[Doc], Doc]:
    """prod-eu's services: 0 api, 1 web, 2 ws."""

    def where(doc: Doc) -> Doc:
        service: Doc = _compute(doc)["services"][index]
        return service

    return where


def _route_of(where: Callable[[Doc], Doc]) -> Callable[[Doc], Doc]:
    def route(doc: Doc) -> Doc:
        found: Doc = where(doc).setdefault("route", {})
        return found

    return route


def _edge(doc: Doc) -> Doc:
    edge: Doc = _cell(doc).setdefault("edge", {})
    return edge


def _second_entity(doc: Doc) -> Doc:
    entity: Doc = _cell(doc)["entities"][1]
    return entity


def _latin1(text: str) -> bytes:
    return text.replace("Example Markets (Cyprus) Ltd", "Exämple Märkets (Cyprus) Ltd").encode("latin-1")


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


DEV_LEGAL_LINE = _line_of(shipped_text("dev"), "Example Markets (Cyprus) Ltd")
DEV_CPU_LINE = _line_of(shipped_text("dev"), "            cpu: 256")


CASES: tuple[Case, ...] = (
    # -- the file: encoding, YAML, shape ----------------------------------------------------------------------
    Case("latin-1", "dev", None, f"Pulumi.latin-1.yaml line {DEV_LEGAL_LINE}", "0xe4", text=_latin1),
    Case("utf-16-bom", "dev", None, "line 1", "UTF-16", text=lambda t: t.encode("utf-16")),
    Case("utf-16-no-bom", "dev", None, "line 1", "NUL bytes", text=lambda t: t.encode("utf-16-le")),
    Case("utf-32-bom", "dev", None, "line 1", "UTF-32", text=lambda t: t.encode("utf-32")),
    Case("empty", "dev", None, "Pulumi.empty.yaml", "the file is empty", text=lambda t: b""),
    Case("comments-only", "dev", None, "Pulumi.comments-only.yaml", "only comments", text=lambda t: b"# nothing\n"),
    Case(
        "duplicate-top-key",
        "dev",
        None,
        f"line {shipped_text('dev').count(chr(10)) + 1}",
        "'fintech-infra:environment' is given twice",
        text=lambda t: (t + "  fintech-infra:environment: prod\n").encode(),
    ),
    Case(
        "duplicate-nested-key",
        "dev",
        None,
        f"line {DEV_CPU_LINE + 1}",
        "'cpu' is given twice",
        text=lambda t: t.replace("            cpu: 256\n", "            cpu: 256\n            cpu: 512\n").encode(),
    ),
    Case(
        "unclosed-bracket",
        "dev",
        None,
        "Pulumi.unclosed-bracket.yaml line",
        "expected ',' or ']'",
        text=lambda t: t.replace("[crm, trading, payments, audit]", "[crm, trading, payments, audit").encode(),
    ),
    Case(
        "tab-indent",
        "dev",
        None,
        "Pulumi.tab-indent.yaml line",
        "found character '\\t'",
        text=lambda t: t.replace("    owner: platform-engineering", "\towner: platform-engineering").encode(),
    ),
    Case(
        "control-character",
        "dev",
        None,
        "Pulumi.control-character.yaml",
        "U+0007",
        text=lambda t: t.replace("platform-engineering", "platform\x07engineering", 1).encode(),
    ),
    Case("document-is-a-list", "dev", None, "Pulumi.document-is-a-list.yaml", "a list", text=lambda t: b"- a\n- b\n"),
    Case("config-is-a-list", "dev", None, "config:", "a list", text=lambda t: b"config:\n  - a\n"),
    Case(
        "config-over-128-kib",
        "dev",
        None,
        "PULUMI_CONFIG",
        "131,057",
        text=lambda t: (t + "  aws:description: " + "x" * 140_000 + "\n").encode(),
    ),
    # -- namespaces and keys -------------------------------------------------------------------------------------
    Case(
        "namespace-typo",
        "dev",
        renaming(_config, "fintech-infra:environment", "fintech-infr:environment"),
        "fintech-infr:environment",
        "did you mean fintech-infra:environment",
    ),
    Case("unknown-namespace", "dev", top("acme:team", "x"), "acme:team", "unknown namespace 'acme'"),
    Case(
        "top-key-typo",
        "dev",
        renaming(_config, "fintech-infra:environment", "fintech-infra:enviroment"),
        "enviroment",
        "did you mean environment",
    ),
    Case(
        "cell-key-typo",
        "dev",
        renaming(_cell, "primary_region", "primary_regoin"),
        "cells.dev.primary_regoin",
        "did you mean primary_region",
    ),
    Case(
        "service-key-typo",
        "dev",
        renaming(_service, "cpu", "cpus"),
        "cells.dev.compute.services[0].cpus",
        "did you mean cpu?",
    ),
    Case("unknown-tag-key", "dev", setting(_tags, "team", "x"), "tags.team", "allowed: owner, cost_center"),
    Case("missing-tags", "dev", dropping(_config, "fintech-infra:tags"), "tags", "is required but missing"),
    Case(
        "missing-environment",
        "dev",
        dropping(_config, "fintech-infra:environment"),
        "environment",
        "is required but missing",
    ),
    Case("missing-cells", "dev", dropping(_config, "fintech-infra:cells"), "(stack)", "none is set"),
    Case("empty-config", "dev", lambda d: d.__setitem__("config", {}), "(stack)", "no fintech-infra:* keys"),
    Case("missing-entities", "dev", dropping(_cell, "entities"), "cells.dev.entities", "is required but missing"),
    Case(
        "missing-concern",
        "dev",
        dropping(_concern, "concern"),
        "cells.dev.concerns[0].concern",
        "is required but missing",
    ),
    # -- types, strictly ----------------------------------------------------------------------------------------
    Case(
        "bool-for-int",
        "dev",
        setting(_service, "min_tasks", True),
        "cells.dev.compute.services[0].min_tasks",
        "True (a boolean) is not an integer",
    ),
    Case(
        "string-for-int",
        "dev",
        setting(_service, "cpu", "512"),
        "cells.dev.compute.services[0].cpu",
        "'512' (a string) is not an integer",
    ),
    Case(
        "float-for-int",
        "dev",
        setting(_service, "memory_mb", 1024.5),
        "cells.dev.compute.services[0].memory_mb",
        "1024.5",
    ),
    Case("string-for-az-count", "dev", setting(_vpc, "az_count", "2"), "cells.dev.vpc.az_count", "'2' (a string)"),
    Case(
        "yes-for-bool",
        "dev",
        setting(_concern, "multi_az", "yes"),
        "cells.dev.concerns[0].multi_az",
        "'yes' (a string) is not true or false",
    ),
    Case(
        "int-for-bool",
        "dev",
        setting(_concern, "multi_az", 1),
        "cells.dev.concerns[0].multi_az",
        "1 (an integer) is not true or false",
    ),
    Case("entities-mapping", "dev", setting(_cell, "entities", {"name": "x"}), "cells.dev.entities", "is not a list"),
    Case("concerns-string", "dev", setting(_cell, "concerns", "crm"), "cells.dev.concerns", "'crm' (a string)"),
    Case(
        "account-id-number",
        "dev",
        setting(_deployment, "account_id", 111111111111),
        "deployment.account_id",
        "111111111111 (an integer) is not a string",
    ),
    Case("owner-number", "dev", setting(_tags, "owner", 123), "tags.owner", "123 (an integer)"),
    Case("environment-number", "dev", top("fintech-infra:environment", 5), "environment", "5"),
    Case(
        "rpo-string",
        "dev",
        setting(_objectives, "rpo_seconds", "60"),
        "cells.dev.concerns[0].objectives.rpo_seconds",
        "'60' (a string)",
    ),
    Case(
        "waf-bool",
        "dev",
        lambda d: _cell(d).__setitem__("edge", {"waf_rate_limit": True}),
        "cells.dev.edge.waf_rate_limit",
        "True (a boolean)",
    ),
    Case("vpc-string", "dev", setting(_cell, "vpc", "10.0.0.0/16"), "cells.dev.vpc", "'10.0.0.0/16'"),
    Case("compute-list", "dev", setting(_cell, "compute", ["ecs"]), "cells.dev.compute", "a list of 1 item"),
    Case(
        "nodes-null",
        "dev",
        lambda d: _cell(d)["redis"].__setitem__("nodes", None),
        "cells.dev.redis.nodes",
        "None (null) is not an integer",
    ),
    Case(
        "nan",
        "dev",
        setting(_objectives, "rto_seconds", float("nan")),
        "cells.dev.concerns[0].objectives.rto_seconds",
        "'nan'",
    ),
    # -- values -------------------------------------------------------------------------------------------------
    Case(
        "environment-qa", "dev", top("fintech-infra:environment", "qa"), "environment", "'qa' is not one of the choices"
    ),
    Case(
        "concern-typo",
        "dev",
        setting(_concern, "concern", "crmm"),
        "cells.dev.concerns[0].concern",
        "did you mean crm?",
    ),
    Case("compute-kind-typo", "dev", setting(_compute, "kind", "ecz"), "cells.dev.compute", "did you mean ecs?"),
    Case(
        "nat-typo", "dev", setting(_vpc, "nat_gateways", "singel"), "cells.dev.vpc.nat_gateways", "did you mean single?"
    ),
    Case(
        "engine-unknown", "dev", setting(_concern, "engine", "aurora-x"), "cells.dev.concerns[0].engine", "'aurora-x'"
    ),
    Case(
        "cpu-not-fargate",
        "dev",
        setting(_service, "cpu", 300),
        "cells.dev.compute.services[0].cpu",
        "300 is not a Fargate CPU size",
    ),
    Case(
        "memory-range",
        "dev",
        setting(_service, "memory_mb", 100),
        "cells.dev.compute.services[0].memory_mb",
        "100 is out of range; allowed: 512 to 122880",
    ),
    Case("az-count-range", "dev", setting(_vpc, "az_count", 9), "cells.dev.vpc.az_count", "9 is out of range"),
    Case(
        "backup-retention",
        "dev",
        setting(_concern, "backup_retention_days", 40),
        "cells.dev.concerns[0].backup_retention_days",
        "40 is out of range; allowed: 1 to 35",
    ),
    Case("public-cidr", "dev", setting(_vpc, "cidr", "8.8.0.0/16"), "cells.dev.vpc.cidr", "'8.8.0.0/16'"),
    Case("cidr-too-big", "dev", setting(_vpc, "cidr", "10.0.0.0/8"), "cells.dev.vpc.cidr", "'10.0.0.0/8'"),
    Case("cidr-invalid", "dev", setting(_vpc, "cidr", "10.0.0.0/33"), "cells.dev.vpc.cidr", "'10.0.0.0/33'"),
    Case(
        "region-unknown",
        "dev",
        setting(_cell, "primary_region", "eu-central-9"),
        "cells.dev.primary_region",
        "'eu-central-9' is not an AWS region",
    ),
    Case(
        "region-not-permitted",
        "dev",
        setting(_cell, "primary_region", "us-east-1"),
        "cells.dev.primary_region",
        "'us-east-1' is not permitted for cysec",
    ),
    Case(
        "jurisdiction-unknown",
        "dev",
        setting(_cell, "jurisdiction", "mars"),
        "cells.dev.jurisdiction",
        "'mars' is not a known jurisdiction",
    ),
    Case(
        "hostname-uppercase",
        "dev",
        setting(_entity, "hostname", "API.example.com"),
        "cells.dev.entities[0].hostname",
        "'API.example.com'",
    ),
    Case(
        "service-name-underscore",
        "dev",
        setting(_service, "name", "my_api"),
        "cells.dev.compute.services[0].name",
        "'my_api'",
    ),
    Case("cell-name-uppercase", "dev", _cell_named("Dev"), "cells.Dev: key 'Dev'", "lowercase letters"),
    Case(
        "image-too-short",
        "dev",
        setting(_service, "image", "x"),
        "cells.dev.compute.services[0].image",
        "'x' is too short",
    ),
    Case(
        "health-path",
        "dev",
        setting(_service, "health_check_path", "healthz"),
        "cells.dev.compute.services[0].health_check_path",
        "'healthz'",
    ),
    Case(
        "instance-class",
        "dev",
        setting(_concern, "instance_class", "db.x9.huge"),
        "cells.dev.concerns[0].instance_class",
        "'db.x9.huge'",
    ),
    Case(
        "node-type",
        "dev",
        lambda d: _cell(d)["redis"].__setitem__("node_type", "cache.x9.huge"),
        "cells.dev.redis.node_type",
        "'cache.x9.huge'",
    ),
    Case(
        "engine-version",
        "dev",
        setting(_concern, "engine_version", "9.6"),
        "cells.dev.concerns[0].engine_version",
        "'9.6'",
    ),
    Case(
        "pi-retention",
        "dev",
        setting(_concern, "performance_insights_retention_days", 10),
        "cells.dev.concerns[0].performance_insights_retention_days",
        "10",
    ),
    Case(
        "monitoring-interval",
        "dev",
        setting(_concern, "monitoring_interval_seconds", 7),
        "cells.dev.concerns[0].monitoring_interval_seconds",
        "7 is not one of the choices",
    ),
    Case(
        "kms-window",
        "dev",
        setting(_cell, "key_deletion_window_days", 3),
        "cells.dev.key_deletion_window_days",
        "3 is out of range; allowed: 7 to 30",
    ),
    Case(
        "role-other-account",
        "dev",
        setting(_deployment, "deploy_role_arn", "arn:aws:iam::999999999999:role/x"),
        "deployment",
        "'arn:aws:iam::999999999999:role/x' is not in account_id",
    ),
    Case(
        "role-malformed",
        "dev",
        setting(_deployment, "deploy_role_arn", "deploy-role"),
        "deployment.deploy_role_arn",
        "'deploy-role'",
    ),
    Case("max-below-min", "dev", setting(_service, "max_tasks", 0), "cells.dev.compute.services[0].max_tasks", "0"),
    Case(
        "max-tasks-below-min-tasks",
        "staging",
        setting(_service, "max_tasks", 1),
        "cells.stg.compute.services[0]",
        "max_tasks must be at least min_tasks",
    ),
    Case(
        "storage-ceiling",
        "dev",
        setting(_concern, "max_allocated_storage_gb", 10),
        "cells.dev.concerns[0].max_allocated_storage_gb",
        "10 is out of range",
    ),
    Case(
        "compliance-scope",
        "dev",
        setting(_tags, "compliance_scope", "sox"),
        "tags.compliance_scope",
        "'sox' is not one of the choices; allowed: pci-dss, non-pci",
    ),
    Case("owner-too-short", "dev", setting(_tags, "owner", "x"), "tags.owner", "'x' is too short"),
    Case(
        "cell-stack-unqualified",
        "routing",
        lambda d: _routing(d)["cell_stacks"].__setitem__("eu", "prod-eu"),
        "routing.cell_stacks",
        "'prod-eu'",
    ),
    Case(
        "health-interval",
        "routing",
        setting(_routing, "health_check_interval_seconds", 20),
        "routing.health_check_interval_seconds",
        "20 is not one of the choices; allowed: 10, 30",
    ),
    Case("zone-name", "global", setting(_zones, "zone_name", "not a zone"), "zones.zone_name", "'not a zone'"),
    Case(
        "eks-world-endpoint",
        "prod-au",
        setting(_compute, "public_endpoint_cidrs", ["0.0.0.0/0"]),
        "cells.au.compute",
        "'0.0.0.0/0'",
    ),
    Case(
        "eks-reserved-namespace",
        "prod-au",
        setting(_compute, "namespaces", {"kube-system": ["crm"]}),
        "cells.au.compute.namespaces",
        "'kube-system' is reserved",
    ),
    Case(
        "eks-node-bounds",
        "prod-au",
        setting(_compute, "node_max", 2),
        "cells.au.compute",
        "node_max must be at least node_min",
    ),
    Case(
        "eks-arch",
        "prod-au",
        setting(_compute, "node_instance_types", ["m7i.large"]),
        "cells.au.compute",
        "['m7i.large']",
    ),
    Case(
        "zones-twice",
        "prod-eu",
        lambda d: _vpc(d).update(availability_zones=["eu-central-1a", "eu-central-1a", "eu-central-1b"]),
        "cells.eu.vpc.availability_zones",
        "'eu-central-1a' is listed twice",
    ),
    Case(
        "zones-vs-count",
        "prod-eu",
        lambda d: _vpc(d).update(availability_zones=["eu-central-1a", "eu-central-1b"]),
        "cells.eu.vpc",
        "az_count 3 disagrees with 2 availability_zones",
    ),
    Case(
        "zone-other-region",
        "dev",
        lambda d: _vpc(d).update(availability_zones=["eu-central-1a", "eu-west-1b"], az_count=2),
        "cells.dev.vpc.availability_zones[1]",
        "'eu-west-1b'",
    ),
    Case(
        "log-statement",
        "dev",
        setting(_concern, "log_statement", "everything"),
        "cells.dev.concerns[0].log_statement",
        "'everything' is not one of the choices",
    ),
    Case(
        "alarm-cpu",
        "dev",
        lambda d: _cell(d).__setitem__("alarms", {"cpu_pct": 150}),
        "cells.dev.alarms.cpu_pct",
        "150 is out of range; allowed: 1 to 100",
    ),
    # -- rules across keys ---------------------------------------------------------------------------------------
    Case(
        "dr-is-primary",
        "staging",
        setting(_cell, "dr_region", "eu-central-1"),
        "cells.stg.dr_region",
        "'eu-central-1' is the primary region",
    ),
    Case(
        "dr-not-permitted",
        "staging",
        setting(_cell, "dr_region", "us-east-1"),
        "cells.stg.dr_region",
        "'us-east-1' is not permitted",
    ),
    Case(
        "dr-network-equal",
        "staging",
        setting(_cell, "dr_vpc", {"cidr": "10.20.0.0/16"}),
        "cells.stg.dr_vpc.cidr",
        "'10.20.0.0/16' is vpc.cidr",
    ),
    Case(
        "dr-network-overlap",
        "staging",
        setting(_cell, "dr_vpc", {"cidr": "10.20.16.0/20"}),
        "cells.stg.dr_vpc.cidr",
        "'10.20.16.0/20' overlaps vpc.cidr",
    ),
    Case(
        "dr-network-without-dr",
        "dev",
        setting(_cell, "dr_vpc", {"cidr": "10.11.0.0/16"}),
        "cells.dev.dr_vpc",
        "without dr_region",
    ),
    Case(
        "concern-twice",
        "dev",
        lambda d: _cell(d)["concerns"].append(copy.deepcopy(_concern(d))),
        "cells.dev.concerns[4].concern",
        "'crm' is listed twice",
    ),
    Case(
        "entity-name-twice",
        "staging",
        _second_entity_like_first("name"),
        "cells.stg.entities[2].name",
        "'cysec-cy' is listed twice",
    ),
    Case(
        "hostname-twice",
        "staging",
        _second_entity_like_first("hostname"),
        "cells.stg.entities[2].hostname",
        "'api.cy.staging.fintech.example.com' is already used",
    ),
    Case("service-twice", "prod-eu", _two_services, "cells.eu.compute.services[1].name", "'api' is listed twice"),
    Case(
        "service-concern-missing",
        "dev",
        lambda d: _cell(d).__setitem__("concerns", _cell(d)["concerns"][:1]),
        "cells.dev.compute.services[0].concerns[1]",
        "'trading' has no database in this cell",
    ),
    Case(
        "service-concern-twice",
        "dev",
        setting(_service, "concerns", ["crm", "crm"]),
        "cells.dev.compute.services[0].concerns[1]",
        "'crm' is listed twice",
    ),
    Case(
        "namespace-concern-missing",
        "prod-au",
        _namespace_without_its_concern,
        "cells.au.compute.namespaces.loans[0]",
        "'crm' has no database in this cell",
    ),
    Case(
        "prod-single-az",
        "prod-uk",
        setting(_concern, "multi_az", False),
        "cells.uk.concerns[0].multi_az",
        "False is not allowed in prod",
    ),
    Case(
        "prod-single-nat",
        "prod-uk",
        setting(_vpc, "nat_gateways", "single"),
        "cells.uk.vpc.nat_gateways",
        "'single' is not allowed in prod",
    ),
    Case(
        "objectives-too-tight",
        "prod-uk",
        lambda d: _concern(d).__setitem__("objectives", {"rpo_seconds": 0, "rto_seconds": 60}),
        "cells.uk.concerns[0].objectives.rpo_seconds",
        "0 cannot be met",
    ),
    Case(
        "region-objectives-without-dr",
        "dev",
        setting(_objectives, "scope", "region"),
        "cells.dev.concerns[0].objectives.scope",
        "'region' needs a DR region",
    ),
    Case(
        "prod-without-dr",
        "prod-uk",
        dropping(_cell, "dr_region"),
        "cells.uk.concerns[0].objectives.scope",
        "'region' needs a DR region",
    ),
    Case(
        "dr-replica-without-dr",
        "dev",
        setting(_concern, "dr_read_replica", True),
        "cells.dev.concerns[0].dr_read_replica",
        "True needs engine: rds-instance and a cells.dev.dr_region",
    ),
    Case(
        "also-regulated-unknown",
        "staging",
        setting(_cell, "also_regulated_by", ["mars"]),
        "cells.stg.also_regulated_by[0]",
        "'mars' is not a known jurisdiction",
    ),
    Case(
        "also-regulated-disjoint",
        "staging",
        setting(_cell, "also_regulated_by", ["asic"]),
        "cells.stg.also_regulated_by",
        "['asic'] leaves no region",
    ),
    Case("cell-named-like-dr-prefix", "prod-eu", _dr_cell_twin, "cells.eu-dr", "cell name 'eu-dr'"),
    Case(
        "jurisdiction-override-type",
        "dev",
        top("fintech-infra:jurisdictions", {"cysec": {"dr_regions": "x"}}),
        "jurisdictions.cysec.dr_regions",
        "'x' (a string)",
    ),
    Case("az-count-over-region", "prod-au", setting(_vpc, "az_count", 4), "cells.au.vpc.az_count", "4 is more than"),
    # -- what AWS would refuse -----------------------------------------------------------------------------------
    Case(
        "fargate-pair-small-memory",
        "prod-eu",
        setting(_service, "memory_mb", 512),
        "cells.eu.compute.services[0].memory_mb",
        "512 is not a Fargate memory size for cpu 1024",
    ),
    Case(
        "fargate-pair-big-memory",
        "dev",
        setting(_service, "memory_mb", 4096),
        "cells.dev.compute.services[0].memory_mb",
        "4096 is not a Fargate memory size for cpu 256",
    ),
    Case(
        "service-name-too-long",
        "prod-eu",
        setting(_service, "name", "payments-gateway-service"),
        "cells.eu.compute.services[0].name",
        "'payments-gateway-service'",
    ),
    Case(
        "cell-name-too-long",
        "prod-eu",
        _cell_named("europe-central-one"),
        "cells.europe-central-one",
        "'europe-central-one'",
    ),
    Case(
        "dns-label-too-long",
        "dev",
        setting(_entity, "hostname", f"{'a' * 70}.example.com"),
        "cells.dev.entities[0].hostname",
        "70-character label",
    ),
    Case(
        "acm-domain-too-long",
        "dev",
        setting(_entity, "hostname", f"{'a' * 50}.{'b' * 20}.example.com"),
        "cells.dev.entities[0].hostname",
        "which ACM limits to 64",
    ),
    Case("tag-value-characters", "dev", setting(_tags, "owner", "team#1"), "tags.owner", "'team#1'"),
    Case("tag-value-reserved", "dev", setting(_tags, "cost_center", "aws:cc-1"), "tags.cost_center", "'aws:cc-1'"),
    Case(
        "alarm-email",
        "prod-uk",
        lambda d: _cell(d)["alarms"].__setitem__("email_endpoints", ["oncall"]),
        "cells.uk.alarms.email_endpoints[0]",
        "'oncall' is not an e-mail address",
    ),
    Case(
        "certificate-other-region",
        "prod-uk",
        lambda d: _cell(d).__setitem__(
            "edge",
            {"certificate_arn": "arn:aws:acm:us-east-1:555555555555:certificate/0a1b2c3d-0000-1111-2222-333344445555"},
        ),
        "cells.uk.edge.certificate_arn",
        "is in us-east-1",
    ),
    Case(
        "certificate-other-account",
        "prod-uk",
        lambda d: _cell(d).__setitem__(
            "edge",
            {"certificate_arn": "arn:aws:acm:eu-west-2:999999999999:certificate/0a1b2c3d-0000-1111-2222-333344445555"},
        ),
        "cells.uk.edge.certificate_arn",
        "is in account 999999999999",
    ),
    # -- credentials in plain config --------------------------------------------------------------------------------
    Case(
        "url-with-password",
        "dev",
        setting(_service, "environment", {"DATABASE_URL": "postgres://app:s3cr3t-pw@db/x"}),
        "cells.dev.compute.services[0].environment.DATABASE_URL",
        HIDDEN,
        secret="s3cr3t-pw",
    ),
    Case(
        "github-token",
        "dev",
        setting(_service, "environment", {"UPSTREAM": "ghp_0123456789abcdefghijABCDEFGHIJ012345"}),
        "cells.dev.compute.services[0].environment.UPSTREAM",
        HIDDEN,
        secret="ghp_0123456789abcdefghijABCDEFGHIJ012345",
    ),
    Case(
        "aws-access-key",
        "dev",
        setting(_service, "environment", {"UPSTREAM_ID": "AKIAABCDEFGHIJKLMNOP"}),
        "cells.dev.compute.services[0].environment.UPSTREAM_ID",
        HIDDEN,
        secret="AKIAABCDEFGHIJKLMNOP",
    ),
    Case(
        "aws-secret-key",
        "dev",
        top("aws:secretKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        "aws:secretKey",
        HIDDEN,
        secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    Case(
        "password-key",
        "dev",
        top("fintech-infra:db_password", "hunter2-hunter2"),
        "db_password",
        HIDDEN,
        secret="hunter2-hunter2",
    ),
    Case(
        "env-password-name",
        "dev",
        setting(_service, "environment", {"DB_PASSWORD": "correct-horse-battery"}),
        "cells.dev.compute.services[0].environment.DB_PASSWORD",
        HIDDEN,
        secret="correct-horse-battery",
    ),
    Case(
        "secret-not-a-reference",
        "dev",
        setting(_service, "secrets", {"DB_PASS": "plain-text-password-1"}),
        "cells.dev.compute.services[0].secrets",
        "not a secret reference",
        secret="plain-text-password-1",
    ),
    Case(
        "private-key",
        "dev",
        setting(_entity, "legal_name", "-----BEGIN RSA PRIVATE KEY-----MIIEowIBAAKCAQEA"),
        "cells.dev.entities[0].legal_name",
        HIDDEN,
        secret="MIIEowIBAAKCAQEA",
    ),
    Case(
        "route-shadowed",
        "prod-eu",
        setting(_route_of(_eu_service(2)), "priority", 1001),
        "cells.eu.compute.services[2].route",
        "every request",
    ),
    Case(
        "route-priority-twice",
        "prod-eu",
        setting(_route_of(_eu_service(1)), "priority", 1000),
        "cells.eu.compute.services[1].route.priority",
        "1000",
    ),
    Case(
        "route-priority-range",
        "dev",
        setting(_route_of(_service), "priority", 60000),
        "cells.dev.compute.services[0].route.priority",
        "60000",
    ),
    Case(
        "route-unknown-host-role",
        "dev",
        setting(_route_of(_service), "hosts", ["app"]),
        "cells.dev.compute.services[0].route.hosts[0]",
        "'app'",
    ),
    Case(
        "route-path-pattern",
        "dev",
        setting(_route_of(_service), "path_patterns", ["ws"]),
        "cells.dev.compute.services[0].route.path_patterns",
        "'ws'",
    ),
    Case(
        "route-condition-values",
        "prod-eu",
        setting(_route_of(_eu_service(2)), "path_patterns", ["/ws", "/ws/*", "/socket", "/socket/*"]),
        "cells.eu.compute.services[2].route",
        "6 condition values",
    ),
    Case(
        "entity-role-missing",
        "prod-eu",
        setting(_second_entity, "hostnames", {}),
        "cells.eu.entities[1].hostnames",
        "'app'",
    ),
    Case(
        "entity-role-api",
        "prod-eu",
        setting(_entity, "hostnames", {"api": "api2.cy.fintech.example.com"}),
        "cells.eu.entities[0].hostnames",
        "'api'",
    ),
    Case(
        "entity-role-hostname-twice",
        "prod-eu",
        setting(_second_entity, "hostnames", {"app": "app.cy.fintech.example.com"}),
        "cells.eu.entities[1].hostnames.app",
        "'app.cy.fintech.example.com'",
    ),
    Case(
        "websocket-idle-timeout",
        "prod-eu",
        setting(_edge, "idle_timeout_seconds", 60),
        "cells.eu.edge.idle_timeout_seconds",
        "60",
    ),
    Case(
        "idle-timeout-range",
        "dev",
        setting(_edge, "idle_timeout_seconds", 5000),
        "cells.dev.edge.idle_timeout_seconds",
        "5000",
    ),
    Case(
        "websocket-health-path",
        "prod-eu",
        setting(_eu_service(2), "health_check_path", "/ws"),
        "cells.eu.compute.services[2].health_check_path",
        "'/ws'",
    ),
    Case(
        "deregistration-delay-range",
        "dev",
        setting(_service, "deregistration_delay_seconds", 4000),
        "cells.dev.compute.services[0].deregistration_delay_seconds",
        "4000",
    ),
    Case(
        "stickiness-range",
        "dev",
        setting(_service, "stickiness_seconds", 0),
        "cells.dev.compute.services[0].stickiness_seconds",
        "0",
    ),
    Case(
        "queue-unknown",
        "prod-eu",
        setting(_eu_service(0), "queues", ["payments-hooks"]),
        "cells.eu.compute.services[0].queues[0]",
        "'payments-hooks'",
    ),
    Case(
        "queue-concern-not-declared",
        "prod-eu",
        setting(_eu_service(1), "queues", ["payments-webhooks"]),
        "cells.eu.compute.services[1].queues[0]",
        "'payments'",
    ),
    Case(
        "queue-twice",
        "prod-eu",
        lambda doc: _cell(doc)["queues"].append(copy.deepcopy(_cell(doc)["queues"][0])),
        "cells.eu.queues[1].name",
        "'payments-webhooks' is listed twice",
    ),
    Case(
        "queue-retention-range",
        "prod-eu",
        lambda doc: _cell(doc)["queues"][0].__setitem__("retention_days", 15),
        "cells.eu.queues[0].retention_days",
        "15",
    ),
    Case(
        "bucket-unknown",
        "prod-eu",
        setting(_eu_service(0), "buckets", ["payments-reports"]),
        "cells.eu.compute.services[0].buckets[0]",
        "'payments-reports'",
    ),
    Case(
        "bucket-concern-not-declared",
        "prod-eu",
        setting(_eu_service(1), "buckets", ["payments-statements"]),
        "cells.eu.compute.services[1].buckets[0]",
        "'payments'",
    ),
    Case(
        "bucket-twice",
        "prod-eu",
        lambda doc: _cell(doc)["buckets"].append(copy.deepcopy(_cell(doc)["buckets"][0])),
        "cells.eu.buckets[1].name",
        "'payments-statements' is listed twice",
    ),
    Case(
        "read-replicas-on-aurora",
        "prod-eu",
        setting(lambda doc: _concern(doc, 1), "read_replicas", 1),
        "cells.eu.concerns[1].read_replicas",
        "1",
    ),
    Case("external-id-short", "dev", setting(_deployment, "external_id", "z"), "deployment.external_id", HIDDEN),
)


def _readme_example(doc: Doc) -> None:
    """Four mistakes at once, as the README's configuration section shows them."""
    _config(doc)["fintech-infra:enviroment"] = _config(doc).pop("fintech-infra:environment")
    service = _service(doc)
    service["min_tasks"] = True
    service["memory_mb"] = 4096
    service["environment"] = {"DATABASE_URL": "postgres://app:s3cr3t-pw@db.internal/app"}


README_EXAMPLE = Case("example", "dev", _readme_example, "environment", "did you mean", secret="s3cr3t-pw")
"""Not in CASES (it breaks four things): the README shows its output, and a test keeps that text current."""
