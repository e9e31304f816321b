"""migration_config.py: which concerns get a migration task, with which image and command, and what is refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fintech_infra.compute_config import EcsServiceSettings
from fintech_infra.migration_config import MigrationSettings, migration_username

API = EcsServiceSettings(name="api", image="registry.example/api@sha256:1", concerns=("crm", "trading"))
REPORTS = EcsServiceSettings(name="reports", image="registry.example/reports:2", concerns=("crm",))


def test_on_by_default_with_the_first_declaring_service_image() -> None:
    plans = MigrationSettings().plans(["crm", "trading", "audit"], [API, REPORTS])
    assert sorted(plans) == ["crm", "trading"]  # no service declares audit and no image is named: no task
    assert plans["crm"].image == API.image and plans["crm"].command == ("migrate",)
    assert (plans["crm"].cpu, plans["crm"].memory_mb, plans["crm"].username) == (256, 512, "crm_migrator")


def test_a_named_image_and_per_concern_overrides() -> None:
    settings = MigrationSettings.model_validate(
        {
            "image": "registry.example/migrations:7",
            "command": ["alembic", "upgrade", "head"],
            "concerns": {"trading": {"enabled": False}, "audit": {"image": "registry.example/audit:1"}},
        }
    )
    plans = settings.plans(["crm", "trading", "audit"], [API])
    assert sorted(plans) == ["audit", "crm"]
    assert plans["crm"].image == "registry.example/migrations:7"
    assert plans["audit"].image == "registry.example/audit:1"
    assert plans["audit"].command == ("alembic", "upgrade", "head")
    assert MigrationSettings(enabled=False).plans(["crm"], [API]) == {}


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"command": []}, "has 0 arguments; allowed: 1 to 32 arguments"),
        ({"command": ["migrate", ""]}, "argument 1 ('') is blank"),
        ({"cpu": 300}, "is not a Fargate CPU size; allowed: 256, 512"),
        (
            {"cpu": 256, "memory_mb": 4096},
            "memory_mb: 4096 is not a Fargate memory size for cpu 256; allowed with cpu 256: 512, 1024, 2048 MiB",
        ),
        ({"concerns": {"ledger": {}}}, "ledger"),
        ({"comand": ["x"]}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_are_refused(given: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError) as raised:
        MigrationSettings.model_validate(given)
    assert words in str(raised.value)


def test_the_role_name_is_the_concerns() -> None:
    assert migration_username("payments") == "payments_migrator"
