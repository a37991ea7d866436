"""Makes a dataset version with the Python binding, for the Java test that reads it.

    python make_dataset.py ROOT SOURCE_DIR

ROOT/java: dataset "java", version "v1": the rows of SOURCE_DIR (make_data.py's multi/:
ids 0..7999 in order, columns id, v, label), with "label" as label_cols and "v" excluded.
"""

import sys

import sluice


def main(root, source):
    dataset = sluice.Dataset.create(root, "java", exist_ok=True)
    if "v1" not in dataset.list_versions():
        dataset.create_version("v1", source, label_cols=["label"], exclude_cols=["v"], comment="for Java")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
