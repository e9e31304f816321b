"""Ingress paths: every hostname an Application Load Balancer serves reaches a container that listens for it.

The walk, per internet-facing ALB and hostname (its certificate's names, the hostnames its rules name, the Route 53
records of the stack that alias it; for a certificate issued outside the stack, whose names are not known offline,
the hostnames the stack routes to the ALB's region)::

    internet -> WAF -> ALB -> HTTPS listener -> the first rule whose conditions match the host (priority order)
      -> target group(s) of its forward action -> what registers targets (an ECS service naming the group in
      ``loadBalancers``, a Kubernetes TargetGroupBinding, an attachment) -> the container port it registers,
      exposed by the task or pod definition, with the security groups letting the ALB reach it.

Beyond one hostname: a rule shadowed by a rule of higher priority with an equal or broader condition never gets a
request; a target group no rule forwards to, or that nothing fills, serves nobody; a blue/green service needs both
of its groups on its production rule; and every entity's routing manifest (``/fintech-infra/<cell>/routing/<entity>``,
one per region the cell serves it from) needs a load balancer in that region serving its hostname.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.evidence import PathNote
from fintech_guardrails.listener_rules import Condition, condition_of, forward_groups
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, dig, is_unknown, known, known_list
from fintech_guardrails.registry import dora, stack_rule
from fintech_guardrails.rules.secrets import container_definitions
from fintech_guardrails.topology import Manifest, topology

__all__ = ["ingress_paths_complete"]


@dataclass
class Rule:
    node: Node
    priority: Any
    condition: Any
    shadowed_by: Rule | None = None

    def label(self) -> str:
        shown = self.condition.describe() if isinstance(self.condition, Condition) else "?"
        return f"rule {self.node.name} ({self.priority}: {shown})"


@dataclass
class Chain:
    """What lies behind a target group: the links to a container, or the link where that stops."""

    links: list[str] = field(default_factory=list)
    broken: str | None = None
    at: Node | None = None
    pending: str | None = None
    services: list[Node] = field(default_factory=list)


def _short(hosts: list[str]) -> str:
    return hosts[0] if len(hosts) == 1 else f"{hosts[0]} (and {len(hosts) - 1} more)"


class IngressWalk:
    def __init__(self, stack: Stack, out: Findings) -> None:
        self.stack, self.out, self.topo = stack, out, topology(stack)
        self.chains: dict[str, Chain] = {}
        self._forwards: dict[str, list[tuple[float | None, Node | None]]] = {}
        self.routed: set[str] = set()
        """Target groups some rule or default action forwards to."""
        self.served: set[tuple[Any, str]] = set()
        """(region, hostname) with a load balancer serving it."""

    # -- hostnames ------------------------------------------------------------------------------------------

    def hostnames(self, alb: Node, listener: Node, rules: Iterable[Rule]) -> list[str]:
        names: set[str] = set()
        sources = [(listener, "certificateArn")]
        sources += [
            (c, "certificateArn") for c in self.topo.referrers(listener, (t.LB_LISTENER_CERTIFICATE,), "listenerArn")
        ]
        for node, prop in sources:
            certificates = self.certificates(node, prop)
            if not certificates and isinstance(node.get(prop), str):
                # A certificate issued outside the stack (edge.certificate_arn): its names are not known offline, so
                # the hostnames routed to this region are taken as its names; the rules must still match them.
                names.update(
                    m.hostname.lower()
                    for m in self.topo.manifests
                    if m.region == alb.region and isinstance(m.hostname, str)
                )
            for certificate in certificates:
                for name in [certificate.get("domainName"), *known_list(certificate.get("subjectAlternativeNames"))]:
                    if is_unknown(name):
                        self.out.wait("the certificate's names", certificate.urn)
                    elif isinstance(name, str) and not name.startswith("*"):
                        names.add(name.lower())
        for rule in rules:
            if isinstance(rule.condition, Condition):
                names.update(h.lower() for h in rule.condition.hosts or () if "*" not in h and "?" not in h)
        names.update(self.aliases(alb))
        return sorted(names)

    def certificates(self, node: Node, prop: str) -> list[Node]:
        """The ACM certificates ``node.prop`` names: by ARN, else through the property dependency (directly, or on
        the CertificateValidation that waits for one)."""
        found = self.topo.find(node.get(prop), t.ACM_CERTIFICATE)
        if found:
            return found
        direct = self.stack.refs(node, prop, t.ACM_CERTIFICATE)
        waits = self.stack.refs(node, prop, t.ACM_CERTIFICATE_VALIDATION)
        return direct + [c for v in waits for c in self.stack.refs(v, "certificateArn", t.ACM_CERTIFICATE)]

    def aliases(self, alb: Node) -> dict[str, Node]:
        dns = str(known(alb.get("dnsName"), "")).rstrip(".").lower()
        found: dict[str, Node] = {}
        for record in self.stack.of_type(t.ROUTE53_RECORD):
            targets = [str(known(dig(a, "name"), "")).rstrip(".").lower() for a in known_list(record.get("aliases"))]
            name = record.get("name")
            if dns and dns in targets and isinstance(name, str):
                found[name.rstrip(".").lower()] = record
        return found

    # -- the walk -------------------------------------------------------------------------------------------

    def run(self) -> None:
        for alb in self.stack.of_type(*t.LOAD_BALANCERS):
            kind = alb.get("loadBalancerType")
            if is_unknown(kind):
                self.out.wait("loadBalancerType", alb.urn)
            elif kind in (None, "application") and alb.get("internal") is not True:
                self.load_balancer(alb)
        self.orphans()
        self.manifests()

    def load_balancer(self, alb: Node) -> None:
        acls = [
            acl.name
            for association in self.topo.referrers(alb, (t.WEB_ACL_ASSOCIATION,), "resourceArn")
            for acl in self.stack.refs(association, "webAclArn", t.WEB_ACL)
        ]
        front = ["internet", *(f"waf {name}" for name in acls), f"alb {alb.name}"]
        for listener in self.topo.referrers(alb, t.LISTENERS, "loadBalancerArn"):
            protocol = listener.get("protocol")
            if is_unknown(protocol):
                self.out.wait("protocol", listener.urn)
            elif protocol == "HTTPS":
                self.listener(alb, listener, front)

    def rules(self, listener: Node) -> list[Rule]:
        rules = []
        for node in self.topo.referrers(listener, t.LISTENER_RULES, "listenerArn"):
            priority, condition = node.get("priority"), condition_of(node.get("conditions"))
            if is_unknown(priority) or condition is UNKNOWN:
                self.out.wait("priority" if is_unknown(priority) else "conditions", node.urn)
                continue
            rules.append(Rule(node, int(priority) if isinstance(priority, (int, float)) else 50000, condition))
        rules.sort(key=lambda rule: (rule.priority, rule.node.name))
        for index, rule in enumerate(rules):
            rule.shadowed_by = next((a for a in rules[:index] if a.condition.covers(rule.condition)), None)
        return rules

    def listener(self, alb: Node, listener: Node, front: list[str]) -> None:
        rules = self.rules(listener)
        hosts = self.hostnames(alb, listener, rules)
        records = self.aliases(alb)
        base = [*front, f"listener {listener.name} :{_int(known(listener.get('port'), 443))}"]
        for rule in rules:
            for _, arn_node in self.forwarded(rule.node, rule.node.get("actions")):
                if arn_node is not None and rule.shadowed_by is None:
                    self.routed.add(arn_node.urn)
            if rule.shadowed_by is not None:
                matched = [h for h in hosts if rule.condition.matches_host(h)] or hosts or ["every host"]
                first = rule.shadowed_by
                self.out.fail(
                    f"{_short(matched)} -> {listener.name} rule {rule.priority} ({rule.node.name}) is shadowed by rule "
                    f"{first.priority} ({first.node.name}: {first.condition.describe()}): it never gets a request",
                    rule.node.urn,
                )
        default = self.forwarded(listener, listener.get("defaultActions"))
        for _, node in default:
            if node is not None:
                self.routed.add(node.urn)
        for host in hosts:
            self.served.add((alb.region, host))
            start = [*(["route53 " + records[host].name] if host in records else []), *base]
            matching = self.reached([r for r in rules if r.shadowed_by is None and r.condition.matches_host(host)])
            forwarding = [r for r in matching if self.forwarded(r.node, r.node.get("actions"))]
            if not forwarding and not default:
                note = self.note(alb, host, start)
                self.out.broke(
                    note,
                    f"{host} -> {listener.name}: no rule forwards this host; every request gets the listener's "
                    "default action",
                    listener.urn,
                )
            for rule in forwarding:
                self.route(alb, host, [*start, rule.label()], rule.node, rule.node.get("actions"))
            if default and not any(r.condition.covers(Condition()) for r in matching):
                self.route(alb, host, [*start, "default action"], listener, listener.get("defaultActions"))

    @staticmethod
    def reached(matching: list[Rule]) -> list[Rule]:
        """The rules, all matching one host, that some request to it reaches: a rule whose other conditions an
        earlier one's cover gets none of that host's requests (``app.x``'s ``/*`` rule before a catch-all)."""
        reached: list[Rule] = []
        for rule in matching:
            mine = replace(rule.condition, hosts=None)
            if not any(replace(earlier.condition, hosts=None).covers(mine) for earlier in reached):
                reached.append(rule)
        return reached

    def forwarded(self, node: Node, actions: Any) -> list[tuple[float | None, Node | None]]:
        """(weight, target group) of a forward action; a group outside the stack is None."""
        found = self._forwards.get(node.urn)
        if found is None:
            found = self._forwards[node.urn] = self._forwarded(node, actions)
        return found

    def _forwarded(self, node: Node, actions: Any) -> list[tuple[float | None, Node | None]]:
        groups = forward_groups(actions)
        if groups is UNKNOWN:
            self.out.wait("actions", node.urn)
            return []
        found: list[tuple[float | None, Node | None]] = []
        unknown: list[float] = []
        for arn, weight in groups:
            if is_unknown(arn):
                unknown.append(weight)
                continue
            matches = self.topo.find(arn, *t.TARGET_GROUPS)
            found.append((weight, matches[0] if matches else None))
        if unknown:
            # ARNs unknown at a first preview: the property dependencies name the groups, not which weight is whose.
            prop = "defaultActions" if node.type in t.LISTENERS else "actions"
            named = {n.urn for _, n in found if n is not None}
            rest = [dep for dep in self.stack.refs(node, prop, *t.TARGET_GROUPS) if dep.urn not in named]
            found += [(unknown[0] if len(unknown) == len(rest) == 1 else None, dep) for dep in rest]
        return found

    def note(self, alb: Node, host: str, links: list[str]) -> PathNote:
        return PathNote("ingress", host, alb.region, tuple(links), self.topo.host_entities(alb, host))

    def route(self, alb: Node, host: str, links: list[str], rule: Node, actions: Any) -> None:
        groups = [(weight, node) for weight, node in self.forwarded(rule, actions) if node is not None]
        if not groups:
            return
        shown = ", ".join(node.name + (f" ({weight:g})" if weight is not None else "") for weight, node in groups)
        links = [*links, f"target group{'s' if len(groups) > 1 else ''} {shown}"]
        self.blue_green(alb, host, links, rule, [node for _, node in groups])
        for _, group in groups:
            chain = self.chain(alb, group)
            if chain.pending:
                self.out.wait(chain.pending, chain.at.urn if chain.at else group.urn)
                continue
            note = self.note(alb, host, [*links, *chain.links])
            if chain.broken is None:
                self.out.prove(note)
            else:
                self.out.broke(note, f"{host} -> {group.name}: {chain.broken}", chain.at.urn if chain.at else None)

    def blue_green(self, alb: Node, host: str, links: list[str], rule: Node, groups: list[Node]) -> None:
        for service in {
            s.urn: s for g in groups for s in self.topo.referrers(g, (t.ECS_SERVICE,), "loadBalancers")
        }.values():
            for entry in known_list(service.get("loadBalancers")):
                production = dig(entry, "advancedConfiguration", "productionListenerRule")
                alternate = dig(entry, "advancedConfiguration", "alternateTargetGroupArn")
                if production is None or is_unknown(production) or is_unknown(alternate):
                    continue
                if rule not in self.topo.find(production, *t.LISTENER_RULES):
                    continue
                alt = self.topo.find(alternate, *t.TARGET_GROUPS)
                if alt and alt[0] not in groups:
                    self.out.broke(
                        self.note(alb, host, links),
                        f"{host} -> {rule.name}: blue/green pair of {service.name}: {alt[0].name} is not on the "
                        "production rule, so ECS has no group to shift traffic to",
                        rule.urn,
                    )

    # -- behind a target group ------------------------------------------------------------------------------

    def chain(self, alb: Node, group: Node) -> Chain:
        found = self.chains.get(group.urn)
        if found is None:
            found = self.chains[group.urn] = self._chain(alb, group)
        return found

    def _chain(self, alb: Node, group: Node) -> Chain:
        services = self.topo.referrers(group, (t.ECS_SERVICE,), "loadBalancers")
        bindings = self.bindings(group)
        attachments = self.topo.referrers(group, (t.LB_TARGET_GROUP_ATTACHMENT,), "targetGroupArn")
        if services:
            return self.ecs(alb, group, services[0])
        if bindings:
            return self.binding(alb, bindings[0])
        if attachments:
            return Chain([f"attachment {attachments[0].name}"])
        return Chain(
            broken="nothing registers targets in it: no ECS service names it in loadBalancers, no "
            "TargetGroupBinding, no attachment",
            at=group,
        )

    def bindings(self, group: Node) -> list[Node]:
        found = list(self.topo.referrers(group, (t.K8S_TARGET_GROUP_BINDING,), "spec"))
        arn = group.get("arn")
        for binding in self.stack.of_type(t.K8S_TARGET_GROUP_BINDING):
            if binding not in found and isinstance(arn, str) and binding.get("spec", "targetGroupARN") == arn:
                found.append(binding)
        return found

    def ecs(self, alb: Node, group: Node, service: Node) -> Chain:
        entries = as_list(service.get("loadBalancers"))
        if entries is UNKNOWN:
            return Chain(pending="loadBalancers", at=service)
        arn = group.get("arn")
        entry = next(
            (
                e
                for e in entries
                if arn in (dig(e, "targetGroupArn"), dig(e, "advancedConfiguration", "alternateTargetGroupArn"))
            ),
            entries[0] if len(entries) == 1 else None,
        )
        name, port = dig(entry, "containerName"), dig(entry, "containerPort")
        if entry is None or is_unknown(name) or is_unknown(port):
            return Chain(pending="loadBalancers", at=service)
        port = int(port) if isinstance(port, (int, float)) else port
        links = [f"ecs service {service.name}", f"container {name}:{port}"]
        task = self.topo.resolve(service, "taskDefinition", service.get("taskDefinition"), t.ECS_TASK_DEFINITION)
        if task is UNKNOWN:
            return Chain(pending="taskDefinition", at=service)
        if task is not None:
            containers = container_definitions(task)
            if containers is None:
                return Chain(pending="containerDefinitions", at=task)
            container = next((c for c in containers if c.get("name") == name), None)
            if container is None:
                return Chain(
                    links, f"ecs service {service.name}: task definition {task.name} has no container {name}", service
                )
            exposed = sorted(
                {
                    int(p["containerPort"])
                    for p in known_list(container.get("portMappings"))
                    if isinstance(p, dict) and isinstance(p.get("containerPort"), (int, float))
                }
            )
            if port not in exposed:
                shown = ", ".join(map(str, exposed)) or "none"
                return Chain(
                    links,
                    f"ecs service {service.name} registers container {name} on port {port}, which its task definition "
                    f"{task.name} does not expose (it exposes {shown})",
                    service,
                )
        groups = self.topo.groups(
            service, "networkConfiguration", service.get("networkConfiguration", "securityGroups")
        )
        return self.reachable(alb, links, groups, port, service, [service])

    def reachable(self, alb: Node, links: list[str], groups: Any, port: Any, at: Node, services: list[Node]) -> Chain:
        """The chain, once the ALB's groups and the target's groups let ``port`` through both ways."""
        alb_groups = self.topo.groups(alb, "securityGroups", alb.get("securityGroups"))
        if groups is UNKNOWN or alb_groups is UNKNOWN or not isinstance(port, int):
            return Chain(pending="security groups", at=at)
        out_ok, _ = self.topo.admits(alb_groups, "egress", port, groups, [])
        in_ok, _ = self.topo.admits(groups, "ingress", port, alb_groups, [])
        if out_ok is UNKNOWN or in_ok is UNKNOWN:
            return Chain(pending="security group rules", at=at)
        source = ", ".join(self.topo.group_label(g) for g in alb_groups) or "(no group)"
        target = ", ".join(self.topo.group_label(g) for g in groups) or "(no group)"
        if not out_ok:
            return Chain(links, f"{source} lets no traffic out to {target} on {port}", at)
        if not in_ok:
            return Chain(links, f"{target} admits nothing from {source} on {port}", at)
        return Chain([*links[:-1], f"security groups {source} -> {target}", links[-1]], services=services)

    def binding(self, alb: Node, binding: Node) -> Chain:
        namespace, name = self.topo.namespace_of(binding), binding.get("metadata", "name")
        ref_name, ref_port = binding.get("spec", "serviceRef", "name"), binding.get("spec", "serviceRef", "port")
        if any(is_unknown(v) for v in (namespace, name, ref_name, ref_port)):
            return Chain(pending="spec.serviceRef", at=binding)
        links = [f"TargetGroupBinding {namespace}/{name}"]
        cluster = binding.provider_urn  # the binding's own cluster: the DR cluster has the same namespaces
        service = self.topo.k8s_named(t.K8S_SERVICE, str(namespace), str(ref_name), cluster=cluster)
        if service is None:
            return Chain(
                links,
                f"TargetGroupBinding {namespace}/{name} names service {ref_name}, which namespace {namespace} "
                "does not have",
                binding,
            )
        ports = known_list(service.get("spec", "ports"))
        entry = next(
            (p for p in ports if ref_port in (dig(p, "port"), dig(p, "name")) or _same(ref_port, dig(p, "port"))), None
        )
        if entry is None:
            return Chain(links, f"service {namespace}/{ref_name} has no port {ref_port}", service)
        target = dig(entry, "targetPort")
        target = dig(entry, "port") if target is None else target
        target = int(target) if isinstance(target, float) else target
        links.append(f"k8s service {namespace}/{ref_name}:{_int(dig(entry, 'port'))}")
        selector = known(service.get("spec", "selector"), {})
        workloads = [
            d
            for d in self.topo.in_namespace(str(namespace), t.K8S_DEPLOYMENT, t.K8S_STATEFUL_SET, cluster=cluster)
            if selector
            and all(known(d.get("spec", "template", "metadata", "labels"), {}).get(k) == v for k, v in selector.items())
        ]
        if not workloads:
            return Chain(links, f"service {namespace}/{ref_name} selects no Deployment", service)
        for workload in workloads:
            for container in known_list(workload.get("spec", "template", "spec", "containers")):
                for exposed in known_list(dig(container, "ports")):
                    if target in (_int(dig(exposed, "containerPort")), dig(exposed, "name")):
                        port = _int(dig(exposed, "containerPort"))
                        chain = [
                            *links,
                            f"deployment {namespace}/{workload.get('metadata', 'name')}",
                            f"container {dig(container, 'name')}:{port}",
                        ]
                        pods = self.pod_groups(alb, str(namespace), cluster)
                        return self.reachable(alb, chain, pods, port, binding, [workload])
        return Chain(links, f"no container selected by service {namespace}/{ref_name} exposes port {target}", service)

    def pod_groups(self, alb: Node, namespace: str, cluster: str | None) -> Any:
        """The groups the namespace's pods wear in ``cluster``: a SecurityGroupPolicy's, else the nodes' (the
        groups the ALB may reach: the cluster's own group)."""
        alb_groups = self.topo.groups(alb, "securityGroups", alb.get("securityGroups"))
        if alb_groups is UNKNOWN:
            return UNKNOWN
        # Objects rendered for GitOps carry no cluster provider, so a namespace's policy is the one whose groups
        # live in the ALB's VPC: a primary and a DR cluster have namespaces of the same names.
        here = self._vpcs(alb_groups)
        for policy in self.topo.in_namespace(namespace, t.K8S_SECURITY_GROUP_POLICY, cluster=cluster) or [
            p for p in self.topo.in_namespace(namespace, t.K8S_SECURITY_GROUP_POLICY)
        ]:
            groups = self.topo.groups(policy, "spec", policy.get("spec", "securityGroups", "groupIds"))
            if groups is UNKNOWN or not here or self._vpcs(groups) & here:
                return groups
        return sorted({p.peer for g in alb_groups for p in self.topo.rules_of(g, "egress") if p.peer_kind == "group"})

    def _vpcs(self, groups: list[str]) -> set[str]:
        """The VPCs (as ids or the URN of the VPC resource they reference) of the groups known in the stack."""
        found: set[str] = set()
        for key in groups:
            node = self.stack.by_urn.get(key)
            if node is None:
                continue
            vpc = self.stack.refs(node, "vpcId", t.VPC)
            if vpc:
                found.update(v.urn for v in vpc)
            elif isinstance(node.get("vpcId"), str):
                found.add(str(node.get("vpcId")))
        return found

    # -- the stack as a whole -------------------------------------------------------------------------------

    def orphans(self) -> None:
        for group in self.stack.of_type(*t.TARGET_GROUPS):
            if group.urn in self.routed:
                continue
            forwarded = [
                rule for rule in self.stack.of_type(*t.LISTENER_RULES) if group in self.stack.refs(rule, "actions")
            ]
            if forwarded:
                continue  # on a shadowed rule, reported there; or an alternate group ECS shifts to
            if any(
                group.get("arn") == dig(e, "advancedConfiguration", "alternateTargetGroupArn")
                for s in self.topo.referrers(group, (t.ECS_SERVICE,), "loadBalancers")
                for e in known_list(s.get("loadBalancers"))
            ):
                continue  # the layout of its pair is judged on the production rule
            self.out.fail(
                f"target group {group.name} is on no listener rule or default action: nothing routes traffic to it",
                group.urn,
            )

    def manifests(self) -> None:
        for manifest in self.topo.manifests:
            host, region = manifest.hostname, manifest.region
            if is_unknown(host) or is_unknown(region):
                self.out.wait("the routing manifest's hostname", manifest.node.urn)
                continue
            for host in manifest.hostnames:
                self.manifest_host(manifest, host, region)

    def manifest_host(self, manifest: Manifest, host: str, region: Any) -> None:
        """``host`` (one of the entity's hostnames) is served by a load balancer in ``region``."""
        if (region, host.lower()) not in self.served:
            self.out.broke(
                PathNote("ingress", host, region, ("internet",), (manifest.entity,)),
                f"{host} ({region}): no load balancer in {region} serves this host, yet entity {manifest.entity} "
                f"is routed there ({manifest.node.name})",
                manifest.node.urn,
            )


def _int(value: Any) -> Any:
    return int(value) if isinstance(value, float) else value


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and int(a) == int(b)


@stack_rule(
    name="ingress-paths-complete",
    severity=Severity.HIGH,
    framework=dora("Art. 9(2)", "ICT systems and tools ensure the availability of services"),
    url=str(facts.load("path_facts")["alb_rule_evaluation"]["url"]),
    tags=("functional-path", "DORA Art. 11", "PCI DSS 4.0.1 1.2.5"),
    remediation=(
        "Route each service with Edge.add_service_target (host and path conditions, explicit priorities that no "
        "broader rule precedes), give every target group a registrar (FargateService with the target, or a "
        "TargetGroupBinding to a Service whose pods expose the port), and serve every entity hostname in every "
        "region its cell routes it to."
    ),
)
def ingress_paths_complete(stack: Stack, out: Findings) -> None:
    """Every entity hostname reaches a container through WAF, ALB, HTTPS listener, rule, target group and registrar.

    Per internet-facing ALB and hostname (certificate names, rule hosts, Route 53 aliases), the first rule that
    matches the host must forward to target groups that something fills (an ECS service naming the group in
    `loadBalancers`, a TargetGroupBinding, an attachment), registering a container port the task or pod definition
    exposes, with security groups open between the ALB and the target on that port. A rule shadowed by a rule of
    higher priority with an equal or broader condition, a target group no rule forwards to or nothing fills, a
    blue/green pair not both on its production rule and an entity routed to a region where no ALB serves its
    hostname are violations that name the link. Values unknown during preview are pending.
    """
    IngressWalk(stack, out).run()
