"""Coming from Snowflake's DataConnector (docs/migrating-from-snowflake.md): its spellings work where
they mean the same, and what sluice cannot take (a DataFrame, a Snowpark session) fails at once with
an error that says what to call instead, never by reading column names as paths.

The documented pandas, PyTorch and TensorFlow examples themselves run in test_seed_example_torch.py
and test_seed_examples_tf_xgb.py (only the imports and the connector line changed).
"""

import warnings

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import sluice
from _util import read_ids


class FakeSnowparkSession:
    """Duck-typed as Snowpark's Session (sql() and table()), which the tests cannot install."""

    def sql(self, query):
        raise AssertionError("sluice must not call a session")

    def table(self, name):
        raise AssertionError("sluice must not call a session")


class FakeSnowparkDataFrame:
    """Duck-typed as a Snowpark DataFrame: its SQL is in `.queries`."""

    queries = {"queries": ["SELECT * FROM TRAIN"], "post_actions": []}


IN_MEMORY = {
    "pandas": (lambda: pd.DataFrame({"a": [1, 2], "b": [3, 4]}), "df.to_parquet"),
    "polars": (lambda: pl.DataFrame({"a": [1, 2]}), "df.write_parquet"),
    "pyarrow": (lambda: pa.table({"a": [1, 2]}), "pyarrow.parquet.write_table"),
}


@pytest.mark.parametrize("library", sorted(IN_MEMORY))
def test_a_dataframe_is_refused_with_what_to_call(library):
    make, write = IN_MEMORY[library]
    df = make()
    for call in (
        lambda: sluice.DataConnector.from_sources(df),
        lambda: sluice.DataConnector.from_sources([df]),
        lambda: sluice.DataConnector(df),
        lambda: sluice.ShardedDataConnector.from_sources(df, equal=True),
    ):
        with pytest.raises(TypeError) as caught:
            call()
        message = str(caught.value)
        assert f"a {library}." in message and "is not a source" in message, message
        assert "DataConnector.from_dataframe(df)" in message, message


def test_an_arrow_stream_object_is_refused():
    class Stream:
        def __arrow_c_stream__(self, requested_schema=None):
            raise AssertionError("not read")

    with pytest.raises(TypeError, match="__arrow_c_stream__ objects\\) are read with DataConnector.from_dataframe"):
        sluice.DataConnector.from_sources(Stream())


@pytest.mark.parametrize("snowpark", [FakeSnowparkSession(), FakeSnowparkDataFrame()], ids=["session", "dataframe"])
def test_a_snowpark_object_is_refused_with_what_to_do(snowpark):
    # Snowflake's from_sources(session, sources) and from_dataframe(snowpark_df)
    for call in (
        lambda: sluice.DataConnector.from_sources(snowpark, ["x.parquet"]),
        lambda: sluice.DataConnector.from_dataframe(snowpark),
        lambda: sluice.DataConnector(snowpark),
    ):
        with pytest.raises(TypeError) as caught:
            call()
        message = str(caught.value)
        assert "Snowpark session or DataFrame" in message and "COPY INTO" in message, message
        assert "from_sources(" in message and "docs/migrating-from-snowflake.md" in message, message


def test_a_bare_constructor_call_says_how_to_make_a_connector():
    with pytest.raises(TypeError, match=r"DataConnector\.from_sources\("):
        sluice.DataConnector("data/train.parquet")


def test_equal_bool_is_snowflakes_spelling(ids_dataset):
    total = ids_dataset.total
    drop = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root), equal=True)
    assert [len(read_ids(drop.get_shard(rank, 7))) for rank in range(7)] == [total // 7] * 7
    off = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root), equal=False)
    assert sum(len(read_ids(off.get_shard(rank, 7))) for rank in range(7)) == total
    assert read_ids(off.get_shard(2, 7, equal=True)) == read_ids(drop.get_shard(2, 7))
    assert drop.get_shard(0, 2).equal == "drop" and off.get_shard(0, 2).equal == "off"


@pytest.mark.parametrize("bad", ["yes", 1, "true"])
def test_a_bad_equal_is_refused_when_built_not_at_the_first_read(ids_dataset, bad):
    with pytest.raises(ValueError, match=r"equal=.* is not one of True \(= 'drop'\), False"):
        sluice.ShardedDataConnector.from_sources(str(ids_dataset.root), equal=bad)
    sharded = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root))
    with pytest.raises(ValueError, match=r"equal=.* is not one of"):
        sharded.get_shard(0, 2, equal=bad)


def test_get_shards_gives_every_rank(ids_dataset):
    sharded = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root), equal=True)
    shards = sharded.get_shards(3)
    assert sorted(shards) == [0, 1, 2]
    ids = [read_ids(shards[rank]) for rank in range(3)]
    assert ids == [read_ids(sharded.get_shard(rank, 3)) for rank in range(3)]
    assert sorted(i for part in ids for i in part) == list(range(ids_dataset.total // 3 * 3))


def test_to_torch_datapipe_is_a_deprecated_to_torch_dataset(ids_connector):
    torch = pytest.importorskip("torch")
    with pytest.warns(DeprecationWarning, match="to_torch_datapipe\\(\\) is deprecated.*to_torch_dataset"):
        pipe = ids_connector.to_torch_datapipe(batch_size=1000, shuffle=False, drop_last_batch=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset = ids_connector.to_torch_dataset(batch_size=1000, drop_last_batch=False)
    first, again = next(iter(pipe)), next(iter(dataset))
    assert torch.equal(first["id"], again["id"]) and first["id"].shape == (1000, 1)


def test_data_sources_and_to_pyarrow(ids_dataset, ids_connector):
    assert ids_connector.data_sources == [str(ids_dataset.root)]
    assert ids_connector.to_pyarrow(columns=["id"]).read_all().column("id").to_pylist() == list(
        range(ids_dataset.total)
    )


#: every public method of Snowflake's DataConnector (snowflake-ml-python 2.6) and of the
#: Container Runtime's ShardedDataConnector (as documented)
SNOWFLAKE_METHODS = [
    "from_dataframe",
    "from_sql",
    "from_dataset",
    "from_ray_dataset",
    "from_sources",
    "data_sources",
    "to_pandas",
    "to_torch_dataset",
    "to_torch_datapipe",
    "to_tf_dataset",
    "to_ray_dataset",
    "to_huggingface_dataset",
    "get_shard",
    "get_shards",
]


def test_the_migration_page_lists_every_method():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "migrating-from-snowflake.md").read_text(encoding="utf-8")
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    for name in SNOWFLAKE_METHODS:
        assert any(line.split("|")[1].strip().startswith(f"`{name}") or f"`ShardedDataConnector.{name}" in line
                   for line in rows), name  # fmt: skip
    for cls in (sluice.DataConnector, sluice.ShardedDataConnector):
        for name in dir(cls):
            if not name.startswith("_") and name not in ("close", "closed", "stream", "sources"):
                assert f"`{name}" in page, f"{cls.__name__}.{name} is not on the migration page"
