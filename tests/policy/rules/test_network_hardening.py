"""network_hardening.py: no all-ports egress to the internet, no SSH or RDP from the internet through network ACLs."""

import pytest

from fintech_guardrails import types as t
from tests.policy.harness import Case, R, U, case_params, rc, run_case

VPC = R(t.VPC, "vpc", {"cidrBlock": "10.0.0.0/16"})


def egress(protocol: object, low: object, high: object, cidr: object = "0.0.0.0/0") -> dict:
    return {"cidrIpv4": cidr, "ipProtocol": protocol, "fromPort": low, "toPort": high, "securityGroupId": U}


def entry(number: int, action: str, protocol: str, low: object, high: object, cidr: str = "0.0.0.0/0") -> dict:
    return {
        "ruleNo": number,
        "action": action,
        "protocol": protocol,
        "cidrBlock": cidr,
        "fromPort": low,
        "toPort": high,
    }


ALLOW_ALL = entry(200, "allow", "-1", 0, 0)
DENY_SSH = entry(100, "deny", "tcp", 22, 22)


def default_acl(*ingress: object) -> R:
    return R(
        t.DEFAULT_NETWORK_ACL,
        "default-acl",
        {"defaultNetworkAclId": "acl-1", "ingress": list(ingress), "egress": [ALLOW_ALL]},
        deps={"defaultNetworkAclId": [VPC.urn]},
    )


CASES = {
    "security-group-no-world-egress-all-ports": [
        rc(t.SG_EGRESS_RULE, egress("tcp", 443, 443), "pass", "HTTPS to the internet (AWS APIs through NAT)"),
        rc(t.SG_EGRESS_RULE, egress("-1", None, None), "fail", "all protocols to 0.0.0.0/0"),
        rc(t.SG_EGRESS_RULE, egress("tcp", 0, 65535, cidr=None) | {"cidrIpv6": "::/0"}, "fail", "all TCP to ::/0"),
        rc(t.SG_EGRESS_RULE, egress("-1", None, None, cidr="10.0.0.0/16"), "pass", "all protocols inside the VPC"),
        rc(
            t.SECURITY_GROUP,
            {"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]},
            "fail",
            "an inline allow-all egress (AWS's default, written out)",
        ),
        rc(
            t.SG_RULE,
            {"type": "egress", "protocol": "all", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]},
            "fail",
            "an EC2 egress rule to everything",
        ),
        rc(t.SG_EGRESS_RULE, egress(U, U, U), "pending", "ports unknown", unknown=True),
        rc(t.SG_EGRESS_RULE, egress("-1", None, None, cidr=U), "pending", "destination unknown", unknown=True),
    ],
    "network-acl-no-world-admin-ports": [
        Case(
            "the default ACL adopted with SSH denied ahead of allow-all",
            "pass",
            [VPC, default_acl(DENY_SSH, ALLOW_ALL)],
        ),
        Case("a VPC whose default ACL is not adopted (AWS's allow-all)", "fail", [VPC]),
        Case("the default ACL adopted with allow-all only", "fail", [VPC, default_acl(ALLOW_ALL)]),
        Case(
            "the SSH deny numbered after the allow-all (first match wins)",
            "fail",
            [VPC, default_acl(entry(300, "deny", "tcp", 22, 22), ALLOW_ALL)],
        ),
        Case(
            "an explicit RDP allow from the internet",
            "fail",
            [VPC, default_acl(DENY_SSH, entry(150, "allow", "tcp", 3389, 3389), ALLOW_ALL)],
        ),
        Case(
            "RDP admitted only by the ephemeral-range return rule",
            "pass",
            [VPC, default_acl(DENY_SSH, entry(150, "allow", "tcp", 1024, 65535))],
        ),
        Case(
            "a custom ACL rule admitting SSH from ::/0",
            "fail",
            [
                VPC,
                default_acl(DENY_SSH, ALLOW_ALL),
                R(t.NETWORK_ACL, "app-acl", {"vpcId": "vpc-1", "ingress": []}),
                R(
                    t.NETWORK_ACL_RULE,
                    "app-acl-ssh",
                    {
                        "networkAclId": U,
                        "egress": False,
                        "ruleNumber": 10,
                        "ruleAction": "allow",
                        "protocol": "tcp",
                        "ipv6CidrBlock": "::/0",
                        "fromPort": 22,
                        "toPort": 22,
                    },
                    deps={"networkAclId": ["urn:pulumi:test::fintech-infra::aws:ec2/networkAcl:NetworkAcl::app-acl"]},
                ),
            ],
        ),
        Case(
            "ACL entries unknown",
            "pending",
            [VPC, default_acl(entry(100, "deny", "tcp", U, U), ALLOW_ALL)],
            unknown=True,
        ),
    ],
}


@pytest.mark.parametrize(("policy", "case"), case_params(CASES))
def test_case(policy: str, case: Case) -> None:
    assert run_case(policy, case).outcome(policy) == case.expect
