"""fintech_infra.dr_dns: how the runbooks reach the routing stack's health checks in the zones account, and the
script that does it (run here against a stand-in for boto3, since it runs in AWS, never in this program)."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from fintech_infra.dr_dns import (
    DR_DNS_FACTS,
    HEALTH_CHECK_TAG_PREFIX,
    dns_access_policy,
    dns_role_arn,
    dns_trust_policy,
    health_check_tags,
)
from fintech_infra.runbook_scripts import DNS_SCRIPT

ROLE = dns_role_arn("666666666666", "stg")
RUNBOOK_ROLE = "arn:aws:iam::222222222222:role/stg-runbooks-role-1a2b3c4"
CHECKS = {"cysec-cy": "0b3c7a52-5d1e-4c6f-9a0e-2f9d8c7b6a51", "eu-nl": "7d0f3c1e-2b4a-4e6f-8a9b-0c1d2e3f4a5b"}


def test_the_role_is_named_for_the_cell_and_only_its_runbook_role_may_assume_it() -> None:
    assert ROLE == "arn:aws:iam::666666666666:role/fintech-infra-dr-dns-stg"
    (statement,) = dns_trust_policy(RUNBOOK_ROLE)["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalArn": RUNBOOK_ROLE}}


def test_the_role_reads_its_own_tags_and_gets_and_inverts_the_cells_health_checks_only() -> None:
    statements = {
        s["Sid"]: s for s in dns_access_policy(role_arn=ROLE, health_check_ids=list(CHECKS.values()))["Statement"]
    }
    assert statements["HealthCheckIds"]["Action"] == ["iam:ListRoleTags"]
    assert statements["HealthCheckIds"]["Resource"] == ROLE
    assert statements["HealthChecks"]["Action"] == ["route53:GetHealthCheck", "route53:UpdateHealthCheck"]
    assert statements["HealthChecks"]["Resource"] == [
        f"arn:aws:route53:::healthcheck/{c}" for c in sorted(CHECKS.values())
    ]


def test_every_fact_names_an_aws_page() -> None:
    for name, source in DR_DNS_FACTS.items():
        assert source.url.startswith(("https://docs.aws.amazon.com/", "https://repost.aws/")), name
        assert source.quote, name


class _FakeAws:
    """What the script calls: STS AssumeRole, IAM ListRoleTags, Route 53 Get/UpdateHealthCheck."""

    def __init__(self, tags: dict[str, str], inverted: bool = False) -> None:
        self.tags = tags
        self.inverted = {check: inverted for check in tags.values()}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def client(self, service: str, **_: Any) -> Any:
        fake = self

        class Client:
            def assume_role(self, **kwargs: Any) -> dict[str, Any]:
                fake.calls.append(("assume_role", kwargs))
                return {"Credentials": {"AccessKeyId": "a", "SecretAccessKey": "b", "SessionToken": "c"}}

            def list_role_tags(self, **kwargs: Any) -> dict[str, Any]:
                fake.calls.append(("list_role_tags", kwargs))
                other = [{"Key": "Owner", "Value": "platform"}]
                return {"Tags": other + [{"Key": k, "Value": v} for k, v in fake.tags.items()]}

            def get_health_check(self, HealthCheckId: str) -> dict[str, Any]:
                return {"HealthCheck": {"HealthCheckConfig": {"Inverted": fake.inverted[HealthCheckId]}}}

            def update_health_check(self, HealthCheckId: str, Inverted: bool) -> None:
                fake.calls.append(("update_health_check", {"HealthCheckId": HealthCheckId, "Inverted": Inverted}))
                fake.inverted[HealthCheckId] = Inverted

        assert service in ("sts", "iam", "route53")
        return Client()


def _run(handler: str, fake: _FakeAws, **payload: Any) -> Any:
    module = types.ModuleType("boto3")
    module.client = fake.client  # type: ignore[attr-defined]
    module.Session = lambda **_: fake  # type: ignore[attr-defined]
    saved = sys.modules.get("boto3")
    sys.modules["boto3"] = module
    try:
        namespace: dict[str, Any] = {}
        exec(compile(DNS_SCRIPT, "dns_script", "exec"), namespace)  # the script under test, as SSM would load it
        events = {"role_arn": ROLE, "session": "s", "tag_prefix": HEALTH_CHECK_TAG_PREFIX, **payload}
        return namespace[handler](events, None)
    finally:
        if saved is not None:
            sys.modules["boto3"] = saved
        else:
            del sys.modules["boto3"]


def test_the_script_assumes_the_role_reads_the_ids_from_its_tags_and_inverts_every_check() -> None:
    fake = _FakeAws(health_check_tags(CHECKS))
    assert _run("resolve", fake) == {"health_checks": CHECKS}
    assert fake.calls[0] == ("assume_role", {"RoleArn": ROLE, "RoleSessionName": "s"})
    assert fake.calls[1] == ("list_role_tags", {"RoleName": "fintech-infra-dr-dns-stg", "MaxItems": 100})
    _run("flip", fake, inverted=True)
    updates = [kwargs for name, kwargs in fake.calls if name == "update_health_check"]
    assert updates == [{"HealthCheckId": check, "Inverted": True} for check in CHECKS.values()]
    assert _run("verify", fake, inverted=True) == {"health_checks": CHECKS}
    with pytest.raises(RuntimeError, match="not at Inverted=False: cysec-cy, eu-nl"):
        _run("verify", fake, inverted=False)


def test_the_script_stops_when_the_routing_stack_named_no_health_check() -> None:
    with pytest.raises(RuntimeError, match="names no health check: deploy the routing stack over this cell"):
        _run("resolve", _FakeAws({}))
