"""The architecture diagram: cells with regions, subnet tiers, databases per concern, DR links and routing."""

from __future__ import annotations

from dataclasses import replace

from fintech_infra_gate.graph import build_diagram, render_dot, render_mermaid
from fintech_infra_gate.result import PlanResult, ResourceSummary, StackResult
from fintech_infra_gate.verdict import Verdict

VERDICT = Verdict(pack="p", pack_version="1", policies=(), findings=(), not_applicable=(), analyzed=0)


def res(
    stack: str,
    type_: str,
    name: str,
    parent: str | None,
    region: str | None,
    refs: tuple[ResourceSummary, ...] = (),
    details: dict[str, object] | None = None,
    **tags: str,
) -> ResourceSummary:
    custom = not type_.startswith("fintech:")
    urn = f"urn:pulumi:{stack}::fintech-infra::{type_}::{name}"
    urns = tuple(r.urn for r in refs)
    return ResourceSummary(urn, type_, name, custom, parent, None, region, tags=tags, details=details or {}, refs=urns)


def cell_stack() -> StackResult:
    cell = res("prod-eu", "fintech:cell:JurisdictionCell", "eu", None, None)
    c = cell.urn
    vpc = res("prod-eu", "aws:ec2/vpc:Vpc", "eu-vpc", c, "eu-west-1")
    private = [res("prod-eu", "aws:ec2/subnet:Subnet", f"eu-private-{az}", c, "eu-west-1", (vpc,)) for az in "abc"]
    data = res("prod-eu", "aws:ec2/subnet:Subnet", "eu-data-a", c, "eu-west-1", (vpc,), Tier="data")
    alb = res("prod-eu", "aws:lb/loadBalancer:LoadBalancer", "eu-alb", c, "eu-west-1", tuple(private))
    acl = res("prod-eu", "aws:wafv2/webAcl:WebAcl", "eu-acl", c, "eu-west-1")
    association = res(
        "prod-eu", "aws:wafv2/webAclAssociation:WebAclAssociation", "eu-acl-alb", c, "eu-west-1", (acl, alb)
    )
    cert = res(
        "prod-eu", "aws:acm/certificate:Certificate", "eu-cert", c, "eu-west-1", details={"domainName": "api.eu"}
    )
    https = res("prod-eu", "aws:lb/listener:Listener", "eu-https", c, "eu-west-1", (alb, cert), {"protocol": "HTTPS"})
    group = res("prod-eu", "aws:lb/targetGroup:TargetGroup", "eu-api-tg", c, "eu-west-1")
    rule = res("prod-eu", "aws:lb/listenerRule:ListenerRule", "eu-api-rule", c, "eu-west-1", (https, group))
    api_sg = res("prod-eu", "aws:ec2/securityGroup:SecurityGroup", "eu-api-sg", c, "eu-west-1")
    api = res("prod-eu", "aws:ecs/service:Service", "eu-api", c, "eu-west-1", (group, api_sg, *private))
    db_sg = res("prod-eu", "aws:ec2/securityGroup:SecurityGroup", "eu-payments-sg", c, "eu-west-1")
    admits = res(
        "prod-eu",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "eu-payments-from-api",
        c,
        "eu-west-1",
        (db_sg, api_sg),
    )
    key = res("prod-eu", "aws:kms/key:Key", "eu-key", c, "eu-west-1")
    db = res(
        "prod-eu", "aws:rds/instance:Instance", "eu-payments-db", c, "eu-west-1", (db_sg, key), DataConcern="payments"
    )
    crm_sg = res("prod-eu", "aws:ec2/securityGroup:SecurityGroup", "eu-crm-sg", c, "eu-west-1")
    crm = res("prod-eu", "aws:rds/instance:Instance", "eu-crm-db", c, "eu-west-1", (crm_sg,), DataConcern="crm")
    dr = res("prod-eu", "aws:rds/instance:Instance", "eu-payments-dr", c, "eu-central-1", DataConcern="payments")
    dr_alb = res("prod-eu", "aws:lb/loadBalancer:LoadBalancer", "eu-dr-alb", c, "eu-central-1")
    dr_cert = res(
        "prod-eu",
        "aws:acm/certificate:Certificate",
        "eu-dr-cert",
        c,
        "eu-central-1",
        details={"domainName": "x", "subjectAlternativeNames": ["api.eu"]},
    )
    dr_https = res("prod-eu", "aws:lb/listener:Listener", "eu-dr-https", c, "eu-central-1", (dr_alb, dr_cert))
    resources = [cell, vpc, *private, data, alb, acl, association, cert, https, group, rule, api_sg, api, db_sg, admits]
    resources += [key, db, crm_sg, crm, dr, dr_alb, dr_cert, dr_https]
    return StackResult("prod-eu", "fintech-infra", False, "prod", tuple(resources), VERDICT)


def global_stack() -> StackResult:
    zone = res("global", "aws:route53/zone:Zone", "zone", None, "us-east-1")
    health = res("global", "aws:route53/healthCheck:HealthCheck", "eu-health", None, "us-east-1")
    records = [
        res(
            "global",
            "aws:route53/record:Record",
            f"eu-{role}",
            None,
            "us-east-1",
            (health,) if role == "primary" else (),
            {"name": "api.eu", "setIdentifier": f"eu-{role}-{region}"},
        )
        for role, region in (("primary", "eu-west-1"), ("secondary", "eu-central-1"))
    ]
    references = {"routing.cell_stacks.eu": "prod-eu", "routing.zones_stack": "zones"}
    return StackResult(
        "global", "fintech-infra", False, "prod", (zone, health, *records), VERDICT, references=references
    )


def _named(diagram, edges):
    labels = {}

    def walk(cluster):
        labels.update({node.id: node.label for node in cluster.nodes})
        for child in cluster.children:
            walk(child)

    for cluster in diagram.clusters:
        walk(cluster)
    labels.update({node.id: node.label for node in diagram.nodes})
    return [
        (labels[a].split(" ")[-1].strip("()"), labels[b].split(" ")[-1].strip("()"), label) for a, b, label, _ in edges
    ]


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
    assert ("DR copy", True) in edges and ("PRIMARY (health check)", False) in edges
    mermaid = render_mermaid(diagram)
    assert "-. DR copy .->" in mermaid and "-- PRIMARY (health check) -->" in mermaid
    dot = render_dot(diagram)
    assert 'label="DR copy", style=dashed' in dot and "shape=cylinder" in dot


def test_edges_follow_the_request_path_from_the_references():
    diagram = build_diagram(PlanResult(stacks=(cell_stack(), global_stack())))
    edges = _named(diagram, diagram.edges)
    # internet -> WAF -> ALB -> listener -> rule -> service (through its target group) -> the store it may reach
    for hop in [
        ("internet", "eu-acl", ""),
        ("eu-acl", "eu-alb", ""),
        ("eu-alb", "HTTPS", "HTTPS"),
        ("HTTPS", "eu-api-rule", ""),
        ("eu-api-rule", "eu-api", "forward"),
        ("eu-api", "eu-payments-db", ""),
        ("eu-api", "x3", "in"),
        ("eu-payments-db", "x1", "key"),
        ("eu-primary", "eu-alb", "PRIMARY (health check)"),
        ("eu-secondary", "eu-dr-alb", "SECONDARY (failover)"),
        ("eu-health", "eu-alb", "checks"),
    ]:
        assert hop in edges, hop
    # No rule admits the service into the crm store: no edge, whatever the names say.
    assert not [edge for edge in edges if edge[1] == "eu-crm-db"]


def test_the_diagram_does_not_depend_on_resource_order():
    stack = cell_stack()
    shuffled = replace(stack, resources=tuple(reversed(stack.resources)))
    first = render_dot(build_diagram(PlanResult(stacks=(stack, global_stack()))))
    assert render_dot(build_diagram(PlanResult(stacks=(shuffled, global_stack())))) == first
