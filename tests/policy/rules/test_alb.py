"""alb.py: TLS listeners, load balancer hardening, WAF."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, rc, run_case

LB, LIS = t.LOAD_BALANCERS[0], t.LISTENERS[0]
HTTPS = {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "certificateArn": "arn:aws:acm:x"}
REDIRECT = {
    "protocol": "HTTP",
    "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443"}}],
}
ALB = R(LB, "alb", {"internal": False})
ACL = R(t.WEB_ACL, "acl", {"rules": [{"name": "aws-common"}]})
ASSOC = R(
    t.WEB_ACL_ASSOCIATION,
    "assoc",
    {"resourceArn": U, "webAclArn": U},
    deps={"resourceArn": [ALB.urn], "webAclArn": [ACL.urn]},
)
LOGS = R(t.WEB_ACL_LOGGING, "acl-logs", {"resourceArn": U}, deps={"resourceArn": [ACL.urn]})

CASES = {
    "lb-listener-tls": [
        rc(LIS, HTTPS, "pass", "HTTPS with TLS 1.3/1.2 policy"),
        rc(t.LISTENERS[1], REDIRECT, "pass", "HTTP redirect (aws:alb twin token)"),
        rc(LIS, {**HTTPS, "sslPolicy": "ELBSecurityPolicy-2016-08"}, "fail", "TLS 1.0 policy"),
        rc(
            LIS,
            {"protocol": "HTTP", "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]},
            "fail",
            "plain HTTP forward",
        ),
        rc(LIS, {**HTTPS, "sslPolicy": U}, "pending", "policy unknown", unknown=True),
    ],
    "lb-deletion-protection": [
        rc(LB, {"enableDeletionProtection": True}, "pass", "on"),
        rc(t.LOAD_BALANCERS[1], {}, "fail", "unset (aws:alb twin token)"),
        rc(LB, {"enableDeletionProtection": U}, "pending", "unknown", unknown=True),
    ],
    "lb-drop-invalid-headers": [
        rc(LB, {"dropInvalidHeaderFields": True}, "pass", "dropping, defensive desync default"),
        rc(LB, {}, "fail", "unset"),
        rc(LB, {"dropInvalidHeaderFields": True, "desyncMitigationMode": "monitor"}, "fail", "monitor desync mode"),
        rc(LB, {"loadBalancerType": "network"}, "pass", "NLBs are skipped"),
        rc(LB, {"dropInvalidHeaderFields": U}, "pending", "unknown", unknown=True),
    ],
    "lb-access-logs": [
        rc(LB, {"accessLogs": {"enabled": True, "bucket": "logs"}}, "pass", "logging"),
        rc(LB, {}, "fail", "unset"),
        rc(LB, {"accessLogs": {"enabled": True, "bucket": U}}, "pending", "bucket unknown", unknown=True),
    ],
    "lb-waf-protected": [
        Case("ACL with rules and logging", "pass", [ALB, ACL, ASSOC, LOGS]),
        Case("no web ACL", "fail", [ALB]),
        Case("ACL without logging", "fail", [ALB, ACL, ASSOC]),
        Case("internal ALBs need none", "pass", [R(LB, "alb", {"internal": True})]),
        Case("internal flag unknown", "pending", [R(LB, "alb", {"internal": U})], unknown=True),
    ],
}


SG = R(t.SECURITY_GROUP, "alb-sg", {"vpcId": "vpc-1"})
EDGE = R(LB, "edge", {"internal": False, "securityGroups": [U]}, deps={"securityGroups": [SG.urn]})


def world(port: object, family: str = "cidrIpv4", protocol: object = "tcp") -> R:
    cidr = "0.0.0.0/0" if family == "cidrIpv4" else "::/0"
    return R(
        t.SG_INGRESS_RULE,
        f"in-{port}-{family}",
        {"securityGroupId": U, "ipProtocol": protocol, "fromPort": port, "toPort": port, family: cidr},
        deps={"securityGroupId": [SG.urn]},
    )


def listener(props: dict, port: object = 80) -> R:
    return R(
        LIS, f"listener-{port}", {"port": port, "loadBalancerArn": U, **props}, deps={"loadBalancerArn": [EDGE.urn]}
    )


CASES["lb-port-80-only-for-redirect"] = [
    Case("443 only (an API hostname)", "pass", [SG, EDGE, world(443), world(443, "cidrIpv6"), listener(HTTPS, 443)]),
    Case("80 open for the redirect listener", "pass", [SG, EDGE, world(80), world(80, "cidrIpv6"), listener(REDIRECT)]),
    Case("80 open with nothing listening", "fail", [SG, EDGE, world(80, "cidrIpv6"), listener(HTTPS, 443)]),
    Case(
        "80 open in front of a plain HTTP forward",
        "fail",
        [SG, EDGE, world(80), listener({"protocol": "HTTP", "defaultActions": [{"type": "forward"}]})],
    ),
    Case("all traffic from the world", "fail", [SG, EDGE, world(-1, protocol="-1"), listener(HTTPS, 443)]),
    Case("the port unknown", "pending", [SG, EDGE, world(U), listener(REDIRECT)], unknown=True),
]


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
