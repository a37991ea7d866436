"""`to_xgboost`: XGBoost matrices built batch by batch from the core's packed mode.

The core packs the feature columns into one row-major float32 matrix per batch
(a fixed_size_list column), so each batch reaches XGBoost as a zero-copy
(batch, n_features) view plus the label: the table never exists as a whole in
pandas or Arrow. kind="quantile" and "extmem" drive an xgboost.DataIter, whose
reset() opens a new read with the same options (same epoch, so every pass XGBoost
makes sees the same rows in the same order); kind="dmatrix" fills one in-memory
array of the size the core reports up front and hands it to xgboost.DMatrix.
"""

import functools
import shutil
import tempfile
import weakref

import numpy as np
import pyarrow as pa

from ._numpy import batch_to_numpy
from ._progress import progress_report

KINDS = ("quantile", "extmem", "dmatrix")

#: read options that to_xgboost sets itself
_OWN_KEYS = ("tensors", "features", "label", "columns")


def to_xgboost(
    reads,
    features,
    label=None,
    *,
    kind="quantile",
    missing=None,
    nthread=None,
    max_bin=None,
    ref=None,
    feature_names=None,
    cache_prefix=None,
    progress=None,
    **read_options,
):
    """An XGBoost matrix of `features` (and `label`) from `reads` (a DataConnector, DataShard or BoundRead).

    kind: "quantile" -> xgboost.QuantileDMatrix over a streaming DataIter;
          "extmem"   -> xgboost.ExtMemQuantileDMatrix over the same iterator, its pages cached
                        under `cache_prefix` (default: a temporary directory removed with the matrix);
          "dmatrix"  -> an in-memory xgboost.DMatrix.
    missing, nthread, max_bin (quantile kinds), ref (quantile kinds) go to the matrix;
    feature_names default to `features`. `progress=True` (a tqdm bar) or `progress=fn(rows_done,
    rows_total)` reports the rows handed to XGBoost; XGBoost reads a streamed matrix in several
    passes, and each pass starts again at 0. Other keyword arguments are read options
    (batch_size, limit, shuffle, seed, epoch, null_fill …: docs/options.md).
    """
    import xgboost

    if kind not in KINDS:
        raise ValueError(f"sluice: to_xgboost: kind={kind!r} is not one of {', '.join(map(repr, KINDS))}")
    features = _feature_list(features)
    own = sorted(key for key in read_options if key in _OWN_KEYS)
    if own:
        raise TypeError(f"sluice: to_xgboost sets {', '.join(own)} itself; pass the columns as features= and label=")
    if kind == "dmatrix" and (max_bin is not None or ref is not None):
        raise TypeError("sluice: to_xgboost: max_bin and ref apply to kind='quantile' or 'extmem', not 'dmatrix'")
    if kind != "extmem" and cache_prefix is not None:
        raise TypeError("sluice: to_xgboost: cache_prefix applies to kind='extmem' only")
    options = dict(read_options, tensors=True, features=features)
    if label is not None:
        options["label"] = label
    _check_label(_schema_without_reading(reads, options), label)
    names = list(features) if feature_names is None else list(feature_names)
    matrix_args = {"missing": missing, "nthread": nthread}

    report = (
        None if progress is None or progress is False else progress_report(progress, reads.count_rows(**options), kind)
    )
    try:
        return _build(
            xgboost, reads, options, kind, features, label, names, matrix_args, max_bin, ref, cache_prefix, report
        )
    finally:
        if report is not None:
            report.close()


def _build(xgboost, reads, options, kind, features, label, names, matrix_args, max_bin, ref, cache_prefix, report):
    if kind == "dmatrix":
        x, y = _read_all(reads, options, len(features), label, report)
        return xgboost.DMatrix(x, label=y, feature_names=names, **_given(matrix_args))
    matrix_args.update(max_bin=max_bin, ref=ref)
    if kind == "quantile":
        iterator = _iterator(reads, options, label, names, report=report)
        return xgboost.QuantileDMatrix(iterator, **_given(matrix_args))
    directory = None
    if cache_prefix is None:
        directory = tempfile.mkdtemp(prefix="sluice-xgboost-")
        cache_prefix = f"{directory}/cache"
    try:
        iterator = _iterator(reads, options, label, names, cache_prefix, report)
        matrix = xgboost.ExtMemQuantileDMatrix(iterator, **_given(matrix_args))
    except BaseException:
        if directory:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    if directory:
        # the matrix reads its pages from these files while it lives
        weakref.finalize(matrix, shutil.rmtree, directory, ignore_errors=True)
    return matrix


def _feature_list(features):
    if isinstance(features, str) or not isinstance(features, (list, tuple)) or not features:
        raise TypeError(f"sluice: to_xgboost: features must be a non-empty list of column names, not {features!r}")
    for name in features:
        if not isinstance(name, str):
            raise TypeError(f"sluice: to_xgboost: features must be column names (str), not {name!r}")
    return list(features)


def _given(kwargs):
    return {key: value for key, value in kwargs.items() if value is not None}


def _schema_without_reading(reads, options):
    """Opens the read with limit=0 (the core plans no rows): checks every option, reads no data."""
    with reads.to_arrow(**dict(options, limit=0)) as reader:
        return reader.schema


def _check_label(schema, label):
    if label is None:
        return
    t = schema.field(label).type
    if pa.types.is_dictionary(t):
        t = t.index_type
    if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)):
        raise TypeError(f"sluice: to_xgboost: label column {label!r} has type {t}; XGBoost needs numbers or bools")


def _xy(batch, label):
    """A packed batch as numpy: X a zero-copy (batch, n) float32 view, y the label (or None)."""
    arrays = batch_to_numpy(batch, squeeze=True)
    if label is None:
        return arrays["features"], None
    y = arrays[label]
    # XGBoost's array interface takes no numpy bool; 0/1 as float32 is what it stores anyway
    return arrays["features"], (y.astype(np.float32) if y.dtype == np.bool_ else y)


def _read_all(reads, options, n_features, label, report=None):
    """Every row in one (rows, n) float32 array (and the label), filled batch by batch."""
    rows = reads.count_rows(**options)
    x = np.empty((rows, n_features), dtype=np.float32)
    y = None
    filled = 0
    with reads.to_arrow(**options) as reader:
        for xb, yb in (_xy(batch, label) for batch in reader):
            if y is None and yb is not None:
                y = np.empty(rows, dtype=yb.dtype)
            end = filled + len(xb)
            if end > rows:
                raise RuntimeError(f"sluice: the read emitted more than the {rows} rows it announced")
            x[filled:end] = xb
            if y is not None:
                y[filled:end] = yb
            filled = end
            if report is not None:
                report.add(len(xb))
    if filled != rows:
        raise RuntimeError(f"sluice: the read emitted {filled} rows, {rows} announced")
    if y is None and label is not None:  # no rows at all
        y = np.empty(0, dtype=np.float32)
    return x, y


def _iterator(reads, options, label, feature_names, cache_prefix=None, report=None):
    return _iterator_class()(reads, options, label, feature_names, cache_prefix, report)


@functools.lru_cache(maxsize=None)
def _iterator_class():
    """The DataIter subclass, defined on first use: xgboost is imported lazily."""
    import xgboost

    class PackedBatchIter(xgboost.DataIter):
        """An xgboost.DataIter over one sluice read: next() hands XGBoost one packed batch;
        reset() closes the read, and the next pass opens a new one with the same options."""

        def __init__(self, reads, options, label, feature_names, cache_prefix, report):
            super().__init__(cache_prefix=cache_prefix)
            self._report = report
            self._passes = 0
            self._reads = reads
            self._options = options
            self._label = label
            self._feature_names = feature_names
            self._reader = None
            self._batches = None

        def next(self, input_data):
            if self._batches is None:
                self._reader = self._reads.to_arrow(**self._options)
                self._batches = iter(self._reader)
                if self._report is not None and self._passes:
                    self._report.restart()
                self._passes += 1
            batch = next(self._batches, None)
            if batch is None:
                return False
            x, y = _xy(batch, self._label)
            if self._report is not None:
                self._report.add(len(x))
            if y is None:
                input_data(data=x, feature_names=self._feature_names)
            else:
                input_data(data=x, label=y, feature_names=self._feature_names)
            return True

        def reset(self):
            self._batches = None
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    return PackedBatchIter
