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

// Regressions: what the harnesses found, each fixed at its root. The inputs
// replay the harness's case (seed file and mutations); the checks are explicit.

mod regressions {
    use super::fuzzing::readers::mutated_case;
    use super::fuzzing::seeds::{parquet, rows, Format};
    use super::fuzzing::Scratch;
    use arrow::array::{Array, Float32Array, Int64Array};
    use sluice::{Connector, ErrorKind, SourceOptions};

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len() / 2).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap()).collect()
    }

    /// Opens and reads the replayed case's file; its error, which must be about the data and name the file.
    fn data_error(format: Format, input: &str) -> String {
        let (file, options) = mutated_case(format, &unhex(input));
        let scratch = Scratch::new("regression");
        let name = format!("mutated.{}", format.extension());
        let path = scratch.path().join(&name);
        std::fs::write(&path, file).unwrap();
        let opened = Connector::open(&[path.to_str().unwrap().to_string()], &SourceOptions::default());
        let error = match opened {
            Err(e) => e,
            Ok(connector) => match connector.read(&options) {
                Err(e) => e,
                Ok(stream) => stream.filter_map(Result::err).next().expect("the corrupted file read without an error"),
            },
        };
        assert_eq!(error.kind, ErrorKind::InvalidData, "{}", error.message);
        assert!(error.message.contains(&name), "{}", error.message);
        error.message
    }

    /// arrow-ipc's StreamReader allocated a corrupted body length (4.7 EB) and aborted the process.
    #[test]
    fn an_ipc_stream_with_a_huge_body_length_is_an_error_not_an_allocation() {
        let message = data_error(
            Format::Ipc,
            "5eb34a96cd533752e7f3cfb5d6a386911932f734a582666cd49102831826cd138107ec0b26bc68b1f607d72d7439e03196268c1084b5094ace9c3d5e\
             bbeda82e9a41178af3e28c266e6a7e1124ee8f9eb48ab4e0be0485092bcc287ae1098f449cee21f3a7db1b11d8c09d8f91b83f416ebf29",
        );
        assert!(message.contains("not a readable Arrow IPC file"), "{message}");
    }

    /// arrow-ipc panicked slicing a buffer past its end; the panic was reported as an internal panic naming no file.
    #[test]
    fn an_ipc_buffer_past_its_body_is_an_error_naming_the_file() {
        let message = data_error(Format::Ipc, "252c2cda4a092571f4ff7629d5906444e4d27745423b157df5ce04ed");
        assert!(message.contains("not a readable Arrow IPC file"), "{message}");
    }

    /// A footer block whose body lies past the end of the file was taken as a size
    /// estimate, and refused as a shuffle window too large for the budget.
    #[test]
    fn an_ipc_block_past_the_end_of_the_file_is_an_error_naming_the_file() {
        let message = data_error(
            Format::Ipc,
            "72552ef15b498de290a140c6d5b933d59c5ed51c4247c6d1a77da789b7851e5e4a9341682338aae69c4b7549a3f59edc49b3076bcf96bdb0",
        );
        assert!(message.contains("past the end of the file"), "{message}");
    }

    /// parquet's schema conversion panicked on an integer bit width of 67,108,928.
    #[test]
    fn a_parquet_schema_with_a_bad_bit_width_is_an_error_naming_the_file() {
        let message = data_error(Format::Parquet, "be364541cf3c630120c209e32d049b69ea599a206409baa260eb3032c185");
        assert!(message.contains("not a readable Parquet file"), "{message}");
    }

    /// A value that is not UTF-8 was refused as "argument 'value' is not valid UTF-8", naming no option.
    #[test]
    fn a_value_that_is_not_utf8_names_its_option() {
        use sluice::ffi::*;
        use std::ffi::{CStr, CString};
        let options = sluice_read_options_new();
        let (key, value) = (CString::new("shard_index").unwrap(), CString::new(&b"\xff"[..]).unwrap());
        let mut error = std::ptr::null_mut();
        let status = unsafe { sluice_read_options_set(options, key.as_ptr(), value.as_ptr(), &mut error) };
        assert_eq!(status, sluice_status::SLUICE_INVALID_ARGUMENT);
        let message = unsafe { CStr::from_ptr(sluice_error_message(error)) }.to_string_lossy().into_owned();
        assert!(message.contains("'shard_index'") && message.contains("UTF-8"), "{message}");
        unsafe { sluice_error_free(error) };
        unsafe { sluice_read_options_free(options) };
    }

    /// Files may differ in nullability: the first file's non-nullable column (arrow-rs writes a
    /// column without nulls so) refused the next file's nulls in the middle of the read.
    #[test]
    fn a_column_nullable_in_a_later_file_reads_its_nulls() {
        let scratch = Scratch::new("nullable");
        let first = rows(1, 4); // ids 1..=4: x has no null, so the field is non-nullable
        assert!(!first.schema().field_with_name("x").unwrap().is_nullable());
        let second = rows(5, 6); // ids 5..=10: x is null at 5 and 10
        std::fs::write(scratch.path().join("a.parquet"), parquet(&first, 100, Default::default())).unwrap();
        std::fs::write(scratch.path().join("b.parquet"), parquet(&second, 100, Default::default())).unwrap();
        let connector = Connector::open(&[scratch.path().to_str().unwrap().to_string()], &SourceOptions::default()).unwrap();
        assert!(connector.schema().field_with_name("x").unwrap().is_nullable());
        let batches: Vec<_> = connector.read(&Default::default()).unwrap().collect::<sluice::Result<_>>().unwrap();
        let mut ids = Vec::new();
        let mut xs = Vec::new();
        for batch in &batches {
            let id = batch.column_by_name("id").unwrap().as_any().downcast_ref::<Int64Array>().unwrap();
            let x = batch.column_by_name("x").unwrap().as_any().downcast_ref::<Float32Array>().unwrap();
            ids.extend(id.values().iter().copied());
            xs.extend((0..x.len()).map(|i| x.is_valid(i).then(|| x.value(i))));
        }
        assert_eq!(ids, (1..=10).collect::<Vec<i64>>());
        let expected: Vec<Option<f32>> = (1..=10).map(|i: i64| (i % 5 != 0).then_some(i as f32 / 2.0)).collect();
        assert_eq!(xs, expected);
    }
}
