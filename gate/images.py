"""Every container image the stack files run: what the pull-request workflow's image scan reads.

``fintech-infra images`` prints one image reference per line (sorted, each once), as the stack files name
them: ECS services and EKS services of every cell, primary region (the DR region runs the replicated copy
of the same digest, so scanning the primary reference covers it).
"""

from __future__ import annotations

from fintech_infra.compute_config import service_images
from fintech_infra_gate.stackfiles import Project

__all__ = ["stack_images"]


def stack_images(project: Project) -> list[str]:
    found: set[str] = set()
    for name in project.stack_names():
        for cell in project.stack(name).validated().cells.values():
            found.update(service_images(cell.compute))
    return sorted(found)
