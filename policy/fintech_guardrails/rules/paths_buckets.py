"""Bucket paths, least privilege by concern: each ECS service reaches exactly the S3 buckets its task role is granted,
and each of those holds data of a concern the service declares.

The walk, per role policy that allows an ``s3:`` action (:mod:`fintech_guardrails.rules._grants`)::

    ecs service -> task definition -> task role -> role policy -> bucket (its ``DataConcern`` tag) -> its key

The key is the one the bucket's default encryption names. A grant on every bucket (``*``, or a bucket name with a
wildcard), a bucket of a concern the service does not declare, without a ``DataConcern`` tag or without a
customer-managed key are violations.
"""

from __future__ import annotations

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import as_list, dig
from fintech_guardrails.registry import pci, stack_rule
from fintech_guardrails.rules._grants import GrantKind, GrantWalk
from fintech_guardrails.topology import Topology

__all__ = ["BUCKETS", "bucket_paths_least_privilege"]

S3_DOCS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"


def _bucket_name(resource: str) -> str:
    """The bucket ARN a grant's ``Resource`` names (``arn:aws:s3:::bucket/*`` -> ``arn:aws:s3:::bucket``)."""
    return resource.split("/", 1)[0]


def _every_bucket(resource: str) -> bool:
    return resource == "*" or "*" in _bucket_name(resource).rsplit(":", 1)[-1]


def _bucket_keys(topo: Topology, stack: Stack, bucket: Node) -> list[Node]:
    keys: list[Node] = []
    for config in topo.referrers(bucket, (t.BUCKET_SSE,), "bucket"):
        rules = as_list(config.get("rules"))
        for rule in rules if isinstance(rules, list) else []:
            key_id = dig(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
            keys += topo.find(key_id, t.KMS_KEY)
        keys += [key for key in stack.refs(config, "rules", t.KMS_KEY) if key not in keys]
    return keys


BUCKETS = GrantKind(
    prefix="s3:",
    type=t.BUCKET,
    noun="s3",
    label="S3",
    singular="bucket",
    name=_bucket_name,
    keys=_bucket_keys,
    every=_every_bucket,
)


@stack_rule(
    name="bucket-paths-least-privilege",
    severity=Severity.HIGH,
    framework=pci("7.2.1", "access to system components and data is limited to what each role needs"),
    url=S3_DOCS,
    tags=("functional-path", "data-separation"),
    remediation=(
        "Declare application-data buckets in the cell's `buckets` (each in its concern's key) and list them in the "
        "services that use them; a service may use only buckets of concerns it declares."
    ),
)
def bucket_paths_least_privilege(stack: Stack, out: Findings) -> None:
    """Each ECS service reaches only S3 buckets of the concerns it declares, each encrypted with a customer-managed key.

    Walks each role policy that allows an `s3:` action to the ECS services whose task role it is attached to and
    to the buckets it names: a grant on every bucket (`*`), a bucket of a concern the service does not declare, or
    without a DataConcern tag or customer-managed key are violations. Values unknown during preview are pending.
    """
    GrantWalk(stack, out, BUCKETS).run()
