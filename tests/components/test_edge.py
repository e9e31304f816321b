"""Edge (ALB + WAF) with Fargate services behind it, under the mock engine."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra.config import AlarmSettings, EcsServiceSettings, EdgeSettings
from fintech_infra.ecs import EcsCluster
from fintech_infra.edge import Edge
from fintech_infra.errors import ConfigError
from fintech_infra.fargate import FargateService
from fintech_infra.testing import RecordedResource, Recording, synthesize
from fintech_infra.wiring import AppNetwork, KeyRef, ValidationZones

REGION = "eu-central-1"
ACCOUNT = "123456789012"
KEY = KeyRef(arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/logs", alias="alias/eu/logs")
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:eu-alarms"
BYO_CERT = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0a1b2c3d-1111-2222-3333-444455556666"
NETWORK = AppNetwork(
    vpc_id="vpc-1",
    vpc_cidr="10.0.0.0/16",
    private_subnet_ids=["subnet-app-a", "subnet-app-b"],
    public_subnet_ids=["subnet-pub-a", "subnet-pub-b"],
)
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LISTENER = "aws:lb/listener:Listener"
ERRORS: list[ConfigError] = []


def _program() -> None:
    provider = aws.Provider("eu-provider", region=REGION)
    opts = pulumi.ResourceOptions(providers={"aws": provider})
    app_sg = aws.ec2.SecurityGroup("eu-app-sg", vpc_id="vpc-1", description="app tier", opts=opts)
    common: dict[str, Any] = {
        "cell": "eu",
        "network": NETWORK,
        "alarm_topic_arn": TOPIC,
        "waf_logs_key": KEY,
        "log_retention_days": 400,
        "opts": opts,
    }
    edge = Edge(
        "eu-edge",
        EdgeSettings(waf_rate_limit=1500),
        hostnames=["api.acme.example"],
        validation=ValidationZones(zone_ids={"api.acme.example": "ZGLOBAL"}),
        alarms=AlarmSettings(alb_5xx_pct=2.5, target_latency_seconds=0.8),
        **common,
    )
    api = edge.add_service_target("api", port=8080, health_check_path="/healthz", app_security_group_id=app_sg.id)
    checkout = edge.add_service_target(
        "checkout",
        port=8081,
        health_check_path="/ready",
        app_security_group_id=app_sg.id,
        path_patterns=["/checkout/*"],
        blue_green=True,
    )
    cluster = EcsCluster("eu-ecs", cell="eu", exec_key=KEY, logs_key=KEY, log_retention_days=400, opts=opts)
    service: dict[str, Any] = {
        "cluster": cluster,
        "subnet_ids": NETWORK.private_subnet_ids,
        "security_group_ids": [app_sg.id],
        "logs_key": KEY,
        "log_retention_days": 400,
        "alarm_topic_arn": TOPIC,
        "opts": opts,
    }
    FargateService(
        "eu-api", EcsServiceSettings(name="api", image="x/api:1", deployment="rolling"), **api.fargate_args(), **service
    )
    FargateService(
        "eu-checkout",
        EcsServiceSettings(name="checkout", image="x/co:1", container_port=8081, deployment="blue_green"),
        **checkout.fargate_args(),
        **service,
    )
    # A browser-facing edge: port 80 opens, only to redirect; the other two are API-only (the default).
    multi = Edge("eu-multi", EdgeSettings(http_redirect=True), hostnames=["a.acme.example", "b.acme.example"], **common)
    byo = Edge("eu-byo", EdgeSettings(certificate_arn=BYO_CERT), hostnames=[], **common)
    pulumi.export("records", edge.certificate_validation_records)
    pulumi.export("multi_records", multi.certificate_validation_records)
    pulumi.export("byo_certificate", byo.certificate_arn)
    bad_network = AppNetwork(vpc_id="vpc-1", vpc_cidr="10.0.0.0/16", private_subnet_ids=[], public_subnet_ids=["p"])
    try:
        Edge("eu-bad", EdgeSettings(), **{**common, "network": bad_network}, hostnames=[])
    except ConfigError as error:
        ERRORS.append(error)


@pytest.fixture(scope="module")
def rec() -> Recording:
    ERRORS.clear()
    return synthesize(_program)


def _under(rec: Recording, component: str, type_: str) -> list[RecordedResource]:
    urn = rec.named(component, "fintech:edge:Edge").urn
    return [r for r in rec.descendants_of(urn) if r.type == type_]


def _one(rec: Recording, component: str, type_: str) -> RecordedResource:
    (found,) = _under(rec, component, type_)
    return found


# --- load balancer ------------------------------------------------------------------------------------


def test_alb_is_public_hardened_and_logged(rec: Recording) -> None:
    alb = rec.named("eu-edge-alb")
    assert alb.inputs["internal"] is False
    assert alb.inputs["loadBalancerType"] == "application"
    assert alb.inputs["subnets"] == list(NETWORK.public_subnet_ids)
    assert alb.inputs["enableDeletionProtection"] is True
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["desyncMitigationMode"] == "strictest"
    assert alb.inputs["enableWafFailOpen"] is False
    bucket = rec.named("eu-edge-access-logs-bucket")
    assert alb.inputs["accessLogs"] == {"bucket": bucket.outputs["bucket"], "prefix": "alb", "enabled": True}


def test_access_log_bucket_admits_elb_log_delivery_only_for_its_prefix(rec: Recording) -> None:
    bucket = rec.named("eu-edge-access-logs-bucket")
    policy = json.loads(rec.named("eu-edge-access-logs-policy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    delivery = statements["AllowElbAccessLogDelivery"]
    # eu-central-1 predates August 2022: delivery writes as the regional ELB account.
    assert delivery["Principal"] == {"AWS": "arn:aws:iam::054676820928:root"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == f"{bucket.outputs['arn']}/alb/AWSLogs/{ACCOUNT}/*"
    encryption = rec.named("eu-edge-access-logs-encryption").inputs["rules"][0]
    assert encryption["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"  # ELB's only option


def test_only_the_alb_admits_the_world_on_443_and_on_80_only_for_a_redirect(rec: Recording) -> None:
    world = {"0.0.0.0/0", "::/0"}
    alb_sg = rec.named("eu-edge-alb-sg").outputs["id"]
    groups = {rec.named(f"{edge}-alb-sg").outputs["id"]: edge for edge in ("eu-edge", "eu-multi", "eu-byo")}
    open_rules: dict[str, set[tuple[Any, Any, Any]]] = {edge: set() for edge in groups.values()}
    for rule in rec.of_type(INGRESS, EGRESS):
        cidrs = {rule.inputs.get("cidrIpv4"), rule.inputs.get("cidrIpv6")} & world
        if cidrs:
            assert rule.type == INGRESS
            assert rule.inputs["securityGroupId"] in groups
            edge = groups[rule.inputs["securityGroupId"]]
            open_rules[edge].add((rule.inputs["fromPort"], rule.inputs["toPort"], cidrs.pop()))
    https = {(443, 443, "0.0.0.0/0"), (443, 443, "::/0")}
    assert open_rules == {
        "eu-edge": https,
        "eu-byo": https,
        "eu-multi": https | {(80, 80, "0.0.0.0/0"), (80, 80, "::/0")},
    }
    assert not rec.of_type("aws:ec2/securityGroupRule:SecurityGroupRule")
    for group in rec.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert "ingress" not in group.inputs and "egress" not in group.inputs
    assert alb_sg


def test_every_rule_has_a_description(rec: Recording) -> None:
    rules = rec.of_type(INGRESS, EGRESS)
    assert len(rules) >= 12
    assert all(rule.inputs.get("description") for rule in rules)


def test_alb_egress_goes_only_to_app_groups_on_their_ports(rec: Recording) -> None:
    alb_sg = rec.named("eu-edge-alb-sg").outputs["id"]
    app_sg = rec.named("eu-app-sg").outputs["id"]
    egress = [r.inputs for r in rec.of_type(EGRESS) if r.inputs["securityGroupId"] == alb_sg]
    assert sorted((e["fromPort"], e["toPort"], e["referencedSecurityGroupId"]) for e in egress) == [
        (8080, 8080, app_sg),
        (8081, 8081, app_sg),
    ]
    ingress = [r.inputs for r in rec.of_type(INGRESS) if r.inputs["securityGroupId"] == app_sg]
    assert sorted((i["fromPort"], i["referencedSecurityGroupId"]) for i in ingress) == [(8080, alb_sg), (8081, alb_sg)]


# --- listeners and certificate ------------------------------------------------------------------------


def test_port_80_listens_only_with_http_redirect_and_only_redirects_to_https(rec: Recording) -> None:
    (listener,) = [r for r in _under(rec, "eu-multi", LISTENER) if r.inputs["port"] == 80]
    assert listener.inputs["protocol"] == "HTTP"
    assert listener.inputs["defaultActions"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ]
    for api_only in ("eu-edge", "eu-byo"):
        assert [r.inputs["port"] for r in _under(rec, api_only, LISTENER)] == [443]
    listeners = rec.of_type(LISTENER)
    assert {(r.inputs["port"], r.inputs["protocol"]) for r in listeners} == {(80, "HTTP"), (443, "HTTPS")}


def test_https_listener_uses_tls13_policy_and_security_headers(rec: Recording) -> None:
    https = rec.named("eu-edge-https")
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https.inputs["routingHttpResponseStrictTransportSecurityHeaderValue"].startswith("max-age=31536000")
    assert https.inputs["routingHttpResponseXContentTypeOptionsHeaderValue"] == "nosniff"
    assert https.inputs["defaultActions"][0]["fixedResponse"]["statusCode"] == "404"


def test_certificate_is_dns_validated_before_the_listener_uses_it(rec: Recording) -> None:
    certificate = rec.named("eu-edge-certificate")
    assert certificate.inputs["validationMethod"] == "DNS"
    assert certificate.inputs["domainName"] == "api.acme.example"
    validation = rec.named("eu-edge-certificate-validation")
    record = rec.named("eu-edge-validation-api-acme-example")
    assert record.inputs["zoneId"] == "ZGLOBAL"
    assert (record.inputs["name"], record.inputs["type"]) == ("_x.api.acme.example.", "CNAME")
    assert record.urn in validation.property_dependencies["validationRecordFqdns"]
    assert rec.named("eu-edge-https").inputs["certificateArn"] == validation.outputs["certificateArn"]
    assert rec.exports["records"] == [
        {"name": "_x.api.acme.example.", "type": "CNAME", "value": "_y.acm-validations.aws."}
    ]


def test_without_validation_zones_the_records_are_only_exported(rec: Recording) -> None:
    assert rec.named("eu-multi-certificate").inputs["subjectAlternativeNames"] == ["b.acme.example"]
    assert not [r for r in rec.of_type("aws:route53/record:Record") if r.name.startswith("eu-multi")]
    assert rec.exports["multi_records"][0]["type"] == "CNAME"


def test_an_existing_certificate_is_used_as_given(rec: Recording) -> None:
    assert rec.named("eu-byo-https").inputs["certificateArn"] == BYO_CERT
    assert not [r for r in rec.of_type("aws:acm/certificate:Certificate") if r.name.startswith("eu-byo")]
    assert rec.exports["byo_certificate"] == BYO_CERT


# --- targets --------------------------------------------------------------------------------------------


def test_service_targets_route_https_to_ip_target_groups(rec: Recording) -> None:
    tg = rec.named("eu-edge-api-tg").inputs
    assert (tg["targetType"], tg["port"], tg["protocol"]) == ("ip", 8080, "HTTP")
    assert tg["healthCheck"]["path"] == "/healthz"
    rule = rec.named("eu-edge-api-rule")
    assert rule.inputs["listenerArn"] == rec.named("eu-edge-https").outputs["arn"]
    assert rule.inputs["priority"] == 100
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": rec.named("eu-edge-api-tg").outputs["arn"]}]
    service = rec.named("eu-api-service").inputs
    assert service["loadBalancers"][0]["targetGroupArn"] == rec.named("eu-edge-api-tg").outputs["arn"]
    label = rec.named("eu-api-scale-requests").inputs["targetTrackingScalingPolicyConfiguration"]
    alb_suffix = rec.named("eu-edge-alb").outputs["arnSuffix"]
    tg_suffix = rec.named("eu-edge-api-tg").outputs["arnSuffix"]
    assert label["predefinedMetricSpecification"]["resourceLabel"] == f"{alb_suffix}/{tg_suffix}"


def test_blue_green_target_has_an_alternate_group_and_ecs_owns_the_rule_action(rec: Recording) -> None:
    rule = rec.named("eu-edge-checkout-rule")
    assert rule.inputs["priority"] == 110
    assert rule.ignore_changes == ("actions",)
    primary = rec.named("eu-edge-checkout-tg").outputs["arn"]
    alternate = rec.named("eu-edge-checkout-tg-alt").outputs["arn"]
    # AWS's layout: one forward action listing both groups; ECS shifts traffic by rewriting the weights.
    assert rule.inputs["actions"] == [
        {
            "type": "forward",
            "forward": {"targetGroups": [{"arn": primary, "weight": 100}, {"arn": alternate, "weight": 0}]},
        }
    ]
    advanced = rec.named("eu-checkout-service").inputs["loadBalancers"][0]["advancedConfiguration"]
    assert advanced["alternateTargetGroupArn"] == alternate
    assert advanced["productionListenerRule"] == rule.outputs["arn"]
    assert "testListenerRule" not in advanced  # optional in AWS's layout, and no lifecycle hook would use it
    assert not [r for r in rec.of_type("aws:lb/listenerRule:ListenerRule") if "test" in r.name]


def test_blue_green_request_scaling_reads_both_target_groups(rec: Recording) -> None:
    config = rec.named("eu-checkout-scale-requests").inputs["targetTrackingScalingPolicyConfiguration"]
    groups = [
        next(d["value"] for d in query["metricStat"]["metric"]["dimensions"] if d["name"] == "TargetGroup")
        for query in config["customizedMetricSpecification"]["metrics"]
        if "metricStat" in query
    ]
    assert groups == [
        rec.named(name).outputs["arnSuffix"] for name in ("eu-edge-checkout-tg", "eu-edge-checkout-tg-alt")
    ]


# --- WAF -------------------------------------------------------------------------------------------------


def test_waf_has_managed_rules_and_a_rate_rule(rec: Recording) -> None:
    acl = rec.named("eu-edge-web-acl").inputs
    assert acl["scope"] == "REGIONAL"
    assert acl["defaultAction"] == {"allow": {}}
    rules = {rule["name"]: rule for rule in acl["rules"]}
    for group in (
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ):
        assert rules[group]["statement"]["managedRuleGroupStatement"] == {"vendorName": "AWS", "name": group}
        assert rules[group]["overrideAction"] == {"none": {}}
    rate = rules["rate-limit-per-ip"]
    assert rate["statement"]["rateBasedStatement"] == {"aggregateKeyType": "IP", "limit": 1500}
    assert rate["action"] == {"block": {}}
    assert len({rule["priority"] for rule in acl["rules"]}) == len(acl["rules"])


def test_waf_visibility_everywhere(rec: Recording) -> None:
    acl = rec.named("eu-edge-web-acl").inputs
    for config in [acl["visibilityConfig"], *(rule["visibilityConfig"] for rule in acl["rules"])]:
        assert config["cloudwatchMetricsEnabled"] is True
        assert config["sampledRequestsEnabled"] is True
        assert config["metricName"]


def test_waf_is_associated_with_the_alb(rec: Recording) -> None:
    association = rec.named("eu-edge-waf-association").inputs
    assert association["resourceArn"] == rec.named("eu-edge-alb").outputs["arn"]
    assert association["webAclArn"] == rec.named("eu-edge-web-acl").outputs["arn"]


def test_waf_logs_to_an_encrypted_aws_waf_logs_group(rec: Recording) -> None:
    group = rec.named("eu-edge-waf-logs")
    assert group.inputs["name"].startswith("aws-waf-logs-")
    assert group.inputs["kmsKeyId"] == KEY.arn
    assert group.inputs["retentionInDays"] == 400
    logging = rec.named("eu-edge-waf-logging").inputs
    assert logging["resourceArn"] == rec.named("eu-edge-web-acl").outputs["arn"]
    assert logging["logDestinationConfigs"] == [group.outputs["arn"]]
    assert {"singleHeader": {"name": "authorization"}} in logging["redactedFields"]


# --- alarms ----------------------------------------------------------------------------------------------


def test_5xx_rate_alarm_uses_metric_math_on_the_topic(rec: Recording) -> None:
    alarm = rec.named("eu-edge-alb-5xx-rate").inputs
    assert alarm["threshold"] == 2.5
    assert alarm["alarmActions"] == [TOPIC] and alarm["okActions"] == [TOPIC]
    queries = {query["id"]: query for query in alarm["metricQueries"]}
    assert queries["rate"]["expression"] == "100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests"
    assert queries["rate"]["returnData"] is True
    names = {q["metric"]["metricName"] for q in queries.values() if "metric" in q}
    assert names == {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "RequestCount"}
    alb_suffix = rec.named("eu-edge-alb").outputs["arnSuffix"]
    assert queries["requests"]["metric"]["dimensions"] == {"LoadBalancer": alb_suffix}


def test_latency_alarm_on_p99(rec: Recording) -> None:
    alarm = rec.named("eu-edge-alb-latency-p99").inputs
    assert alarm["metricName"] == "TargetResponseTime"
    assert alarm["extendedStatistic"] == "p99"
    assert alarm["threshold"] == 0.8
    assert alarm["alarmActions"] == [TOPIC]


@pytest.mark.parametrize(("edge", "days"), [("eu-edge", 30), ("eu-byo", 30)])
def test_every_certificate_requested_or_given_pages_before_it_expires(rec: Recording, edge: str, days: int) -> None:
    """ACM's DaysToExpiry, in the certificate's (the edge's) region; silence after expiry pages too."""
    alarm = rec.named(f"{edge}-certificate-expiry")
    certificate = rec.named(f"{edge}-https").inputs["certificateArn"]
    assert alarm.region == REGION
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == ("AWS/CertificateManager", "DaysToExpiry")
    assert alarm.inputs["dimensions"] == {"CertificateArn": certificate}
    assert (alarm.inputs["comparisonOperator"], alarm.inputs["threshold"]) == ("LessThanThreshold", days)
    assert alarm.inputs["treatMissingData"] == "breaching"
    assert alarm.inputs["alarmActions"] == [TOPIC]


def test_bad_edge_input_is_one_error_registering_nothing(rec: Recording) -> None:
    (error,) = ERRORS
    assert error.problems == (
        "eu-bad.network.public_subnet_ids: 1 subnet(s); allowed: two or more (an ALB spans at least two "
        "availability zones)",
        "eu-bad.hostnames: [] with no edge.certificate_arn; allowed: the entity hostnames the certificate must "
        "cover, or an existing certificate ARN",
    )
    assert not [r for r in rec if r.name.startswith("eu-bad")]


def test_newer_regions_deliver_access_logs_as_the_service_principal() -> None:
    from fintech_infra.edge import elb_log_delivery_principal

    assert elb_log_delivery_principal("ap-southeast-4") == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert elb_log_delivery_principal("ap-southeast-2") == {"AWS": "arn:aws:iam::783225319266:root"}
