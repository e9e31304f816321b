"""The AnalyzeStack request lists resources in an order the engine could have used, the same on every run."""

from __future__ import annotations

import random
from dataclasses import replace

from fintech_infra.testing import Recording
from fintech_infra_gate.requests import engine_order, stack_request


def test_stack_request_does_not_depend_on_registration_order(dev: Recording) -> None:
    expected = stack_request(dev).SerializeToString(deterministic=True)
    for seed in range(3):
        shuffled = replace(dev, resources=tuple(random.Random(seed).sample(dev.resources, len(dev.resources))))
        assert stack_request(shuffled).SerializeToString(deterministic=True) == expected


def test_engine_order_puts_parents_providers_and_dependencies_first(dev: Recording) -> None:
    ordered = engine_order(dev.resources)
    assert sorted(r.urn for r in ordered) == sorted(r.urn for r in dev.resources)
    position = {resource.urn: index for index, resource in enumerate(ordered)}
    topic = dev.named("eu-alerts")
    assert position[dev.named("eu").urn] < position[topic.urn]
    assert topic.provider is not None and position[topic.provider] < position[topic.urn]
    assert position[dev.named("eu-key").urn] < position[topic.urn]  # kmsMasterKeyId reads the key's ARN
    secret_version = dev.named("webhook-v1")
    assert position[dev.named("webhook").urn] < position[secret_version.urn]
