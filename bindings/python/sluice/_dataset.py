"""Versioned datasets (docs/datasets.md), with the names of Snowflake's: `Dataset.create`,
`load_dataset`, `create_version`, `list_versions`, `select_version`, `delete_version`,
`read`, and `DataConnector.from_dataset`.

A version is Parquet files plus a manifest under `<root>/<dataset>/`; everything here calls the
core through the C API (`sluice_dataset_*`, `sluice_connector_open_dataset`), which writes,
publishes, checks and opens versions. This module only turns arguments into strings and JSON
back into Python values.
"""

import ctypes
import datetime
import json
import os
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa

from . import _lib
from ._logging import sync_level
from ._options import encode
from ._progress import ProgressReport, progress_report
from ._types import Progress

if TYPE_CHECKING:
    from ._connector import DataConnector

_lib_handle = _lib.lib

Root = Union[str, "os.PathLike[str]"]

#: the option key under which a pickled dataset connector carries what reopens it
REOPEN_KEY = "__sluice_dataset__"


def _check(status: int, error: ctypes.c_void_p) -> None:
    from ._connector import _check as check  # _connector imports this module

    check(status, error)


def _root_text(root: Root) -> str:
    if isinstance(root, bytes):
        return root.decode("utf-8")
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(
            f"sluice: a dataset root is a directory or an s3://, gs://, az:// URI, not {type(root).__name__}"
        )
    return os.fspath(root)


def _name_text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"sluice: the {what} must be a str, not {type(value).__name__}")
    return value


class _SourceOptions:
    """A native source-options handle (the object store's options) for one call."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        from ._connector import _set_options

        sync_level()
        self.handle = _set_options(
            _lib_handle.sluice_source_options_new,
            _lib_handle.sluice_source_options_free,
            _lib_handle.sluice_source_options_set,
            options,
        )

    def __enter__(self) -> int:
        return self.handle

    def __exit__(self, *exc: object) -> None:
        _lib_handle.sluice_source_options_free(self.handle)


def _owned_text(pointer: ctypes.c_void_p) -> str:
    try:
        return ctypes.string_at(pointer.value).decode("utf-8") if pointer.value else ""
    finally:
        _lib_handle.sluice_string_free(pointer)


class DatasetVersion:
    """One published version: what its manifest says (docs/datasets.md), and its rows.

    Attributes: `version`, `dataset`, `num_rows`, `num_bytes`, `files` (URIs or paths, in read
    order), `created_on` (a UTC datetime), `comment`, `properties`, `label_cols`, `exclude_cols`,
    `partition_by`, `shuffle_seed`, `source` (what it was made from, without secrets), `manifest`
    (the whole manifest as a dict). `schema` is the schema of its reads (without `exclude_cols`).
    """

    def __init__(self, dataset: "Dataset", manifest: Dict[str, Any]) -> None:
        self._dataset = dataset
        self.manifest = manifest
        self.version: str = manifest["version"]
        self.dataset: str = manifest["dataset"]
        self.num_rows: int = manifest["num_rows"]
        self.num_bytes: int = manifest["num_bytes"]
        base = dataset._dataset_uri()
        self.files: List[str] = [f"{base}/{entry['path']}" for entry in manifest["files"]]
        self.created_on = datetime.datetime.fromisoformat(manifest["created_at"].replace("Z", "+00:00"))
        self.comment: Optional[str] = manifest.get("comment")
        self.properties: Dict[str, Any] = manifest.get("properties") or {}
        self.label_cols: List[str] = list(manifest.get("label_cols") or [])
        self.exclude_cols: List[str] = list(manifest.get("exclude_cols") or [])
        self.partition_by: Optional[str] = manifest.get("partition_by")
        self.shuffle_seed: Optional[int] = manifest.get("shuffle_seed")
        self.source: str = manifest.get("source", "")
        self._schema: Optional[pa.Schema] = None

    @property
    def schema(self) -> pa.Schema:
        """The schema of a read of this version (its `exclude_cols` left out); opens its files."""
        if self._schema is None:
            with self.connector() as connector:
                self._schema = connector.schema
        return self._schema

    def connector(self, *, verify: bool = False) -> "DataConnector":
        """`DataConnector.from_dataset` of this version."""
        from ._connector import DataConnector

        return DataConnector.from_dataset(self._dataset.select_version(self.version), verify=verify)

    def to_pandas(self, **read_options: Any) -> Any:
        """All rows as a pandas DataFrame (`DataConnector.from_dataset(ds).to_pandas()`)."""
        with self.connector() as connector:
            return connector.to_pandas(**read_options)

    def to_arrow(self, **read_options: Any) -> pa.RecordBatchReader:
        """A `pyarrow.RecordBatchReader` over the rows."""
        return self.connector().to_arrow(**read_options)

    def __repr__(self) -> str:
        return f"<sluice.DatasetVersion {self.dataset}/{self.version}: {self.num_rows} rows, {len(self.files)} file(s)>"


class Dataset:
    """A named dataset of immutable versions under a root: a local directory or an s3://, gs://,
    az:// URI (object store options such as endpoint, region and credentials are the source
    options of docs/options.md, given to `create` or `load`).

    Make one with `Dataset.create(root, name)` or `sluice.load_dataset(root, name, version)`.
    """

    def __init__(self, root: Root, name: str, selected_version: Optional[str] = None, **source_options: Any) -> None:
        self.root = _root_text(root)
        self.name = _name_text(name, "dataset name")
        self._source_options: Dict[str, Any] = dict(source_options)
        self._selected = selected_version
        self._manifest: Optional[Dict[str, Any]] = None

    @classmethod
    def create(cls, root: Root, name: str, exist_ok: bool = False, **source_options: Any) -> "Dataset":
        """Create the dataset `name` under `root`; an existing one raises SluiceInvalidArgument unless
        `exist_ok`. A root that cannot be written raises SluicePermissionError."""
        dataset = cls(root, name, **source_options)
        error = ctypes.c_void_p()
        with _SourceOptions(dataset._source_options) as options:
            status = _lib_handle.sluice_dataset_create(
                encode(dataset.root, "the root"),
                encode(dataset.name, "the name"),
                int(bool(exist_ok)),
                options,
                ctypes.byref(error),
            )
        _check(status, error)
        return dataset

    @classmethod
    def load(cls, root: Root, name: str, version: Optional[str] = None, **source_options: Any) -> "Dataset":
        """The existing dataset `name` (SluiceNotFoundError if there is none), with `version` selected."""
        dataset = cls(root, name, **source_options)
        dataset.list_versions()  # fails when the dataset does not exist
        return dataset.select_version(version) if version is not None else dataset

    def _dataset_uri(self) -> str:
        root = self.root
        if "://" not in root:
            root = os.path.abspath(root)
        return f"{root.rstrip('/')}/{self.name}"

    def _args(self) -> Tuple[bytes, bytes]:
        return encode(self.root, "the root"), encode(self.name, "the name")

    def list_versions(self) -> List[str]:
        """The names of the published versions, sorted."""
        out = ctypes.c_void_p()
        error = ctypes.c_void_p()
        with _SourceOptions(self._source_options) as options:
            status = _lib_handle.sluice_dataset_versions(*self._args(), options, ctypes.byref(out), ctypes.byref(error))
        _check(status, error)
        return list(json.loads(_owned_text(out)))

    def manifest(self, version: str) -> Dict[str, Any]:
        """The manifest of `version`, as a dict (docs/datasets.md)."""
        out = ctypes.c_void_p()
        error = ctypes.c_void_p()
        with _SourceOptions(self._source_options) as options:
            status = _lib_handle.sluice_dataset_manifest(
                *self._args(),
                encode(_name_text(version, "version name"), "the version"),
                options,
                ctypes.byref(out),
                ctypes.byref(error),
            )
        _check(status, error)
        return dict(json.loads(_owned_text(out)))

    def select_version(self, version: str) -> "Dataset":
        """A Dataset with `version` selected (checked now: its manifest is read)."""
        selected = Dataset(self.root, self.name, version, **self._source_options)
        selected._manifest = self.manifest(version)
        return selected

    @property
    def selected_version(self) -> Optional[DatasetVersion]:
        """The selected version's metadata, or None when none is selected."""
        if self._selected is None:
            return None
        if self._manifest is None:
            self._manifest = self.manifest(self._selected)
        return DatasetVersion(self, self._manifest)

    @property
    def read(self) -> DatasetVersion:
        """The selected version (ValueError when none is selected): its metadata and its rows."""
        version = self.selected_version
        if version is None:
            raise ValueError(
                f"sluice: dataset {self.name!r} has no version selected: call select_version(v), or load_dataset(root, "
                f"name, version); its versions: {self.list_versions()}"
            )
        return version

    def create_version(
        self,
        version: str,
        input: Any,
        shuffle: bool = False,
        partition_by: Optional[str] = None,
        label_cols: Union[str, Sequence[str]] = (),
        exclude_cols: Union[str, Sequence[str]] = (),
        comment: Optional[str] = None,
        properties: Optional[Mapping[str, Any]] = None,
        *,
        seed: Optional[int] = None,
        progress: Progress = None,
    ) -> "Dataset":
        """Write the rows of `input` as version `version`, publish it, and return this dataset with it
        selected. `input`: a DataConnector (files, query, DataFrame), a DataFrame or Arrow table, or
        anything `from_sources` takes (paths, globs, URIs).

        `shuffle` writes the rows in a shuffled order (seeded by `seed`, default 0, kept in the
        manifest); `partition_by` a column: each file holds rows of one of its values; `label_cols`
        names the label (the default `label` of to_torch_dataset and to_xgboost on this version);
        `exclude_cols` columns that reads leave out (kept in the files); `comment` and `properties`
        (JSON values) go in the manifest. `progress=True` shows a tqdm bar of the rows written, a
        function is called as `progress(rows_done, rows_total)`.

        An existing version raises SluiceInvalidArgument naming it (versions are never overwritten),
        also when another process publishes it first.
        """
        from ._connector import DataConnector

        connector, owned = _input_connector(input, self._source_options)
        try:
            settings: List[Tuple[str, str]] = [("shuffle", "true" if shuffle else "false")]
            if seed is not None:
                settings.append(("seed", str(int(seed))))
            if partition_by is not None:
                settings.append(("partition_by", _name_text(partition_by, "partition_by column")))
            settings.append(("label_cols", json.dumps(_column_list(label_cols, "label_cols"))))
            settings.append(("exclude_cols", json.dumps(_column_list(exclude_cols, "exclude_cols"))))
            if comment is not None:
                settings.append(("comment", str(comment)))
            if properties is not None:
                settings.append(("properties", json.dumps(dict(properties))))
            keys = (ctypes.c_char_p * len(settings))(*[encode(k) for k, _ in settings])
            values = (ctypes.c_char_p * len(settings))(*[encode(v, f"the value of {k}") for k, v in settings])
            callback, report = _progress_callback(progress)
            out = ctypes.c_void_p()
            error = ctypes.c_void_p()
            try:
                with _SourceOptions(self._source_options) as options, connector._use_connector() as handle:
                    status = _lib_handle.sluice_dataset_create_version(
                        *self._args(),
                        encode(_name_text(version, "version name"), "the version"),
                        handle,
                        keys,
                        values,
                        len(settings),
                        callback,
                        None,
                        options,
                        ctypes.byref(out),
                        ctypes.byref(error),
                    )
            finally:
                if report[0] is not None:
                    report[0].close()
            _check(status, error)
            selected = Dataset(self.root, self.name, version, **self._source_options)
            selected._manifest = dict(json.loads(_owned_text(out)))
            return selected
        finally:
            if owned and isinstance(connector, DataConnector):
                connector.close()

    def delete_version(self, version: str) -> None:
        """Delete `version`: its manifest first (no reader finds it from then on), then its files."""
        error = ctypes.c_void_p()
        with _SourceOptions(self._source_options) as options:
            status = _lib_handle.sluice_dataset_delete_version(
                *self._args(), encode(_name_text(version, "version name"), "the version"), options, ctypes.byref(error)
            )
        _check(status, error)

    def clean_up(self, older_than: float = 3600) -> Dict[str, Any]:
        """Remove what creates that crashed left (files no manifest lists), started `older_than`
        seconds ago or more (0: all, safe only while no create runs). Returns {"attempts", "files"}."""
        if older_than < 0:
            raise ValueError(f"sluice: older_than={older_than!r} must be zero or more seconds")
        out = ctypes.c_void_p()
        error = ctypes.c_void_p()
        with _SourceOptions(self._source_options) as options:
            status = _lib_handle.sluice_dataset_clean_up(
                *self._args(), int(older_than), options, ctypes.byref(out), ctypes.byref(error)
            )
        _check(status, error)
        return dict(json.loads(_owned_text(out)))

    def _reopen_state(self) -> Dict[str, Any]:
        return {"root": self.root, "name": self.name, "version": self._selected, "options": self._source_options}

    def __repr__(self) -> str:
        selected = f" version {self._selected!r}" if self._selected else ""
        return f"<sluice.Dataset {self.name!r} under {self.root!r}{selected}>"


def load_dataset(root: Root, name: str, version: Optional[str] = None, **source_options: Any) -> Dataset:
    """The dataset `name` under `root`, with `version` selected (Snowflake's `load_dataset`)."""
    return Dataset.load(root, name, version, **source_options)


def _column_list(value: Union[str, Sequence[str], None], what: str) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    columns = list(value)
    for column in columns:
        if not isinstance(column, str):
            raise TypeError(f"sluice: {what} lists column names, not {type(column).__name__}")
    return columns


def _input_connector(value: Any, source_options: Mapping[str, Any]) -> Tuple[Any, bool]:
    """A connector over `value`, and whether it was made here (and is closed after)."""
    from ._connector import DataConnector, _Reads

    if isinstance(value, DataConnector):
        return value, False
    if isinstance(value, _Reads):
        raise TypeError(
            "sluice: create_version takes a whole DataConnector (or sources, or a DataFrame), not a shard or bound read"
        )
    if isinstance(value, (str, bytes, os.PathLike, list, tuple)):
        return DataConnector.from_sources(value, **source_options), True
    return DataConnector.from_dataframe(value), True


def _progress_callback(progress: Progress) -> Tuple[Any, List[Optional[ProgressReport]]]:
    """The C callback for `progress` (a NULL one for none) and the cell of its report."""
    cell: List[Optional[ProgressReport]] = [None]
    if progress is None or progress is False:
        return _lib.PROGRESS_CALLBACK(), cell
    if progress is not True and not callable(progress):
        raise TypeError(
            f"sluice: progress must be True, False, None or a function fn(rows_done, rows_total), not {progress!r}"
        )
    last = [0]

    def report(done: int, total: int, _user_data: object) -> None:
        if cell[0] is None:
            cell[0] = progress_report(progress, total, "create_version")
            last[0] = 0
        if done > last[0] and cell[0] is not None:
            cell[0].add(done - last[0])
            last[0] = done

    return _lib.PROGRESS_CALLBACK(report), cell


def open_version(cls: Any, dataset: Dataset, verify: bool, extra_options: Mapping[str, Any]) -> Any:
    """A connector of class `cls` over the selected version of `dataset` (`from_dataset`)."""
    if not isinstance(dataset, Dataset):
        raise TypeError(
            f"sluice: from_dataset takes a sluice.Dataset (load_dataset(...)), not {type(dataset).__name__}"
        )
    if dataset._selected is None:
        raise ValueError(f"sluice: dataset {dataset.name!r} has no version selected: call select_version(v) first")
    options = {**dataset._source_options, **extra_options}
    out = ctypes.c_void_p()
    error = ctypes.c_void_p()
    with _SourceOptions(options) as handle:
        status = _lib_handle.sluice_connector_open_dataset(
            *dataset._args(),
            encode(dataset._selected, "the version"),
            int(bool(verify)),
            handle,
            ctypes.byref(out),
            ctypes.byref(error),
        )
    _check(status, error)
    connector = cls(out.value, [], options)
    manifest = dataset._manifest if dataset._manifest is not None else dataset.manifest(dataset._selected)
    connector._dataset_labels = list(manifest.get("label_cols") or [])
    connector._dataset = {"root": dataset.root, "name": dataset.name, "version": dataset._selected, "options": options}
    return connector


def reopen(cls: Any, state: Mapping[str, Any]) -> Any:
    """A connector over the version `state` names (a pickled dataset connector, in another process)."""
    dataset = Dataset(state["root"], state["name"], state["version"], **state["options"])
    return open_version(cls, dataset, False, {})


def default_label(label_cols: Sequence[str], label: Optional[str], features: Any) -> Optional[str]:
    """`label`, or with `features` named the version's one label column."""
    if label is not None or features is None or not label_cols:
        return label
    if len(label_cols) > 1:
        raise ValueError(f"sluice: the dataset version has several label_cols {list(label_cols)}: name one as label=")
    return label_cols[0]
