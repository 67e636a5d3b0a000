//! Metrics: per speaker speech intervals, transcript and prosody in; the call's figures out.
//!
//! Takes: each speaker's speech intervals, what they said, pitch and loudness frames, and the
//! call's duration. Gives: per-speaker talk time and shares, turns, pauses, interruptions,
//! backchannels, latency, speech rate, questions and prosody; the conversation's silence, dead
//! air and overlap; and the 60/40 verdict. Definitions live in `turns` and in
//! `crate::text` (words, syllables, questions).
//! Every ratio whose denominator is 0 is `None` (JSON `null`), never a made-up number.
//! Must not: know which VAD or recogniser produced the intervals.

use crate::timeline::{Interval, intersection, total_s, union};
use schemars::JsonSchema;
use serde::Serialize;

pub mod prosody;
pub mod turns;

pub use turns::TurnConfig;

/// What the metrics need to know of one speaker.
pub struct SpeakerInput<'a> {
    /// Where the speaker talks (VAD, crosstalk removed).
    pub speech: &'a [Interval],
    /// What they said: (start_s, text) per utterance (segments that run on joined); questions
    /// are counted per entry.
    pub said: Vec<(f64, &'a str)>,
    pub prosody: prosody::Prosody,
}

/// One speaker's figures. In mono mode every figure is `null` and `unavailable_reason` says why;
/// a figure whose denominator is 0 is `null` too.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
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
    /// Runs of this speaker's speech that hold the floor (backchannels excluded).
    pub turns: Option<usize>,
    /// Transcribed words (runs of letters and digits).
    pub words: Option<usize>,
    /// Words per minute of this speaker's own speech time.
    pub words_per_minute: Option<f64>,
    /// Vowel letters (≈ syllables) per second of own speech time.
    pub syllables_per_s: Option<f64>,
    /// Utterances of this speaker that are questions (segments that run on within the turn
    /// bridge count as one utterance, since 0.13.0).
    pub questions: Option<usize>,
    /// The longest turn, seconds.
    pub longest_monologue_s: Option<f64>,
    /// Silences inside this speaker's turns.
    pub pauses: Option<Pauses>,
    /// Turns this speaker started while the other was mid-turn, overlapping it by at least
    /// `--interruption-min-overlap-s`; `null` on mono calls (one voice per moment).
    pub interruptions_made: Option<usize>,
    /// Short utterances ("uh-huh", "угу") inside the other speaker's turn; `null` on mono calls.
    pub backchannels: Option<usize>,
    /// Gap from the other speaker's turn end to this speaker's next turn start.
    pub response_latency_s: Option<Spread>,
    /// Pitch of this speaker's voiced speech.
    pub pitch_hz: Option<Pitch>,
    /// Level of this speaker's speech.
    pub loudness_dbfs: Option<Loudness>,
    /// Why the figures are `null` (mono recording); `null` when they are measured.
    pub unavailable_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Pauses {
    /// Silences inside this speaker's turns, at least `--pause-min-s` and shorter than the turn bridge.
    pub count: usize,
    /// Mean pause, seconds; `null` without pauses.
    pub mean_s: Option<f64>,
    /// Longest pause, seconds; `null` without pauses.
    pub longest_s: Option<f64>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Spread {
    /// Mean, seconds (negative when the speakers overlap).
    pub mean: f64,
    /// Median, seconds.
    pub median: f64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Pitch {
    /// Median f0 of voiced frames, Hz.
    pub median: f64,
    /// Standard deviation of pitch around the median, semitones.
    pub spread_semitones: f64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Loudness {
    /// Median RMS level of the speaker's speech frames, dBFS.
    pub median: f64,
    /// Standard deviation of frame levels, dB.
    pub spread: f64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Speakers {
    pub agent: Speaker,
    pub customer: Speaker,
}

/// Whole-call timing: the union of both speakers' speech, the rest, overlap and dead air.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Conversation {
    /// Seconds where at least one speaker talks (union of both).
    pub speech_s: f64,
    /// Seconds where nobody talks: duration − speech_s.
    pub silence_s: f64,
    /// Seconds where both talk at once; `null` in mono (also when diarized: one voice per moment).
    pub overlap_s: Option<f64>,
    /// Changes of the speaker holding the floor, per minute of call.
    pub turn_switches_per_min: Option<f64>,
    /// Silences of at least the dead-air threshold between the first and last speech.
    pub dead_air: Vec<Interval>,
    /// Total of `dead_air`, seconds.
    pub dead_air_s: f64,
    /// Longest stretch where nobody speaks, leading and trailing silence included, seconds.
    pub longest_silence_s: f64,
    /// Silence before the first speech, seconds.
    pub leading_silence_s: f64,
    /// Silence after the last speech, seconds.
    pub trailing_silence_s: f64,
    /// Every interruption in call order; `null` in mono (also when diarized).
    pub interruptions: Option<Vec<InterruptionOut>>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InterruptionOut {
    /// `agent` or `customer`: who interrupted.
    pub by: &'static str,
    /// When the interrupting turn started.
    pub at_s: f64,
    /// How long both talked at once, seconds.
    pub overlap_s: f64,
}

/// The 60/40 rule: the agent should talk at most `max_agent_share` of the speech, and ask.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Rule6040 {
    /// Agent speech ÷ (agent speech + customer speech); `null` when nobody speaks or in mono.
    pub agent_share_of_speech: Option<f64>,
    /// The rule's threshold (`--max-agent-share`, default 0.40).
    pub max_agent_share: f64,
    /// Whether the agent's share is at most `max_agent_share`, judged on the unrounded share; `null` when not measurable.
    pub passed: Option<bool>,
    /// Utterances of the agent that are questions (segments that run on within the turn
    /// bridge count as one utterance, since 0.13.0).
    pub agent_questions: Option<usize>,
    /// Agent questions per minute of call.
    pub agent_questions_per_min: Option<f64>,
    /// Share of the agent's turns that hold at least one question.
    pub agent_question_turn_share: Option<f64>,
}

/// Why a mono call analyzed with `--no-diarize` (or another pipeline without a diarizer) has no
/// per-speaker figures.
pub const NO_DIARIZER_REASON: &str = "mono recording analyzed without diarization (--no-diarize), so per-speaker figures are not measured";
/// Why a mono call with one voice has no per-speaker figures.
pub const ONE_VOICE_REASON: &str = "mono recording: only one voice was found (or one voice holds nearly all the speech), so per-speaker figures are not measured";
const ROLES: [&str; 2] = ["agent", "customer"];

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn median(v: &[f64]) -> Option<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(s[n / 2]),
        _ => Some((s[n / 2 - 1] + s[n / 2]) / 2.0),
    }
}

fn std_dev(v: &[f64], center: f64) -> f64 {
    (v.iter().map(|x| (x - center).powi(2)).sum::<f64>() / v.len().max(1) as f64).sqrt()
}

fn pitch(p: &prosody::Prosody) -> Option<Pitch> {
    let med = median(&p.f0_hz)?;
    let semis: Vec<f64> = p.f0_hz.iter().map(|f| 12.0 * (f / med).log2()).collect();
    Some(Pitch { median: med, spread_semitones: std_dev(&semis, 0.0) })
}

fn loudness(p: &prosody::Prosody) -> Option<Loudness> {
    let med = median(&p.level_dbfs)?;
    Some(Loudness { median: med, spread: std_dev(&p.level_dbfs, mean(&p.level_dbfs)?) })
}

/// Content figures of one speaker: (words, syllables, question start times).
fn content(said: &[(f64, &str)]) -> (usize, usize, Vec<f64>) {
    let words: Vec<String> = said.iter().flat_map(|(_, t)| crate::text::words(t)).collect();
    let syllables = words.iter().map(|w| crate::text::syllables(w)).sum();
    let questions =
        said.iter().filter(|(_, t)| crate::text::is_question(t)).map(|(s, _)| *s).collect();
    (words.len(), syllables, questions)
}

fn speaker(
    idx: usize,
    channel: Option<&'static str>,
    input: &SpeakerInput<'_>,
    both_s: f64,
    duration_s: f64,
    tt: &turns::TurnTaking,
) -> Speaker {
    let speech_s = total_s(input.speech);
    let (words, syllables, questions) = content(&input.said);
    let own: Vec<&turns::Turn> = tt.turns.iter().filter(|t| t.speaker == idx).collect();
    let pauses = &tt.pauses[idx];
    let lat = &tt.latencies[idx];
    Speaker {
        channel,
        speech_s: Some(speech_s),
        share_of_speech: ratio(speech_s, both_s),
        share_of_call: ratio(speech_s, duration_s),
        speech_intervals: Some(input.speech.to_vec()),
        turns: Some(own.len()),
        words: Some(words),
        words_per_minute: ratio(words as f64 * 60.0, speech_s),
        syllables_per_s: ratio(syllables as f64, speech_s),
        questions: Some(questions.len()),
        longest_monologue_s: Some(own.iter().map(|t| t.len_s()).fold(0.0, f64::max)),
        pauses: Some(Pauses {
            count: pauses.len(),
            mean_s: mean(pauses),
            longest_s: pauses.iter().copied().reduce(f64::max),
        }),
        interruptions_made: Some(tt.interruptions.iter().filter(|i| i.by == idx).count()),
        backchannels: Some(tt.backchannels[idx].len()),
        response_latency_s: mean(lat).zip(median(lat)).map(|(m, d)| Spread { mean: m, median: d }),
        pitch_hz: pitch(&input.prosody),
        loudness_dbfs: loudness(&input.prosody),
        unavailable_reason: None,
    }
}

fn conversation(
    speech: &[Interval],
    overlap: Option<f64>,
    tt: &turns::TurnTaking,
    duration_s: f64,
    stereo: bool,
) -> Conversation {
    let s = total_s(speech);
    let switches = tt.turns.windows(2).filter(|w| w[0].speaker != w[1].speaker).count();
    Conversation {
        speech_s: s,
        silence_s: (duration_s - s).max(0.0),
        overlap_s: overlap,
        turn_switches_per_min: if stereo {
            ratio(switches as f64 * 60.0, duration_s)
        } else {
            None
        },
        dead_air: tt.dead_air.clone(),
        dead_air_s: total_s(&tt.dead_air),
        longest_silence_s: tt.longest_silence_s,
        leading_silence_s: tt.leading_silence_s,
        trailing_silence_s: tt.trailing_silence_s,
        interruptions: stereo.then(|| {
            tt.interruptions
                .iter()
                .map(|i| InterruptionOut { by: ROLES[i.by], at_s: i.at_s, overlap_s: i.overlap_s })
                .collect()
        }),
    }
}

/// On a diarized mono call each moment of speech belongs to one voice, so speech over the other
/// speaker cannot be seen: overlap, interruptions and backchannels become `null` (not 0).
pub fn without_overlap(speakers: &mut Speakers, conversation: &mut Conversation) {
    conversation.overlap_s = None;
    conversation.interruptions = None;
    for s in [&mut speakers.agent, &mut speakers.customer] {
        s.interruptions_made = None;
        s.backchannels = None;
    }
}

/// Figures for a call whose two speakers are told apart (by channel, or by a diarizer).
/// `channels` names the agent's and the customer's channel, where each has one.
pub fn two_speakers(
    agent: &SpeakerInput<'_>,
    customer: &SpeakerInput<'_>,
    channels: (Option<&'static str>, Option<&'static str>),
    duration_s: f64,
    max_agent_share: f64,
    cfg: &TurnConfig,
) -> (Speakers, Conversation, Rule6040) {
    let (a, c) = (total_s(agent.speech), total_s(customer.speech));
    let tt = turns::analyze([agent.speech, customer.speech], duration_s, cfg);
    let speakers = Speakers {
        agent: speaker(0, channels.0, agent, a + c, duration_s, &tt),
        customer: speaker(1, channels.1, customer, a + c, duration_s, &tt),
    };
    let overlap = total_s(&intersection(agent.speech, customer.speech));
    let conversation =
        conversation(&union(agent.speech, customer.speech), Some(overlap), &tt, duration_s, true);
    let share = ratio(a, a + c);
    let (_, _, questions) = content(&agent.said);
    let agent_turns: Vec<&turns::Turn> = tt.turns.iter().filter(|t| t.speaker == 0).collect();
    let asking = agent_turns
        .iter()
        .filter(|t| questions.iter().any(|&q| q >= t.start_s - 0.3 && q <= t.end_s + 0.3))
        .count();
    let rule = Rule6040 {
        agent_share_of_speech: share,
        max_agent_share,
        passed: share.map(|s| s <= max_agent_share),
        agent_questions: Some(questions.len()),
        agent_questions_per_min: ratio(questions.len() as f64 * 60.0, duration_s),
        agent_question_turn_share: ratio(asking as f64, agent_turns.len() as f64),
    };
    (speakers, conversation, rule)
}

/// Figures for a call whose speakers are not told apart (mono): total speech and silences;
/// per-speaker figures are `null` with `reason`.
pub fn one_track(
    speech: &[Interval],
    duration_s: f64,
    max_agent_share: f64,
    cfg: &TurnConfig,
    reason: String,
) -> (Speakers, Conversation, Rule6040) {
    let tt = turns::analyze([speech, &[]], duration_s, cfg);
    let conversation = conversation(speech, None, &tt, duration_s, false);
    let unavailable = || Speaker { unavailable_reason: Some(reason.clone()), ..Speaker::default() };
    let rule = Rule6040 {
        agent_share_of_speech: None,
        max_agent_share,
        passed: None,
        agent_questions: None,
        agent_questions_per_min: None,
        agent_question_turn_share: None,
    };
    (Speakers { agent: unavailable(), customer: unavailable() }, conversation, rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(a: f64, b: f64) -> Interval {
        Interval::new(a, b)
    }

    fn input<'a>(speech: &'a [Interval], said: Vec<(f64, &'a str)>) -> SpeakerInput<'a> {
        SpeakerInput { speech, said, prosody: prosody::Prosody::default() }
    }

    fn run(a: &[Interval], c: &[Interval], duration_s: f64) -> (Speakers, Conversation, Rule6040) {
        two_speakers(
            &input(a, vec![]),
            &input(c, vec![]),
            (Some("left"), Some("right")),
            duration_s,
            0.4,
            &TurnConfig::default(),
        )
    }

    #[test]
    fn shares_and_overlap() {
        let (s, c, r) = run(&[iv(0.0, 4.0)], &[iv(3.0, 9.0)], 10.0);
        assert_eq!(s.agent.share_of_speech, Some(0.4));
        assert_eq!(s.customer.share_of_speech, Some(0.6));
        assert_eq!(s.agent.share_of_call, Some(0.4));
        assert_eq!((c.speech_s, c.silence_s, c.overlap_s), (9.0, 1.0, Some(1.0)));
        assert_eq!(r.passed, Some(true));
        assert_eq!(s.customer.interruptions_made, Some(1));
    }

    #[test]
    fn silent_call_has_no_shares_and_no_verdict() {
        let (s, c, r) = run(&[], &[], 5.0);
        assert_eq!(s.agent.share_of_speech, None);
        assert_eq!(s.agent.share_of_call, Some(0.0));
        assert_eq!((s.agent.words_per_minute, s.agent.syllables_per_s), (None, None));
        assert!(s.agent.response_latency_s.is_none() && s.agent.pitch_hz.is_none());
        assert_eq!(r.passed, None);
        assert_eq!(r.agent_question_turn_share, None);
        assert_eq!(c.silence_s, 5.0);
        assert_eq!(c.turn_switches_per_min, Some(0.0));
        let (s, c, _) = run(&[], &[], 0.0);
        assert_eq!(s.agent.share_of_call, None);
        assert_eq!(c.turn_switches_per_min, None);
    }

    #[test]
    fn only_one_side_speaks() {
        let (s, c, r) = run(&[iv(1.0, 3.0), iv(3.5, 5.0)], &[], 6.0);
        assert_eq!((s.agent.turns, s.customer.turns), (Some(1), Some(0)));
        assert_eq!(s.agent.share_of_speech, Some(1.0));
        assert_eq!(s.customer.longest_monologue_s, Some(0.0));
        assert_eq!(r.passed, Some(false));
        assert_eq!(c.turn_switches_per_min, Some(0.0));
        assert!(s.agent.response_latency_s.is_none());
    }

    #[test]
    fn words_rate_and_questions() {
        let agent = [iv(0.0, 6.0)];
        let said = vec![(0.0, "Hello, how are you today?"), (3.0, "We sell paper.")];
        let (s, _, r) = two_speakers(
            &input(&agent, said),
            &input(&[], vec![]),
            (Some("left"), Some("right")),
            60.0,
            0.4,
            &TurnConfig::default(),
        );
        assert_eq!(s.agent.words, Some(8));
        assert_eq!(s.agent.words_per_minute, Some(80.0));
        assert_eq!(s.agent.questions, Some(1));
        assert_eq!(
            (r.agent_questions, r.agent_questions_per_min, r.agent_question_turn_share),
            (Some(1), Some(1.0), Some(1.0))
        );
    }

    #[test]
    fn mono_reports_nulls_with_a_reason() {
        let (s, c, r) = one_track(
            &[iv(1.0, 3.0), iv(6.0, 7.0)],
            8.0,
            0.4,
            &TurnConfig::default(),
            "why".into(),
        );
        assert!(s.agent.speech_s.is_none() && s.agent.unavailable_reason.is_some());
        assert!(s.agent.turns.is_none() && s.agent.words_per_minute.is_none());
        assert_eq!(c.speech_s, 3.0);
        assert_eq!(c.dead_air, [iv(3.0, 6.0)]);
        assert!(c.interruptions.is_none() && c.turn_switches_per_min.is_none());
        assert!(r.agent_share_of_speech.is_none() && r.passed.is_none());
    }

    #[test]
    fn agent_over_forty_percent_fails() {
        let (_, _, r) = run(&[iv(0.0, 5.0)], &[iv(5.0, 10.0)], 10.0);
        assert_eq!((r.agent_share_of_speech, r.passed), (Some(0.5), Some(false)));
    }

    /// The verdict is taken on the measured share, not on the share as rounded for the JSON:
    /// 0.4004 is written as 0.4 but breaks a 0.40 rule.
    #[test]
    fn the_60_40_verdict_uses_the_unrounded_share() {
        let (_, _, r) = run(&[iv(0.0, 4.004)], &[iv(5.0, 10.996)], 12.0);
        let share = r.agent_share_of_speech.unwrap();
        assert!((share - 0.4004).abs() < 1e-9, "{share}");
        assert_eq!(r.passed, Some(false));
        let written = crate::output::to_line(&r).unwrap();
        let text = String::from_utf8(written).unwrap();
        assert!(text.contains("\"agent_share_of_speech\":0.4,"), "{text}");
        assert!(text.contains("\"passed\":false"), "{text}");
        let (_, _, r) = run(&[iv(0.0, 4.0)], &[iv(5.0, 11.0)], 12.0);
        assert_eq!(r.passed, Some(true), "exactly 0.40 passes");
    }

    #[test]
    fn median_and_mean() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[]), None);
    }
}
