//! Components: the one place the batch's stages are chosen — which VAD, which recogniser and
//! which diarizer a call runs through.
//!
//! Takes: a [`Config`]. Gives: [`Components`], the parts behind the stage traits. The pipeline
//! only sees the traits, so a test, a benchmark or a new backend swaps a part here (or builds
//! its own `Components`) without touching any other module.

use crate::config::Config;
use crate::error::FatalError;
use crate::speakers::Diarizer;
use crate::transcribe::Asr;
use crate::transcribe::whisper::WhisperModel;
use crate::vad::{EarshotVad, Vad};

/// Makes a fresh instance of a per-call part (VADs and diarizers keep state within a call).
pub type Factory<T> = Box<dyn Fn() -> Box<T> + Send + Sync>;

/// The parts a batch runs every call through.
pub struct Components {
    /// Voice activity detection, one detector per call.
    pub vad: Factory<dyn Vad>,
    /// The recogniser, loaded once and shared by every job.
    pub asr: Box<dyn Asr>,
    /// Speaker separation for mono calls; `None`: mono calls keep one `unknown` speaker.
    pub diarizer: Option<Factory<dyn Diarizer>>,
}

impl Components {
    /// callgauge's own stages: earshot's VAD and the Whisper model `cfg.asr` names; no
    /// diarization yet.
    pub fn standard(cfg: &Config) -> Result<Self, FatalError> {
        Ok(Components {
            vad: Box::new(|| Box::new(EarshotVad)),
            asr: Box::new(WhisperModel::load(&cfg.asr)?),
            diarizer: None,
        })
    }
}
