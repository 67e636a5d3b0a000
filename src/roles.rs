//! Roles: which of a mono call's two voices is the agent, from what each voice says.
//!
//! The diarizer only separates voices; the voice heard first comes in as the provisional agent.
//! Here each voice is scored by the sales script: one point per utterance of it that a script
//! phrase or example of an agent stage matches when it is taken for the agent (greeting, "my
//! name is", "calling from", the offer, the next step…), plus half a point for speaking first.
//! Hits of the stage model are not counted: it names a stage for any utterance nothing else
//! matched, customers' answers included. The voice with more points is the agent. Each point
//! is taken as evidence twice as likely to come from the agent as from the customer (customers
//! say "good afternoon" back, and ask questions too), so with a margin of `d` points the
//! confidence is `1 / (1 + 2^-d)`: 0.5 with no evidence either way, 0.59 for speaking first
//! alone, 0.74 for one more script line and speaking first, 0.96 for 4.5 points more. Below [`MIN_CONFIDENCE`] the call keeps one `unknown` speaker and per-speaker
//! figures are `null` with the reason.
//!
//! Takes: the call's utterances under the provisional roles and the script. Gives: a
//! [`Decision`]. Must not: look at audio.

use crate::stages::{self, Facts, Outcome, Script};
use crate::transcript::{Role, Utterance};

/// Below this confidence the roles are not assigned.
pub const MIN_CONFIDENCE: f64 = 0.7;

/// Which voice is the agent, and how sure that is.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The provisional customer is the agent: swap the roles.
    pub swap: bool,
    /// 0.5 (no evidence) to 1.
    pub confidence: f64,
    /// What decided it, in words.
    pub evidence: String,
}

impl Decision {
    /// Whether the roles are sure enough to report per-speaker figures.
    pub fn assigned(&self) -> bool {
        self.confidence >= MIN_CONFIDENCE
    }
}

/// The utterances with agent and customer swapped.
pub fn swapped(segments: &[Utterance]) -> Vec<Utterance> {
    segments
        .iter()
        .map(|s| {
            let speaker = match s.speaker {
                Role::Agent => Role::Customer,
                Role::Customer => Role::Agent,
                Role::Unknown => Role::Unknown,
            };
            Utterance { speaker, ..s.clone() }
        })
        .collect()
}

/// Decides which provisional voice is the agent.
pub fn decide(
    script: &Script,
    segments: &[Utterance],
    language: Option<&str>,
    outcome: Option<&Outcome>,
) -> Decision {
    let facts = Facts { language: language.map(str::to_owned), ..Facts::default() };
    // Utterance starts of the agent's phrase and example hits, per stage.
    let matched = |segs: &[Utterance]| {
        let hits = stages::evaluate(script, segs, &facts, outcome).stages.hits;
        let mut found: Vec<(String, u64)> = hits
            .into_iter()
            .filter(|h| h.speaker == Role::Agent && h.method != stages::Method::Model)
            .map(|h| {
                (
                    h.stage,
                    segs.iter()
                        .rev()
                        .find(|s| s.start_s <= h.start_s)
                        .map_or(0, |s| s.start_s.to_bits()),
                )
            })
            .collect();
        found.sort();
        found.dedup();
        found
    };
    let as_is = matched(segments);
    let other = matched(&swapped(segments));
    let first = segments.iter().find(|s| s.speaker != Role::Unknown).map(|s| s.speaker);
    let bonus = |role| if first == Some(role) { 0.5 } else { 0.0 };
    let points =
        [as_is.len() as f64 + bonus(Role::Agent), other.len() as f64 + bonus(Role::Customer)];
    let swap = points[1] > points[0];
    let margin = (points[0] - points[1]).abs();
    let confidence = 1.0 / (1.0 + 2f64.powf(-margin));
    let (agent_stages, other_stages) = if swap { (&other, &as_is) } else { (&as_is, &other) };
    let spoke_first = first.is_some_and(|f| (f == Role::Agent) != swap);
    let evidence = format!(
        "agent voice: {} utterance(s) matching the script{}{}; other voice taken for the agent: {}{}",
        agent_stages.len(),
        list(agent_stages),
        if spoke_first { ", spoke first" } else { "" },
        other_stages.len(),
        list(other_stages),
    );
    Decision { swap, confidence, evidence }
}

/// The stages of the hits, each once, with how many utterances: ` (greeting ×2, closing)`.
fn list(hits: &[(String, u64)]) -> String {
    let mut stages: Vec<(&str, usize)> = Vec::new();
    for (stage, _) in hits {
        match stages.iter_mut().find(|(s, _)| s == stage) {
            Some((_, n)) => *n += 1,
            None => stages.push((stage, 1)),
        }
    }
    let named: Vec<String> = stages
        .iter()
        .map(|(s, n)| if *n > 1 { format!("{s} ×{n}") } else { (*s).to_owned() })
        .collect();
    if named.is_empty() { String::new() } else { format!(" ({})", named.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(speaker: Role, a: f64, text: &str) -> Utterance {
        Utterance { speaker, start_s: a, end_s: a + 2.0, text: text.into(), words: vec![] }
    }

    fn script() -> Script {
        stages::script::default_script().unwrap()
    }

    #[test]
    fn the_voice_that_says_the_script_is_the_agent_even_when_it_speaks_second() {
        // Provisional roles wrong: the customer answered first.
        let segs = [
            seg(Role::Agent, 0.0, "Hello?"),
            seg(
                Role::Customer,
                2.0,
                "Good morning, my name is Anna, I'm calling from Northwind Supplies.",
            ),
            seg(Role::Agent, 5.0, "Yes, what is it about?"),
            seg(
                Role::Customer,
                7.0,
                "How many deliveries do you send a week, and what matters most to you?",
            ),
            seg(Role::Agent, 10.0, "About forty."),
            seg(
                Role::Customer,
                12.0,
                "We offer next-day delivery with a personal manager for every client.",
            ),
            seg(Role::Agent, 15.0, "Sounds expensive."),
            seg(
                Role::Customer,
                17.0,
                "I understand. Many clients thought so at first, and then saved on returns.",
            ),
            seg(
                Role::Customer,
                20.0,
                "Then I'll send you our offer today and call you back on Friday to confirm.",
            ),
        ];
        let d = decide(&script(), &segs, Some("en"), None);
        assert!(d.swap, "{d:?}");
        assert!(d.assigned(), "{d:?}");
        assert!(d.evidence.starts_with("agent voice: "), "{}", d.evidence);
    }

    #[test]
    fn without_script_evidence_speaking_first_is_not_enough() {
        let segs =
            [seg(Role::Agent, 0.0, "Hi."), seg(Role::Customer, 2.0, "Hi, nice weather today.")];
        let d = decide(&script(), &segs, Some("en"), None);
        assert!(!d.swap);
        assert!(
            (d.confidence - 1.0 / (1.0 + 0.5f64.sqrt())).abs() < 1e-9 && !d.assigned(),
            "{d:?}"
        );
    }

    #[test]
    fn swapping_twice_is_the_identity() {
        let segs = [
            seg(Role::Agent, 0.0, "a"),
            seg(Role::Unknown, 1.0, "b"),
            seg(Role::Customer, 2.0, "c"),
        ];
        assert_eq!(swapped(&swapped(&segs)), segs);
        assert_eq!(swapped(&segs)[1].speaker, Role::Unknown);
    }
}
