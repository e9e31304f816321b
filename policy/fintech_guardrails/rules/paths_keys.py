"""Key paths: each concern's data is encrypted with that concern's key in its own region, and readers can decrypt it.

A store of concern X (its ``DataConcern`` tag; a DR copy or a bucket's encryption settings take their source's) is
judged for each key it names:

- RDS instances and clusters: ``kmsKeyId``, and ``masterUserSecretKmsKeyId`` / ``performanceInsightsKmsKeyId``
  when set; Aurora cluster instances: ``performanceInsightsKmsKeyId`` when set; automated-backups replication:
  ``kmsKeyId``;
- Secrets Manager secrets: ``kmsKeyId``, and each replica's key in its region; log groups: ``kmsKeyId``;
- buckets: the SSE configuration's ``kmsMasterKeyId``; SQS queues: ``kmsMasterKeyId``; trails: ``kmsKeyId``.

The key must be a KMS key of the stack tagged with concern X, in the store's region (the replica's region); no
key may serve two concerns. A key is regional (KMS developer guide, "Regions"), so another region's key cannot
encrypt a store here at all, and an AWS-managed key (nothing named) is no concern's key.

Readers: every ECS task role and execution role that must read a secret (a container's injected ``secrets``, a
``secretsmanager:GetSecretValue`` the role is granted) needs, in the region the task runs in, the secret there
(its ARN or a replica's) and ``kms:Decrypt`` on the key that encrypts the secret in that region, through
``kms:ViaService`` ``secretsmanager.<that region>.amazonaws.com`` when the statement names a service.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.evidence import PathNote
from fintech_guardrails.model import Findings, Node, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown, known, known_list
from fintech_guardrails.registry import pci, stack_rule
from fintech_guardrails.rules.secrets import container_definitions
from fintech_guardrails.topology import topology

__all__ = ["key_paths_by_concern"]

ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>\d*):")
KEYED: dict[str, tuple[tuple[str, bool], ...]] = {
    t.RDS_INSTANCE: (("kmsKeyId", True), ("masterUserSecretKmsKeyId", False), ("performanceInsightsKmsKeyId", False)),
    t.RDS_CLUSTER: (("kmsKeyId", True), ("masterUserSecretKmsKeyId", False), ("performanceInsightsKmsKeyId", False)),
    # Aurora sets Performance Insights per instance: its key must be the cluster's concern's too.
    t.RDS_CLUSTER_INSTANCE: (("performanceInsightsKmsKeyId", False),),
    t.RDS_BACKUP_REPLICATION: (("kmsKeyId", True),),
    t.SECRET: (("kmsKeyId", True),),
    t.LOG_GROUP: (("kmsKeyId", True),),
    t.SQS_QUEUE: (("kmsMasterKeyId", True),),
    t.TRAIL: (("kmsKeyId", True),),
}
"""Per type: the properties naming a key, and whether an unset one falls back to an AWS-managed key (a violation)."""


def _region_of_arn(value: Any) -> str | None:
    match = ARN.match(value) if isinstance(value, str) else None
    return match["region"] or None if match else None


def _secret_arn(value: str) -> str:
    """A Secrets Manager reference without its ``:json-key:version-stage:version-id`` suffix."""
    return ":".join(value.split(":")[:7]) if ":secretsmanager:" in value else value


def _without_region(arn: str) -> str:
    parts = arn.split(":")
    return ":".join([*parts[:3], "*", *parts[4:]]) if len(parts) > 4 else arn


@dataclass(frozen=True)
class Use:
    """One store naming one key, for one region."""

    store: Node
    concern: str
    region: Any
    prop: str
    key: Any
    """The KMS key node; None when nothing is named (AWS-managed), UNKNOWN while unresolvable."""
    named: Any
    """What the store names (an ARN, id or alias), for messages about keys outside the stack."""


class KeyWalk:
    def __init__(self, stack: Stack, out: Findings) -> None:
        self.stack, self.out, self.topo = stack, out, topology(stack)

    # -- stores ---------------------------------------------------------------------------------------------

    def key(self, node: Node, prop: str, value: Any) -> Any:
        if value is None or value == "":
            return None
        if is_unknown(value):
            found = self.stack.refs(node, prop, t.KMS_KEY, t.KMS_REPLICA_KEY)
            if found:
                return found[0]
            aliases = self.stack.refs(node, prop, "aws:kms/alias:Alias")
            return self._alias_target(aliases[0]) if aliases else UNKNOWN
        found = self.topo.find(value, t.KMS_KEY, t.KMS_REPLICA_KEY)
        if found:
            return found[0]
        for alias in self.stack.of_type("aws:kms/alias:Alias"):
            if value in (alias.get("arn"), alias.get("name")):
                return self._alias_target(alias)
        deps = self.stack.refs(node, prop, t.KMS_KEY, t.KMS_REPLICA_KEY)
        return deps[0] if deps else value

    def _alias_target(self, alias: Node) -> Any:
        found = self.stack.refs(alias, "targetKeyId", t.KMS_KEY, t.KMS_REPLICA_KEY)
        return found[0] if found else UNKNOWN

    def uses(self) -> Iterator[Use]:
        for type_, props in KEYED.items():
            for store in self.stack.of_type(type_):
                concern = self.concern(store)
                if concern is None:
                    continue
                for prop, required in props:
                    value = store.get(prop)
                    if value is None and not required:
                        continue
                    yield Use(store, concern, store.region, prop, self.key(store, prop, value), value)
                if type_ == t.SECRET:
                    for index, replica in enumerate(known_list(store.get("replicas"))):
                        value = dig(replica, "kmsKeyId")
                        key = self.key(store, "replicas", value)
                        if isinstance(key, Node) and is_unknown(value) and len(known_list(store.get("replicas"))) > 1:
                            key = UNKNOWN
                        yield Use(store, concern, dig(replica, "region"), f"replicas[{index}].kmsKeyId", key, value)
        for sse in self.stack.of_type(t.BUCKET_SSE):
            buckets = self.stack.refs(sse, "bucket", t.BUCKET) or self.topo.find(sse.get("bucket"), t.BUCKET)
            concern = self.concern(buckets[0]) if buckets else None
            if concern is None:
                continue
            for rule in known_list(sse.get("rules")):
                value = dig(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
                yield Use(buckets[0], concern, sse.region, "kmsMasterKeyId", self.key(sse, "rules", value), value)

    def concern(self, node: Node) -> str | None:
        own = self.stack.concern(node)
        if own is not None or node.type != t.RDS_BACKUP_REPLICATION:
            return own
        sources = self.stack.refs(node, "sourceDbInstanceArn", t.RDS_INSTANCE)
        return self.stack.concern(sources[0]) if sources else None

    # -- judging --------------------------------------------------------------------------------------------

    def run(self) -> None:
        served: dict[str, set[str]] = defaultdict(set)
        groups: dict[tuple[str, Any, str], list[Use]] = defaultdict(list)
        broken: set[tuple[str, Any, str]] = set()
        for use in self.uses():
            if use.key is UNKNOWN or is_unknown(use.region):
                self.out.wait(use.prop, use.store.urn)
                continue
            group = (use.concern, use.region, self.topo.root(use.store))
            groups[group].append(use)
            problem = self.problem(use)
            if isinstance(use.key, Node):
                served[use.key.urn].add(use.concern)
            if problem is not None:
                broken.add(group)
                self.out.broke(self.note(group, groups[group]), problem, use.store.urn)
        for urn, concerns in sorted(served.items()):
            if len(concerns) > 1:
                key = self.stack.by_urn[urn]
                self.out.fail(f"{key.name} serves {' and '.join(sorted(concerns))}: one key per concern", urn)
        for group, uses in sorted(groups.items(), key=lambda item: (item[0][0], str(item[0][1]), item[0][2])):
            if group not in broken:
                self.out.prove(self.note(group, uses))
        self.readers()

    def problem(self, use: Use) -> str | None:
        where = f"{use.store.name} ({use.concern}, {use.region})"
        if use.key is None:
            return f"{where} names no key in {use.prop}: AWS's managed key, not {use.concern}'s"
        if not isinstance(use.key, Node):
            return (
                f"{where} is encrypted with {use.named} ({use.prop}), a key outside the stack: not provably "
                f"{use.concern}'s"
            )
        key_concern, key_region = self.stack.concern(use.key), use.key.region
        if key_concern != use.concern:
            return (
                f"{where} is encrypted with {use.key.name} ({use.prop}), the key of "
                f"{key_concern or 'no concern'}, not {use.concern}'s"
            )
        if not is_unknown(key_region) and key_region != use.region:
            return f"{where} names {use.key.name} ({use.prop}) of {key_region}: a key is usable only in its own region"
        return None

    def note(self, group: tuple[str, Any, str], uses: list[Use]) -> PathNote:
        concern, region, _ = group
        keys = sorted({u.key.name for u in uses if isinstance(u.key, Node)})
        stores = sorted({u.store.name for u in uses})
        links = [f"key {', '.join(keys) or '(none)'}", f"{len(stores)} stores: {', '.join(stores)}"]
        return PathNote("keys", f"{concern} data", region, tuple(links), self.topo.entities(uses[0].store))

    # -- readers --------------------------------------------------------------------------------------------

    def secrets(self) -> dict[str, tuple[Node, Any]]:
        """Secret ARN (with ``*`` for its region) -> (the secret's owner, {region: key node or value})."""
        found: dict[str, tuple[Node, Any]] = {}
        for secret in self.stack.of_type(t.SECRET):
            arn = secret.get("arn")
            if not isinstance(arn, str) or is_unknown(arn):
                continue
            keys = {secret.region: self.key(secret, "kmsKeyId", secret.get("kmsKeyId"))}
            for replica in known_list(secret.get("replicas")):
                keys[dig(replica, "region")] = self.key(secret, "replicas", dig(replica, "kmsKeyId"))
            found[_without_region(arn)] = (secret, keys)
        for database in self.stack.of_type(t.RDS_INSTANCE, t.RDS_CLUSTER):
            for managed in known_list(database.get("masterUserSecrets")):
                arn = dig(managed, "secretArn")
                if isinstance(arn, str) and not is_unknown(arn):
                    key = self.key(database, "masterUserSecretKmsKeyId", database.get("masterUserSecretKmsKeyId"))
                    found[_without_region(arn)] = (database, {database.region: key})
        return found

    def readers(self) -> None:
        secrets = self.secrets()
        for task in self.stack.of_type(t.ECS_TASK_DEFINITION):
            region = task.region
            injected = container_definitions(task)
            if is_unknown(region) or injected is None:
                self.out.wait("containerDefinitions" if injected is None else "region", task.urn)
                continue
            roles = {
                "executionRoleArn": self.stack.refs(task, "executionRoleArn", t.IAM_ROLE),
                "taskRoleArn": self.stack.refs(task, "taskRoleArn", t.IAM_ROLE),
            }
            needed: dict[str, set[str]] = defaultdict(set)
            for role in roles["executionRoleArn"]:
                for container in injected:
                    for item in known_list(container.get("secrets")):
                        value = dig(item, "valueFrom")
                        if isinstance(value, str) and ":secretsmanager:" in value:
                            needed[role.urn].add(_secret_arn(value))
            statements: dict[str, Any] = {}
            for role in [*roles["executionRoleArn"], *roles["taskRoleArn"]]:
                statements[role.urn] = self.statements(role)
                if statements[role.urn] is UNKNOWN:
                    self.out.wait("the role's policy", role.urn)
                    continue
                for statement in statements[role.urn]:
                    if _allows(statement, "secretsmanager:GetSecretValue"):
                        needed[role.urn].update(
                            _secret_arn(r)
                            for r in known_list(statement.get("Resource"))
                            if isinstance(r, str) and "*" not in r
                        )
            self.judge_task(task, region, needed, statements, secrets)

    def statements(self, role: Node) -> Any:
        found: list[dict[str, Any]] = []
        for policy in self.topo.referrers(role, (t.IAM_ROLE_POLICY,), "role"):
            document = policy.get("policy")
            if is_unknown(document) or (isinstance(document, dict) and contains_unknown(document)):
                return UNKNOWN
            if isinstance(document, str):
                try:
                    document = json.loads(document)
                except ValueError:
                    continue
            found += [s for s in as_list(dig(document, "Statement")) or [] if isinstance(s, dict)]
        return found

    def judge_task(
        self, task: Node, region: str, needed: dict[str, set[str]], statements: dict[str, Any], secrets: dict[str, Any]
    ) -> None:
        for urn, arns in sorted(needed.items()):
            role, granted = self.stack.by_urn[urn], statements.get(urn)
            if granted is UNKNOWN or granted is None:
                continue
            for arn in sorted(arns):
                links = [f"task {task.name} ({region})", f"role {role.name}", f"secret {arn.rsplit(':', 1)[-1]}"]
                note = PathNote("keys", f"task {task.name}", region, tuple(links), self.topo.entities(task))
                problem, key_label = self.grant(role, region, arn, granted, secrets)
                if problem is None:
                    self.out.prove(PathNote("keys", note.subject, region, (*links, key_label), note.entities))
                else:
                    self.out.broke(note, f"{task.name} ({region}) reads {arn.rsplit(':', 1)[-1]}: {problem}", role.urn)

    def grant(
        self, role: Node, region: str, arn: str, granted: list[dict[str, Any]], secrets: dict[str, Any]
    ) -> tuple[str | None, str]:
        secret_region = _region_of_arn(arn)
        if secret_region != region:
            return f"the secret is in {secret_region}, not in {region} where the task runs", ""
        if not any(_allows(s, "secretsmanager:GetSecretValue") and _matches(s, arn) for s in granted):
            return f"{role.name} is not granted secretsmanager:GetSecretValue on it", ""
        owner = secrets.get(_without_region(arn))
        if owner is None:
            return None, "key (a secret outside the stack)"
        if region not in owner[1]:
            return f"{owner[0].name} has no copy in {region}", ""
        key = owner[1][region]
        if key is None:
            return None, "key aws/secretsmanager (AWS-managed: any reader Secrets Manager lets in may decrypt)"
        if not isinstance(key, Node):
            return None, "key (unresolved)"
        key_arn = known(key.get("arn"), "")
        via = f"secretsmanager.{region}.amazonaws.com"
        for statement in granted:
            if _allows(statement, "kms:Decrypt") and _matches(statement, key_arn) and _via_ok(statement, via):
                return None, f"kms:Decrypt {key.name} via {via}"
        return f"{role.name} has no kms:Decrypt on {key.name} through {via}", ""


def _allows(statement: dict[str, Any], action: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    return any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in known_list(statement.get("Action")))


def _matches(statement: dict[str, Any], arn: str) -> bool:
    return bool(arn) and any(
        isinstance(r, str) and fnmatch.fnmatchcase(arn, _secret_arn(r)) for r in known_list(statement.get("Resource"))
    )


def _via_ok(statement: dict[str, Any], via: str) -> bool:
    condition = statement.get("Condition")
    named = [
        endpoint
        for operator in (condition.values() if isinstance(condition, dict) else [])
        if isinstance(operator, dict)
        for endpoint in known_list(operator.get("kms:ViaService"))
    ]
    return not named or via in named


@stack_rule(
    name="key-paths-by-concern",
    severity=Severity.HIGH,
    framework=pci("3.6.1", "Procedures are defined to protect cryptographic keys"),
    url=str(facts.load("path_facts")["kms_keys_regional"]["url"]),
    tags=("functional-path", "PCI DSS 4.0.1 3.5.1", "GDPR Art. 32", "DORA Art. 9(4)(d)"),
    exemptible=False,
    remediation=(
        "Encrypt each concern's databases, secrets, log groups, buckets and queues with that concern's KeyRing key "
        "of the same region (the DR region's key for DR copies and replicas); grant each task kms:Decrypt on the "
        "key of every secret it reads, in its own region, through secretsmanager.<region>.amazonaws.com."
    ),
)
def key_paths_by_concern(stack: Stack, out: Findings) -> None:
    """Every data store, secret, log group and bucket of a concern is encrypted with that concern's key in its region.

    Judged per key a store names (see the module): the key must be a KMS key of the stack tagged with the store's
    concern, in the store's region (a replica's region for a secret replica); nothing named means an AWS-managed
    key. No key may serve two concerns. Every ECS task's roles must be able to read each secret the task reads, in
    the task's region: the secret (or its replica) there, GetSecretValue on it and kms:Decrypt on its key through
    that region's Secrets Manager. Keys and policies unknown during preview are pending.
    """
    KeyWalk(stack, out).run()
