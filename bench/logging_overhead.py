"""Cost of the log callback on a read (not a test; run by hand, one process per case).

    SLUICE_LIBRARY=target/release/libsluice.so python bench/logging_overhead.py DIR [--level LEVEL] [--passes N]

Reads every row of DIR `passes` times (to_arrow().read_all()) with the `sluice` logger at
LEVEL (WARNING, the default of an unconfigured program: the core's INFO events are dropped
before they are formatted; INFO: each open, read and request is logged to a NullHandler).
Prints the rows read and the seconds taken; time whole processes against a build without
logging to compare.
"""

import argparse
import logging
import time

import sluice


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--level", default="WARNING")
    parser.add_argument("--passes", type=int, default=1)
    args = parser.parse_args()
    logger = logging.getLogger("sluice")
    logger.setLevel(args.level)
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    started = time.perf_counter()
    rows = 0
    for _ in range(args.passes):
        connector = sluice.DataConnector.from_sources(args.dir)
        rows += connector.to_arrow(batch_size=8192).read_all().num_rows
    print(f"{rows} rows in {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
