"""Residency of a jurisdiction cell, decided before anything is registered.

:func:`check_residency` refuses a primary region, DR region or availability zone outside the cell's
jurisdiction (and every ``also_regulated_by`` jurisdiction) with a :class:`ResidencyError` naming the key
path, the value and the allowed regions; :func:`effective_jurisdiction` is the jurisdiction those checks
use, tightened by every regulator the cell also answers to; :func:`dr_vpc_settings` is the DR network the
cell builds. Pure functions: the cell's providers are only ever created for the two regions they accept.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from fintech_infra.config import CellConfig, VpcSettings
from fintech_infra.errors import ConfigError, ResidencyError, allowed, key_path
from fintech_infra.jurisdictions import Jurisdiction
from fintech_infra.vpc import resolve_zones

__all__ = [
    "check_regions",
    "check_residency",
    "dr_vpc_settings",
    "effective_jurisdiction",
    "region_problems",
]


def _label(cell: CellConfig) -> str:
    return " and ".join((cell.jurisdiction, *cell.also_regulated_by))


def effective_jurisdiction(name: str, cell: CellConfig, registry: Mapping[str, Jurisdiction]) -> Jurisdiction:
    """The cell's jurisdiction tightened by every ``also_regulated_by`` entry: shared regions, longest minimums."""
    at = key_path("cells", name)
    if cell.jurisdiction not in registry:
        raise ConfigError(f"{at}.jurisdiction: {cell.jurisdiction!r} is not a known jurisdiction; {allowed(registry)}")
    base = registry[cell.jurisdiction]
    others = []
    for index, code in enumerate(cell.also_regulated_by):
        if code not in registry:
            raise ConfigError(
                f"{key_path(at, 'also_regulated_by', index)}: {code!r} is not a known jurisdiction; {allowed(registry)}"
            )
        others.append(registry[code])
    if not others:
        return base
    rules = (base, *others)
    primary = tuple(r for r in base.primary_regions if all(r in o.primary_regions for o in others))
    dr = tuple(r for r in base.dr_regions if all(r in o.dr_regions for o in others))
    if not primary or not dr:
        raise ResidencyError(
            f"{at}.also_regulated_by: {list(cell.also_regulated_by)!r} leaves no region all of them permit; "
            f"allowed: jurisdictions whose regions overlap {base.code}'s"
        )
    return base.model_copy(
        update={
            "regulator": " + ".join(r.regulator for r in rules),
            "primary_regions": primary,
            "dr_regions": dr,
            "min_backup_retention_days": max(r.min_backup_retention_days for r in rules),
            "min_audit_log_retention_days": max(r.min_audit_log_retention_days for r in rules),
            "legal_reference": "; ".join(r.legal_reference for r in rules),
        }
    )


def dr_vpc_settings(name: str, cell: CellConfig) -> VpcSettings:
    """The DR VPC: ``dr_vpc`` if given, else the primary's shape on the next CIDR block of the same size."""
    if cell.dr_vpc is not None:
        return cell.dr_vpc
    network = cell.vpc.cidr
    following = ipaddress.IPv4Network((int(network.network_address) + network.num_addresses, network.prefixlen))
    if not following.is_private or following.network_address.packed[0] != network.network_address.packed[0]:
        raise ConfigError(
            f"{key_path('cells', name, 'dr_vpc')}: None cannot be derived from vpc.cidr {str(network)!r}; "
            "allowed: an explicit dr_vpc with its own cidr"
        )
    return VpcSettings(cidr=following, az_count=cell.vpc.zone_count, nat_gateways=cell.vpc.nat_gateways)


def _zone_problems(at: str, settings: VpcSettings, region: str, where: str) -> list[ConfigError]:
    for index, zone in enumerate(settings.availability_zones or ()):
        if not zone.startswith(region) or zone[len(region) :] not in tuple("abcdefgh"):
            return [
                ResidencyError(
                    f"{key_path(at, 'availability_zones', index)}: {zone!r} is outside the cell's {where} region "
                    f"{region!r}; allowed: availability zones of {region}"
                )
            ]
    try:
        resolve_zones(settings, region, path=at)
    except ConfigError as error:
        return [error]
    return []


def region_problems(name: str, cell: CellConfig, rules: Jurisdiction) -> list[ConfigError]:
    """Every problem with cell ``name``'s primary region, DR region, DR network and zones against ``rules``."""
    at = key_path("cells", name)
    problems: list[ConfigError] = []
    if cell.primary_region not in rules.primary_regions:
        problems.append(
            ResidencyError(
                f"{at}.primary_region: {cell.primary_region!r} is not permitted for {_label(cell)}; "
                f"{allowed(rules.primary_regions)}"
            )
        )
    if cell.dr_region is not None and cell.dr_region not in rules.dr_regions:
        problems.append(
            ResidencyError(
                f"{at}.dr_region: {cell.dr_region!r} is not permitted for {_label(cell)}; {allowed(rules.dr_regions)}"
            )
        )
    elif cell.dr_region is not None and cell.dr_region == cell.primary_region:
        problems.append(
            ResidencyError(
                f"{at}.dr_region: {cell.dr_region!r} is the primary region; a DR copy needs another region; "
                f"{allowed(r for r in rules.dr_regions if r != cell.primary_region)}"
            )
        )
    problems += _zone_problems(f"{at}.vpc", cell.vpc, cell.primary_region, "primary")
    if cell.dr_region is not None:
        try:
            dr_vpc = dr_vpc_settings(name, cell)
        except ConfigError as error:
            problems.append(error)
        else:
            problems += _zone_problems(f"{at}.dr_vpc", dr_vpc, cell.dr_region, "DR")
    elif cell.dr_vpc is not None:
        problems.append(
            ConfigError(f"{at}.dr_vpc: a DR network without dr_region is never built; allowed: set dr_region too")
        )
    return problems


def check_regions(name: str, cell: CellConfig, rules: Jurisdiction) -> None:
    """Cell ``name``'s primary region, DR region and zones against ``rules``; the first problem raises."""
    problems = region_problems(name, cell, rules)
    if problems:
        raise problems[0]


def check_residency(name: str, cell: CellConfig, registry: Mapping[str, Jurisdiction]) -> Jurisdiction:
    """The effective jurisdiction of cell ``name``, or the ResidencyError / ConfigError for its first problem."""
    rules = effective_jurisdiction(name, cell, registry)
    check_regions(name, cell, rules)
    return rules
