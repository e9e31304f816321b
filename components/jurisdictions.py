"""The jurisdiction registry: where each regulator's clients' data may live, and for how long it is kept.

One source of truth for the components (which refuse to build outside these regions) and for the policy
pack (which checks every resource's region and retention against the same data). A stack can extend or
override entries through its ``fintech-infra:jurisdictions`` config without editing the library; see
:meth:`JurisdictionRegistry.with_overrides`.

The region lists are deliberately conservative. They name the AWS regions inside the regulator's own
territory (or, for the UK, the territory that UK adequacy regulations cover) so that a primary or DR copy
never needs a transfer mechanism such as standard contractual clauses.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from fintech_infra.errors import ConfigError, allowed

__all__ = [
    "AWS_REGIONS",
    "DEFAULT_REGISTRY",
    "Jurisdiction",
    "JurisdictionOverride",
    "JurisdictionRegistry",
]

# Commercial-partition regions that exist today; a typo in a stack file is caught against this list.
AWS_REGIONS: frozenset[str] = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2",
        "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
        "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
        "eu-north-1", "eu-south-1", "eu-south-2",
        "il-central-1", "me-south-1", "me-central-1", "af-south-1",
        "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
        "ap-southeast-5", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    }
)  # fmt: skip

JurisdictionCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,30}$")]


def _check_regions(field: str, regions: tuple[str, ...]) -> None:
    unknown = [region for region in regions if region not in AWS_REGIONS]
    if unknown:
        raise ValueError(f"{field}: {unknown[0]!r} is not an AWS region; {allowed(sorted(AWS_REGIONS))}")


class Jurisdiction(BaseModel):
    """One regulator's residency and retention rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: JurisdictionCode = Field(description="Stable identifier used in config, tags and policy (e.g. `cysec`).")
    regulator: str = Field(min_length=2, description="The regulator's name as an auditor would write it.")
    primary_regions: tuple[str, ...] = Field(min_length=1, description="Regions a cell's primary copy may use.")
    dr_regions: tuple[str, ...] = Field(min_length=1, description="Regions a DR copy may use.")
    min_backup_retention_days: int = Field(ge=1, le=36500, description="Shortest backup retention allowed.")
    min_audit_log_retention_days: int = Field(
        ge=365, le=36500, description="Shortest retention for audit trails, flow logs and other evidence."
    )
    legal_reference: str = Field(min_length=5, description="The rules the entry encodes, for auditors.")

    @model_validator(mode="after")
    def _regions_exist(self) -> Jurisdiction:
        _check_regions("primary_regions", self.primary_regions)
        _check_regions("dr_regions", self.dr_regions)
        return self

    @property
    def permitted_regions(self) -> frozenset[str]:
        """Every region where this jurisdiction's data may live: primary and DR."""
        return frozenset(self.primary_regions) | frozenset(self.dr_regions)


class JurisdictionOverride(BaseModel):
    """A stack's change to one registry entry: fields left unset keep the library's value.

    A code the library does not know must give every field, which adds a new jurisdiction.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    regulator: str | None = None
    primary_regions: tuple[str, ...] | None = None
    dr_regions: tuple[str, ...] | None = None
    min_backup_retention_days: int | None = None
    min_audit_log_retention_days: int | None = None
    legal_reference: str | None = None


class JurisdictionRegistry(Mapping[str, Jurisdiction]):
    """An immutable mapping of jurisdiction code to :class:`Jurisdiction`."""

    def __init__(self, entries: Mapping[str, Jurisdiction]) -> None:
        self._entries = dict(sorted(entries.items()))

    def __getitem__(self, code: str) -> Jurisdiction:
        return self._entries[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"JurisdictionRegistry({', '.join(self._entries)})"

    def require(self, code: str, *, path: str = "jurisdiction") -> Jurisdiction:
        """The entry for ``code``, or a ConfigError naming the known codes."""
        try:
            return self._entries[code]
        except KeyError:
            raise ConfigError(f"{path}: {code!r} is not a known jurisdiction; {allowed(self._entries)}") from None

    def with_overrides(
        self, overrides: Mapping[str, JurisdictionOverride], *, path: str = "jurisdictions"
    ) -> JurisdictionRegistry:
        """A new registry with a stack's overrides applied; the library's entries are left untouched."""
        merged = dict(self._entries)
        for code, override in overrides.items():
            changes = override.model_dump(exclude_none=True)
            base: dict[str, Any] = merged[code].model_dump() if code in merged else {"code": code}
            try:
                merged[code] = Jurisdiction.model_validate({**base, **changes})
            except ValidationError as error:
                problem = error.errors()[0]
                field = ".".join(str(part) for part in problem["loc"])
                where = f"{path}.{code}.{field}" if field else f"{path}.{code}"
                raise ConfigError(f"{where}: {problem['msg']}") from None
        return JurisdictionRegistry(merged)

    def as_data(self) -> dict[str, dict[str, Any]]:
        """Plain JSON-ready data, for the policy pack's config and for docs."""
        return {code: entry.model_dump(mode="json") for code, entry in self._entries.items()}


_EU_REGIONS = ("eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "eu-south-1", "eu-south-2")

DEFAULT_REGISTRY = JurisdictionRegistry(
    {
        "eu-gdpr": Jurisdiction(
            code="eu-gdpr",
            regulator="EU GDPR (EEA supervisory authorities)",
            primary_regions=_EU_REGIONS,
            dr_regions=_EU_REGIONS,
            min_backup_retention_days=90,
            min_audit_log_retention_days=1825,
            legal_reference=(
                "GDPR (EU) 2016/679 Art. 32 and Chapter V (Art. 44-49); DORA (EU) 2022/2554 Art. 12; "
                "MiFID II Delegated Reg. (EU) 2017/565 Art. 72 (5-year records)"
            ),
        ),
        "cysec": Jurisdiction(
            code="cysec",
            regulator="Cyprus Securities and Exchange Commission (CySEC)",
            primary_regions=("eu-central-1", "eu-south-1", "eu-west-1"),
            dr_regions=("eu-central-1", "eu-south-1", "eu-west-1"),
            min_backup_retention_days=90,
            min_audit_log_retention_days=1825,
            legal_reference=(
                "Cyprus Law 87(I)/2017 (MiFID II) s.17 and Delegated Reg. (EU) 2017/565 Art. 72-76 "
                "(5-year records); GDPR Chapter V; DORA Art. 12"
            ),
        ),
        "asic": Jurisdiction(
            code="asic",
            regulator="Australian Securities and Investments Commission (ASIC)",
            primary_regions=("ap-southeast-2", "ap-southeast-4"),
            dr_regions=("ap-southeast-2", "ap-southeast-4"),
            min_backup_retention_days=90,
            min_audit_log_retention_days=2555,
            legal_reference=(
                "Corporations Act 2001 s.286 and s.988E (7-year records); ASIC Market Integrity Rules; "
                "Privacy Act 1988 APP 8; APRA CPS 230 and CPS 234"
            ),
        ),
        "fca": Jurisdiction(
            code="fca",
            regulator="Financial Conduct Authority (FCA, United Kingdom)",
            primary_regions=("eu-west-2",),
            # The UK has one AWS region; UK GDPR Art. 45 with DPA 2018 Sch. 21 para. 5 (EEA adequacy)
            # lets the DR copy sit in an EEA region without further transfer safeguards.
            dr_regions=("eu-west-1", "eu-central-1"),
            min_backup_retention_days=90,
            min_audit_log_retention_days=1825,
            legal_reference=(
                "FCA SYSC 9.1 (5-year records) and SYSC 8 / PRA SS2/21 (outsourcing); "
                "UK GDPR Art. 45 with DPA 2018 Sch. 21 (EEA adequacy)"
            ),
        ),
        "sec-finra": Jurisdiction(
            code="sec-finra",
            regulator="US SEC and FINRA",
            primary_regions=("us-east-1", "us-east-2", "us-west-2"),
            dr_regions=("us-east-1", "us-east-2", "us-west-2"),
            min_backup_retention_days=90,
            min_audit_log_retention_days=2190,
            legal_reference="SEC Rule 17a-4(b) and (f) (6-year WORM records); FINRA Rule 4511; Reg S-P",
        ),
    }
)
