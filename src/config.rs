//! Config: plain typed configuration of a batch run.
//!
//! Takes: values already parsed by the CLI (or built by a test). Gives: one [`Config`] that every
//! stage reads its own part of. Must not: parse flags, touch the file system, or hold runtime
//! state (the thread budget lives in `schedule`).

use crate::stages::{Outcome, Script};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// Thresholds of the turn-taking definitions (see `metrics::turns`).
#[derive(Debug, Clone, PartialEq)]
pub struct TurnConfig {
    pub turn_bridge_s: f64,
    pub backchannel_max_s: f64,
    pub interruption_min_overlap_s: f64,
    pub pause_min_s: f64,
    pub dead_air_min_s: f64,
}

impl Default for TurnConfig {
    fn default() -> Self {
        TurnConfig {
            turn_bridge_s: 1.0,
            backchannel_max_s: 1.0,
            interruption_min_overlap_s: 0.2,
            pause_min_s: 0.3,
            dead_air_min_s: 2.0,
        }
    }
}

/// Whisper decoding settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AsrConfig {
    pub model_path: PathBuf,
    pub language: Language,
    /// Threads for each whisper state (one state per call, one call per job at a time); calls
    /// at a batch's tail get more (see `schedule::ThreadBudget`).
    pub threads: usize,
    /// Beam width; 1 means greedy decoding (unsure windows may be retried with a beam).
    pub beam_size: usize,
    /// With greedy decoding, a window whose mean token log-probability is below this, or whose
    /// text repeats itself, is decoded again with a beam of 5: beams are spent only where
    /// greedy was unsure. `None`: never.
    pub retry_beam_below: Option<f32>,
}

/// Refusals checked before heavy work, so no input can take unbounded time or memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub max_duration_s: f64,
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_duration_s: 24.0 * 3600.0, max_file_bytes: 4 << 30 }
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
    /// The speaker-embedding weights mono calls are diarized with (`--speaker-model`); `None`
    /// (`--no-diarize`): a mono call keeps one `unknown` speaker.
    pub speaker_model: Option<PathBuf>,
    pub limits: Limits,
    /// Recordings are analyzed in windows of about this many seconds (`pipeline::window`).
    pub window_s: f64,
    /// The sales script every call is scored against.
    pub script: Arc<Script>,
    /// Sales outcomes by call id (`--outcomes`); empty when none were given.
    pub outcomes: Arc<HashMap<String, Outcome>>,
    /// Analyze calls again even when the output folder holds their finished result.
    pub force: bool,
    /// Personal data redacted from every text of the call JSON (`--redact`).
    pub redact: crate::redact::Level,
    /// Where the unredacted transcripts go (`--unredacted-dir`); never the output folder.
    pub unredacted_dir: Option<PathBuf>,
    /// How `source.path` is written (`--paths`).
    pub paths: PathStyle,
}

/// How a recording's path is written in its call JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PathStyle {
    /// As the input was given (absolute if it was).
    #[default]
    AsGiven,
    /// Relative to the input folder it was found in (a file given alone: its name), so folder
    /// names above it (a share's layout, a customer's or an agent's name) stay out of the results.
    Relative,
}

impl Config {
    /// `source.path` of the recording at `path` (see [`PathStyle`]).
    pub fn source_path(&self, path: &Path) -> String {
        if self.paths == PathStyle::Relative {
            for input in &self.inputs {
                if input == path {
                    return path
                        .file_name()
                        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
                }
                if let Ok(rel) = path.strip_prefix(input) {
                    return rel.display().to_string();
                }
            }
        }
        path.display().to_string()
    }

    /// A configuration with every default, reading `inputs` and writing to `out_dir`: what the
    /// CLI builds when no option is given (the built-in script, no outcomes, 1 job × 1 thread).
    pub fn new(inputs: Vec<PathBuf>, out_dir: PathBuf, script: Script) -> Self {
        Config {
            inputs,
            out_dir,
            agent_channel: AgentChannel::Left,
            jobs: 1,
            max_agent_share: 0.40,
            turns: TurnConfig::default(),
            asr: AsrConfig {
                model_path: PathBuf::from("models/ggml-base.bin"),
                language: Language::Auto(vec!["ru".into(), "en".into()]),
                threads: 1,
                beam_size: 1,
                retry_beam_below: Some(-0.22),
            },
            vad: VadConfig::default(),
            speaker_model: Some(PathBuf::from("models/ge2e-resemblyzer.f32")),
            limits: Limits::default(),
            window_s: 600.0,
            script: Arc::new(script),
            outcomes: Arc::new(HashMap::new()),
            force: false,
            redact: crate::redact::Level::Pii,
            unredacted_dir: None,
            paths: PathStyle::AsGiven,
        }
    }
}
