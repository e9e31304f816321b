"""Service routes: priorities assigned like the edge assigns them, and every overlap or AWS limit refused by name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fintech_infra.route_config import PlannedRoute, RouteSettings, plan_routes, route_problems

AT = "cells.eu.compute.services"
HOSTS = {"api": ["api.cy.example.com", "api.eu.example.com"], "app": ["app.cy.example.com", "app.eu.example.com"]}


def _route(**values: object) -> RouteSettings:
    return RouteSettings.model_validate(values)


def _problems(*routes: tuple[str, RouteSettings]) -> list[str]:
    return list(route_problems(AT, list(routes), HOSTS))


def test_priorities_follow_the_edge_s_order_from_the_last_given_one() -> None:
    planned = plan_routes(
        [("a", _route()), ("b", _route(priority=500, hosts=["app"])), ("c", _route(hosts=["api"]))], HOSTS
    )
    assert [(rule.service, rule.priority) for rule in planned] == [("a", 100), ("b", 500), ("c", 510)]
    assert planned[1].hosts == ("app.cy.example.com", "app.eu.example.com")
    assert planned[0].hosts == ()


def test_the_shipped_layout_has_no_problem() -> None:
    assert (
        _problems(
            ("web", _route(hosts=["app"], priority=200)),
            ("api", _route(priority=1000)),
            ("ws", _route(hosts=["api"], path_patterns=["/ws", "/ws/*"], priority=100)),
        )
        == []
    )


def test_a_route_behind_a_catch_all_gets_no_request() -> None:
    (problem,) = _problems(("api", _route(priority=100)), ("ws", _route(hosts=["api"], path_patterns=["/ws"])))
    assert problem.startswith(f"{AT}[1].route: every request of ws's route")
    assert "services[0] (api, priority 100" in problem


def test_a_route_partly_taken_by_an_earlier_one_is_named() -> None:
    (problem,) = _problems(
        ("web", _route(hosts=["app"], priority=100)),
        ("both", _route(hosts=["app", "api"], path_patterns=["/x"], priority=200)),
    )
    assert problem.startswith(f"{AT}[1].route: part of both's route (app.cy.example.com /x)")


def test_a_narrower_path_on_the_same_host_is_not_an_overlap_when_it_comes_first() -> None:
    assert _problems(("ws", _route(path_patterns=["/ws*"], priority=10)), ("api", _route(priority=20))) == []
    (problem,) = _problems(("api", _route(priority=10)), ("ws", _route(path_patterns=["/ws*"], priority=20)))
    assert "every request of ws's route (any host /ws*)" in problem


def test_priority_taken_twice_and_out_of_range() -> None:
    problems = _problems(("a", _route(priority=100, hosts=["app"])), ("b", _route(priority=100, hosts=["api"])))
    assert problems == [
        f"{AT}[1].route.priority: 100 is also the priority of services[0] (a); allowed: a priority no "
        "other route of the cell has"
    ]
    (late,) = _problems(("a", _route(priority=50000, hosts=["app"])), ("b", _route(hosts=["api"])))
    assert late.startswith(f"{AT}[1].route.priority: 50010 (assigned after the previous service's); allowed: 1-50000")
    with pytest.raises(ValidationError):
        _route(priority=0)


def test_unknown_host_role_and_aws_limits() -> None:
    (unknown,) = _problems(("a", _route(hosts=["admin"])))
    assert unknown.startswith(
        f"{AT}[0].route.hosts[0]: 'admin' is no host role of this cell's entities; allowed: 'api', 'app'"
    )
    (values,) = _problems(("a", _route(hosts=["api", "app"], path_patterns=["/a", "/b"])))
    assert "4 hostname(s) and 2 path pattern(s) make 6 condition values; allowed: at most 5" in values
    (wild,) = _problems(("a", _route(path_patterns=["/a*b*c*", "/d*e*f*"])))
    assert wild.startswith(f"{AT}[0].route.path_patterns: 6 wildcards; allowed: at most 5")


@pytest.mark.parametrize("pattern", ["ws", "/" + "a" * 128, "/ws/<id>"])
def test_path_patterns_alb_refuses(pattern: str) -> None:
    with pytest.raises(ValidationError, match="is not an ALB path pattern"):
        _route(path_patterns=[pattern])


def test_planned_route_matches_any_host_only_without_hosts() -> None:
    anywhere = PlannedRoute("a", 0, 1, (), ("/*",))
    one = PlannedRoute("b", 1, 2, ("x.example.com",), ("/*",))
    assert anywhere.matches_host(None) and anywhere.matches_host("x.example.com")
    assert one.matches_host("x.example.com") and not one.matches_host(None) and not one.matches_host("y.example.com")
