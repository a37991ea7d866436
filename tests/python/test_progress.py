"""len() of torch datasets, progress= reports and the `sluice` logger.

len(dataset) is the number of items one pass yields (all DataLoader workers together), so
len(DataLoader(...)), which tqdm and Lightning use as their total, equals the batches the loop sees.
Progress totals come from the core's count_rows and end exactly at it.
"""

import builtins
import logging

import pytest
import torch
from torch.utils.data import DataLoader

import sluice

# ids_dataset: 5003 rows in 4 files (conftest.py)
CASES = [
    # (to_torch_dataset kwargs, DataLoader kwargs)
    (dict(batch_size=256, drop_last_batch=False), dict(batch_size=None)),
    (dict(batch_size=256, drop_last_batch=True), dict(batch_size=None)),
    (dict(batch_size=100, drop_last_batch=False, limit=1001), dict(batch_size=None)),
    (dict(batch_size=64, drop_last_batch=True, loader_batch_size=4), dict(batch_size=4)),
    (dict(batch_size=None, loader_batch_size=500), dict(batch_size=500)),
    (dict(batch_size=None, loader_batch_size=500), dict(batch_size=500, drop_last=True)),
]


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_len_of_the_dataloader_is_what_it_yields(ids_connector, case, workers):
    dataset_kwargs, loader_kwargs = CASES[case]
    dataset = ids_connector.to_torch_dataset(columns=["id"], **dataset_kwargs)
    loader = DataLoader(dataset, num_workers=workers, **loader_kwargs)
    batches = list(loader)
    assert len(loader) == len(batches), (dataset_kwargs, loader_kwargs, workers)
    rows = dataset.count_rows()
    if dataset.batch_size is None:
        assert len(dataset) == rows
    else:
        assert len(dataset) == -(-rows // dataset.batch_size)
    if not loader_kwargs.get("drop_last"):
        assert sum(b["id"].numel() for b in batches) == rows


def test_len_counts_shards_and_sharded_epochs(ids_dataset):
    sharded = sluice.ShardedDataConnector.from_sources(str(ids_dataset.root), equal="pad")
    dataset = sharded.get_shard(1, 3).to_torch_dataset(batch_size=100, drop_last_batch=False, shuffle=True)
    per_shard = -(-ids_dataset.total // 3)
    assert len(dataset) == -(-per_shard // 100)
    dataset.set_epoch(5)
    assert len(list(DataLoader(dataset, batch_size=None))) == len(dataset)


def test_progress_callback_gets_the_cores_counts(ids_connector, ids_dataset):
    calls = []
    df = ids_connector.to_pandas(limit=4000, batch_size=1000, progress=lambda done, total: calls.append((done, total)))
    assert len(df) == 4000
    assert calls[0] == (0, 4000) and calls[-1] == (4000, 4000)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls) and len(calls) > 2

    calls.clear()
    batches = list(ids_connector.iter_batches(columns=["id"], batch_size=1000, progress=lambda *c: calls.append(c)))
    assert calls == [(0, ids_dataset.total)] + [
        (min(1000 * (i + 1), ids_dataset.total), ids_dataset.total) for i in range(len(batches))
    ]
    calls.clear()
    shard = ids_connector.iter_batches(columns=["id"], batch_size=1000, drop_last_batch=True, num_shards=2,
                                       progress=lambda *c: calls.append(c))  # fmt: skip
    rows = sum(len(b["id"]) for b in shard)
    assert calls[-1] == (rows, rows) and rows == 2000


def test_progress_true_is_a_tqdm_bar(ids_connector, ids_dataset, capsys):
    df = ids_connector.to_pandas(progress=True)
    assert len(df) == ids_dataset.total
    err = capsys.readouterr().err
    assert "sluice to_pandas" in err and "100%" in err and "5.00k/5.00k" in err, err


def test_progress_true_without_tqdm_says_what_to_install(ids_connector, monkeypatch):
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("No module named 'tqdm'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    with pytest.raises(ImportError, match=r"tqdm is not installed: pip install tqdm, or pass a function"):
        ids_connector.to_pandas(progress=True)
    with pytest.raises(TypeError, match="progress must be True, False, None or a function"):
        ids_connector.to_pandas(progress="yes")


def test_the_sluice_logger_says_what_was_planned(ids_dataset, caplog):
    caplog.set_level(logging.DEBUG, logger="sluice")
    connector = sluice.DataConnector.from_sources(
        str(ids_dataset.root), secret_access_key="hunter2", access_key_id="AKIA-not-logged"
    )
    connector.to_pandas(limit=10)
    connector.to_torch_dataset(batch_size=100)
    records = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    text = "\n".join(message for _, _, message in records)
    assert all(name == "sluice" for name, _, _ in records)
    assert f"opened 1 source(s) ['{ids_dataset.root}']" in text and f"{ids_dataset.total} rows" in text, text
    assert "columns ['id', 'x', 's']" in text
    assert "to_pandas of <sluice.DataConnector 1 source(s)>: 10 rows planned" in text
    assert "('limit', 10)" in text  # the read's options, at DEBUG
    assert "50 items per pass (5000 rows)" in text
    assert "hunter2" not in text and "AKIA-not-logged" not in text and "'secret_access_key': '***'" in text


def test_passwords_in_uris_are_not_logged():
    from sluice._connector import _loggable_source

    assert _loggable_source("https://user:pa55@example.com/x.parquet") == "https://user:***@example.com/x.parquet"
    assert _loggable_source("s3://bucket/a:b@c.parquet") == "s3://bucket/a:b@c.parquet"
    assert torch.__name__ == "torch"


@pytest.mark.parametrize("kind", ["dmatrix", "quantile"])
def test_to_xgboost_reports_each_pass(ids_connector, ids_dataset, kind):
    calls = []
    matrix = ids_connector.to_xgboost(["x"], "id", kind=kind, batch_size=1000, progress=lambda *c: calls.append(c))
    assert matrix.num_row() == ids_dataset.total
    total = ids_dataset.total
    assert all(t == total for _, t in calls)
    passes = [i for i, (done, _) in enumerate(calls) if done == 0]
    ends = [calls[i - 1][0] for i in passes[1:]] + [calls[-1][0]]
    assert passes[0] == 0 and ends == [total] * len(passes), calls
    assert len(passes) == 1 if kind == "dmatrix" else len(passes) >= 2
