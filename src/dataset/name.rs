//! Dataset and version names: they become parts of object paths, so only
//! letters, digits, '_', '-' and '.' are allowed (never a path separator, never
//! `.` or `..`), at most 128 characters, not starting with '.' or '-'.

use crate::error::{Error, Result};

const MAX_LENGTH: usize = 128;

/// Checks `value` as a name of `what` ("dataset name", "version name").
pub fn check(what: &str, value: &str) -> Result<()> {
    let shown = crate::options::echo(value);
    let rule = "1 to 128 letters, digits, '_', '-' or '.', not starting with '.' or '-'";
    if value.is_empty() {
        return Err(Error::invalid_argument(format!("{what} is empty: expected {rule}")));
    }
    if value.len() > MAX_LENGTH {
        return Err(Error::invalid_argument(format!("{what} '{shown}' is {} characters long: expected {rule}", value.len())));
    }
    if let Some(bad) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        let why = match bad {
            '/' | '\\' => format!("contains the path separator '{bad}'"),
            c if c.is_control() || c.is_whitespace() => format!("contains the character {:?}", c),
            c => format!("contains '{c}'"),
        };
        return Err(Error::invalid_argument(format!("{what} '{shown}' {why}: expected {rule}")));
    }
    if value.starts_with('.') || value.starts_with('-') {
        return Err(Error::invalid_argument(format!("{what} '{shown}' starts with '{}': expected {rule}", &value[..1])));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn safe_names_pass_and_unsafe_ones_are_named() {
        for good in ["v1", "2024-05-01", "train_set.v2", "A"] {
            check("version name", good).unwrap();
        }
        for (bad, why) in [
            ("", "is empty"),
            ("a/b", "path separator '/'"),
            ("a\\b", "path separator '\\'"),
            ("..", "starts with '.'"),
            (".hidden", "starts with '.'"),
            ("-x", "starts with '-'"),
            ("a b", "' '"),
            ("v*", "contains '*'"),
        ] {
            let err = check("version name", bad).unwrap_err();
            assert!(err.message.contains(why), "{bad}: {}", err.message);
            assert!(err.message.starts_with("version name"), "{}", err.message);
        }
        assert!(check("version name", &"x".repeat(129)).is_err());
    }
}
