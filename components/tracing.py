"""Tracing hook: an AWS Distro for OpenTelemetry (ADOT) collector sidecar on an ECS service, off by default.

``compute.services[].tracing: {collector_image: <image>}`` adds a non-essential sidecar running the collector with
its X-Ray configuration (``/etc/ecs/ecs-xray.yaml``, shipped in the ADOT collector image: OTLP on 4317/4318 and the
X-Ray daemon protocol on UDP 2000, exported to AWS X-Ray). The application sends its spans to ``localhost`` (the
task shares one network namespace): ``OTEL_EXPORTER_OTLP_ENDPOINT`` and ``AWS_XRAY_DAEMON_ADDRESS`` are set for it.

The collector image is given, not defaulted: like the service's own image it must be pinned by digest in staging and
production, and a cell with a DR region pulls only from this account's ECR in the primary region (replicated to the
DR region), so mirror the ADOT collector image (``aws-observability/aws-otel-collector``, ECR Public) there first.

The task role gets the actions of the AWS managed policy ``AWSXrayWriteOnlyAccess`` (:data:`XRAY_WRITE_ACTIONS`),
on ``Resource: "*"``: X-Ray's ``PutTraceSegments`` and ``PutTelemetryRecords`` have no resource type to scope to
(the service authorization reference lists none), and the sampling calls are account-wide.

On EKS the same collector runs once per node (``compute.tracing``, :mod:`fintech_infra.eks_tracing`).
"""

from __future__ import annotations

from typing import Any

from fintech_infra.aws_facts import Source

__all__ = [
    "COLLECTOR_CONFIG",
    "XRAY_SOURCE",
    "XRAY_WRITE_ACTIONS",
    "collector_container",
    "tracing_environment",
    "xray_statement",
]

XRAY_WRITE_ACTIONS = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
)
XRAY_SOURCE = Source(
    "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSXrayWriteOnlyAccess.html",
    quote='"Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", '
    '"xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"], "Resource": ["*"]',
)
COLLECTOR_CONFIG = "/etc/ecs/ecs-xray.yaml"
COLLECTOR_NAME = "aws-otel-collector"


def collector_container(image: str, *, log_options: dict[str, Any]) -> dict[str, Any]:
    """The sidecar's container definition: non-essential (a collector failure never stops the application)."""
    return {
        "name": COLLECTOR_NAME,
        "image": image,
        "essential": False,
        "command": [f"--config={COLLECTOR_CONFIG}"],
        "readonlyRootFilesystem": True,
        "privileged": False,
        "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
        "logConfiguration": {"logDriver": "awslogs", "options": {**log_options, "awslogs-stream-prefix": "otel"}},
    }


def tracing_environment() -> dict[str, str]:
    """What the application container is told: where the collector listens (same task, ``localhost``)."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4317",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
    }


def xray_statement() -> dict[str, Any]:
    """The task role statement equivalent to ``AWSXrayWriteOnlyAccess``."""
    return {"Sid": "XRayWriteOnly", "Effect": "Allow", "Action": list(XRAY_WRITE_ACTIONS), "Resource": "*"}
