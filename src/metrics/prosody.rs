//! Prosody: a speaker's 16 kHz channel and speech intervals in; pitch (f0) and loudness per
//! frame out, as inputs for tone scales.
//!
//! Pitch is tracked by normalised autocorrelation (Boersma's method: the frame's Hann-windowed
//! autocorrelation divided by the window's own), computed with rustfft, on 40 ms frames every
//! 20 ms inside the speaker's speech. A frame is voiced when its best peak between 60 and
//! 400 Hz reaches 0.5; the lag is refined by parabolic interpolation. Loudness is each speech
//! frame's RMS level in dBFS. Must not: decide what a pitch means.

use crate::timeline::Interval;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

const RATE: f64 = 16_000.0;
const FRAME: usize = 640;
const HOP: usize = 320;
const FFT_LEN: usize = 2048;
const MIN_F0: f64 = 60.0;
const MAX_F0: f64 = 400.0;
const VOICING: f64 = 0.5;

/// Per-frame measurements over a speaker's speech.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prosody {
    /// f0 of each voiced frame, Hz.
    pub f0_hz: Vec<f64>,
    /// RMS level of each speech frame, dBFS.
    pub level_dbfs: Vec<f64>,
}

/// A reusable pitch tracker (FFT plans and the window are made once).
pub struct PitchTracker {
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
    window: Vec<f64>,
    window_acf: Vec<f64>,
    buf: Vec<Complex<f64>>,
}

impl Default for PitchTracker {
    fn default() -> Self {
        let mut planner = FftPlanner::new();
        let window: Vec<f64> = (0..FRAME)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (FRAME - 1) as f64).cos())
            .collect();
        let mut tracker = PitchTracker {
            forward: planner.plan_fft_forward(FFT_LEN),
            inverse: planner.plan_fft_inverse(FFT_LEN),
            window_acf: Vec::new(),
            window: window.clone(),
            buf: vec![Complex::default(); FFT_LEN],
        };
        let acf = tracker.autocorrelation(&window);
        tracker.window_acf = acf.iter().map(|v| v / acf[0]).collect();
        tracker
    }
}

impl PitchTracker {
    /// Autocorrelation r[0..FRAME] of `x` (zero-padded, so not circular).
    fn autocorrelation(&mut self, x: &[f64]) -> Vec<f64> {
        self.buf.iter_mut().for_each(|c| *c = Complex::default());
        for (c, &v) in self.buf.iter_mut().zip(x) {
            c.re = v;
        }
        self.forward.process(&mut self.buf);
        self.buf.iter_mut().for_each(|c| *c = Complex::new(c.norm_sqr(), 0.0));
        self.inverse.process(&mut self.buf);
        self.buf[..FRAME].iter().map(|c| c.re / FFT_LEN as f64).collect()
    }

    /// f0 of one frame of `FRAME` samples, or `None` if it is unvoiced.
    pub fn frame_f0(&mut self, frame: &[f32]) -> Option<f64> {
        let mean = frame.iter().map(|&s| f64::from(s)).sum::<f64>() / frame.len() as f64;
        let windowed: Vec<f64> =
            frame.iter().zip(&self.window).map(|(&s, w)| (f64::from(s) - mean) * w).collect();
        let r = self.autocorrelation(&windowed);
        if r[0] <= 1e-10 {
            return None;
        }
        let norm: Vec<f64> =
            r.iter().zip(&self.window_acf).map(|(a, w)| a / r[0] / w.max(1e-9)).collect();
        let (lo, hi) = ((RATE / MAX_F0) as usize, (RATE / MIN_F0) as usize);
        let peaks: Vec<usize> = (lo.max(1)..hi.min(FRAME / 2))
            .filter(|&l| norm[l] > norm[l - 1] && norm[l] >= norm[l + 1])
            .collect();
        let best = peaks.iter().map(|&l| norm[l]).fold(f64::NEG_INFINITY, f64::max);
        if best < VOICING {
            return None;
        }
        // The shortest lag nearly as strong as the best avoids octave-down errors.
        let lag = *peaks.iter().find(|&&l| norm[l] >= 0.9 * best)?;
        let (a, b, c) = (norm[lag - 1], norm[lag], norm[lag + 1]);
        let shift =
            if (a - 2.0 * b + c).abs() > 1e-12 { 0.5 * (a - c) / (a - 2.0 * b + c) } else { 0.0 };
        Some(RATE / (lag as f64 + shift))
    }

    /// Pitch and loudness of every frame lying inside `speech`.
    pub fn measure(&mut self, audio: &[f32], speech: &[Interval]) -> Prosody {
        let mut out = Prosody::default();
        for iv in speech {
            let (a, b) =
                ((iv.start_s * RATE) as usize, ((iv.end_s * RATE) as usize).min(audio.len()));
            let mut start = a;
            while start + FRAME <= b {
                let frame = &audio[start..start + FRAME];
                out.level_dbfs.push(f64::from(crate::dsp::rms_db(frame)));
                if let Some(f0) = self.frame_f0(frame) {
                    out.f0_hz.push(f0);
                }
                start += HOP;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn harmonic_voice(f0: f64, secs: f64, vibrato: f64) -> Vec<f32> {
        // A glottal-like source: ten harmonics with falling amplitude, slow vibrato.
        let mut phase = 0.0;
        (0..(secs * RATE) as usize)
            .map(|i| {
                let t = i as f64 / RATE;
                let f = f0 * (1.0 + vibrato * (2.0 * std::f64::consts::PI * 5.0 * t).sin());
                phase += 2.0 * std::f64::consts::PI * f / RATE;
                ((1..=10).map(|h| (h as f64 * phase).sin() / h as f64).sum::<f64>() * 0.2) as f32
            })
            .collect()
    }

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    #[test]
    fn pure_tones_are_tracked_within_one_percent() {
        let mut tracker = PitchTracker::default();
        for f0 in [70.0, 100.0, 150.0, 220.0, 330.0] {
            let tone: Vec<f32> = (0..16_000)
                .map(|i| (0.3 * (2.0 * std::f64::consts::PI * f0 * i as f64 / RATE).sin()) as f32)
                .collect();
            let p = tracker.measure(&tone, &[Interval::new(0.0, 1.0)]);
            assert!(p.f0_hz.len() > 40, "{f0} Hz: only {} voiced frames", p.f0_hz.len());
            let got = median(p.f0_hz);
            assert!((got - f0).abs() / f0 < 0.01, "{f0} Hz tone tracked at {got:.2} Hz");
        }
    }

    #[test]
    fn a_harmonic_voice_with_vibrato_is_tracked_within_three_percent() {
        let mut tracker = PitchTracker::default();
        for f0 in [95.0, 125.0, 210.0] {
            let voice = harmonic_voice(f0, 2.0, 0.02);
            let p = tracker.measure(&voice, &[Interval::new(0.0, 2.0)]);
            let got = median(p.f0_hz);
            assert!((got - f0).abs() / f0 < 0.03, "{f0} Hz voice tracked at {got:.2} Hz");
        }
    }

    #[test]
    fn silence_and_noise_are_unvoiced() {
        let mut tracker = PitchTracker::default();
        assert_eq!(tracker.frame_f0(&[0.0; FRAME]), None);
        let mut x = 0x1234_5678_9ABC_DEF0u64;
        let noise: Vec<f32> = (0..FRAME)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x as f32 / u64::MAX as f32) - 0.5
            })
            .collect();
        assert_eq!(tracker.frame_f0(&noise), None);
    }
}
