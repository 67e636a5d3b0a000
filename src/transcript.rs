//! Transcript: who said what and when — the timed utterances that the metrics, the sales script,
//! `callgauge score` and the call JSON share.
//!
//! Takes: nothing; it defines the types. Gives: [`Role`], [`Utterance`] and [`Word`], the same
//! whether the words came from callgauge's recogniser or from another ASR's stored transcript,
//! and [`utterances`], which joins one speaker's segments that run on into one utterance.
//! Must not: compute any figure.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Who speaks: `agent`, `customer`, or `unknown` (a mono call whose speakers are not separated).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Agent,
    Customer,
    Unknown,
}

/// A transcribed stretch of one speaker's speech (`segments[]` in the call JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Utterance {
    pub speaker: Role,
    /// When the first word starts, seconds on the call's clock.
    pub start_s: f64,
    /// When the last word ends, seconds on the call's clock.
    pub end_s: f64,
    /// The words as recognised, joined by spaces.
    pub text: String,
    /// Word times from the recogniser's alignment; may be absent from transcripts made
    /// elsewhere.
    #[serde(default)]
    pub words: Vec<Word>,
}

/// A recognised word on the call's clock. Its start comes from whisper.cpp's DTW token
/// alignment (typically within 0.1–0.3 s); it ends where the next word starts, or where its
/// segment ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Word {
    /// The word as recognised, with its punctuation.
    pub text: String,
    /// When the word starts.
    pub start_s: f64,
    /// When the next word starts, or the segment ends.
    pub end_s: f64,
}

/// The segments joined into utterances: a segment runs on from the one before it when the same
/// speaker said both, it starts less than `bridge_s` after that one ends, and no other
/// speaker's segment starts between them. Whisper cuts one spoken sentence at arbitrary points
/// ("Are you putting them" / "down?", "What breed is he?" / "And has he had any vet visits?"),
/// so what is counted per utterance (questions) is counted on these, not on the segments.
/// `segments` must be sorted by start (as in the call JSON); texts are joined with a space.
pub fn utterances(segments: &[Utterance], bridge_s: f64) -> Vec<Utterance> {
    let mut out: Vec<Utterance> = Vec::with_capacity(segments.len());
    for s in segments {
        match out.last_mut() {
            Some(u) if u.speaker == s.speaker && s.start_s - u.end_s < bridge_s => {
                u.end_s = u.end_s.max(s.end_s);
                if !s.text.is_empty() {
                    if !u.text.is_empty() {
                        u.text.push(' ');
                    }
                    u.text.push_str(&s.text);
                }
                u.words.extend(s.words.iter().cloned());
            }
            _ => out.push(s.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(speaker: Role, start_s: f64, end_s: f64, text: &str) -> Utterance {
        Utterance { speaker, start_s, end_s, text: text.into(), words: Vec::new() }
    }

    #[test]
    fn segments_that_run_on_join_and_a_pause_or_the_other_voice_splits() {
        let (a, c) = (Role::Agent, Role::Customer);
        let segments = [
            seg(a, 0.0, 1.2, "Are you putting them"),
            seg(a, 1.2, 1.6, "down?"),
            seg(a, 3.0, 4.0, "Fine."),
            seg(c, 4.5, 5.0, "Yes."),
            seg(a, 5.1, 6.0, "Good."),
            seg(a, 6.5, 7.0, "Next week?"),
        ];
        let got = utterances(&segments, 1.0);
        let texts: Vec<(&str, Role, f64, f64)> =
            got.iter().map(|u| (u.text.as_str(), u.speaker, u.start_s, u.end_s)).collect();
        assert_eq!(
            texts,
            [
                ("Are you putting them down?", a, 0.0, 1.6),
                ("Fine.", a, 3.0, 4.0),
                ("Yes.", c, 4.5, 5.0),
                ("Good. Next week?", a, 5.1, 7.0),
            ]
        );
        assert_eq!(utterances(&segments, 0.0).len(), segments.len());
    }
}
