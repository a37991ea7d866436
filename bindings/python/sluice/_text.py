"""Text columns (utf8 / binary, no nulls) to numpy object arrays of str / bytes.

Making one Python object per row is what costs; training tables' text columns are mostly
categories that repeat (a few hundred names in millions of rows). When a sample of the
column repeats, each distinct value is made once (Arrow's dictionary_encode) and the rows
take references to it (numpy's take on the small object array): about 3x faster than one
object per row. Columns of mostly distinct values go the direct way, which is then faster.
Python strings are immutable, so rows sharing one object cannot tell.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: rows looked at to decide; the decision costs about 0.1 ms per batch
SAMPLE_ROWS = 1024


def _repeats(array: pa.Array) -> bool:
    """Whether the sample of `array` has at most half as many distinct values as rows."""
    sample = array.slice(0, SAMPLE_ROWS)
    return len(sample) >= 16 and 2 * len(pc.unique(sample)) <= len(sample)


def text_to_numpy(array: pa.Array) -> np.ndarray:
    """A 1-D object array of the array's str (utf8) or bytes (binary) values."""
    if _repeats(array):
        encoded = pc.dictionary_encode(array)
        return encoded.dictionary.to_numpy(zero_copy_only=False)[encoded.indices.to_numpy(zero_copy_only=False)]
    return array.to_numpy(zero_copy_only=False)
