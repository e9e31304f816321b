"""`fintech-infra images`: every image the stack files run, once each, for the image scan."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fintech_infra_gate.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_it_lists_each_image_of_every_stack_file_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["images", "--project-dir", str(ROOT)]) == 0
    listed = capsys.readouterr().out.split()
    named = sorted(
        {
            match
            for path in (ROOT / "stacks").glob("Pulumi.*.yaml")
            for match in re.findall(r"^\s+image: (\S+)", path.read_text(), flags=re.M)
        }
    )
    assert listed == named and len(listed) >= 5  # ECS services and prod-au's EKS services
    assert all("@sha256:" in image for image in listed)  # what is scanned is exactly what runs
