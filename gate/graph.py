"""An architecture diagram of planned stacks, as Mermaid (``.mmd``) or Graphviz (``.dot``).

It shows what a reviewer asks about, not every resource: per stack, each cell (a top-level component) with
its primary region; inside it the VPC and its subnet tiers, the edge (load balancer, WAF), compute, one
database per data concern, caches and keys; resources in another region form the cell's DR site, linked to
their primary counterparts; the global stack's DNS routing points at the cells it reads.

Nodes, clusters and edges follow the stack's resources in tree order
(:func:`~fintech_infra_gate.result.tree_order`), so a diagram does not change between runs of one stack.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from fintech_infra_gate.result import PlanResult, ResourceSummary, StackResult

__all__ = ["GRAPH_SUFFIXES", "Diagram", "build_diagram", "graph_text", "render_dot", "render_mermaid"]

CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("routing", ("aws:route53/",)),
    ("edge", ("aws:lb/loadBalancer:", "aws:alb/loadBalancer:", "aws:wafv2/webAcl:", "aws:cloudfront/")),
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


def _label(resource: ResourceSummary, kind: str) -> str:
    short = resource.type.rsplit(":", 1)[-1]
    concern = _concern(resource)
    extra = [str(resource.details[k]) for k in ("engine", "instanceClass", "nodeType") if k in resource.details]
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


def _site(cluster: Cluster, stack: str, cell: str, site: str, resources: list[ResourceSummary]) -> dict[str, list[str]]:
    """Add a site's nodes to ``cluster``; returns node ids by category (databases keyed ``database:<concern>``)."""
    ids: dict[str, list[str]] = defaultdict(list)
    tiers: Counter[str] = Counter()
    aggregated: Counter[str] = Counter()
    for resource in resources:
        kind = category(resource)
        if kind is None or not resource.custom:
            continue
        if resource.type.startswith("aws:ec2/subnet:"):
            tiers[_tier(resource)] += 1
            continue
        if resource.type.startswith("aws:ec2/natGateway:"):
            aggregated["NAT gateways"] += 1
            continue
        if kind in AGGREGATED:
            aggregated[{"keys": "KMS keys", "backup": "backup vaults"}[kind]] += 1
            continue
        node = Node(
            _id(stack, cell, site, resource.name, resource.type.rsplit(":", 1)[-1]), _label(resource, kind), kind
        )
        cluster.nodes.append(node)
        ids[kind].append(node.id)
        if kind == "database":
            ids[f"database:{_concern(resource) or resource.name}"].append(node.id)
    for tier, count in sorted(tiers.items()):
        node = Node(_id(stack, cell, site, "tier", tier), f"{tier} subnets x{count}", "network")
        cluster.nodes.append(node)
        ids["network"].append(node.id)
    for what, count in sorted(aggregated.items()):
        cluster.nodes.append(Node(_id(stack, cell, site, what), f"{what} x{count}", "aggregate"))
    return ids


def build_diagram(result: PlanResult) -> Diagram:
    diagram = Diagram()
    entry_points: dict[str, list[str]] = {}
    routers: list[tuple[StackResult, list[str]]] = []
    for stack in result.stacks:
        stack_cluster = Cluster(_id("stack", stack.stack), f"stack {stack.stack} ({stack.environment or '-'})")
        diagram.clusters.append(stack_cluster)
        below = _descendants(stack)
        stack_entries: list[str] = []
        loose = [r for r in stack.resources if r.urn in below and r.custom and not r.is_provider]
        shared = _site(stack_cluster, stack.stack, "shared", "", loose)
        self_edges(diagram, shared)
        if shared.get("routing"):
            routers.append((stack, shared["routing"][:1]))
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
            site_ids = _site(cell, stack.stack, top.name, primary, [r for r in members if r.region in (primary, None)])
            self_edges(diagram, site_ids)
            stack_entries += site_ids.get("edge", [])[:1] or site_ids.get("compute", [])[:1]
            if site_ids.get("routing"):
                routers.append((stack, site_ids["routing"][:1]))
            for region in others:
                dr = Cluster(_id(stack.stack, top.name, "dr", region), f"DR site {region}")
                cell.children.append(dr)
                dr_ids = _site(dr, stack.stack, top.name, region, [r for r in members if r.region == region])
                for key, targets in dr_ids.items():
                    if key.startswith("database:") and site_ids.get(key):
                        diagram.edges.append((site_ids[key][0], targets[0], "DR copy", True))
                if dr_ids.get("cache") and site_ids.get("cache"):
                    diagram.edges.append((site_ids["cache"][0], dr_ids["cache"][0], "DR copy", True))
        entry_points[stack.stack] = stack_entries
    for stack, router in routers:
        for path, target in sorted(stack.references.items()):
            if not path.startswith(CELL_STACKS_PATH):
                continue  # the zones stack: no site to route to
            cell_name = path.removeprefix(CELL_STACKS_PATH)
            for entry in entry_points.get(target, []):
                diagram.edges.append((router[0], entry, f"routes {cell_name}", False))
    return diagram


def self_edges(diagram: Diagram, ids: dict[str, list[str]]) -> None:
    """Request flow inside a site: edge to compute, compute to each database and cache."""
    edges, compute = ids.get("edge", []), ids.get("compute", [])
    for source in edges[:1]:
        for target in compute[:1]:
            diagram.edges.append((source, target, "HTTPS", False))
    for source in compute[:1]:
        for target in ids.get("database", []) + ids.get("cache", []):
            diagram.edges.append((source, target, "", False))


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
