//! Each file reader on mutated files: a seed file of the format (seeds.rs) with
//! a few structure-blind mutations (bit flips, bytes and words set to edge
//! values such as huge lengths, cuts, insertions, removals, copied spans) is
//! opened and read. It must read, or fail with an error that names the file:
//! no panic, no internal error, no hang, no allocation of a length taken on
//! trust, and no silently short output (the rows read are the rows counted).

use super::seeds::{seeds, Format};
use super::{check_error, Scratch};
use arbitrary::Unstructured;
use sluice::{Connector, ReadOptions, SourceOptions};

/// Values that mutated headers and lengths take.
const EDGE_WORDS: &[u64] = &[
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0xffff_ffff_ffff_ffff,
    1 << 40,
    1 << 50,
];

/// Bytes that matter to the text formats.
const TEXT_BYTES: &[u8] = b"\",\n\r{}[]:\\ -.0123456789eE\xff\xc3\0";

fn position(u: &mut Unstructured, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let near = u.int_in_range(0..=255usize).unwrap_or(0).min(len - 1);
    match u.int_in_range(0..=3u8).unwrap_or(0) {
        0 => near,           // headers, magic bytes, schema messages
        1 => len - 1 - near, // footers and their lengths
        _ => u.choose_index(len).unwrap_or(0),
    }
}

pub fn mutate(mut file: Vec<u8>, u: &mut Unstructured) -> Vec<u8> {
    let mutations = u.int_in_range(1..=6u8).unwrap_or(1);
    for _ in 0..mutations {
        let at = position(u, file.len());
        match u.int_in_range(0..=8u8).unwrap_or(0) {
            0 if at < file.len() => file[at] ^= 1 << u.int_in_range(0..=7u8).unwrap_or(0),
            1 if at < file.len() => file[at] = u.arbitrary().unwrap_or(0),
            2 | 3 => {
                let word = EDGE_WORDS[u.choose_index(EDGE_WORDS.len()).unwrap_or(0)];
                let width = [1usize, 2, 4, 8][u.int_in_range(0..=3usize).unwrap_or(2)];
                let bytes = match u.int_in_range(0..=2u8).unwrap_or(0) {
                    0 => word.to_le_bytes()[..width].to_vec(),
                    1 => word.to_be_bytes()[8 - width..].to_vec(),
                    _ => uleb128(word), // Thrift's (Parquet's footer) and Flatbuffers' lengths
                };
                for (i, b) in bytes.into_iter().enumerate() {
                    if let Some(slot) = file.get_mut(at + i) {
                        *slot = b;
                    }
                }
            }
            4 => file.truncate(at),
            5 => {
                let inserted: Vec<u8> = u.arbitrary::<Vec<u8>>().unwrap_or_default().into_iter().take(16).collect();
                file.splice(at..at, inserted);
            }
            6 => {
                let end = (at + u.int_in_range(1..=16usize).unwrap_or(1)).min(file.len());
                file.drain(at..end);
            }
            7 if !file.is_empty() => {
                let from = position(u, file.len());
                let len = u.int_in_range(1..=64usize).unwrap_or(1).min(file.len() - from);
                let span = file[from..from + len].to_vec();
                file.splice(at..at, span);
            }
            _ => {
                let byte = TEXT_BYTES[u.choose_index(TEXT_BYTES.len()).unwrap_or(0)];
                file.insert(at, byte);
            }
        }
    }
    file
}

fn uleb128(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Mutates a seed file of `format`, then opens and reads it.
pub fn read_mutated(format: Format, data: &[u8]) {
    let (file, options) = mutated_case(format, data);
    read_file(format, &file, &options);
}

/// The mutated file and the read options that `data` makes.
pub fn mutated_case(format: Format, data: &[u8]) -> (Vec<u8>, ReadOptions) {
    let mut u = Unstructured::new(data);
    let seeds = seeds(format);
    let seed = seeds[u.choose_index(seeds.len()).unwrap_or(0)].clone();
    let file = mutate(seed, &mut u);
    let mut options = ReadOptions::default();
    options.set("batch_size", &u.int_in_range(1..=64u32).unwrap_or(16).to_string()).unwrap();
    if u.arbitrary().unwrap_or(false) {
        options.set("shuffle", "true").unwrap();
        options.set("seed", &u.arbitrary::<u64>().unwrap_or(0).to_string()).unwrap();
    }
    (file, options)
}

/// Writes `file` and reads it; the checks of this module's comment.
pub fn read_file(format: Format, file: &[u8], options: &ReadOptions) {
    let scratch = Scratch::new("read");
    let name = format!("mutated.{}", format.extension());
    let path = scratch.path().join(&name);
    std::fs::write(&path, file).unwrap();
    let connector = match Connector::open(&[path.to_str().unwrap().to_string()], &SourceOptions::default()) {
        Ok(connector) => connector,
        Err(e) => return check_error(&e, &name, "open"),
    };
    let expected = connector.count_rows(options).unwrap();
    let stream = match connector.read(options) {
        Ok(stream) => stream,
        Err(e) => return check_error(&e, &name, "read"),
    };
    let mut rows = 0u64;
    for batch in stream {
        match batch {
            Ok(batch) => rows += batch.num_rows() as u64,
            Err(e) => return check_error(&e, &name, "a batch"),
        }
    }
    assert_eq!(rows, expected, "'{name}' read {rows} rows where {expected} were counted, without an error");
}

pub fn parquet(data: &[u8]) {
    read_mutated(Format::Parquet, data)
}

pub fn ipc(data: &[u8]) {
    read_mutated(Format::Ipc, data)
}

pub fn csv(data: &[u8]) {
    read_mutated(Format::Csv, data)
}

pub fn ndjson(data: &[u8]) {
    read_mutated(Format::Ndjson, data)
}
