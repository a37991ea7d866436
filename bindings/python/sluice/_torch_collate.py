"""Collating single rows of `to_torch_dataset(batch_size=None)` as batch mode shapes them.

torch's `default_collate` stacks tensors and keeps a batch of str / bytes as a list; this
collate makes that list a numpy object array shaped like a scalar column, which torch's
pin_memory and default_convert pass through without walking it. Everything else is
torch's own collate (`collate` with its `default_collate_fn_map`, which torch documents
for extending default_collate).
"""

from typing import Any, List

import numpy as np
from torch.utils.data._utils.collate import collate, default_collate_fn_map


def _text(batch, *, squeeze, collate_fn_map=None):
    array = np.empty(len(batch), dtype=object)
    array[:] = batch  # item by item: np.array(batch) would make a fixed-width unicode array
    return array if squeeze else array.reshape(-1, 1)


class RowCollate:
    """`collate_fn` for a DataLoader over single rows (picklable, for DataLoader workers)."""

    def __init__(self, squeeze: bool = False) -> None:
        self.squeeze = bool(squeeze)

    def __call__(self, batch: List[Any]) -> Any:
        text = lambda rows, *, collate_fn_map=None: _text(rows, squeeze=self.squeeze)  # noqa: E731
        return collate(batch, collate_fn_map={**default_collate_fn_map, str: text, bytes: text})

    def __repr__(self) -> str:
        return f"<sluice.RowCollate squeeze={self.squeeze}>"
