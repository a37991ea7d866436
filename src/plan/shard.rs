//! Which contiguous part of the epoch's row sequence a shard owns.

use crate::options::EqualShards;

/// (start, length) of shard `index` of `count` over `total` rows. With `Pad`,
/// positions past `total` wrap to the start of the sequence.
pub fn shard_range(total: u64, count: u64, index: u64, equal: EqualShards) -> (u64, u64) {
    match equal {
        EqualShards::Off => {
            let (base, extra) = (total / count, total % count);
            (index * base + index.min(extra), base + u64::from(index < extra))
        }
        EqualShards::Drop => {
            let length = total / count;
            (index * length, length)
        }
        EqualShards::Pad => {
            let length = total.div_ceil(count);
            (index * length, length)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_covers_every_row_once() {
        for total in [0u64, 1, 7, 100, 101] {
            for count in 1..6 {
                let mut next = 0;
                for i in 0..count {
                    let (start, len) = shard_range(total, count, i, EqualShards::Off);
                    assert_eq!(start, next);
                    next += len;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn equal_modes_give_equal_lengths() {
        let lens: Vec<u64> = (0..4).map(|i| shard_range(10, 4, i, EqualShards::Drop).1).collect();
        assert_eq!(lens, vec![2, 2, 2, 2]);
        let lens: Vec<u64> = (0..4).map(|i| shard_range(10, 4, i, EqualShards::Pad).1).collect();
        assert_eq!(lens, vec![3, 3, 3, 3]);
    }
}
