"""Alert tiers: every alarm names the tier it pages through, and the tier fixes how fast it may page.

Two tiers per cell and region, each its own encrypted SNS topic (:class:`~fintech_infra.alert_topics.AlertTopics`):

- ``critical``: wakes the on-call engineer (an HTTPS integration such as PagerDuty's or Opsgenie's CloudWatch
  endpoint). Evaluated over one-minute periods, **two breaching minutes out of three**
  (:data:`CRITICAL_EVALUATION`). One minute is the shortest period a standard-resolution AWS metric supports
  (CloudWatch publishes them once a minute; 10 s and 30 s periods need high-resolution metrics), so a page needs
  at least two datapoints to tell an outage from a blip: a sustained breach pages two minutes after it starts
  (about one minute after its first breaching datapoint is evaluated), a single bad minute never does, and a
  breach with one good minute in the middle still pages (2 of 3, not 2 in a row).
- ``warning``: read in working hours (e-mail). Five-minute periods, three of three (15 minutes).

:func:`tiered_alarm` is the only way the library creates a CloudWatch alarm: ``tier`` is a required argument,
the alarm is tagged :data:`TIER_TAG` with it and notifies that tier's topic (alarm and OK actions), and a
critical alarm evaluated over more than :data:`MAX_CRITICAL_PERIOD_SECONDS` is refused. The policy pack checks
the same on every alarm of a stack (``alarm-tiers-route-and-page-fast``), so alarms added elsewhere must name one.

Source: CloudWatch user guide, "Using Amazon CloudWatch alarms" (periods, M out of N) and "High-resolution
metrics"; :data:`EVALUATION_SOURCE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

import pulumi
import pulumi_aws as aws

from fintech_infra.aws_facts import Source
from fintech_infra.errors import ConfigError, allowed

__all__ = [
    "CRITICAL_EVALUATION",
    "EVALUATIONS",
    "EVALUATION_SOURCE",
    "MAX_CRITICAL_PERIOD_SECONDS",
    "SIGNAL_TAG",
    "TIERS",
    "TIER_TAG",
    "WARNING_EVALUATION",
    "AlertRoute",
    "Evaluation",
    "Tier",
    "tiered_alarm",
]

Tier = Literal["critical", "warning"]
TIERS: tuple[Tier, ...] = get_args(Tier)
TIER_TAG = "AlertTier"
"""The tag naming an alarm's (and a topic's) tier; the policy pack matches alarms to topics through it."""
SIGNAL_TAG = "AlertSignal"
"""``event`` on an alarm counting discrete events, which may page on one datapoint."""

EVALUATION_SOURCE = Source(
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
    quote="When you create an alarm, you specify three settings to enable CloudWatch to evaluate when to change the "
    "alarm state: Period ... Evaluation Periods ... Datapoints to Alarm is the number of data points within the "
    "Evaluation Periods that must be breaching to cause the alarm to go to the ALARM state. ... If you set an alarm "
    "on a high-resolution metric, you can specify a high-resolution alarm with a period of 10 seconds or 30 seconds",
)


@dataclass(frozen=True)
class Evaluation:
    """How an alarm evaluates: ``datapoints_to_alarm`` breaching of the last ``evaluation_periods`` periods."""

    period: int
    evaluation_periods: int
    datapoints_to_alarm: int

    @property
    def seconds_to_page(self) -> int:
        """The shortest time from the start of a sustained breach to the alarm."""
        return self.period * self.datapoints_to_alarm


CRITICAL_EVALUATION = Evaluation(period=60, evaluation_periods=3, datapoints_to_alarm=2)
WARNING_EVALUATION = Evaluation(period=300, evaluation_periods=3, datapoints_to_alarm=3)
EVALUATIONS: Mapping[Tier, Evaluation] = {"critical": CRITICAL_EVALUATION, "warning": WARNING_EVALUATION}
MAX_CRITICAL_PERIOD_SECONDS = 60


@dataclass(frozen=True)
class AlertRoute:
    """The two topics of one cell region, by tier: where that region's alarms notify."""

    critical: pulumi.Input[str]
    warning: pulumi.Input[str]

    def arn(self, tier: Tier) -> pulumi.Input[str]:
        if tier not in TIERS:
            raise ConfigError(f"alarm tier: {tier!r} is not a tier; {allowed(TIERS)}")
        return self.critical if tier == "critical" else self.warning


def tiered_alarm(
    name: str,
    *,
    tier: Tier,
    route: AlertRoute,
    description: str,
    threshold: float | None,
    comparison: str = "GreaterThanThreshold",
    opts: pulumi.ResourceOptions,
    evaluation: Evaluation | None = None,
    treat_missing_data: str = "missing",
    event: bool = False,
    **metric: Any,
) -> aws.cloudwatch.MetricAlarm:
    """One CloudWatch alarm of ``tier``: notifies ``route``'s topic of that tier, tagged with the tier.

    ``metric`` holds the metric (``namespace``, ``metric_name``, ``dimensions``, ``statistic`` or
    ``extended_statistic``) or ``metric_queries`` (whose metrics take their period from the tier's
    :data:`EVALUATIONS`; an anomaly detection alarm passes ``threshold=None`` and ``threshold_metric_id``).
    ``evaluation`` defaults to the tier's (:data:`EVALUATIONS`); a warning may evaluate more slowly (a
    daily metric), a critical alarm never over more than :data:`MAX_CRITICAL_PERIOD_SECONDS`. ``event`` marks an
    alarm on a count of discrete events (a root sign-in, a disabled key: :data:`SIGNAL_TAG` ``event``), where one
    datapoint is the whole signal and may page; every other critical alarm needs two (:data:`CRITICAL_EVALUATION`).
    """
    how = evaluation or EVALUATIONS[tier]
    topic = route.arn(tier)
    if tier == "critical" and how.period > MAX_CRITICAL_PERIOD_SECONDS:
        raise ConfigError(
            f"alarm {name!r}: period {how.period} s for a critical alarm; allowed: at most "
            f"{MAX_CRITICAL_PERIOD_SECONDS} s (a page must come within minutes), or the warning tier"
        )
    settings: dict[str, Any] = {**({} if "metric_queries" in metric else {"period": how.period}), **metric}
    alarm: aws.cloudwatch.MetricAlarm = aws.cloudwatch.MetricAlarm(
        name,
        alarm_description=f"[{tier}] {description}",
        comparison_operator=comparison,
        threshold=threshold,  # None with threshold_metric_id (an anomaly detection band)
        evaluation_periods=how.evaluation_periods,
        datapoints_to_alarm=how.datapoints_to_alarm,
        treat_missing_data=treat_missing_data,
        alarm_actions=[topic],
        ok_actions=[topic],
        tags={TIER_TAG: tier, **({SIGNAL_TAG: "event"} if event else {})},
        opts=opts,
        **settings,
    )
    return alarm
