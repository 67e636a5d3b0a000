//! Sanity: what makes a call's figures unreliable, said in its `warnings`, and transcript
//! duplicates removed before anything counts them.
//!
//! Takes: what the stages measured. Gives: [`Warning`]s — a recording shorter than its header
//! promises, a call too short or without speech (these are left out of the batch's means), a
//! stereo call whose customer channel says the agent's script — and a transcript without
//! repeated segments. Must not: change a figure.

use crate::config::Config;
use crate::report::{Warning, WarningCode};
use crate::stages::{self, Facts, Outcome, ScriptResult};
use crate::text::words;
use crate::transcript::Utterance;

/// Calls shorter than this are not sales conversations (a dropped line, a test dial).
pub const MIN_CALL_S: f64 = 5.0;
/// Less speech than this, all speakers together, is no conversation.
pub const MIN_SPEECH_S: f64 = 0.5;
/// A file holding less than this share of what its header promises is truncated.
const MIN_DECLARED_SHARE: f64 = 0.9;

/// Warnings about the recording itself: truncated or too short.
pub fn recording(duration_s: f64, declared_s: Option<f64>) -> Vec<Warning> {
    let mut out = Vec::new();
    if let Some(declared) = declared_s.filter(|d| duration_s < MIN_DECLARED_SHARE * d) {
        out.push(Warning {
            code: WarningCode::Truncated,
            message: format!(
                "the file holds {duration_s:.1} s of audio; its header promises {declared:.1} s"
            ),
        });
    }
    if duration_s < MIN_CALL_S {
        out.push(Warning {
            code: WarningCode::TooShort,
            message: format!("{duration_s:.1} s long; calls under {MIN_CALL_S} s are not counted"),
        });
    }
    out
}

/// A warning when nobody speaks.
pub fn speech(speech_s: f64) -> Option<Warning> {
    (speech_s < MIN_SPEECH_S).then(|| Warning {
        code: WarningCode::NoSpeech,
        message: format!("{speech_s:.1} s of speech: nothing to transcribe or measure"),
    })
}

/// On a stereo call, a warning when the customer's channel says more of the agent's script than
/// the agent's channel does: the recorder likely puts the agent on the other channel.
pub fn swapped_channels(
    cfg: &Config,
    segments: &[Utterance],
    facts: &Facts,
    outcome: Option<&Outcome>,
    found: &ScriptResult,
) -> Option<Warning> {
    let swapped = crate::roles::swapped(segments);
    let bridge_s = cfg.turns.turn_bridge_s;
    let other = stages::evaluate_turns(&cfg.script, &swapped, bridge_s, facts, outcome);
    let (ours, theirs) = (found.stages.reached.len(), other.stages.reached.len());
    (theirs >= 2 && theirs > ours + 1).then(|| Warning {
        code: WarningCode::ChannelsMaySwapped,
        message: format!(
            "the customer's channel says {theirs} of the agent's script stages, the agent's \
             channel {ours}: check --agent-channel"
        ),
    })
}

/// Drops segments that repeat the speaker's previous segment word for word while starting
/// inside it or lasting no time at all (a decoder echo), so no word is counted twice.
pub fn dedupe(segments: Vec<Utterance>) -> Vec<Utterance> {
    let mut out: Vec<Utterance> = Vec::with_capacity(segments.len());
    for seg in segments {
        let echo = out.iter().rev().find(|p| p.speaker == seg.speaker).is_some_and(|prev| {
            let inside = seg.start_s <= prev.end_s || seg.end_s <= seg.start_s;
            inside && words(&prev.text) == words(&seg.text)
        });
        let empty = seg.end_s < seg.start_s || words(&seg.text).is_empty();
        if !echo && !empty {
            out.push(seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Role;

    fn seg(speaker: Role, a: f64, b: f64, text: &str) -> Utterance {
        Utterance { speaker, start_s: a, end_s: b, text: text.into(), words: vec![] }
    }

    #[test]
    fn a_file_shorter_than_its_header_is_truncated() {
        let w = recording(1.6, Some(20.0));
        let codes: Vec<WarningCode> = w.iter().map(|w| w.code).collect();
        assert_eq!(codes, [WarningCode::Truncated, WarningCode::TooShort]);
        assert!(w[0].message.contains("1.6 s") && w[0].message.contains("20.0 s"));
        assert!(recording(60.0, Some(60.2)).is_empty());
        assert!(recording(60.0, None).is_empty());
    }

    #[test]
    fn silence_is_no_speech() {
        assert_eq!(speech(0.0).unwrap().code, WarningCode::NoSpeech);
        assert!(speech(12.0).is_none());
    }

    /// Regression: a zero-length duplicate segment (1.422–1.422) doubled a speaker's words.
    #[test]
    fn echoed_and_empty_segments_are_dropped() {
        let segs = vec![
            seg(Role::Agent, 0.5, 1.422, "Good morning."),
            seg(Role::Agent, 1.422, 1.422, "Good morning."),
            seg(Role::Customer, 1.5, 2.0, "Good morning."),
            seg(Role::Agent, 2.5, 3.0, "..."),
            seg(Role::Agent, 9.0, 10.0, "Good morning."),
        ];
        let kept = dedupe(segs);
        let at: Vec<(Role, f64)> = kept.iter().map(|s| (s.speaker, s.start_s)).collect();
        assert_eq!(at, [(Role::Agent, 0.5), (Role::Customer, 1.5), (Role::Agent, 9.0)]);
    }

    #[test]
    fn the_script_from_the_customer_channel_means_swapped_channels() {
        let script = crate::stages::script::default_script().unwrap();
        let cfg = Config::new(vec![], "out".into(), script);
        let segs = vec![
            seg(Role::Customer, 0.5, 3.0, "Good morning, this is Anna from Northwind."),
            seg(Role::Agent, 3.5, 4.0, "Hello."),
            seg(Role::Customer, 5.0, 8.0, "How many orders do you place in a month?"),
            seg(Role::Customer, 9.0, 12.0, "We offer next day delivery."),
        ];
        let facts = Facts { language: Some("en".into()), ..Facts::default() };
        let found = stages::evaluate(&cfg.script, &segs, &facts, None);
        let w = swapped_channels(&cfg, &segs, &facts, None, &found).unwrap();
        assert_eq!(w.code, WarningCode::ChannelsMaySwapped);
        let right: Vec<Utterance> = segs
            .iter()
            .map(|s| Utterance {
                speaker: if s.speaker == Role::Agent { Role::Customer } else { Role::Agent },
                ..s.clone()
            })
            .collect();
        let found = stages::evaluate(&cfg.script, &right, &facts, None);
        assert!(swapped_channels(&cfg, &right, &facts, None, &found).is_none());
    }
}
