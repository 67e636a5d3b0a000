//! Schedule: how a batch's calls share the machine's cores.
//!
//! Takes: the number of cores and files and the user's `--jobs` / `--threads`. Gives: the split
//! into parallel calls × whisper threads, the queue order (largest file first) and a
//! [`ThreadBudget`] that lends idle jobs' threads to the calls still running. Must not: run
//! calls or know what a stage does.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Splits `cores` between parallel files and whisper threads so that `jobs × threads ≤ cores`.
///
/// Either value may be fixed by the user; the other is derived. With neither, one thread per
/// job: on the 2-core side-by-side corpus (12 calls) 2 jobs × 1 thread took 85.9 s against
/// 100.7 s for 1 × 2, as whisper.cpp's per-token decoding gains little from a second thread.
/// Jobs left idle at the batch's tail lend their threads (see [`ThreadBudget`]).
pub fn split_cores(
    cores: usize,
    files: usize,
    jobs: Option<usize>,
    threads: Option<usize>,
) -> (usize, usize) {
    let cores = cores.max(1);
    match (jobs, threads) {
        (Some(j), Some(t)) => (j.max(1), t.max(1)),
        (Some(j), None) => (j.max(1), (cores / j.max(1)).max(1)),
        (None, Some(t)) => ((cores / t.max(1)).max(1), t.max(1)),
        (None, None) => {
            let jobs = cores.min(files.max(1));
            (jobs, (cores / jobs).max(1))
        }
    }
}

/// Indices of `files`, largest first (files that cannot be read last, in input order), so a
/// batch does not end with one long call running while the other jobs idle.
pub fn largest_first(files: &[PathBuf]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    // Cached: one stat per file, not one per comparison.
    order.sort_by_cached_key(|&i| {
        std::cmp::Reverse(std::fs::metadata(&files[i]).map_or(0, |m| m.len()))
    });
    order
}

/// The batch's whisper threads (jobs × threads), shared among the calls in flight. While fewer
/// calls than jobs are running (the batch's tail, or fewer files than jobs) each call also gets
/// the idle jobs' threads, from its next whisper pass on: with 2 jobs × 1 thread, the last call
/// of a batch runs on both cores. whisper.cpp's results do not depend on the thread count.
#[derive(Debug)]
pub struct ThreadBudget {
    total: usize,
    busy: AtomicUsize,
}

impl ThreadBudget {
    pub fn new(total: usize) -> Self {
        ThreadBudget { total: total.max(1), busy: AtomicUsize::new(0) }
    }

    /// Counts one more call in flight until the slot is dropped.
    pub fn start_call(&self) -> CallSlot<'_> {
        self.busy.fetch_add(1, Ordering::Relaxed);
        CallSlot(self)
    }

    /// Threads for a call's next whisper pass: an even share of the budget, at least one.
    pub fn per_call(&self) -> usize {
        (self.total / self.busy.load(Ordering::Relaxed).max(1)).max(1)
    }
}

/// One call in flight; see [`ThreadBudget::start_call`].
#[derive(Debug)]
pub struct CallSlot<'a>(&'a ThreadBudget);

impl Drop for CallSlot<'_> {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_jobs_lend_their_threads_to_the_calls_in_flight() {
        let budget = ThreadBudget::new(4);
        assert_eq!(budget.per_call(), 4);
        let a = budget.start_call();
        let b = budget.start_call();
        let c = budget.start_call();
        assert_eq!(budget.per_call(), 1);
        drop(c);
        assert_eq!(budget.per_call(), 2);
        drop(b);
        assert_eq!(budget.per_call(), 4);
        drop(a);
        assert_eq!(ThreadBudget::new(0).per_call(), 1);
    }

    #[test]
    fn split_cores_never_oversubscribes() {
        for cores in 1..=8 {
            for files in 0..=5 {
                let (j, t) = split_cores(cores, files, None, None);
                assert!(j * t <= cores.max(1), "cores {cores} files {files}: {j}x{t}");
                assert!(j >= 1 && t >= 1);
            }
        }
        assert_eq!(split_cores(2, 10, None, None), (2, 1));
        assert_eq!(split_cores(2, 1, None, None), (1, 2));
        assert_eq!(split_cores(2, 10, Some(1), None), (1, 2));
        assert_eq!(split_cores(2, 10, None, Some(2)), (1, 2));
        assert_eq!(split_cores(2, 10, Some(3), Some(3)), (3, 3));
    }

    #[test]
    fn calls_are_queued_largest_file_first() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<PathBuf> = [("a.wav", 10), ("b.wav", 30), ("c.wav", 20)]
            .iter()
            .map(|(name, len)| {
                let path = dir.path().join(name);
                std::fs::write(&path, vec![0u8; *len]).unwrap();
                path
            })
            .chain([dir.path().join("missing.wav")])
            .collect();
        assert_eq!(largest_first(&files), [1, 2, 0, 3]);
    }
}
