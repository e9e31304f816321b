"""The pack flags each lifecycle and observability defect of issue 12 when it is put back into a shipped stack.

Each case synthesizes a shipped stack with one in-process transformation that undoes what the library does
(as a team bypassing it would), judges it with the real pack over its analyzer protocol, and expects the rule
for that defect to report it; the shipped stacks as committed must not be reported by any of these rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pulumi
import pytest

from fintech_infra.testing import Recording
from fintech_infra_gate.verdict import Verdict
from tests.stacks.defects import Change, Props, judged, program_with, synthesize_with
from tests.stacks.test_policy_verdict import STACKS
from tests.stacks.test_stacks import ROOT

POLICIES = (
    "rds-engine-version-supported",
    "rds-engine-version-support-ending",
    "eks-version-supported",
    "eks-version-support-ending",
    "cloudtrail-no-recursive-data-events",
    "rds-log-groups-precreated",
    "maintenance-windows-set",
)


def _pinned_minor(type_: str, props: Props) -> Props | None:
    if type_ == "aws:rds/instance:Instance" and props.get("engine") == "postgres":
        return {**props, "engine_version": "16.6"}  # the old default: no longer creatable
    return None


def _eks_133(type_: str, props: Props) -> Props | None:
    return {**props, "version": "1.33"} if type_ == "aws:eks/cluster:Cluster" else None


def _trail_on_own_bucket(type_: str, props: Props) -> Props | None:
    if type_ != "aws:cloudtrail/trail:Trail":
        return None
    # The selectors the trail had before: data events on its own bucket.
    own = pulumi.Output.concat("arn:aws:s3:::", props["s3_bucket_name"], "/")
    selector = {
        "read_write_type": "All",
        "include_management_events": True,
        "data_resources": [{"type": "AWS::S3::Object", "values": [own]}],
    }
    return {**props, "advanced_event_selectors": None, "event_selectors": [selector]}


def _rds_log_group_elsewhere(type_: str, props: Props) -> Props | None:
    name = props.get("name")
    if type_ == "aws:cloudwatch/logGroup:LogGroup" and isinstance(name, str) and name.startswith("/aws/rds/"):
        return {**props, "name": name.replace("/aws/rds/", "/team/rds/")}  # RDS would create its own
    return None


def _windows_unset(type_: str, props: Props) -> Props | None:
    keys = {
        "aws:rds/instance:Instance": ("backup_window", "maintenance_window"),
        "aws:elasticache/replicationGroup:ReplicationGroup": ("snapshot_window", "maintenance_window"),
    }.get(type_)
    return None if keys is None else {**props, **dict.fromkeys(keys)}


DEFECTS: dict[str, tuple[str, str, Callable[[str, Props], Props | None]]] = {
    "a pinned RDS minor that is no longer creatable": ("dev", "rds-engine-version-supported", _pinned_minor),
    "EKS 1.33 (extended support) with supportType STANDARD": ("prod-au", "eks-version-supported", _eks_133),
    "CloudTrail logging data events on its own bucket": (
        "dev",
        "cloudtrail-no-recursive-data-events",
        _trail_on_own_bucket,
    ),
    "RDS exporting logs without its log groups": ("dev", "rds-log-groups-precreated", _rds_log_group_elsewhere),
    "databases and the cache without windows": ("dev", "maintenance-windows-set", _windows_unset),
}


def _of_type_and_props(change: Callable[[str, Props], Props | None]) -> Change:
    """A change written on (type, props), as this module's defects are, for :mod:`tests.stacks.defects`."""
    return lambda args: change(args.type_, dict(args.props))


def _with(change: Callable[[str, Props], Props | None]) -> Callable[[], None]:
    """The shipped program with ``change`` (type, props) applied."""
    return program_with(_of_type_and_props(change))


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_the_pack_flags_the_defect_put_back_into_a_shipped_stack(
    judge_policy: Callable[..., Verdict], recordings: dict[str, Recording], defect: str
) -> None:
    stack, policy, change = DEFECTS[defect]
    verdict = judged(judge_policy, synthesize_with(_of_type_and_props(change), stack, recordings), stack)
    flagged = [finding for finding in verdict.mandatory if finding.policy == policy]
    assert flagged, f"{policy} did not flag: {defect}"


@pytest.mark.parametrize("stack", STACKS)
def test_the_shipped_stacks_are_not_flagged_by_these_rules(
    shipped_verdict: Callable[[str], Verdict], stack: str
) -> None:
    verdict = shipped_verdict(stack)  # judged(judge_policy, recordings[stack], stack), once per worker
    assert [f"{f.policy}: {f.message}" for f in verdict.findings if f.policy in POLICIES] == []
    assert {policy for policy in POLICIES} <= {info.name for info in verdict.policies}


def test_the_shipped_stacks_would_be_flagged_once_their_versions_age(
    judge_policy: Callable[..., Verdict], recordings: dict[str, Recording]
) -> None:
    """The calendar is read on the pack's `today`: prod-au's EKS 1.35 warns in March 2027 and fails after."""
    expanded = json.loads((ROOT / "policy" / "config" / "pulumi" / "prod.json").read_text())
    for name in ("eks-version-supported", "eks-version-support-ending"):
        expanded[name]["today"] = "2027-03-01"
    verdict = judge_policy(recordings["prod-au"], policy_pack=ROOT / "policy", policy_config=expanded)
    assert {f.policy for f in verdict.findings if f.policy.startswith("eks-version")} == {"eks-version-support-ending"}
    assert all(f.enforcement == "advisory" for f in verdict.findings if f.policy == "eks-version-support-ending")
    for name in ("eks-version-supported", "eks-version-support-ending"):
        expanded[name]["today"] = "2027-03-28"
    verdict = judge_policy(recordings["prod-au"], policy_pack=ROOT / "policy", policy_config=expanded)
    assert "eks-version-supported" in {f.policy for f in verdict.mandatory}
