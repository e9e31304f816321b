"""Deployability, sizes and names: values AWS or the provider refuses that the mock engine accepts.

- Fargate task sizes: the CPU/memory pairs AWS publishes (``RegisterTaskDefinition``);
- physical name lengths: an auto-named resource's physical name is its logical name plus Pulumi's suffix, and
  AWS (or the provider, at preview) refuses names over the type's limit.

The tables come from the facts the library generates (``data/aws_facts.json``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, is_unknown
from fintech_guardrails.registry import dora, resource_rule

FACTS = facts.load("aws_facts")
FARGATE = FACTS["fargate_task_sizes"]
FARGATE_SIZES: Mapping[int, frozenset[int]] = {int(cpu): frozenset(memory) for cpu, memory in FARGATE["sizes"].items()}
WINDOWS_CPU = frozenset(int(cpu) for cpu in FARGATE["windows_cpu"])
CHANGE_MANAGEMENT = dora("Art. 9(4)(e)", "ICT change management")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(vcpu|gb)?$")


def _size(value: Any, word: str) -> int | None:
    """CPU units or MiB from a task definition value (``"1024"``, ``"1 vCPU"``, ``"2 GB"``, 512); None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    match = _SIZE.match(str(value).strip().lower())
    if match is None or match.group(2) not in (None, word):
        return None
    number = float(match.group(1))
    return int(number * 1024) if match.group(2) == word else int(number)


def _sizes(memory: frozenset[int]) -> str:
    """``512, 1024, 2048 MiB`` or, for an even range, ``2048-8192 MiB in steps of 1024``."""
    sizes = sorted(memory)
    steps = {high - low for low, high in itertools.pairwise(sizes)}
    if len(sizes) > 3 and len(steps) == 1:
        return f"{sizes[0]}-{sizes[-1]} MiB in steps of {steps.pop()}"
    return f"{', '.join(map(str, sizes))} MiB"


@resource_rule(
    types=(t.ECS_TASK_DEFINITION,),
    name="fargate-task-size",
    severity=Severity.HIGH,
    framework=CHANGE_MANAGEMENT,
    tags=("cfn-lint:E3047",),
    remediation=(
        "Pick a CPU/memory pair from AWS's Fargate table (EcsServiceSettings cpu and memory_mb), e.g. 256 CPU "
        "with 512-2048 MiB, 1024 CPU with 2048-8192 MiB."
    ),
    url=FARGATE["source"]["url"],
)
def fargate_task_size(r: Resource, out: Findings) -> None:
    """Fargate task definitions use a CPU and memory pair that Fargate runs.

    Applies when ``requiresCompatibilities`` includes FARGATE; task-level ``cpu`` and ``memory`` are then required
    and must be a pair from AWS's table (Windows tasks: 1, 2 or 4 vCPU). Values may be units and MiB or
    "1 vCPU" / "2 GB". Unknown values are pending.
    """
    compatibilities = as_list(r.get("requiresCompatibilities"))
    if compatibilities is UNKNOWN or contains_unknown(compatibilities):
        out.wait("requiresCompatibilities")
        return
    if "FARGATE" not in compatibilities:
        return
    raw_cpu, raw_memory = r.get("cpu"), r.get("memory")
    if is_unknown(raw_cpu) or is_unknown(raw_memory):
        out.wait("cpu and memory")
        return
    if raw_cpu is None or raw_memory is None:
        out.fail("a Fargate task definition needs task-level cpu and memory")
        return
    cpu, memory = _size(raw_cpu, "vcpu"), _size(raw_memory, "gb")
    if cpu is None or cpu not in FARGATE_SIZES:
        out.fail(f"cpu is not a Fargate task size; allowed: {', '.join(map(str, sorted(FARGATE_SIZES)))} units")
        return
    if memory not in FARGATE_SIZES[cpu]:
        out.fail(f"memory is not a size Fargate runs with this cpu; allowed with it: {_sizes(FARGATE_SIZES[cpu])}")
    family = r.get("runtimePlatform", "operatingSystemFamily")
    if is_unknown(family):
        out.wait("runtimePlatform.operatingSystemFamily")
    elif isinstance(family, str) and family.upper().startswith("WINDOWS") and cpu not in WINDOWS_CPU:
        out.fail(f"a Windows task on Fargate takes {', '.join(map(str, sorted(WINDOWS_CPU)))} cpu units only")


NAME_FIELDS: Mapping[str, str] = {
    "aws:lb/loadBalancer:LoadBalancer": "name",
    "aws:lb/targetGroup:TargetGroup": "name",
    "aws:rds/instance:Instance": "identifier",
    "aws:iam/role:Role": "name",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
    "aws:lambda/function:Function": "name",
    "aws:sqs/queue:Queue": "name",
    "aws:sns/topic:Topic": "name",
    "aws:cloudwatch/eventRule:EventRule": "name",
}
"""The input that holds each type's physical name (what Pulumi auto-names when it is unset)."""
ALIASES = {t.LOAD_BALANCERS[1]: t.LOAD_BALANCERS[0], t.ALB_TARGET_GROUP: t.LB_TARGET_GROUP}
"""``aws:alb/*`` is the same AWS resource as ``aws:lb/*``: same field, same limit."""
NAME_LIMITS: Mapping[str, Mapping[str, Any]] = FACTS["name_limits"]
SUFFIX = int(FACTS["autoname_suffix_length"])


@resource_rule(
    types=(*NAME_FIELDS, *ALIASES),
    name="physical-name-length",
    severity=Severity.HIGH,
    framework=CHANGE_MANAGEMENT,
    remediation=(
        "Shorten the logical name (cell, service and role names) or set the physical name explicitly within the "
        "type's limit, e.g. target groups and load balancers 32 characters including Pulumi's 8-character suffix."
    ),
    url=NAME_LIMITS[t.LOAD_BALANCERS[0]]["source"]["url"],
)
def physical_name_length(r: Resource, out: Findings) -> None:
    """Physical names fit the type's length limit, auto-generated ones included.

    The name input (``name``, ``identifier``, ``bucket``, ``replicationGroupId``) is judged when set: the engine
    hands the pack the auto-generated name once the provider has made it. When it is unset (an offline synthesis
    never auto-names), the physical name will be the logical name plus Pulumi's suffix ("-" and 7 characters),
    and that length is judged. A name built from a prefix is not judged; an unknown name is pending.
    """
    # pulumi/pulumi pkg/resource/deploy/step_generator.go: Analyze gets the inputs the provider's Check returned,
    # autonaming included; a Check that refuses the name (target groups) stops the preview before any policy runs.
    token = ALIASES.get(r.type, r.type)
    field, limit = NAME_FIELDS[token], int(NAME_LIMITS[token]["max_length"])
    name = r.get(field)
    if is_unknown(name):
        out.wait(field)
    elif isinstance(name, str):
        if len(name) > limit:
            out.fail(f"{field} is {len(name)} characters long; AWS accepts at most {limit}")
    elif r.get(f"{field}Prefix") is None and r.get("namePrefix") is None:
        length = len(r.name) + SUFFIX
        if length > limit:
            out.fail(
                f"the auto-generated {field} (logical name {r.name!r} and Pulumi's {SUFFIX}-character suffix) would be "
                f"{length} characters; AWS accepts at most {limit}: shorten the logical name or set {field}"
            )
