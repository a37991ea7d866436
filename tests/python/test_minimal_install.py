"""`import sluice` with only the package's required dependencies installed.

pandas, torch, tensorflow and xgboost are optional: the package must import and read
without them, and name the missing extra when a method needs one. The virtualenv is
built offline: its site-packages links only the distributions that pyproject.toml
lists as dependencies, taken from the environment running the tests.
"""

import importlib.metadata
import json
import os
import re
import subprocess
import venv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import sluice

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    tomllib = None

REPO = Path(__file__).resolve().parents[2]
OPTIONAL = ["pandas", "torch", "tensorflow", "xgboost", "polars", "duckdb"]


def _required_distributions():
    """The names in [project].dependencies of bindings/python/pyproject.toml."""
    text = (REPO / "bindings" / "python" / "pyproject.toml").read_text(encoding="utf-8")
    if tomllib is not None:
        requirements = tomllib.loads(text)["project"]["dependencies"]
    else:  # pragma: no cover - the CI venv is Python 3.11
        block = re.search(r"^dependencies = \[(.*?)^\]", text, re.MULTILINE | re.DOTALL).group(1)
        requirements = re.findall(r'^\s*"([^"]+)"', block, re.MULTILINE)
    return [re.match(r"[A-Za-z0-9_.-]+", requirement).group(0) for requirement in requirements]


def _link_distribution(name, site_packages):
    """Symlink the top-level files and folders of the installed distribution `name`."""
    distribution = importlib.metadata.distribution(name)
    tops = {Path(str(entry)).parts[0] for entry in distribution.files or []}
    for top in tops:
        source = Path(distribution.locate_file(top))
        # ".." would be a script in bin/; the dist-info is linked too, for importlib.metadata
        if top != ".." and source.exists() and not (site_packages / top).exists():
            (site_packages / top).symlink_to(source)


def _minimal_venv(root):
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    python = root / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    for name in _required_distributions():
        _link_distribution(name, site_packages)
    return python


SCRIPT = """
import json, sys
import sluice
loaded = sorted(name for name in {optional} if name in sys.modules)
connector = sluice.DataConnector.from_sources(sys.argv[1])
table = connector.to_arrow(batch_size=3).read_all()
try:
    connector.to_pandas()
    pandas_error = None
except ImportError as exc:
    pandas_error = str(exc)
print(json.dumps({{"loaded": loaded, "rows": table.to_pylist(), "pandas_error": pandas_error,
                  "package": sluice.__file__}}))
"""


def test_import_and_read_with_required_dependencies_only(tmp_path):
    table = pa.table({"id": pa.array([1, 2, 3, 4, 5], pa.int64()), "name": ["a", "b", None, "d", "e"]})
    path = tmp_path / "data.parquet"
    pq.write_table(table, path)
    python = _minimal_venv(tmp_path / "venv")

    # The environment really lacks the optional frameworks.
    probe = subprocess.run(
        [str(python), "-c", "import pandas"], capture_output=True, text=True, timeout=60, check=False
    )
    assert probe.returncode != 0 and "No module named 'pandas'" in probe.stderr

    # Only the sluice package on the path: its parent may be a site-packages that holds pandas.
    package_root = tmp_path / "package"
    package_root.mkdir()
    (package_root / "sluice").symlink_to(Path(sluice.__file__).resolve().parent)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(package_root)
    env["SLUICE_LIBRARY"] = sluice.LIBRARY_PATH
    result = subprocess.run(
        [str(python), "-c", SCRIPT.format(optional=OPTIONAL), str(path)],
        env=env,
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(report["package"]).resolve().parent == Path(sluice.__file__).resolve().parent
    assert report["loaded"] == []
    assert report["rows"] == pq.read_table(path).to_pylist()
    assert "pandas" in report["pandas_error"] and "sluice-data[pandas]" in report["pandas_error"]
