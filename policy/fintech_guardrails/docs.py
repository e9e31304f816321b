"""Render the policy table from the registry, so the docs can't drift from the pack.

``render_policy_table()`` returns the Markdown table; ``update_readme(path)`` rewrites the text between
``<!-- BEGIN POLICY TABLE -->`` and ``<!-- END POLICY TABLE -->`` of a page (by default the repository's
``docs/policies.md``). ``python -m fintech_guardrails.docs [PAGE]`` (with ``policy`` on ``PYTHONPATH``) or
``python policy/docs.py`` does the same from a shell; ``--table`` prints the table instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fintech_guardrails.anchor_docs import render_anchor_coverage
from fintech_guardrails.catalog import guardrails
from fintech_guardrails.registry import Guardrail
from fintech_guardrails.settings import CONFIG_DIR, ENVIRONMENTS, load_environment

__all__ = ["BEGIN", "END", "policy_metadata", "render_policy_table", "update_readme"]

BEGIN = "<!-- BEGIN POLICY TABLE -->"
END = "<!-- END POLICY TABLE -->"
README = Path(__file__).resolve().parents[2] / "docs" / "policies.md"
"""The page that holds the table in the repository (the README once did, hence the name)."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("``", "`").replace("\n", " ")


def _enforcement(guardrail: Guardrail, levels: dict[str, dict[str, str]]) -> str:
    by_env = {env: levels[env].get(guardrail.name, levels[env].get("default", "mandatory")) for env in ENVIRONMENTS}
    if guardrail.name == "exemptions-valid":
        by_env = dict.fromkeys(ENVIRONMENTS, "mandatory")
    if len(set(by_env.values())) == 1:
        return next(iter(by_env.values()))
    return ", ".join(f"{env}: {level}" for env, level in by_env.items())


def render_policy_table(config_dir: Path = CONFIG_DIR) -> str:
    """The policy table: policy, what it checks (with a link to its source when the rule names one), severity,
    framework reference, enforcement, exemptible."""
    levels = {env: dict(load_environment(env, config_dir=config_dir).get("enforcement", {})) for env in ENVIRONMENTS}
    lines = [
        "| Policy | What it checks | Severity | Framework | Enforcement | Exemptible |",
        "|---|---|---|---|---|---|",
    ]
    for guardrail in guardrails():
        kind = " (stack)" if guardrail.kind == "stack" else ""
        source = f" ([source]({guardrail.url}))" if guardrail.url else ""
        lines.append(
            f"| `{guardrail.name}`{kind} | {_cell(guardrail.summary)}{source} | {guardrail.severity.value} | "
            f"{_cell(guardrail.framework.label)} | {_enforcement(guardrail, levels)} | "
            f"{'yes' if guardrail.exemptible else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def update_readme(path: Path = README) -> bool:
    """Rewrite the table between the markers; True when the file changed. Raises if the markers are missing."""
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise ValueError(f"{path}: add {BEGIN} and {END} where the policy table belongs")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    updated = f"{head}{BEGIN}\n{render_policy_table()}{END}{tail}"
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    return updated != text


def policy_metadata() -> list[dict[str, object]]:
    """Each policy's name, description, kind, framework reference and tags as the SDK policy carries them
    (``judges:`` tags included): what the repository's docs generator reads instead of importing the pack."""
    return [
        {
            "name": guardrail.name,
            "description": guardrail.description,
            "kind": guardrail.kind,
            "severity": guardrail.severity.value,
            "framework": guardrail.framework.label,
            "tags": list(guardrail.policy().tags or []),
        }
        for guardrail in guardrails()
    ]


def main(argv: list[str] | None = None) -> None:
    """``[PAGE]`` rewrites the table in place; ``--table`` prints it, ``--anchors`` the anchor mapping table and
    ``--policies`` the policies' metadata as JSON (how the repository's docs generator reads them without
    importing the pack)."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--table"]:
        sys.stdout.write(render_policy_table())
        return
    if args == ["--anchors"]:
        sys.stdout.write(render_anchor_coverage())
        return
    if args == ["--policies"]:
        sys.stdout.write(json.dumps(policy_metadata(), indent=1) + "\n")
        return
    path = Path(args[0]) if args else README
    changed = update_readme(path)
    sys.stdout.write(f"{path}: policy table {'updated' if changed else 'already current'}\n")


if __name__ == "__main__":
    main()
