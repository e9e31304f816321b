"""fintech_infra_gate.preload: the --all parent imports what the program needs before forking its workers."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys, types
    from pathlib import Path
    from fintech_infra_gate.preload import preload
    root = Path(sys.argv[1])
    sys.path.insert(0, str(root))
    loaded = preload(root / "main.py", root)
    sns = sys.modules["pulumi_aws.sns"]
    print(loaded > 0, type(sns) is types.ModuleType, "Topic" in vars(sns), "infra_mod" in sys.modules)
    """
)


def test_preload_imports_the_program_and_the_provider_modules_it_names(tmp_path):
    (tmp_path / "infra_mod.py").write_text("import pulumi_aws as aws\n\ndef make():\n    return aws.sns.Topic('t')\n")
    (tmp_path / "main.py").write_text("from infra_mod import make\n\nmake()\n")
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, check=True, timeout=120
    )
    # The lazily loaded pulumi_aws.sns is executed (Topic defined); the program itself never ran.
    assert completed.stdout.split() == ["True", "True", "True", "True"]


def test_preload_ignores_a_program_it_cannot_read(tmp_path):
    from fintech_infra_gate.preload import preload

    assert preload(tmp_path / "missing.py", tmp_path) == 0
