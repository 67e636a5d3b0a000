//! VAD: 16 kHz channels in, each channel's own speech intervals out.
//!
//! Takes: [`Audio16k`] (one or two channels), a [`Vad`] and a [`VadConfig`]. Gives:
//! [`ChannelSpeech`], per channel the sorted intervals where that channel's speaker talks. On stereo calls the other party leaks into each
//! channel (echo, crosstalk, typically 20–30 dB down); a frame whose level is more than
//! `crosstalk_db` below the other channel's is that leak, not this speaker, and is not speech.
//! Genuine overlap — both talking at normal level — stays speech on both channels.
//! Must not: transcribe or know which channel is the agent.

use crate::config::VadConfig;
use crate::dsp::rms_db;
use crate::resample::Audio16k;
use crate::timeline::{Interval, smooth};

/// Frames either side over which a channel's level is taken (its envelope); ±48 ms at 16 ms.
const ENVELOPE_FRAMES: usize = 3;

/// A voice activity detector: a speech probability per frame of 16 kHz audio.
pub trait Vad {
    /// Samples per frame at 16 kHz.
    fn frame_len(&self) -> usize;

    /// One score in [0, 1] per whole frame of `samples`; the detector starts fresh each call.
    fn frame_scores(&mut self, samples: &[f32]) -> Vec<f32>;
}

/// Earshot's neural detector (pure Rust, weights built in), 16 ms frames.
#[derive(Default)]
pub struct EarshotVad;

impl Vad for EarshotVad {
    fn frame_len(&self) -> usize {
        256
    }

    fn frame_scores(&mut self, samples: &[f32]) -> Vec<f32> {
        let mut detector = earshot::Detector::default_boxed();
        let frame = self.frame_len();
        samples.chunks_exact(frame).map(|f| detector.predict_f32(f).max(0.0)).collect()
    }
}

/// Where each channel's own speaker talks, indexed like the recording's channels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChannelSpeech {
    per_channel: Vec<Vec<Interval>>,
}

impl ChannelSpeech {
    pub fn new(per_channel: Vec<Vec<Interval>>) -> Self {
        ChannelSpeech { per_channel }
    }

    /// Speech of channel `index` (none if there is no such channel).
    pub fn channel(&self, index: usize) -> &[Interval] {
        self.per_channel.get(index).map_or(&[], Vec::as_slice)
    }

    pub fn into_channels(self) -> Vec<Vec<Interval>> {
        self.per_channel
    }
}

/// Speech intervals of each channel, with crosstalk removed on stereo input.
pub fn speech_by_channel(audio: &Audio16k, vad: &mut dyn Vad, cfg: &VadConfig) -> ChannelSpeech {
    let channels = audio.channels();
    let frame = vad.frame_len().max(1);
    let voiced: Vec<Vec<bool>> = channels
        .iter()
        .map(|ch| vad.frame_scores(ch).into_iter().map(|s| s >= cfg.threshold).collect())
        .collect();
    let voiced = match channels {
        [a, b] => {
            let levels = [envelope_db(a, frame), envelope_db(b, frame)];
            remove_crosstalk(&voiced, &levels, cfg.crosstalk_db)
        }
        _ => voiced,
    };
    let frame_s = frame as f64 / 16_000.0;
    let per_channel = voiced
        .iter()
        .zip(channels)
        .map(|(v, ch)| {
            let gated = gate_by_level(v, ch, frame);
            smooth(&frames_to_intervals(&gated, frame_s), cfg.min_gap_s, cfg.min_speech_s)
        })
        .collect();
    ChannelSpeech::new(per_channel)
}

/// How far above the channel's noise floor a frame must be to count as speech, dB.
const GATE_ABOVE_FLOOR_DB: f32 = 6.0;

/// Drops voiced frames that are hardly above the channel's noise floor (the 10th percentile of
/// its frame levels, never below −70 dBFS). The neural detector keeps a word's tail and the
/// short pauses between words voiced; the level gate gives speech its real edges, so pauses
/// and speech time are measured, not smeared.
fn gate_by_level(voiced: &[bool], samples: &[f32], frame: usize) -> Vec<bool> {
    let levels: Vec<f32> = samples.chunks_exact(frame).map(rms_db).collect();
    let mut sorted = levels.clone();
    sorted.sort_by(f32::total_cmp);
    let floor = sorted.get(sorted.len() / 10).copied().unwrap_or(-120.0).max(-70.0);
    let gate = floor + GATE_ABOVE_FLOOR_DB;
    voiced.iter().zip(levels).map(|(&v, level)| v && level >= gate).collect()
}

/// Per frame, the loudest frame level (dBFS) within ±[`ENVELOPE_FRAMES`].
fn envelope_db(samples: &[f32], frame: usize) -> Vec<f32> {
    let levels: Vec<f32> = samples.chunks_exact(frame).map(rms_db).collect();
    (0..levels.len())
        .map(|i| {
            let lo = i.saturating_sub(ENVELOPE_FRAMES);
            let hi = (i + ENVELOPE_FRAMES + 1).min(levels.len());
            levels[lo..hi].iter().copied().fold(f32::NEG_INFINITY, f32::max)
        })
        .collect()
}

fn remove_crosstalk(voiced: &[Vec<bool>], level: &[Vec<f32>; 2], margin_db: f32) -> Vec<Vec<bool>> {
    (0..2)
        .map(|c| {
            let other = 1 - c;
            voiced[c]
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let own = level[c].get(i).copied().unwrap_or(-120.0);
                    let theirs = level[other].get(i).copied().unwrap_or(-120.0);
                    v && own >= theirs - margin_db
                })
                .collect()
        })
        .collect()
}

fn frames_to_intervals(voiced: &[bool], frame_s: f64) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &v) in voiced.iter().chain(std::iter::once(&false)).enumerate() {
        match (v, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Interval::new(s as f64 * frame_s, i as f64 * frame_s));
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A detector that calls every frame above −40 dBFS speech: lets the crosstalk logic be
    /// tested on synthetic signals without a neural net.
    pub(crate) struct LevelVad(pub usize);

    impl Vad for LevelVad {
        fn frame_len(&self) -> usize {
            self.0
        }

        fn frame_scores(&mut self, samples: &[f32]) -> Vec<f32> {
            samples
                .chunks_exact(self.0)
                .map(|f| if rms_db(f) > -40.0 { 1.0 } else { 0.0 })
                .collect()
        }
    }

    fn stereo(left: Vec<f32>, right: Vec<f32>) -> Audio16k {
        Audio16k::new(vec![left, right])
    }

    fn tone(amp: f32, from_s: f64, to_s: f64, total_s: f64) -> Vec<f32> {
        let n = (total_s * 16_000.0) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / 16_000.0;
                if t >= from_s && t < to_s {
                    amp * (t * 2.0 * std::f64::consts::PI * 220.0).sin() as f32
                } else {
                    0.0
                }
            })
            .collect()
    }

    fn add(a: &[f32], b: &[f32], gain: f32) -> Vec<f32> {
        a.iter().zip(b).map(|(x, y)| x + gain * y).collect()
    }

    #[test]
    fn leak_at_minus_26_db_is_not_speech_but_overlap_is() {
        // Agent talks 0–2 s; customer 3–5 s and, overlapping at normal level, 1.5–2 s.
        let agent = tone(0.3, 0.0, 2.0, 6.0);
        let customer = add(&tone(0.3, 3.0, 5.0, 6.0), &tone(0.3, 1.5, 2.0, 6.0), 1.0);
        let leak = 10f32.powf(-26.0 / 20.0);
        let left = add(&agent, &customer, leak);
        let right = add(&customer, &agent, leak);
        let cfg = VadConfig::default();
        let speech =
            speech_by_channel(&stereo(left, right), &mut LevelVad(256), &cfg).into_channels();
        // The level envelope spans ±48 ms, so edges next to the other party's speech may move
        // by that much.
        let near = |x: f64, y: f64| (x - y).abs() < 0.08;
        assert_eq!(speech[0].len(), 1, "agent: {:?}", speech[0]);
        assert!(
            near(speech[0][0].start_s, 0.0) && near(speech[0][0].end_s, 2.0),
            "agent: {:?}",
            speech[0]
        );
        assert_eq!(speech[1].len(), 2, "customer: {:?}", speech[1]);
        assert!(
            near(speech[1][0].start_s, 1.5) && near(speech[1][0].end_s, 2.0),
            "customer: {:?}",
            speech[1]
        );
        assert!(
            near(speech[1][1].start_s, 3.0) && near(speech[1][1].end_s, 5.0),
            "customer: {:?}",
            speech[1]
        );
    }

    #[test]
    fn without_crosstalk_removal_the_leak_would_count() {
        let agent = tone(0.3, 0.0, 2.0, 3.0);
        let leak = add(&vec![0.0; agent.len()], &agent, 10f32.powf(-26.0 / 20.0));
        let cfg = VadConfig { crosstalk_db: 100.0, ..VadConfig::default() };
        let audio = stereo(agent, leak);
        let speech = speech_by_channel(&audio, &mut LevelVad(256), &cfg);
        assert!(
            !speech.channel(1).is_empty(),
            "the oracle is broken: -26 dB leak should pass LevelVad"
        );
        let speech = speech_by_channel(&audio, &mut LevelVad(256), &VadConfig::default());
        assert!(speech.channel(1).is_empty(), "{:?}", speech.channel(1));
    }

    #[test]
    fn earshot_finds_no_speech_in_silence_or_line_noise() {
        let silence = vec![0.0f32; 16_000 * 2];
        let audio = Audio16k::new(vec![silence]);
        let speech = speech_by_channel(&audio, &mut EarshotVad, &VadConfig::default());
        assert!(speech.channel(0).is_empty(), "{:?}", speech.channel(0));
        let mut x = 0x9E3779B97F4A7C15u64;
        let noise: Vec<f32> = (0..16_000 * 3)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x as f32 / u64::MAX as f32 - 0.5) * 0.06
            })
            .collect();
        let audio = Audio16k::new(vec![noise]);
        let speech = speech_by_channel(&audio, &mut EarshotVad, &VadConfig::default());
        let found: f64 = speech.channel(0).iter().map(Interval::len_s).sum();
        assert!(found < 0.3, "{:?}", speech.channel(0));
    }

    #[test]
    fn a_detector_with_other_frames_needs_no_change_here() {
        // 32 ms frames (Silero's 512 samples): the same planted speech, edges on its grid.
        let agent = tone(0.3, 1.0, 2.0, 3.0);
        let audio = Audio16k::new(vec![agent]);
        for frame in [256, 512] {
            let speech = speech_by_channel(&audio, &mut LevelVad(frame), &VadConfig::default());
            let found = speech.channel(0);
            assert_eq!(found.len(), 1, "frame {frame}: {found:?}");
            let tol = frame as f64 / 16_000.0 + 1e-9;
            assert!((found[0].start_s - 1.0).abs() <= tol, "frame {frame}: {found:?}");
            assert!((found[0].end_s - 2.0).abs() <= tol, "frame {frame}: {found:?}");
        }
    }
}
