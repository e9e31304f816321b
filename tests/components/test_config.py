"""StackConfig: every invalid input is one ConfigError naming key path, bad value and what is allowed."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from fintech_infra.config import (
    DataConcern,
    EcsSettings,
    RecoveryObjectives,
    StackConfig,
    default_objectives,
)
from fintech_infra.errors import ConfigError
from fintech_infra.testing import synthesize
from fintech_infra.validation import load_stack_config, read_pulumi_config, validate_stack_config

VALID: dict[str, Any] = {
    "environment": "prod",
    "tags": {"owner": "platform", "cost_center": "cc-100"},
    "cells": {
        "cy": {
            "jurisdiction": "cysec",
            "primary_region": "eu-central-1",
            "dr_region": "eu-west-1",
            "entities": [{"name": "cysec-cy", "legal_name": "Example CY Ltd", "hostname": "api.cy.example.com"}],
            "concerns": [{"concern": "crm"}, {"concern": "trading", "engine": "aurora"}],
        }
    },
}


def config_with(**changes: Any) -> dict[str, Any]:
    """VALID with dotted-path changes applied, e.g. ``{"cells.cy.dr_region": "us-east-1"}``."""
    data = copy.deepcopy(VALID)
    for dotted, value in changes.items():
        target: Any = data
        *parents, last = dotted.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value
    return data


def error_for(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(raw)
    return str(caught.value)


def test_valid_config_loads_with_defaults_resolved() -> None:
    config = load_stack_config(VALID)
    assert isinstance(config, StackConfig)
    cell = config.cells["cy"]
    assert cell.vpc.nat_gateways == "one_per_az"
    assert cell.key_deletion_window_days == 30
    assert [db.concern for db in cell.concerns] == [DataConcern.CRM, DataConcern.TRADING]
    # Objectives not given in the file take the environment's defaults.
    assert cell.concerns[1].objectives == RecoveryObjectives(rpo_seconds=60, rto_seconds=900)
    assert cell.concerns[0].objectives == RecoveryObjectives(rpo_seconds=900, rto_seconds=900)
    # In prod an rds-instance concern with a DR region keeps a promotable replica unless the file says not.
    assert cell.concerns[0].dr_read_replica is True


def test_unknown_key_names_path_and_allowed_keys() -> None:
    message = error_for(config_with(**{"cells.cy.concerns.0": {"concern": "crm", "size": "big"}}))
    assert message.startswith("invalid stack config: cells.cy.concerns[0].size: unknown key; allowed: concern, engine,")


def test_unknown_top_level_key() -> None:
    message = error_for({**VALID, "region": "eu-west-1"})
    assert message.startswith("invalid stack config: region: unknown key; allowed: environment, tags, deployment,")


def test_wrong_type_names_path_and_value() -> None:
    message = error_for(config_with(**{"cells.cy.redis": {"nodes": "two"}}))
    assert message == (
        "invalid stack config: cells.cy.redis.nodes: 'two' (a string) is not an integer; allowed: 2 to 6"
    )


def test_region_the_jurisdiction_does_not_permit() -> None:
    message = error_for(config_with(**{"cells.cy.dr_region": "us-east-1"}))
    assert message == (
        "invalid stack config: cells.cy.dr_region: 'us-east-1' is not permitted for cysec; "
        "allowed: eu-central-1, eu-south-1, eu-west-1"
    )


def test_primary_region_not_permitted() -> None:
    message = error_for(config_with(**{"cells.cy.primary_region": "eu-west-2"}))
    assert "cells.cy.primary_region: 'eu-west-2' is not permitted for cysec; allowed: " in message


def test_dr_region_equal_to_primary_is_refused() -> None:
    message = error_for(config_with(**{"cells.cy.dr_region": "eu-central-1"}))
    assert "cells.cy.dr_region: 'eu-central-1' is the primary region" in message


def test_not_an_aws_region() -> None:
    message = error_for(config_with(**{"cells.cy.primary_region": "eu-central-9"}))
    assert message.startswith("invalid stack config: cells.cy.primary_region: 'eu-central-9' is not an AWS region")


def test_unknown_jurisdiction() -> None:
    message = error_for(config_with(**{"cells.cy.jurisdiction": "mars"}))
    assert message == (
        "invalid stack config: cells.cy.jurisdiction: 'mars' is not a known jurisdiction; "
        "allowed: asic, cysec, eu-gdpr, fca, sec-finra"
    )


def test_concern_listed_twice() -> None:
    message = error_for(config_with(**{"cells.cy.concerns": [{"concern": "crm"}, {"concern": "crm"}]}))
    assert message == (
        "invalid stack config: cells.cy.concerns[1].concern: 'crm' is listed twice "
        "(first at concerns[0]); each concern gets its own database"
    )


def test_unknown_concern_lists_the_four() -> None:
    message = error_for(config_with(**{"cells.cy.concerns": [{"concern": "loans"}]}))
    assert message == (
        "invalid stack config: cells.cy.concerns[0].concern: 'loans' is not one of the choices; "
        "allowed: crm, trading, payments, audit"
    )


def test_every_problem_is_reported_in_one_error() -> None:
    raw = config_with(**{"cells.cy.dr_region": "us-east-1", "cells.cy.concerns": [{"concern": "crm"}] * 2})
    with pytest.raises(ConfigError) as caught:
        load_stack_config(raw)
    assert len(caught.value.problems) == 2
    assert str(caught.value).splitlines()[0] == "invalid stack config (2 problems):"


def test_prod_refuses_single_nat_and_single_az_database() -> None:
    raw = config_with(
        **{"cells.cy.vpc": {"nat_gateways": "single"}, "cells.cy.concerns": [{"concern": "crm", "multi_az": False}]}
    )
    with pytest.raises(ConfigError) as caught:
        load_stack_config(raw)
    problems = set(caught.value.problems)
    assert problems == {
        "cells.cy.concerns[0].multi_az: False is not allowed in prod; allowed: True",
        "cells.cy.vpc.nat_gateways: 'single' is not allowed in prod; allowed: one_per_az",
    }


def test_dev_may_relax_with_explicit_arguments() -> None:
    raw = config_with(environment="dev", **{"cells.cy.vpc": {"nat_gateways": "single"}})
    raw["environment"] = "dev"
    config = load_stack_config(raw)
    assert config.cells["cy"].vpc.nat_gateways == "single"
    assert config.cells["cy"].concerns[0].objectives == default_objectives("dev", DataConcern.CRM)


def test_public_vpc_cidr_refused() -> None:
    message = error_for(config_with(**{"cells.cy.vpc": {"cidr": "8.8.0.0/16"}}))
    assert message == "invalid stack config: cells.cy.vpc.cidr: '8.8.0.0/16' must be a private (RFC 1918) range"


def test_eks_public_endpoint_open_to_world_refused() -> None:
    message = error_for(config_with(**{"cells.cy.compute": {"kind": "eks", "public_endpoint_cidrs": ["0.0.0.0/0"]}}))
    assert "cells.cy.compute: " in message and "may not contain '0.0.0.0/0'" in message


def test_duplicate_hostname_across_cells() -> None:
    raw = copy.deepcopy(VALID)
    raw["cells"]["cy2"] = copy.deepcopy(raw["cells"]["cy"])
    raw["cells"]["cy2"]["entities"][0]["name"] = "cysec-cy2"
    message = error_for(raw)
    assert (
        "cells.cy2.entities[0].hostname: 'api.cy.example.com' is already used at cells.cy.entities[0].hostname"
        in message
    )


def test_registry_override_adds_a_region_per_stack() -> None:
    raw = config_with(**{"cells.cy.dr_region": "eu-north-1"})
    raw["jurisdictions"] = {"cysec": {"dr_regions": ["eu-west-1", "eu-north-1"]}}
    config = load_stack_config(raw)
    assert config.registry["cysec"].dr_regions == ("eu-west-1", "eu-north-1")


def test_stack_needs_cells_zones_or_routing() -> None:
    message = error_for({"environment": "prod", "tags": VALID["tags"]})
    assert message == (
        "invalid stack config: (stack): a stack needs `cells`, `zones`, `routing` or `repository`; none is set"
    )


def test_config_is_read_from_pulumi_config_before_any_resource() -> None:
    registered: list[str] = []

    def program() -> None:
        def note(args: pulumi.ResourceTransformationArgs) -> None:
            registered.append(args.name)

        pulumi.runtime.register_stack_transformation(note)
        load_stack_config(read_pulumi_config())
        aws.s3.Bucket("never")

    bad = config_with(**{"cells.cy.dr_region": "us-east-1"})
    full = {f"fintech-infra:{key}": value for key, value in bad.items()}
    with pytest.raises(ConfigError, match=r"cells\.cy\.dr_region: 'us-east-1' is not permitted for cysec"):
        synthesize(program, config=full)
    assert registered == []


def test_non_prod_cell_without_dr_region_defaults_to_zone_scope() -> None:
    raw = copy.deepcopy(VALID)
    raw["environment"] = "dev"
    del raw["cells"]["cy"]["dr_region"]
    objectives = load_stack_config(raw).cells["cy"].concerns[0].objectives
    assert objectives is not None and objectives.scope == "zone"
    raw["environment"] = "prod"
    # Prod objectives always cover region loss, which a cell without a DR region cannot meet: refused up front.
    with pytest.raises(ConfigError) as caught:
        load_stack_config(raw)
    assert caught.value.problems[0] == (
        "cells.cy.concerns[0].objectives.scope: 'region' needs a DR region, and cells.cy.dr_region is not set; "
        "set cells.cy.dr_region to a region the jurisdiction permits, or set objectives.scope: zone to accept "
        "losing the data with the region"
    )


def test_region_outside_the_jurisdiction_is_a_residency_error() -> None:
    from fintech_infra.errors import ResidencyError

    with pytest.raises(ResidencyError):
        load_stack_config(config_with(**{"cells.cy.dr_region": "us-east-1"}))
    with pytest.raises(ConfigError) as caught:
        load_stack_config(config_with(**{"cells.cy.concerns": [{"concern": "crm"}] * 2}))
    assert not isinstance(caught.value, ResidencyError)


SERVICE_IMAGE = "111111111111.dkr.ecr.eu-central-1.amazonaws.com/app@sha256:" + "a" * 64


def _services(*names: str) -> dict[str, Any]:
    return {"kind": "ecs", "services": [{"name": name, "image": SERVICE_IMAGE} for name in names]}


def test_service_names_are_distinct_and_never_the_rotation_label() -> None:
    # Each service's group is admitted under its name: two services with one name, or one called `rotation`
    # (the label the data stores admit their rotation function under), would share an ingress rule.
    message = error_for(config_with(**{"cells.cy.compute": _services("api", "api")}))
    assert message == (
        "invalid stack config: cells.cy.compute.services[1].name: 'api' is listed twice (first at services[0]); "
        "each service's resources are named after it, so allowed: a name no other service of the cell has"
    )
    message = error_for(config_with(**{"cells.cy.compute": _services("api", "rotation")}))
    assert message == (
        "invalid stack config: cells.cy.compute.services[1].name: 'rotation' is taken by the data stores' "
        "rotation function; allowed: any other name"
    )


def test_a_service_reaches_the_cache_only_when_it_says_so() -> None:
    config = load_stack_config(
        config_with(**{"cells.cy.compute": _services("api"), "deployment": {"account_id": "111111111111"}})
    )
    compute = config.cells["cy"].compute
    assert isinstance(compute, EcsSettings)
    (service,) = compute.services
    assert service.cache is False and service.concerns == ()


ECR_IMAGE = "111111111111.dkr.ecr.eu-central-1.amazonaws.com/api@sha256:" + "b" * 64


def _with_services(raw: dict[str, Any], image: str) -> dict[str, Any]:
    raw["deployment"] = {"account_id": "111111111111"}
    raw["cells"]["cy"]["compute"] = {"kind": "ecs", "services": [{"name": "api", "image": image}]}
    return raw


@pytest.mark.parametrize(
    "image",
    [
        "registry.example.com/acme/api@sha256:" + "c" * 64,  # not ECR at all
        "222222222222.dkr.ecr.eu-central-1.amazonaws.com/api@sha256:" + "c" * 64,  # another account's registry
        "111111111111.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:" + "c" * 64,  # not the primary region's registry
    ],
)
def test_a_dr_cells_images_must_be_replicable_from_its_primary_registry(image: str) -> None:
    message = error_for(_with_services(config_with(), image))
    assert message == (
        f"invalid stack config: cells.cy.compute.services[0].image: {image!r} is not an ECR image of this account "
        "in eu-central-1; allowed: 111111111111.dkr.ecr.eu-central-1.amazonaws.com/<repository>@sha256:<digest> "
        "(a cell with a DR region runs its standby from the DR region's registry, which ECR replication fills from "
        "this account's registry in the primary region only)"
    )
    without_dr = _with_services(config_with(environment="staging"), image)  # prod refuses a cell without DR
    del without_dr["cells"]["cy"]["dr_region"]
    assert load_stack_config(without_dr).cells["cy"].dr_region is None  # nothing to replicate to


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_staging_and_prod_run_only_images_pinned_by_digest(environment: str) -> None:
    tagged = "111111111111.dkr.ecr.eu-central-1.amazonaws.com/api:1.4.2"
    message = error_for(_with_services(config_with(environment=environment), tagged))
    assert message == (
        f"invalid stack config: cells.cy.compute.services[0].image: {tagged!r} is not pinned by digest; allowed in "
        f"{environment}: <registry>/<repository>@sha256:<64 hex digits> (the digest the image scan passed; a tag can "
        "later name other bytes)"
    )
    assert load_stack_config(_with_services(config_with(environment=environment), ECR_IMAGE))


def test_dev_may_run_a_tag() -> None:
    raw = _with_services(config_with(environment="dev"), "111111111111.dkr.ecr.eu-central-1.amazonaws.com/api:dev")
    del raw["cells"]["cy"]["dr_region"]
    assert load_stack_config(raw).cells["cy"].compute.services[0].image.endswith(":dev")


def test_drift_reconcile_is_for_non_production_stacks_only() -> None:
    assert load_stack_config(config_with(environment="staging", drift={"reconcile": True})).drift.reconcile is True
    assert load_stack_config(VALID).drift.reconcile is False  # the default only reports
    assert error_for(config_with(drift={"reconcile": True})) == (
        "invalid stack config: drift.reconcile: true in a prod stack; allowed: false (production drift is "
        "investigated through its issue and fixed by a reviewed change, never overwritten on a schedule)"
    )


# -- alert tiers: subscriptions per tier, HTTPS endpoints only as secure: values -------------------------------

PAGER = "https://events.pagerduty.com/integration/0123456789abcdef/enqueue"


def _alarm_error(subscriptions: dict[str, Any], *, secret: bool = True) -> str:
    raw = config_with(**{"cells.cy.alarms": {"subscriptions": subscriptions}})
    values = {f"fintech-infra:{key}": value for key, value in raw.items()}
    with pytest.raises(ConfigError) as caught:
        validate_stack_config(values, secret_keys=("fintech-infra:cells",) if secret else ())
    return str(caught.value)


def test_https_endpoint_from_secure_config_loads() -> None:
    raw = config_with(**{"cells.cy.alarms": {"subscriptions": {"critical": {"https_endpoints": [PAGER]}}}})
    config = validate_stack_config(
        {f"fintech-infra:{key}": value for key, value in raw.items()}, secret_keys=("fintech-infra:cells",)
    )
    assert config.cells["cy"].alarms.subscriptions["critical"].https_endpoints == (PAGER,)


def test_https_endpoint_that_is_not_https_is_refused_without_printing_it() -> None:
    message = _alarm_error({"critical": {"https_endpoints": ["http://events.example.com/integration/key123/x"]}})
    assert message == (
        "invalid stack config: cells.cy.alarms.subscriptions.critical.https_endpoints[0]: [value hidden] is not an "
        "https:// URL; allowed: an https://host/path URL such as the CloudWatch integration URL PagerDuty or "
        "Opsgenie gives, set with `pulumi config set --secret --path`"
    )
    assert "key123" not in message


def test_https_endpoint_in_plain_config_is_refused_without_printing_it() -> None:
    message = _alarm_error({"critical": {"https_endpoints": [PAGER]}}, secret=False)
    assert message.startswith(
        "invalid stack config: cells.cy.alarms.subscriptions.critical.https_endpoints[0]: [value hidden] holds an "
        "alarm HTTPS endpoint (it embeds the paging integration's key); plaintext credentials are refused"
    )
    assert "0123456789abcdef" not in message


def test_unknown_tier_and_bad_tier_email_name_their_keys() -> None:
    assert "cells.cy.alarms.subscriptions.page" in _alarm_error({"page": {"email_endpoints": ["a@example.com"]}})
    assert _alarm_error({"warning": {"email_endpoints": ["team"]}}) == (
        "invalid stack config: cells.cy.alarms.subscriptions.warning.email_endpoints[0]: 'team' is not an e-mail "
        "address; allowed: name@domain, e.g. oncall@example.com"
    )
