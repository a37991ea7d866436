//! How a database is named in messages: its URI without secrets.

use crate::logging::redact::without_secrets;

/// Option keys whose values are never shown (matched without case, anywhere in the key).
const SECRET_KEY_PARTS: &[&str] = &["password", "secret", "token", "private_key", "passphrase", "credential", "pwd"];

pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEY_PARTS.iter().any(|part| key.contains(part))
}

/// `uri` without its password: URL userinfo and query values (`without_secrets`),
/// and the values of secret keys in a libpq-style `key=value` string
/// (`host=db password=hunter2`), quoted or not.
pub fn uri_for_messages(uri: &str) -> String {
    let uri = without_secrets(uri);
    if uri.contains("://") {
        return uri;
    }
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri.as_str();
    while let Some(eq) = rest.find('=') {
        let key_start = rest[..eq].rfind(|c: char| c.is_whitespace() || c == ';').map_or(0, |i| i + 1);
        let key = rest[key_start..eq].trim();
        out.push_str(&rest[..=eq]);
        rest = &rest[eq + 1..];
        if is_secret_key(key) {
            let value_end = value_end(rest);
            out.push_str("***");
            rest = &rest[value_end..];
        }
    }
    out.push_str(rest);
    out
}

/// Where a `key=value` value ends: at the closing quote of a quoted value, else at whitespace or ';'.
fn value_end(value: &str) -> usize {
    if let Some(quoted) = value.strip_prefix('\'') {
        let mut escaped = false;
        for (i, c) in quoted.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '\'' if !escaped => return i + 2,
                _ => escaped = false,
            }
        }
        return value.len();
    }
    value.find(|c: char| c.is_whitespace() || c == ';').unwrap_or(value.len())
}

#[cfg(test)]
mod tests {
    use super::uri_for_messages;

    #[test]
    fn passwords_are_hidden_in_urls_and_key_value_strings() {
        assert_eq!(uri_for_messages("postgresql://ann:hunter2@db:5432/train"), "postgresql://ann:***@db:5432/train");
        assert_eq!(uri_for_messages("postgresql://ann@db/train?password=hunter2"), "postgresql://ann@db/train?password=***");
        assert_eq!(uri_for_messages("host=db user=ann password=hunter2 dbname=t"), "host=db user=ann password=*** dbname=t");
        assert_eq!(uri_for_messages("host=db password='hun ter\\'2' dbname=t"), "host=db password=*** dbname=t");
        assert_eq!(uri_for_messages("Server=x;PWD=a;Token=b;"), "Server=x;PWD=***;Token=***;");
        assert_eq!(uri_for_messages("/tmp/train.sqlite"), "/tmp/train.sqlite");
    }
}
