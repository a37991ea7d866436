//! Glob patterns over object paths: `*` and `?` stay inside one path segment,
//! `**` crosses segments, `[abc]`, `[a-z]` and `[!x]` match one character.

pub fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

pub fn matches(pattern: &str, text: &str) -> bool {
    match_from(pattern.as_bytes(), text.as_bytes())
}

fn match_from(p: &[u8], t: &[u8]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some(b'*') if p.get(1) == Some(&b'*') => {
            // `**/` also matches zero directories.
            let rest = &p[2..];
            let rest_no_slash = rest.strip_prefix(b"/").unwrap_or(rest);
            (0..=t.len()).any(|i| match_from(rest, &t[i..]) || match_from(rest_no_slash, &t[i..]))
        }
        Some(b'*') => {
            let rest = &p[1..];
            for i in 0..=t.len() {
                if match_from(rest, &t[i..]) {
                    return true;
                }
                if i < t.len() && t[i] == b'/' {
                    break;
                }
            }
            false
        }
        Some(b'?') => !t.is_empty() && t[0] != b'/' && match_from(&p[1..], &t[1..]),
        Some(b'[') => match (t.first(), class_end(p)) {
            (Some(&c), Some(end)) if c != b'/' => in_class(&p[1..end], c) && match_from(&p[end + 1..], &t[1..]),
            (Some(&c), None) => c == b'[' && match_from(&p[1..], &t[1..]),
            _ => false,
        },
        Some(&c) => t.first() == Some(&c) && match_from(&p[1..], &t[1..]),
    }
}

fn class_end(p: &[u8]) -> Option<usize> {
    let start = if p.get(1) == Some(&b'!') { 3 } else { 2 };
    (start..p.len()).find(|&i| p[i] == b']')
}

fn in_class(class: &[u8], c: u8) -> bool {
    let (negate, class) = match class.first() {
        Some(b'!') => (true, &class[1..]),
        _ => (false, class),
    };
    let mut i = 0;
    let mut found = false;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == b'-' {
            found |= class[i] <= c && c <= class[i + 2];
            i += 3;
        } else {
            found |= class[i] == c;
            i += 1;
        }
    }
    found != negate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_stays_in_segment() {
        assert!(matches("data/*.parquet", "data/a.parquet"));
        assert!(!matches("data/*.parquet", "data/x/a.parquet"));
        assert!(matches("data/**/*.parquet", "data/x/y/a.parquet"));
        assert!(matches("data/**/*.parquet", "data/a.parquet"));
        assert!(matches("part-[0-9].csv", "part-3.csv"));
        assert!(!matches("part-[!0-9].csv", "part-3.csv"));
        assert!(matches("p?.csv", "p1.csv"));
        assert!(!matches("p?.csv", "p12.csv"));
    }
}
