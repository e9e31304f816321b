"""Lambda guardrails: the library's only functions are Secrets Manager rotation functions.

- ``lambda-reserved-concurrency``: a function has reserved concurrency, so it neither spends the account's pool
  when a caller runs away nor waits on it when the application tier has spent it.
- ``lambda-xray-tracing``: active X-Ray tracing, so a failed rotation step can be followed into the calls it made.

Neither a dead-letter queue (checkov CKV_AWS_116) nor code signing (CKV_AWS_272) is asked for: Secrets Manager
calls a rotation function step by step and waits for each answer (a DLQ receives only asynchronous invocations'
failures), and the function's code is the library's own source, deployed by the same role that would sign it.
docs/components.md ("Hardening decisions") argues both with their sources.
"""

from __future__ import annotations

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import at_least, equals, require
from fintech_guardrails.model import Findings, Resource
from fintech_guardrails.registry import dora, pci, resource_rule


@resource_rule(
    types=(t.LAMBDA_FUNCTION,),
    name="lambda-reserved-concurrency",
    severity=Severity.LOW,
    framework=dora("Art. 9", "Protection and prevention"),
    tags=("checkov:CKV_AWS_115",),
    remediation="Create rotation functions with RotationFunction: it reserves RESERVED_CONCURRENCY runs.",
    url="https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html",
)
def lambda_reserved_concurrency(r: Resource, out: Findings) -> None:
    """Functions reserve concurrency (``reservedConcurrentExecutions`` of 1 or more).

    Unset (the provider's ``-1``) means the function shares the account's unreserved pool; ``0`` stops it from
    running at all. Unknown values are pending.
    """
    require(r, out, "reservedConcurrentExecutions", at_least(1))


@resource_rule(
    types=(t.LAMBDA_FUNCTION,),
    name="lambda-xray-tracing",
    severity=Severity.LOW,
    framework=pci("10.2.1", "Audit logs are enabled and active for all system components"),
    tags=("checkov:CKV_AWS_50",),
    remediation="Create rotation functions with RotationFunction: active tracing, and the role may write traces.",
    url="https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html",
)
def lambda_xray_tracing(r: Resource, out: Findings) -> None:
    """Functions trace actively (``tracingConfig.mode`` Active).

    Unset means PassThrough: the function traces only requests that arrive sampled, and Secrets Manager's do not.
    Unknown values are pending.
    """
    require(r, out, ("tracingConfig", "mode"), equals("Active"))
