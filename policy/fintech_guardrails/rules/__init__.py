"""Rule families; importing this package registers every guardrail."""

from fintech_guardrails.rules import (  # noqa: F401
    alb,
    databases,
    ecs,
    eks,
    exemptions_valid,
    kms,
    kubernetes,
    logging,
    network,
    rds,
    recovery,
    redis,
    residency,
    s3,
    secrets,
    separation,
    tagging,
)
