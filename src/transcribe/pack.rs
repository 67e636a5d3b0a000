//! Packing: speech intervals cut out of their tracks and packed into Whisper's windows, and
//! the recognised words grouped back into segments on the call's clock.
//!
//! Takes: 16 kHz tracks and their speech intervals; later, timed words. Gives: windows of at
//! most 29 s with a map from window time to call time; segments. Pure: no model, no I/O, so
//! every rule here is unit-tested on synthetic signals.

use super::Segment;
use crate::timeline::{Interval, normalize};
use crate::transcript::Word;

pub const RATE: f64 = 16_000.0;
/// Speech is cut this much wider on each side than the VAD says, so word edges survive.
const PAD_S: f64 = 0.15;
/// Silence put between packed pieces so Whisper hears them as separate utterances.
const GAP_S: f64 = 0.4;
/// Longest window handed to Whisper (its input is 30 s; leave room for the padding).
const MAX_WINDOW_S: f64 = 29.0;
/// whisper.cpp skips input shorter than 1 s; windows are padded with silence to this length.
pub const MIN_WINDOW_S: f64 = 1.2;

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
                    track: channel,
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
    segments.sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.track.cmp(&b.track)));
    segments
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(segs.iter().map(|s| s.track).collect::<Vec<_>>(), [0, 0, 1, 0]);
        assert_eq!((segs[1].start_s, segs[1].end_s), (1.7, 2.7));
    }
}
