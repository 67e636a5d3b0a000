//! Metrics: speech intervals per speaker in, talk-time figures and the 60/40 rule out.
//!
//! Takes: each speaker's speech intervals and the call's duration. Gives: per-speaker speech
//! time and shares, the conversation's speech / silence / overlap, and the 60/40 verdict.
//! Every ratio whose denominator is 0 is `None` (JSON `null`), never a made-up number.
//! Must not: know which VAD or recogniser produced the intervals.

use crate::report::ms;
use crate::timeline::{Interval, intersection, total_s, union};
use serde::Serialize;

/// One speaker's talk-time figures. In mono mode every figure is `null` and
/// `unavailable_reason` says why.
#[derive(Debug, Clone, Serialize)]
pub struct Speaker {
    /// `left` or `right`; `null` in mono mode.
    pub channel: Option<&'static str>,
    /// Seconds this speaker talks.
    pub speech_s: Option<f64>,
    /// This speaker's speech / (agent speech + customer speech).
    pub share_of_speech: Option<f64>,
    /// This speaker's speech / call duration.
    pub share_of_call: Option<f64>,
    /// Where this speaker talks, as found by the VAD (crosstalk removed).
    pub speech_intervals: Option<Vec<Interval>>,
    pub unavailable_reason: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Speakers {
    pub agent: Speaker,
    pub customer: Speaker,
}

/// Whole-call timing: the union of both speakers' speech, the rest, and where they overlap.
#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    pub speech_s: f64,
    pub silence_s: f64,
    pub overlap_s: Option<f64>,
}

/// The 60/40 rule: the agent should talk at most `max_agent_share` of the speech.
#[derive(Debug, Clone, Serialize)]
pub struct Rule6040 {
    pub agent_share_of_speech: Option<f64>,
    pub max_agent_share: f64,
    pub passed: Option<bool>,
}

const MONO_REASON: &str = "mono recording: speakers are not separated (no diarization yet), so per-speaker figures are not measured";

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| ms(num / den))
}

fn speaker(channel: &'static str, speech: &[Interval], both_s: f64, duration_s: f64) -> Speaker {
    let speech_s = total_s(speech);
    Speaker {
        channel: Some(channel),
        speech_s: Some(ms(speech_s)),
        share_of_speech: ratio(speech_s, both_s),
        share_of_call: ratio(speech_s, duration_s),
        speech_intervals: Some(
            speech
                .iter()
                .map(|i| Interval::new(ms(i.start_s), ms(i.end_s)))
                .collect(),
        ),
        unavailable_reason: None,
    }
}

fn unavailable() -> Speaker {
    Speaker {
        channel: None,
        speech_s: None,
        share_of_speech: None,
        share_of_call: None,
        speech_intervals: None,
        unavailable_reason: Some(MONO_REASON),
    }
}

/// Figures for a stereo call. `channels` names the agent's and the customer's channel.
pub fn stereo(
    agent: &[Interval],
    customer: &[Interval],
    channels: (&'static str, &'static str),
    duration_s: f64,
    max_agent_share: f64,
) -> (Speakers, Conversation, Rule6040) {
    let (a, c) = (total_s(agent), total_s(customer));
    let speech = total_s(&union(agent, customer));
    let speakers = Speakers {
        agent: speaker(channels.0, agent, a + c, duration_s),
        customer: speaker(channels.1, customer, a + c, duration_s),
    };
    let conversation = Conversation {
        speech_s: ms(speech),
        silence_s: ms((duration_s - speech).max(0.0)),
        overlap_s: Some(ms(total_s(&intersection(agent, customer)))),
    };
    let share = ratio(a, a + c);
    let rule = Rule6040 {
        agent_share_of_speech: share,
        max_agent_share,
        passed: share.map(|s| s <= max_agent_share),
    };
    (speakers, conversation, rule)
}

/// Figures for a mono call: only the total speech is measured.
pub fn mono(
    speech: &[Interval],
    duration_s: f64,
    max_agent_share: f64,
) -> (Speakers, Conversation, Rule6040) {
    let s = total_s(speech);
    let conversation = Conversation {
        speech_s: ms(s),
        silence_s: ms((duration_s - s).max(0.0)),
        overlap_s: None,
    };
    let rule = Rule6040 {
        agent_share_of_speech: None,
        max_agent_share,
        passed: None,
    };
    (
        Speakers {
            agent: unavailable(),
            customer: unavailable(),
        },
        conversation,
        rule,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(a: f64, b: f64) -> Interval {
        Interval::new(a, b)
    }

    #[test]
    fn shares_and_overlap() {
        let agent = [iv(0.0, 4.0)];
        let customer = [iv(3.0, 9.0)];
        let (s, c, r) = stereo(&agent, &customer, ("left", "right"), 10.0, 0.4);
        assert_eq!(s.agent.share_of_speech, Some(0.4));
        assert_eq!(s.customer.share_of_speech, Some(0.6));
        assert_eq!(s.agent.share_of_call, Some(0.4));
        assert_eq!(
            (c.speech_s, c.silence_s, c.overlap_s),
            (9.0, 1.0, Some(1.0))
        );
        assert_eq!(r.passed, Some(true));
    }

    #[test]
    fn silent_call_has_no_shares_and_no_verdict() {
        let (s, c, r) = stereo(&[], &[], ("left", "right"), 5.0, 0.4);
        assert_eq!(s.agent.share_of_speech, None);
        assert_eq!(s.agent.share_of_call, Some(0.0));
        assert_eq!(r.passed, None);
        assert_eq!(c.silence_s, 5.0);
        let (s, ..) = stereo(&[], &[], ("left", "right"), 0.0, 0.4);
        assert_eq!(s.agent.share_of_call, None);
    }

    #[test]
    fn mono_reports_nulls_with_a_reason() {
        let (s, c, r) = mono(&[iv(1.0, 3.0)], 4.0, 0.4);
        assert!(s.agent.speech_s.is_none() && s.agent.unavailable_reason.is_some());
        assert_eq!(c.speech_s, 2.0);
        assert!(r.agent_share_of_speech.is_none() && r.passed.is_none());
    }

    #[test]
    fn agent_over_forty_percent_fails() {
        let (_, _, r) = stereo(
            &[iv(0.0, 5.0)],
            &[iv(5.0, 10.0)],
            ("left", "right"),
            10.0,
            0.4,
        );
        assert_eq!(
            (r.agent_share_of_speech, r.passed),
            (Some(0.5), Some(false))
        );
    }
}
