//! How columns become tensors: the column policy (docs/design.md), applied in the core
//! (src/tensors/) when `tensors` is on or in packed mode (see docs/options.md).

use super::parse::{self, Number};
use crate::error::Result;

/// What a ragged list column becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ragged {
    /// An error naming the column: a tensor needs a fixed length.
    Error,
    /// A fixed-size list of `pad_length` values, padded with `pad_value`.
    Pad,
    /// The list itself: bindings hand out its values and offsets.
    ValuesOffsets,
}

/// What a decimal column becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decimals {
    Float64,
    /// The unscaled integer (value × 10^scale), exact.
    ScaledInt64,
}

/// What a dictionary-encoded column becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dictionaries {
    /// Decoded to its values (then the values' own policy): the same row
    /// always gives the same value, whatever the batch.
    Values,
    /// The integer codes, with the batch's dictionary alongside. Parquet keeps
    /// one dictionary per row group, and batches spanning several merge them,
    /// so a code means something only within its batch.
    Codes,
}

#[derive(Debug, Clone)]
pub struct TensorOptions {
    pub(crate) enabled: bool,
    /// Nulls take this value (strings: ""); without it a null is an error.
    pub(crate) null_fill: Option<Number>,
    /// Columns that get a `<name>_is_null` bool column; their nulls are filled.
    pub(crate) null_mask: Vec<String>,
    pub(crate) ragged: Ragged,
    pub(crate) pad_length: Option<u64>,
    pub(crate) pad_value: Number,
    pub(crate) decimal: Decimals,
    pub(crate) dictionary: Dictionaries,
}

impl Default for TensorOptions {
    fn default() -> Self {
        TensorOptions {
            enabled: false,
            null_fill: None,
            null_mask: Vec::new(),
            ragged: Ragged::Error,
            pad_length: None,
            pad_value: Number::ZERO,
            decimal: Decimals::Float64,
            dictionary: Dictionaries::Values,
        }
    }
}

pub const KNOWN: &[&str] = &["tensors", "null_fill", "null_mask", "ragged", "pad_length", "pad_value", "decimal", "dictionary"];

impl TensorOptions {
    /// Sets `key` if it is a tensor option; `Ok(false)` when it is not one.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool> {
        match key {
            "tensors" => self.enabled = parse::boolean(key, value)?,
            "null_fill" => self.null_fill = Some(parse::number(key, value)?),
            "null_mask" => self.null_mask = parse::name_list(key, value)?,
            "ragged" => {
                self.ragged = match value.trim().to_ascii_lowercase().as_str() {
                    "error" => Ragged::Error,
                    "pad" => Ragged::Pad,
                    "values_offsets" => Ragged::ValuesOffsets,
                    _ => return Err(parse::bad(key, value, "expected error, pad or values_offsets")),
                }
            }
            "pad_length" => {
                let n = parse::positive(key, value)?;
                if n > i32::MAX as u64 {
                    return Err(parse::bad(key, value, "must be at most 2147483647"));
                }
                self.pad_length = Some(n);
            }
            "pad_value" => self.pad_value = parse::number(key, value)?,
            "decimal" => {
                self.decimal = match value.trim().to_ascii_lowercase().as_str() {
                    "float64" => Decimals::Float64,
                    "scaled_int64" => Decimals::ScaledInt64,
                    _ => return Err(parse::bad(key, value, "expected float64 or scaled_int64")),
                }
            }
            "dictionary" => {
                self.dictionary = match value.trim().to_ascii_lowercase().as_str() {
                    "values" => Dictionaries::Values,
                    "codes" => Dictionaries::Codes,
                    _ => return Err(parse::bad(key, value, "expected values or codes")),
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The options set that only mean something with the policy on.
    pub fn policy_options_set(&self) -> Vec<&'static str> {
        let d = TensorOptions::default();
        let mut set = Vec::new();
        if self.null_fill.is_some() {
            set.push("null_fill");
        }
        if !self.null_mask.is_empty() {
            set.push("null_mask");
        }
        if self.ragged != d.ragged {
            set.push("ragged");
        }
        if self.pad_length.is_some() {
            set.push("pad_length");
        }
        if self.pad_value != d.pad_value {
            set.push("pad_value");
        }
        if self.decimal != d.decimal {
            set.push("decimal");
        }
        if self.dictionary != d.dictionary {
            set.push("dictionary");
        }
        set
    }
}
