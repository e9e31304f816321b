"""The Python the DR runbooks' aws:executeScript steps run (SSM Automation's python3.11 runtime, boto3).

Each prints one JSON record per check or change: SSM Automation sends aws:executeScript output to the
account-and-region log group of :data:`fintech_infra.runbook.AUTOMATION_LOG_SETTINGS`, so these are the
runbooks' audit records. Kept as text: they run in AWS, never in this program.
"""

from __future__ import annotations

__all__ = ["DNS_SCRIPT", "PUBLISH_MANIFEST_SCRIPT", "VERIFY_WRITER_SCRIPT"]

VERIFY_WRITER_SCRIPT = """\
import json, time
import boto3

def verify_writer(events, context):
    rds = boto3.client("rds", region_name=events["region"])
    while True:
        if events["kind"] == "aurora-global":
            members = rds.describe_global_clusters(GlobalClusterIdentifier=events["global_identifier"])[
                "GlobalClusters"][0]["GlobalClusterMembers"]
            ok = any(m["IsWriter"] and m["DBClusterArn"].endswith(":cluster:" + events["identifier"]) for m in members)
        else:
            db = rds.describe_db_instances(DBInstanceIdentifier=events["identifier"])["DBInstances"][0]
            ok = db["DBInstanceStatus"] == "available" and not db.get("ReadReplicaSourceDBInstanceIdentifier")
        print(json.dumps({"step": "verify-writer", "identifier": events["identifier"], "writer": ok}))
        if ok:
            return {"writer": events["identifier"]}
        time.sleep(15)
"""

PUBLISH_MANIFEST_SCRIPT = """\
import json
import boto3

def publish(events, context):
    rds = boto3.client("rds", region_name=events["region"])
    ssm = boto3.client("ssm", region_name=events["region"])
    writers, secrets = {}, {}
    for concern, (kind, identifier) in events["databases"].items():
        if kind == "aurora-global":
            cluster = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
            writers[concern] = cluster["Endpoint"]
        else:
            db = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
            writers[concern] = db["Endpoint"]["Address"]
            # The RDS-managed secret the promotion or restore created in this region (an Aurora global
            # database's replicated secret is in the manifest already).
            secrets[concern] = db["MasterUserSecret"]["SecretArn"]
    for name in events["parameters"]:
        document = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        for concern, writer in writers.items():
            document["databases"][concern]["writer"] = writer
            if concern in secrets:
                document["databases"][concern]["secret_arn"] = secrets[concern]
        document["role"] = events["role"]
        # Overwrite with the same content is a no-op for readers: the step is safe to repeat.
        ssm.put_parameter(Name=name, Value=json.dumps(document, sort_keys=True), Overwrite=True)
    print(json.dumps({"step": "publish-manifest", "writers": writers, "parameters": events["parameters"]}))
    return {"writers": writers}
"""

DNS_SCRIPT = """\
import json
import boto3

def _route53(events):
    # The health checks live in the zones account: assume the role the routing stack made for this cell there.
    sts = boto3.client("sts")
    credentials = sts.assume_role(RoleArn=events["role_arn"], RoleSessionName=events["session"])["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    role_name = events["role_arn"].split("/")[-1]
    tags = session.client("iam").list_role_tags(RoleName=role_name, MaxItems=100)["Tags"]
    prefix = events["tag_prefix"]
    checks = {t["Key"][len(prefix):]: t["Value"] for t in tags if t["Key"].startswith(prefix)}
    if not checks:
        raise RuntimeError("role " + role_name + " names no health check: deploy the routing stack over this cell")
    return session.client("route53"), checks

def _inverted(route53, check):
    return route53.get_health_check(HealthCheckId=check)["HealthCheck"]["HealthCheckConfig"].get("Inverted", False)

def resolve(events, context):
    route53, checks = _route53(events)
    found = {entity: _inverted(route53, check) for entity, check in checks.items()}
    print(json.dumps({"step": "resolve-dns", "health_checks": checks, "inverted": found}))
    return {"health_checks": checks}

def flip(events, context):
    route53, checks = _route53(events)
    for entity, check in checks.items():
        route53.update_health_check(HealthCheckId=check, Inverted=events["inverted"])
    print(json.dumps({"step": "flip-dns", "health_checks": checks, "inverted": events["inverted"]}))
    return {"health_checks": checks}

def verify(events, context):
    route53, checks = _route53(events)
    found = {entity: _inverted(route53, check) for entity, check in checks.items()}
    print(json.dumps({"step": "verify-dns", "health_checks": checks, "inverted": found}))
    wrong = sorted(entity for entity, inverted in found.items() if inverted != events["inverted"])
    if wrong:
        raise RuntimeError("health checks not at Inverted=" + str(events["inverted"]) + ": " + ", ".join(wrong))
    return {"health_checks": checks}
"""
