"""deployability_versions.py: engine and Kubernetes versions against AWS's calendars, on the pack's `today`."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, Outcome, R, U, case_params, run_case


def db(
    props: dict, expect: Outcome, title: str, *, type_: str = t.RDS_INSTANCE, today: str = "2026-12-07", **extra
) -> Case:
    return Case(title, expect, [R(type_, "subject", props)], config={"today": today}, **extra)


def eks(props: dict, expect: Outcome, title: str, *, today: str = "2026-12-07", **extra) -> Case:
    return Case(title, expect, [R(t.EKS_CLUSTER, "subject", props)], config={"today": today}, **extra)


PG = {"engine": "postgres"}
AURORA = {"engine": "aurora-postgresql"}
STANDARD = {"upgradePolicy": {"supportType": "STANDARD"}}

CASES = {
    "rds-engine-version-supported": [
        db({**PG, "engineVersion": "16"}, "pass", "a major in standard support (RDS manages minors)"),
        db({**PG, "engineVersion": "16.11"}, "pass", "the oldest creatable 16 minor"),
        db({**AURORA, "engineVersion": "16.8"}, "pass", "a global cluster's full version", type_=t.RDS_GLOBAL_CLUSTER),
        db({**AURORA, "engineVersion": "16.6"}, "pass", "Aurora minors are not RDS minors", type_=t.RDS_CLUSTER),
        db({"engine": "mysql", "engineVersion": "5.7"}, "pass", "another engine is not judged"),
        db({"replicateSourceDb": "eu-crm"}, "pass", "a replica runs its source's version"),
        db(PG, "pass", "no version: the engine's current default"),
        db({**PG, "engineVersion": "16.6"}, "fail", "a minor RDS no longer creates (16.6)"),
        db({**PG, "engineVersion": "13"}, "fail", "a major past its end of standard support (13)"),
        db({**PG, "engineVersion": "18"}, "fail", "a major the calendar does not list"),
        db({**PG, "engineVersion": "14"}, "pass", "14 on its last day of standard support", today="2027-02-28"),
        db({**PG, "engineVersion": "14"}, "fail", "14 the day after: no code change needed", today="2027-03-01"),
        db({**PG, "engineVersion": U}, "pending", "version unknown", unknown=True),
    ],
    "rds-engine-version-support-ending": [
        db({**PG, "engineVersion": "16"}, "pass", "years of standard support left"),
        db({**PG, "engineVersion": "14"}, "fail", "14 leaves standard support within 90 days"),
        db({**PG, "engineVersion": "14"}, "pass", "past the date it is the mandatory rule's", today="2027-03-01"),
        db({**PG, "engineVersion": U}, "pending", "version unknown", unknown=True),
    ],
    "eks-version-supported": [
        eks({"version": "1.35", **STANDARD}, "pass", "1.35 in standard support"),
        eks({}, "pass", "no version: EKS's default"),
        eks({"version": "1.34", **STANDARD}, "fail", "1.34 in extended support with supportType STANDARD"),
        eks(
            {"version": "1.34", "upgradePolicy": {"supportType": "EXTENDED"}}, "fail", "1.34 in billed extended support"
        ),
        eks({"version": "1.34"}, "fail", "1.34 with the default (EXTENDED) policy"),
        eks({"version": "1.31", **STANDARD}, "fail", "1.31 past extended support"),
        eks({"version": "1.29"}, "fail", "a version the calendar does not list"),
        eks({"version": "1.35", **STANDARD}, "fail", "1.35 after 2027-03-27", today="2027-03-28"),
        eks({"version": U}, "pending", "version unknown", unknown=True),
        eks({"version": "1.34", "upgradePolicy": {"supportType": U}}, "pending", "policy unknown", unknown=True),
    ],
    "eks-version-support-ending": [
        eks({"version": "1.35"}, "pass", "110 days of standard support left"),
        eks({"version": "1.35"}, "fail", "76 days left", today="2027-01-10"),
        eks({"version": "1.35"}, "pass", "past the date it is the mandatory rule's", today="2027-03-28"),
        eks({"version": U}, "pending", "version unknown", unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect


def test_messages_name_the_calendar_date_and_what_to_do() -> None:
    result = run_case("eks-version-supported", eks({"version": "1.34", **STANDARD}, "fail", "x"))
    assert [m.split("\n", 1)[1] for m in result.messages("eks-version-supported")] == [
        "version left EKS standard support on 2026-12-02 and upgradePolicy.supportType is STANDARD, which AWS does "
        "not allow for a version in extended support; upgrade the cluster"
    ]
    result = run_case("rds-engine-version-supported", db({**PG, "engineVersion": "16.6"}, "fail", "x"))
    assert [m.split("\n", 1)[1] for m in result.messages("rds-engine-version-supported")] == [
        "engineVersion pins a minor RDS no longer creates instances on (oldest: 16.11); give the major"
    ]
