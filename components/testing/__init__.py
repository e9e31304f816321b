"""Synthesize a Pulumi program under the SDK's mock engine and record every resource it registers.

This is the harness behind the offline preview gate and every test in this repository, and it is public
so that a team importing the components can assert on its own program in a few lines::

    from fintech_infra.testing import synthesize

    def test_my_program_encrypts_everything():
        recording = synthesize(my_program, config={"fintech-infra:environment": "dev", ...})
        for db in recording.of_type("aws:rds/instance:Instance"):
            assert db.inputs["storageEncrypted"] is True

The pytest fixture ``synth`` (from :mod:`fintech_infra.testing.pytest_plugin`, registered through the ``pytest11``
entry point when the package is installed) does the same in a test. Judging a recording with the policy pack
is the gate's: :func:`fintech_infra_gate.judge.judge` and its ``judge_policy`` fixture.

Recorded per resource: type, name, URN, parent, provider (and the region it deploys to), inputs as the
engine would see them (camelCase, secrets and unknowns preserved in ``raw_inputs``), the mocked outputs,
and the options the engine receives (protect, retainOnDelete, dependsOn, ignoreChanges, ...).

The harness is plain: it patches nothing in the SDK and leaves the garbage collector alone, so a program
runs here as it runs under ``pulumi up``. Its modules: :mod:`~fintech_infra.testing.recording` (the recorded
data), :mod:`~fintech_infra.testing.plausible_values` (the mocked provider values) and
:mod:`~fintech_infra.testing.synthesis` (the recording monitor and :func:`synthesize`).
"""

from __future__ import annotations

from fintech_infra.testing.plausible_values import MOCK_ACCOUNT_ID, PlausibleValues
from fintech_infra.testing.recording import UNKNOWN, RecordedResource, Recording, is_unknown
from fintech_infra.testing.synthesis import RecordingMonitor, engine_config, synthesize

__all__ = [
    "MOCK_ACCOUNT_ID",
    "UNKNOWN",
    "PlausibleValues",
    "RecordedResource",
    "Recording",
    "RecordingMonitor",
    "engine_config",
    "is_unknown",
    "synthesize",
]
