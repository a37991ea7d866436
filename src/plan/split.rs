//! Splitting a task into smaller ones, so that one huge fragment (a row group
//! of millions of rows) is read in parts and cannot exceed the memory budget
//! on its own. The reader decides how many rows a part may hold (it knows the
//! sizes); which rows each part reads is decided here.

use super::{Piece, Task};
use std::ops::Range;

impl Task {
    /// This task as consecutive tasks of at most `max_rows` rows that read the
    /// same rows in the same order. Only an unshuffled task of one fragment is
    /// split: a shuffled window is permuted as a whole, and a task spanning
    /// several fragments is already a small visit to each.
    pub fn split(self, max_rows: u64) -> Vec<Task> {
        let max_rows = max_rows.max(1);
        if self.order.is_some() || self.pieces.len() != 1 || self.rows() <= max_rows {
            return vec![self];
        }
        let piece = &self.pieces[0];
        let part = |ranges| Task { pieces: vec![Piece { fragment: piece.fragment, ranges }], order: None };
        let mut parts = Vec::new();
        let mut current: Vec<Range<u64>> = Vec::new();
        let mut current_rows = 0;
        for range in &piece.ranges {
            let mut start = range.start;
            while start < range.end {
                let end = range.end.min(start + (max_rows - current_rows));
                current.push(start..end);
                current_rows += end - start;
                start = end;
                if current_rows == max_rows {
                    parts.push(part(std::mem::take(&mut current)));
                    current_rows = 0;
                }
            }
        }
        if !current.is_empty() {
            parts.push(part(current));
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task reading `rows` (start, end) of one fragment.
    fn task(fragment: usize, rows: &[(u64, u64)]) -> Task {
        Task { pieces: vec![Piece { fragment, ranges: rows.iter().map(|&(start, end)| start..end).collect() }], order: None }
    }

    fn rows_read(tasks: &[Task]) -> Vec<(usize, u64)> {
        tasks
            .iter()
            .flat_map(|t| &t.pieces)
            .flat_map(|p| p.ranges.iter().flat_map(move |r| r.clone().map(move |row| (p.fragment, row))))
            .collect()
    }

    #[test]
    fn parts_read_the_same_rows_in_order_and_hold_at_most_max_rows() {
        // Gaps between ranges, as a worker's turns leave them.
        let whole = task(3, &[(0, 10), (20, 25), (30, 47)]);
        for max_rows in [1, 4, 7, 10, 31] {
            let parts = whole.clone().split(max_rows);
            assert_eq!(rows_read(&parts), rows_read(std::slice::from_ref(&whole)), "max_rows {max_rows}");
            assert!(parts.iter().all(|p| p.rows() <= max_rows && p.order.is_none()));
            // Every part but the last is full.
            assert!(parts[..parts.len() - 1].iter().all(|p| p.rows() == max_rows));
            assert_eq!(parts.len() as u64, whole.rows().div_ceil(max_rows));
        }
    }

    #[test]
    fn a_small_task_stays_whole() {
        let whole = task(0, &[(5, 9)]);
        assert_eq!(whole.clone().split(4), vec![whole.clone()]);
        assert_eq!(whole.clone().split(100), vec![whole]);
    }

    #[test]
    fn zero_max_rows_splits_into_single_rows() {
        let parts = task(1, &[(0, 3)]).split(0);
        assert_eq!(parts, vec![task(1, &[(0, 1)]), task(1, &[(1, 2)]), task(1, &[(2, 3)])]);
    }

    #[test]
    fn shuffled_and_multi_fragment_tasks_stay_whole() {
        let shuffled = Task { order: Some(vec![2, 0, 1]), ..task(0, &[(0, 3)]) };
        assert_eq!(shuffled.clone().split(1), vec![shuffled]);
        let pieces = [task(0, &[(0, 5)]), task(1, &[(0, 5)])].into_iter().flat_map(|t| t.pieces).collect();
        let two = Task { pieces, order: None };
        assert_eq!(two.clone().split(2), vec![two]);
    }
}
