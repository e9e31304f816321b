"""What a stack file can say about schema migrations: one one-off ECS task per concern with a database.

Migrations run apart from deploys (docs/deployment.md): each concern of an ECS cell gets a task definition that
no service runs, with the application image, a migration command and the concern's *migration* credentials
(:mod:`fintech_infra.migrations`). It is on by default for every concern with a database; a concern turns it
off, or takes its own image or command, under ``migrations.concerns.<concern>``.

The image defaults to the image of the first service that declares the concern (the application that owns the
schema ships its migrations). A concern no service declares has no application to migrate it: it gets a task only
when the config names an image for it (``migrations.image`` or ``migrations.concerns.<concern>.image``); a
per-concern entry that is on but has no image is refused (:func:`fintech_infra.app_checks.migration_images`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import Field, field_validator, model_validator

from fintech_infra._config_base import DataConcern, FrozenSettings
from fintech_infra.aws_facts import FARGATE_TASK_SIZES
from fintech_infra.errors import allowed

__all__ = [
    "MIGRATION_CLIENT",
    "MIGRATION_CONTAINER",
    "ConcernMigration",
    "MigrationPlan",
    "MigrationSettings",
    "migration_username",
]

MIGRATION_CLIENT = "migrations"
"""The client label a concern's database admits its migration task's security group under (rule
``<db>-sg-from-migrations``); no service may take it as its name."""

MIGRATION_CONTAINER = "migrate"
"""The migration task's one container: what ``run-task --overrides`` and ``describe-tasks`` name."""

_MAX_ARGS = 32
_MAX_ARG_LENGTH = 1024


class _Service(Protocol):
    @property
    def image(self) -> str: ...
    @property
    def concerns(self) -> tuple[DataConcern, ...]: ...


def migration_username(concern: str) -> str:
    """The PostgreSQL role migrations log in as: ``<concern>_migrator``, which owns the concern's schema.

    Not the master user (which the services use today) and not configurable: the rotation function, the
    bootstrap function (:mod:`fintech_infra.migration_role_handler`) and the secret all name it, so one rule keeps
    them in step."""
    return f"{concern}_migrator"


def _check_command(value: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not 1 <= len(value) <= _MAX_ARGS:
        raise ValueError(f"{list(value)!r} has {len(value)} arguments; allowed: 1 to {_MAX_ARGS} arguments")
    for index, argument in enumerate(value):
        if not argument.strip() or len(argument) > _MAX_ARG_LENGTH or "\x00" in argument:
            raise ValueError(
                f"argument {index} ({argument[:40]!r}) is blank, longer than {_MAX_ARG_LENGTH} characters or holds "
                f"a NUL; allowed: non-blank arguments of at most {_MAX_ARG_LENGTH} characters"
            )
    return value


class ConcernMigration(FrozenSettings):
    """One concern's migration task, where it differs from the cell's."""

    enabled: bool = Field(True, description="Build this concern's migration task. Defaults to True.")
    image: str | None = Field(
        None,
        min_length=3,
        description="Image with this concern's migrations; defaults to the cell's `migrations.image`, else the "
        "image of the first service declaring the concern.",
    )
    command: tuple[str, ...] | None = Field(
        None, description="Command (exec form) for this concern; defaults to the cell's `migrations.command`."
    )

    _command = field_validator("command")(_check_command)


class MigrationSettings(FrozenSettings):
    """Schema migrations of an ECS cell: one one-off task definition per concern with a database."""

    enabled: bool = Field(
        True, description="Build a migration task for every concern with a database in the cell. Defaults to True."
    )
    image: str | None = Field(
        None,
        min_length=3,
        description="Image the migrations run in, ideally pinned by digest; defaults to the image of the first "
        "service declaring the concern.",
    )
    command: tuple[str, ...] = Field(
        ("migrate",),
        description="Command (exec form, no shell) the container runs; its exit code is the migration's verdict. "
        "1-32 non-blank arguments. Defaults to `[migrate]`.",
    )
    cpu: int = Field(256, description="Task CPU units (a Fargate size). Defaults to 256.")
    memory_mb: int = Field(512, ge=512, le=122880, description="Task memory in MiB. Defaults to 512.")
    concerns: dict[DataConcern, ConcernMigration] = Field(
        default_factory=dict,
        description="Per-concern overrides (enabled, image, command). Defaults to none: every concern with a "
        "database as the cell says.",
    )

    _command = field_validator("command")(_check_command)

    @field_validator("cpu")
    @classmethod
    def _fargate_cpu(cls, value: int) -> int:
        if value not in FARGATE_TASK_SIZES:
            raise ValueError(f"is not a Fargate CPU size; {allowed(FARGATE_TASK_SIZES)}")
        return value

    @model_validator(mode="after")
    def _fargate_size(self) -> MigrationSettings:
        sizes = FARGATE_TASK_SIZES[self.cpu]
        if self.memory_mb not in sizes:
            raise ValueError(
                f"memory_mb: {self.memory_mb!r} is not a Fargate memory size for cpu {self.cpu}; "
                f"allowed with cpu {self.cpu}: "
                + (
                    ", ".join(map(str, sizes))
                    if len(sizes) <= 3
                    else f"{sizes[0]} to {sizes[-1]} in steps of {sizes[1] - sizes[0]}"
                )
                + " MiB"
            )
        return self

    def plans(self, concerns: Sequence[str], services: Sequence[_Service]) -> dict[str, MigrationPlan]:
        """The task of each of ``concerns`` (the cell's databases) that has one, by concern; an image not named
        in the config is the image of the first of ``services`` that declares the concern, and a concern with
        neither has no task."""
        found = {}
        for concern in concerns:
            image = next((s.image for s in services if DataConcern(concern) in s.concerns), None)
            plan = self.plan(concern, image)
            if plan is not None and plan.image is not None:
                found[concern] = plan
        return found

    def plan(self, concern: str, default_image: str | None) -> MigrationPlan | None:
        """The task for ``concern`` (None when off); its image is None when neither the config nor a service
        names one."""
        override = self.concerns.get(DataConcern(concern), ConcernMigration())
        if not (self.enabled and override.enabled):
            return None
        return MigrationPlan(
            concern=concern,
            image=override.image or self.image or default_image,
            command=override.command or self.command,
            cpu=self.cpu,
            memory_mb=self.memory_mb,
        )


@dataclass(frozen=True)
class MigrationPlan:
    """One concern's resolved migration task."""

    concern: str
    image: str | None
    command: tuple[str, ...]
    cpu: int
    memory_mb: int

    @property
    def username(self) -> str:
        return migration_username(self.concern)
