"""Text columns to numpy object arrays (`_text.py`): repeating values share one object per
distinct value, mostly distinct values are made one per row; both give pyarrow's values."""

import numpy as np
import pyarrow as pa
import pytest

import sluice
from _util import write_parquet

ROWS = 5000


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    names = ["ünïcode", "", "a", "long name " * 20]
    table = pa.table(
        {
            "repeating": pa.array([names[i % len(names)] for i in range(ROWS)]),
            "distinct": pa.array([f"row {i}" for i in range(ROWS)]),
            "repeating_bytes": pa.array([b"\x00\xff" * (i % 3) for i in range(ROWS)], pa.binary()),
            "mostly_repeating": pa.array(["x"] * 1000 + [f"y{i}" for i in range(ROWS - 1000)]),
        }
    )
    path = write_parquet(tmp_path_factory.mktemp("text") / "text.parquet", table, 1500)
    return sluice.DataConnector.from_sources(str(path)), table


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


def test_text_columns_in_tf_datasets(text_file):
    """to_tf_dataset's text (through the same object arrays): pyarrow's bytes, repeating or distinct."""
    import tensorflow as tf

    connector, expected = text_file
    dataset = connector.to_tf_dataset(batch_size=700, drop_last_batch=False)
    assert dataset.element_spec["distinct"] == tf.TensorSpec((None, 1), tf.string)
    batches = list(dataset)
    for name in expected.column_names:
        got = np.concatenate([b[name].numpy() for b in batches]).ravel().tolist()
        want = expected.column(name).to_pylist()
        assert got == [w if isinstance(w, bytes) else w.encode() for w in want], name
    squeezed = next(iter(connector.to_tf_dataset(batch_size=64, squeeze=True)))
    assert squeezed["repeating"].shape == (64,) and squeezed["distinct"].shape == (64,)
