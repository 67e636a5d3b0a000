//! Plain typed configuration of a batch run.
//!
//! Takes: values already parsed by the CLI (or built by a test). Gives: one [`Config`] that every
//! stage reads its own part of. Must not: parse flags or touch the file system.

pub use crate::metrics::TurnConfig;
use crate::stages::{Outcome, Script};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which stereo channel carries the agent; the other one carries the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentChannel {
    Left,
    Right,
}

impl AgentChannel {
    /// Index of the agent's channel in a stereo recording.
    pub fn agent_index(self) -> usize {
        match self {
            AgentChannel::Left => 0,
            AgentChannel::Right => 1,
        }
    }
}

/// How the spoken language of a call is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Language {
    /// Always this language (an ISO 639-1 code Whisper knows, e.g. `ru`, `en`).
    Fixed(String),
    /// Whisper's language detector, restricted to these candidates.
    Auto(Vec<String>),
}

/// Voice activity detection settings.
#[derive(Debug, Clone, PartialEq)]
pub struct VadConfig {
    /// Speech probability at or above which a 16 ms frame is speech.
    pub threshold: f32,
    /// On stereo calls, a channel's speech counts only if it is no more than this many dB below
    /// the other channel at the same moment; quieter is echo or crosstalk of the other party.
    pub crosstalk_db: f32,
    /// Silences shorter than this inside one speaker's speech are bridged.
    pub min_gap_s: f64,
    /// Speech runs shorter than this are dropped as clicks and breaths.
    pub min_speech_s: f64,
}

impl Default for VadConfig {
    fn default() -> Self {
        VadConfig { threshold: 0.5, crosstalk_db: 15.0, min_gap_s: 0.25, min_speech_s: 0.12 }
    }
}

/// Whisper decoding settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AsrConfig {
    pub model_path: PathBuf,
    pub language: Language,
    /// Threads for each whisper state (one state per call, one call per job at a time); calls
    /// at a batch's tail get more (see [`ThreadBudget`]).
    pub threads: usize,
    /// Beam width; 1 means greedy decoding (unsure windows may be retried with a beam).
    pub beam_size: usize,
    /// With greedy decoding, a window whose mean token log-probability is below this, or whose
    /// text repeats itself, is decoded again with a beam of [`RETRY_BEAM_SIZE`]: beams are spent
    /// only where greedy was unsure. `None`: never.
    pub retry_beam_below: Option<f32>,
}

/// Beam width of the retry of an unsure greedy window (whisper-cli's default beam).
pub const RETRY_BEAM_SIZE: usize = 5;

/// Refusals checked before heavy work, so no input can take unbounded time or memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub max_duration_s: f64,
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_duration_s: 4.0 * 3600.0, max_file_bytes: 2 << 30 }
    }
}

/// Everything a batch run needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub inputs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub agent_channel: AgentChannel,
    /// Parallel files; each has its own whisper state.
    pub jobs: usize,
    /// The 60/40 rule: the agent's share of speech must not exceed this.
    pub max_agent_share: f64,
    /// Thresholds of the turn-taking metrics.
    pub turns: TurnConfig,
    pub asr: AsrConfig,
    pub vad: VadConfig,
    pub limits: Limits,
    /// The sales script every call is scored against.
    pub script: Arc<Script>,
    /// Sales outcomes by call id (`--outcomes`); empty when none were given.
    pub outcomes: Arc<HashMap<String, Outcome>>,
}

/// File extensions picked up when a folder is given as input.
pub const AUDIO_EXTENSIONS: &[&str] =
    &["wav", "mp3", "flac", "ogg", "oga", "opus", "m4a", "mp4", "aac", "webm", "mka", "caf"];

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
}
