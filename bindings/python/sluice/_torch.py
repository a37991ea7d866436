"""`to_torch_dataset`: a torch IterableDataset over a tensor-mode read.

The core does the reading, the column policy, the shuffle, the shards, the
split between DataLoader workers and the batches (drop_last_batch included);
this module maps batches to tensors (through the numpy mapping of `_numpy.py`,
zero-copy for numbers) and tells the core which worker it runs in.

Batches. The core emits chunks of whole batches (read option `batches_per_chunk`):
batch i of a chunk is its rows i*batch_size, …, and only the stream's last batch
can be short (only without drop_last_batch). Converting one chunk and slicing
views costs far less per batch than converting every batch.

Workers. A DataLoader with k workers gives each worker a copy of the dataset;
each worker fills whole DataLoader batches from its own iterator, and the
DataLoader hands them out round-robin: DataLoader batch j comes from worker
j % k. So worker w must own exactly the rows of DataLoader batches w, w+k, …:
the core's `worker_interleave` is set to the rows of one DataLoader batch
(`loader_batch_size` items × rows per item), and every k gives the same
batches in the same order. Each worker decodes only its own rows.

In a worker, each converted chunk's tensors are copied into one shared-memory storage
(`_torch_shared.py`), so that each batch crosses to the main process as one file descriptor
rather than one per tensor.

Resume. `state_dict()` is the position of the iteration in progress (a resume token, from the
core, after the items yielded so far), `load_state_dict()` makes the next iteration continue
from such a position. `torchdata.stateful_dataloader.StatefulDataLoader` calls both in each
DataLoader worker on the worker's copy, so every worker's position is saved and restored.

Epochs. The epoch lives in shared memory (`_shared_epoch.py`), so that
`set_epoch(e)` in the main process reaches workers that persist across epochs
(persistent_workers=True) as well as workers created for each epoch.
"""

import logging
import warnings
from typing import TYPE_CHECKING, Any, Dict, Iterator, Mapping, Optional

import numpy as np
import pyarrow as pa
import torch
from torch.utils.data import IterableDataset, get_worker_info

from ._numpy import converter, is_text
from ._options import batches_per_chunk
from ._progress import logger
from ._torch_collate import RowCollate
from ._torch_shared import share_chunk
from ._types import Columns

if TYPE_CHECKING:
    from ._connector import _Reads
from ._shared_epoch import SharedEpoch

#: rows per core batch when the dataset yields single rows (batch_size=None)
ROW_MODE_READ_BATCH = 1024
#: read options that the dataset decides; passing them is an error
_OWN_KEYS = ("tensors", "num_workers", "worker_index", "worker_interleave", "batches_per_chunk", "resume_from")
#: the version of the state_dict layout
_STATE_VERSION = 1


def _first_from_numpy(array):
    # torch warns, once per process, that a read-only array gives a writable tensor: Arrow's
    # buffers are shared, not copied (documented in to_torch_dataset). Silence that one warning.
    global _from_numpy_checked
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        tensor = torch.from_numpy(array)
    _from_numpy_checked = torch.from_numpy
    return tensor


_from_numpy_checked = _first_from_numpy


def torch_converter(name, data_type, squeeze=False):
    """The function mapping a tensor-mode column of `data_type` to torch: a tensor sharing the
    Arrow memory (bool: a copy), a numpy object array of str/bytes for text, or a tuple (values, offsets).

    Text stays a numpy object array, shaped like a scalar column ((batch, 1), squeeze: (batch,)):
    torch's default_convert and pin_memory pass such an array through untouched, while they
    walk a list item by item (about 1.6 ms per 1,024-row batch, more than decoding it)."""
    to_numpy = converter(name, data_type, squeeze)
    if is_text(data_type):
        return to_numpy
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return lambda array: tuple(_from_numpy_checked(part) for part in to_numpy(array))
    return lambda array: _from_numpy_checked(to_numpy(array))


def _dict_converter(schema, squeeze):
    """batch -> {name: tensor} for the dict mode, each column's mapping chosen once per read."""
    converters = [(name, torch_converter(name, field.type, squeeze)) for name, field in zip(schema.names, schema)]
    return lambda batch: {name: convert(column) for (name, convert), column in zip(converters, batch.columns)}


def _rows(column):
    """A batch column split into its rows (views, no copies; text: its str / bytes objects)."""
    if isinstance(column, np.ndarray):  # text: one str / bytes per row, which default_collate keeps
        return column.reshape(-1).tolist()
    if isinstance(column, tuple):
        values, offsets = column
        bounds = offsets.tolist()
        return [values[start:end] for start, end in zip(bounds, bounds[1:])]
    return column.unbind(0)


def _sliceable(schema):
    """Whether a converted batch can be cut into views: no ragged (values, offsets) column."""
    return not any(pa.types.is_list(f.type) or pa.types.is_large_list(f.type) for f in schema)


def _cut(column, size):
    """One converted column cut into pieces of `size` rows (views; the last may be short)."""
    if isinstance(column, np.ndarray):  # text
        return [column[start : start + size] for start in range(0, len(column), size)]
    return column.split(size)  # one call for all the views: cheaper than slicing each


def _batches(item, size):
    """A converted chunk as items of `size` rows: dicts, (X, y) tuples or X, by the item's form."""
    if isinstance(item, dict):
        names = list(item)
        return (dict(zip(names, row)) for row in zip(*(_cut(column, size) for column in item.values())))
    if isinstance(item, tuple):  # packed (X, y)
        return zip(*(_cut(part, size) for part in item))
    return iter(_cut(item, size))  # packed X alone


class SluiceTorchDataset(IterableDataset):
    """A `torch.utils.data.IterableDataset` over a sluice read (see `_Reads.to_torch_dataset`)."""

    def __init__(
        self,
        reads: "_Reads",
        *,
        batch_size: Optional[int] = None,
        shuffle: bool = False,
        drop_last_batch: bool = True,
        seed: Optional[int] = None,
        epoch: int = 0,
        squeeze: bool = False,
        columns: Optional[Columns] = None,
        features: Optional[Columns] = None,
        label: Optional[str] = None,
        loader_batch_size: Optional[int] = None,
        read_options: Optional[Mapping[str, Any]] = None,
    ) -> None:
        super().__init__()
        read_options = dict(read_options or {})
        own = sorted(key for key in read_options if key in _OWN_KEYS)
        if own:
            raise TypeError(f"sluice: to_torch_dataset sets {', '.join(own)} itself; leave it out")
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0
        ):
            raise ValueError(f"sluice: batch_size must be a positive int or None, not {batch_size!r}")
        if loader_batch_size is not None and (
            isinstance(loader_batch_size, bool) or not isinstance(loader_batch_size, int) or loader_batch_size <= 0
        ):
            raise ValueError(f"sluice: loader_batch_size must be a positive int or None, not {loader_batch_size!r}")
        if label is not None and features is None:
            raise ValueError(
                "sluice: label= is for packed mode and needs features=[...]; "
                "without features, name the label in columns=[...]"
            )
        if isinstance(features, str):
            features = [features]
        self._reads = reads
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last_batch = bool(drop_last_batch)
        self.seed = None if seed is None else int(seed)  # None: the core's fixed default seed
        self._epoch = SharedEpoch(epoch)
        self.squeeze = bool(squeeze)
        self.columns = None if columns is None else list(columns)
        self.features = None if features is None else list(features)
        self.label = label
        self.loader_batch_size = loader_batch_size
        self._read_options = read_options
        self._length: Optional[int] = None  # len(): counted once, at the first call (no epoch changes a count)
        # Resume: the state the next iteration starts from (load_state_dict), the iteration in
        # progress (its C stream and the rows of its last batch not yet yielded), and the
        # position where the last iteration stopped.
        self._resume: Optional[Dict[str, Any]] = None
        self._live: Optional[Any] = None
        self._stopped: Optional[Dict[str, Any]] = None
        # Bad options, columns and types raise here rather than in a DataLoader worker: the core
        # checks them when a stream opens (limit=0: nothing is read; this also gives the schema).
        with self._reads._tensor_arrow({**self._iteration_options(), "limit": 0}) as reader:
            self.schema = reader.schema
        if logger.isEnabledFor(logging.INFO):
            logger.info("sluice: %r: %d items per pass (%d rows)", self, len(self), self.count_rows())

    @property
    def collate_fn(self) -> RowCollate:
        """The `collate_fn` for `DataLoader(dataset, batch_size=L, collate_fn=dataset.collate_fn)` over
        single rows (batch_size=None): torch's default_collate, except that text columns become
        numpy object arrays shaped like a scalar column ((L, 1), squeeze: (L,)), as in batch mode,
        instead of lists that pin_memory and user code walk item by item."""
        return RowCollate(self.squeeze)

    def set_epoch(self, epoch: int) -> None:
        """Use epoch `epoch`'s order from the next iteration on (as DistributedSampler.set_epoch).

        Call it before iterating the DataLoader (`for batch in loader`): every worker reads
        the epoch when its iteration starts, persistent workers (persistent_workers=True)
        included, through memory shared with the workers the DataLoader creates. A copy
        made by pickling outside a DataLoader keeps its own epoch.
        """
        self._epoch.value = epoch

    @property
    def epoch(self) -> int:
        """The epoch whose order the next iteration gives."""
        return self._epoch.value

    @epoch.setter
    def epoch(self, epoch: int) -> None:
        self._epoch.value = epoch

    def _options(self, batch_size, drop_last_batch):
        options = dict(self._read_options)
        options.update(batch_size=batch_size, drop_last_batch=drop_last_batch, epoch=self.epoch)
        if self.shuffle:
            options.update(shuffle=True, seed=self.seed)  # seed None: left unset
        if self.features is not None:
            options["features"] = self.features
            if self.label is not None:
                options["label"] = self.label
        elif self.columns is not None:
            options["columns"] = self.columns
        return options

    def _iteration_options(self):
        if self.batch_size is None:
            return self._options(ROW_MODE_READ_BATCH, False)
        return self._options(self.batch_size, self.drop_last_batch)

    def count_rows(self) -> int:
        """Rows one pass over the dataset yields, all workers together (from metadata, no data read)."""
        return self._reads.count_rows(tensors=True, **self._iteration_options())

    def __len__(self) -> int:
        """Items one pass yields, all DataLoader workers together: batches (the last one short
        unless drop_last_batch), or rows with batch_size=None. It is exact, counted by the core from
        metadata, and the same for every num_workers: workers take turns of whole batches, so only
        the pass's last batch can be short. `len(DataLoader(dataset, ...))` follows from it."""
        if self._length is None:
            rows = self.count_rows()
            self._length = rows if self.batch_size is None else -(-rows // self.batch_size)
        return self._length

    def __iter__(self) -> Iterator[Any]:
        return self._generate()

    def state_dict(self) -> Dict[str, Any]:
        """The position of this dataset's iteration, as a dict of plain values (picklable, JSON-able):
        after the items yielded so far, or where the last iteration stopped, or the state that
        `load_state_dict` gave if no iteration has started since. Its `position` is a resume token
        (an opaque string), None before any iteration.

        With `torchdata.stateful_dataloader.StatefulDataLoader`, the loader calls this in each
        DataLoader worker (on the worker's copy) and saves every worker's position with its own
        `state_dict()`; `loader.load_state_dict(...)` restores each worker. Restore the epoch
        with `set_epoch` as before: a position from another epoch, other options or changed
        files is refused with an error naming the difference, and a different number of
        DataLoader workers or ranks too (docs/design.md, "Resume")."""
        if self._live is not None:
            stream, unconsumed = self._live
            return self._state(stream.position(unconsumed[0]), ended=False)
        if self._resume is not None:
            return dict(self._resume)
        if self._stopped is not None:
            return dict(self._stopped)
        return self._state(None, ended=False)

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Makes the next iteration continue from `state_dict` (from `state_dict()`): it yields
        exactly the items the saved one would have yielded next, with the same batch boundaries.
        A state saved after an iteration ended starts the next iteration from the beginning."""
        version = state_dict.get("version")
        if version != _STATE_VERSION:
            raise ValueError(f"sluice: a state_dict of version {version!r}; this sluice reads version {_STATE_VERSION}")
        position = state_dict.get("position")
        if position is not None and not isinstance(position, str):
            raise ValueError(f"sluice: state_dict['position'] must be a resume token (str) or None, not {position!r}")
        self._resume = dict(state_dict)

    def _state(self, position: Optional[str], ended: bool) -> Dict[str, Any]:
        return {"version": _STATE_VERSION, "epoch": self.epoch, "position": position, "ended": ended}

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["_live"] = None  # a C stream stays in its process
        return state

    def _items_per_loader_batch(self, workers):
        """Items the DataLoader takes from this iterator for one of its batches."""
        if self.loader_batch_size is not None:
            return self.loader_batch_size
        if self.batch_size is None:
            raise ValueError(
                f"sluice: this dataset yields single rows (batch_size=None) to {workers} DataLoader workers: "
                "pass to_torch_dataset(loader_batch_size=...) the DataLoader's batch_size (1 for "
                "DataLoader(batch_size=None)), so that each worker fills whole DataLoader batches and "
                "every num_workers gives the same batches"
            )
        return 1  # one dataset batch per DataLoader batch: DataLoader(batch_size=None) or its default 1

    def _generate(self):
        # a generator: this runs at the first next(), in the worker that iterates
        size = self.batch_size
        options = self._iteration_options()
        info = get_worker_info()
        if info is not None and info.num_workers > 1:
            rows_per_item = 1 if size is None else size
            options.update(
                num_workers=info.num_workers,
                worker_index=info.id,
                worker_interleave=self._items_per_loader_batch(info.num_workers) * rows_per_item,
            )
        chunked = size is not None and _sliceable(self.schema)
        if size is not None and chunked:
            options.update(batches_per_chunk=batches_per_chunk(size))
        resume, self._resume = self._resume, None
        if resume is not None and resume.get("position") is not None and not resume.get("ended"):
            options["resume_from"] = resume["position"]
        reader, stream = self._reads._positioned_tensor_arrow(options)
        unconsumed = [0]  # rows of the current core batch not yet yielded
        self._live = (stream, unconsumed)
        ended = False
        try:
            with reader:
                yield from self._items(reader, size, chunked, unconsumed)
                ended = True
                self._stopped = self._state(stream.position(), ended=True)
        finally:
            if not ended:  # stopped early (closed, or an error): where it stopped, if the stream says
                try:
                    self._stopped = self._state(stream.position(unconsumed[0]), ended=False)
                except Exception:  # noqa: BLE001 - a released stream has no position; keep the last one
                    pass
            self._live = None

    def _items(self, reader, size, chunked, unconsumed):
        """The items of one iteration; `unconsumed[0]` says how many rows of the current core
        batch the items yielded so far leave out (for `state_dict`)."""
        convert = self._batch_converter(reader.schema)
        if size is not None and chunked:  # the hot loop: views of one converted chunk, cut every batch_size rows
            # in a DataLoader worker: each batch goes to the main process as one file descriptor
            share = share_chunk if get_worker_info() is not None else None
            for batch in reader:
                item, rows = convert(batch), batch.num_rows
                if share is not None:
                    item = share(item)
                del batch
                for index, piece in enumerate(_batches(item, size)):
                    unconsumed[0] = max(rows - (index + 1) * size, 0)
                    yield piece
                del item
            return
        if size is not None:  # one item per core batch
            for batch in reader:
                yield convert(batch)
            return
        for batch in reader:
            item = convert(batch)
            rows = batch.num_rows
            del batch
            pairs: Iterator[Any]
            if isinstance(item, tuple):  # packed (X, y)
                pairs = zip(_rows(item[0]), _rows(item[1]))
            elif self.features is not None:  # packed X alone
                pairs = iter(_rows(item))
            else:
                names = list(item)
                pairs = (dict(zip(names, row)) for row in zip(*(_rows(item[name]) for name in names)))
            for index, row in enumerate(pairs):
                unconsumed[0] = rows - index - 1
                yield row

    def _batch_converter(self, schema):
        """batch -> item, chosen once per read: a read's column types never change."""

        def column(name, squeeze):
            index = schema.get_field_index(name)
            convert = torch_converter(name, schema.field(index).type, squeeze)
            return lambda batch: convert(batch.column(index))

        if self.features is None:
            return _dict_converter(schema, self.squeeze)
        features = column("features", False)
        if self.label is None:
            return features
        label = column(self.label, True)
        return lambda batch: (features(batch), label(batch))

    def __repr__(self) -> str:
        mode = f"batch_size={self.batch_size}" if self.batch_size is not None else "rows"
        return f"<sluice.SluiceTorchDataset {mode} shuffle={self.shuffle} epoch={self.epoch} over {self._reads!r}>"
