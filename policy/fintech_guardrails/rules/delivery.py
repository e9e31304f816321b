"""Delivery guardrails: a deployment that goes wrong undoes itself."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import equals, require
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.preview import as_list, is_unknown
from fintech_guardrails.registry import pci, resource_rule
from fintech_guardrails.rules.secrets import container_definitions


def _behind_a_load_balancer(r: Resource) -> bool | None:
    balancers = r.get("loadBalancers")
    if is_unknown(balancers):
        return None
    return bool(as_list(balancers))


@resource_rule(
    types=(t.ECS_SERVICE,),
    name="ecs-deployment-rolls-back",
    severity=Severity.HIGH,
    framework=pci(
        "6.5.1",
        "Changes to system components in production are made according to established procedures, including "
        "procedures to address failures and return to a secure state",
    ),
    tags=("DORA 2022/2554 Art. 9(4)(e)", "deployment-alarms"),
    remediation=(
        "FargateService sets deploymentCircuitBreaker {enable, rollback} and, behind a load balancer, "
        "deploymentConfiguration alarms {alarmNames: its rollback alarms, enable: true, rollback: true}; pass it "
        "alert_route (a JurisdictionCell does)."
    ),
    url="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html",
)
def ecs_deployment_rolls_back(r: Resource, out: Findings) -> None:
    """An ECS deployment that fails rolls back by itself.

    Every service: ``deploymentCircuitBreaker`` with ``enable`` and ``rollback`` true (tasks that never get
    healthy). A service behind a load balancer also needs deployment alarms, ``alarms`` with ``enable`` and
    ``rollback`` true and at least one alarm name, because a revision whose tasks pass health checks can still
    fail requests: only the alarms on its target groups see that. Unset is a violation (ECS neither watches nor
    rolls back by default); unknowns are pending.
    """
    require(r, out, ("deploymentCircuitBreaker", "enable"), equals(True))
    require(r, out, ("deploymentCircuitBreaker", "rollback"), equals(True))
    behind = _behind_a_load_balancer(r)
    if behind is None:
        out.wait("loadBalancers")
        return
    if not behind:
        return
    require(r, out, ("alarms", "enable"), equals(True))
    require(r, out, ("alarms", "rollback"), equals(True))
    names: Any = r.get("alarms", "alarmNames")
    if is_unknown(names):
        out.wait("alarms.alarmNames")
    elif not as_list(names):
        out.fail("alarms.alarmNames must name the alarms that watch the service's target groups")


PINNED_ENVIRONMENTS = ("staging", "prod")


@resource_rule(
    types=(t.ECS_TASK_DEFINITION,),
    name="ecs-image-pinned-by-digest",
    severity=Severity.HIGH,
    framework=pci(
        "6.3.2",
        "An inventory of bespoke and custom software, and third-party software components, is maintained",
    ),
    tags=("PCI DSS 4.0.1 6.3.3", "supply-chain"),
    remediation=(
        "Name each image as <registry>/<repository>@sha256:<digest> in staging and prod stack files (the stack "
        "config refuses a tag there): the digest the image scan passed is then exactly what runs."
    ),
    url="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_image",
)
def ecs_image_pinned_by_digest(r: Resource, out: Findings) -> None:
    """In staging and prod (the ``Environment`` tag), every container image is pinned by ``@sha256:`` digest.

    A tag can be pushed again with other bytes, so what was scanned and reviewed is not necessarily what runs.
    Other environments are not judged. An unknown tag or unknown container definitions are pending.
    """
    environment = r.get("tags", "Environment")
    if is_unknown(environment):
        out.wait("tags.Environment")
        return
    if environment not in PINNED_ENVIRONMENTS:
        return
    containers = container_definitions(r)
    if containers is None:
        out.wait("containerDefinitions")
        return
    for container in containers:
        image = str(container.get("image", ""))
        if "@sha256:" not in image:
            out.fail(
                f"container {container.get('name')!r} runs {image!r}: in {environment} an image is pinned by digest"
            )
