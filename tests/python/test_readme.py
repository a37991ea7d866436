"""Every Python snippet of README.md runs as written after the README's first command.

tools/quickstart writes the sample table to data/quickstart with
examples/python/quickstart.py's `ensure_sample`; here the same function writes a
smaller one into a temporary directory, and each snippet runs there, in a
process of its own (one framework per process: torch and tensorflow do not share
one, see tools/test-all).
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sluice

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
ROWS = 20_000


def load_quickstart():
    spec = importlib.util.spec_from_file_location("quickstart", ROOT / "examples" / "python" / "quickstart.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quickstart_dir(tmp_path_factory):
    """A working directory holding data/quickstart, as after tools/quickstart."""
    directory = tmp_path_factory.mktemp("readme")
    load_quickstart().ensure_sample(directory / "data" / "quickstart", ROWS)
    return directory


def test_the_readme_has_python_snippets():
    assert len(SNIPPETS) >= 2
    assert any("import torch" in s for s in SNIPPETS) and any("import tensorflow" in s for s in SNIPPETS)


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_snippet_runs_as_written(quickstart_dir, index):
    code = SNIPPETS[index]
    # the sluice this suite tests (conftest.py: the source tree or the installed package)
    path = [str(Path(sluice.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, path)), TF_CPP_MIN_LOG_LEVEL="2")
    env["SLUICE_SNAPSHOT_DIR"] = str(quickstart_dir / "snapshots")  # from_dataframe's, not the user's cache
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=quickstart_dir, env=env, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, f"README snippet {index} failed:\n{code}\n--- stderr:\n{result.stderr[-4000:]}"
