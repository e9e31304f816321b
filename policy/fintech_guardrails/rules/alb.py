"""Edge guardrails: TLS listeners, load balancer hardening, WAF on every internet-facing ALB."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import equals, is_set, one_of, require
from fintech_guardrails.model import Findings, Node, Resource, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown, present
from fintech_guardrails.registry import dora, pci, resource_rule, stack_rule
from fintech_guardrails.rules._joins import internet_facing

TLS12_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
]


@resource_rule(
    types=t.LISTENERS,
    name="lb-listener-tls",
    severity=Severity.CRITICAL,
    framework=pci("4.2.1", "Strong cryptography protects PAN during transmission"),
    tags=(
        "awsguard:alb-http-to-https-redirection",
        "checkov:CKV_AWS_2",
        "checkov:CKV_AWS_103",
        "cdk-nag:PCI.DSS.321-ALBHttpToHttpsRedirection",
        "checkov:CKV2_AWS_20",
        "checkov:CKV2_AWS_74",
    ),
    exemptible=False,
    config={
        "sslPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": TLS12_POLICIES,
            "description": "Accepted TLS policies (TLS 1.2 or later only).",
        }
    },
    remediation=(
        "Use Edge: HTTPS with ELBSecurityPolicy-TLS13-1-2-2021-06 and an ACM certificate; port 80 only "
        "redirects to HTTPS."
    ),
)
def listener_tls(r: Resource, out: Findings) -> None:
    """Listeners serve HTTPS/TLS with a TLS 1.2+ policy and a certificate; HTTP only redirects to HTTPS.

    ``protocol`` unset means HTTP for ALBs. ``sslPolicy`` unset means ELBSecurityPolicy-2016-08 (allows TLS 1.0)
    and is a violation. Unknown values are pending.
    """
    protocol = r.get("protocol")
    if is_unknown(protocol):
        out.wait("protocol")
        return
    if protocol in (None, "HTTP"):
        actions = as_list(r.get("defaultActions"))
        if actions is UNKNOWN:
            out.wait("defaultActions")
            return
        kinds = [(dig(action, "type"), dig(action, "redirect", "protocol")) for action in actions]
        if any(is_unknown(kind) or is_unknown(target) for kind, target in kinds):
            out.wait("defaultActions")
        elif len(kinds) != 1 or kinds[0] != ("redirect", "HTTPS"):
            out.fail("an HTTP listener may only redirect to HTTPS")
        return
    if protocol not in ("HTTPS", "TLS"):
        out.fail("the listener must use HTTPS or TLS")
        return
    require(
        r,
        out,
        "sslPolicy",
        one_of(*r.settings.value("sslPolicies")),
        message="sslPolicy must be a TLS 1.2+ policy from the allowed list",
    )
    require(r, out, "certificateArn", is_set)


@resource_rule(
    types=t.LOAD_BALANCERS,
    name="lb-deletion-protection",
    severity=Severity.MEDIUM,
    framework=dora("Art. 9", "Protection and prevention"),
    tags=("checkov:CKV_AWS_150",),
    remediation="Edge sets enableDeletionProtection=True; keep it.",
)
def lb_deletion_protection(r: Resource, out: Findings) -> None:
    """Load balancers have deletion protection on.

    ``enableDeletionProtection`` unset means off (AWS default) and is a violation. Unknowns are pending.
    """
    require(r, out, "enableDeletionProtection", equals(True))


@resource_rule(
    types=t.LOAD_BALANCERS,
    name="lb-drop-invalid-headers",
    severity=Severity.MEDIUM,
    framework=pci("6.2.4", "Software engineering techniques prevent common attacks"),
    tags=("cdk-nag:PCI.DSS.321-ALBHttpDropInvalidHeaderEnabled", "checkov:CKV_AWS_131", "checkov:CKV_AWS_328"),
    remediation="Set dropInvalidHeaderFields=True and leave desyncMitigationMode unset (defensive) or strictest.",
)
def lb_drop_invalid_headers(r: Resource, out: Findings) -> None:
    """Application load balancers drop invalid headers and mitigate HTTP desync.

    ``loadBalancerType`` unset means application. ``dropInvalidHeaderFields`` unset means false (violation);
    ``desyncMitigationMode`` unset means defensive (passes). Network load balancers are skipped. Unknowns are pending.
    """
    kind = r.get("loadBalancerType")
    if is_unknown(kind):
        out.wait("loadBalancerType")
        return
    if kind not in (None, "application"):
        return
    require(r, out, "dropInvalidHeaderFields", equals(True))
    require(r, out, "desyncMitigationMode", one_of(None, "defensive", "strictest"))


@resource_rule(
    types=t.LOAD_BALANCERS,
    name="lb-access-logs",
    severity=Severity.MEDIUM,
    framework=pci("10.2.1", "Audit logs are enabled and active for all system components"),
    tags=(
        "awsguard:elb-logging-enabled",
        "cdk-nag:AwsSolutions-ELB2",
        "checkov:CKV_AWS_91",
        "cdk-nag:PCI.DSS.321-ELBLoggingEnabled",
    ),
    remediation="Edge logs to its log-sink bucket (accessLogs.enabled=True, bucket).",
)
def lb_access_logs(r: Resource, out: Findings) -> None:
    """Load balancers write access logs to a bucket.

    ``accessLogs`` unset means no logs. The target bucket is a log sink and uses SSE-S3 (see
    s3-bucket-encryption). Unknowns are pending.
    """
    require(r, out, ("accessLogs", "enabled"), equals(True))
    require(r, out, ("accessLogs", "bucket"), is_set)


@stack_rule(
    name="lb-waf-protected",
    severity=Severity.CRITICAL,
    framework=pci("6.4.2", "Automated technical solution for public-facing web applications"),
    tags=(
        "PCI DSS 4.0.1 6.4.1",
        "PCI DSS 4.0.1 10.2.1",
        "checkov:CKV2_AWS_28",
        "checkov:CKV2_AWS_31",
        "checkov:CKV_AWS_175",
        "cdk-nag:PCI.DSS.321-ALBWAFEnabled",
        "cdk-nag:PCI.DSS.321-WAFv2LoggingEnabled",
    ),
    exemptible=False,
    remediation="Use Edge, which associates a WAFv2 web ACL (managed rule groups) with the ALB and logs it.",
)
def lb_waf(stack: Stack, out: Findings) -> None:
    """Every internet-facing ALB is associated with a WAF web ACL that has rules and a logging configuration.

    ``internal`` unset means internet-facing (AWS default). An association counts when its ``resourceArn``
    refers to the load balancer. Unknown values are pending.
    """
    for lb in stack.of_type(*t.LOAD_BALANCERS):
        facing = internet_facing(lb)
        kind = lb.get("loadBalancerType")
        if facing is UNKNOWN:
            out.wait("internal", lb.urn)
            continue
        if not facing or kind not in (None, "application"):
            continue
        associations = stack.referrers(lb, t.WEB_ACL_ASSOCIATION, prop="resourceArn")
        if not associations:
            out.fail("the internet-facing ALB has no WAF web ACL", lb.urn)
            continue
        for association in associations:
            for acl in stack.refs(association, "webAclArn", t.WEB_ACL):
                rules = as_list(acl.get("rules"))
                if rules is UNKNOWN:
                    out.wait("web ACL rules", lb.urn)
                elif not rules and not present(acl.get("ruleJson")):
                    out.fail("the ALB's web ACL has no rules", lb.urn)
                if not stack.referrers(acl, t.WEB_ACL_LOGGING, prop="resourceArn"):
                    out.fail("the ALB's web ACL has no logging configuration", lb.urn)


WORLD_CIDRS = ("0.0.0.0/0", "::/0")


def _world_on_port_80(rule: Node) -> Any:
    """Whether an ingress rule admits the internet on a range that includes port 80; UNKNOWN while unresolved."""
    cidrs = (rule.get("cidrIpv4"), rule.get("cidrIpv6"))
    protocol, low, high = rule.get("ipProtocol"), rule.get("fromPort"), rule.get("toPort")
    if any(is_unknown(value) for value in (*cidrs, protocol, low, high)):
        return UNKNOWN
    if not any(cidr in WORLD_CIDRS for cidr in cidrs):
        return False
    if str(protocol) in ("-1", "all"):
        return True
    numbers = all(isinstance(port, (int, float)) and not isinstance(port, bool) for port in (low, high))
    return str(protocol) in ("tcp", "6") and numbers and low <= 80 <= high


def _redirects_on_80(stack: Stack, group: Node) -> Any:
    """Whether a load balancer guarded by ``group`` listens on 80 and every such listener redirects to HTTPS."""
    answers: list[Any] = []
    for lb in stack.referrers(group, *t.LOAD_BALANCERS, prop="securityGroups"):
        for listener in stack.referrers(lb, *t.LISTENERS, prop="loadBalancerArn"):
            port = listener.get("port")
            if is_unknown(port):
                answers.append(UNKNOWN)
            elif port == 80:
                actions = as_list(listener.get("defaultActions"))
                if actions is UNKNOWN or contains_unknown(actions):
                    answers.append(UNKNOWN)
                else:
                    kinds = [(dig(action, "type"), dig(action, "redirect", "protocol")) for action in actions]
                    answers.append(kinds == [("redirect", "HTTPS")])
    if not answers or False in answers:
        return False
    return UNKNOWN if UNKNOWN in answers else True


@stack_rule(
    name="lb-port-80-only-for-redirect",
    severity=Severity.MEDIUM,
    framework=pci("1.3.1", "Inbound traffic to the CDE is restricted to only traffic that is necessary"),
    tags=("checkov:CKV_AWS_260",),
    remediation=(
        "Leave edge.http_redirect false (the default) for API hostnames; set it true only for a browser-facing "
        "hostname: Edge then adds the port-80 rules together with the redirect listener."
    ),
)
def port_80_only_for_redirect(stack: Stack, out: Findings) -> None:
    """The internet reaches port 80 only where a load balancer listens there to redirect to HTTPS.

    An ingress rule admitting ``0.0.0.0/0`` or ``::/0`` on a range that includes 80 (or all traffic) must be on a
    security group of a load balancer whose port-80 listeners all redirect to HTTPS. An open port 80 with no
    listener, on an instance or task group, or in front of a listener that serves HTTP fails. Unknowns are pending.
    """
    for rule in stack.of_type(t.SG_INGRESS_RULE):
        admits = _world_on_port_80(rule)
        if admits is False:
            continue
        if admits is UNKNOWN:
            out.wait("ingress rule", rule.urn)
            continue
        groups = stack.refs(rule, "securityGroupId", t.SECURITY_GROUP)
        if not groups:
            out.wait("securityGroupId", rule.urn)
            continue
        for group in groups:
            verdict = _redirects_on_80(stack, group)
            if verdict is UNKNOWN:
                out.wait("port-80 listeners", rule.urn)
            elif verdict is False:
                out.fail(
                    "the internet is admitted on port 80 without a listener there that only redirects to HTTPS",
                    rule.urn,
                )
