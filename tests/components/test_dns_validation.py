"""A cell stack writes its own certificates' validation records in the zones stack's zones, through the writer role."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from fintech_infra.config import DeploymentIdentity, DnsConfig
from fintech_infra.dns_validation import VALIDATION_SESSION, read_zone_access
from fintech_infra.edge_certificate import dns_validated_certificate
from fintech_infra.testing import Recording, synthesize

ZONES_STACK = "organization/fintech-infra/global"
WRITER_ROLE = "arn:aws:iam::666666666666:role/fintech-infra-acm-validation-dev"
IDENTITY = DeploymentIdentity(account_id="111111111111", deploy_role_arn="arn:aws:iam::111111111111:role/deploy")
OUTPUTS: dict[str, dict[str, Any]] = {
    ZONES_STACK: {
        "zones": {"fintech.example.com": "ZAPEX", "dev.fintech.example.com": "ZDEV"},
        "validation_writers": {"dev": {"role_arn": WRITER_ROLE, "names": ["dev.fintech.example.com"]}},
    }
}
HOSTNAMES = {"api.cy.dev.fintech.example.com": "cells.dev.entities[0].hostname"}


class _Parent(pulumi.ComponentResource):
    def __init__(self) -> None:
        super().__init__("test:index:Parent", "dev")


def _program(hostnames: dict[str, str] = HOSTNAMES, writer: str | None = None) -> None:
    access = read_zone_access(DnsConfig(zones_stack=ZONES_STACK, writer=writer), stack="dev", identity=IDENTITY)
    parent = _Parent()
    validation = access.validation_for("dev", hostnames, region="eu-central-1", parent=parent)
    arn, _ = dns_validated_certificate("dev-edge", list(hostnames), validation, parent=parent)
    pulumi.export("certificate", arn)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(_program, stack="dev", stack_outputs=OUTPUTS)


def test_the_provider_assumes_the_deploy_role_then_the_writer_role(recording: Recording) -> None:
    provider = recording.named("dev-dns-validation", "pulumi:providers:aws")
    hops = json.loads(provider.inputs["assumeRoles"])
    assert [hop["roleArn"] for hop in hops] == [IDENTITY.deploy_role_arn, WRITER_ROLE]
    assert hops[1]["sessionName"] == VALIDATION_SESSION
    assert json.loads(provider.inputs["allowedAccountIds"]) == ["666666666666"]
    assert provider.inputs["region"] == "eu-central-1"


def test_the_record_goes_into_the_subzone_through_that_provider_before_the_validation(recording: Recording) -> None:
    record = recording.named("dev-edge-validation-api-cy-dev-fintech-example-com", "aws:route53/record:Record")
    assert record.inputs["zoneId"] == "ZDEV"
    assert record.inputs["name"] == "_x.api.cy.dev.fintech.example.com."
    assert (record.inputs["type"], record.inputs["allowOverwrite"]) == ("CNAME", True)
    assert record.provider is not None and record.provider.split("::")[-1].startswith("dev-dns-validation")
    validation = recording.named("dev-edge-certificate-validation")
    assert record.urn in validation.property_dependencies["validationRecordFqdns"]


def _failure(**options: Any) -> str:
    with pytest.raises(Exception) as raised:
        synthesize(lambda: _program(**options), stack="dev", stack_outputs=OUTPUTS)
    return str(raised.value)


def test_a_hostname_the_writer_may_not_validate_fails_the_preview_with_the_key() -> None:
    message = _failure(hostnames={"api.cy.fintech.example.com": "cells.dev.entities[0].hostname"})
    assert message.endswith(
        "cells.dev.entities[0].hostname: 'api.cy.fintech.example.com' is not a name stack "
        f"'{ZONES_STACK}' lets writer 'dev' validate; allowed: names under dev.fintech.example.com "
        "(zones.validation_writers.dev.names)"
    )


def test_an_unknown_writer_fails_with_the_writers_there_are() -> None:
    assert _failure(writer="qa").endswith(
        f"dns.writer: 'qa' is not a validation writer of stack '{ZONES_STACK}'; allowed: dev"
    )
