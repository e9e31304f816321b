"""The per-account pre-flight checklist in docs/deployment.md: generated from the stack files and aws_facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from fintech_infra import aws_facts
from fintech_infra_gate import preflight
from fintech_infra_gate.docs import rewrite
from fintech_infra_gate.stackfiles import load_project

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "deployment.md"


@pytest.fixture(scope="module")
def checklist() -> str:
    return preflight.render_checklist(load_project(ROOT))


def test_the_checklist_in_deployment_md_is_current(checklist: str) -> None:
    current = DOCUMENT.read_text()
    assert rewrite(current, {preflight.MARKER: checklist}) == current, "docs/deployment.md is stale: run `make docs`"


def test_every_fact_only_an_account_can_settle_is_checked(checklist: str) -> None:
    sources = preflight.account_only_sources()
    assert len(sources) >= 10
    for source in sources:
        assert source.verify, source.url
        assert f"({source.url})" in checklist, source.url


def test_stacks_appear_in_deploy_order_with_their_accounts(checklist: str) -> None:
    headings = [line for line in checklist.splitlines() if line.startswith("#### `")]
    assert headings[0] == "#### `global` (account 666666666666)"
    # The routing stacks read the cell stacks: they come last.
    assert headings[-2:] == ["#### `routing` (account 666666666666)", "#### `routing-staging` (account 666666666666)"]
    assert headings.index("#### `staging` (account 222222222222)") < headings.index(headings[-1])
    assert "#### `prod-au` (account 444444444444)" in headings


def test_commands_carry_the_stacks_own_values(checklist: str) -> None:
    au = checklist.split("#### `prod-au`")[1].split("#### ")[0]
    assert "aws account get-region-opt-status --region-name ap-southeast-4" in au
    assert (
        "aws ec2 describe-instance-type-offerings --region ap-southeast-4 --filters Name=instance-type,Values=m7g.large"
        in au
    )
    assert "aws iam get-role --role-name AWSServiceRoleForAutoScaling" in au
    assert "--db-instance-class db.r6g.xlarge" in au and "--region ap-southeast-4" in au
    eu = checklist.split("#### `prod-eu`")[1].split("#### ")[0]
    image = "aws ecr describe-images --region eu-west-1 --repository-name fintech-api --image-ids imageDigest=sha256:"
    assert image in eu
    assert "arn:aws:iam::666666666666:role/fintech-infra-acm-validation-prod-eu" in eu
    dev = checklist.split("#### `dev`")[1].split("#### ")[0]
    assert "ecr" not in dev, "no DR region: nothing to replicate"
    assert "dig +short NS fintech.example.com" in checklist.split("#### `global`")[1].split("#### ")[0]


def test_a_new_account_only_fact_is_listed_even_before_a_check_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = aws_facts.Source("https://docs.aws.amazon.com/example/new-quota.html", verify="aws example", offline=False)
    monkeypatch.setattr(aws_facts, "NEW_FACT", fresh, raising=False)
    monkeypatch.setattr(aws_facts, "__all__", [*aws_facts.__all__, "NEW_FACT"])
    rendered = preflight.render_checklist(load_project(ROOT))
    every = rendered.split("#### Every account")[1]
    assert "[https://docs.aws.amazon.com/example/new-quota.html]" in every and "`aws example`" in every


def test_check_mode_reports_a_stale_document(tmp_path: Path) -> None:
    stale = tmp_path / "deployment.md"
    stale.write_text("<!-- BEGIN PREFLIGHT -->\nold\n<!-- END PREFLIGHT -->\n")
    assert preflight.main([str(stale), "--check"]) == 1
    assert preflight.main([str(stale), "--write"]) == 0
    assert preflight.main([str(stale), "--check"]) == 0


def test_every_module_of_sourced_facts_feeds_the_checklist() -> None:
    """A new module of facts (one exporting a Source) is read by the pre-flight checklist, not forgotten."""
    import importlib
    import pkgutil

    import fintech_infra
    from fintech_infra.aws_facts import Source

    with_sources = set()
    for info in pkgutil.iter_modules(fintech_infra.__path__, "fintech_infra."):
        module = importlib.import_module(info.name)
        exported = [getattr(module, name, None) for name in getattr(module, "__all__", ())]
        if any(isinstance(value, Source) for value in exported):
            with_sources.add(module.__name__)
    assert with_sources == {module.__name__ for module in preflight.FACT_MODULES}
