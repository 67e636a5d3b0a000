//! Errors: one enum per stage, and the per-file error record they all become.
//!
//! Takes: a stage's own failure. Gives: a [`CallError`] with the stage that failed and a message
//! that states the cause, so the per-file boundary can prefix the path once (`path: stage: cause`).
//! Must not: hold the path itself (the pipeline adds it) or panic.

use schemars::JsonSchema;
use serde::Serialize;
use std::fmt;

/// The pipeline stage a failure happened in; written to the JSON as `error.stage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Stage {
    Read,
    Decode,
    Resample,
    Vad,
    Transcribe,
    Metrics,
    Write,
    /// Reading a stored call JSON or transcript (`callgauge score`).
    Parse,
    /// callgauge itself: a panic, or a call that stopped the process in an earlier run.
    Internal,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Stage::Read => "read",
            Stage::Decode => "decode",
            Stage::Resample => "resample",
            Stage::Vad => "vad",
            Stage::Transcribe => "transcribe",
            Stage::Metrics => "metrics",
            Stage::Write => "write",
            Stage::Parse => "parse",
            Stage::Internal => "internal",
        };
        f.write_str(name)
    }
}

/// A failure of one call, attributed to a stage.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{stage}: {cause}")]
pub struct CallError {
    pub stage: Stage,
    pub cause: String,
}

impl CallError {
    pub fn new(stage: Stage, cause: impl fmt::Display) -> Self {
        CallError { stage, cause: cause.to_string() }
    }
}

/// Failures while reading and decoding a recording.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is empty (0 bytes)")]
    Empty,
    #[error("the file is {size_bytes} bytes; the limit is {limit_bytes} bytes (--max-file-mb)")]
    TooLarge { size_bytes: u64, limit_bytes: u64 },
    #[error(
        "unsupported codec {0}: callgauge decodes PCM, A-law, µ-law, IMA ADPCM, MP3, FLAC, Vorbis, Opus and AAC"
    )]
    UnsupportedCodec(String),
    #[error("not a recognised audio container ({0})")]
    UnknownFormat(String),
    #[error("no audio track in the file")]
    NoAudioTrack,
    #[error("the stream does not give its {0}")]
    MissingParameter(&'static str),
    #[error(
        "{0} channels: callgauge takes mono or stereo (agent and customer on separate channels)"
    )]
    Channels(usize),
    #[error("sample rate {0} Hz is outside 8000..=48000 Hz")]
    SampleRate(u32),
    #[error("the recording holds no audio samples")]
    NoSamples,
    #[error("the recording is longer than the limit of {limit_s} s (--max-duration-s)")]
    TooLong { limit_s: f64 },
    #[error("corrupt stream after {frames} frames: {cause}")]
    Corrupt { frames: u64, cause: String },
}

impl From<DecodeError> for CallError {
    fn from(e: DecodeError) -> Self {
        CallError::new(Stage::Decode, e)
    }
}

/// Failures while resampling to 16 kHz.
#[derive(Debug, thiserror::Error)]
#[error("cannot resample {rate_hz} Hz to 16000 Hz: {cause}")]
pub struct ResampleError {
    pub rate_hz: u32,
    pub cause: String,
}

impl From<ResampleError> for CallError {
    fn from(e: ResampleError) -> Self {
        CallError::new(Stage::Resample, e)
    }
}

/// Failures of the speech recogniser.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TranscribeError {
    #[error("whisper failed on speech window {window}: {cause}")]
    Whisper { window: String, cause: String },
    #[error("language detection failed: {0}")]
    Language(String),
}

impl From<TranscribeError> for CallError {
    fn from(e: TranscribeError) -> Self {
        CallError::new(Stage::Transcribe, e)
    }
}

/// Errors that stop the whole batch before any file is processed (exit code 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FatalError {
    #[error(
        "model file {0} not found: build the default model with `./setup.sh` (or `python3 models/provision.py`) in the callgauge checkout, or give any ggml Whisper file with --model <PATH> or CALLGAUGE_MODEL"
    )]
    ModelMissing(String),
    #[error(
        "speaker model {0} not found: mono calls are diarized with it; build it with `./setup.sh` (or `python3 models/provision_speaker.py`) in the callgauge checkout, give it with --speaker-model <PATH>, or analyze mono calls without speakers with --no-diarize"
    )]
    SpeakerModelMissing(String),
    #[error("cannot load the speaker model {path}: {cause}")]
    SpeakerModelLoad { path: String, cause: String },
    #[error("cannot load the Whisper model {path}: {cause}")]
    ModelLoad { path: String, cause: String },
    #[error("no audio files found in the inputs (looked for {0})")]
    NoInputs(String),
    #[error("cannot create the output folder {path}: {cause}")]
    OutDir { path: String, cause: String },
    #[error("invalid option: {0}")]
    Usage(String),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}
