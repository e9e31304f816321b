"""An architecture diagram of planned stacks, as Mermaid (``.mmd``) or Graphviz (``.dot``).

It shows what a reviewer asks about, not every resource: per stack, each cell (a top-level component) with
its primary region; inside it the VPC and its subnet tiers, the edge (WAF, load balancer, listeners and their
rules), compute, one database per data concern, caches and keys; resources in another region form the cell's DR
site, linked to their primary counterparts; a routing stack's DNS records point at the load balancers they fail
over between.

Edges come from what the resources reference (:mod:`fintech_infra_gate.graph_edges`): internet, WAF, load
balancer, listener, rule, service, and each database and cache the service's security groups may reach; the
subnet tier a load balancer, service or database sits in; DR copies; DNS failover (PRIMARY, health-checked, and
SECONDARY). Nodes, clusters and edges follow the stack's resources in tree order
(:func:`~fintech_infra_gate.result.tree_order`), so a diagram does not change between runs of one stack.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from fintech_infra_gate.graph_edges import (
    CERTIFICATE,
    RECORD,
    References,
    failover_targets,
    request_edges,
    subnet_of,
    support_edges,
)
from fintech_infra_gate.result import PlanResult, ResourceSummary, StackResult

__all__ = ["GRAPH_SUFFIXES", "Diagram", "build_diagram", "graph_text", "render_dot", "render_mermaid"]

CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("routing", ("aws:route53/",)),
    ("edge", ("aws:lb/loadBalancer:", "aws:alb/loadBalancer:", "aws:wafv2/webAcl:", "aws:cloudfront/")),
    (
        "listener",
        ("aws:lb/listener:Listener", "aws:alb/listener:Listener", "aws:lb/listenerRule:", "aws:alb/listenerRule:"),
    ),
    ("compute", ("aws:ecs/cluster:", "aws:ecs/service:", "aws:eks/cluster:", "aws:eks/nodeGroup:")),
    ("database", ("aws:rds/instance:", "aws:rds/cluster:Cluster")),
    ("cache", ("aws:elasticache/replicationGroup:",)),
    ("network", ("aws:ec2/vpc:Vpc", "aws:ec2/subnet:", "aws:ec2/natGateway:")),
    ("keys", ("aws:kms/key:",)),
    ("backup", ("aws:backup/vault:",)),
    ("audit", ("aws:cloudtrail/trail:",)),
)
GRAPH_SUFFIXES = (".mmd", ".dot")
CELL_STACKS_PATH = "routing.cell_stacks."
"""The config key path prefix of a routing stack's references to its cell stacks (``StackResult.references``)."""
TIER_WORDS = ("public", "private", "app", "data", "database", "isolated", "intra", "edge")
AGGREGATED = ("keys", "backup")
INTERNET = "internet"
HEALTH_CHECK = ("aws:route53/healthCheck:",)


def category(resource: ResourceSummary) -> str | None:
    for name, prefixes in CATEGORIES:
        if resource.type.startswith(prefixes):
            return name
    return None


@dataclass
class Node:
    id: str
    label: str
    kind: str


@dataclass
class Cluster:
    id: str
    label: str
    nodes: list[Node] = field(default_factory=list)
    children: list[Cluster] = field(default_factory=list)


@dataclass
class Diagram:
    nodes: list[Node] = field(default_factory=list)
    """Nodes outside every stack (the internet)."""
    clusters: list[Cluster] = field(default_factory=list)
    edges: list[tuple[str, str, str, bool]] = field(default_factory=list)
    """(source id, target id, label, dashed)."""


def _id(*parts: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))


def _tier(resource: ResourceSummary) -> str:
    for key in ("Tier", "tier", "SubnetTier"):
        if key in resource.tags:
            return resource.tags[key]
    tokens = re.split(r"[-_.]", resource.name.lower())
    return next((word for word in TIER_WORDS if word in tokens), "subnet")


def _concern(resource: ResourceSummary) -> str:
    for key in ("DataConcern", "data-concern", "concern"):
        if key in resource.tags:
            return resource.tags[key]
    return ""


def _number(value: object) -> str:
    """A port or priority as written (the engine hands numbers over as floats)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _label(resource: ResourceSummary, kind: str) -> str:
    short = resource.type.rsplit(":", 1)[-1]
    concern = _concern(resource)
    extra = [str(resource.details[k]) for k in ("engine", "instanceClass", "nodeType") if k in resource.details]
    if kind == "listener" and "priority" in resource.details:
        extra.append(f"priority {_number(resource.details['priority'])}")
    elif kind == "listener":
        extra += [_number(resource.details[k]) for k in ("protocol", "port") if k in resource.details]
    text = f"{short} {resource.name}"
    if kind == "database" and concern:
        text = f"{concern} DB: {short} {resource.name}"
    return text + (f" ({', '.join(extra)})" if extra else "")


def _descendants(stack: StackResult) -> dict[str, list[ResourceSummary]]:
    children: dict[str | None, list[ResourceSummary]] = defaultdict(list)
    for resource in stack.resources:
        children[resource.parent].append(resource)
    known = {resource.urn for resource in stack.resources}
    result: dict[str, list[ResourceSummary]] = {}
    for top in stack.resources:
        if top.parent is not None and top.parent in known:
            continue
        found, frontier = [], [top.urn]
        while frontier:
            for child in children.get(frontier.pop(), []):
                found.append(child)
                frontier.append(child.urn)
        result[top.urn] = found
    return result


@dataclass
class Site:
    """Where one site's resources were drawn: node ids by category and by resource URN."""

    ids: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    nodes: dict[str, str] = field(default_factory=dict)


def _validation_records(index: References) -> set[str]:
    """Route 53 records that validate a certificate (they reference it, or its validation options)."""
    return {
        record.urn
        for record in index.of_type(RECORD)
        if any(index.resources[ref].type.startswith(CERTIFICATE) for ref in index.refs.get(record.urn, ()))
    }


def _aggregate(resource: ResourceSummary, kind: str, validation: set[str]) -> str | None:
    """The aggregate node a resource is counted in, if it gets no node of its own."""
    if resource.type.startswith("aws:ec2/natGateway:"):
        return "NAT gateways"
    if kind in AGGREGATED:
        return {"keys": "KMS keys", "backup": "backup vaults"}[kind]
    return "certificate validation records" if resource.urn in validation else None


def _site(
    cluster: Cluster, key: tuple[str, str, str], resources: list[ResourceSummary], index: References, drawn: Site
) -> Site:
    """Add a site's nodes to ``cluster`` (``key``: stack, cell, region) and record them in ``drawn`` too."""
    site = Site()
    tiers: Counter[str] = Counter()
    tier_of: dict[str, str] = {}
    aggregated: Counter[str] = Counter()
    aggregate_of: dict[str, str] = {}
    validation = _validation_records(index)
    for resource in resources:
        kind = category(resource)
        if kind is None or not resource.custom:
            continue
        if resource.type.startswith("aws:ec2/subnet:"):
            tiers[_tier(resource)] += 1
            tier_of[resource.urn] = _tier(resource)
            continue
        what = _aggregate(resource, kind, validation)
        if what is not None:
            aggregated[what] += 1
            aggregate_of[resource.urn] = what
            continue
        node = Node(_id(*key, resource.name, resource.type.rsplit(":", 1)[-1]), _label(resource, kind), kind)
        cluster.nodes.append(node)
        site.ids[kind].append(node.id)
        site.nodes[resource.urn] = node.id
        if kind == "database":
            site.ids[f"database:{_concern(resource) or resource.name}"].append(node.id)
    for tier, count in sorted(tiers.items()):
        node = Node(_id(*key, "tier", tier), f"{tier} subnets x{count}", "network")
        cluster.nodes.append(node)
        site.ids["network"].append(node.id)
    for urn, tier in tier_of.items():
        site.nodes[urn] = _id(*key, "tier", tier)
    for what, count in sorted(aggregated.items()):
        cluster.nodes.append(Node(_id(*key, what), f"{what} x{count}", "aggregate"))
    site.nodes.update({urn: _id(*key, what) for urn, what in aggregate_of.items()})
    drawn.ids.update({k: drawn.ids.get(k, []) + v for k, v in site.ids.items()})
    drawn.nodes.update(site.nodes)
    return site


def _stack_edges(diagram: Diagram, index: References, drawn: Site) -> None:
    """The request path and the subnets each drawn resource sits in, from the stack's references."""
    for source, target, label, dashed in request_edges(index):
        ends = [INTERNET if end == INTERNET else drawn.nodes.get(end) for end in (source, target)]
        if ends[0] and ends[1]:
            diagram.edges.append((ends[0], ends[1], label, dashed))
    for urn, resource in index.resources.items():
        if urn not in drawn.nodes or resource.type.startswith(("aws:ec2/subnet:", "aws:ec2/vpc:")):
            continue
        tiers = dict.fromkeys(drawn.nodes[s] for s in subnet_of(index, urn) if s in drawn.nodes)
        diagram.edges += [(drawn.nodes[urn], tier, "in", True) for tier in tiers]
    for source, target, label in support_edges(index):
        start, end = drawn.nodes.get(source), drawn.nodes.get(target)
        if start and end and start != end:
            diagram.edges.append((start, end, label, True))
    for vpc in index.of_type(("aws:ec2/vpc:Vpc",)):
        tiers = dict.fromkeys(drawn.nodes[s] for s in index.into(vpc.urn, ("aws:ec2/subnet:",)) if s in drawn.nodes)
        if vpc.urn in drawn.nodes:
            diagram.edges += [(drawn.nodes[vpc.urn], tier, "", True) for tier in tiers]


def build_diagram(result: PlanResult) -> Diagram:
    diagram = Diagram(nodes=[Node(INTERNET, "internet", "internet")])
    indexes = {stack.stack: References.of(stack) for stack in result.stacks}
    drawn: dict[str, Site] = {}
    for stack in result.stacks:
        index, drawn[stack.stack] = indexes[stack.stack], Site()
        stack_cluster = Cluster(_id("stack", stack.stack), f"stack {stack.stack} ({stack.environment or '-'})")
        diagram.clusters.append(stack_cluster)
        below = _descendants(stack)
        loose = [r for r in stack.resources if r.urn in below and r.custom and not r.is_provider]
        _site(stack_cluster, (stack.stack, "shared", ""), loose, index, drawn[stack.stack])
        for top in stack.resources:
            if top.urn not in below or top.custom:
                continue
            members = below[top.urn]
            regions = Counter(r.region for r in members if r.custom and r.region and not r.is_provider)
            if not regions:
                continue
            primary = regions.most_common(1)[0][0]
            others = sorted(region for region in regions if region != primary)
            kind = top.type.rsplit(":", 1)[-1]
            label = f"cell {top.name} - {primary}" if "cell" in kind.lower() else f"{top.name} ({kind}) - {primary}"
            cell = Cluster(_id(stack.stack, "cell", top.name), label + (f" (DR {', '.join(others)})" if others else ""))
            stack_cluster.children.append(cell)
            in_primary = [r for r in members if r.region in (primary, None)]
            site = _site(cell, (stack.stack, top.name, primary), in_primary, index, drawn[stack.stack])
            for region in others:
                dr = Cluster(_id(stack.stack, top.name, "dr", region), f"DR site {region}")
                cell.children.append(dr)
                in_dr = [r for r in members if r.region == region]
                dr_site = _site(dr, (stack.stack, top.name, region), in_dr, index, drawn[stack.stack])
                for key, targets in dr_site.ids.items():
                    if key.startswith("database:") and site.ids.get(key):
                        diagram.edges.append((site.ids[key][0], targets[0], "DR copy", True))
                if dr_site.ids.get("cache") and site.ids.get("cache"):
                    diagram.edges.append((site.ids["cache"][0], dr_site.ids["cache"][0], "DR copy", True))
        _stack_edges(diagram, index, drawn[stack.stack])
    _dns_edges(diagram, result, indexes, drawn)
    diagram.edges = list(dict.fromkeys(diagram.edges))
    return diagram


def _dns_edges(diagram: Diagram, result: PlanResult, indexes: dict[str, References], drawn: dict[str, Site]) -> None:
    """A routing stack's records to the load balancers of the cell stacks it reads (PRIMARY, SECONDARY)."""
    by_name = {stack.stack: stack for stack in result.stacks}
    for stack in result.stacks:
        cells = [
            by_name[target]
            for path, target in sorted(stack.references.items())
            if path.startswith(CELL_STACKS_PATH) and target in by_name
        ]
        if not cells:
            continue
        for record in indexes[stack.stack].of_type(RECORD):
            source = drawn[stack.stack].nodes.get(record.urn)
            for balancer, role in failover_targets(record, cells, indexes) if source else []:
                owner = next(cell.stack for cell in cells if balancer in indexes[cell.stack].resources)
                target = drawn[owner].nodes.get(balancer)
                label = {"PRIMARY": "PRIMARY (health check)", "SECONDARY": "SECONDARY (failover)"}.get(role, role)
                if source and target:
                    diagram.edges.append((source, target, label, role == "SECONDARY"))
                for check in indexes[stack.stack].out(record.urn, HEALTH_CHECK) if role == "PRIMARY" else []:
                    if target and check in drawn[stack.stack].nodes:
                        diagram.edges.append((drawn[stack.stack].nodes[check], target, "checks", True))


def _quote(text: str) -> str:
    return text.replace('"', "'")


def render_mermaid(diagram: Diagram) -> str:
    lines = ["flowchart LR"]

    def emit(cluster: Cluster, depth: int) -> None:
        pad = "  " * depth
        lines.append(f'{pad}subgraph {cluster.id}["{_quote(cluster.label)}"]')
        for node in cluster.nodes:
            shape = ('[("', '")]') if node.kind in ("database", "cache") else ('["', '"]')
            lines.append(f"{pad}  {node.id}{shape[0]}{_quote(node.label)}{shape[1]}")
        for child in cluster.children:
            emit(child, depth + 1)
        lines.append(f"{pad}end")

    lines += [f'  {node.id}(("{_quote(node.label)}"))' for node in diagram.nodes]
    for cluster in diagram.clusters:
        emit(cluster, 1)
    for source, target, label, dashed in diagram.edges:
        arrow = f"-. {label} .->" if dashed and label else "-.->" if dashed else f"-- {label} -->" if label else "-->"
        lines.append(f"  {source} {arrow} {target}")
    return "\n".join(lines) + "\n"


def render_dot(diagram: Diagram) -> str:
    lines = ["digraph fintech_infra {", "  rankdir=LR;", '  node [shape=box, style="rounded"];']

    def emit(cluster: Cluster, depth: int) -> None:
        pad = "  " * depth
        lines.append(f"{pad}subgraph cluster_{cluster.id} {{")
        lines.append(f'{pad}  label="{_quote(cluster.label)}";')
        for node in cluster.nodes:
            shape = "cylinder" if node.kind in ("database", "cache") else "box"
            lines.append(f'{pad}  {node.id} [label="{_quote(node.label)}", shape={shape}];')
        for child in cluster.children:
            emit(child, depth + 1)
        lines.append(f"{pad}}}")

    lines += [f'  {node.id} [label="{_quote(node.label)}", shape=ellipse];' for node in diagram.nodes]
    for cluster in diagram.clusters:
        emit(cluster, 1)
    for source, target, label, dashed in diagram.edges:
        attributes = [f'label="{_quote(label)}"'] if label else []
        if dashed:
            attributes.append("style=dashed")
        lines.append(f"  {source} -> {target}" + (f" [{', '.join(attributes)}]" if attributes else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_text(result: PlanResult, path: Path) -> str:
    """The diagram text for ``path``'s suffix (``.mmd`` or ``.dot``)."""
    diagram = build_diagram(result)
    if path.suffix not in GRAPH_SUFFIXES:
        raise ValueError(f"--graph {str(path)!r}: unknown diagram format; allowed: {', '.join(GRAPH_SUFFIXES)}")
    return render_mermaid(diagram) if path.suffix == ".mmd" else render_dot(diagram)
