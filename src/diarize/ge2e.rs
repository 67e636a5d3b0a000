//! The GE2E speaker encoder (Resemblyzer's pretrained weights): 1.6 s of 16 kHz audio → a
//! 256-dimensional voice embedding, unit length.
//!
//! The network is a 3-layer LSTM (hidden 256) over 40 mel bands, its last hidden state through a
//! 256 × 256 linear layer and a ReLU. Input features are as Resemblyzer computes them: a power
//! mel spectrogram (not log), 25 ms Hann windows every 10 ms, 40 Slaney mel bands, frames centred
//! with zero padding. The weights file is written by `models/provision_speaker.py`.
//!
//! Takes: mono 16 kHz samples. Gives: embeddings. Must not: know about calls or speakers.

use realfft::{RealFftPlanner, RealToComplex};
use std::path::Path;
use std::sync::Arc;

/// Samples per second the encoder expects.
pub const RATE: usize = 16_000;
/// Mel frames in one embedding window (1.6 s).
pub const FRAMES: usize = 160;
/// Samples in one embedding window.
pub const WINDOW: usize = FRAMES * HOP;
const N_FFT: usize = 400;
const HOP: usize = 160;
const MELS: usize = 40;
const HIDDEN: usize = 256;
const GATES: usize = 4 * HIDDEN;
const LAYERS: usize = 3;
/// Size of the weights file in bytes.
pub const WEIGHTS_BYTES: usize = 4
    * (GATES * MELS
        + GATES * HIDDEN * (LAYERS - 1)
        + GATES * HIDDEN * LAYERS
        + 2 * GATES * LAYERS
        + HIDDEN * HIDDEN
        + HIDDEN);

struct Layer {
    /// `[GATES × input]`, gate order i, f, g, o (PyTorch).
    w_ih: Vec<f32>,
    /// `[GATES × HIDDEN]`.
    w_hh: Vec<f32>,
    /// `b_ih + b_hh`.
    bias: Vec<f32>,
    input: usize,
}

/// The loaded encoder; shared read-only between threads.
pub struct Ge2e {
    layers: Vec<Layer>,
    /// `[HIDDEN × HIDDEN]`.
    linear_w: Vec<f32>,
    linear_b: Vec<f32>,
    mel: Vec<f32>,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
}

/// Why the weights could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error(
        "{path} has {got} bytes, expected {WEIGHTS_BYTES} (run `python3 models/provision_speaker.py`)"
    )]
    Size { path: String, got: usize },
}

impl Ge2e {
    /// Reads the weights file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path)
            .map_err(|source| LoadError::Read { path: shown.clone(), source })?;
        Self::from_bytes(&bytes).ok_or(LoadError::Size { path: shown, got: bytes.len() })
    }

    /// The encoder from the weights file's bytes; `None` when the size is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != WEIGHTS_BYTES {
            return None;
        }
        let mut floats =
            bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let mut take = |n: usize| floats.by_ref().take(n).collect::<Vec<f32>>();
        let mut layers = Vec::with_capacity(LAYERS);
        for l in 0..LAYERS {
            let input = if l == 0 { MELS } else { HIDDEN };
            let w_ih = take(GATES * input);
            let w_hh = take(GATES * HIDDEN);
            let b_ih = take(GATES);
            let b_hh = take(GATES);
            let bias = b_ih.iter().zip(&b_hh).map(|(a, b)| a + b).collect();
            layers.push(Layer { w_ih, w_hh, bias, input });
        }
        let linear_w = take(HIDDEN * HIDDEN);
        let linear_b = take(HIDDEN);
        let window = (0..N_FFT)
            .map(|i| {
                let x = std::f32::consts::PI * i as f32 / N_FFT as f32;
                x.sin().powi(2) // periodic Hann
            })
            .collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT);
        Some(Ge2e { layers, linear_w, linear_b, mel: mel_filters(), window, fft })
    }

    /// Power mel spectrogram of `samples`: `[frames × 40]`, one frame per 10 ms, centred.
    pub fn mel_spectrogram(&self, samples: &[f32]) -> Vec<f32> {
        let frames = 1 + samples.len() / HOP;
        let bins = N_FFT / 2 + 1;
        let mut out = vec![0.0; frames * MELS];
        let mut buf = self.fft.make_input_vec();
        let mut spec = self.fft.make_output_vec();
        let mut power = vec![0.0f32; bins];
        for f in 0..frames {
            let start = (f * HOP) as isize - (N_FFT / 2) as isize;
            for (i, b) in buf.iter_mut().enumerate() {
                let s = start + i as isize;
                let x = if s >= 0 { samples.get(s as usize).copied().unwrap_or(0.0) } else { 0.0 };
                *b = x * self.window[i];
            }
            // Lengths are fixed by the plan, so the transform cannot fail.
            let _ = self.fft.process(&mut buf, &mut spec);
            for (p, c) in power.iter_mut().zip(&spec) {
                *p = c.norm_sqr();
            }
            let row = &mut out[f * MELS..(f + 1) * MELS];
            for (m, v) in row.iter_mut().enumerate() {
                let filt = &self.mel[m * bins..(m + 1) * bins];
                *v = filt.iter().zip(&power).map(|(a, b)| a * b).sum();
            }
        }
        out
    }

    /// Embeddings of windows of exactly [`WINDOW`] samples each, computed as one batch.
    pub fn embed(&self, windows: &[&[f32]]) -> Vec<[f32; HIDDEN]> {
        let batch = windows.len();
        if batch == 0 {
            return Vec::new();
        }
        // x: [batch × FRAMES × input], time-major inside each item.
        let mut x = Vec::with_capacity(batch * FRAMES * MELS);
        for w in windows {
            let mel = self.mel_spectrogram(w);
            x.extend_from_slice(&mel[..FRAMES * MELS]);
        }
        let mut h = vec![0.0f32; batch * HIDDEN];
        for layer in &self.layers {
            let rows = batch * FRAMES;
            // Input projections for every step at once: [rows × GATES].
            let mut xp = vec![0.0f32; rows * GATES];
            for r in 0..rows {
                xp[r * GATES..(r + 1) * GATES].copy_from_slice(&layer.bias);
            }
            sgemm_bt(&x, rows, layer.input, &layer.w_ih, GATES, &mut xp, 1.0);
            let mut out = vec![0.0f32; rows * HIDDEN];
            h.iter_mut().for_each(|v| *v = 0.0);
            let mut c = vec![0.0f32; batch * HIDDEN];
            let mut g = vec![0.0f32; batch * GATES];
            for t in 0..FRAMES {
                for b in 0..batch {
                    let src = &xp[(b * FRAMES + t) * GATES..(b * FRAMES + t + 1) * GATES];
                    g[b * GATES..(b + 1) * GATES].copy_from_slice(src);
                }
                sgemm_bt(&h, batch, HIDDEN, &layer.w_hh, GATES, &mut g, 1.0);
                for b in 0..batch {
                    let gb = &g[b * GATES..(b + 1) * GATES];
                    for j in 0..HIDDEN {
                        let i = sigmoid(gb[j]);
                        let f = sigmoid(gb[HIDDEN + j]);
                        let gg = gb[2 * HIDDEN + j].tanh();
                        let o = sigmoid(gb[3 * HIDDEN + j]);
                        let cj = f * c[b * HIDDEN + j] + i * gg;
                        c[b * HIDDEN + j] = cj;
                        let hj = o * cj.tanh();
                        h[b * HIDDEN + j] = hj;
                        out[(b * FRAMES + t) * HIDDEN + j] = hj;
                    }
                }
            }
            x = out;
        }
        (0..batch)
            .map(|b| {
                let hb = &h[b * HIDDEN..(b + 1) * HIDDEN];
                let mut e = [0.0f32; HIDDEN];
                for (k, v) in e.iter_mut().enumerate() {
                    let w = &self.linear_w[k * HIDDEN..(k + 1) * HIDDEN];
                    let s: f32 =
                        w.iter().zip(hb).map(|(a, b)| a * b).sum::<f32>() + self.linear_b[k];
                    *v = s.max(0.0);
                }
                let norm = e.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-9);
                e.iter_mut().for_each(|v| *v /= norm);
                e
            })
            .collect()
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// `c[m × n] += a[m × k] · bᵀ` where `b` is `[n × k]` row-major.
#[allow(unsafe_code)]
fn sgemm_bt(a: &[f32], m: usize, k: usize, b: &[f32], n: usize, c: &mut [f32], beta: f32) {
    assert!(a.len() >= m * k && b.len() >= n * k && c.len() >= m * n, "sgemm: slice too short");
    // SAFETY: the assert above guarantees the slices hold m·k, n·k and m·n elements, and the
    // strides (row-major a and c, transposed row-major b) address only inside those ranges;
    // `c` is borrowed mutably, so it aliases neither `a` nor `b`.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            b.as_ptr(),
            1,
            k as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// 40 Slaney-scale mel filters over the 201 bins of a 400-point FFT at 16 kHz, area-normalised
/// (librosa's defaults, which Resemblyzer was trained with).
fn mel_filters() -> Vec<f32> {
    fn hz_to_mel(f: f64) -> f64 {
        if f >= 1000.0 {
            15.0 + (f / 1000.0).ln() / (6.4f64.ln() / 27.0)
        } else {
            f / (200.0 / 3.0)
        }
    }
    fn mel_to_hz(m: f64) -> f64 {
        if m >= 15.0 { 1000.0 * ((6.4f64.ln() / 27.0) * (m - 15.0)).exp() } else { m * 200.0 / 3.0 }
    }
    let bins = N_FFT / 2 + 1;
    let nyquist = RATE as f64 / 2.0;
    let top = hz_to_mel(nyquist);
    let points: Vec<f64> =
        (0..MELS + 2).map(|i| mel_to_hz(top * i as f64 / (MELS + 1) as f64)).collect();
    let mut out = vec![0.0f32; MELS * bins];
    for m in 0..MELS {
        let (lo, mid, hi) = (points[m], points[m + 1], points[m + 2]);
        let norm = 2.0 / (hi - lo);
        for k in 0..bins {
            let f = nyquist * k as f64 / (bins - 1) as f64;
            let w = ((f - lo) / (mid - lo)).min((hi - f) / (hi - mid)).max(0.0);
            out[m * bins + k] = (w * norm) as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_filters_cover_the_band_with_unit_area_triangles() {
        let f = mel_filters();
        let bins = N_FFT / 2 + 1;
        for m in 0..MELS {
            let row = &f[m * bins..(m + 1) * bins];
            assert!(row.iter().all(|v| *v >= 0.0));
            assert!(row.iter().any(|v| *v > 0.0), "band {m} is empty");
        }
        // Slaney: the lowest band peaks below 100 Hz, the highest reaches up to ~8 kHz.
        let peak = |m: usize| {
            let row = &f[m * bins..(m + 1) * bins];
            (0..bins).max_by(|a, b| row[*a].total_cmp(&row[*b])).unwrap() as f64 * 40.0
        };
        assert!(peak(0) < 100.0 && peak(MELS - 1) > 6000.0, "{} {}", peak(0), peak(MELS - 1));
    }

    #[test]
    fn a_tone_lands_in_the_band_holding_its_frequency() {
        let bytes = vec![0u8; WEIGHTS_BYTES];
        let enc = Ge2e::from_bytes(&bytes).unwrap();
        let tone: Vec<f32> = (0..RATE)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16e3).sin())
            .collect();
        let mel = enc.mel_spectrogram(&tone);
        assert_eq!(mel.len(), (1 + RATE / HOP) * MELS);
        let row = &mel[50 * MELS..51 * MELS];
        let best = (0..MELS).max_by(|a, b| row[*a].total_cmp(&row[*b])).unwrap();
        // 1 kHz is mel 15, band 15·41/mel(8 kHz) ≈ 14 of 40 (0-based, centre index + 1).
        assert!((12..=15).contains(&best), "band {best}");
    }

    #[test]
    fn wrong_sized_weights_are_refused() {
        assert!(Ge2e::from_bytes(&[0u8; 16]).is_none());
    }

    #[test]
    fn zero_weights_give_unit_or_zero_embeddings_for_each_window() {
        let enc = Ge2e::from_bytes(&vec![0u8; WEIGHTS_BYTES]).unwrap();
        let w = vec![0.1f32; WINDOW];
        let e = enc.embed(&[&w, &w]);
        assert_eq!(e.len(), 2);
        // ReLU of a zero layer is zero: the norm guard keeps it finite.
        assert!(e.iter().flatten().all(|v| v.is_finite()));
    }
}
