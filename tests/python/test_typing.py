"""The typed public API: real hints for every public method, options as TypedDicts that list exactly
the options of docs/options.md, and the PEP 561 marker shipped next to the package. (mypy itself runs
over the package and the examples in tools/test-all's lint part, with mypy.ini.)"""

import inspect
import re
import sys
import typing
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import sluice
from sluice import _types

torch = pytest.importorskip("torch")

from sluice._torch import SluiceTorchDataset  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

if sys.version_info >= (3, 11):
    from typing import Unpack
else:
    from typing_extensions import Unpack


class _Frameworks:
    """tf and xgboost are annotations only (TYPE_CHECKING): stand-ins resolve them in this process,
    which must not import tensorflow next to torch (see tools/test-all)."""

    class data:
        Dataset = type("Dataset", (), {})

    DMatrix = type("DMatrix", (), {})


#: the framework names the annotations use, for get_type_hints
FRAMEWORKS = {
    "_Reads": object,
    "pd": pd,
    "tf": _Frameworks,
    "xgboost": _Frameworks,
    "SluiceTorchDataset": SluiceTorchDataset,
}

PUBLIC_CLASSES = [
    sluice.DataConnector,
    sluice.ShardedDataConnector,
    sluice.DataShard,
    sluice.BoundRead,
    sluice.SluiceError,
    SluiceTorchDataset,
]


def public_methods(cls):
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") and name not in ("__init__", "__len__", "__arrow_c_stream__"):
            continue
        function = member.fget if isinstance(member, property) else member
        if inspect.isfunction(function) or inspect.ismethod(function):
            if getattr(function, "__module__", "").startswith("sluice"):
                yield name, function


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda c: c.__name__)
def test_every_public_method_has_real_hints(cls):
    checked = []
    for name, function in public_methods(cls):
        hints = typing.get_type_hints(function, localns=FRAMEWORKS)
        assert "return" in hints, f"{cls.__name__}.{name} has no return annotation"
        parameters = [p for p in inspect.signature(function).parameters if p not in ("self", "cls")]
        missing = [p for p in parameters if p not in hints]
        assert not missing, f"{cls.__name__}.{name}: parameters without annotations {missing}"
        checked.append(name)
    assert checked, cls


def test_reads_return_what_they_say():
    hints = typing.get_type_hints(sluice.DataConnector.to_pandas, localns=FRAMEWORKS)
    assert hints["return"] is pd.DataFrame
    assert hints["read_options"] == Unpack[_types.PandasOptions]
    assert typing.get_type_hints(sluice.DataConnector.to_arrow)["return"] is pa.RecordBatchReader
    assert typing.get_type_hints(sluice.DataConnector.count_rows)["return"] is int
    assert typing.get_type_hints(sluice.DataConnector.schema.fget)["return"] is pa.Schema
    torch_hints = typing.get_type_hints(sluice.DataConnector.to_torch_dataset, localns=FRAMEWORKS)
    assert torch_hints["return"] is SluiceTorchDataset
    assert torch_hints["read_options"] == Unpack[_types.AdapterOptions]
    sharded = typing.get_type_hints(sluice.ShardedDataConnector.get_shards)
    assert sharded["return"] == typing.Dict[int, sluice.DataShard]


def documented_options(section):
    """The option names of one table of docs/options.md (a row may name several: `a`, `b`)."""
    text = (ROOT / "docs" / "options.md").read_text(encoding="utf-8")
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in body.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([a-z][a-z0-9_]*)`", line.split("|")[1]))
    return names


def typed_keys(typed_dict):
    return set(typing.get_type_hints(typed_dict))


def test_read_options_are_every_documented_read_and_tensor_option():
    documented = documented_options("Read options") | documented_options("Tensor options")
    assert typed_keys(_types.ReadOptions) == documented
    # to_pandas takes limit itself; the framework outputs their own keyword arguments
    assert typed_keys(_types.PandasOptions) == documented - {"limit"}
    torch_own = set(inspect.signature(sluice.DataConnector.to_torch_dataset).parameters) - {"self", "read_options"}
    assert not typed_keys(_types.AdapterOptions) & torch_own
    assert typed_keys(_types.AdapterOptions) <= documented


def test_source_options_are_every_documented_source_option():
    documented = documented_options("Source options")
    # format is from_sources' own argument
    assert typed_keys(_types.SourceOptions) == documented - {"format"}


def test_the_package_ships_its_type_marker():
    package = Path(sluice.__file__).parent
    assert (package / "py.typed").is_file()
    # maturin packs every file of the python-source package; tools/test-wheel checks the wheel has it
    pyproject = (ROOT / "bindings" / "python" / "pyproject.toml").read_text(encoding="utf-8")
    assert 'python-source = "."' in pyproject and "exclude" not in pyproject
