//! Parsers for option values; each error names the option and the value.

use crate::error::{Error, Result};

pub fn boolean(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(bad(key, value, "expected true or false")),
    }
}

/// Plain decimal digits: no sign, no spaces, nothing after them. A value that
/// reaches the library as `" 5"` or `"+5"` came from somewhere other than a
/// number, so it is refused rather than guessed at.
pub fn unsigned(key: &str, value: &str) -> Result<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(key, value, "expected a non-negative integer written with digits only"));
    }
    value.parse::<u64>().map_err(|_| bad(key, value, "must be at most 18446744073709551615"))
}

pub fn positive(key: &str, value: &str) -> Result<u64> {
    match unsigned(key, value)? {
        0 => Err(bad(key, value, "must be at least 1")),
        n => Ok(n),
    }
}

/// Bytes: a plain integer or one with a KiB / MiB / GiB suffix.
pub fn bytes(key: &str, value: &str) -> Result<u64> {
    let v = value;
    let (number, scale) = [("KiB", 1u64 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000)]
        .iter()
        .find_map(|(suffix, scale)| v.strip_suffix(suffix).map(|n| (n.trim(), *scale)))
        .unwrap_or((v, 1));
    let digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    let n: u64 =
        number.parse().ok().filter(|_| digits).ok_or_else(|| bad(key, value, "expected a size in bytes such as 536870912 or 512MiB"))?;
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
    if let Some(twice) = names.iter().enumerate().find_map(|(i, n)| names[..i].contains(n).then_some(n)) {
        return Err(bad(key, value, &format!("lists '{twice}' twice")));
    }
    Ok(names)
}

/// The longest value an error message repeats; longer ones are cut, so that a
/// 10 MB value does not make a 10 MB message.
const ECHOED_CHARS: usize = 120;

pub fn bad(key: &str, value: &str, why: &str) -> Error {
    Error::invalid_argument(format!("invalid value '{}' for option '{key}': {why}", echo(value)))
}

/// `text` as an error message may repeat it: at most `ECHOED_CHARS` characters.
pub fn echo(text: &str) -> String {
    match text.char_indices().nth(ECHOED_CHARS) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}... ({} bytes in all)", &text[..cut], text.len()),
    }
}

/// A URL of an HTTP(S) service, such as an S3-compatible endpoint.
pub fn http_url(key: &str, value: &str) -> Result<String> {
    let url = url::Url::parse(value).map_err(|e| bad(key, value, &format!("expected an http:// or https:// URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(bad(key, value, "expected an http:// or https:// URL with a host"));
    }
    Ok(value.to_string())
}

pub fn unknown(kind: &str, key: &str, known: &[&str]) -> Error {
    Error::invalid_argument(format!("unknown {kind} option '{}' (known options: {})", echo(key), known.join(", ")))
}

/// A number given as text, kept exact when it is an integer, so that a fill
/// value of 2^53 + 1 reaches an int64 column unchanged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number {
    pub float: f64,
    /// The exact value when the text was an integer literal.
    pub integer: Option<i128>,
}

impl Number {
    pub const ZERO: Number = Number { float: 0.0, integer: Some(0) };

    /// The value as an integer, when it is one exactly: an integer literal, or a
    /// decimal such as `5.0` that a float holds exactly.
    pub fn exact_integer(&self) -> Option<i128> {
        const EXACT: f64 = (1u64 << 53) as f64;
        self.integer.or_else(|| (self.float.fract() == 0.0 && self.float.abs() <= EXACT).then_some(self.float as i128))
    }
}

impl From<f64> for Number {
    fn from(float: f64) -> Number {
        Number { float, integer: None }
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.integer {
            Some(i) => write!(f, "{i}"),
            None => write!(f, "{}", self.float),
        }
    }
}

/// A finite number (integers and decimals; `nan` and infinities are refused).
pub fn number(key: &str, value: &str) -> Result<Number> {
    let float = value.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| bad(key, value, "expected a finite number"))?;
    let digits = value.strip_prefix('-').unwrap_or(value);
    let integer = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) { value.parse::<i128>().ok() } else { None };
    Ok(Number { float, integer })
}

/// A positive duration in seconds, such as 30 or 0.5.
pub fn seconds(key: &str, value: &str) -> Result<std::time::Duration> {
    let v = number(key, value)?.float;
    if v <= 0.0 || v > 1e9 {
        return Err(bad(key, value, "expected a positive number of seconds, such as 30 or 0.5"));
    }
    Ok(std::time::Duration::from_secs_f64(v))
}
