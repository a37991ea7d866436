//! Log lines name objects by URI, and some URIs carry secrets: a password
//! (`https://user:password@host/…`) or a signature in the query (pre-signed S3
//! URLs, Azure SAS tokens: `?sv=…&sig=…`). object_store's transport errors quote
//! the URL of the request. Every line is passed through `without_secrets`.

/// `text` with every URL's password and query values replaced by `***`.
pub(crate) fn without_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("://") {
        // The scheme: the letters, digits, '+', '-' and '.' just before "://".
        let scheme_start = rest[..found].rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))).map_or(0, |i| i + 1);
        let after = found + 3;
        let end = rest[after..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '(' | ')' | '`'))
            .map_or(rest.len(), |i| after + i);
        if scheme_start == found {
            // "://" without a scheme: not a URL.
            out.push_str(&rest[..after]);
            rest = &rest[after..];
            continue;
        }
        out.push_str(&rest[..after]);
        out.push_str(&url_without_secrets(&rest[after..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// What follows `scheme://` in a URL, without the password and the query values.
fn url_without_secrets(url: &str) -> String {
    let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
    let (authority, path) = url.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _password)) => format!("{user}:***{}", &authority[at..]),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let (path, fragment) = path.split_at(path.find('#').unwrap_or(path.len()));
    let path = match path.split_once('?') {
        // A part without '=' stays: it may be a glob's '?' wildcard.
        Some((path, query)) => {
            let parts: Vec<String> =
                query.split('&').map(|part| part.split_once('=').map_or(part.to_string(), |(key, _)| format!("{key}=***"))).collect();
            format!("{path}?{}", parts.join("&"))
        }
        None => path.to_string(),
    };
    format!("{authority}{path}{fragment}")
}

#[cfg(test)]
mod tests {
    use super::without_secrets;

    #[test]
    fn passwords_and_query_values_are_replaced() {
        assert_eq!(
            without_secrets("GET https://ann:hunter2@host:8080/a/b.parquet failed"),
            "GET https://ann:***@host:8080/a/b.parquet failed"
        );
        assert_eq!(
            without_secrets("error sending request for url (https://acct.blob.core.windows.net/c/x?sv=2020&sig=abc%2F) here"),
            "error sending request for url (https://acct.blob.core.windows.net/c/x?sv=***&sig=***) here"
        );
        assert_eq!(without_secrets("'s3://b/k?X-Amz-Signature=f00'"), "'s3://b/k?X-Amz-Signature=***'");
    }

    #[test]
    fn text_without_secrets_is_unchanged() {
        for text in [
            "retry 1 of 2: status 503",
            "s3://bucket/data/part-?.parquet",
            "http://user@host/x",
            "a :// b",
            "two: http://h/a and gs://b/c",
            "ends with scheme://",
        ] {
            assert_eq!(without_secrets(text), text);
        }
    }
}
