"""Text columns to numpy object arrays (`_text.py`): repeating values share one object per
distinct value, mostly distinct values are made one per row; both give pyarrow's values.
The same arrays in tf.data: test_tensorflow.py (TensorFlow runs in a process without torch)."""

import numpy as np
import pytest

from conftest import TEXT_ROWS as ROWS


@pytest.mark.parametrize("batch_size", [700, 4096])
def test_text_columns_match_pyarrow(text_file, batch_size):
    connector, expected = text_file
    batches = list(connector.iter_batches(batch_size=batch_size, drop_last_batch=False))
    for name in expected.column_names:
        got = np.concatenate([b[name] for b in batches])
        assert got.dtype == object and got.shape == (ROWS, 1), name
        assert got.ravel().tolist() == expected.column(name).to_pylist(), name


def test_repeating_values_share_their_objects(text_file):
    connector, expected = text_file
    batch = next(iter(connector.iter_batches(batch_size=1024, squeeze=True)))
    repeating, distinct = batch["repeating"], batch["distinct"]
    assert len({id(v) for v in repeating}) == 4  # one object per distinct value
    assert len({id(v) for v in distinct}) == 1024
    assert repeating.tolist() == expected.column("repeating").to_pylist()[:1024]
    assert distinct.tolist() == expected.column("distinct").to_pylist()[:1024]
