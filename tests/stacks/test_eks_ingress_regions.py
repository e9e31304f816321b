"""prod-au proves each region's ingress paths through that region's own pods: the primary and the DR cluster have
namespaces of the same names, and a path must never be proved through the other cluster's pod groups."""

from __future__ import annotations

import re

import pytest

from fintech_infra_gate.cli import main
from tests.stacks.test_stacks import ROOT


def test_each_region_s_paths_reach_its_own_pod_groups(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--project-dir", str(ROOT), "--stack", "prod-au"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("ingress  ")]
    primary = [line for line in lines if "(ap-southeast-2)" in line]
    standby = [line for line in lines if "(ap-southeast-4)" in line]
    assert len(primary) == len(standby) == 4  # four services, each proved in both regions
    for line in primary:
        pods = re.search(r"security groups au-edge-alb-sg -> (\S+)", line)
        assert pods and pods[1].startswith("au-pods-"), line
    for line in standby:
        pods = re.search(r"security groups au-dr-edge-alb-sg -> (\S+)", line)
        assert pods and pods[1].startswith("au-dr-pods-"), line
