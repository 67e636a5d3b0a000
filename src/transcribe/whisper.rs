//! Whisper: the recogniser behind [`super::Asr`] — whisper.cpp through whisper-rs, loaded once
//! per process, a fresh decoding state per call.
//!
//! Takes: packed windows of speech. Gives: timed words. Owns every detail of the Whisper
//! bindings: decoding parameters, the beam retry of unsure windows, DTW word timing, language
//! detection and reading the ggml header. Must not: be reached by any other module than
//! `transcribe` (the pipeline sees only the [`super::Asr`] and [`super::Transcriber`] traits).

use super::pack::{MIN_WINDOW_S, RATE, Window, group_words, pack};
use super::{Asr, ModelInfo, Segment, Transcriber};
use crate::config::AsrConfig;
use crate::error::{FatalError, TranscribeError};
use crate::hash::file_sha256;
use crate::schedule::ThreadBudget;
use crate::timeline::Interval;
use crate::transcript::Word;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use whisper_rs::{
    DtwMode, DtwModelPreset, FullParams, SamplingStrategy, WhisperContext,
    WhisperContextParameters, WhisperState,
};

/// Beam width of the retry of an unsure greedy window (whisper-cli's default beam).
pub const RETRY_BEAM_SIZE: usize = 5;

/// The ISO 639-1 code of a language Whisper knows, given by code or by English name
/// (`ru`, `english` → `en`); `None` for one it does not know.
pub fn language_code(name: &str) -> Option<String> {
    let id = whisper_rs::get_lang_id(&name.trim().to_lowercase())?;
    whisper_rs::get_lang_str(id).map(String::from)
}

/// The Whisper model, loaded once per process and shared by every worker, with the decoding
/// settings each call's state uses.
pub struct WhisperModel {
    ctx: WhisperContext,
    info: ModelInfo,
    beam_size: usize,
    retry_beam_below: Option<f32>,
}

impl WhisperModel {
    /// Loads the ggml model `cfg.model_path` names.
    pub fn load(cfg: &AsrConfig) -> Result<Self, FatalError> {
        let path = cfg.model_path.as_path();
        let shown =
            std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string();
        if !path.is_file() {
            return Err(FatalError::ModelMissing(shown));
        }
        let load_err = |cause: String| FatalError::ModelLoad { path: shown.clone(), cause };
        let sha256 = file_sha256(path).map_err(|e| load_err(e.to_string()))?;
        whisper_rs::install_logging_hooks();
        let mut params = WhisperContextParameters::default();
        params.dtw_parameters.mode = dtw_mode(path).map_err(|e| load_err(e.to_string()))?;
        let ctx = WhisperContext::new_with_params(path, params)
            .map_err(|e| load_err(format!("{e} (is it a ggml Whisper file?)")))?;
        let name = path.file_name().map_or(shown.clone(), |n| n.to_string_lossy().into_owned());
        Ok(WhisperModel {
            ctx,
            info: ModelInfo { name, sha256 },
            beam_size: cfg.beam_size,
            retry_beam_below: cfg.retry_beam_below,
        })
    }
}

impl Asr for WhisperModel {
    fn model(&self) -> ModelInfo {
        self.info.clone()
    }

    /// A worker with its own decoding state, taking its threads for each pass from `threads`.
    /// A fresh state per call, not one kept warm per worker: whisper.cpp's beam search draws its
    /// candidates from a random generator that lives in the state, so a reused state made a
    /// call's words depend on the calls before it. Creating one takes about 30 ms.
    fn start_call(
        &self,
        threads: Arc<ThreadBudget>,
    ) -> Result<Box<dyn Transcriber + '_>, TranscribeError> {
        let state = self.ctx.create_state().map_err(|e| TranscribeError::Whisper {
            window: "-".into(),
            cause: format!("cannot create a decoding state: {e}"),
        })?;
        Ok(Box::new(WhisperWorker {
            state,
            eot: self.ctx.token_eot(),
            threads,
            beam_size: self.beam_size,
            retry_beam_below: self.retry_beam_below,
        }))
    }
}

/// Word times come from whisper.cpp's DTW alignment, which needs the model's alignment heads:
/// the preset for the model's size, read from the ggml header; the top layers otherwise.
fn dtw_mode(path: &Path) -> std::io::Result<DtwMode<'static>> {
    let mut header = [0u8; 44];
    std::fs::File::open(path)?.read_exact(&mut header)?;
    let field = |i: usize| {
        i32::from_le_bytes([header[4 * i], header[4 * i + 1], header[4 * i + 2], header[4 * i + 3]])
    };
    let (n_vocab, n_text_layer, n_text_state) = (field(1), field(9), field(7));
    let multilingual = n_vocab >= 51865;
    let preset = match (n_text_layer, n_text_state, multilingual) {
        (4, 384, true) => DtwModelPreset::Tiny,
        (4, 384, false) => DtwModelPreset::TinyEn,
        (6, 512, true) => DtwModelPreset::Base,
        (6, 512, false) => DtwModelPreset::BaseEn,
        (12, 768, true) => DtwModelPreset::Small,
        (12, 768, false) => DtwModelPreset::SmallEn,
        (24, 1024, true) => DtwModelPreset::Medium,
        (24, 1024, false) => DtwModelPreset::MediumEn,
        _ => return Ok(DtwMode::TopMost { n_top: 2 }),
    };
    Ok(DtwMode::ModelPreset { model_preset: preset })
}

/// One whisper decoding state and its settings, made for one call and dropped with it.
pub struct WhisperWorker {
    state: WhisperState,
    /// Token ids at or above this are special (timestamps, language, end of text).
    eot: i32,
    threads: Arc<ThreadBudget>,
    beam_size: usize,
    retry_beam_below: Option<f32>,
}

impl WhisperWorker {
    /// The text tokens the last decoding produced: (id, log-probability).
    fn text_tokens(&self) -> Vec<(i32, f32)> {
        let mut out = Vec::new();
        for i in 0..self.state.full_n_segments() {
            let Some(seg) = self.state.get_segment(i) else { continue };
            out.extend(
                (0..seg.n_tokens())
                    .filter_map(|j| seg.get_token(j))
                    .filter(|t| t.token_id() < self.eot)
                    .map(|t| (t.token_id(), t.token_data().plog)),
            );
        }
        out
    }

    fn params<'a>(&self, language: &'a str, beam_size: usize) -> FullParams<'a, 'a> {
        let strategy = if beam_size > 1 {
            SamplingStrategy::BeamSearch { beam_size: beam_size as i32, patience: -1.0 }
        } else {
            SamplingStrategy::Greedy { best_of: 1 }
        };
        let mut p = FullParams::new(strategy);
        p.set_n_threads(self.threads.per_call() as i32);
        p.set_language(Some(language));
        p.set_no_context(true);
        p.set_suppress_blank(true);
        p.set_suppress_nst(true);
        p.set_print_special(false);
        p.set_print_progress(false);
        p.set_print_realtime(false);
        p.set_print_timestamps(false);
        // No sampling at raised temperatures when a decoding fails whisper.cpp's checks: unsure
        // windows get a beam instead (see `is_unsure`). On the side-by-side corpus (retry below
        // −0.28) both gave the same WER, EN 9.3 % and RU 21.4 %; a beam never answers at random.
        p.set_temperature_inc(0.0);
        // Word times come from DTW, so Whisper need not predict timestamp tokens. Without them
        // whisper.cpp decodes each window in one pass: with them, a decoding that ends on an
        // early timestamp makes it encode the rest of the window again, and if that rest is
        // 100–140 ms long its DTW median filter aborts the process (seen with 15 s windows).
        // On the side-by-side corpus: WER EN 9.6 → 9.3 %, RU 21.4 → 21.3 %, no slower.
        p.set_no_timestamps(true);
        p
    }

    fn window_words(&mut self, w: &Window, language: &str) -> Result<Vec<Word>, String> {
        let decode = |worker: &mut Self, beam_size: usize| {
            let mut params = worker.params(language, beam_size);
            params.set_audio_ctx(audio_ctx(w.samples.len()));
            worker.state.full(params, &w.samples).map_err(|e| e.to_string())
        };
        decode(self, self.beam_size)?;
        if self.beam_size == 1
            && self.retry_beam_below.is_some_and(|t| is_unsure(&self.text_tokens(), t))
        {
            decode(self, RETRY_BEAM_SIZE)?;
        }
        let mut timed = Vec::new();
        for i in 0..self.state.full_n_segments() {
            let Some(seg) = self.state.get_segment(i) else {
                continue;
            };
            let seg_end = seg.end_timestamp() as f64 / 100.0;
            let tokens: Vec<TimedToken> = (0..seg.n_tokens())
                .filter_map(|j| seg.get_token(j))
                .filter(|t| t.token_id() < self.eot)
                .map(|t| TimedToken {
                    text: t.to_str_lossy().map(|s| s.into_owned()).unwrap_or_default(),
                    t_s: t.token_data().t_dtw as f64 / 100.0,
                })
                .collect();
            timed.extend(tokens_to_words(&tokens, seg_end));
        }
        Ok(timed
            .into_iter()
            .filter_map(|(text, t0, t1)| {
                let (piece, start_s) = w.to_call_time(t0.max(0.0), true)?;
                let end_s = w.to_call_time(t1, false).filter(|(p, _)| *p == piece).map_or_else(
                    || w.pieces[piece].call_start_s + w.pieces[piece].len_s,
                    |(_, t)| t,
                );
                Some(Word { text, start_s, end_s: end_s.max(start_s) })
            })
            .collect())
    }
}

/// Whether a greedy decoding is worth a second try with a beam: its text tokens' mean
/// log-probability is below `threshold`, or it is stuck repeating itself (whisper.cpp's test: the
/// entropy of the last 32 token ids below 2.4 nats, once there are more than 32).
fn is_unsure(tokens: &[(i32, f32)], threshold: f32) -> bool {
    if tokens.is_empty() {
        return false;
    }
    let mean = tokens.iter().map(|t| t.1).sum::<f32>() / tokens.len() as f32;
    mean < threshold || (tokens.len() > REPEAT_WINDOW && token_entropy(tokens) < REPEAT_ENTROPY)
}

/// Tokens whose variety [`is_unsure`] checks, and the entropy below which they repeat.
const REPEAT_WINDOW: usize = 32;
const REPEAT_ENTROPY: f64 = 2.4;

/// Entropy (nats) of the ids of the last [`REPEAT_WINDOW`] tokens.
fn token_entropy(tokens: &[(i32, f32)]) -> f64 {
    let last = &tokens[tokens.len().saturating_sub(REPEAT_WINDOW)..];
    let mut counts = std::collections::HashMap::new();
    for t in last {
        *counts.entry(t.0).or_insert(0usize) += 1;
    }
    let n = last.len() as f64;
    counts.values().map(|&c| c as f64 / n).map(|p| -p * p.ln()).sum()
}

/// The encoder context (in 20 ms frames) for `samples` of audio: Whisper's encoder costs in
/// proportion to it, and at its full 1500 (30 s) most of a short window is padding. The window
/// plus [`CTX_MARGIN_S`], rounded up to a multiple of 64 frames.
fn audio_ctx(samples: usize) -> i32 {
    let frames = (samples as f64 / RATE + CTX_MARGIN_S) * 50.0;
    ((frames / 64.0).ceil() * 64.0).min(1500.0) as i32
}

/// Silence the encoder sees after a window's audio; measured on the fixtures, 1 s keeps the
/// WER of a full context (EN 8.9 % vs 10.1 %, RU 12.5 % vs 12.2 %) at 1.4–1.7× the speed.
const CTX_MARGIN_S: f64 = 1.0;

/// Speech used for language detection: enough for Whisper to tell RU from EN on every fixture.
/// Its context is 512 frames, so detection costs one encode of about a third of a full window.
const DETECT_S: f64 = 8.0;

/// An encoder-begin callback that stops `full()` before it encodes anything (whisper.cpp has
/// already taken the call's `audio_ctx` by then).
#[allow(unsafe_code)]
unsafe extern "C" fn skip_encoder(
    _ctx: *mut whisper_rs::WhisperSysContext,
    _state: *mut whisper_rs::WhisperSysState,
    _user_data: *mut std::ffi::c_void,
) -> bool {
    false
}

/// A decoded text token and its DTW-aligned time in the window.
struct TimedToken {
    text: String,
    t_s: f64,
}

/// Joins tokens into words (a token starting with a space starts a word); a word lasts until
/// the next word starts, the last one until the segment ends. Gives (text, start, end).
fn tokens_to_words(tokens: &[TimedToken], seg_end_s: f64) -> Vec<(String, f64, f64)> {
    let mut words: Vec<(String, f64, f64)> = Vec::new();
    for tok in tokens {
        match words.last_mut() {
            Some(word) if !tok.text.starts_with(' ') => word.0.push_str(&tok.text),
            _ => words.push((tok.text.clone(), tok.t_s, tok.t_s)),
        }
    }
    let starts: Vec<f64> =
        words.iter().skip(1).map(|w| w.1).chain(std::iter::once(seg_end_s)).collect();
    for (word, next) in words.iter_mut().zip(starts) {
        word.0 = word.0.trim().to_string();
        word.2 = next.max(word.1);
    }
    words.retain(|w| !w.0.is_empty());
    words
}

impl Transcriber for WhisperWorker {
    fn detect_language(
        &mut self,
        audio: &[f32],
        speech: &[Interval],
        candidates: &[String],
    ) -> Result<String, TranscribeError> {
        let err = |e: String| TranscribeError::Language(e);
        let Some(first) = candidates.first() else {
            return Err(err("no candidate languages".into()));
        };
        let Some(window) = pack(&[audio], &[speech]).into_iter().next() else {
            return Ok(first.clone());
        };
        let samples = &window.samples[..window.samples.len().min((DETECT_S * RATE) as usize)];
        // whisper.cpp's language detection encodes with the context of the state's last full()
        // call (full() sets it after detecting). A full() on silence that stops before its
        // encoder runs sets the context to this sample's size and costs only a tiny spectrogram,
        // so detection neither depends on the previous call nor pays for 30 s.
        let mut p = self.params(first, 1);
        p.set_audio_ctx(audio_ctx(samples.len()));
        // SAFETY: the callback touches neither of its pointers; it only answers "do not encode".
        #[allow(unsafe_code)]
        unsafe {
            p.set_start_encoder_callback(Some(skip_encoder))
        };
        let silence = vec![0.0; (MIN_WINDOW_S * RATE) as usize];
        self.state.full(p, &silence).map_err(|e| err(e.to_string()))?;
        let threads = self.threads.per_call();
        self.state.pcm_to_mel(samples, threads).map_err(|e| err(e.to_string()))?;
        let (_, probs) = self.state.lang_detect(0, threads).map_err(|e| err(e.to_string()))?;
        let prob = |code: &String| {
            whisper_rs::get_lang_id(code)
                .and_then(|id| probs.get(id as usize))
                .copied()
                .unwrap_or(-1.0)
        };
        Ok(candidates.iter().max_by(|a, b| prob(a).total_cmp(&prob(b))).unwrap_or(first).clone())
    }

    fn transcribe(
        &mut self,
        tracks: &[&[f32]],
        speech: &[&[Interval]],
        language: &str,
    ) -> Result<Vec<Segment>, TranscribeError> {
        // One track at a time. Packing both channels of a stereo call into shared windows saves
        // an encoder pass, but measured on fixtures/en_pcm16k.wav (1 thread) it took 29.2 s
        // against 24.5 s channel by channel: decoding cost more than the pass saved.
        let mut words = Vec::new();
        for (c, (audio, spans)) in tracks.iter().zip(speech).enumerate() {
            for (n, window) in pack(&[audio], &[spans]).into_iter().enumerate() {
                let found = self.window_words(&window, language).map_err(|cause| {
                    let start = window.pieces.first().map_or(0.0, |p| p.call_start_s);
                    TranscribeError::Whisper {
                        window: format!("#{n} of track {c} (from {start:.1} s)"),
                        cause,
                    }
                })?;
                words.extend(found.into_iter().map(|w| (c, w)));
            }
        }
        Ok(group_words(words))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn language_names_become_iso_639_1_codes() {
        assert_eq!(language_code("ru").as_deref(), Some("ru"));
        assert_eq!(language_code("English").as_deref(), Some("en"));
        assert_eq!(language_code("russian").as_deref(), Some("ru"));
        assert_eq!(language_code("klingon"), None);
        assert_eq!(language_code(""), None);
    }

    #[test]
    fn whisper_cpp_is_built_with_llamafile_kernels() {
        // .cargo/config.toml sets GGML_LLAMAFILE; whisper-rs-sys does not rebuild when it changes.
        let info = whisper_rs::print_system_info();
        assert!(
            info.contains("LLAMAFILE = 1"),
            "whisper.cpp was built without GGML_LLAMAFILE (transcribes 1.4-1.5x slower); the \
             build predates .cargo/config.toml setting it. Run `cargo clean --release -p \
             whisper-rs-sys` (or ./setup.sh) and build again. whisper.cpp says: {info}"
        );
    }

    #[test]
    fn unsure_windows_are_low_in_probability_or_repeating() {
        let sure: Vec<(i32, f32)> = (0..40).map(|i| (i, -0.1)).collect();
        assert!(!is_unsure(&sure, -0.28));
        assert!(!is_unsure(&[], -0.28));
        let doubtful: Vec<(i32, f32)> = (0..10).map(|i| (i, -0.5)).collect();
        assert!(is_unsure(&doubtful, -0.28));
        // "thank you thank you …": confident, but the same two tokens over and over.
        let looping: Vec<(i32, f32)> = (0..40).map(|i| (i % 2, -0.05)).collect();
        assert!(is_unsure(&looping, -0.28));
        // Short answers repeat by nature ("no, no, no"): not judged below 33 tokens.
        assert!(!is_unsure(&looping[..REPEAT_WINDOW], -0.28));
        assert!((token_entropy(&sure) - (32f64).ln()).abs() < 1e-9);
    }

    #[test]
    fn tokens_join_into_words_that_last_until_the_next() {
        let tok = |text: &str, t_s: f64| TimedToken { text: text.into(), t_s };
        let words = tokens_to_words(
            &[tok(" Hel", 1.0), tok("lo,", 1.2), tok(" world", 1.5), tok(".", 1.9)],
            2.5,
        );
        assert_eq!(words, [("Hello,".to_string(), 1.0, 1.5), ("world.".to_string(), 1.5, 2.5)]);
        assert!(tokens_to_words(&[], 1.0).is_empty());
    }
}
