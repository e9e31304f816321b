"""ECS guardrails: private services, hardened containers, logging, Container Insights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import Expectation, not_equal, require
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.preview import as_list
from fintech_guardrails.registry import pci, resource_rule
from fintech_guardrails.rules.secrets import container_definitions


@resource_rule(
    types=(t.ECS_SERVICE,),
    name="ecs-service-no-public-ip",
    severity=Severity.HIGH,
    framework=pci(
        "1.4.4", "System components that store cardholder data are not directly accessible from untrusted networks"
    ),
    tags=("PCI DSS 4.0.1 1.3.1", "checkov:CKV_AWS_333"),
    remediation="FargateService runs tasks in private subnets with assignPublicIp=False.",
)
def ecs_no_public_ip(r: Resource, out: Findings) -> None:
    """ECS services never give tasks a public IP.

    ``networkConfiguration.assignPublicIp`` unset means false (AWS default) and passes. Unknowns are pending.
    """
    require(r, out, ("networkConfiguration", "assignPublicIp"), not_equal(True))


def _each_container(r: Resource, out: Findings, ok: Callable[[dict[str, Any]], bool], message: str) -> None:
    containers = container_definitions(r)
    if containers is None:
        out.wait("containerDefinitions")
        return
    if any(not ok(container) for container in containers):
        out.fail(message)


@resource_rule(
    types=(t.ECS_TASK_DEFINITION,),
    name="ecs-task-non-root",
    severity=Severity.HIGH,
    framework=pci("2.2.6", "System security parameters are configured to prevent misuse"),
    tags=("PCI DSS 4.0.1 7.2.2", "cdk-nag:PCI.DSS.321-ECSTaskDefinitionUserForHostMode"),
    remediation="Run every container as a numeric non-root user (FargateService sets `user`).",
)
def ecs_non_root(r: Resource, out: Findings) -> None:
    """Containers run as a non-root user.

    ``user`` unset means the image's user, which is root for most images, and is a violation; "root", "0" and
    "0:*" are violations. Container definitions unknown during preview are pending.
    """

    def non_root(container: dict[str, Any]) -> bool:
        user = container.get("user")
        return isinstance(user, str) and bool(user) and user.split(":")[0] not in ("root", "0")

    _each_container(r, out, non_root, "every container must set a non-root `user`")


@resource_rule(
    types=(t.ECS_TASK_DEFINITION,),
    name="ecs-task-read-only-root-fs",
    severity=Severity.MEDIUM,
    framework=pci("2.2.6", "System security parameters are configured to prevent misuse"),
    tags=("checkov:CKV_AWS_336",),
    remediation="Set readonlyRootFilesystem=True and mount a volume where the app must write.",
)
def ecs_read_only(r: Resource, out: Findings) -> None:
    """Containers have a read-only root filesystem.

    ``readonlyRootFilesystem`` unset means writable (AWS default) and is a violation. Unknowns are pending.
    """
    _each_container(
        r, out, lambda c: c.get("readonlyRootFilesystem") is True, "every container must set readonlyRootFilesystem"
    )


@resource_rule(
    types=(t.ECS_TASK_DEFINITION,),
    name="ecs-task-not-privileged",
    severity=Severity.CRITICAL,
    framework=pci("7.2.2", "Access is assigned based on job classification and least privilege"),
    tags=("checkov:CKV_AWS_334", "checkov:CKV_AWS_335"),
    remediation="Never set privileged; don't share the host's PID or IPC namespace.",
)
def ecs_not_privileged(r: Resource, out: Findings) -> None:
    """Containers are not privileged and tasks don't share host namespaces.

    ``privileged`` unset means false and passes; ``pidMode``/``ipcMode`` "host" are violations. Unknowns are pending.
    """
    _each_container(r, out, lambda c: c.get("privileged") is not True, "no container may be privileged")
    require(r, out, "pidMode", not_equal("host"))
    require(r, out, "ipcMode", not_equal("host"))


@resource_rule(
    types=(t.ECS_TASK_DEFINITION,),
    name="ecs-task-logging",
    severity=Severity.MEDIUM,
    framework=pci("10.2.1", "Audit logs are enabled and active for all system components"),
    tags=("cdk-nag:AwsSolutions-ECS7",),
    remediation="FargateService gives every container an awslogs logConfiguration to its encrypted log group.",
)
def ecs_logging(r: Resource, out: Findings) -> None:
    """Every container has a log configuration.

    ``logConfiguration`` unset means container output is discarded and is a violation. Unknowns are pending.
    """
    _each_container(
        r,
        out,
        lambda c: isinstance(c.get("logConfiguration"), dict) and bool(c["logConfiguration"].get("logDriver")),
        "every container needs a logConfiguration",
    )


def _container_insights_on(settings: Any) -> bool:
    return any(
        isinstance(item, dict)
        and item.get("name") == "containerInsights"
        and item.get("value") in ("enabled", "enhanced")
        for item in as_list(settings)
    )


CONTAINER_INSIGHTS_ON = Expectation(_container_insights_on, "set containerInsights to enabled or enhanced")


@resource_rule(
    types=(t.ECS_CLUSTER,),
    name="ecs-cluster-container-insights",
    severity=Severity.LOW,
    framework=pci("10.2.1", "Audit logs are enabled and active for all system components"),
    tags=("cdk-nag:AwsSolutions-ECS4", "checkov:CKV_AWS_65"),
    remediation="EcsCluster sets the containerInsights setting to enabled (or enhanced).",
)
def ecs_container_insights(r: Resource, out: Findings) -> None:
    """ECS clusters have Container Insights enabled or enhanced.

    ``settings`` unset means the account default (off unless changed) and is a violation. Unknowns are pending.
    """
    require(
        r, out, "settings", CONTAINER_INSIGHTS_ON, message="the containerInsights setting must be enabled or enhanced"
    )
