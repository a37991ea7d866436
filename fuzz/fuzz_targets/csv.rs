//! cargo-fuzz target: the `csv` harness of tests/fuzzing (see docs/fuzzing.md).
#![no_main]

#[path = "../../tests/fuzzing/mod.rs"]
mod fuzzing;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fuzzing::keep_caught_panics();
    fuzzing::readers::csv(data)
});
