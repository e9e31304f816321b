"""Shared test helpers for component tests."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_aws as aws

from fintech_infra.errors import ConfigError
from fintech_infra.testing import Recording, synthesize


def rejected(
    build: Callable[[pulumi.ProviderResource], object], *, region: str = "eu-central-1"
) -> tuple[list[str], Recording]:
    """Build a component that must refuse its input: the error texts, and the recording (which must be empty)."""
    errors: list[str] = []

    def program() -> None:
        provider = aws.Provider("eu", region=region)
        try:
            build(provider)
        except ConfigError as error:
            errors.append(str(error))

    return errors, synthesize(program)
