//! Resume tokens: a reader's position as a short printable string, from which
//! a new reader continues exactly where the old one stopped.
//!
//! A token is `sluice-pos-1:` followed by the URL-safe base64 (no padding) of a
//! small JSON object: the rows this reader emitted, every read option that
//! decides which rows it emits in which order, and a fingerprint of the source
//! (its files, their sizes and versions, each fragment's row count). Callers
//! treat it as opaque. A read given `resume_from` must have the same options
//! and the same source; any difference is an error naming it, never a silent
//! restart from the epoch's start.

use crate::error::{Error, Result};
use crate::options::{EqualShards, ReadOptions};
use crate::source::Source;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "sluice-pos-";
const FORMAT: u32 = 1;

/// A reader's position: what a token holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// Rows this reader emitted (counted from the start of its share of the epoch).
    pub rows: u64,
    /// The options that decide the row sequence.
    #[serde(flatten)]
    pub sequence: Sequence,
    /// Files in the source, their total rows, and a hash of names, sizes, versions and fragment rows.
    pub files: u64,
    pub total_rows: u64,
    pub source_hash: String,
}

/// The read options that decide which rows a reader emits, in which order, cut where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    pub seed: u64,
    pub epoch: u64,
    pub shuffle: bool,
    /// 0 without shuffle (the window then plays no part).
    pub shuffle_window: u64,
    pub num_shards: u64,
    pub shard_index: u64,
    pub equal_shards: String,
    pub num_workers: u64,
    pub worker_index: u64,
    /// Rows per worker turn (its default, one batch, written out).
    pub worker_interleave: u64,
    pub batch_size: u64,
    pub drop_last_batch: bool,
    pub limit: Option<u64>,
}

impl Sequence {
    pub fn of(options: &ReadOptions) -> Sequence {
        Sequence {
            seed: options.seed,
            epoch: options.epoch,
            shuffle: options.shuffle,
            shuffle_window: if options.shuffle { options.shuffle_window } else { 0 },
            num_shards: options.num_shards,
            shard_index: options.shard_index,
            equal_shards: match options.equal_shards {
                EqualShards::Off => "off",
                EqualShards::Drop => "drop",
                EqualShards::Pad => "pad",
            }
            .to_string(),
            num_workers: options.num_workers,
            worker_index: options.worker_index,
            worker_interleave: options.worker_interleave.unwrap_or(options.batch_size),
            batch_size: options.batch_size,
            drop_last_batch: options.drop_last_batch,
            limit: options.limit,
        }
    }

    /// The options that differ between a token (`self`) and a read, as "name (token: a, this read: b)".
    fn differences(&self, read: &Sequence) -> Vec<String> {
        let (a, b) = (serde_json::to_value(self).unwrap_or_default(), serde_json::to_value(read).unwrap_or_default());
        let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else { return vec!["the options".into()] };
        a.iter()
            .filter(|(key, value)| b.get(key.as_str()) != Some(value))
            .map(|(key, value)| format!("'{key}' (token: {value}, this read: {})", b.get(key.as_str()).unwrap_or(&serde_json::Value::Null)))
            .collect()
    }
}

/// What a source's fingerprint is made of: files, total rows and a hash.
pub fn fingerprint(source: &Source) -> (u64, u64, String) {
    let mut hash = Fnv::new();
    for data_file in &source.files {
        let file = &data_file.file;
        hash.write(file.name.as_bytes());
        hash.write(&file.size.to_le_bytes());
        match &file.opened.e_tag {
            Some(e_tag) => hash.write(e_tag.as_bytes()),
            None => hash.write(file.opened.last_modified.to_rfc3339().as_bytes()),
        }
    }
    for fragment in &source.fragments {
        hash.write(&fragment.rows.to_le_bytes());
    }
    (source.files.len() as u64, source.num_rows(), format!("{:016x}", hash.0))
}

/// FNV-1a, 64 bits: a fixed, platform-independent hash (std's hasher may change between releases).
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(&[0xff]) {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl Position {
    /// The start of a pass straight from the producer of stream source `id`, whose
    /// source is its snapshot (not made yet): `in_snapshot` puts in the snapshot's fingerprint.
    pub fn of_stream(options: &ReadOptions, id: &str) -> Position {
        Position { rows: 0, sequence: Sequence::of(options), files: 0, total_rows: 0, source_hash: format!("stream:{id}") }
    }

    /// This position of stream source `id`'s pass, as a position in its snapshot `source`
    /// (the same rows in the same order); any other position unchanged.
    pub fn in_snapshot(&self, id: &str, source: &Source) -> Position {
        if self.source_hash != format!("stream:{id}") {
            return self.clone();
        }
        let (files, total_rows, source_hash) = fingerprint(source);
        Position { files, total_rows, source_hash, ..self.clone() }
    }

    /// The position after `rows` rows of a reader with `options` over `source`.
    pub fn new(rows: u64, options: &ReadOptions, source: &Source) -> Position {
        let (files, total_rows, source_hash) = fingerprint(source);
        Position { rows, sequence: Sequence::of(options), files, total_rows, source_hash }
    }

    pub fn to_token(&self) -> String {
        let json = serde_json::to_vec(self).expect("a position always serialises");
        format!("{PREFIX}{FORMAT}:{}", URL_SAFE_NO_PAD.encode(json))
    }

    /// Parses a token; the error says whether it is garbage or from a newer format.
    pub fn parse(token: &str) -> Result<Position> {
        let bad = |why: &str| Error::invalid_argument(format!("option 'resume_from': {why}"));
        let not_a_token = || bad("is not a sluice resume token (expected the string a reader's position gave, 'sluice-pos-1:…')");
        let rest = token.trim().strip_prefix(PREFIX).ok_or_else(not_a_token)?;
        let (format, body) = rest.split_once(':').ok_or_else(not_a_token)?;
        let format: u32 = format.parse().map_err(|_| not_a_token())?;
        if format != FORMAT {
            return Err(bad(&format!(
                "the token has format {format}, and this sluice reads format {FORMAT} only{}",
                if format > FORMAT { ": it was written by a newer sluice" } else { "" }
            )));
        }
        let json = URL_SAFE_NO_PAD.decode(body).map_err(|e| bad(&format!("is damaged: not base64url ({e})")))?;
        serde_json::from_slice(&json).map_err(|e| bad(&format!("is damaged: {e}")))
    }

    /// Checks that a read with `options` over `source` continues this position, and that
    /// `emitted`, the rows such a read emits from the start, reaches it.
    pub fn check(&self, options: &ReadOptions, source: &Source, emitted: u64) -> Result<()> {
        let read = Sequence::of(options);
        let (token, this) = (&self.sequence, &read);
        if token.num_shards != this.num_shards || token.num_workers != this.num_workers {
            return Err(Error::invalid_argument(format!(
                "option 'resume_from': the token was taken by shard {} of {} (worker {} of {}), and this read is shard {} of {} \
                 (worker {} of {}): resuming with a different number of shards or workers is refused, since the rows the other \
                 ranks and workers emitted are not known here; resume with the same counts, or start the epoch again",
                token.shard_index,
                token.num_shards,
                token.worker_index,
                token.num_workers,
                this.shard_index,
                this.num_shards,
                this.worker_index,
                this.num_workers
            )));
        }
        let differences = token.differences(this);
        if !differences.is_empty() {
            return Err(Error::invalid_argument(format!(
                "option 'resume_from': the token was taken by a read with other options: {}; pass the options it was taken with",
                differences.join(", ")
            )));
        }
        let (files, total_rows, hash) = fingerprint(source);
        if (files, total_rows, &hash) != (self.files, self.total_rows, &self.source_hash) {
            let what = if files != self.files || total_rows != self.total_rows {
                format!(
                    "the token was taken over {} files of {} rows, and this source has {files} files of {total_rows} rows",
                    self.files, self.total_rows
                )
            } else {
                "the same number of files and rows, but a file's name, size or version (ETag or modification time) differs".to_string()
            };
            return Err(Error::invalid_argument(format!("option 'resume_from': the source changed since the token was taken: {what}")));
        }
        if self.rows > emitted {
            return Err(Error::invalid_argument(format!(
                "option 'resume_from': the token is at row {} but this read emits {emitted} rows",
                self.rows
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> Position {
        Position {
            rows: 1024,
            sequence: Sequence::of(&ReadOptions::default()),
            files: 3,
            total_rows: 5000,
            source_hash: "0123456789abcdef".into(),
        }
    }

    #[test]
    fn a_token_round_trips_and_is_printable_and_short() {
        let token = position().to_token();
        assert!(token.starts_with("sluice-pos-1:"));
        assert!(token.bytes().all(|b| b.is_ascii_graphic()));
        assert!(token.len() < 500, "{token}");
        assert_eq!(Position::parse(&token).unwrap(), position());
    }

    #[test]
    fn garbage_and_newer_formats_are_refused_by_name() {
        for garbage in ["", "hello", "sluice-pos-1:", "sluice-pos-1:!!!", "sluice-pos-x:abc"] {
            let err = Position::parse(garbage).unwrap_err().to_string();
            assert!(err.contains("resume_from") && (err.contains("not a sluice resume token") || err.contains("damaged")), "{err}");
        }
        let newer = position().to_token().replace("sluice-pos-1:", "sluice-pos-2:");
        let err = Position::parse(&newer).unwrap_err().to_string();
        assert!(err.contains("format 2") && err.contains("newer"), "{err}");
    }

    #[test]
    fn differences_name_each_option() {
        let mut options = ReadOptions { seed: 7, ..ReadOptions::default() };
        options.batch_size = 10;
        let diffs = position().sequence.differences(&Sequence::of(&options));
        assert_eq!(diffs.len(), 3, "{diffs:?}"); // seed, batch_size and the turn (one batch)
        assert!(diffs[0].contains("'seed' (token: 0, this read: 7)") || diffs.iter().any(|d| d.contains("'seed'")), "{diffs:?}");
    }
}
