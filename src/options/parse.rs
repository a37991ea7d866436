//! Parsers for option values; each error names the option and the value.

use crate::error::{Error, Result};

pub fn boolean(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(bad(key, value, "expected true or false")),
    }
}

pub fn unsigned(key: &str, value: &str) -> Result<u64> {
    value.trim().parse::<u64>().map_err(|_| bad(key, value, "expected a non-negative integer"))
}

pub fn positive(key: &str, value: &str) -> Result<u64> {
    match unsigned(key, value)? {
        0 => Err(bad(key, value, "must be at least 1")),
        n => Ok(n),
    }
}

/// Bytes: a plain integer or one with a KiB / MiB / GiB suffix.
pub fn bytes(key: &str, value: &str) -> Result<u64> {
    let v = value.trim();
    let (number, scale) = [("KiB", 1u64 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000)]
        .iter()
        .find_map(|(suffix, scale)| v.strip_suffix(suffix).map(|n| (n.trim(), *scale)))
        .unwrap_or((v, 1));
    let n: u64 = number.parse().map_err(|_| bad(key, value, "expected a size in bytes such as 536870912 or 512MiB"))?;
    n.checked_mul(scale).filter(|&b| b > 0).ok_or_else(|| bad(key, value, "must be a positive size that fits in 64 bits"))
}

/// One ASCII character; `\t` is accepted for tab.
pub fn ascii_char(key: &str, value: &str) -> Result<u8> {
    match value {
        "\\t" | "\t" => Ok(b'\t'),
        v if v.len() == 1 && v.is_ascii() => Ok(v.as_bytes()[0]),
        _ => Err(bad(key, value, "expected a single ASCII character")),
    }
}

/// A list of names: a JSON array of strings, or comma-separated.
pub fn name_list(key: &str, value: &str) -> Result<Vec<String>> {
    let v = value.trim();
    let names: Vec<String> = if v.starts_with('[') {
        serde_json::from_str(v).map_err(|e| bad(key, value, &format!("expected a JSON array of strings ({e})")))?
    } else {
        v.split(',').map(|s| s.trim().to_string()).collect()
    };
    if names.is_empty() {
        return Err(bad(key, value, "lists no column"));
    }
    if names.iter().any(|n| n.is_empty()) {
        return Err(bad(key, value, "contains an empty name"));
    }
    Ok(names)
}

pub fn bad(key: &str, value: &str, why: &str) -> Error {
    Error::invalid_argument(format!("invalid value '{value}' for option '{key}': {why}"))
}

pub fn unknown(kind: &str, key: &str, known: &[&str]) -> Error {
    Error::invalid_argument(format!("unknown {kind} option '{key}' (known options: {})", known.join(", ")))
}

/// A finite number (integers and decimals; `nan` and infinities are refused).
pub fn number(key: &str, value: &str) -> Result<f64> {
    value.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| bad(key, value, "expected a finite number"))
}

/// A positive duration in seconds, such as 30 or 0.5.
pub fn seconds(key: &str, value: &str) -> Result<std::time::Duration> {
    let v = number(key, value)?;
    if v <= 0.0 || v > 1e9 {
        return Err(bad(key, value, "expected a positive number of seconds, such as 30 or 0.5"));
    }
    Ok(std::time::Duration::from_secs_f64(v))
}
