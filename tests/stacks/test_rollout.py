"""Progressive delivery in the shipped stacks: prod's services shift traffic gradually and roll back by themselves.

prod-eu takes prod's default (canary), prod-uk says linear, dev stays rolling; in both regions of a prod cell
the service's deployment alarms watch the two target groups its production rule forwards to, notify the cell's
alarm topic, and are the alarms ECS reads. Taking them away (or the rollback) fails the real pack.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from fintech_infra.testing import Recording
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_deployability_network_defects import replace
from tests.stacks.test_stacks import ROOT, stack_config

SERVICE = "aws:ecs/service:Service"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RULE = "aws:lb/listenerRule:ListenerRule"
TG = "aws:lb/targetGroup:TargetGroup"


@pytest.mark.parametrize(
    ("stack", "strategy"), [("prod-eu", "CANARY"), ("prod-uk", "LINEAR"), ("dev", "ROLLING"), ("staging", "ROLLING")]
)
def test_each_environment_gets_its_strategy(recordings: dict[str, Recording], stack: str, strategy: str) -> None:
    services = recordings[stack].of_type(SERVICE)
    assert services and {s.inputs["deploymentConfiguration"]["strategy"] for s in services} == {strategy}
    if strategy == "CANARY":
        for service in services:
            assert service.inputs["deploymentConfiguration"]["canaryConfiguration"] == {
                "canaryPercent": 10.0,
                "canaryBakeTimeInMinutes": "10",
            }


@pytest.mark.parametrize("stack", ["prod-eu", "prod-uk"])
def test_the_rollback_alarms_watch_both_groups_of_the_production_rule_and_page(
    recordings: dict[str, Recording], stack: str
) -> None:
    recording = recordings[stack]
    by_urn = {r.urn: r for r in recording}
    topics = {t.outputs["arn"]: t for t in recording.of_type("aws:sns/topic:Topic")}
    for service in recording.of_type(SERVICE):
        # The production rule the service's deployment moves, and the two groups it forwards to.
        (balancer,) = service.inputs["loadBalancers"]
        rule = next(
            r
            for r in recording.of_type(RULE)
            if r.outputs["arn"] == balancer["advancedConfiguration"]["productionListenerRule"]
        )
        forwarded = {group["arn"] for group in rule.inputs["actions"][0]["forward"]["targetGroups"]}
        suffixes = {g.outputs["arnSuffix"] for g in recording.of_type(TG) if g.outputs["arn"] in forwarded}
        assert len(suffixes) == 2
        # ECS reads exactly the alarms the service depends on through `alarms`, by their AWS names.
        alarms = [by_urn[urn] for urn in service.property_dependencies["alarms"]]
        assert sorted(service.inputs["alarms"]["alarmNames"]) == sorted(a.outputs["name"] for a in alarms)
        assert service.inputs["alarms"]["rollback"] is True and service.inputs["alarms"]["enable"] is True
        watched = set()
        for alarm in alarms:
            dims = alarm.inputs.get("dimensions") or alarm.inputs["metricQueries"][0]["metric"]["dimensions"]
            watched.add(dims["TargetGroup"])
            (topic,) = alarm.inputs["alarmActions"]
            # The cell's own warning topic, in the service's region: ECS rolls back by itself.
            assert topics[topic].name.endswith("alarms-warning-topic")
            assert topics[topic].region == service.region
        assert watched == suffixes


@pytest.mark.parametrize(
    ("what", "changes"),
    [
        ("no deployment alarms", lambda service: {"alarms": None}),
        ("alarms that do not roll back", lambda service: {"alarms": {**service.inputs["alarms"], "rollback": False}}),
    ],
)
def test_taking_the_rollback_away_fails_the_pack(
    recordings: dict[str, Recording],
    judge_policy: Callable[..., Verdict],
    what: str,
    changes: Callable[..., dict],
) -> None:
    broken = replace(recordings["prod-eu"], "eu-api-service", changes)
    verdict = judge_policy(broken, policy_pack=ROOT / "policy", stack_config=stack_config("prod-eu"))
    found = [(f.policy, f.urn.rsplit("::", 1)[-1]) for f in verdict.mandatory]
    assert ("ecs-deployment-rolls-back", "eu-api-service") in found, what


def test_a_tagged_image_put_back_into_prod_fails_the_pack(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    def tagged(task: Any) -> dict[str, Any]:
        containers = json.loads(task.inputs["containerDefinitions"])
        containers[0]["image"] = containers[0]["image"].split("@")[0] + ":1.4.2"
        return {"containerDefinitions": json.dumps(containers)}

    broken = replace(recordings["prod-eu"], "eu-api-task", tagged)
    verdict = judge_policy(broken, policy_pack=ROOT / "policy", stack_config=stack_config("prod-eu"))
    found = [(f.policy, f.urn.rsplit("::", 1)[-1]) for f in verdict.mandatory]
    assert found == [("ecs-image-pinned-by-digest", "eu-api-task")]
