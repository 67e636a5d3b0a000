//! The pitch tracker on real voices against an exact oracle: the same recording played faster.
//! Reading 16 kHz audio as if it were at 16 kHz × k and resampling it back to 16 kHz multiplies
//! every frequency, the voice's f0 included, by exactly k.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use callgauge::config::Limits;
use callgauge::decode::decode_file;
use callgauge::metrics::prosody::PitchTracker;
use callgauge::resample::to_16k;
use callgauge::timeline::Interval;

fn median_f0(audio: &[f32]) -> f64 {
    let whole = [Interval::new(0.0, audio.len() as f64 / 16_000.0)];
    let mut f0 = PitchTracker::default().measure(audio, &whole).f0_hz;
    assert!(f0.len() > 100, "too few voiced frames: {}", f0.len());
    f0.sort_by(f64::total_cmp);
    f0[f0.len() / 2]
}

#[test]
fn pitch_follows_a_known_shift_of_real_voices_within_3_percent() {
    for (file, channel) in [("en_pcm16k.wav", 0), ("en_pcm16k.wav", 1), ("ru_pcm16k.wav", 0)] {
        let audio =
            decode_file(&common::root().join("fixtures").join(file), &Limits::default()).unwrap();
        assert_eq!(audio.sample_rate_hz, 16_000, "test file is broken: {file}");
        let voice = audio.channels[channel].clone();
        let base = median_f0(&voice);
        assert!((70.0..300.0).contains(&base), "{file}: implausible voice f0 {base}");
        for k in [0.8, 1.25] {
            let shifted = to_16k(vec![voice.clone()], (16_000.0 * k) as u32)
                .unwrap()
                .into_channels()
                .remove(0);
            let got = median_f0(&shifted) / base;
            assert!((got - k).abs() / k < 0.03, "{file} ch{channel}: f0 ratio {got:.3}, shift {k}");
        }
    }
}
