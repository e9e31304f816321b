"""AWS values the hardening guardrails judge by, each with the page it was read from and the day it was checked.

The RDS certificate authorities still in service, the Fargate platform versions that still launch tasks, the
PostgreSQL parameters that turn on connection and statement logging, the WAF managed rule group that blocks the
Log4j lookup, and the ephemeral port range that network ACLs must leave open for return traffic. The library's own
values are held to these (:mod:`fintech_infra.vpc` reads the ports; the tests check the CA of
:mod:`fintech_infra.rds_baseline`, the rule groups of :mod:`fintech_infra.waf` and the logging parameters); the
policy pack receives them as ``data/hardening_facts.json`` (:mod:`fintech_infra_gate.packdata`), never by importing
this module.
"""

from __future__ import annotations

from fintech_infra.aws_facts import Source

__all__ = [
    "ADMIN_PORTS",
    "EPHEMERAL_PORTS",
    "EPHEMERAL_PORTS_SOURCE",
    "FARGATE_PLATFORM_SOURCE",
    "FARGATE_PLATFORM_VERSIONS",
    "KMS_KEY_ENABLED_SOURCE",
    "KNOWN_BAD_INPUTS_RULE_GROUP",
    "KNOWN_BAD_INPUTS_SOURCE",
    "POSTGRES_LOGGING_SOURCE",
    "POSTGRES_LOG_STATEMENT_VALUES",
    "RDS_CA_IDENTIFIERS",
    "RDS_CA_SOURCE",
    "SECRET_RECOVERY_WINDOW_SOURCE",
    "facts_document",
]

RDS_CA_IDENTIFIERS: tuple[str, ...] = ("rds-ca-ecc384-g1", "rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1")
"""The RDS certificate authorities a database may present (rds-ca-2019 and older have expired)."""
RDS_CA_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL-certificate-rotation.html",
    quote="Amazon RDS Certificate Authority certificates rds-ca-2019 expired in August, 2024. ... consider using one "
    "of the new CA certificates rds-ca-rsa2048-g1, rds-ca-rsa4096-g1 or rds-ca-ecc384-g1.",
    verify="aws rds describe-certificates --query 'Certificates[].[CertificateIdentifier,ValidTill]'",
)

FARGATE_PLATFORM_VERSIONS: tuple[str, ...] = ("LATEST", "1.4.0")
"""Linux platform versions Fargate still launches tasks on; LATEST resolves to 1.4.0."""
FARGATE_PLATFORM_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-linux-fargate.html",
    quote="You can specify a specific version number, for example 1.4.0, or LATEST. The LATEST platform version is "
    "1.4.0. (platform-versions-retired.html: We are ending support for PV 1.3.0 in Fargate on June 30, 2026. "
    "Starting June 15, 2026, ... you will not be able to launch new tasks or create new services configured with "
    "platform version 1.3.0.)",
)

POSTGRES_LOG_STATEMENT_VALUES: tuple[str, ...] = ("ddl", "mod", "all")
"""``log_statement`` values that log statements (``none``, PostgreSQL's default, logs none)."""
POSTGRES_LOGGING_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Concepts.PostgreSQL.Query_Logging.html",
    quote="log_connections: Logs each successful connection. log_disconnections: Logs the end of each session and "
    "its duration. ... log_min_duration_statement: Any SQL statement that runs atleast for the specified amount "
    "of time or longer gets logged. By default, this parameter isn't set. ... log_statement: Sets the type of "
    "statements logged. By default, this parameter isn't set, but you can change it to all, ddl, or mod",
)

KNOWN_BAD_INPUTS_RULE_GROUP = "AWSManagedRulesKnownBadInputsRuleSet"
KNOWN_BAD_INPUTS_SOURCE = Source(
    "https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html",
    quote="Known bad inputs managed rule group. VendorName: AWS, Name: AWSManagedRulesKnownBadInputsRuleSet. Its "
    "rules Log4JRCE_HEADER, Log4JRCE_QUERYSTRING, Log4JRCE_BODY and Log4JRCE_URIPATH (rule action: Block) inspect "
    "the request for the Log4j JNDI lookup (CVE-2021-44228).",
)

SECRET_RECOVERY_WINDOW_SOURCE = Source(
    "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html",
    quote="RecoveryWindowInDays: The number of days from 7 to 30 that Secrets Manager waits before permanently "
    "deleting the secret. ... If you don't use either, then by default Secrets Manager uses a 30 day recovery window. "
    "... If you delete a secret with the ForceDeleteWithoutRecovery parameter, then you have no opportunity to "
    "recover the secret.",
)
"""The window itself is :data:`fintech_infra.aws_limits.SECRET_RECOVERY_WINDOW_DAYS` (7-30)."""

KMS_KEY_ENABLED_SOURCE = Source(
    "https://www.pulumi.com/registry/packages/aws/api-docs/kms/key/",
    quote="isEnabled: Specifies whether the key is enabled. Defaults to true. (ReplicaKey enabled: the same, "
    "default true; KMS key-state.html: a disabled key cannot be used in cryptographic operations.)",
)

ADMIN_PORTS: tuple[int, ...] = (22, 3389)
"""Remote administration (SSH, RDP): never admitted from the internet."""
EPHEMERAL_PORTS = (1024, 65535)
"""The port range return traffic to NAT gateways, Lambda functions and load balancers arrives on."""
EPHEMERAL_PORTS_SOURCE = Source(
    "https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html",
    quote="Requests originating from Elastic Load Balancing use ports 1024-65535. ... A NAT gateway uses ports "
    "1024-65535. AWS Lambda functions use ports 1024-65535.",
)
"""Why a network ACL may not deny 3389 (inside the range) from the internet in front of a NAT gateway, while it
can deny 22 (outside it) at no cost."""


def _source(source: Source) -> dict[str, object]:
    return {"url": source.url, "quote": source.quote, "checked": source.checked.isoformat(), "verify": source.verify}


def facts_document() -> dict[str, object]:
    """The facts above as plain JSON-ready data: what the policy pack's ``hardening_facts.json`` holds."""
    return {
        "rds_ca_identifiers": {"values": list(RDS_CA_IDENTIFIERS), "source": _source(RDS_CA_SOURCE)},
        "fargate_platform_versions": {
            "values": list(FARGATE_PLATFORM_VERSIONS),
            "source": _source(FARGATE_PLATFORM_SOURCE),
        },
        "postgres_logging": {
            "log_statement": list(POSTGRES_LOG_STATEMENT_VALUES),
            "source": _source(POSTGRES_LOGGING_SOURCE),
        },
        "known_bad_inputs": {"name": KNOWN_BAD_INPUTS_RULE_GROUP, "source": _source(KNOWN_BAD_INPUTS_SOURCE)},
        "secret_recovery_window": {"source": _source(SECRET_RECOVERY_WINDOW_SOURCE)},
        "kms_key_enabled": {"source": _source(KMS_KEY_ENABLED_SOURCE)},
        "admin_ports": list(ADMIN_PORTS),
        "ephemeral_ports": {"range": list(EPHEMERAL_PORTS), "source": _source(EPHEMERAL_PORTS_SOURCE)},
    }
