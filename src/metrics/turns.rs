//! Turn-taking: speech intervals of both speakers in; turns, backchannels, interruptions,
//! pauses, response latencies and dead air out.
//!
//! Definitions (thresholds in [`TurnConfig`]):
//! - a **turn** is a run of one speaker's speech, bridging their own silences shorter than
//!   `turn_bridge_s`, ended when the other speaker takes the floor or by a longer silence;
//! - a **backchannel** is an utterance shorter than `backchannel_max_s` that lies inside the
//!   other speaker's turn ("uh-huh", "угу"): neither a turn nor an interruption;
//! - an **interruption** is a turn that starts while the other speaker is mid-turn and overlaps
//!   it by at least `interruption_min_overlap_s` (a shorter overlap is a quick hand-over);
//! - a **pause** is a silence inside one turn, `pause_min_s` ≤ length < `turn_bridge_s`;
//! - **response latency** is the gap from the end of one turn to the start of the other
//!   speaker's next turn (negative when they overlap), credited to the one who responds;
//! - **dead air** is a stretch of at least `dead_air_min_s` where neither speaks, between the
//!   first and last speech (leading and trailing silence are reported separately).
//!
//! Speakers are indices: 0 = agent, 1 = customer. Must not: look at words or audio.

pub use crate::config::TurnConfig;
use crate::timeline::{Interval, gaps, smooth, union};

/// One speaker holding the floor.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub speaker: usize,
    pub start_s: f64,
    pub end_s: f64,
    /// The speech intervals the turn is made of.
    pub parts: Vec<Interval>,
}

impl Turn {
    pub fn len_s(&self) -> f64 {
        self.end_s - self.start_s
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Interruption {
    pub by: usize,
    pub at_s: f64,
    pub overlap_s: f64,
}

/// Everything turn-taking yields for one call.
#[derive(Debug, Clone, Default)]
pub struct TurnTaking {
    pub turns: Vec<Turn>,
    pub backchannels: [Vec<Interval>; 2],
    pub interruptions: Vec<Interruption>,
    /// Pauses inside each speaker's turns.
    pub pauses: [Vec<f64>; 2],
    /// Latencies of the turns each speaker took in response to the other.
    pub latencies: [Vec<f64>; 2],
    pub dead_air: Vec<Interval>,
    pub leading_silence_s: f64,
    pub trailing_silence_s: f64,
    pub longest_silence_s: f64,
}

/// Analyzes the turn-taking of a two-speaker call.
pub fn analyze(speech: [&[Interval]; 2], duration_s: f64, cfg: &TurnConfig) -> TurnTaking {
    let backchannels = [0, 1].map(|x| find_backchannels(speech[x], speech[1 - x], cfg));
    let main = [0, 1].map(|x| {
        speech[x].iter().filter(|u| !backchannels[x].contains(u)).copied().collect::<Vec<_>>()
    });
    let turns = build_turns(&main, cfg.turn_bridge_s);
    let interruptions = find_interruptions(&turns, cfg.interruption_min_overlap_s);
    let pauses = [0, 1].map(|s| pauses_of(&turns, s, cfg.pause_min_s));
    let latencies = [0, 1].map(|s| latencies_of(&turns, s));
    let mut out =
        TurnTaking { turns, backchannels, interruptions, pauses, latencies, ..Default::default() };
    silences(&mut out, &union(speech[0], speech[1]), duration_s, cfg.dead_air_min_s);
    out
}

/// Short runs of `own` speech (own silences under the turn bridge joined, so "Wait, … is it
/// free?" is one run) that lie inside a run of the other speaker.
fn find_backchannels(own: &[Interval], other: &[Interval], cfg: &TurnConfig) -> Vec<Interval> {
    let other_runs = smooth(other, cfg.turn_bridge_s, 0.0);
    let short_runs: Vec<Interval> = smooth(own, cfg.turn_bridge_s, 0.0)
        .into_iter()
        .filter(|r| r.len_s() < cfg.backchannel_max_s)
        .filter(|r| other_runs.iter().any(|t| t.start_s < r.start_s && t.end_s > r.end_s))
        .collect();
    own.iter()
        .filter(|u| short_runs.iter().any(|r| r.start_s <= u.start_s && u.end_s <= r.end_s))
        .copied()
        .collect()
}

fn build_turns(main: &[Vec<Interval>; 2], bridge_s: f64) -> Vec<Turn> {
    let mut utterances: Vec<(usize, Interval)> =
        (0..2).flat_map(|s| main[s].iter().map(move |u| (s, *u))).collect();
    utterances.sort_by(|a, b| a.1.start_s.total_cmp(&b.1.start_s));
    let mut turns: Vec<Turn> = Vec::new();
    let mut last_of: [Option<usize>; 2] = [None, None];
    for (s, u) in utterances {
        let continues = last_of[s].is_some_and(|i| {
            let turn = &turns[i];
            let floor_taken = last_of[1 - s].is_some_and(|j| turns[j].start_s > turn.start_s);
            u.start_s - turn.end_s < bridge_s && !floor_taken
        });
        match last_of[s] {
            Some(i) if continues => {
                turns[i].end_s = turns[i].end_s.max(u.end_s);
                turns[i].parts.push(u);
            }
            _ => {
                last_of[s] = Some(turns.len());
                turns.push(Turn { speaker: s, start_s: u.start_s, end_s: u.end_s, parts: vec![u] });
            }
        }
    }
    turns
}

fn find_interruptions(turns: &[Turn], min_overlap_s: f64) -> Vec<Interruption> {
    turns
        .iter()
        .filter_map(|t| {
            let held = turns
                .iter()
                .filter(|o| o.speaker != t.speaker && o.start_s < t.start_s && o.end_s > t.start_s)
                .map(|o| o.end_s.min(t.end_s) - t.start_s)
                .fold(0.0, f64::max);
            (held >= min_overlap_s).then_some(Interruption {
                by: t.speaker,
                at_s: t.start_s,
                overlap_s: held,
            })
        })
        .collect()
}

fn pauses_of(turns: &[Turn], speaker: usize, min_s: f64) -> Vec<f64> {
    turns
        .iter()
        .filter(|t| t.speaker == speaker)
        .flat_map(|t| t.parts.windows(2).map(|w| w[1].start_s - w[0].end_s))
        .filter(|&gap| gap >= min_s)
        .collect()
}

fn latencies_of(turns: &[Turn], speaker: usize) -> Vec<f64> {
    turns
        .windows(2)
        .filter(|w| w[1].speaker == speaker && w[0].speaker != speaker)
        .map(|w| w[1].start_s - w[0].end_s)
        .collect()
}

fn silences(out: &mut TurnTaking, speech: &[Interval], duration_s: f64, dead_air_min_s: f64) {
    let all = gaps(speech, duration_s);
    out.longest_silence_s = all.iter().map(Interval::len_s).fold(0.0, f64::max);
    let (Some(first), Some(last)) = (speech.first(), speech.last()) else {
        out.leading_silence_s = duration_s;
        return;
    };
    out.leading_silence_s = first.start_s;
    out.trailing_silence_s = (duration_s - last.end_s).max(0.0);
    out.dead_air = all
        .into_iter()
        .filter(|g| {
            g.start_s >= first.end_s && g.end_s <= last.start_s && g.len_s() >= dead_air_min_s
        })
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(a: f64, b: f64) -> Interval {
        Interval::new(a, b)
    }

    fn run(agent: &[Interval], customer: &[Interval], duration_s: f64) -> TurnTaking {
        analyze([agent, customer], duration_s, &TurnConfig::default())
    }

    #[test]
    fn own_short_silences_are_bridged_and_the_floor_change_ends_a_turn() {
        let agent = [iv(0.0, 2.0), iv(2.5, 4.0), iv(8.0, 9.0)];
        let customer = [iv(4.5, 7.0)];
        let t = run(&agent, &customer, 10.0);
        let spans: Vec<_> = t.turns.iter().map(|t| (t.speaker, t.start_s, t.end_s)).collect();
        assert_eq!(spans, [(0, 0.0, 4.0), (1, 4.5, 7.0), (0, 8.0, 9.0)]);
        assert_eq!(t.pauses[0], [0.5]);
        assert_eq!(t.latencies[1], [0.5]);
        assert_eq!(t.latencies[0], [1.0]);
        assert!(t.interruptions.is_empty());
    }

    #[test]
    fn a_backchannel_is_neither_a_turn_nor_an_interruption() {
        let agent = [iv(0.0, 3.0), iv(3.4, 6.0)];
        let customer = [iv(2.0, 2.4), iv(7.0, 9.0)];
        let t = run(&agent, &customer, 10.0);
        assert_eq!(t.backchannels[1], [iv(2.0, 2.4)]);
        assert_eq!(t.turns.len(), 2, "{:?}", t.turns);
        assert!(t.interruptions.is_empty());
    }

    #[test]
    fn a_short_word_that_starts_a_longer_interruption_is_no_backchannel() {
        // "Wait," (0.6 s) then, after a 0.4 s pause, the rest of the interruption.
        let agent = [iv(0.0, 6.0)];
        let customer = [iv(4.0, 4.6), iv(5.0, 7.5)];
        let t = run(&agent, &customer, 8.0);
        assert!(t.backchannels[1].is_empty(), "{:?}", t.backchannels[1]);
        assert_eq!(t.interruptions.len(), 1);
        assert_eq!(t.interruptions[0].at_s, 4.0);
    }

    #[test]
    fn an_interruption_records_who_when_and_how_long() {
        let agent = [iv(0.0, 5.0)];
        let customer = [iv(3.8, 7.0)];
        let t = run(&agent, &customer, 8.0);
        assert_eq!(t.interruptions.len(), 1);
        let i = &t.interruptions[0];
        assert_eq!((i.by, i.at_s), (1, 3.8));
        assert!((i.overlap_s - 1.2).abs() < 1e-9);
        assert!((t.latencies[1][0] + 1.2).abs() < 1e-9, "negative latency when overlapping");
        // A 0.1 s overlap at a hand-over is not an interruption.
        let t = run(&[iv(0.0, 5.0)], &[iv(4.9, 7.0)], 8.0);
        assert!(t.interruptions.is_empty());
    }

    #[test]
    fn overlap_at_the_very_start_is_no_interruption() {
        let t = run(&[iv(0.0, 3.0)], &[iv(0.0, 2.0)], 4.0);
        assert!(t.interruptions.is_empty(), "{:?}", t.interruptions);
        assert_eq!(t.turns.len(), 2);
    }

    #[test]
    fn dead_air_excludes_leading_and_trailing_silence() {
        let t = run(&[iv(3.0, 5.0), iv(9.0, 10.0)], &[iv(5.5, 6.0), iv(12.5, 13.0)], 20.0);
        assert_eq!(t.dead_air, [iv(6.0, 9.0), iv(10.0, 12.5)]);
        assert_eq!(
            (t.leading_silence_s, t.trailing_silence_s, t.longest_silence_s),
            (3.0, 7.0, 7.0)
        );
    }

    #[test]
    fn one_sided_and_silent_calls() {
        let t = run(&[iv(1.0, 4.0), iv(4.5, 6.0)], &[], 8.0);
        assert_eq!(t.turns.len(), 1);
        assert!(t.latencies[0].is_empty() && t.latencies[1].is_empty());
        let t = run(&[], &[], 5.0);
        assert!(t.turns.is_empty() && t.dead_air.is_empty());
        assert_eq!((t.leading_silence_s, t.longest_silence_s), (5.0, 5.0));
    }
}
