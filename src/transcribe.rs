//! Transcribe: one 16 kHz channel and its speech intervals in, timed words and segments out.
//!
//! Takes: a channel's samples, its speech intervals (from the VAD) and a language. Gives:
//! segments with word timings on the call's own clock. Only speech is transcribed: speech
//! intervals are cut out (with a little padding), packed with short silences between them into
//! windows of at most 30 s (Whisper's input), and word times are mapped back to the call.
//! Whisper never sees long silence, the usual source of its hallucinations.
//! Must not: load the model more than once per process (the pipeline shares one [`WhisperModel`]
//! and gives each call a fresh state) or know which speaker a channel is.

use crate::config::{AsrConfig, RETRY_BEAM_SIZE, ThreadBudget};
use crate::error::{FatalError, TranscribeError};
use crate::timeline::{Interval, normalize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use whisper_rs::{
    DtwMode, DtwModelPreset, FullParams, SamplingStrategy, WhisperContext,
    WhisperContextParameters, WhisperState,
};

const RATE: f64 = 16_000.0;
/// Speech is cut this much wider on each side than the VAD says, so word edges survive.
const PAD_S: f64 = 0.15;
/// Silence put between packed pieces so Whisper hears them as separate utterances.
const GAP_S: f64 = 0.4;
/// Longest window handed to Whisper (its input is 30 s; leave room for the padding).
const MAX_WINDOW_S: f64 = 29.0;
/// whisper.cpp skips input shorter than 1 s; windows are padded with silence to this length.
const MIN_WINDOW_S: f64 = 1.2;

/// A recognised word on the call's clock.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub start_s: f64,
    pub end_s: f64,
}

/// A run of words from one speech piece, ended at the piece's end or a sentence end.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Index of the channel the words were spoken on.
    pub channel: usize,
    pub start_s: f64,
    pub end_s: f64,
    pub text: String,
    pub words: Vec<Word>,
}

/// A speech recogniser for one channel at a time.
pub trait Transcriber {
    /// The most likely of `candidates` (ISO 639-1 codes) for this channel's speech.
    fn detect_language(
        &mut self,
        audio: &[f32],
        speech: &[Interval],
        candidates: &[String],
    ) -> Result<String, TranscribeError>;

    /// The words spoken in each channel's `speech`, grouped into segments tagged with their
    /// channel.
    fn transcribe(
        &mut self,
        channels: &[&[f32]],
        speech: &[&[Interval]],
        language: &str,
    ) -> Result<Vec<Segment>, TranscribeError>;
}

/// One piece of speech placed in a window: where it sits in the window and in the call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    pub channel: usize,
    pub window_start_s: f64,
    pub call_start_s: f64,
    pub len_s: f64,
}

/// Up to 30 s of packed speech and the map back to call time.
#[derive(Debug, Clone)]
pub struct Window {
    pub samples: Vec<f32>,
    pub pieces: Vec<Piece>,
}

impl Window {
    /// The piece a window time belongs to and the call time it maps to. A time in the silence
    /// between two pieces belongs to the next piece when it starts a word (`starts`), to the
    /// previous one when it ends a word: Whisper places word edges early or late around silence.
    pub fn to_call_time(&self, t: f64, starts: bool) -> Option<(usize, f64)> {
        let last = self.pieces.len().checked_sub(1)?;
        let idx = self.pieces.iter().position(|p| t < p.window_start_s + p.len_s).unwrap_or(last);
        let piece = &self.pieces[idx];
        let idx = if t < piece.window_start_s && !starts && idx > 0 { idx - 1 } else { idx };
        let piece = &self.pieces[idx];
        let offset = (t - piece.window_start_s).clamp(0.0, piece.len_s);
        Some((idx, piece.call_start_s + offset))
    }
}

/// Cuts each channel's `speech` (padded) out of its audio and packs the pieces of all the given
/// channels, in call order, into windows of at most [`MAX_WINDOW_S`]; each piece remembers its
/// channel. Pieces longer than a window are split.
pub fn pack(channels: &[&[f32]], speech: &[&[Interval]]) -> Vec<Window> {
    let mut cuts: Vec<(usize, Interval)> = Vec::new();
    for (c, (audio, spans)) in channels.iter().zip(speech).enumerate() {
        let dur = audio.len() as f64 / RATE;
        let padded = normalize(
            spans
                .iter()
                .map(|iv| Interval::new((iv.start_s - PAD_S).max(0.0), (iv.end_s + PAD_S).min(dur)))
                .collect(),
        );
        cuts.extend(split_long(&padded, MAX_WINDOW_S).into_iter().map(|iv| (c, iv)));
    }
    cuts.sort_by(|a, b| a.1.start_s.total_cmp(&b.1.start_s).then(a.0.cmp(&b.0)));
    let mut windows = Vec::new();
    let mut current = Window { samples: Vec::new(), pieces: Vec::new() };
    for (c, iv) in cuts {
        let audio = channels[c];
        let used = current.samples.len() as f64 / RATE;
        if !current.pieces.is_empty() && used + GAP_S + iv.len_s() > MAX_WINDOW_S {
            windows.push(finish(std::mem::replace(
                &mut current,
                Window { samples: Vec::new(), pieces: Vec::new() },
            )));
        }
        if !current.pieces.is_empty() {
            current.samples.resize(current.samples.len() + (GAP_S * RATE) as usize, 0.0);
        }
        let (a, b) = ((iv.start_s * RATE) as usize, ((iv.end_s * RATE) as usize).min(audio.len()));
        current.pieces.push(Piece {
            channel: c,
            window_start_s: current.samples.len() as f64 / RATE,
            call_start_s: a as f64 / RATE,
            len_s: (b - a) as f64 / RATE,
        });
        current.samples.extend_from_slice(&audio[a..b]);
    }
    if !current.pieces.is_empty() {
        windows.push(finish(current));
    }
    windows
}

fn finish(mut w: Window) -> Window {
    let min = (MIN_WINDOW_S * RATE) as usize;
    if w.samples.len() < min {
        w.samples.resize(min, 0.0);
    }
    w
}

fn split_long(list: &[Interval], max_s: f64) -> Vec<Interval> {
    let mut out = Vec::with_capacity(list.len());
    for iv in list {
        let mut start = iv.start_s;
        while iv.end_s - start > max_s {
            out.push(Interval::new(start, start + max_s));
            start += max_s;
        }
        out.push(Interval::new(start, iv.end_s));
    }
    out
}

/// Gap between a channel's words beyond which a new segment starts even mid-sentence.
const SEGMENT_GAP_S: f64 = 1.0;

/// Groups timed words (on the call clock, tagged with their channel) into segments:
/// a channel's segment goes on across piece boundaries (the VAD may cut a sentence at a pause,
/// or the other party's backchannel may sit between its pieces) until a sentence ends or the
/// speaker is silent for [`SEGMENT_GAP_S`]. Segments come out sorted by start.
pub fn group_words(words: Vec<(usize, Word)>) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut open: Vec<Option<usize>> = Vec::new();
    for (channel, word) in words {
        if open.len() <= channel {
            open.resize(channel + 1, None);
        }
        let continues = open[channel].map(|i| &segments[i]).is_some_and(|seg| {
            let ended = seg.words.last().is_some_and(|w| w.text.ends_with(['.', '?', '!', '…']));
            !ended && word.start_s - seg.end_s < SEGMENT_GAP_S
        });
        match open[channel] {
            Some(i) if continues => {
                segments[i].end_s = segments[i].end_s.max(word.end_s);
                segments[i].words.push(word);
            }
            _ => {
                open[channel] = Some(segments.len());
                segments.push(Segment {
                    channel,
                    start_s: word.start_s,
                    end_s: word.end_s,
                    text: String::new(),
                    words: vec![word],
                });
            }
        }
    }
    for seg in &mut segments {
        seg.text = seg.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
    }
    segments.sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.channel.cmp(&b.channel)));
    segments
}

/// The Whisper model, loaded once per process and shared by every worker.
pub struct WhisperModel {
    ctx: WhisperContext,
    /// File name of the model, e.g. `ggml-base.bin`.
    pub name: String,
    pub sha256: String,
}

impl WhisperModel {
    pub fn load(path: &Path) -> Result<Self, FatalError> {
        let shown = path.display().to_string();
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
        Ok(WhisperModel { ctx, name, sha256 })
    }

    /// A worker with its own decoding state, taking its threads for each pass from `threads`.
    pub fn worker(
        &self,
        cfg: &AsrConfig,
        threads: Arc<ThreadBudget>,
    ) -> Result<WhisperWorker, TranscribeError> {
        let state = self.ctx.create_state().map_err(|e| TranscribeError::Whisper {
            window: "-".into(),
            cause: format!("cannot create a decoding state: {e}"),
        })?;
        let eot = self.ctx.token_eot();
        Ok(WhisperWorker {
            state,
            eot,
            threads,
            beam_size: cfg.beam_size,
            retry_beam_below: cfg.retry_beam_below,
        })
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

/// sha256 of a file, streamed.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf)? {
            0 => break,
            n => hasher.update(&buf[..n]),
        }
    }
    Ok(format!("{:x}", hasher.finalize()))
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
        channels: &[&[f32]],
        speech: &[&[Interval]],
        language: &str,
    ) -> Result<Vec<Segment>, TranscribeError> {
        // One channel at a time. Packing both channels into shared windows saves an encoder
        // pass, but measured on fixtures/en_pcm16k.wav (1 thread) it took 29.2 s against 24.5 s
        // channel by channel: decoding cost more than the pass saved.
        let mut words = Vec::new();
        for (c, (audio, spans)) in channels.iter().zip(speech).enumerate() {
            for (n, window) in pack(&[audio], &[spans]).into_iter().enumerate() {
                let found = self.window_words(&window, language).map_err(|cause| {
                    let start = window.pieces.first().map_or(0.0, |p| p.call_start_s);
                    TranscribeError::Whisper {
                        window: format!("#{n} of channel {c} (from {start:.1} s)"),
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

    fn word(text: &str, a: f64, b: f64) -> Word {
        Word { text: text.into(), start_s: a, end_s: b }
    }

    #[test]
    fn packing_maps_window_time_back_to_call_time() {
        let audio: Vec<f32> = (0..16_000 * 100).map(|i| i as f32 / 1.6e6).collect();
        let speech =
            vec![Interval::new(10.0, 12.0), Interval::new(50.0, 51.0), Interval::new(90.0, 95.0)];
        let windows = pack(&[&audio], &[&speech]);
        assert_eq!(windows.len(), 1, "{:?}", windows.iter().map(|w| &w.pieces).collect::<Vec<_>>());
        let w = &windows[0];
        assert_eq!(w.pieces.len(), 3);
        // The second piece starts after the first (2.3 s) and one gap.
        let second = w.pieces[1];
        assert!((second.call_start_s - 49.85).abs() < 1e-3, "{second:?}");
        assert!((second.window_start_s - (2.3 + GAP_S)).abs() < 1e-3, "{second:?}");
        let (piece, t) = w.to_call_time(second.window_start_s + 0.5, true).unwrap();
        assert_eq!(piece, 1);
        assert!((t - 50.35).abs() < 1e-3, "{t}");
        // In the gap before the second piece: a word start goes forward, a word end back.
        let gap = second.window_start_s - 0.1;
        assert_eq!(w.to_call_time(gap, true), Some((1, second.call_start_s)));
        let first = w.pieces[0];
        assert_eq!(w.to_call_time(gap, false), Some((0, first.call_start_s + first.len_s)));
        // The samples really are the call's audio at that time.
        let idx = ((second.window_start_s + 0.5) * RATE) as usize;
        assert!((w.samples[idx] - audio[(50.35 * RATE) as usize]).abs() < 1e-3);
    }

    #[test]
    fn long_speech_is_split_into_windows_of_at_most_29_s() {
        let audio = vec![0.0f32; 16_000 * 120];
        let windows = pack(&[&audio], &[&[Interval::new(1.0, 100.0)]]);
        assert!(windows.len() >= 4);
        for w in &windows {
            assert!(w.samples.len() as f64 / RATE <= MAX_WINDOW_S + 1e-6);
        }
        let covered: f64 = windows.iter().flat_map(|w| &w.pieces).map(|p| p.len_s).sum();
        assert!((covered - 99.3).abs() < 0.01, "{covered}");
    }

    #[test]
    fn short_speech_is_padded_to_whispers_minimum() {
        let audio = vec![0.0f32; 16_000 * 5];
        let windows = pack(&[&audio], &[&[Interval::new(1.0, 1.3)]]);
        assert_eq!(windows[0].samples.len(), (MIN_WINDOW_S * RATE) as usize);
        assert!(pack(&[&audio], &[&[]]).is_empty());
    }

    #[test]
    fn both_channels_pack_together_in_call_order() {
        let left = vec![0.25f32; 16_000 * 20];
        let right = vec![-0.5f32; 16_000 * 20];
        let speech_l = [Interval::new(1.0, 3.0), Interval::new(10.0, 12.0)];
        let speech_r = [Interval::new(5.0, 7.0)];
        let windows = pack(&[&left, &right], &[&speech_l, &speech_r]);
        assert_eq!(windows.len(), 1);
        let channels: Vec<usize> = windows[0].pieces.iter().map(|p| p.channel).collect();
        assert_eq!(channels, [0, 1, 0]);
        let p = windows[0].pieces[1];
        let idx = ((p.window_start_s + 1.0) * RATE) as usize;
        assert_eq!(
            windows[0].samples[idx], -0.5,
            "the customer's piece holds the right channel's audio"
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

    #[test]
    fn words_group_by_channel_sentence_and_silence() {
        let words = vec![
            (0, word("Hello,", 1.0, 1.3)),
            (0, word("there.", 1.3, 1.6)),
            (0, word("How", 1.7, 1.8)),
            (1, word("Uh-huh", 1.8, 2.0)),
            // The agent's sentence goes on in the next piece, after the backchannel.
            (0, word("are", 2.3, 2.5)),
            (0, word("you", 2.5, 2.7)),
            (0, word("Fine", 5.0, 5.4)),
        ];
        let segs = group_words(words);
        let texts: Vec<_> = segs.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["Hello, there.", "How are you", "Uh-huh", "Fine"]);
        assert_eq!(segs.iter().map(|s| s.channel).collect::<Vec<_>>(), [0, 0, 1, 0]);
        assert_eq!((segs[1].start_s, segs[1].end_s), (1.7, 2.7));
    }
}
