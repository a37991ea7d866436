//! Which rows a reader emits and in which order (see docs/options.md).

use super::parse;
use super::tensor_options::{self, Ragged, TensorOptions};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EqualShards {
    /// Shard lengths differ by at most one row; every row appears once.
    Off,
    /// Every shard has floor(T / n) rows; at most n - 1 rows are left out.
    Drop,
    /// Every shard has ceil(T / n) rows; the short ones repeat rows from the epoch's start.
    Pad,
}

#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub columns: Option<Vec<String>>,
    /// Packed mode: these columns become one float32 `features` matrix column.
    pub features: Option<Vec<String>>,
    /// Packed mode: the label column, emitted next to `features`.
    pub label: Option<String>,
    pub batch_size: u64,
    /// Batches joined into each emitted Arrow batch (a chunk of whole batches).
    pub batches_per_chunk: u64,
    pub drop_last_batch: bool,
    /// `false`: a single ordered pass over a stream source emits the source's own batches, not
    /// re-cut to `batch_size` (no copy where a batch would span two of the source's).
    pub exact_batches: bool,
    pub limit: Option<u64>,
    pub shuffle: bool,
    pub seed: u64,
    pub epoch: u64,
    pub shuffle_window: u64,
    pub num_shards: u64,
    pub shard_index: u64,
    pub equal_shards: EqualShards,
    pub num_workers: u64,
    pub worker_index: u64,
    /// Rows per worker turn; `None` means one batch.
    pub worker_interleave: Option<u64>,
    pub memory_budget: u64,
    /// Fragments (or fragment parts) read at once; 0: twice the cores. Option
    /// `fragments_in_flight`, formerly `threads` (still accepted).
    pub fragments_in_flight: u64,
    /// The column policy (tensor mode and its options).
    pub tensors: TensorOptions,
    /// Options that cannot be set again (`fixed_options`): a shard's, or a bound stream's.
    pub fixed: Vec<String>,
    /// `resume_from`: continue from this position (a reader's token).
    pub resume_from: Option<crate::resume::Position>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            columns: None,
            features: None,
            label: None,
            batch_size: 65_536,
            batches_per_chunk: 1,
            drop_last_batch: false,
            exact_batches: true,
            limit: None,
            shuffle: false,
            seed: 0,
            epoch: 0,
            shuffle_window: 262_144,
            num_shards: 1,
            shard_index: 0,
            equal_shards: EqualShards::Off,
            num_workers: 1,
            worker_index: 0,
            worker_interleave: None,
            memory_budget: 512 << 20,
            fragments_in_flight: 0,
            tensors: TensorOptions::default(),
            fixed: Vec::new(),
            resume_from: None,
        }
    }
}

pub(crate) const KNOWN: &[&str] = &[
    "columns",
    "features",
    "label",
    "batch_size",
    "batches_per_chunk",
    "drop_last_batch",
    "exact_batches",
    "limit",
    "shuffle",
    "seed",
    "epoch",
    "shuffle_window",
    "num_shards",
    "shard_index",
    "equal_shards",
    "num_workers",
    "worker_index",
    "worker_interleave",
    "memory_budget",
    "fragments_in_flight",
    "fixed_options",
    "resume_from",
];

impl ReadOptions {
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        if self.fixed.iter().any(|fixed| fixed == key) {
            return Err(Error::invalid_argument(format!(
                "option '{key}' is fixed (by 'fixed_options': a shard's reads carry it, as a bound stream does its options); \
                 it cannot be set again"
            )));
        }
        match key {
            "fixed_options" => self.fix(parse::name_list(key, value)?)?,
            "columns" => self.columns = Some(parse::name_list(key, value)?),
            "features" => self.features = Some(parse::name_list(key, value)?),
            "label" => {
                if value.trim().is_empty() {
                    return Err(parse::bad(key, value, "is empty: name the label column, or leave the option unset"));
                }
                self.label = Some(value.to_string())
            }
            "batch_size" => self.batch_size = parse::positive(key, value)?,
            "batches_per_chunk" => self.batches_per_chunk = parse::positive(key, value)?,
            "drop_last_batch" => self.drop_last_batch = parse::boolean(key, value)?,
            "exact_batches" => self.exact_batches = parse::boolean(key, value)?,
            "limit" => self.limit = Some(parse::unsigned(key, value)?),
            "shuffle" => self.shuffle = parse::boolean(key, value)?,
            "seed" => self.seed = parse::unsigned(key, value)?,
            "epoch" => self.epoch = parse::unsigned(key, value)?,
            "shuffle_window" => {
                self.shuffle_window = parse::positive(key, value)?;
                if self.shuffle_window > u64::from(u32::MAX) {
                    return Err(parse::bad(key, value, "must be at most 4294967295 rows"));
                }
            }
            "num_shards" => self.num_shards = parse::positive(key, value)?,
            "shard_index" => self.shard_index = parse::unsigned(key, value)?,
            "equal_shards" => {
                self.equal_shards = match value.trim().to_ascii_lowercase().as_str() {
                    "off" | "false" | "none" => EqualShards::Off,
                    "drop" => EqualShards::Drop,
                    "pad" => EqualShards::Pad,
                    _ => return Err(parse::bad(key, value, "expected off, drop or pad")),
                }
            }
            "num_workers" => self.num_workers = parse::positive(key, value)?,
            "worker_index" => self.worker_index = parse::unsigned(key, value)?,
            "worker_interleave" => self.worker_interleave = Some(parse::positive(key, value)?),
            "resume_from" => self.resume_from = Some(crate::resume::Position::parse(value)?),
            "memory_budget" => self.memory_budget = parse::bytes(key, value)?,
            // `threads` is the option's former name, kept for existing callers.
            "fragments_in_flight" | "threads" => self.fragments_in_flight = parse::unsigned(key, value)?,
            _ => {
                if !self.tensors.set(key, value)? {
                    let known: Vec<&str> = KNOWN.iter().chain(tensor_options::KNOWN).copied().collect();
                    return Err(parse::unknown("read", key, &known));
                }
            }
        }
        Ok(())
    }

    /// Adds `names` to the options that cannot be set again. How bindings merge a shard's
    /// options (or a bound stream's) with each read's: the fixed ones first, then
    /// `fixed_options` naming them, then the read's; setting a fixed one is an error.
    fn fix(&mut self, names: Vec<String>) -> Result<()> {
        let fixable = |name: &str| name != "fixed_options" && (KNOWN.contains(&name) || tensor_options::KNOWN.contains(&name));
        if let Some(name) = names.iter().find(|name| !fixable(name)) {
            return Err(parse::bad("fixed_options", name, "is not a read option that can be fixed"));
        }
        for name in names {
            if !self.fixed.contains(&name) {
                self.fixed.push(name);
            }
        }
        Ok(())
    }

    /// Checks that depend on several options at once (their order of setting is free).
    pub fn validate(&self) -> Result<()> {
        if self.features.is_some() && self.columns.is_some() {
            return Err(Error::invalid_argument(
                "options 'features' and 'columns' cannot be combined: packed mode reads the features and the label only",
            ));
        }
        if self.label.is_some() && self.features.is_none() {
            return Err(Error::invalid_argument("option 'label' needs option 'features' (packed mode)"));
        }
        if self.shard_index >= self.num_shards {
            return Err(Error::invalid_argument(format!(
                "option 'shard_index' is {} but must be less than 'num_shards' ({})",
                self.shard_index, self.num_shards
            )));
        }
        if self.worker_index >= self.num_workers {
            return Err(Error::invalid_argument(format!(
                "option 'worker_index' is {} but must be less than 'num_workers' ({})",
                self.worker_index, self.num_workers
            )));
        }
        if self.batch_size.checked_mul(self.batches_per_chunk).is_none_or(|rows| usize::try_from(rows).is_err()) {
            return Err(Error::invalid_argument(format!(
                "options 'batch_size' ({}) times 'batches_per_chunk' ({}) is too many rows for one emitted batch",
                self.batch_size, self.batches_per_chunk
            )));
        }
        if !self.exact_batches && (self.drop_last_batch || self.resume_from.is_some()) {
            let other = if self.drop_last_batch { "drop_last_batch" } else { "resume_from" };
            return Err(Error::invalid_argument(format!(
                "option 'exact_batches' is false, which cannot be combined with option '{other}': both need batches of exactly 'batch_size' rows"
            )));
        }
        let turn = self.worker_interleave.unwrap_or(self.batch_size);
        if self.drop_last_batch && self.num_workers > 1 && !turn.is_multiple_of(self.batch_size) {
            return Err(Error::invalid_argument(format!(
                "option 'drop_last_batch' with {} workers needs 'worker_interleave' ({turn}) to be a multiple of 'batch_size' ({}): \
                 otherwise a worker's last batch could be short",
                self.num_workers, self.batch_size
            )));
        }
        let policy = &self.tensors;
        if !self.policy_applies() {
            if let Some(option) = policy.policy_options_set().first() {
                return Err(Error::invalid_argument(format!(
                    "option '{option}' needs tensors=true (or packed mode: 'features'); without it columns are read as they are"
                )));
            }
        }
        if policy.ragged == Ragged::Pad && policy.pad_length.is_none() {
            return Err(Error::invalid_argument("option 'ragged' is pad, which needs option 'pad_length' (the fixed length of every row)"));
        }
        if policy.pad_length.is_some() && policy.ragged != Ragged::Pad {
            return Err(Error::invalid_argument("option 'pad_length' needs ragged=pad"));
        }
        Ok(())
    }

    /// Rows per emitted Arrow batch: `batches_per_chunk` whole batches. Batch `i` of a
    /// chunk is its rows `i * batch_size ..`; only the stream's last batch can be short,
    /// and only without `drop_last_batch` (the plan drops it; `validate` makes every
    /// worker's turns whole batches then).
    pub fn chunk_rows(&self) -> usize {
        (self.batch_size * self.batches_per_chunk) as usize
    }

    /// Whether columns go through the column policy: tensor mode, or packed mode.
    pub fn policy_applies(&self) -> bool {
        self.tensors.enabled || self.features.is_some()
    }

    /// The columns a read decodes: `columns`, or in packed mode the features and the label.
    pub fn projected_columns(&self) -> Option<Vec<String>> {
        match &self.features {
            Some(features) => {
                let mut names = features.clone();
                if let Some(label) = &self.label {
                    if !names.contains(label) {
                        names.push(label.clone());
                    }
                }
                Some(names)
            }
            None => self.columns.clone(),
        }
    }

    /// Fragments read at once: the `fragments_in_flight` option, or twice the machine's cores
    /// (so that one fragment's fetch overlaps another's decoding).
    pub fn concurrency(&self) -> usize {
        match self.fragments_in_flight {
            0 => 2 * std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            n => n as usize,
        }
    }
}
