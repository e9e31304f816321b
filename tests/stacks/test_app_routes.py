"""prod-eu's three services each get their own requests, proved by the ingress-path guardrail on the real program.

Per entity and region, the pack's ingress walk must reach exactly: ``api.<entity>`` -> the ws rule (``/ws``) and the
api rule (the rest); ``app.<entity>`` -> the web rule, and nothing else (the api rule, evaluated after web's
``/*`` on the app hosts, gets none of their requests). Then the defect the config validation refuses, a route
shadowed by an earlier one, is put back into the recording and the pack flags that rule.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

import pytest

from fintech_infra.testing import Recording
from fintech_infra_gate.cli import main
from fintech_infra_gate.verdict import Verdict
from tests.stacks.test_deployability_network_defects import replace
from tests.stacks.test_stacks import ROOT, stack_config

STACK = "prod-eu"
REGIONS = {"eu-central-1": "eu-edge", "eu-west-1": "eu-dr-edge"}
ENTITIES = ("cy", "eu")
RULE = "aws:lb/listenerRule:ListenerRule"
_PATH = re.compile(r"ingress\s+(\S+) \((\S+)\): .* -> rule (\S+) \(\d+: .*-> container (\w+):8080$")


def test_each_host_reaches_its_own_services(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--project-dir", str(ROOT), "--stack", STACK]) == 0
    proved: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for line in capsys.readouterr().out.splitlines():
        found = _PATH.search(line.strip())
        if found:
            host, region, rule, container = found.groups()
            proved[(host, region)].add((rule, container))
    for region, edge in REGIONS.items():
        for entity in ENTITIES:
            assert proved[(f"api.{entity}.fintech.example.com", region)] == {
                (f"{edge}-ws-rule", "ws"),
                (f"{edge}-api-rule", "api"),
            }
            assert proved[(f"app.{entity}.fintech.example.com", region)] == {(f"{edge}-web-rule", "web")}
    assert len(proved) == len(REGIONS) * len(ENTITIES) * 2


def test_rules_carry_the_planned_conditions(recordings: dict[str, Recording]) -> None:
    rules = {rule.name: rule.inputs for rule in recordings[STACK].of_type(RULE)}
    ws, web, api = rules["eu-edge-ws-rule"], rules["eu-edge-web-rule"], rules["eu-edge-api-rule"]
    assert (ws["priority"], web["priority"], api["priority"]) == (100, 200, 1000)
    conditions = {
        name: {key: sorted(value["values"]) for c in rule["conditions"] for key, value in c.items()}
        for name, rule in (("ws", ws), ("web", web), ("api", api))
    }
    assert conditions["ws"] == {
        "hostHeader": ["api.cy.fintech.example.com", "api.eu.fintech.example.com"],
        "pathPattern": ["/ws", "/ws/*"],
    }
    assert conditions["web"] == {
        "hostHeader": ["app.cy.fintech.example.com", "app.eu.fintech.example.com"],
        "pathPattern": ["/*"],
    }
    assert conditions["api"] == {"pathPattern": ["/*"]}


def test_the_pack_flags_a_shadowed_route_put_back(
    recordings: dict[str, Recording], judge_policy: Callable[..., Verdict]
) -> None:
    # The ws rule after api's catch-all, what a config with ws at priority 1001 would build (the validation refuses it).
    recording = replace(recordings[STACK], "eu-edge-ws-rule", lambda rule: {"priority": 1001})
    verdict = judge_policy(recording, policy_pack=ROOT / "policy", stack_config=stack_config(STACK))
    flagged = {
        finding.urn.rsplit("::", 1)[-1]: finding.message
        for finding in verdict.mandatory
        if finding.policy == "ingress-paths-complete"
    }
    assert list(flagged) == ["eu-edge-ws-rule"]
    assert "is shadowed by rule 1000 (eu-edge-api-rule" in flagged["eu-edge-ws-rule"]
