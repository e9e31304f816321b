"""judge() and the judge_policy pytest fixture: a recording's verdict from a pack, in a few lines."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from fintech_infra.testing import synthesize
from fintech_infra_gate.judge import judge
from tests.gate.conftest import PACK, pack_processes

CONFIG = {"fintech-infra:environment": "prod"}


def program(encrypted: bool = True):
    def run() -> None:
        key = aws.kms.Key("key", opts=pulumi.ResourceOptions(protect=True))
        aws.sns.Topic("topic", kms_master_key_id=key.arn if encrypted else None)

    return run


def test_judge_starts_and_stops_its_own_pack(no_pack_left):
    verdict = judge(synthesize(program(encrypted=False)), policy_pack=PACK, stack_config=CONFIG)
    assert [f.policy for f in verdict.mandatory] == ["topic-encrypted"]
    assert not pack_processes()


def test_judge_policy_fixture_gives_the_verdict_in_a_few_lines(judge_policy):
    assert judge_policy(synthesize(program()), policy_pack=PACK).passed
    verdict = judge_policy(synthesize(program(encrypted=False)), policy_pack=PACK)
    assert [f.detail for f in verdict.of_policy("topic-encrypted")] == [
        "kmsMasterKeyId must name a customer-managed key."
    ]


def test_judge_reads_the_environment_policy_config(judge_policy):
    recording = synthesize(program(), config=CONFIG)
    # prod.json makes topics-have-arns mandatory; a policy config object overrides the file.
    verdict = judge_policy(recording, policy_pack=PACK, stack_config=CONFIG)
    assert verdict.policy("topics-have-arns").enforcement == "mandatory"
    relaxed = judge_policy(recording, policy_pack=PACK, policy_config={"all": "advisory"})
    assert {p.enforcement for p in relaxed.policies} == {"advisory"}
