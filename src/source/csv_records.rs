//! Counts the records of a CSV file and checks that each has the expected number
//! of fields, streaming over the bytes with csv-core (the parser arrow-csv runs
//! on): memory stays fixed, whatever the number of columns or the length of a line.

use csv_core::{ReadRecordResult, Reader};

/// Field bytes and field ends are only counted, never kept: small scratch buffers
/// that are overwritten whenever they fill up.
const SCRATCH_BYTES: usize = 64 << 10;
const SCRATCH_ENDS: usize = 4096;

pub struct RecordCounter {
    parser: Reader,
    /// Fields per record; None: as many as the first record has.
    expected: Option<usize>,
    /// Fields of the record being read so far.
    fields: usize,
    records: u64,
    /// Line (1-based) where the record being read starts.
    record_line: u64,
    output: Vec<u8>,
    ends: Vec<usize>,
}

/// A record whose number of fields differs from the number of columns.
#[derive(Debug, PartialEq, Eq)]
pub struct WrongFieldCount {
    pub line: u64,
    pub found: usize,
    pub expected: usize,
}

impl RecordCounter {
    pub fn new(parser: Reader, expected: Option<usize>) -> Self {
        RecordCounter {
            parser,
            expected,
            fields: 0,
            records: 0,
            record_line: 1,
            output: vec![0; SCRATCH_BYTES],
            ends: vec![0; SCRATCH_ENDS],
        }
    }

    /// Feeds the next bytes of the file; an empty slice marks its end.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<(), WrongFieldCount> {
        loop {
            let (result, read, _, ends) = self.parser.read_record(input, &mut self.output, &mut self.ends);
            input = &input[read..];
            self.fields += ends;
            match result {
                ReadRecordResult::InputEmpty | ReadRecordResult::End => return Ok(()),
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::Record => {
                    let expected = *self.expected.get_or_insert(self.fields);
                    if self.fields != expected {
                        return Err(WrongFieldCount { line: self.record_line, found: self.fields, expected });
                    }
                    self.records += 1;
                    self.fields = 0;
                    self.record_line = self.parser.line();
                }
            }
        }
    }

    /// Records read so far, the header included.
    pub fn records(&self) -> u64 {
        self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(text: &str, expected: usize, chunk: usize) -> Result<u64, WrongFieldCount> {
        let mut counter = RecordCounter::new(Reader::new(), Some(expected));
        for piece in text.as_bytes().chunks(chunk) {
            counter.feed(piece)?;
        }
        counter.feed(&[])?;
        Ok(counter.records())
    }

    #[test]
    fn counts_records_across_chunks_and_quoted_newlines() {
        let text = "a,b\n1,\"x\ny\"\n3,4";
        for chunk in [1, 2, 5, 100] {
            assert_eq!(count(text, 2, chunk), Ok(3), "chunk {chunk}");
        }
    }

    #[test]
    fn takes_the_number_of_fields_from_the_first_record_when_not_told() {
        let mut counter = RecordCounter::new(Reader::new(), None);
        counter.feed(b"a,b,c\n1,2,3\n").unwrap();
        assert_eq!(counter.feed(b"4,5\n"), Err(WrongFieldCount { line: 3, found: 2, expected: 3 }));
    }

    #[test]
    fn reports_the_line_of_a_record_with_the_wrong_number_of_fields() {
        let err = count("a,b\n1,\"x\ny\"\n3\n5,6\n", 2, 3).unwrap_err();
        assert_eq!(err, WrongFieldCount { line: 4, found: 1, expected: 2 });
    }

    #[test]
    fn wide_and_long_records_need_no_more_scratch() {
        let wide = (0..20_000).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        assert_eq!(count(&format!("{wide}\n{wide}\n"), 20_000, 1 << 16), Ok(2));
        let long = "x".repeat(1 << 20);
        assert_eq!(count(&format!("a\n{long}\n"), 1, 1 << 16), Ok(2));
    }
}
