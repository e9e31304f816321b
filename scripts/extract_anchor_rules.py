"""Extract the rule ids, titles and resource types of checkov, AWSGuard and cdk-nag from their own sources.

``python scripts/extract_anchor_rules.py CHECKOV_GIT CDK_NAG_GIT AWSGUARD_GIT > OUT``, where OUT is
``policy/fintech_guardrails/data/anchor_rules.json``.

Each argument is a git directory (a bare mirror or a checkout's ``.git``) of:

* ``bridgecrewio/checkov``: every Terraform check for AWS: ``checkov/terraform/checks/resource/aws/*.py``
  (the ``id``, ``name`` and ``supported_resources``, following the base class when the check inherits them),
  ``checkov/terraform/checks/graph_checks/aws/*.yaml`` (``metadata`` and every ``resource_types`` or
  ``resource_type`` filter of the definition), ``checkov/terraform/checks/data/aws/*.py`` (IAM policy
  documents) and ``checkov/terraform/checks/provider/aws/*.py``;
* ``cdklabs/cdk-nag``: every ``applyRule`` of ``src/packs/aws-solutions.ts`` and ``src/packs/pci-dss-321.ts``
  (the id is ``<packName>-<ruleSuffixOverride or the rule's name>``, as ``src/nag-pack.ts`` builds it, the
  title the ``info`` text), with the CloudFormation types of the rule file's ``node instanceof Cfn*`` tests;
* ``pulumi/pulumi-policy-aws`` (AWSGuard): every policy ``name`` in ``src/*.ts`` with the Pulumi classes of
  its ``validateResourceOfType`` / ``validateStackResourcesOfType`` calls or the type tokens it compares.

Nothing is written by hand: the output records each tool's commit and version, and the staleness of the
committed file is a matter of re-running this script against a newer mirror.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import yaml

CHECKOV_DIRS = (
    "checkov/terraform/checks/resource/aws",
    "checkov/terraform/checks/graph_checks/aws",
    "checkov/terraform/checks/data/aws",
    "checkov/terraform/checks/provider/aws",
)
CDK_NAG_PACKS = {"src/packs/aws-solutions.ts": "AwsSolutions", "src/packs/pci-dss-321.ts": "PCI.DSS.321"}


def git(repo: str, *args: str) -> str:
    command = ["git", "--git-dir", repo, *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603 (argv list, git on PATH)


def show(repo: str, path: str) -> str:
    return git(repo, "show", f"HEAD:{path}")


def files(repo: str, folder: str) -> list[str]:
    return [line for line in git(repo, "ls-tree", "--name-only", "HEAD", f"{folder}/").splitlines() if line]


def commit(repo: str) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def describe(repo: str) -> str:
    return git(repo, "describe", "--tags", "--always", "HEAD").strip()


# -- checkov -----------------------------------------------------------------------------------------


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _super_call(tree: ast.Module) -> tuple[ast.FunctionDef | None, ast.Call | None]:
    """The first class's ``__init__`` and its ``super().__init__(...)`` call."""
    for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
        for init in (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"):
            for call in (n for n in ast.walk(init) if isinstance(n, ast.Call)):
                func = call.func
                if isinstance(func, ast.Attribute) and func.attr == "__init__":
                    return init, call
            return init, None
    return None, None


def _resolve(value: ast.AST, scope: ast.AST | None) -> ast.AST:
    """A variable passed to ``super().__init__`` resolved to the value the ``__init__`` gives it."""
    if isinstance(value, ast.Name) and scope is not None:
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == value.id for t in node.targets):
                return node.value
    return value


def _text(value: ast.AST) -> str:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mod):
        return _text(value.left)  # a "%d" template: the caller fills in the port
    if isinstance(value, ast.JoinedStr):  # an f-string: a named field stays "{name}" for the caller to fill in
        return "".join(
            str(part.value)
            if isinstance(part, ast.Constant)
            else "{"
            + (part.value.id if isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Name) else "")
            + "}"
            for part in value.values
        )
    return "".join(_strings(value)) if isinstance(value, ast.BinOp) else ""


def _base_module(tree: ast.Module) -> str | None:
    """The checkov module defining this check's first base class, when the check inherits its settings."""
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    if not classes or not classes[0].bases:
        return None
    base = classes[0].bases[0]
    base_name = base.id if isinstance(base, ast.Name) else None
    for node in tree.body:
        names = {a.name for a in node.names} if isinstance(node, ast.ImportFrom) else set()
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("checkov.")
            and base_name in names
        ):
            return node.module.replace(".", "/") + ".py"
    return None


def _checkov_python(repo: str, path: str, depth: int = 0) -> dict[str, Any]:
    tree = ast.parse(show(repo, path))
    init, call = _super_call(tree)
    kwargs = {kw.arg: _resolve(kw.value, init) for kw in (call.keywords if call else []) if kw.arg}
    found: dict[str, Any] = {}
    for key in ("id", "check_id"):
        if key in kwargs and _text(kwargs[key]):
            found["id"] = _text(kwargs[key])
    if "name" in kwargs and _text(kwargs["name"]):
        found["title"] = _text(kwargs["name"])
    for key, prefix in (("supported_resources", ""), ("supported_data", "data."), ("supported_provider", "provider.")):
        if key in kwargs and isinstance(kwargs[key], ast.List | ast.Tuple | ast.Set):
            found["types"] = [prefix + s for s in _strings(kwargs[key])]
    port = kwargs.get("port")
    base = _base_module(tree) if depth < 3 else None
    if base is not None and ("types" not in found or "title" not in found):
        inherited = _checkov_python(repo, base, depth + 1)
        for key in ("types", "title"):
            if key not in found and key in inherited:
                found[key] = inherited[key]
        if port is not None:  # checkov's own title for port -1 reads "port -1" (any port)
            number = str(ast.literal_eval(port))
            found["title"] = found.get("title", "").replace("%d", number).replace("{port}", number)
    return found


def _graph_types(definition: Any) -> Iterator[str]:
    if isinstance(definition, list):
        for item in definition:
            yield from _graph_types(item)
    elif isinstance(definition, dict):
        if definition.get("cond_type") == "filter" and definition.get("attribute") == "resource_type":
            values = definition.get("value")
            yield from (str(v) for v in (values if isinstance(values, list) else [values]))
        for key, value in definition.items():
            if key == "resource_types":
                yield from (str(v) for v in (value if isinstance(value, list) else [value]))
            elif key != "connected_resource_types":
                yield from _graph_types(value)


def checkov(repo: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for folder in CHECKOV_DIRS:
        for path in files(repo, folder):
            if path.endswith(".yaml"):
                check = yaml.safe_load(show(repo, path))
                meta = check["metadata"]
                types = sorted({t for t in _graph_types(check["definition"]) if t.startswith("aws_")})
                rules.append({"id": meta["id"], "title": meta["name"], "types": types, "source": path})
            elif path.endswith(".py") and not path.endswith("__init__.py"):
                found = _checkov_python(repo, path)
                if "id" not in found:
                    continue  # an abstract base shared by checks, not a check
                types = sorted(set(found.get("types", [])))
                rules.append({"id": found["id"], "title": found.get("title", ""), "types": types, "source": path})
    return sorted(rules, key=lambda r: _id_order(r["id"]))


def _id_order(rule_id: str) -> tuple[str, int, str]:
    match = re.match(r"(\D+?)(\d+)$", rule_id)
    return (match.group(1), int(match.group(2)), rule_id) if match else (rule_id, 0, rule_id)


# -- cdk-nag -----------------------------------------------------------------------------------------

_APPLY = re.compile(r"this\.applyRule\(\{(.*?)\n\s*\}\);", re.S)
_IMPORT = re.compile(r"import\s*\{([^}]*)\}\s*from\s*'\.\./rules/([\w-]+)'", re.S)
_CFN_IMPORT = re.compile(r"import\s*\{([^}]*)\}\s*from\s*'aws-cdk-lib/(aws-[\w-]+)'", re.S)
_INSTANCEOF = re.compile(r"\bnode instanceof (Cfn\w+)")
_CFN_TYPE = re.compile(r"'(AWS::\w+::\w+)'")


def _text_of(block: str, key: str) -> str:
    match = re.search(rf"{key}:\s*(?:'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"|`([^`]*)`)", block, re.S)
    return next((g for g in match.groups() if g is not None), "") if match else ""


def _cdk_rule_types(repo: str, service: str, rule: str) -> list[str]:
    source = show(repo, f"src/rules/{service}/{rule}.ts")
    imported: dict[
        str, str
    ] = {}  # the name the rule uses -> "<module>.<class>" (``CfnLoadBalancer as CfnLoadBalancerV2``)
    for names, module in _CFN_IMPORT.findall(source):
        for name in names.replace("\n", " ").split(","):
            if name.strip():
                original, _, alias = name.strip().partition(" as ")
                imported[(alias or original).strip()] = f"{module}.{original.strip()}"
    types = {imported[cls] for cls in _INSTANCEOF.findall(source) if cls in imported}
    types.update(_CFN_TYPE.findall(source))
    return sorted(types)


def cdk_nag(repo: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for path, pack in CDK_NAG_PACKS.items():
        source = show(repo, path)
        services = {
            name.strip(): service
            for names, service in _IMPORT.findall(source)
            for name in names.replace("\n", " ").split(",")
            if name.strip()
        }
        for block in _APPLY.findall(source):
            rule = re.search(r"rule:\s*(\w+)", block).group(1)  # type: ignore[union-attr]
            suffix = _text_of(block, "ruleSuffixOverride") or rule
            rules.append(
                {
                    "id": f"{pack}-{suffix}",
                    "title": " ".join(_text_of(block, "info").split()),
                    "types": _cdk_rule_types(repo, services[rule], rule),
                    "source": f"src/rules/{services[rule]}/{rule}.ts",
                }
            )
    return rules


# -- AWSGuard ----------------------------------------------------------------------------------------

_POLICY = re.compile(r'\bname:\s*"([a-z0-9-]+)",\s*\n\s*description:\s*\n?\s*"((?:[^"\\]|\\.)*)"', re.S)
_CLASS = re.compile(r"validate(?:Resource|StackResources)OfType\(aws\.(\w+)\.(\w+)")
_TOKEN = re.compile(r'"(aws:[\w/]+:\w+)"')


def _token(module: str, cls: str) -> str:
    return f"aws:{module}/{cls[0].lower()}{cls[1:]}:{cls}"


def awsguard(repo: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for path in files(repo, "src"):
        if not path.endswith(".ts") or "/tests/" in path:
            continue
        source = show(repo, path)
        matches = list(_POLICY.finditer(source))
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(source)
            body = source[match.end() : end]
            types = {_token(module, cls) for module, cls in _CLASS.findall(body)} | set(_TOKEN.findall(body))
            title = match.group(2).replace('\\"', '"').split("\\n")[0]
            rules.append({"id": match.group(1), "title": title, "types": sorted(types), "source": path})
    return sorted(rules, key=lambda r: r["id"])


def main() -> None:
    checkov_git, cdk_nag_git, awsguard_git = sys.argv[1:4]
    checkov_version = re.search(r"'([\d.]+)'", show(checkov_git, "checkov/version.py")).group(1)  # type: ignore[union-attr]
    tools = {
        "checkov": {
            "repository": "bridgecrewio/checkov",
            "commit": commit(checkov_git),
            "version": checkov_version,
            "scope": "Terraform checks for AWS: " + ", ".join(CHECKOV_DIRS),
            "type_system": "terraform",
            "rules": checkov(checkov_git),
        },
        "cdk-nag": {
            "repository": "cdklabs/cdk-nag",
            "commit": commit(cdk_nag_git),
            "version": describe(cdk_nag_git),
            "scope": "the AwsSolutions and PCI.DSS.321 packs: " + ", ".join(CDK_NAG_PACKS),
            "type_system": "cdk",
            "rules": cdk_nag(cdk_nag_git),
        },
        "awsguard": {
            "repository": "pulumi/pulumi-policy-aws",
            "commit": commit(awsguard_git),
            "version": describe(awsguard_git),
            "scope": "every policy registered in src/*.ts",
            "type_system": "pulumi",
            "rules": awsguard(awsguard_git),
        },
    }
    json.dump({"checked": "2026-12-07", "tools": tools}, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
