"""Rule families; importing this package registers every guardrail.

One module per resource family, about a dozen rules each. A rule states each property check in one line::

    require(r, out, "transitEncryptionEnabled", equals(True))
    require(r, out, ("accessLogs", "bucket"), is_set)
    require(r, out, "kmsKeyId", customer_managed_key)
    require(r, out, "backupRetentionPeriod", at_least(int(r.settings.value("minDays")), "days"))

(:mod:`fintech_guardrails.checks`; the registration around it is in :mod:`fintech_guardrails.registry`). A
family's own expectations (``customer_managed_key`` in :mod:`.secrets`) live in its module.
"""

from fintech_guardrails.rules import (  # noqa: F401
    alb,
    compute_hardening,
    data_hardening,
    databases,
    delivery,
    deployability_dr,
    deployability_limits,
    deployability_network,
    deployability_operations,
    deployability_versions,
    drills,
    ecs,
    eks,
    exemptions_valid,
    iam,
    iam_trust,
    kms,
    kubernetes,
    kubernetes_workloads,
    lambda_functions,
    logging,
    network,
    network_hardening,
    paths_alerts,
    paths_buckets,
    paths_data,
    paths_failover,
    paths_ingress,
    paths_keys,
    paths_queues,
    rds,
    recovery,
    redis,
    residency,
    s3,
    secrets,
    security_services,
    separation,
    sqs,
    tagging,
)
