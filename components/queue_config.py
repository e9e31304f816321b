"""What a stack file says about a cell's SQS queues (:mod:`fintech_infra.queues` builds them)."""

from __future__ import annotations

from pydantic import Field

from fintech_infra._config_base import DataConcern, FrozenSettings, Name

__all__ = ["QueueSettings"]


class QueueSettings(FrozenSettings):
    """One SQS queue of a cell, for one concern's asynchronous work (e.g. payments webhooks)."""

    name: Name = Field(description="Queue name, unique in the cell; services list it in `queues`. Required.")
    concern: DataConcern = Field(
        description="The data concern its messages belong to: encrypted with that concern's key; only services "
        "that declare the concern may use it. Required."
    )
    visibility_timeout_seconds: int = Field(
        60, ge=0, le=43200, description="Seconds a received message is hidden from other consumers. Defaults to 60."
    )
    retention_days: int = Field(4, ge=1, le=14, description="Days a message is kept (SQS: up to 14). Defaults to 4.")
    max_receive_count: int = Field(
        5, ge=1, le=1000, description="Receives after which a message moves to the dead-letter queue. Defaults to 5."
    )
    oldest_message_alarm_seconds: int = Field(
        300,
        ge=60,
        le=1_209_600,
        description="Page when the oldest message has waited longer than this for five minutes running. "
        "Defaults to 300.",
    )
