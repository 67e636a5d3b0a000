//! Transcribe: tracks of 16 kHz audio and their speech intervals in, timed words and segments
//! out.
//!
//! Takes: each track's samples (a stereo channel, or a mono recording), its speech intervals
//! (from the VAD) and a language. Gives: segments with word timings on the call's own clock,
//! tagged with the track they were heard on. Only speech is transcribed: speech intervals are
//! cut out (with a little padding), packed with short silences between them into windows of at
//! most 29 s (Whisper's input is 30 s), and word times are mapped back to the call
//! ([`pack`]). Whisper never sees long silence, the usual source of its hallucinations.
//!
//! The recogniser sits behind two traits: an [`Asr`] is loaded once per batch and shared by the
//! workers; it starts a [`Transcriber`] per call. [`whisper`] is the one real implementation;
//! tests swap in fakes. Must not: know which speaker a track is.

pub mod pack;
pub mod whisper;

use crate::error::TranscribeError;
use crate::schedule::ThreadBudget;
use crate::timeline::Interval;
use crate::transcript::Word;
use schemars::JsonSchema;
use serde::Serialize;
use std::sync::Arc;

/// A run of words from one track, ended at a sentence end or a silence.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Index of the track the words were spoken on, in the order the tracks were given.
    pub track: usize,
    pub start_s: f64,
    pub end_s: f64,
    pub text: String,
    pub words: Vec<Word>,
}

/// The recognition model a call was transcribed with (`model` in the call JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ModelInfo {
    /// File name of the model, e.g. `ggml-base.bin`.
    pub name: String,
    /// sha256 of the model file.
    pub sha256: String,
}

/// A speech recogniser for one call, one track at a time.
pub trait Transcriber {
    /// The most likely of `candidates` (ISO 639-1 codes) for this track's speech.
    fn detect_language(
        &mut self,
        audio: &[f32],
        speech: &[Interval],
        candidates: &[String],
    ) -> Result<String, TranscribeError>;

    /// The words spoken in each track's `speech`, grouped into segments tagged with their track.
    fn transcribe(
        &mut self,
        tracks: &[&[f32]],
        speech: &[&[Interval]],
        language: &str,
    ) -> Result<Vec<Segment>, TranscribeError>;
}

/// A loaded recogniser shared by a batch's workers.
pub trait Asr: Send + Sync {
    /// What the call JSON records of the model.
    fn model(&self) -> ModelInfo;

    /// A transcriber for one call, dropped with it. `threads` says how many threads each of its
    /// passes may use (idle jobs lend theirs at a batch's tail).
    fn start_call(
        &self,
        threads: Arc<ThreadBudget>,
    ) -> Result<Box<dyn Transcriber + '_>, TranscribeError>;
}
