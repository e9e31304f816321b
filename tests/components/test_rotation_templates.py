"""The rotation templates: the elasticache-user handler, run against fake AWS clients."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from fintech_infra.rotation_templates import ELASTICACHE_HANDLER

USER_ARN = "arn:aws:elasticache:eu-central-1:123456789012:user:eu-cache-app"


class _NotFound(Exception):
    pass


class _FakeSecrets:
    exceptions = types.SimpleNamespace(ResourceNotFoundException=_NotFound)

    def __init__(self) -> None:
        current = {"username": "app", "password": "old-password", "user_arn": USER_ARN}
        self.values = {"v1": json.dumps(current)}
        self.stages = {"v1": ["AWSCURRENT"], "v2": ["AWSPENDING"]}
        self.rotation_enabled = True

    def describe_secret(self, SecretId: str) -> dict[str, Any]:
        return {"RotationEnabled": self.rotation_enabled, "VersionIdsToStages": self.stages}

    def get_secret_value(self, SecretId: str, VersionStage: str, VersionId: str | None = None) -> dict[str, Any]:
        for version, stages in self.stages.items():
            if VersionStage in stages and VersionId in (None, version) and version in self.values:
                return {"SecretString": self.values[version]}
        raise _NotFound(VersionStage)

    def get_random_password(self, **request: Any) -> dict[str, Any]:
        assert request == {"PasswordLength": 64, "ExcludePunctuation": True, "RequireEachIncludedType": True}
        return {"RandomPassword": "new-password"}

    def put_secret_value(self, SecretId: str, ClientRequestToken: str, SecretString: str, VersionStages: list[str]):
        assert VersionStages == ["AWSPENDING"]
        self.values[ClientRequestToken] = SecretString

    def update_secret_version_stage(self, SecretId: str, VersionStage: str, MoveToVersionId: str, RemoveFromVersionId):
        self.stages[RemoveFromVersionId].remove(VersionStage)
        self.stages[MoveToVersionId].append(VersionStage)


class _FakeCache:
    def __init__(self) -> None:
        self.modified: list[dict[str, Any]] = []

    def describe_users(self, UserId: str) -> dict[str, Any]:
        assert UserId == "eu-cache-app"
        return {"Users": [{"Status": "active"}]}

    def modify_user(self, **request: Any) -> None:
        self.modified.append(request)


@pytest.fixture()
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[types.ModuleType, _FakeSecrets, _FakeCache]]:
    secrets, cache = _FakeSecrets(), _FakeCache()
    regions: list[str] = []

    def client(service: str, **kwargs: Any) -> Any:
        if service == "secretsmanager":
            assert kwargs == {"endpoint_url": "https://secretsmanager.eu-central-1.amazonaws.com"}
            return secrets
        regions.append(kwargs["region_name"])
        return cache

    monkeypatch.setitem(sys.modules, "boto3", types.SimpleNamespace(client=client))
    monkeypatch.setenv("SECRETS_MANAGER_ENDPOINT", "https://secretsmanager.eu-central-1.amazonaws.com")
    module = types.ModuleType("rotation_handler")
    exec(compile(ELASTICACHE_HANDLER, "index.py", "exec"), module.__dict__)  # our own source, the function's code
    yield module, secrets, cache
    assert set(regions) <= {"eu-central-1"}


def test_handler_rotates_in_four_steps_keeping_the_old_password_valid(handler) -> None:
    module, secrets, cache = handler
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        module.handler({"SecretId": "arn:secret", "ClientRequestToken": "v2", "Step": step}, None)
    pending = json.loads(secrets.values["v2"])
    assert pending == {"username": "app", "password": "new-password", "user_arn": USER_ARN}
    assert cache.modified == [{"UserId": "eu-cache-app", "Passwords": ["new-password", "old-password"]}]
    assert secrets.stages == {"v1": [], "v2": ["AWSPENDING", "AWSCURRENT"]}
    # Once current, the same token is a no-op.
    module.handler({"SecretId": "arn:secret", "ClientRequestToken": "v2", "Step": "setSecret"}, None)
    assert len(cache.modified) == 1


def test_handler_refuses_unrotatable_secrets_without_echoing_values(handler) -> None:
    module, secrets, _ = handler
    secrets.values["v1"] = "not json: s3cr3t"
    with pytest.raises(ValueError, match=r"^the secret value is not JSON$"):
        module.handler({"SecretId": "arn:secret", "ClientRequestToken": "v2", "Step": "createSecret"}, None)
    secrets.rotation_enabled = False
    with pytest.raises(ValueError, match=r"^rotation is not enabled for this secret$"):
        module.handler({"SecretId": "arn:secret", "ClientRequestToken": "v2", "Step": "createSecret"}, None)
