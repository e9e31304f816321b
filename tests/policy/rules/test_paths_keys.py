"""paths_keys.py: each concern's data under that concern's key in its own region, and readers able to decrypt it.

Cases start from the real cell (:mod:`tests.policy.paths_fixture`) and break one link each: a store under another
concern's key (one key then serves two concerns), a DR copy under the primary region's key, a secret under the
AWS-managed key, a concern's log group under the platform logs key, a task role whose decrypt grant names another
region's Secrets Manager.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.harness import Case, R, case_params, run_case
from tests.policy.paths_fixture import Edit, cell, cell_preview, edit, named

POLICY = "key-paths-by-concern"


def key_of(name: str) -> R:
    return named(cell(), name, "aws:kms/key:Key")


def encrypt_with(store: str, key: str, prop: str = "kmsKeyId") -> Edit:
    def change(resources: list[R]) -> list[R]:
        target, found = named(resources, store), named(resources, key, "aws:kms/key:Key")
        target.props[prop] = found.props["arn"]
        target.deps[prop] = [found.urn]
        return resources

    return change


def via(task_policy: str, region: str) -> Edit:
    """The task role's decrypt grant through another region's Secrets Manager."""

    def change(policy: R) -> None:
        document = json.loads(policy.props["policy"])
        for statement in document["Statement"]:
            if statement.get("Sid") == "DecryptSecretsViaStores":
                statement["Condition"]["StringEquals"]["kms:ViaService"] = [f"secretsmanager.{region}.amazonaws.com"]
        policy.props["policy"] = json.dumps(document)

    return edit(task_policy, change)


def case(title: str, expect: str, change: Edit | None = None, *, preview: bool = False) -> Case:
    resources = cell_preview() if preview else cell()
    return Case(title, expect, change(resources) if change else resources, unknown=preview)  # type: ignore[arg-type]


SHARED = encrypt_with("eu-trading-cluster", "eu-keys-crm-key")

CASES = {
    POLICY: [
        case("the real cell: every concern's stores under its own key, in each region", "pass"),
        case("trading's cluster under crm's key", "fail", SHARED),
        case(
            "the DR cluster under the primary region's key",
            "fail",
            encrypt_with("eu-trading-dr-cluster", "eu-keys-trading-key"),
        ),
        case(
            "trading's secret under the AWS-managed key",
            "fail",
            edit("eu-trading-master-secret", lambda r: r.props.pop("kmsKeyId")),
        ),
        case(
            "a trading cluster instance's Performance Insights under crm's key",
            "fail",
            encrypt_with("eu-trading-instance-1", "eu-keys-crm-key", "performanceInsightsKmsKeyId"),
        ),
        case(
            "a trading cluster instance's Performance Insights under a hard-coded crm key ARN (no dependency)",
            "fail",
            edit(
                "eu-trading-instance-1",
                lambda r: r.props.update(performanceInsightsKmsKeyId=key_of("eu-keys-crm-key").props["arn"]),
            ),
        ),
        case(
            "crm's log group under the platform logs key",
            "fail",
            encrypt_with("eu-crm-db-logs-postgresql", "eu-keys-logs-key"),
        ),
        case(
            "the api task's decrypt grant through another region's Secrets Manager",
            "fail",
            via("eu-api-task-policy", "eu-west-1"),
        ),
        case("at a first preview (key ARNs unknown, joined by dependency)", "pending", preview=True),
        case("at a first preview, a store under another concern's key is known already", "fail", SHARED, preview=True),
    ]
}


@pytest.mark.parametrize(("policy", "case_"), case_params(CASES))
def test_case(policy: str, case_: Case) -> None:
    assert run_case(policy, case_).outcome(policy) == case_.expect


def messages(change: Edit) -> list[str]:
    result = run_case(POLICY, case("messages", "fail", change))
    return sorted(message.split("\n", 1)[-1] for message in result.messages(POLICY))


def test_each_break_names_the_store_and_the_key() -> None:
    assert messages(SHARED) == [
        "eu-keys-crm-key serves crm and trading: one key per concern",
        "eu-trading-cluster (trading, eu-central-1) is encrypted with eu-keys-crm-key (kmsKeyId), the key of crm, not "
        "trading's",
    ]
    assert messages(encrypt_with("eu-trading-dr-cluster", "eu-keys-trading-key")) == [
        "eu-trading-dr-cluster (trading, eu-west-1) names eu-keys-trading-key (kmsKeyId) of eu-central-1: a key is "
        "usable only in its own region"
    ]
    assert messages(edit("eu-trading-master-secret", lambda r: r.props.pop("kmsKeyId"))) == [
        "eu-trading-master-secret (trading, eu-central-1) names no key in kmsKeyId: AWS's managed key, not trading's"
    ]
    grant = messages(via("eu-api-task-policy", "eu-west-1"))
    assert any(
        message.startswith("eu-api-task (eu-central-1) reads eu-trading-master-secret-")
        and message.endswith(
            "eu-api-task-role has no kms:Decrypt on eu-keys-trading-key through "
            "secretsmanager.eu-central-1.amazonaws.com"
        )
        for message in grant
    ), grant


def test_a_proved_path_names_the_key_and_its_stores() -> None:
    (reason,) = run_case(POLICY, case("proved", "pass")).reasons(POLICY)
    assert (
        '"links":["key eu-keys-crm-key","6 stores: eu-crm-db, eu-crm-db-logs-postgresql, eu-crm-db-logs-upgrade, '
        'eu-crm-role-bootstrap-logs, eu-migrate-crm-credentials-secret, eu-migrate-crm-logs"]' in reason
    )
    assert '"subject":"trading data"' in reason and '"region":"eu-west-1"' in reason
