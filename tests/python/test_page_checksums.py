"""Parquet page checksums (CRC32) are verified where a page has one."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sluice


def write_flipped(path, checksum=True):
    """One float64 page, uncompressed and plain, with one bit flipped among its values."""
    table = pa.table({"x": pa.array([i * 0.25 for i in range(1000)], pa.float64())})
    pq.write_table(table, path, compression="none", use_dictionary=False, write_page_checksum=checksum)
    column = pq.ParquetFile(path).metadata.row_group(0).column(0)
    end = column.data_page_offset + column.total_compressed_size
    data = bytearray(path.read_bytes())
    data[end - 20] ^= 0x10  # inside the last values of the page
    path.write_bytes(bytes(data))
    return table


def test_a_flipped_bit_fails_the_page_checksum(tmp_path):
    path = tmp_path / "flipped.parquet"
    table = write_flipped(path)
    # The test's own check: pyarrow reads a wrong value without verification, and catches it with.
    assert not pq.read_table(path).equals(table)
    with pytest.raises(OSError, match="(?i)crc|checksum"):
        pq.read_table(path, page_checksum_verification=True)

    connector = sluice.DataConnector.from_sources([str(path)])
    with pytest.raises(Exception, match="(?i)checksum") as caught:
        connector.to_arrow().read_all()
    assert str(path) in str(caught.value)


def test_pages_with_good_checksums_read(tmp_path):
    path = tmp_path / "good.parquet"
    table = pa.table({"x": pa.array([i * 0.5 for i in range(5000)]), "s": [str(i) for i in range(5000)]})
    pq.write_table(table, path, write_page_checksum=True, row_group_size=1000)
    assert sluice.DataConnector.from_sources([str(path)]).to_arrow().read_all().equals(table)


def test_pages_without_checksums_still_read(tmp_path):
    path = tmp_path / "unchecked.parquet"
    table = write_flipped(path, checksum=False)
    assert sluice.DataConnector.from_sources([str(path)]).to_arrow().read_all().num_rows == table.num_rows
