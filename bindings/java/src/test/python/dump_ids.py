"""Reads with the sluice Python package and prints what came out, for the Java tests.

    python dump_ids.py SPEC_JSON

SPEC_JSON: {"sources": [...], "read_options": {...}, "shard": [rank, world_size, equal] or null}
Prints two lines: the batch lengths, then the ids in order, space-separated.
"""

import json
import sys

import sluice


def main(spec):
    options = spec.get("read_options", {})
    if spec.get("shard"):
        rank, world_size, equal = spec["shard"]
        connector = sluice.ShardedDataConnector.from_sources(spec["sources"])
        reads = connector.get_shard(rank=rank, world_size=world_size, equal=equal)
    else:
        reads = sluice.DataConnector.from_sources(spec["sources"])
    lengths, ids = [], []
    with reads.to_arrow(**options) as reader:
        for batch in reader:
            lengths.append(batch.num_rows)
            ids.extend(batch.column("id").to_pylist())
    print(" ".join(map(str, lengths)))
    print(" ".join(map(str, ids)))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
