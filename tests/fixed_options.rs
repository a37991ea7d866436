//! `fixed_options`: how every binding merges a shard's options with each read's
//! (one rule, in the core): the shard's options, then `fixed_options` naming them,
//! then the read's; naming a fixed option again is an error, never a silent override.

use sluice::{ErrorKind, ReadOptions};

fn set_all(pairs: &[(&str, &str)]) -> sluice::Result<ReadOptions> {
    let mut o = ReadOptions::default();
    for (k, v) in pairs {
        o.set(k, v)?;
    }
    Ok(o)
}

const SHARD: [(&str, &str); 4] = [
    ("num_shards", "4"),
    ("shard_index", "1"),
    ("equal_shards", "pad"),
    ("fixed_options", r#"["num_shards","shard_index","equal_shards"]"#),
];

#[test]
fn a_shards_options_and_a_reads_options_merge() {
    let o = set_all(&[&SHARD[..], &[("batch_size", "10"), ("shuffle", "true")]].concat()).unwrap();
    assert_eq!((o.num_shards, o.shard_index, o.batch_size, o.shuffle), (4, 1, 10, true));
    // fixing adds up: a bound stream over a shard fixes its own options too
    let o = set_all(&[&SHARD[..], &[("limit", "5"), ("fixed_options", "limit")]].concat()).unwrap();
    assert_eq!(o.fixed, ["num_shards", "shard_index", "equal_shards", "limit"]);
}

#[test]
fn setting_a_fixed_option_again_is_an_error_naming_it() {
    for key in ["num_shards", "shard_index", "equal_shards"] {
        let Err(err) = set_all(&[&SHARD[..], &[(key, "0")]].concat()) else { panic!("accepted") };
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
        assert!(err.message.contains(&format!("'{key}' is fixed")), "{}", err.message);
    }
    // the same value again is refused as well: the rule does not depend on values
    assert!(set_all(&[&SHARD[..], &[("shard_index", "1")]].concat()).is_err());
    // a failed set leaves the options as they were
    let mut o = set_all(&SHARD).unwrap();
    assert!(o.set("shard_index", "2").is_err());
    assert_eq!(o.shard_index, 1);
}

#[test]
fn only_read_options_can_be_fixed() {
    for bad in [r#"["nope"]"#, "fixed_options", r#"["limit", "format"]"#] {
        let Err(err) = set_all(&[("fixed_options", bad)]) else { panic!("accepted") };
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
        assert!(err.message.contains("fixed_options"), "{}", err.message);
    }
    // tensor-mode options are read options too
    assert_eq!(set_all(&[("fixed_options", "tensors,null_fill")]).unwrap().fixed, ["tensors", "null_fill"]);
}
