"""deployability_dr.py: certificates validated in the stack, one region's tasks depending on that region only,
routing manifests in their own region, image replication in the jurisdiction, Route 53's tag limit."""

from __future__ import annotations

import json

import pytest

from fintech_guardrails import types as t
from fintech_guardrails.registry import REGISTRY
from tests.policy.harness import Case, R, U, case_params, rc, run_case

PRIMARY, DR = "eu-central-1", "eu-west-1"
ACCOUNT = "333333333333"
SECRET = f"arn:aws:secretsmanager:{PRIMARY}:{ACCOUNT}:secret:eu-trading-master-AbCdEf"
DR_SECRET = SECRET.replace(PRIMARY, DR)
KEY = f"arn:aws:kms:{PRIMARY}:{ACCOUNT}:key/1111"
DR_KEY = f"arn:aws:kms:{DR}:{ACCOUNT}:key/2222"
IMAGE = f"{ACCOUNT}.dkr.ecr.{PRIMARY}.amazonaws.com/fintech-api@sha256:" + "a" * 64
DR_IMAGE = IMAGE.replace(f".{PRIMARY}.", f".{DR}.")
PARAMETER = f"arn:aws:ssm:{DR}:{ACCOUNT}:parameter/fintech-infra/eu/routing/cysec-cy"

# -- certificates ------------------------------------------------------------------------------------------------

CERTIFICATE = R(
    t.ACM_CERTIFICATE,
    "eu-edge-certificate",
    {"domainName": "api.cy.example.net", "subjectAlternativeNames": ["api.eu.example.net"], "validationMethod": "DNS"},
)


def validation() -> R:
    return R(
        t.ACM_CERTIFICATE_VALIDATION,
        "eu-edge-certificate-validation",
        {"certificateArn": U},
        deps={"certificateArn": [CERTIFICATE.urn]},
    )


def record(domain: str, *, name: object | None = None) -> R:
    return R(
        t.ROUTE53_RECORD,
        f"eu-edge-validation-{domain.replace('.', '-')}",
        {"name": name if name is not None else f"_x.{domain}.", "type": "CNAME", "zoneId": "ZAPEX", "records": [U]},
        region=None,
        deps={"name": [CERTIFICATE.urn], "records": [CERTIFICATE.urn]},
    )


BOTH = [record("api.cy.example.net"), record("api.eu.example.net")]

# -- tasks and roles ---------------------------------------------------------------------------------------------


def task(image: str = DR_IMAGE, secrets: list[str] | None = None, logs: str = DR, *, region: str = DR) -> R:
    container = {
        "name": "api",
        "image": image,
        "secrets": [{"name": f"S{i}", "valueFrom": arn} for i, arn in enumerate(secrets or [PARAMETER])],
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-region": logs}},
    }
    return R(
        t.ECS_TASK_DEFINITION,
        "eu-dr-api-task",
        {"containerDefinitions": json.dumps([container]), "taskRoleArn": U, "executionRoleArn": U},
        region=region,
        deps={"taskRoleArn": [ROLE.urn]},
    )


ROLE = R(t.IAM_ROLE, "eu-dr-api-task-role", {"assumeRolePolicy": "{}"}, region=DR)


def statements(secret: str, key: str, via_region: str) -> list[dict[str, object]]:
    return [
        {
            "Sid": "ReadRuntimeSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": [secret],
        },
        {
            "Sid": "DecryptSecretsViaStores",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": [key],
            "Condition": {"StringEquals": {"kms:ViaService": [f"secretsmanager.{via_region}.amazonaws.com"]}},
        },
    ]


def role_policy(policy: object, *, name: str = "eu-dr-api-task-policy") -> R:
    text = policy if isinstance(policy, str) else json.dumps({"Version": "2012-10-17", "Statement": policy})
    return R(t.IAM_ROLE_POLICY, name, {"role": U, "policy": text}, region=DR, deps={"role": [ROLE.urn]})


# -- manifests, replication, tags ----------------------------------------------------------------------------------


def manifest(secret: object, writer: str = f"eu-trading-dr.cluster-ro-x.{DR}.rds.amazonaws.com") -> dict[str, object]:
    document = {
        "schema": 1,
        "role": "dr",
        "region": DR,
        "databases": {"trading": {"writer": writer, "reader": writer, "port": 5432, "secret_arn": secret}},
        "cache": None,
    }
    return {"name": "/fintech-infra/eu/routing/cysec-cy", "type": "String", "insecureValue": json.dumps(document)}


def replication(*regions: str) -> R:
    rules = [{"destinations": [{"region": region, "registryId": ACCOUNT}]} for region in regions]
    return R(
        t.ECR_REPLICATION,
        "eu-ecr-replication",
        {"replicationConfiguration": {"rules": rules}},
        region=PRIMARY,
        parent=CELL.urn,
    )


CELL = R("fintech:cell:JurisdictionCell", "eu", region=None)
CYSEC = {"tags": {"Jurisdiction": "cysec"}}
TAGGED_KEY = R(t.KMS_KEY, "eu-key", CYSEC, parent=CELL.urn)
TEN = {f"Tag{i}": "v" for i in range(10)}

CASES = {
    "acm-validation-completes-in-stack": [
        Case("both names written by records of the stack", "pass", [CERTIFICATE, validation(), *BOTH]),
        Case("no record writes them (the global stack was to)", "fail", [CERTIFICATE, validation()]),
        Case("a SAN's record is missing", "fail", [CERTIFICATE, validation(), BOTH[0]]),
        Case(
            "an issued certificate of another stack is not judged",
            "pass",
            [R(t.ACM_CERTIFICATE_VALIDATION, "v", {"certificateArn": "arn:aws:acm:eu-central-1:1:certificate/x"})],
        ),
        Case(
            "record names unknown during preview",
            "pending",
            [CERTIFICATE, validation(), record("api.cy.example.net", name=U), record("api.eu.example.net", name=U)],
            unknown=True,
        ),
    ],
    "task-dependencies-in-own-region": [
        rc(t.ECS_TASK_DEFINITION, task().props, "pass", "DR image, DR parameter, DR logs", region=DR),
        rc(t.ECS_TASK_DEFINITION, task(image=IMAGE).props, "fail", "pulls from the primary registry", region=DR),
        rc(t.ECS_TASK_DEFINITION, task(secrets=[SECRET]).props, "fail", "a primary-region secret", region=DR),
        rc(t.ECS_TASK_DEFINITION, task(logs=PRIMARY).props, "fail", "logs to the primary region", region=DR),
        rc(
            t.ECS_TASK_DEFINITION,
            task(image="docker.io/library/nginx:1").props,
            "pass",
            "an image outside ECR is not judged",
            region=DR,
        ),
        rc(t.ECS_TASK_DEFINITION, {"containerDefinitions": U}, "pending", "unknown", region=DR, unknown=True),
    ],
    "task-roles-in-own-region": [
        Case("DR replica under a DR key", "pass", [task(), ROLE, role_policy(statements(DR_SECRET, DR_KEY, DR))]),
        Case(
            "primary secret and key behind a DR ViaService (the old DR grant)",
            "fail",
            [task(), ROLE, role_policy(statements(SECRET, KEY, DR))],
        ),
        Case(
            "a primary ViaService endpoint",
            "fail",
            [task(), ROLE, role_policy(statements(DR_SECRET, DR_KEY, PRIMARY))],
        ),
        Case("policy unknown during preview", "pending", [task(), ROLE, role_policy(U)], unknown=True),
    ],
    "kms-via-service-matches-key-region": [
        rc(t.IAM_ROLE_POLICY, role_policy(statements(DR_SECRET, DR_KEY, DR)).props, "pass", "DR key via DR endpoint"),
        rc(t.IAM_ROLE_POLICY, role_policy(statements(SECRET, KEY, DR)).props, "fail", "primary key via DR endpoint"),
        rc(
            t.IAM_POLICY,
            {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": [KEY]}]})},
            "pass",
            "no kms:ViaService: not judged",
        ),
        rc(t.IAM_ROLE_POLICY, {"role": U, "policy": U}, "pending", "policy unknown", unknown=True),
    ],
    "routing-manifest-in-own-region": [
        rc(t.SSM_PARAMETER, manifest(DR_SECRET), "pass", "DR endpoints and the secret replica", region=DR),
        rc(t.SSM_PARAMETER, manifest(None), "pass", "null where the DR copy is created on failover", region=DR),
        rc(t.SSM_PARAMETER, manifest(SECRET), "fail", "the primary region's secret", region=DR),
        rc(
            t.SSM_PARAMETER,
            manifest(DR_SECRET, writer=f"eu-trading.cluster-x.{PRIMARY}.rds.amazonaws.com"),
            "fail",
            "the primary writer endpoint",
            region=DR,
        ),
        rc(t.SSM_PARAMETER, {"name": "/app/config", "insecureValue": SECRET}, "pass", "not a routing manifest"),
        rc(
            t.SSM_PARAMETER,
            {"name": "/fintech-infra/eu/routing/cysec-cy", "insecureValue": U},
            "pending",
            "value unknown",
            region=DR,
            unknown=True,
        ),
    ],
    "ecr-replication-in-jurisdiction": [
        Case("to the cell's DR region", "pass", [CELL, TAGGED_KEY, replication(DR)]),
        Case("to a region cysec does not permit", "fail", [CELL, TAGGED_KEY, replication("us-east-1")]),
        Case("to its own region", "fail", [CELL, TAGGED_KEY, replication(PRIMARY)]),
        Case(
            "destinations unknown",
            "pending",
            [
                CELL,
                TAGGED_KEY,
                R(t.ECR_REPLICATION, "r", {"replicationConfiguration": {"rules": U}}, parent=CELL.urn),
            ],
            unknown=True,
        ),
    ],
    "route53-tag-limit": [
        rc(t.ROUTE53_ZONE, {"name": "example.net", "tags": TEN}, "pass", "10 tags", region=None),
        rc(t.ROUTE53_HEALTH_CHECK, {"tags": {**TEN, "Name": "x"}}, "fail", "11 tags", region=None),
        rc(t.ROUTE53_ZONE, {"name": "example.net", "tags": U}, "pending", "tags unknown", region=None, unknown=True),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect


def test_every_deployability_rule_names_its_aws_source() -> None:
    for name in CASES:
        url = REGISTRY[name].url
        assert url is not None and url.startswith("https://"), name
