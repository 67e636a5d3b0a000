//! Resample: channels at any rate in, [`Audio16k`] out (Whisper's and the VAD's rate).
//!
//! Takes: planar f32 channels and their rate. Gives: the same channels at 16 kHz, with the
//! resampler's delay trimmed so sample `n` of the output is time `n / 16000` of the input.
//! Must not: change the number of channels or their order.

use crate::error::ResampleError;
use rubato::audioadapter_buffers::direct::SequentialSlice;
use rubato::{Fft, FixedSync, Resampler};

/// The rate every later stage works at.
pub const TARGET_RATE_HZ: u32 = 16_000;

/// A recording at [`TARGET_RATE_HZ`]: its channels in their original order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Audio16k {
    channels: Vec<Vec<f32>>,
}

impl Audio16k {
    /// Channels already at 16 kHz.
    pub fn new(channels: Vec<Vec<f32>>) -> Self {
        Audio16k { channels }
    }

    pub fn channels(&self) -> &[Vec<f32>] {
        &self.channels
    }

    /// The samples of channel `index` (empty if there is no such channel).
    pub fn channel(&self, index: usize) -> &[f32] {
        self.channels.get(index).map_or(&[], Vec::as_slice)
    }

    pub fn into_channels(self) -> Vec<Vec<f32>> {
        self.channels
    }

    /// A stereo recording whose channels carry the same signal is a mono recording: keeps the
    /// first channel only.
    pub fn fold_identical_channels(self) -> Self {
        if self.identical_channels() { self.first_channel_only() } else { self }
    }

    /// Whether this is a stereo recording whose two channels carry the same signal.
    pub fn identical_channels(&self) -> bool {
        matches!(self.channels.as_slice(), [a, b]
            if a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4))
    }

    /// The recording with its first channel only.
    pub fn first_channel_only(mut self) -> Self {
        self.channels.truncate(1);
        self
    }
}

/// Resamples each channel to [`TARGET_RATE_HZ`] with rubato's FFT resampler.
pub fn to_16k(channels: Vec<Vec<f32>>, rate_hz: u32) -> Result<Audio16k, ResampleError> {
    if rate_hz == TARGET_RATE_HZ {
        return Ok(Audio16k::new(channels));
    }
    let channels = channels.iter().map(|ch| resample_one(ch, rate_hz)).collect::<Result<_, _>>()?;
    Ok(Audio16k::new(channels))
}

fn resample_one(input: &[f32], rate_hz: u32) -> Result<Vec<f32>, ResampleError> {
    let err = |cause: String| ResampleError { rate_hz, cause };
    if input.is_empty() {
        return Ok(Vec::new());
    }
    let mut resampler =
        Fft::<f32>::new(rate_hz as usize, TARGET_RATE_HZ as usize, 1024, 1, FixedSync::Input)
            .map_err(|e| err(e.to_string()))?;
    let adapter = SequentialSlice::new(input, 1, input.len()).map_err(|e| err(e.to_string()))?;
    let out = resampler.process_all(&adapter, input.len(), None).map_err(|e| err(e.to_string()))?;
    Ok(out.take_data())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::TAU;

    fn sine(freq: f32, rate: u32, secs: f32) -> Vec<f32> {
        let n = (rate as f32 * secs) as usize;
        (0..n).map(|i| 0.5 * (TAU * freq * i as f32 / rate as f32).sin()).collect()
    }

    /// Matrix over rates x lengths: the output length and a tone's phase survive resampling.
    #[test]
    fn sine_survives_every_rate() {
        for rate in [8000, 11025, 22050, 44100, 48000] {
            for secs in [0.05, 1.0, 3.3] {
                let out = to_16k(vec![sine(440.0, rate, secs)], rate).unwrap().into_channels();
                let expected = sine(440.0, TARGET_RATE_HZ, secs);
                let diff = out[0].len().abs_diff(expected.len());
                assert!(
                    diff <= 2,
                    "rate {rate} secs {secs}: len {} vs {}",
                    out[0].len(),
                    expected.len()
                );
                // Compare away from the edges, where the filter rings.
                let n = out[0].len().min(expected.len());
                let edge = (n / 10).max(400);
                for i in edge..n.saturating_sub(edge) {
                    // Within one output sample of the ideal timing (non-integer ratios shift by
                    // a fraction of a sample).
                    let got = out[0][i];
                    let (lo, hi) = (
                        expected[i - 1].min(expected[i + 1]),
                        expected[i - 1].max(expected[i + 1]),
                    );
                    assert!(
                        got > lo - 0.02 && got < hi + 0.02,
                        "rate {rate} secs {secs} frame {i}: {got} vs {}",
                        expected[i]
                    );
                }
            }
        }
    }

    #[test]
    fn stereo_keeps_channel_order_and_16k_is_untouched() {
        let left = sine(300.0, 8000, 0.5);
        let right = vec![0.0; left.len()];
        let out = to_16k(vec![left, right], 8000).unwrap().into_channels();
        assert_eq!(out.len(), 2);
        assert!(out[0].iter().map(|s| s.abs()).fold(0.0, f32::max) > 0.4);
        assert!(out[1].iter().all(|s| s.abs() < 1e-6));
        let same = vec![vec![0.25f32; 100]];
        assert_eq!(to_16k(same.clone(), 16_000).unwrap().into_channels(), same);
    }

    #[test]
    fn identical_channels_fold_to_mono_and_different_ones_stay() {
        let a = sine(300.0, 16_000, 0.2);
        let mono = Audio16k::new(vec![a.clone(), a.clone()]).fold_identical_channels();
        assert_eq!(mono.channels().len(), 1);
        let mut b = a.clone();
        b[100] += 0.01;
        let stereo = Audio16k::new(vec![a, b]).fold_identical_channels();
        assert_eq!(stereo.channels().len(), 2);
        assert!(stereo.channel(5).is_empty());
    }
}
