"""paths_ingress.py: hostname -> WAF -> ALB -> listener -> rule -> target group -> registrar -> container port.

Every case starts from the real component output of one cell (:mod:`tests.policy.paths_fixture`) and breaks it by
hand: the three services of issue 17 all on ``/*``, an orphaned or unfilled target group, a wrong container port,
a blue/green pair off its production rule, a closed security group, a region without a load balancer. EKS cases
swap the ECS service for a TargetGroupBinding, a Service and a Deployment, as issue 18 registers pods.
"""

from __future__ import annotations

from typing import Any

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, case_params, run_case
from tests.policy.paths_fixture import HOSTS, Edit, cell, cell_preview, chain, clone, edit, named, without

POLICY = "ingress-paths-complete"
API = "eu-edge-api"


def service(name: str, priority: int, conditions: list[dict[str, Any]], *, port: int = 8080) -> Edit:
    """A second service behind the primary edge, copied from ``api``: target groups, rule, ECS service."""
    swaps = {API: f"eu-edge-{name}", "eu-api-service": f"eu-{name}-service"}

    def rule(r: R) -> None:
        r.props["priority"] = priority
        r.props["conditions"] = conditions

    steps = [
        clone(f"{API}-tg", swaps, t.LB_TARGET_GROUP),
        clone(f"{API}-tg-alt", swaps, t.LB_TARGET_GROUP),
        clone(f"{API}-rule", swaps),
        edit(f"eu-edge-{name}-rule", rule),
        clone("eu-api-service", swaps),
    ]
    if port != 8080:
        steps.append(edit(f"eu-{name}-service", lambda r: r.props["loadBalancers"][0].update(containerPort=port)))
    return chain(*steps)


EVERYTHING = [{"pathPattern": {"values": ["/*"]}}]
THREE_ON_SLASH = chain(service("web", 110, EVERYTHING), service("ws", 120, EVERYTHING))
THREE_ROUTED = chain(
    service("web", 90, [{"hostHeader": {"values": ["app.cy.fintech.example.com"]}}]),
    service("ws", 95, [{"hostHeader": {"values": [HOSTS["cysec-cy"]]}}, {"pathPattern": {"values": ["/ws*"]}}]),
)


def forward_primary_only(rule: R) -> None:
    (action,) = rule.props["actions"]
    rule.props["actions"] = [{"type": "forward", "targetGroupArn": action["forward"]["targetGroups"][0]["arn"]}]


def eks_pods(service_port: Any = 80, container_port: int = 8080, selector: str = "api") -> Edit:
    """The api target group filled by pods: a TargetGroupBinding -> Service -> Deployment, no ECS service."""

    def apply(resources: list[R]) -> list[R]:
        group = named(resources, f"{API}-tg", t.LB_TARGET_GROUP)
        binding = R(
            t.K8S_TARGET_GROUP_BINDING,
            "api-binding",
            {
                "metadata": {"name": "api", "namespace": "trading"},
                "spec": {
                    "targetGroupARN": group.props["arn"],
                    "targetType": "ip",
                    "serviceRef": {"name": "api", "port": service_port},
                },
            },
            region=None,
            deps={"spec": [group.urn]},
        )
        k8s_service = R(
            t.K8S_SERVICE,
            "api-svc",
            {
                "metadata": {"name": "api", "namespace": "trading"},
                "spec": {"selector": {"app": selector}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
            },
            region=None,
        )
        deployment = R(
            t.K8S_DEPLOYMENT,
            "api-deployment",
            {
                "metadata": {"name": "api", "namespace": "trading"},
                "spec": {
                    "template": {
                        "metadata": {"labels": {"app": "api"}},
                        "spec": {
                            "containers": [
                                {"name": "api", "ports": [{"name": "http", "containerPort": container_port}]}
                            ]
                        },
                    }
                },
            },
            region=None,
        )
        # Pods have no blue/green pair: the rule forwards to the one group the binding fills.
        forward_primary_only(named(resources, f"{API}-rule"))
        kept = [r for r in resources if r.name not in ("eu-api-service", f"{API}-tg-alt")]
        return [*kept, binding, k8s_service, deployment]

    return apply


def case(title: str, expect: str, change: Edit | None = None, *, preview: bool = False) -> Case:
    resources = cell_preview() if preview else cell()
    return Case(title, expect, change(resources) if change else resources, unknown=preview)  # type: ignore[arg-type]


def primary_only(resources: list[R]) -> list[R]:
    """Without the DR region's edge and services (cases about one region)."""
    return [r for r in resources if not r.name.startswith("eu-dr-") or r.type == t.SSM_PARAMETER]


CASES = {
    POLICY: [
        case("the real cell: both hostnames reach the api container in both regions", "pass"),
        case("three services routed by host and path, none shadowed", "pass", THREE_ROUTED),
        case(
            "pods registered by a TargetGroupBinding to a Service whose Deployment exposes the port", "pass", eks_pods()
        ),
        case("three services sharing a cell, every rule on /*: rules 110 and 120 are shadowed", "fail", THREE_ON_SLASH),
        case(
            "a target group on no listener rule",
            "fail",
            chain(clone(f"{API}-tg", {API: "eu-edge-orphan"}, t.LB_TARGET_GROUP)),
        ),
        case("a target group nothing fills (no ECS service, no binding)", "fail", without("eu-api-service")),
        case(
            "an ECS service registering a port its container does not expose",
            "fail",
            edit("eu-api-service", lambda r: r.props["loadBalancers"][0].update(containerPort=8081)),
        ),
        case(
            "a blue/green pair whose alternate is not on the production rule",
            "fail",
            edit(f"{API}-rule", forward_primary_only),
        ),
        case("the service's group does not admit the ALB", "fail", without(f"{API}-app-in")),
        case("a binding to a Service port that does not exist", "fail", eks_pods(service_port=8443)),
        case("a Deployment exposing another port than the Service's target", "fail", eks_pods(container_port=9090)),
        case("a Service that selects no Deployment", "fail", eks_pods(selector="web")),
        case("entities routed to the DR region, where no load balancer serves them", "fail", primary_only),
        case("at a first preview: container definitions unknown, checked later", "pending", preview=True),
        case(
            "at a first preview, three services on /*: the shadowing is known already",
            "fail",
            THREE_ON_SLASH,
            preview=True,
        ),
    ]
}


@pytest.mark.parametrize(("policy", "case_"), case_params(CASES))
def test_case(policy: str, case_: Case) -> None:
    assert run_case(policy, case_).outcome(policy) == case_.expect


def messages(change: Edit | None = None, *, preview: bool = False) -> list[str]:
    result = run_case(POLICY, case("messages", "fail", change, preview=preview))
    return [message.split("\n", 1)[-1] for message in result.messages(POLICY)]


def test_a_shadowed_rule_is_named_with_the_host_and_the_rule_that_shadows_it() -> None:
    found = messages(THREE_ON_SLASH)
    assert (
        f"{HOSTS['cysec-cy']} (and 1 more) -> eu-edge-https rule 110 (eu-edge-web-rule) is shadowed by rule 100 "
        "(eu-edge-api-rule: /*): it never gets a request"
    ) in found
    assert any("rule 120 (eu-edge-ws-rule) is shadowed by rule 100" in message for message in found)


def test_each_broken_link_is_named() -> None:
    assert sorted(messages(without("eu-api-service"))) == sorted(
        f"{host} -> {group}: nothing registers targets in it: no ECS service names it in loadBalancers, no "
        "TargetGroupBinding, no attachment"
        for host in HOSTS.values()
        for group in ("eu-edge-api-tg", "eu-edge-api-tg-alt")
    )
    port = messages(edit("eu-api-service", lambda r: r.props["loadBalancers"][0].update(containerPort=8081)))
    assert port[0].endswith(
        "eu-edge-api-tg: ecs service eu-api-service registers container api on port 8081, which its task definition "
        "eu-api-task does not expose (it exposes 8080)"
    )
    orphan = messages(clone(f"{API}-tg", {API: "eu-edge-orphan"}, t.LB_TARGET_GROUP))
    assert orphan == [
        "target group eu-edge-orphan-tg is on no listener rule or default action: nothing routes traffic to it"
    ]
    closed = messages(without(f"{API}-app-in"))
    assert closed[0].endswith("eu-api-sg admits nothing from eu-edge-alb-sg on 8080")
    dr = messages(primary_only)
    assert (
        f"{HOSTS['eu-nl']} (eu-west-1): no load balancer in eu-west-1 serves this host, yet entity eu-nl is routed "
        "there (eu-dr-routing-ssm-eu-nl)" in dr
    )


def test_a_proved_path_names_every_link_in_order() -> None:
    result = run_case(POLICY, case("proved", "pass"))
    (reason,) = result.reasons(POLICY)
    assert (
        '"links":["internet","waf eu-edge-web-acl","alb eu-edge-alb","listener eu-edge-https :443",'
        '"rule eu-edge-api-rule (100: /*)","target groups eu-edge-api-tg (100), eu-edge-api-tg-alt (0)",'
        '"ecs service eu-api-service","security groups eu-edge-alb-sg -> eu-api-sg","container api:8080"]'
    ) in reason
    assert reason.count("proved: ") == 4  # two hostnames, two regions
