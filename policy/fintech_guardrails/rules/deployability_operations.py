"""Deployability: what AWS does on its own when a stack leaves it unsaid, and would do wrong.

CloudTrail logging its own deliveries (recursive data events), RDS creating its log groups itself (no key,
never expiring) and RDS/ElastiCache picking their own backup and maintenance windows. The AWS facts (log
group names, window formats and minimum lengths) come from ``data/aws_facts.json``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from fintech_guardrails import facts
from fintech_guardrails import types as t
from fintech_guardrails.model import Findings, Node, Resource, Stack
from fintech_guardrails.preview import UNKNOWN, as_list, contains_unknown, dig, is_unknown, present
from fintech_guardrails.registry import dora, pci, resource_rule, stack_rule
from fintech_guardrails.rules.secrets import customer_managed
from fintech_guardrails.settings import jurisdiction_minimum

__all__ = ["selects_bucket_objects", "window_problem"]

_FACTS = facts.load("aws_facts")
_LOG_GROUP_NAMES: dict[str, str] = _FACTS["rds_log_group_names"]["patterns"]
_OS_METRICS: str = _FACTS["rds_enhanced_monitoring_log_group"]["name"]
_FORMATS = _FACTS["maintenance_window_formats"]
_DB_MINUTES: int = _FACTS["rds_window_min_minutes"]["value"]
_CACHE_MINUTES: int = _FACTS["elasticache_window_min_minutes"]["value"]
_S3_ALL = re.compile(r"^arn:aws[a-z-]*:s3(:::)?$")
_ARN_PREFIX = re.compile(r"^arn:aws[a-z-]*:s3:::")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NEVER_EXPIRE_NEEDED = 3653  # the longest finite CloudWatch retention; a longer minimum needs "never expire"

# -- CloudTrail ------------------------------------------------------------------------------------------------


def _bucket_part(value: Any) -> str | None:
    """The ``<bucket>/<key prefix>`` part of an S3 ARN (prefix) in a selector, ``""`` for every bucket."""
    if not isinstance(value, str):
        return None
    if _S3_ALL.match(value):
        return ""
    return _ARN_PREFIX.sub("", value) if _ARN_PREFIX.match(value) else None


def _reaches(value: Any, objects: str) -> bool:
    """An include prefix that reaches some object under ``objects`` (``<bucket>/``)."""
    part = _bucket_part(value)
    return part is not None and (objects.startswith(part) or part.startswith(objects))


def _excludes(value: Any, objects: str) -> bool:
    """An exclude prefix that covers every object under ``objects``."""
    part = _bucket_part(value)
    return part is not None and objects.startswith(part)


def _basic(selector: Any, objects: str) -> bool:
    if dig(selector, "readWriteType") == "ReadOnly":
        return False  # reads only: CloudTrail's deliveries are writes
    return any(
        dig(resource, "type") == "AWS::S3::Object"
        and any(_reaches(v, objects) for v in as_list(dig(resource, "values")))
        for resource in as_list(dig(selector, "dataResources"))
    )


def _advanced(selector: Any, objects: str) -> bool:
    fields = {dig(field, "field"): field for field in as_list(dig(selector, "fieldSelectors"))}
    if "Data" not in as_list(dig(fields.get("eventCategory"), "equals")):
        return False
    if "AWS::S3::Object" not in as_list(dig(fields.get("resources.type"), "equals")):
        return False
    if as_list(dig(fields.get("readOnly"), "equals")) == ["true"]:
        return False  # reads only
    arn = fields.get("resources.ARN")
    if arn is None:
        return True  # every bucket
    if any(_excludes(value, objects) for value in as_list(dig(arn, "notStartsWiths"))):
        return False
    included = [*as_list(dig(arn, "startsWiths")), *as_list(dig(arn, "equals"))]
    return not included or any(_reaches(value, objects) for value in included)


def selects_bucket_objects(trail: Node, bucket_name: str) -> Any:
    """Whether ``trail``'s selectors log S3 object writes in ``bucket_name``: True, False, or UNKNOWN (preview)."""
    objects = f"{bucket_name}/"
    found: list[Any] = []
    for prop, judge in (("eventSelectors", _basic), ("advancedEventSelectors", _advanced)):
        selectors = as_list(trail.get(prop))
        if selectors is UNKNOWN:
            found.append(UNKNOWN)
            continue
        found.extend(UNKNOWN if contains_unknown(s) else judge(s, objects) for s in selectors)
    if True in found:
        return True
    return UNKNOWN if any(item is UNKNOWN for item in found) else False


@stack_rule(
    name="cloudtrail-no-recursive-data-events",
    severity=Severity.HIGH,
    framework=pci("10.3.3", "Audit log files are promptly backed up to a central store that is difficult to modify"),
    tags=("deployability",),
    remediation="Use AuditTrail: advanced event selectors that exclude the trail's bucket "
    "(resources.ARN NotStartsWith arn:aws:s3:::<bucket>/).",
    url=_FACTS["cloudtrail_recursive_logging"]["url"],
)
def cloudtrail_no_recursive_data_events(stack: Stack, out: Findings) -> None:
    """CloudTrail trails do not log S3 data events on their own bucket (recursive logging).

    Each delivery is a PutObject into the trail's bucket; logged as a data event, it is delivered as a new log
    file, which is logged again, without end, into a bucket kept for years. A trail's bucket is found through
    `s3BucketName`; basic selectors (`dataResources` values reaching the bucket) and advanced selectors (a Data,
    `AWS::S3::Object` selector whose `resources.ARN` does not exclude the bucket) are both read. Read-only
    selectors pass. Unknown bucket names or selector values are pending.
    """
    for trail in stack.of_type(t.TRAIL):
        buckets = stack.refs(trail, "s3BucketName", t.BUCKET)
        name = buckets[0].get("bucket") if buckets else trail.get("s3BucketName")
        if is_unknown(name) or name is None:
            out.wait("s3BucketName", trail.urn)
            continue
        verdict = selects_bucket_objects(trail, str(name))
        if verdict is UNKNOWN:
            out.wait("eventSelectors", trail.urn)
        elif verdict:
            out.fail("the trail must not log S3 data events on its own bucket (recursive logging)", trail.urn)


# -- RDS log groups ----------------------------------------------------------------------------------------------


def _groups(stack: Stack) -> dict[Any, list[Node]]:
    found: dict[Any, list[Node]] = {}
    for group in stack.of_type(t.LOG_GROUP):
        found.setdefault(group.get("name"), []).append(group)
    return found


def _expected(db: Node) -> Iterator[tuple[str, str] | None]:
    """(log group name, what) per exported log; None when the database's identifier or exports are unknown."""
    kind = "cluster" if db.type == t.RDS_CLUSTER else "instance"
    identifier = db.get("clusterIdentifier" if kind == "cluster" else "identifier")
    exports = as_list(db.get("enabledCloudwatchLogsExports"))
    if exports is UNKNOWN or is_unknown(identifier) or contains_unknown(exports):
        yield None
        return
    for log_type in exports:
        name = _LOG_GROUP_NAMES[kind].format(identifier=identifier, log_type=log_type)
        yield name, f"exported {log_type} log"


def _check_group(stack: Stack, db: Node, groups: list[Node], name: str, what: str, out: Findings) -> None:
    here = [group for group in groups if is_unknown(group.region) or is_unknown(db.region) or group.region == db.region]
    if not here:
        out.fail(
            f"the {what} needs a log group {name} created before the database: otherwise RDS creates it without a "
            "KMS key and without expiry",
            db.urn,
        )
        return
    group = here[0]
    key, retention = group.get("kmsKeyId"), group.get("retentionInDays")
    if is_unknown(key):
        out.wait(f"{name} kmsKeyId", db.urn)
    elif not customer_managed(key):
        out.fail(f"log group {name} must be encrypted with a customer-managed KMS key", db.urn)
    minimum = jurisdiction_minimum(stack.settings.registry, stack.jurisdiction(group), "min_audit_log_retention_days")
    if is_unknown(retention):
        out.wait(f"{name} retentionInDays", db.urn)
    elif retention is None or (retention == 0 and minimum <= _NEVER_EXPIRE_NEEDED):
        out.fail(f"log group {name} must set retentionInDays (unset, its events never expire)", db.urn)


@stack_rule(
    name="rds-log-groups-precreated",
    severity=Severity.MEDIUM,
    framework=pci("10.5.1", "Retain audit log history for at least 12 months"),
    tags=("deployability", "PCI DSS 4.0.1 3.5.1", "GDPR Art. 5(1)(e)"),
    remediation="Use FinancialDatabase (it creates each export's group with the concern's key) inside a "
    "JurisdictionCell (which creates RDSOSMetrics per region); give databases a fixed identifier.",
    url=_FACTS["rds_log_group_names"]["source"]["url"],
)
def rds_log_groups_precreated(stack: Stack, out: Findings) -> None:
    """RDS instances and Aurora clusters export their logs into encrypted, expiring log groups of the stack.

    RDS writes an exported log to `/aws/rds/instance/<identifier>/<type>` (Aurora: `/aws/rds/cluster/...`) and
    enhanced monitoring to the region's `RDSOSMetrics`; a group that does not exist is created by RDS with no key
    that never expires. Each must be a log group of the stack in the database's region, with a customer-managed
    `kmsKeyId` and a `retentionInDays`. A database whose identifier is unset cannot have its groups named in
    advance and is a violation; unknown identifiers, exports or group settings are pending.
    """
    groups = _groups(stack)
    monitored: dict[Any, Node] = {}
    for db in stack.of_type(t.RDS_INSTANCE, t.RDS_CLUSTER, t.RDS_CLUSTER_INSTANCE):
        interval = db.get("monitoringInterval")
        if db.type != t.RDS_CLUSTER and (is_unknown(interval) or (isinstance(interval, (int, float)) and interval > 0)):
            monitored.setdefault(db.region, db)
        if db.type == t.RDS_CLUSTER_INSTANCE or not present(db.get("enabledCloudwatchLogsExports")):
            continue
        identifier = db.get("clusterIdentifier" if db.type == t.RDS_CLUSTER else "identifier")
        if identifier is None:
            out.fail("the database must set its identifier so its log groups can be created before it", db.urn)
            continue
        for expected in _expected(db):
            if expected is None:
                out.wait("identifier/enabledCloudwatchLogsExports", db.urn)
                break
            _check_group(stack, db, groups.get(expected[0], []), *expected, out)
    for db in monitored.values():
        _check_group(stack, db, groups.get(_OS_METRICS, []), _OS_METRICS, "enhanced monitoring", out)


# -- Windows --------------------------------------------------------------------------------------------------


def _minutes(clock: str) -> int:
    return int(clock[:2]) * 60 + int(clock[3:5])


def _span(window: str) -> tuple[int, int]:
    """(start, length) in minutes: into the week for ddd:hh24:mi-ddd:hh24:mi, into the day for hh24:mi-hh24:mi."""
    start, end = window.split("-")
    if start[:3] in _DAYS:
        begin = _DAYS.index(start[:3]) * 1440 + _minutes(start[4:])
        finish = _DAYS.index(end[:3]) * 1440 + _minutes(end[4:])
        return begin, (finish - begin) % (7 * 1440)
    return _minutes(start), (_minutes(end) - _minutes(start)) % 1440


def window_problem(value: Any, form: str, minimum: int) -> str | None:
    """Why ``value`` is not a window AWS takes (``form``: ``backup`` daily or ``maintenance`` weekly), or None."""
    if not isinstance(value, str) or not re.fullmatch(_FORMATS[form], value.lower()):
        return "be hh24:mi-hh24:mi" if form == "backup" else "be ddd:hh24:mi-ddd:hh24:mi"
    if _span(value.lower())[1] < minimum:
        return f"last at least {minimum} minutes"
    return None


def _overlap(daily: str, weekly: str) -> bool:
    start, length = _span(daily)
    begin, span = _span(weekly)
    for day in range(8):  # a daily window every day, one past the week's end
        first = start + day * 1440
        for shift in (0, 7 * 1440):
            if first < begin + shift + span and begin + shift < first + length:
                return True
    return False


_WINDOWS: dict[str, tuple[tuple[str, str, int], ...]] = {
    t.RDS_INSTANCE: (("backupWindow", "backup", _DB_MINUTES), ("maintenanceWindow", "maintenance", _DB_MINUTES)),
    t.RDS_CLUSTER: (
        ("preferredBackupWindow", "backup", _DB_MINUTES),
        ("preferredMaintenanceWindow", "maintenance", _DB_MINUTES),
    ),
    t.RDS_CLUSTER_INSTANCE: (("preferredMaintenanceWindow", "maintenance", _DB_MINUTES),),
    t.REDIS: (("snapshotWindow", "backup", _CACHE_MINUTES), ("maintenanceWindow", "maintenance", _CACHE_MINUTES)),
}


@resource_rule(
    types=tuple(_WINDOWS),
    name="maintenance-windows-set",
    severity=Severity.MEDIUM,
    framework=dora("Art. 9", "Protection and prevention"),
    tags=("deployability", "DORA Art. 11"),
    remediation="Leave the cell's maintenance / dr_maintenance defaults (the region's night) or set windows there; "
    "FinancialDatabase and RedisCluster set them on every copy.",
    url=_FORMATS["source"]["url"],
)
def maintenance_windows_set(r: Resource, out: Findings) -> None:
    """Databases and caches set their backup (snapshot) and maintenance windows, in a form AWS takes.

    Unset, AWS picks them (RDS: a 30-minute backup window in an 8-hour regional block, a weekly maintenance window
    at random), possibly during trading hours. Windows are `hh24:mi-hh24:mi` (backups, snapshots) and
    `ddd:hh24:mi-ddd:hh24:mi` (maintenance) in UTC, at least 30 minutes on RDS and 60 on ElastiCache, and the
    backup window must not overlap the maintenance window. Read replicas keep no backups and need only a
    maintenance window; Aurora instances take their backups from the cluster. Unknown values are pending.
    """
    checks = _WINDOWS[r.type]
    if r.type == t.RDS_INSTANCE and present(r.get("replicateSourceDb")) and not present(r.get("backupRetentionPeriod")):
        checks = checks[1:]
    values: dict[str, str] = {}
    for prop, form, minimum in checks:
        value = r.get(prop)
        if is_unknown(value):
            out.wait(prop)
            continue
        if value is None:
            out.fail(f"{prop} must be set (unset, AWS picks it, possibly during trading hours)")
            continue
        problem = window_problem(value, form, minimum)
        if problem:
            out.fail(f"{prop} must {problem} in UTC")
        else:
            values[form] = str(value).lower()
    if "backup" in values and "maintenance" in values and _overlap(values["backup"], values["maintenance"]):
        out.fail("the backup window must not overlap the maintenance window")
