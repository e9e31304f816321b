"""The architecture diagram: cells with regions, subnet tiers, databases per concern, DR links and routing."""

from __future__ import annotations

from fintech_infra_gate.graph import build_diagram, render_dot, render_mermaid
from fintech_infra_gate.result import PlanResult, ResourceSummary, StackResult
from fintech_infra_gate.verdict import Verdict

VERDICT = Verdict(pack="p", pack_version="1", policies=(), findings=(), not_applicable=(), analyzed=0)


def res(stack: str, type_: str, name: str, parent: str | None, region: str | None, **tags: str) -> ResourceSummary:
    custom = not type_.startswith("fintech:")
    urn = f"urn:pulumi:{stack}::fintech-infra::{type_}::{name}"
    return ResourceSummary(urn, type_, name, custom, parent, None, region, tags=tags)


def cell_stack() -> StackResult:
    cell = res("prod-eu", "fintech:cell:JurisdictionCell", "eu", None, None)
    resources = [
        cell,
        res("prod-eu", "aws:ec2/vpc:Vpc", "eu-vpc", cell.urn, "eu-west-1"),
        *(res("prod-eu", "aws:ec2/subnet:Subnet", f"eu-private-{az}", cell.urn, "eu-west-1") for az in "abc"),
        res("prod-eu", "aws:ec2/subnet:Subnet", "eu-data-a", cell.urn, "eu-west-1", Tier="data"),
        res("prod-eu", "aws:lb/loadBalancer:LoadBalancer", "eu-alb", cell.urn, "eu-west-1"),
        res("prod-eu", "aws:ecs/service:Service", "eu-api", cell.urn, "eu-west-1"),
        res("prod-eu", "aws:rds/instance:Instance", "eu-payments-db", cell.urn, "eu-west-1", DataConcern="payments"),
        res("prod-eu", "aws:rds/instance:Instance", "eu-payments-dr", cell.urn, "eu-central-1", DataConcern="payments"),
        res("prod-eu", "aws:kms/key:Key", "eu-key", cell.urn, "eu-west-1"),
    ]
    return StackResult("prod-eu", "fintech-infra", False, "prod", tuple(resources), VERDICT)


def global_stack() -> StackResult:
    zone = res("global", "aws:route53/zone:Zone", "zone", None, "us-east-1")
    references = {"routing.cell_stacks.eu": "prod-eu", "routing.zones_stack": "zones"}
    return StackResult("global", "fintech-infra", False, "prod", (zone,), VERDICT, references=references)


def test_diagram_has_cells_tiers_databases_dr_and_routing():
    result = PlanResult(stacks=(cell_stack(), global_stack()))
    diagram = build_diagram(result)
    (cell,) = diagram.clusters[0].children
    assert cell.label == "cell eu - eu-west-1 (DR eu-central-1)"
    labels = {node.label for node in cell.nodes}
    assert {"private subnets x3", "data subnets x1", "KMS keys x1"} <= labels
    assert "payments DB: Instance eu-payments-db" in labels
    (dr,) = cell.children
    assert dr.label == "DR site eu-central-1"
    edges = {(label, dashed) for _, _, label, dashed in diagram.edges}
    assert ("DR copy", True) in edges and ("HTTPS", False) in edges and ("routes eu", False) in edges
    mermaid = render_mermaid(diagram)
    assert "-. DR copy .->" in mermaid and "-- routes eu -->" in mermaid
    dot = render_dot(diagram)
    assert 'label="DR copy", style=dashed' in dot and "shape=cylinder" in dot
