"""A chunk's tensors in one shared-memory storage, for DataLoader workers.

A DataLoader worker hands every item to the main process by pickling it: torch moves each
tensor's storage into shared memory (a copy, at its first handover) and passes one file
descriptor per storage, for every item, over a socket. That handover costs more than reading
the rows. A worker's batches are views of one converted chunk (`_torch.py`); with all of the
chunk's tensors in one storage, each batch crosses as a single file descriptor, and the main
process maps the chunk once for all its batches (torch caches the mapping while a view of it
lives). The copy into shared memory is the one torch would make anyway.
"""

from typing import Any, List

import torch

#: byte alignment of each tensor in the shared storage
_ALIGN = 64


def share_chunk(item: Any) -> Any:
    """`item` (a dict of columns, an (X, y) tuple or X) with its tensors copied into one new
    shared-memory storage; other values (numpy arrays of text) are kept as they are."""
    if isinstance(item, torch.Tensor):
        return _share([item])[0]
    if isinstance(item, tuple):
        return tuple(_share(list(item)))
    if isinstance(item, dict):
        return dict(zip(item, _share(list(item.values()))))
    return item


def _share(values: List[Any]) -> List[Any]:
    tensors = [(i, value) for i, value in enumerate(values) if isinstance(value, torch.Tensor)]
    offsets, size = [], 0
    for _, tensor in tensors:
        offsets.append(size)
        size += -(-tensor.nbytes // _ALIGN) * _ALIGN
    if not tensors:
        return values
    storage = torch.UntypedStorage._new_shared(max(size, 1))
    shared = list(values)
    for (i, tensor), offset in zip(tensors, offsets):
        view = torch.empty(0, dtype=tensor.dtype).set_(storage, offset // tensor.element_size(), tensor.shape)
        view.copy_(tensor)
        shared[i] = view
    return shared
