//! Components: the one place the batch's stages are chosen — which VAD, which recogniser and
//! which diarizer a call runs through.
//!
//! Takes: a [`Config`]. Gives: [`Components`], the parts behind the stage traits. The pipeline
//! only sees the traits, so a test, a benchmark or a new backend swaps a part here (or builds
//! its own `Components`) without touching any other module.

use crate::config::Config;
use crate::diarize::{VoiceDiarizer, ge2e::Ge2e};
use crate::error::FatalError;
use crate::speakers::Diarizer;
use crate::transcribe::Asr;
use crate::transcribe::whisper::WhisperModel;
use crate::vad::{EarshotVad, Vad};
use std::sync::Arc;

/// Makes a fresh instance of a per-call part (VADs and diarizers keep state within a call;
/// one diarizer serves all of a call's windows).
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
    /// callgauge's own stages: earshot's VAD, the Whisper model `cfg.asr` names and, unless
    /// `cfg.speaker_model` is `None`, the GE2E diarizer for mono calls.
    pub fn standard(cfg: &Config) -> Result<Self, FatalError> {
        let diarizer = cfg.speaker_model.as_deref().map(voice_diarizer).transpose()?;
        Ok(Components {
            vad: Box::new(|| Box::new(EarshotVad)),
            asr: Box::new(WhisperModel::load(&cfg.asr)?),
            diarizer,
        })
    }
}

/// The GE2E diarizer over the weights at `path`, loaded once and shared by every call.
fn voice_diarizer(path: &std::path::Path) -> Result<Factory<dyn Diarizer>, FatalError> {
    let shown =
        std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string();
    if !path.is_file() {
        return Err(FatalError::SpeakerModelMissing(shown));
    }
    let load_err = |cause: String| FatalError::SpeakerModelLoad { path: shown.clone(), cause };
    let sha256 = crate::hash::file_sha256(path).map_err(|e| load_err(e.to_string()))?;
    let encoder = Arc::new(Ge2e::load(path).map_err(|e| load_err(e.to_string()))?);
    let name = path.file_name().map_or(shown.clone(), |n| n.to_string_lossy().into_owned());
    Ok(Box::new(move || {
        Box::new(VoiceDiarizer::new(encoder.clone()).with_model(name.clone(), sha256.clone()))
            as Box<dyn Diarizer>
    }))
}
