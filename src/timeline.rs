//! Timeline: time intervals in seconds on the call's own clock, and the set operations the
//! metrics need (union, overlap, total length, gaps).
//!
//! Takes and gives: sorted, non-overlapping interval lists. Must not: know about speakers.

use schemars::JsonSchema;
use serde::Serialize;

/// A half-open span `[start_s, end_s)` of call time, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
pub struct Interval {
    /// Start, seconds on the call's clock.
    pub start_s: f64,
    /// End, seconds on the call's clock.
    pub end_s: f64,
}

impl Interval {
    pub fn new(start_s: f64, end_s: f64) -> Self {
        Interval { start_s, end_s }
    }

    pub fn len_s(&self) -> f64 {
        (self.end_s - self.start_s).max(0.0)
    }
}

/// Total length of a sorted, non-overlapping list.
pub fn total_s(list: &[Interval]) -> f64 {
    list.iter().map(Interval::len_s).sum()
}

/// Sorts and merges overlapping or touching intervals.
pub fn normalize(mut list: Vec<Interval>) -> Vec<Interval> {
    list.retain(|i| i.end_s > i.start_s);
    list.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    let mut out: Vec<Interval> = Vec::with_capacity(list.len());
    for iv in list {
        match out.last_mut() {
            Some(last) if iv.start_s <= last.end_s => last.end_s = last.end_s.max(iv.end_s),
            _ => out.push(iv),
        }
    }
    out
}

/// Union of two interval lists.
pub fn union(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    normalize(a.iter().chain(b).copied().collect())
}

/// Intersection of two sorted, non-overlapping lists.
pub fn intersection(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let start = a[i].start_s.max(b[j].start_s);
        let end = a[i].end_s.min(b[j].end_s);
        if end > start {
            out.push(Interval::new(start, end));
        }
        if a[i].end_s < b[j].end_s {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The gaps of a sorted, non-overlapping list within `[0, duration_s)`, leading and trailing
/// gaps included.
pub fn gaps(list: &[Interval], duration_s: f64) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut cursor = 0.0;
    for iv in list {
        if iv.start_s > cursor {
            out.push(Interval::new(cursor, iv.start_s));
        }
        cursor = cursor.max(iv.end_s);
    }
    if duration_s > cursor {
        out.push(Interval::new(cursor, duration_s));
    }
    out
}

/// Bridges gaps shorter than `min_gap_s`, then drops intervals shorter than `min_len_s`.
pub fn smooth(list: &[Interval], min_gap_s: f64, min_len_s: f64) -> Vec<Interval> {
    let mut out: Vec<Interval> = Vec::with_capacity(list.len());
    for iv in list {
        match out.last_mut() {
            Some(last) if iv.start_s - last.end_s < min_gap_s => last.end_s = iv.end_s,
            _ => out.push(*iv),
        }
    }
    out.retain(|iv| iv.len_s() >= min_len_s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(a: f64, b: f64) -> Interval {
        Interval::new(a, b)
    }

    #[test]
    fn set_operations() {
        let a = vec![iv(0.0, 2.0), iv(5.0, 7.0)];
        let b = vec![iv(1.0, 3.0), iv(6.5, 9.0)];
        assert_eq!(union(&a, &b), vec![iv(0.0, 3.0), iv(5.0, 9.0)]);
        assert_eq!(intersection(&a, &b), vec![iv(1.0, 2.0), iv(6.5, 7.0)]);
        assert_eq!(gaps(&a, 10.0), vec![iv(2.0, 5.0), iv(7.0, 10.0)]);
        assert_eq!(gaps(&[], 4.0), vec![iv(0.0, 4.0)]);
        assert!((total_s(&a) - 4.0).abs() < 1e-12);
        assert_eq!(
            normalize(vec![iv(3.0, 4.0), iv(0.0, 1.0), iv(0.5, 2.0), iv(5.0, 5.0)]),
            vec![iv(0.0, 2.0), iv(3.0, 4.0)]
        );
    }

    #[test]
    fn smoothing_bridges_short_gaps_and_drops_blips() {
        let list = vec![iv(0.0, 1.0), iv(1.1, 2.0), iv(3.0, 3.05), iv(4.0, 5.0)];
        assert_eq!(smooth(&list, 0.25, 0.1), vec![iv(0.0, 2.0), iv(4.0, 5.0)]);
    }
}
