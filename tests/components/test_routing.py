"""RoutingManifest: per-entity SSM parameters and ConfigMaps that only describe their own cell."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from fintech_infra._component import FintechComponent
from fintech_infra.config import DataConcern, EntitySettings
from fintech_infra.errors import ResidencyError
from fintech_infra.routing import (
    CONFIG_MAP_NAME,
    CacheRoute,
    DatabaseRoute,
    KubernetesTarget,
    RoutingManifest,
    manifest_document,
    manifest_problems,
    parameter_name,
)
from fintech_infra.testing import Recording, synthesize
from fintech_infra.wiring import KeyRef

REGION = "eu-central-1"
PERMITTED = ("eu-central-1", "eu-west-1")
PARAMETER = "aws:ssm/parameter:Parameter"
KEY = KeyRef(arn="arn:aws:kms:eu-central-1:123456789012:key/platform", alias="alias/eu/platform")
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
ENTITIES = (
    EntitySettings(name="cysec-cy", legal_name="Example (Cyprus) Ltd", hostname="api.cy.example.com"),
    EntitySettings(name="eu-nl", legal_name="Example Europe B.V.", hostname="api.eu.example.com"),
)
SECRET = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!db-1"


class _Cell(FintechComponent):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:cell:Cell", name, opts, scope={"Jurisdiction": "cysec"})


class _Store(FintechComponent):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:store:Store", name, opts)


def _routes(owner: pulumi.Resource, *, region: str = REGION) -> tuple[list[DatabaseRoute], CacheRoute]:
    databases = []
    for concern in (DataConcern.TRADING, DataConcern.CRM):
        store = _Store(f"db-{concern.value}", opts=pulumi.ResourceOptions(parent=owner))
        databases.append(
            DatabaseRoute(
                concern=concern,
                writer=f"{concern.value}.cmock.{region}.rds.amazonaws.com",
                reader=f"{concern.value}-ro.cmock.{region}.rds.amazonaws.com",
                port=5432,
                secret_arn=SECRET.replace(REGION, region),
                source=store,
            )
        )
    cache = _Store("cache", opts=pulumi.ResourceOptions(parent=owner))
    return databases, CacheRoute(
        primary="master.cache.euc1.cache.amazonaws.com",
        reader="replica.cache.euc1.cache.amazonaws.com",
        port=6379,
        auth_secret_arn=None,
        source=cache,
    )


def _program() -> None:
    provider = aws.Provider("eu", region=REGION)
    cluster = k8s.Provider("k8s", kubeconfig="{}")
    cell = _Cell("eu", opts=pulumi.ResourceOptions(providers={"aws": provider}))
    databases, cache = _routes(cell)
    manifest = RoutingManifest(
        "eu-routing",
        cell="eu",
        owner=cell,
        jurisdiction="cysec",
        role="primary",
        region=REGION,
        permitted_regions=PERMITTED,
        entities=ENTITIES,
        databases=databases,
        cache=cache,
        key=KEY,
        kubernetes=KubernetesTarget(provider=cluster, namespaces=("trading", "crm")),
        opts=pulumi.ResourceOptions(parent=cell),
    )
    pulumi.export("documents", manifest.documents)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return synthesize(_program)


def _value(recording: Recording, entity: str) -> dict[str, Any]:
    parameter = recording.named(f"eu-routing-ssm-{entity}", PARAMETER)
    document: dict[str, Any] = json.loads(
        parameter.inputs["value"]["value"]
    )  # a SecureString: the engine wraps secrets
    return document


def test_each_parameter_is_a_securestring_under_the_cells_key(recording: Recording) -> None:
    for parameter in recording.of_type(PARAMETER):
        assert parameter.inputs["type"] == "SecureString" and parameter.inputs["keyId"] == KEY.arn
        assert "insecureValue" not in parameter.inputs  # the provider refuses it with SecureString


def test_one_parameter_per_entity_at_the_fixed_path(recording: Recording) -> None:
    parameters = recording.of_type(PARAMETER)
    assert sorted(p.inputs["name"] for p in parameters) == [
        "/fintech-infra/eu/routing/cysec-cy",
        "/fintech-infra/eu/routing/eu-nl",
    ]
    assert parameter_name("eu", "eu-nl") == "/fintech-infra/eu/routing/eu-nl"


def test_parameters_are_intelligently_tiered_in_the_cells_region(recording: Recording) -> None:
    for parameter in recording.of_type(PARAMETER):
        assert parameter.inputs["tier"] == "Intelligent-Tiering"
        assert parameter.region == REGION


def test_document_names_entity_endpoints_and_secrets(recording: Recording) -> None:
    document = _value(recording, "cysec-cy")
    assert document["schema"] == 1
    assert document["cell"] == "eu"
    assert document["jurisdiction"] == "cysec"
    assert document["role"] == "primary"
    assert document["region"] == REGION
    assert document["entity"] == {
        "name": "cysec-cy",
        "legal_name": "Example (Cyprus) Ltd",
        "hostname": "api.cy.example.com",
    }
    assert sorted(document["databases"]) == ["crm", "trading"]
    assert document["databases"]["trading"] == {
        "writer": "trading.cmock.eu-central-1.rds.amazonaws.com",
        "reader": "trading-ro.cmock.eu-central-1.rds.amazonaws.com",
        "port": 5432,
        "secret_arn": SECRET,
    }
    assert document["cache"]["primary"] == "master.cache.euc1.cache.amazonaws.com"
    assert document["cache"]["port"] == 6379
    assert _value(recording, "eu-nl")["entity"]["hostname"] == "api.eu.example.com"


def test_config_map_in_every_namespace(recording: Recording) -> None:
    maps = recording.of_type(CONFIG_MAP)
    assert sorted(m.inputs["metadata"]["namespace"] for m in maps) == ["crm", "trading"]
    for config_map in maps:
        assert config_map.inputs["metadata"]["name"] == CONFIG_MAP_NAME
        assert config_map.inputs["metadata"]["labels"]["fintech-infra/jurisdiction"] == "cysec"
        assert sorted(config_map.inputs["data"]) == ["cysec-cy.json", "eu-nl.json"]
        assert json.loads(config_map.inputs["data"]["eu-nl.json"])["entity"]["name"] == "eu-nl"
        assert config_map.provider is not None and config_map.provider.endswith("::k8s")


def test_exports_documents(recording: Recording) -> None:
    assert set(recording.exports["documents"]) == {"cysec-cy", "eu-nl"}


def _foreign_program(errors: list[Exception]) -> None:
    provider = aws.Provider("eu", region=REGION)
    cell = _Cell("eu", opts=pulumi.ResourceOptions(providers={"aws": provider}))
    other = _Cell("au")
    databases, cache = _routes(cell)
    stranger = _Store("au-db-trading", opts=pulumi.ResourceOptions(parent=other))
    databases[0] = DatabaseRoute(
        concern=DataConcern.TRADING, writer="w", reader="r", port=5432, secret_arn=None, source=stranger
    )
    try:
        RoutingManifest(
            "eu-routing",
            cell="eu",
            owner=cell,
            jurisdiction="cysec",
            role="primary",
            region=REGION,
            permitted_regions=PERMITTED,
            entities=ENTITIES,
            databases=databases,
            cache=cache,
            key=KEY,
            opts=pulumi.ResourceOptions(parent=cell),
        )
    except ResidencyError as error:
        errors.append(error)


def test_another_cells_database_is_refused_before_registration() -> None:
    errors: list[Exception] = []
    recording = synthesize(lambda: _foreign_program(errors))
    assert [str(error) for error in errors] == [
        "routing manifest of cell 'eu': databases.trading comes from 'au-db-trading', which is not part of "
        "cell 'eu'; allowed: this cell's own components"
    ]
    assert recording.of_type(RoutingManifest.TYPE) == []
    assert recording.of_type(PARAMETER) == []


def _out_of_region_program() -> None:
    provider = aws.Provider("eu", region=REGION)
    cell = _Cell("eu", opts=pulumi.ResourceOptions(providers={"aws": provider}))
    databases, cache = _routes(cell, region="us-east-1")
    RoutingManifest(
        "eu-routing",
        cell="eu",
        owner=cell,
        jurisdiction="cysec",
        role="primary",
        region=REGION,
        permitted_regions=PERMITTED,
        entities=ENTITIES[:1],
        databases=databases[:1],
        cache=cache,
        key=KEY,
        opts=pulumi.ResourceOptions(parent=cell),
    )


def test_endpoint_in_a_foreign_region_fails_the_deployment() -> None:
    # The SDK wraps the apply's ResidencyError while serializing the parameter value; the text is kept.
    with pytest.raises(ValueError) as raised:
        synthesize(_out_of_region_program)
    assert str(raised.value).endswith(
        "routing manifest eu/cysec-cy: databases.trading.writer is in region 'us-east-1'; "
        "allowed: eu-central-1, eu-west-1; databases.trading.reader is in region 'us-east-1'; "
        "allowed: eu-central-1, eu-west-1; databases.trading.secret_arn is in region 'us-east-1'; "
        "allowed: eu-central-1, eu-west-1"
    )


def test_manifest_problems_reads_arn_and_rds_regions() -> None:
    document = manifest_document(
        cell="uk",
        jurisdiction="fca",
        role="dr",
        region="eu-west-1",
        entity=ENTITIES[0],
        databases={
            "crm": {"writer": "x.cmock.eu-west-1.rds.amazonaws.com", "secret_arn": "arn:aws:kms:ap-southeast-2:1:key/k"}
        },
        cache=None,
    )
    assert manifest_problems(document, permitted_regions=("eu-west-2", "eu-west-1")) == [
        "databases.crm.secret_arn is in region 'ap-southeast-2'; allowed: eu-west-2, eu-west-1"
    ]
    assert document["cache"] is None
    assert document["role"] == "dr"
