"""Deployability of certificates, DNS and the DR region: what AWS accepts and the mock engine cannot tell.

- ``acm-validation-completes-in-stack``: a DNS-validated certificate's ``CertificateValidation`` waits until the
  certificate is issued; if no Route 53 record of the same stack writes its validation records, the update waits
  for the provider's timeout and fails (or waits on another stack that runs later).
- ``task-dependencies-in-own-region``, ``task-roles-in-own-region``, ``kms-via-service-matches-key-region``:
  a task in region R must start when every other region is gone: its image, injected secrets and logs in R, its
  roles granting secrets, parameters, keys and repositories of R, and a ``kms:ViaService`` endpoint that names
  the region of the keys it is paired with (a key is regional; a mismatched pair can never be used).
- ``routing-manifest-in-own-region``: a routing manifest names only endpoints and ARNs of its own region, so the
  DR manifest is usable with the primary region gone. Issue 13's failover-path guardrail judges the failover as a
  whole; this is the per-resource check of one manifest's values.
- ``ecr-replication-in-jurisdiction``: registry replication (what fills the DR registry) copies images only to
  regions the jurisdiction permits, never back to its own region.
- ``route53-tag-limit``: Route 53 accepts at most 10 tags on a hosted zone or health check.

Each rule names its AWS source (``url``), read with the limits from the generated ``data/aws_facts.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Node, Resource, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown
from fintech_guardrails.registry import dora, gdpr, pci, resource_rule, stack_rule
from fintech_guardrails.rules.secrets import container_definitions

_FACTS = facts.load("aws_facts")

ARN_REGION = re.compile(r"^arn:aws[a-z-]*:(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):")
ECR_HOST = re.compile(r"^\d{12}\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com")
RDS_HOST = re.compile(r"\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.rds\.amazonaws\.com")
VIA_SERVICE = re.compile(r"^[a-z0-9-]+\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$")
ROUTING_PARAMETER = re.compile(r"^/fintech-infra/[^/]+/routing/[^/]+$")
REGIONAL_DEPENDENCIES = frozenset({"secretsmanager", "kms", "ssm", "ecr"})
"""Services whose ARNs a task depends on at start or at run time: its secrets, parameters, keys and images."""


def _url(fact: str) -> str:
    return str(_FACTS[fact]["url"])


# -- Certificates ---------------------------------------------------------------------------------------------------


def _domains(certificate: Node) -> list[Any]:
    names = [certificate.get("domainName"), *as_list(certificate.get("subjectAlternativeNames"))]
    return [name for name in names if name is not None]


def _covers(record: Node, domain: str) -> Any:
    """Whether ``record`` is the validation CNAME of ``domain`` (``_<token>.<domain>.``); UNKNOWN while unnamed."""
    name = record.get("name")
    if is_unknown(name):
        return name
    base = domain.removeprefix("*.").rstrip(".").lower()
    return isinstance(name, str) and name.rstrip(".").lower().endswith(f".{base}")


@stack_rule(
    name="acm-validation-completes-in-stack",
    severity=Severity.HIGH,
    framework=pci("4.2.1", "Strong cryptography protects cardholder data during transmission over open networks"),
    tags=("DORA Art. 9", "deployability"),
    url=_url("acm_validation_waits"),
    remediation=(
        "Give the cell stack `dns.zones_stack` (its edges then write their validation CNAMEs through the zones "
        "stack's writer role, in the same run), or set `edge.certificate_arn` to an issued certificate."
    ),
)
def acm_validation_completes_in_stack(stack: Stack, out: Findings) -> None:
    """A DNS-validated certificate's validation records are written by Route 53 records of the same stack.

    Per ``aws:acm/certificateValidation``: its certificate (``certificateArn``) must have, for its domain name and
    each SAN, a ``aws:route53/record:Record`` in this stack that refers to the certificate (its name and value come
    from the certificate's ``domainValidationOptions``) or that ``validationRecordFqdns`` lists. Otherwise the
    validation waits on records nobody in this update writes: until the provider's timeout, then the update fails.
    A certificate of another stack (an imported, issued one) is not judged; record names unknown during preview are
    pending.
    """
    for validation in stack.of_type(t.ACM_CERTIFICATE_VALIDATION):
        certificates = stack.refs(validation, "certificateArn", t.ACM_CERTIFICATE)
        if not certificates:
            if is_unknown(validation.get("certificateArn")):
                out.wait("certificateArn", validation.urn)
            continue
        for certificate in certificates:
            method = certificate.get("validationMethod")
            if is_unknown(method):
                out.wait("validationMethod", validation.urn)
                continue
            if method != "DNS":
                continue
            records = {
                node.urn: node
                for node in [
                    *stack.referrers(certificate, t.ROUTE53_RECORD),
                    *stack.refs(validation, "validationRecordFqdns", t.ROUTE53_RECORD),
                ]
            }
            for domain in _domains(certificate):
                if is_unknown(domain):
                    out.wait("domainName", validation.urn)
                    continue
                verdicts = [_covers(record, str(domain)) for record in records.values()]
                if any(verdict is True for verdict in verdicts):
                    continue
                if any(is_unknown(verdict) for verdict in verdicts):
                    out.wait("the validation records' names", validation.urn)
                    continue
                out.fail(
                    "no Route 53 record in this stack writes the certificate's DNS validation records: the "
                    "validation waits until the provider's timeout and the update fails",
                    validation.urn,
                )
                break


# -- One region's tasks depend on that region only -------------------------------------------------------------------


def _regions_named(value: Any, *, services: frozenset[str] = REGIONAL_DEPENDENCIES) -> Iterator[str]:
    """Regions of the ARNs (of ``services``) and ``kms:ViaService`` endpoints anywhere in ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "kms:ViaService":
                for endpoint in as_list(item):
                    match = VIA_SERVICE.match(endpoint) if isinstance(endpoint, str) else None
                    if match:
                        yield match["region"]
            else:
                yield from _regions_named(item, services=services)
    elif isinstance(value, list):
        for item in value:
            yield from _regions_named(item, services=services)
    elif isinstance(value, str):
        match = ARN_REGION.match(value)
        if match and match["service"] in services and match["region"]:
            yield match["region"]


@resource_rule(
    types=(t.ECS_TASK_DEFINITION,),
    name="task-dependencies-in-own-region",
    severity=Severity.HIGH,
    framework=dora("Art. 12", "Backup policies and procedures, restoration and recovery procedures"),
    tags=("DORA Art. 11", "deployability"),
    url=_url("ecr_replication"),
    remediation=(
        "Pull the image from this region's registry (ECR replication fills it: images.dr_image) and inject this "
        "region's secrets and parameters (Secrets Manager replicas: AppSecret.replica_arn)."
    ),
)
def task_dependencies_in_own_region(r: Resource, out: Findings) -> None:
    """ECS task definitions pull their image, read their secrets and write their logs in their own region.

    Judged per container: an ECR image's registry region, every ``secrets[].valueFrom`` ARN's region and the
    ``awslogs-region`` option must be the task definition's region (its provider's). A task that depends on
    another region cannot start when that region is down: a DR task would fail exactly when it is needed. Images
    outside ECR and ARNs without a region are not judged; values unknown during preview are pending.
    """
    region = r.region
    containers = container_definitions(r)
    if is_unknown(region) or containers is None:
        out.wait("region" if is_unknown(region) else "containerDefinitions")
        return
    if not isinstance(region, str) or not region:
        return
    for container in containers:
        image = container.get("image")
        match = ECR_HOST.match(image) if isinstance(image, str) else None
        if match and match["region"] != region:
            out.fail(f"a container pulls its image from the ECR registry of another region than {region}")
        secrets = [item.get("valueFrom") for item in as_list(container.get("secrets")) if isinstance(item, dict)]
        if any(found != region for found in _regions_named(secrets, services=frozenset({"secretsmanager", "ssm"}))):
            out.fail(f"a container's secrets come from another region than {region}")
        logs = dig(container, "logConfiguration", "options", "awslogs-region")
        if isinstance(logs, str) and logs and logs != region:
            out.fail(f"a container writes its logs to another region than {region}")


def _statements(policy: Any) -> Any:
    """The statements of a policy document (a JSON string or a mapping); UNKNOWN while it is unknown."""
    if is_unknown(policy) or (isinstance(policy, dict) and contains_unknown(policy)):
        return UNKNOWN
    document = policy
    if isinstance(policy, str):
        try:
            document = json.loads(policy)
        except ValueError:
            return []
    statements = document.get("Statement") if isinstance(document, dict) else None
    return [item for item in as_list(statements) if isinstance(item, dict)]


@stack_rule(
    name="task-roles-in-own-region",
    severity=Severity.HIGH,
    framework=dora("Art. 12", "Backup policies and procedures, restoration and recovery procedures"),
    tags=("DORA Art. 11", "deployability"),
    url=_url("secrets_replica_arn"),
    remediation=(
        "Grant a region's tasks that region's copies: Secrets Manager replicas (the primary ARN with this region), "
        "the region's KMS keys with kms:ViaService secretsmanager.<region>.amazonaws.com, its ECR repositories."
    ),
)
def task_roles_in_own_region(stack: Stack, out: Findings) -> None:
    """The execution and task roles of a region's ECS tasks grant only that region's secrets, keys and images.

    For each task definition in region R, the inline policies of its ``executionRoleArn`` and ``taskRoleArn``
    roles may name Secrets Manager, SSM, KMS and ECR ARNs of R only, and ``kms:ViaService`` endpoints of R only. A
    DR task granted the primary region's secrets (or keys behind a DR-region ``kms:ViaService``) cannot read its
    credentials when the primary region is gone. Policies unknown during preview are pending.
    """
    for task in stack.of_type(t.ECS_TASK_DEFINITION):
        region = task.region
        if is_unknown(region):
            out.wait("region", task.urn)
            continue
        if not isinstance(region, str) or not region:
            continue
        roles = [*stack.refs(task, "executionRoleArn", t.IAM_ROLE), *stack.refs(task, "taskRoleArn", t.IAM_ROLE)]
        for role in roles:
            for policy in stack.referrers(role, t.IAM_ROLE_POLICY, prop="role"):
                statements = _statements(policy.get("policy"))
                if is_unknown(statements):
                    out.wait("policy", policy.urn)
                    continue
                named = {found for statement in statements for found in _regions_named(statement)}
                if named - {region}:
                    out.fail(
                        f"the policy grants a task in {region} secrets, parameters, keys or images of another "
                        "region (or a kms:ViaService endpoint there)",
                        policy.urn,
                    )


@resource_rule(
    types=(t.IAM_ROLE_POLICY, t.IAM_POLICY),
    name="kms-via-service-matches-key-region",
    severity=Severity.MEDIUM,
    framework=pci("3.6.1", "Procedures are defined to protect cryptographic keys"),
    tags=("DORA Art. 9", "deployability"),
    url=_url("kms_via_service"),
    remediation=(
        "Pair each KMS key with the kms:ViaService endpoint of its own region (<service>.<key region>.amazonaws.com)."
    ),
)
def kms_via_service_matches_key_region(r: Resource, out: Findings) -> None:
    """A statement's KMS keys are in a region its `kms:ViaService` condition names.

    A KMS key is regional and a service calls KMS in its own region, so a statement allowing keys of one region
    only through another region's endpoint (``secretsmanager.eu-west-1.amazonaws.com`` for a key in eu-central-1)
    can never take effect: what it was meant to allow is denied. Statements without ``kms:ViaService`` or with
    key ARNs unknown during preview are not judged (the latter pending).
    """
    statements = _statements(r.get("policy"))
    if is_unknown(statements):
        out.wait("policy")
        return
    for statement in statements:
        condition = statement.get("Condition")
        via = [
            endpoint
            for operator in (condition.values() if isinstance(condition, dict) else [])
            if isinstance(operator, dict)
            for endpoint in as_list(operator.get("kms:ViaService"))
        ]
        regions = {
            match["region"] for endpoint in via if isinstance(endpoint, str) and (match := VIA_SERVICE.match(endpoint))
        }
        if not regions:
            continue
        keys = [arn for arn in as_list(statement.get("Resource")) if isinstance(arn, str)]
        key_regions = {m["region"] for arn in keys if (m := ARN_REGION.match(arn)) and m["service"] == "kms"}
        if key_regions - regions:
            out.fail("a statement allows KMS keys only through the kms:ViaService endpoint of another region")
            return


# -- Routing manifests ------------------------------------------------------------------------------------------------


def _manifest_regions(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _manifest_regions(item)
    elif isinstance(value, list):
        for item in value:
            yield from _manifest_regions(item)
    elif isinstance(value, str):
        arn = ARN_REGION.match(value)
        if arn and arn["region"]:
            yield arn["region"]
        host = RDS_HOST.search(value)
        if host:
            yield host["region"]


@resource_rule(
    types=(t.SSM_PARAMETER,),
    name="routing-manifest-in-own-region",
    severity=Severity.HIGH,
    framework=dora("Art. 12", "Backup policies and procedures, restoration and recovery procedures"),
    tags=("DORA Art. 11", "GDPR Art. 32", "deployability"),
    url=_url("secrets_replica_arn"),
    remediation=(
        "Build the DR manifest from the DR copies (secondary cluster endpoints, secret replicas); leave a value "
        "null where the DR copy is created on failover."
    ),
)
def routing_manifest_in_own_region(r: Resource, out: Findings) -> None:
    """A routing manifest names only endpoints and ARNs of its own region.

    Judged: SSM parameters named ``/fintech-infra/<cell>/routing/<entity>``. Every ARN and RDS endpoint in the JSON
    value must be in the parameter's region (its provider's), so the DR manifest is usable with the primary region
    gone. (Issue 13's failover-path guardrail judges the failover as a whole; this checks one manifest.) A value
    unknown during preview is pending.
    """
    name = r.get("name")
    if is_unknown(name):
        out.wait("name")
        return
    if not isinstance(name, str) or not ROUTING_PARAMETER.match(name):
        return
    value = r.get("insecureValue")
    if value is None:
        value = r.get("value")
    region = r.region
    if is_unknown(value) or is_unknown(region):
        out.wait("insecureValue" if is_unknown(value) else "region")
        return
    try:
        document = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        out.fail("the routing manifest is not JSON")
        return
    if isinstance(region, str) and region and set(_manifest_regions(document)) - {region}:
        out.fail(f"the routing manifest names endpoints or ARNs of another region than {region}")


# -- Registry replication and Route 53 ---------------------------------------------------------------------------------


@stack_rule(
    name="ecr-replication-in-jurisdiction",
    severity=Severity.HIGH,
    framework=gdpr("Art. 44", "General principle for transfers"),
    tags=("DORA Art. 12", "deployability"),
    url=_url("ecr_replication"),
    exemptible=False,
    remediation="Replicate the primary registry only to the cell's DR region (images.image_replication).",
)
def ecr_replication_in_jurisdiction(stack: Stack, out: Findings) -> None:
    """ECR replication copies images only to other regions the registry's jurisdiction permits.

    Each ``replicationConfiguration.rules[].destinations[].region`` must be permitted for the configuration's
    jurisdiction (its cell) and differ from the registry's own region. Destinations unknown during preview are
    pending; a configuration whose jurisdiction cannot be resolved is left to ``data-residency-region``.
    """
    registry = stack.settings.registry
    for node in stack.of_type(t.ECR_REPLICATION):
        code = stack.jurisdiction(node)
        rules = node.get("replicationConfiguration", "rules")
        if is_unknown(rules) or contains_unknown(rules):
            out.wait("replicationConfiguration.rules", node.urn)
            continue
        if code is None or code not in registry:
            continue
        permitted = registry[code].permitted_regions
        for rule in as_list(rules):
            for destination in as_list(rule.get("destinations") if isinstance(rule, dict) else None):
                target = destination.get("region") if isinstance(destination, dict) else None
                if not isinstance(target, str):
                    continue
                if target not in permitted:
                    out.fail(f"images are replicated to a region not permitted for {code}", node.urn)
                elif target == node.region:
                    out.fail("images are replicated to the registry's own region", node.urn)


ROUTE53_TAG_LIMIT = int(_FACTS["route53_tags_per_resource"]["value"])


@resource_rule(
    types=(t.ROUTE53_ZONE, t.ROUTE53_HEALTH_CHECK),
    name="route53-tag-limit",
    severity=Severity.MEDIUM,
    framework=dora("Art. 9", "Protection and prevention"),
    tags=("deployability",),
    url=str(_FACTS["route53_tags_per_resource"]["source"]["url"]),
    remediation="Keep Route 53 zones and health checks to 10 tags: the convention's 6 or 7 and few of your own.",
)
def route53_tag_limit(r: Resource, out: Findings) -> None:
    """Route 53 hosted zones and health checks carry at most 10 tags.

    Route 53's tag API accepts at most 10 tags on a hosted zone or health check (most services take 50), so a tag
    set that fits elsewhere fails the create. Tags unknown during preview are pending.
    """
    tags = r.get("tags")
    if is_unknown(tags) or (isinstance(tags, dict) and contains_unknown(tags)):
        out.wait("tags")
        return
    if isinstance(tags, dict) and len(tags) > ROUTE53_TAG_LIMIT:
        out.fail(f"tags must number at most {ROUTE53_TAG_LIMIT} (Route 53)")
