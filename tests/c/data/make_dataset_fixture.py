"""Writes tests/c/data/dataset_root, the dataset fixture of the C ABI tests: a version made by
the Python binding, which C then reads (run once; the output is committed).

    python tests/c/data/make_dataset_fixture.py        # needs the sluice package and pyarrow

dataset "events", version "v1": small.parquet's 50 rows (id 0..49, x, s, maybe),
exclude_cols=["s"], label_cols=["x"].
tests/c/test_sluice.c (read_dataset_version) checks the rows, the id sum and that s is left out.
"""

import os
import pathlib
import shutil

import sluice

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE / "dataset_root"


def main() -> None:
    shutil.rmtree(ROOT, ignore_errors=True)
    os.chdir(HERE)  # relative paths, so that the manifest's source names no machine's directories
    dataset = sluice.Dataset.create("dataset_root", "events")
    source = sluice.DataConnector.from_sources(["small.parquet"])
    dataset.create_version("v1", source, exclude_cols=["s"], label_cols=["x"], comment="C ABI fixture")


if __name__ == "__main__":
    main()
