//! Bounded fuzzing runs on the stable toolchain: each harness of tests/fuzzing
//! on a fixed set of pseudo-random inputs, within seconds (see docs/fuzzing.md
//! for the longer `cargo fuzz` runs of the same harnesses, tools/fuzz).

mod fuzzing;

use fuzzing::driver::drive;
use std::time::Duration;

const BUDGET: Duration = Duration::from_secs(8);

#[test]
fn fuzz_options_through_the_c_abi() {
    drive("options", 2000, 256, BUDGET, fuzzing::options::options);
}

#[test]
fn fuzz_parquet_reader_on_mutated_files() {
    drive("parquet", 600, 128, BUDGET, fuzzing::readers::parquet);
}

#[test]
fn fuzz_ipc_reader_on_mutated_files() {
    drive("ipc", 600, 128, BUDGET, fuzzing::readers::ipc);
}

#[test]
fn fuzz_csv_reader_on_mutated_files() {
    drive("csv", 600, 128, BUDGET, fuzzing::readers::csv);
}

#[test]
fn fuzz_ndjson_reader_on_mutated_files() {
    drive("ndjson", 600, 128, BUDGET, fuzzing::readers::ndjson);
}

#[test]
fn fuzz_plan_invariants_over_shards_and_workers() {
    drive("plan", 150, 64, BUDGET, fuzzing::plan::plan);
}
