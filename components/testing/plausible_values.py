"""Plausible values for what AWS computes (ids, ARNs, endpoints, invoke results), so programs run offline.

:class:`PlausibleValues` is the SDK mock (``pulumi.runtime.Mocks``) that answers the engine's calls during
:func:`~fintech_infra.testing.synthesize`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pulumi

from fintech_infra.testing.recording import PROVIDER_PREFIX

__all__ = ["DEFAULT_REGION", "MOCK_ACCOUNT_ID", "PlausibleValues"]

MOCK_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


def _service_of(type_: str) -> str:
    # "aws:rds/instance:Instance" -> "rds"
    return type_.split(":")[1].split("/")[0] if ":" in type_ else "x"


class PlausibleValues(pulumi.runtime.Mocks):
    """Provider-computed outputs that look like AWS's, so programs that use them work offline.

    In ``preview`` mode nothing is computed: outputs the provider would fill in are left unknown, as in a
    first ``pulumi preview`` of a new stack.
    """

    def __init__(self, *, preview: bool = False, stack_outputs: Mapping[str, Mapping[str, Any]] | None = None):
        self.preview = preview
        self.stack_outputs = dict(stack_outputs or {})
        self.missing_stack_references: list[str] = []
        self.provider_regions: dict[str, str] = {}
        self.default_region = DEFAULT_REGION

    def region_for(self, provider_ref: str | None) -> str:
        if provider_ref:
            return self.provider_regions.get(provider_ref.split("::id")[0].rsplit("::", 1)[0], "") or (
                self.provider_regions.get(provider_ref, self.default_region)
            )
        return self.default_region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ == "pulumi:pulumi:StackReference":
            name = str(inputs.get("name", args.name))
            if name not in self.stack_outputs:
                # Raising here would surface on an RPC thread after the run; synthesize() reports it instead.
                self.missing_stack_references.append(name)
                return name, {"name": name, "outputs": {}, "secretOutputNames": []}
            return name, {"name": name, "outputs": dict(self.stack_outputs[name]), "secretOutputNames": []}
        if args.typ.startswith(PROVIDER_PREFIX):
            return f"{args.name}-provider-id", inputs
        if self.preview or not args.custom:
            return (None if self.preview else f"{args.name}-id"), inputs
        return self.known_state(args)

    def known_state(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """The id and outputs a custom resource has once created: its inputs plus what the provider computes."""
        inputs = dict(args.inputs)
        digest = hashlib.sha1(f"{args.typ}:{args.name}".encode(), usedforsecurity=False).hexdigest()[:12]
        region = inputs.get("region") or self.region_for(args.provider)
        resource_id = f"{args.name}-{digest}"
        service = _service_of(args.typ)
        kind = args.typ.rsplit(":", 1)[-1].lower()
        arn = f"arn:aws:{service}:{region}:{MOCK_ACCOUNT_ID}:{kind}/{resource_id}"
        state: dict[str, Any] = {"arn": arn, "id": resource_id, **inputs}
        state.update(_computed_outputs(args.typ, args.name, resource_id, str(region), inputs))
        return str(state["id"]), state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        region = args.args.get("region") or self.region_for(args.provider)
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{suffix}" for suffix in "abc"]
            return {"names": names, "zoneIds": [f"{region[:3]}{region[-1]}-az{i}" for i in (1, 2, 3)]}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": MOCK_ACCOUNT_ID,
                "arn": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/deploy",
                "userId": "AROAMOCK",
                "id": MOCK_ACCOUNT_ID,
            }
        if token in ("aws:index/getRegion:getRegion", "aws:index/region:getRegion"):
            return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com"}
        if token == "aws:secretsmanager/getRandomPassword:getRandomPassword":
            # A fixed stand-in: the real invoke's value only ever reaches write-only inputs.
            return {"randomPassword": "Mock-Passw0rd-Not-A-Secret-0000", "id": "mock"}
        if token == "aws:eks/getAddonVersion:getAddonVersion":
            # kube-proxy follows the Kubernetes version; the others have their own numbering.
            name, kubernetes = str(args.args.get("addonName")), str(args.args.get("kubernetesVersion"))
            version = f"v{kubernetes}.0-eksbuild.1" if name == "kube-proxy" else "v1.0.0-eksbuild.1"
            return {"addonName": name, "kubernetesVersion": kubernetes, "version": version, "id": name}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        raise NotImplementedError(
            f"invoke {token} has no offline value; add it to fintech_infra.testing.PlausibleValues.call"
        )


def _computed_outputs(typ: str, name: str, resource_id: str, region: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Type-specific outputs the provider computes (endpoints, DNS names, key ids)."""
    host = f"{resource_id}.{region}"
    master_secret = [{"secretArn": f"arn:aws:secretsmanager:{region}:{MOCK_ACCOUNT_ID}:secret:rds!{resource_id}"}]
    if typ in ("aws:rds/instance:Instance",):
        address = f"{resource_id}.cmock.{region}.rds.amazonaws.com"
        return {
            "address": address,
            "endpoint": f"{address}:{inputs.get('port', 5432)}",
            "resourceId": f"db-{resource_id.upper()}",
            "masterUserSecrets": master_secret,
        }
    if typ == "aws:rds/cluster:Cluster":
        return {
            "endpoint": f"{resource_id}.cluster-cmock.{region}.rds.amazonaws.com",
            "readerEndpoint": f"{resource_id}.cluster-ro-cmock.{region}.rds.amazonaws.com",
            "clusterResourceId": f"cluster-{resource_id.upper()}",
            "masterUserSecrets": master_secret,
        }
    if typ == "aws:elasticache/replicationGroup:ReplicationGroup":
        return {
            "primaryEndpointAddress": f"master.{host}.cache.amazonaws.com",
            "readerEndpointAddress": f"replica.{host}.cache.amazonaws.com",
        }
    if typ in ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"):
        return {
            "dnsName": f"{resource_id}.{region}.elb.amazonaws.com",
            "zoneId": "Z2IFOLAFXWLO4F",
            "arnSuffix": f"app/{resource_id}/0123456789abcdef",
        }
    if typ in ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"):
        return {"arnSuffix": f"targetgroup/{resource_id}/0123456789abcdef"}
    if typ == "aws:kms/key:Key":
        return {"keyId": resource_id}
    if typ == "aws:eks/cluster:Cluster":
        vpc_config = inputs.get("vpcConfig")
        return {
            # EKS creates the cluster security group (the nodes wear it too) and reports it here.
            "vpcConfig": {
                **(vpc_config if isinstance(vpc_config, Mapping) else {}),
                "clusterSecurityGroupId": f"sg-{resource_id}",
            },
            "endpoint": f"https://{resource_id.upper()}.gr7.{region}.eks.amazonaws.com",
            "certificateAuthority": {"data": "TU9DSy1DQQ=="},
            "identities": [
                {"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{resource_id.upper()}"}]}
            ],
            "name": inputs.get("name") or resource_id,
        }
    if typ == "aws:route53/zone:Zone":
        return {"zoneId": f"Z{resource_id.upper()}", "nameServers": ["ns-1.awsdns-01.org"]}
    if typ == "aws:acm/certificate:Certificate":
        # One validation option per name on the certificate: the domain name and each SAN (ACM DescribeCertificate).
        domains = [str(inputs.get("domainName", "example.com")), *map(str, inputs.get("subjectAlternativeNames") or [])]
        return {
            "domainValidationOptions": [
                {
                    "domainName": domain,
                    "resourceRecordName": f"_x.{domain}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": "_y.acm-validations.aws.",
                }
                for domain in dict.fromkeys(domains)
            ]
        }
    if typ == "aws:ecs/cluster:Cluster":
        return {"name": inputs.get("name") or resource_id}
    if typ == "aws:ec2/vpc:Vpc":  # AWS creates every VPC with a default network ACL
        return {"defaultNetworkAclId": f"acl-{resource_id}"}
    if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":  # AWS names an unnamed alarm as Pulumi auto-names it
        alarm = inputs.get("name") or resource_id
        return {"name": alarm, "arn": f"arn:aws:cloudwatch:{region}:{MOCK_ACCOUNT_ID}:alarm:{alarm}"}
    if typ == "aws:iam/role:Role":
        name = inputs.get("name") or resource_id
        return {"arn": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/{name}", "name": name}
    if typ == "aws:cloudwatch/logGroup:LogGroup":
        return {"arn": f"arn:aws:logs:{region}:{MOCK_ACCOUNT_ID}:log-group:{inputs.get('name') or resource_id}"}
    if typ == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or resource_id
        return {
            "bucket": bucket,
            "arn": f"arn:aws:s3:::{bucket}",
            "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
        }
    if typ == "aws:sns/topic:Topic":
        return {"arn": f"arn:aws:sns:{region}:{MOCK_ACCOUNT_ID}:{resource_id}"}
    if typ == "aws:sqs/queue:Queue":  # the provider's id of a queue is its URL
        queue = inputs.get("name") or resource_id
        url = f"https://sqs.{region}.amazonaws.com/{MOCK_ACCOUNT_ID}/{queue}"
        return {"id": url, "url": url, "name": queue, "arn": f"arn:aws:sqs:{region}:{MOCK_ACCOUNT_ID}:{queue}"}
    return {}
