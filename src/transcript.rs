//! Transcript: who said what and when — the timed utterances that the metrics, the sales script,
//! `callgauge score` and the call JSON share.
//!
//! Takes: nothing; it defines the types. Gives: [`Role`], [`Utterance`] and [`Word`], the same
//! whether the words came from callgauge's recogniser or from another ASR's stored transcript.
//! Must not: compute anything.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Who speaks: `agent`, `customer`, or `unknown` (a mono call whose speakers are not separated).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Agent,
    Customer,
    Unknown,
}

/// A transcribed stretch of one speaker's speech (`segments[]` in the call JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Utterance {
    pub speaker: Role,
    /// When the first word starts, seconds on the call's clock.
    pub start_s: f64,
    /// When the last word ends, seconds on the call's clock.
    pub end_s: f64,
    /// The words as recognised, joined by spaces.
    pub text: String,
    /// Word times from the recogniser's alignment; may be absent from transcripts made
    /// elsewhere.
    #[serde(default)]
    pub words: Vec<Word>,
}

/// A recognised word on the call's clock. Its start comes from whisper.cpp's DTW token
/// alignment (typically within 0.1–0.3 s); it ends where the next word starts, or where its
/// segment ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Word {
    /// The word as recognised, with its punctuation.
    pub text: String,
    /// When the word starts.
    pub start_s: f64,
    /// When the next word starts, or the segment ends.
    pub end_s: f64,
}
