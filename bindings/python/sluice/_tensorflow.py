"""`to_tf_dataset`: a streaming tf.data.Dataset over reads in the core's tensor mode.

The core's tensor mode (read option tensors=true) fixes every output column's
Arrow type, so the element_spec is a pure function of the stream's schema. That
schema comes from a read opened with limit=0: the core plans no rows, so
building the dataset reads no data (and bad options fail here, naming the option).

| tensor-mode Arrow type          | TensorSpec                                          |
|---------------------------------|-----------------------------------------------------|
| int*, uint*, float*, bool       | same dtype, (batch, 1); squeeze=True: (batch,)      |
| utf8, large_utf8, binary        | tf.string, (batch, 1) / (batch,)                     |
| dictionary<K, V>                | the codes: K, (batch, 1) / (batch,)                  |
| fixed_size_list<T>[k]           | T, (batch, k)                                        |
| list<T> (ragged=values_offsets) | tf.RaggedTensorSpec T, (batch, None)                 |

batch is None, or batch_size when drop_last_batch=True (every batch is then full).
Packed mode (features=[...], label=...) gives (X, y) with X float32 (batch, n) and y the
label of shape (batch,) whatever `squeeze` says, as to_torch_dataset's.
The dataset's cardinality (len) is the number of batches, which the core computes
from metadata. Each iteration of the dataset opens a new read; iteration i uses epoch `epoch + i`
(a new order per pass when shuffling, as tf.data's own reshuffle_each_iteration),
and `dataset.set_epoch(e)` sets the epoch of the next iteration.
"""

import threading

import numpy as np
import pyarrow as pa

from ._numpy import batch_to_numpy
from ._options import batches_per_chunk

_types = pa.types

#: read options that to_tf_dataset sets itself
_OWN_KEYS = ("tensors", "batches_per_chunk")


def to_tf_dataset(
    reads,
    *,
    batch_size,
    shuffle=False,
    drop_last_batch=True,
    seed=None,
    epoch=0,
    squeeze=False,
    columns=None,
    features=None,
    label=None,
    **read_options,
):
    """A tf.data.Dataset over `reads` (a DataConnector, DataShard or BoundRead); see the module docstring."""
    import tensorflow as tf

    own = sorted(key for key in read_options if key in _OWN_KEYS)
    if own:
        raise TypeError(f"sluice: to_tf_dataset sets {', '.join(own)} itself; it cannot be passed")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"sluice: to_tf_dataset: batch_size must be a positive integer, not {batch_size!r}")
    options = dict(read_options)
    options.update(tensors=True, batch_size=batch_size, shuffle=bool(shuffle), drop_last_batch=bool(drop_last_batch))
    for key, value in (("seed", seed), ("columns", columns), ("features", features), ("label", label)):
        if value is not None:
            options[key] = value
    layout = _Layout(_schema_without_reading(reads, options), squeeze, packed=features is not None, label=label)
    epochs = _Epochs(epoch)
    # The core emits chunks of whole batches (batches_per_chunk; drop_last_batch is the core's) and
    # TensorFlow cuts each chunk every batch_size rows (Dataset.rebatch, in C++): from_generator costs
    # a Python call per element, which at 1,024 rows would be most of the time.
    chunk = dict(options, batches_per_chunk=batches_per_chunk(batch_size))

    def generate():
        with reads.to_arrow(epoch=epochs.take(), **chunk) as reader:
            for batch in reader:
                yield layout.element(batch)

    dataset = tf.data.Dataset.from_generator(generate, output_signature=layout.signature(tf))
    # chunks hold whole batches, so no batch spans two chunks; drop_remainder drops nothing (the core
    # did), it only gives the static batch dimension when every batch is full
    dataset = dataset.rebatch(batch_size, drop_remainder=bool(drop_last_batch))
    # the core counts a read's rows from metadata: a known length gives Keras its steps per epoch
    batches = -(-reads.count_rows(**options) // batch_size)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    # a plain attribute: lost by dataset.map(...) etc., so call it on this object
    dataset.set_epoch = epochs.set
    return dataset


def _schema_without_reading(reads, options):
    """The schema of a read with these options; limit=0 plans no rows, so no data is read."""
    probe = dict(options, limit=0)
    with reads.to_arrow(**probe) as reader:
        return reader.schema


class _Epochs:
    """The epoch of each new iteration: starts at `first`, +1 per iteration, or as set."""

    def __init__(self, first):
        self._next = _epoch_value(first)
        self._lock = threading.Lock()

    def set(self, epoch):
        """The next iteration of the dataset reads this epoch (later ones epoch+1, ...)."""
        epoch = _epoch_value(epoch)
        with self._lock:
            self._next = epoch

    def take(self):
        with self._lock:
            epoch, self._next = self._next, self._next + 1
        return epoch


def _epoch_value(epoch):
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise ValueError(f"sluice: epoch must be a non-negative integer, not {epoch!r}")
    return int(epoch)


class _Column:
    """How one tensor-mode column becomes one tensor: its dtype and shape (batch first, None:
    the generator's chunks have any length; rebatch fixes it)."""

    def __init__(self, name, arrow_type, squeeze):
        batch = None
        self.shape: tuple = ()
        self.name = name
        self.ragged = None
        t = arrow_type
        if _types.is_dictionary(t):
            t = t.index_type
        if _types.is_list(t) or _types.is_large_list(t):
            self.dtype = _numeric_dtype(name, t.value_type)
            self.shape = (batch, None)
            self.ragged = "int64" if _types.is_large_list(t) else "int32"
        elif _types.is_fixed_size_list(t):
            self.dtype = _numeric_dtype(name, t.value_type)
            self.shape = (batch, t.list_size)
        elif _types.is_string(t) or _types.is_large_string(t) or _types.is_binary(t) or _types.is_large_binary(t):
            self.dtype = "string"
            self.shape = (batch,) if squeeze else (batch, 1)
        else:
            self.dtype = _numeric_dtype(name, t)
            self.shape = (batch,) if squeeze else (batch, 1)

    def spec(self, tf):
        dtype = tf.string if self.dtype == "string" else tf.as_dtype(self.dtype)
        if self.ragged:
            return tf.RaggedTensorSpec(
                shape=self.shape, dtype=dtype, ragged_rank=1, row_splits_dtype=tf.as_dtype(self.ragged)
            )
        return tf.TensorSpec(shape=self.shape, dtype=dtype)

    def value(self, array):
        if self.ragged:
            import tensorflow as tf

            values, offsets = array  # offsets start at 0 (see _numpy.py)
            return tf.RaggedTensor.from_row_splits(values, offsets.astype(self.ragged, copy=False), validate=False)
        # reshape is a view; it also pins the shape whatever the numpy mapping's default is
        return array.reshape((-1,) + self.shape[1:])


def _numeric_dtype(name, t):
    if _types.is_integer(t) or _types.is_floating(t) or _types.is_boolean(t):
        return np.dtype(t.to_pandas_dtype())
    raise TypeError(f"sluice: column {name!r} has type {t}, which has no TensorFlow form (was tensors=true honoured?)")


class _Layout:
    """The structure of one element: {name: tensor}, or (X, y) / X in packed mode."""

    def __init__(self, schema, squeeze, packed, label):
        self.columns = [_Column(f.name, f.type, squeeze) for f in schema]
        self.packed = packed
        self.label = label
        if packed:
            names = [c.name for c in self.columns]
            if "features" not in names or (label is not None and label not in names):
                raise RuntimeError(f"sluice: a packed read returned columns {names}; expected features and {label!r}")
            self.features = self.columns[names.index("features")]
            # the label is (batch,), as to_torch_dataset's and what Keras and torch losses take
            self.target = _Column(label, schema.field(label).type, True) if label is not None else None

    def signature(self, tf):
        if not self.packed:
            return {c.name: c.spec(tf) for c in self.columns}
        if self.target is None:
            return self.features.spec(tf)
        return self.features.spec(tf), self.target.spec(tf)

    def element(self, batch):
        arrays = batch_to_numpy(batch)
        if not self.packed:
            return {c.name: c.value(arrays[c.name]) for c in self.columns}
        x = self.features.value(arrays["features"])
        if self.target is None:
            return x
        return x, self.target.value(arrays[self.label])
