"""The package itself: loading, versions, ABI check, errors, option encoding."""

import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sluice
from sluice import _lib, _options

REPO = Path(__file__).resolve().parents[2]


def test_version_is_the_library_version():
    assert sluice.__version__ == _lib.lib.sluice_version().decode()
    assert re.fullmatch(r"\d+\.\d+\.\d+([-+.].*)?", sluice.__version__)


def test_version_matches_cargo_toml():
    cargo = (REPO / "Cargo.toml").read_text()
    version = re.search(r'^version\s*=\s*"([^"]+)"', cargo, re.M).group(1)
    assert sluice.__version__ == version


def test_abi_version_checked():
    assert _lib.lib.sluice_abi_version() == sluice.ABI_VERSION == 2
    header = (REPO / "include" / "sluice.h").read_text()
    assert int(re.search(r"#define SLUICE_ABI_VERSION (\d+)", header).group(1)) == sluice.ABI_VERSION


def test_abi_mismatch_is_a_clear_import_error():
    wanted = sluice.ABI_VERSION + 1
    with pytest.raises(ImportError, match=rf"ABI version {sluice.ABI_VERSION}.*needs ABI version {wanted}"):
        _lib.load_library(sluice.LIBRARY_PATH, expected_abi=wanted)


def test_library_path_follows_lookup_order():
    explicit = os.environ.get("SLUICE_LIBRARY")
    if explicit:
        assert Path(sluice.LIBRARY_PATH) == Path(explicit).absolute()
    else:
        assert Path(sluice.LIBRARY_PATH) == Path(sluice.__file__).parent / "_native" / _lib.bundled_file_name()


def _import_in_subprocess(env_library):
    env = dict(os.environ, SLUICE_LIBRARY=env_library)
    code = "import sluice"
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=str(Path(sluice.__file__).parent.parent),  # finds this same package first
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_library_is_a_clear_import_error(tmp_path):
    result = _import_in_subprocess(str(tmp_path / "nope.so"))
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "nope.so" in result.stderr and "SLUICE_LIBRARY" in result.stderr


def test_non_sluice_library_is_a_clear_import_error():
    import _ctypes  # a real shared library without sluice's symbols

    result = _import_in_subprocess(_ctypes.__file__)
    assert result.returncode != 0
    assert "not a sluice library" in result.stderr


def test_error_classes():
    assert issubclass(sluice.SluiceNotFoundError, sluice.SluiceError)
    assert issubclass(sluice.SluiceNotFoundError, FileNotFoundError)
    assert issubclass(sluice.SluiceInvalidArgument, ValueError)
    assert issubclass(sluice.SluicePermissionError, PermissionError)
    assert issubclass(sluice.SluiceIOError, OSError)
    for status in sluice.Status:
        if status == sluice.Status.OK:
            continue
        error = sluice._errors.error_for(status, f"message {status.name}")
        assert isinstance(error, sluice.SluiceError)
        assert error.status == status
        assert str(error) == f"message {status.name}"
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and again.status == status and str(again) == str(error)


def test_core_error_carries_status_and_message(tmp_path):
    missing = tmp_path / "missing.parquet"
    with pytest.raises(sluice.SluiceNotFoundError) as info:
        sluice.DataConnector.from_sources(str(missing))
    assert info.value.status == sluice.Status.NOT_FOUND
    assert str(missing) in info.value.message
    assert isinstance(info.value, FileNotFoundError)


@pytest.mark.parametrize(
    "value, text",
    [
        (True, "true"),
        (False, "false"),
        (["a", "b"], '["a", "b"]'),
        (("x",), '["x"]'),
        (12, "12"),
        ("512MiB", "512MiB"),
        (Path("/tmp/x"), "/tmp/x"),
    ],
)
def test_option_values(value, text):
    assert _options.option_value("k", value) == text


def test_connector_basics(parquet_dataset):
    connector = sluice.DataConnector.from_sources(str(parquet_dataset.root))
    assert isinstance(connector.schema, pa.Schema)
    assert connector.schema.names == parquet_dataset.expected.schema.names
    assert connector.num_rows == parquet_dataset.expected.num_rows
    assert "DataConnector" in repr(connector)
    connector.close()
    assert connector.closed
    with pytest.raises(ValueError, match="closed"):
        connector.to_arrow()
    connector.close()  # twice is fine


def test_connector_is_picklable_by_reopening(parquet_dataset):
    connector = sluice.DataConnector.from_sources(parquet_dataset.files, format="parquet")
    again = pickle.loads(pickle.dumps(connector))
    assert again is not connector
    assert again.num_rows == connector.num_rows
    assert again.to_arrow(columns=["id"]).read_all().equals(connector.to_arrow(columns=["id"]).read_all())


def test_pathlike_sources(parquet_dataset):
    connector = sluice.DataConnector.from_sources(parquet_dataset.files[0])
    assert connector.num_rows == pq.ParquetFile(parquet_dataset.files[0]).metadata.num_rows


def test_bad_source_type():
    with pytest.raises(TypeError):
        sluice.DataConnector.from_sources([1, 2])
