"""Option values that must be refused, or kept exact (issue: options accepted that should be refused)."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sluice
from _util import ids_table, write_parquet


@pytest.fixture
def good(tmp_path):
    return write_parquet(tmp_path / "g.parquet", ids_table(0, 10), 5)


@pytest.mark.parametrize("value", [" 5", "5 ", "+5", "0x5", "5.0", "1e3", "５"])
def test_integers_are_plain_digits(ids_connector, value):
    with pytest.raises(sluice.SluiceInvalidArgument, match="batch_size.*digits only"):
        ids_connector.to_arrow(batch_size=value)


@pytest.mark.parametrize("value", ["+512MiB", " 512", "-1", "1.5GiB"])
def test_byte_sizes_are_plain_digits(ids_connector, value):
    with pytest.raises(sluice.SluiceInvalidArgument, match="memory_budget"):
        ids_connector.to_arrow(memory_budget=value)


def test_byte_sizes_keep_their_suffixes(ids_connector):
    assert ids_connector.to_arrow(memory_budget="64MiB", columns=["id"]).read_all().num_rows == 5003
    assert ids_connector.to_arrow(memory_budget="64 MiB", columns=["id"]).read_all().num_rows == 5003


def test_integer_null_fill_is_exact(tmp_path):
    path = tmp_path / "nulls.parquet"
    pq.write_table(pa.table({"x": pa.array([1, None, 3], pa.int64()), "u": pa.array([None, 2, 3], pa.uint64())}), path)
    connector = sluice.DataConnector.from_sources(str(path))
    big = 2**53 + 1
    table = connector.to_arrow(tensors=True, null_fill=big, columns=["x"]).read_all()
    assert table.column("x").to_pylist() == [1, big, 3]
    huge = 2**64 - 1
    table = connector.to_arrow(tensors=True, null_fill=huge, columns=["u"]).read_all()
    assert table.column("u").to_pylist() == [huge, 2, 3]
    # A value that an int64 column cannot hold is refused, naming the option and the column.
    with pytest.raises(sluice.SluiceInvalidArgument, match="null_fill.*'x'"):
        connector.to_arrow(tensors=True, null_fill=2**63, columns=["x"]).read_all()
    with pytest.raises(sluice.SluiceInvalidArgument, match="null_fill.*'x'"):
        connector.to_arrow(tensors=True, null_fill=0.5, columns=["x"]).read_all()
    # A float that holds an integer exactly still fills an integer column.
    assert connector.to_arrow(tensors=True, null_fill=-2.0, columns=["x"]).read_all().column("x").to_pylist() == [
        1,
        -2,
        3,
    ]


def test_integer_pad_value_is_exact(tmp_path):
    path = tmp_path / "ragged.parquet"
    pq.write_table(pa.table({"l": pa.array([[1], [2, 3]], pa.list_(pa.int64()))}), path)
    connector = sluice.DataConnector.from_sources(str(path))
    big = -(2**53) - 1
    table = connector.to_arrow(tensors=True, ragged="pad", pad_length=2, pad_value=big).read_all()
    assert table.column("l").to_pylist() == [[1, big], [2, 3]]


def test_empty_label_is_refused(ids_connector):
    with pytest.raises(sluice.SluiceInvalidArgument, match="'label'.*empty"):
        ids_connector.to_arrow(features=["id"], label="")


@pytest.mark.parametrize("key", ["null_mask", "columns", "features"])
def test_duplicate_names_are_refused(ids_connector, key):
    with pytest.raises(sluice.SluiceInvalidArgument, match=f"'{key}'.*'id' twice"):
        ids_connector.to_arrow(**{key: ["id", "id"]}, tensors=True).read_all()


def test_delimiter_equal_to_quote_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(sluice.SluiceInvalidArgument, match="csv_delimiter.*csv_quote"):
        sluice.DataConnector.from_sources(str(path), csv_delimiter="'", csv_quote="'")


@pytest.mark.parametrize("endpoint", ["not a url", "ftp://host", "http://", "localhost:9000"])
def test_bad_endpoint_is_an_invalid_argument_not_a_panic(endpoint):
    with pytest.raises(sluice.SluiceInvalidArgument, match="endpoint") as info:
        sluice.DataConnector.from_sources("s3://bucket/key.parquet", endpoint=endpoint)
    assert info.value.status == sluice.Status.INVALID_ARGUMENT


def test_error_messages_do_not_echo_huge_values(ids_connector):
    huge = "x" * 10_000_000
    with pytest.raises(sluice.SluiceInvalidArgument, match="batch_size") as info:
        ids_connector.to_arrow(batch_size=huge)
    assert len(str(info.value)) < 1000
    assert "10000000 bytes" in str(info.value)
    with pytest.raises(sluice.SluiceInvalidArgument) as info:
        ids_connector.to_arrow(**{huge: 1})
    assert len(str(info.value)) < 2000


def test_unknown_column_message_is_bounded(tmp_path):
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({f"column_{i}": [i] for i in range(2000)}), path)
    connector = sluice.DataConnector.from_sources(str(path))
    with pytest.raises(sluice.SluiceInvalidArgument, match="no column named 'nope'") as info:
        connector.to_arrow(columns=["nope"])
    assert "column_0, column_1" in str(info.value)
    assert len(str(info.value)) < 1000


def test_bad_endpoint_variable_is_an_invalid_argument_not_a_panic(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "not a url")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    with pytest.raises(sluice.SluiceInvalidArgument, match="AWS_ENDPOINT_URL") as info:
        sluice.DataConnector.from_sources("s3://bucket/key.parquet")
    assert info.value.status == sluice.Status.INVALID_ARGUMENT
