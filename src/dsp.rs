//! DSP helpers shared by stages that look at signal levels (the VAD's gates, prosody).
//!
//! Takes: frames of 16 kHz samples. Gives: their level. Must not: hold state.

/// RMS level of a frame in dBFS (a full-scale sine is −3 dB); silence is −120 dB.
pub fn rms_db(frame: &[f32]) -> f32 {
    let mean_sq = frame.iter().map(|s| s * s).sum::<f32>() / frame.len().max(1) as f32;
    (10.0 * mean_sq.max(1e-12).log10()).max(-120.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_of_full_scale_sine_is_minus_3_db() {
        let sine: Vec<f32> = (0..2560)
            .map(|i| (i as f32 * std::f32::consts::TAU * 220.0 / 16_000.0).sin())
            .collect();
        let db = rms_db(&sine);
        assert!((db + 3.01).abs() < 0.1, "{db}");
        assert_eq!(rms_db(&[0.0; 256]), -120.0);
        assert_eq!(rms_db(&[]), -120.0);
    }
}
