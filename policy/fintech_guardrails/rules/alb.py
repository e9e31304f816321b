"""Edge guardrails: TLS listeners, load balancer hardening, WAF on every internet-facing ALB."""

from __future__ import annotations

from pulumi_policy import Severity

from fintech_guardrails import types as t
from fintech_guardrails.checks import equals, is_set, one_of, require
from fintech_guardrails.model import Findings, Resource, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, dig, is_unknown, present
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
