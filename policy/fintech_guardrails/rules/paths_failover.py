"""Failover paths: each concern with a DR mechanism can run from its DR region with the primary region gone.

In a cell stack, per concern and DR region (a region where the cell publishes a routing manifest other than the
primary database's): the concern's DR copy there (an Aurora global secondary, a cross-region replica, replicated
automated backups, an AWS Backup copy; the mechanisms and figures of ``data/recovery.json``, the library's); a
writer, either an endpoint of that region the DR routing manifest names or, for a copy that is restored rather than
promoted, the documented restore step; a secret readable there (a replica of that region, or the one the restore
creates); the concern's key in that region on the copy; and a declared RTO the fastest copy meets. Per DR region: a
warm standby (a load balancer there) whose tasks pull their images from that region's registry, which an ECR
replication configuration of the stack fills.

In the routing stack, per hostname with failover records: a PRIMARY alias with a health check that watches the
primary target, and a SECONDARY alias to a load balancer in another region (Route 53 developer guide, active-passive
failover: a primary without a health check is always considered healthy).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.evidence import PathNote
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, dig, is_unknown, known, known_list
from fintech_guardrails.registry import dora, stack_rule
from fintech_guardrails.rules.databases import primaries
from fintech_guardrails.rules.recovery import (
    AURORA_GLOBAL,
    BACKUP_COPY,
    BACKUP_REPLICATION,
    CROSS_REGION_REPLICA,
    MECHANISMS,
    default_objectives,
)
from fintech_guardrails.rules.secrets import container_definitions
from fintech_guardrails.topology import Manifest, Topology, topology

__all__ = ["failover_paths_complete"]

_RECOVERY = facts.load("recovery")
STEPS: dict[str, dict[str, str]] = {
    name: entry["failover"] for name, entry in _RECOVERY["mechanisms"].items() if "failover" in entry
}
"""Mechanism -> {writer: promote | restore, step, secret?}: how the DR region gets a writer (the library's recovery
model); ``secret: created`` when the failover step also creates the writer's credentials there."""
ELB_REGION = re.compile(r"\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.elb\.amazonaws\.com\.?$")
RDS_REGION = re.compile(r"\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.rds\.amazonaws\.com")
ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:(?P<region>[a-z0-9-]*):")
ECR_HOST = re.compile(r"^\d{12}\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<repository>[^:@]+)")


@dataclass(frozen=True)
class Copy:
    mechanism: str
    node: Node
    region: Any


def _region(pattern: re.Pattern[str], value: Any) -> str | None:
    match = pattern.search(value) if isinstance(value, str) else None
    return match["region"] if match else None


class FailoverWalk:
    def __init__(self, stack: Stack, out: Findings) -> None:
        self.stack, self.out = stack, out
        self.topo: Topology = topology(stack)

    # -- DR copies ------------------------------------------------------------------------------------------

    def copies(self, db: Node) -> list[Copy]:
        found: list[Copy] = []
        if db.type == t.RDS_CLUSTER:
            for global_cluster in self.stack.refs(db, "globalClusterIdentifier", t.RDS_GLOBAL_CLUSTER):
                for member in self.topo.referrers(global_cluster, (t.RDS_CLUSTER,), "globalClusterIdentifier"):
                    if member is not db:
                        found.append(Copy(AURORA_GLOBAL, member, member.region))
        for replica in self.topo.referrers(db, (t.RDS_INSTANCE,), "replicateSourceDb"):
            found.append(Copy(CROSS_REGION_REPLICA, replica, replica.region))
        for replication in self.topo.referrers(db, (t.RDS_BACKUP_REPLICATION,), "sourceDbInstanceArn"):
            found.append(Copy(BACKUP_REPLICATION, replication, replication.region))
        for selection in self.topo.referrers(db, (t.BACKUP_SELECTION,), "resources"):
            for plan in self.stack.refs(selection, "planId", t.BACKUP_PLAN):
                for vault in self.stack.refs(plan, "rules", t.BACKUP_VAULT):
                    found.append(Copy(BACKUP_COPY, vault, vault.region))
        return [copy for copy in found if not is_unknown(copy.region) and copy.region != db.region]

    # -- cell stacks ----------------------------------------------------------------------------------------

    def run(self) -> None:
        manifests: dict[str, list[Manifest]] = defaultdict(list)
        for manifest in self.topo.manifests:
            manifests[self.topo.root(manifest.node)].append(manifest)
        standby: set[tuple[str, Any]] = set()
        figures = {**MECHANISMS, **(self.stack.settings.value("mechanisms") or {})}
        declared = self.stack.settings.value("objectives") or {}
        for db in primaries(self.stack):
            concern = self.stack.concern(db)
            root = self.topo.root(db)
            if concern is None or is_unknown(db.region):
                continue
            regions = sorted({m.region for m in manifests[root] if isinstance(m.region, str) and m.region != db.region})
            for region in regions:
                standby.add((root, region))
                dr_manifests = [m for m in manifests[root] if m.region == region]
                self.concern(db, concern, region, dr_manifests, figures, declared)
        for root, region in sorted(standby):
            self.standby(root, region)
        self.dns()

    def concern(
        self, db: Node, concern: str, region: str, dr: list[Manifest], figures: dict[str, Any], declared: Any
    ) -> None:
        copies = [c for c in self.copies(db) if c.region == region]
        note = PathNote(
            "failover", f"{concern} failover", region, (f"primary {db.name} ({db.region})",), self.topo.entities(db)
        )
        if not copies:
            self.out.broke(
                note,
                f"{concern} has no copy in {region} (no Aurora secondary, cross-region replica, "
                "replicated backups or backup copy): the DR region cannot serve it",
                db.urn,
            )
            return
        rto = self.declared_rto(concern, declared)
        timed = sorted(
            (
                (
                    float(figures[c.mechanism]["rto"])
                    if figures.get(c.mechanism, {}).get("rto") is not None
                    else float("inf"),
                    c,
                )
                for c in copies
            ),
            key=lambda item: (item[0], item[1].mechanism),
        )
        best_rto, best = timed[0]
        links = [f"primary {db.name} ({db.region})"]
        links += [f"{c.mechanism} {c.node.name}" for _, c in timed]
        problems: list[tuple[str, str]] = []
        if best_rto > rto:
            shown = "no documented bound" if best_rto == float("inf") else f"{best_rto:.0f} s"
            problems.append(
                (
                    f"{concern}: the declared RTO of {rto:.0f} s cannot be met in {region}: the fastest copy, "
                    f"{best.node.name} ({best.mechanism}), takes {shown}",
                    db.urn,
                )
            )
        key = self.key(best.node)
        if isinstance(key, Node):
            if self.stack.concern(key) != concern or key.region != region:
                problems.append(
                    (
                        f"{concern}'s copy {best.node.name} in {region} is not under {concern}'s key of {region} "
                        f"({key.name})",
                        best.node.urn,
                    )
                )
            else:
                links.append(f"key {key.name}")
        elif key is None:
            problems.append(
                (f"{concern}'s copy {best.node.name} in {region} names no key of {concern} there", best.node.urn)
            )
        # The fastest copy is the failover path: a promoted copy keeps an endpoint the manifest must name, a restored
        # one gets its endpoint (and its RDS-managed secret) from the documented restore step.
        restorable = STEPS.get(best.mechanism, {}).get("writer") == "restore"
        promotable = [best] if STEPS.get(best.mechanism, {}).get("writer") == "promote" else []
        pending = False
        for manifest in dr:
            route = dig(manifest.document, "databases", concern) if not is_unknown(manifest.document) else UNKNOWN
            if route is UNKNOWN:
                pending = True
                self.out.wait("the DR routing manifest", manifest.node.urn)
                continue
            problems += self.route(manifest, concern, region, route, restorable, promotable, links)
        if problems:
            for message, urn in dict.fromkeys(problems):
                self.out.broke(PathNote(note.family, note.subject, region, tuple(links), note.entities), message, urn)
        elif not pending:
            step = STEPS.get(best.mechanism, {}).get("step", "")
            links.append(f"RTO {best_rto:.0f} s <= {rto:.0f} s declared" + (f" ({step})" if step else ""))
            self.out.prove(PathNote(note.family, note.subject, region, tuple(links), note.entities))

    def route(
        self,
        manifest: Manifest,
        concern: str,
        region: str,
        route: Any,
        restorable: bool,
        promotable: list[Copy],
        links: list[str],
    ) -> list[tuple[str, str]]:
        name, urn = manifest.node.name, manifest.node.urn
        if not isinstance(route, dict):
            return [(f"DR manifest {name} has no route for {concern}", urn)]
        problems: list[tuple[str, str]] = []
        for field in ("writer", "reader"):
            where = _region(RDS_REGION, route.get(field))
            if where is not None and where != region:
                problems.append((f"DR manifest {name} points {concern}'s {field} at {where}, not {region}", urn))
        writer, secret = route.get("writer"), route.get("secret_arn")
        if writer is None:
            if promotable and not restorable:
                problems.append(
                    (
                        f"DR manifest {name} names no writer for {concern}, although {promotable[0].node.name} can be "
                        f"promoted in {region}",
                        urn,
                    )
                )
            elif not restorable:
                problems.append(
                    (f"DR manifest {name} names no writer for {concern} and no restore step makes one", urn)
                )
            elif f"writer: restored ({name})" not in links:
                links.append(f"writer: restored ({name})")
        elif f"writer {writer}" not in links:
            links.append(f"writer {writer}")
        creates_secret = any(STEPS.get(c.mechanism, {}).get("secret") == "created" for c in promotable)
        if secret is None:
            if creates_secret and f"secret: created by the failover step ({name})" not in links:
                links.append(f"secret: created by the failover step ({name})")
            elif not restorable and not creates_secret:
                problems.append((f"DR manifest {name} names no secret for {concern} readable in {region}", urn))
        else:
            where = _region(ARN_REGION, secret)
            if where != region:
                problems.append(
                    (f"DR manifest {name} points {concern}'s secret at {where}: unreadable with {where} down", urn)
                )
            elif not self.secret_in(secret, region):
                problems.append(
                    (
                        f"DR manifest {name} names {concern}'s secret {secret.rsplit(':', 1)[-1]}, which has no copy "
                        f"in {region}",
                        urn,
                    )
                )
            elif f"secret {secret.rsplit(':', 1)[-1]}" not in links:
                links.append(f"secret {secret.rsplit(':', 1)[-1]}")
        return problems

    def secret_in(self, arn: str, region: str) -> bool:
        suffix = arn.split(":", 4)[-1].split(":", 1)[-1]
        for secret in self.stack.of_type(t.SECRET):
            own = secret.get("arn")
            if not isinstance(own, str) or not own.endswith(suffix):
                continue
            regions = {secret.region} | {dig(r, "region") for r in known_list(secret.get("replicas"))}
            if region in regions:
                return True
        return False

    def key(self, copy: Node) -> Any:
        prop = "kmsKeyArn" if copy.type == t.BACKUP_VAULT else "kmsKeyId"
        value = copy.get(prop)
        if value is None:
            return None
        found = self.topo.find(value, t.KMS_KEY) or self.stack.refs(copy, prop, t.KMS_KEY)
        return found[0] if found else UNKNOWN

    def declared_rto(self, concern: str, declared: Any) -> float:
        override = declared.get(concern) if isinstance(declared, dict) else None
        if isinstance(override, dict) and "rtoSeconds" in override:
            return float(override["rtoSeconds"])
        return float(default_objectives(self.stack.settings.environment, concern, has_dr_region=True)["rtoSeconds"])

    def standby(self, root: str, region: str) -> None:
        here = [n for n in self.stack.nodes if n.custom and n.region == region and self.topo.root(n) == root]
        albs = [n.name for n in here if n.type in t.LOAD_BALANCERS]
        entities = tuple(sorted({e for n in here[:1] for e in self.topo.entities(n)}))
        note = PathNote(
            "failover", "warm standby", region, tuple(f"alb {a}" for a in albs) or ("no load balancer",), entities
        )
        problems: list[tuple[str, str | None]] = []
        if not albs:
            problems.append((f"the cell has no load balancer in {region}: nothing to fail over to", None))
        replicated = self.replicated(region)
        images: set[str] = set()
        for task in [n for n in here if n.type == t.ECS_TASK_DEFINITION]:
            containers = container_definitions(task)
            if containers is None:
                self.out.wait("containerDefinitions", task.urn)
                continue
            for container in containers:
                match = ECR_HOST.match(str(container.get("image") or ""))
                if match is None:
                    continue
                if match["region"] != region:
                    problems.append(
                        (f"{task.name} in {region} pulls its image from the registry of {match['region']}", task.urn)
                    )
                elif not any(match["repository"].startswith(prefix) for prefix in replicated):
                    problems.append(
                        (
                            f"nothing replicates {match['repository']} to {region}: the standby's image is never there",
                            task.urn,
                        )
                    )
                else:
                    images.add(match["repository"])
        links = [*note.links, *(f"image {i} replicated to {region}" for i in sorted(images))]
        final = PathNote(note.family, note.subject, region, tuple(links), entities)
        if problems:
            for message, urn in dict.fromkeys(problems):
                self.out.broke(final, message, urn)
        else:
            self.out.prove(final)

    def replicated(self, region: str) -> list[str]:
        prefixes: list[str] = []
        for node in self.stack.of_type(t.ECR_REPLICATION):
            for rule in known_list(node.get("replicationConfiguration", "rules")):
                destinations = [dig(d, "region") for d in known_list(dig(rule, "destinations"))]
                if region in destinations:
                    filters = known_list(dig(rule, "repositoryFilters"))
                    prefixes += [str(dig(f, "filter")) for f in filters] or [""]
        return prefixes

    # -- the routing stack ----------------------------------------------------------------------------------

    def dns(self) -> None:
        records: dict[tuple[Any, str], dict[str, Node]] = defaultdict(dict)
        for record in self.stack.of_type(t.ROUTE53_RECORD):
            policies = as_list(record.get("failoverRoutingPolicies"))
            kind = dig(policies[0], "type") if isinstance(policies, list) and policies else None
            name = record.get("name")
            if isinstance(kind, str) and isinstance(name, str):
                records[(known(record.get("zoneId"), ""), name.rstrip(".").lower())][kind] = record
        for (_, host), pair in sorted(records.items(), key=lambda item: item[0][1]):
            self.failover_record(host, pair.get("PRIMARY"), pair.get("SECONDARY"))

    def failover_record(self, host: str, primary: Node | None, secondary: Node | None) -> None:
        def target(record: Node | None) -> Any:
            return dig(record.props if record else None, "aliases", "name")

        links = [f"route53 {host}"]
        note = PathNote("failover", host, None, tuple(links))
        if primary is None or secondary is None:
            missing, other = ("PRIMARY", secondary) if primary is None else ("SECONDARY", primary)
            self.out.broke(
                note,
                f"{host} has no {missing} failover record: nothing to fail over "
                f"{'to' if missing == 'SECONDARY' else 'from'}",
                other.urn if other else None,
            )
            return
        first, second = target(primary), target(secondary)
        if is_unknown(first) or is_unknown(second):
            self.out.wait("the failover records' alias targets", primary.urn)
            return
        p_region, s_region = _region(ELB_REGION, first), _region(ELB_REGION, second)
        links.append(f"PRIMARY -> {first} ({p_region})")
        problems: list[tuple[str, str]] = []
        checks = self.topo.find(primary.get("healthCheckId"), t.ROUTE53_HEALTH_CHECK) or self.stack.refs(
            primary, "healthCheckId", t.ROUTE53_HEALTH_CHECK
        )
        if not checks:
            problems.append(
                (
                    f"{host}: the PRIMARY record has no health check, so Route 53 always considers it healthy and "
                    "never fails over",
                    primary.urn,
                )
            )
        else:
            watched = checks[0].get("fqdn")
            if (
                isinstance(watched, str)
                and isinstance(first, str)
                and watched.rstrip(".").lower() != first.rstrip(".").lower()
            ):
                problems.append(
                    (
                        f"{host}: health check {checks[0].name} watches {watched}, not the primary target {first}",
                        checks[0].urn,
                    )
                )
            else:
                links.append(f"health check {checks[0].name}")
        links.append(f"SECONDARY -> {second} ({s_region})")
        if s_region is None or s_region == p_region:
            problems.append(
                (
                    f"{host}: the SECONDARY record points at {second} in {s_region or 'an unknown region'}, not at "
                    f"a load balancer of another region than the primary's ({p_region})",
                    secondary.urn,
                )
            )
        final = PathNote("failover", host, None, tuple(links))
        if problems:
            for message, urn in problems:
                self.out.broke(final, message, urn)
        else:
            self.out.prove(final)


@stack_rule(
    name="failover-paths-complete",
    severity=Severity.HIGH,
    framework=dora("Art. 12", "Backup policies and procedures, restoration and recovery procedures and methods"),
    url=str(facts.load("path_facts")["route53_failover"]["url"]),
    tags=("functional-path", "DORA Art. 11", "PCI DSS 4.0.1 12.10.1", "APRA CPS 230"),
    config={
        "objectives": {
            "type": "object",
            "description": (
                "Declared objectives per concern ({concern: {rpoSeconds, rtoSeconds, scope}}), as for "
                "recovery-objectives-achievable; default: the library's (data/recovery.json)."
            ),
        },
        "mechanisms": {
            "type": "object",
            "default": MECHANISMS,
            "description": (
                "RPO/RTO per mechanism in seconds ({mechanism: {rpo, rto}}), as for recovery-objectives-achievable."
            ),
        },
    },
    remediation=(
        "Give each concern a DR copy its declared RTO allows (Aurora global for minutes), build the DR routing "
        "manifest from the DR copies only (secondary endpoints, secret replicas, null where a restore creates "
        "them), encrypt copies with the DR region's concern key, replicate the images to the DR registry, and "
        "write PRIMARY (with a health check on the primary ALB) and SECONDARY (the DR ALB) failover records."
    ),
)
def failover_paths_complete(stack: Stack, out: Findings) -> None:
    """Each concern with a DR mechanism has, in its DR region, a writer, a readable secret, a key and the images.

    Per concern and DR region: a copy of the concern's database there; a writer (an endpoint of that region in the
    DR routing manifest, or the documented restore step of a copy that is restored); a secret readable there (or
    the one the restore creates); the concern's key of that region on the copy; a declared RTO (config, else the
    library's objectives) the fastest copy meets. Per DR region: a load balancer and tasks pulling images from that
    region's registry, filled by an ECR replication configuration. Per failover hostname: a PRIMARY record with a
    health check on its target and a SECONDARY to another region's load balancer. Unknown values are pending.
    """
    FailoverWalk(stack, out).run()
