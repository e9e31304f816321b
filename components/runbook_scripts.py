"""The Python the DR runbooks' aws:executeScript steps run (SSM Automation's python3.11 runtime, boto3).

Each prints one JSON record per check or change: SSM Automation sends aws:executeScript output to the
account-and-region log group of :data:`fintech_infra.runbook.AUTOMATION_LOG_SETTINGS`, so these are the
runbooks' audit records. Kept as text: they run in AWS, never in this program.
"""

from __future__ import annotations

__all__ = ["PUBLISH_MANIFEST_SCRIPT", "VERIFY_WRITER_SCRIPT"]

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
