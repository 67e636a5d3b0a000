//! Stages: the sales script applied to a transcribed call — stages reached, checklist,
//! objections and a quality index.
//!
//! Takes: a compiled [`Script`], the call's segments (speaker, time, text, optional word times),
//! a few call figures ([`Facts`]) and, if known, the call's [`Outcome`]. Gives: a
//! [`ScriptResult`], the `stages` / `checklist` / `objections` / `score` parts of the call JSON.
//! Must not: transcribe, read audio, or know whether the segments came from callgauge's own ASR
//! or another one (`callgauge score` feeds it stored transcripts).

pub mod checklist;
pub mod funnel;
pub mod matcher;
pub mod outcomes;
pub mod script;

pub use checklist::{ChecklistOut, ItemOut, ScoreOut};
pub use funnel::{CallView, Funnel};
pub use outcomes::{Outcome, OutcomeOut};
pub use script::{Script, ScriptError, ScriptInfo};

use crate::text::{self, tokens};
use crate::transcript::{Role, Utterance};
use matcher::Phrase;
use schemars::JsonSchema;
use script::{Phrases, SpeakerRule};
use serde::Serialize;

/// Call figures the checklist and the score use; `None` when unknown (mono, other ASR).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub language: Option<String>,
    pub agent_share_of_speech: Option<f64>,
    pub agent_questions: Option<usize>,
    pub agent_longest_monologue_s: Option<f64>,
}

/// One phrase found in the call.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Hit {
    /// The stage id (in `stages.hits`) or objection category (in `objections`).
    pub stage: String,
    /// The script phrase that matched, as written in the script.
    pub phrase: String,
    /// The words of the call that matched it, first to last.
    pub text: String,
    pub speaker: Role,
    /// When the first matched word starts (the segment's start when there are no word times).
    pub start_s: f64,
}

/// `stages` in the call JSON.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StagesOut {
    /// Stage ids reached, in script order.
    pub reached: Vec<String>,
    /// When each reached stage was first heard, in script order.
    pub first_reached_s: Vec<StageTime>,
    /// The furthest stage reached in script order: where the call dropped out of the funnel.
    pub last: Option<String>,
    pub order_violations: Vec<OrderViolation>,
    /// One hit per stage and segment, in call order.
    pub hits: Vec<Hit>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StageTime {
    /// The stage id.
    pub stage: String,
    /// When it was first heard.
    pub at_s: f64,
}

/// A stage heard before the required stage that should precede it ("presentation before any
/// needs discovery").
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OrderViolation {
    /// The stage heard too early.
    pub stage: String,
    /// The preceding required stage that had not been heard yet (or never was).
    pub before: String,
    /// When it was heard.
    pub at_s: f64,
}

/// An objection the customer raised.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ObjectionOut {
    /// The objection category's id in the script.
    pub category: String,
    /// The script phrase the customer's words matched.
    pub phrase: String,
    /// When the customer raised it.
    pub at_s: f64,
    /// The customer's words that matched.
    pub text: String,
    /// The agent said a handling phrase within the script's `handle_within_s`.
    pub handled: bool,
    /// When the handling phrase started, if handled.
    pub handled_at_s: Option<f64>,
    /// From the end of the customer's utterance to the agent's next utterance (negative when
    /// the agent started over the customer); `null` if the agent never spoke again.
    pub agent_pause_s: Option<f64>,
}

/// Everything the script says about one call.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScriptResult {
    pub script: ScriptInfo,
    pub stages: StagesOut,
    pub checklist: ChecklistOut,
    pub objections: Vec<ObjectionOut>,
    pub score: ScoreOut,
}

/// A segment's words, each with the time it starts and its position among the segment's words.
struct Said<'a> {
    seg: &'a Utterance,
    tokens: Vec<text::Token>,
    /// For each token: (start_s, display text of its source word).
    at: Vec<(f64, String)>,
}

impl<'a> Said<'a> {
    fn new(seg: &'a Utterance) -> Self {
        let mut toks = Vec::new();
        let mut at = Vec::new();
        if seg.words.is_empty() {
            for t in tokens(&seg.text) {
                at.push((seg.start_s, t.word.clone()));
                toks.push(t);
            }
        } else {
            for w in &seg.words {
                for t in tokens(&w.text) {
                    at.push((w.start_s, w.text.trim().to_string()));
                    toks.push(t);
                }
            }
        }
        Said { seg, tokens: toks, at }
    }

    fn speaks_for(&self, rule: SpeakerRule) -> bool {
        match (rule, self.seg.speaker) {
            (SpeakerRule::Any, _) | (_, Role::Unknown) => true,
            (SpeakerRule::Agent, r) => r == Role::Agent,
            (SpeakerRule::Customer, r) => r == Role::Customer,
        }
    }

    /// The first of `phrases` heard here, as a hit labelled `label`.
    fn find(&self, label: &str, phrases: &[&Phrase], script: &Script) -> Option<Hit> {
        phrases.iter().find_map(|p| {
            let (a, b) = p.find(&self.tokens, &script.matching)?;
            let mut text: Vec<&str> = Vec::new();
            for (_, w) in &self.at[a..=b] {
                if text.last() != Some(&w.as_str()) {
                    text.push(w);
                }
            }
            Some(Hit {
                stage: label.to_string(),
                phrase: p.text.clone(),
                text: text.join(" "),
                speaker: self.seg.speaker,
                start_s: self.at[a].0,
            })
        })
    }
}

/// Applies `script` to a call.
pub fn evaluate(
    script: &Script,
    segments: &[Utterance],
    facts: &Facts,
    outcome: Option<&Outcome>,
) -> ScriptResult {
    let said: Vec<Said> = segments.iter().map(Said::new).collect();
    let lang = facts.language.as_deref();
    let stages = find_stages(script, &said, lang);
    let objections = find_objections(script, &said, lang);
    let checklist = checklist::evaluate(&checklist::Found {
        script,
        stages: &stages,
        objections: &objections,
        said: &said,
        facts,
        lang,
    });
    let score = checklist::score(&script.score, &checklist, &objections, facts, outcome);
    ScriptResult { script: script.info(), stages, checklist, objections, score }
}

/// Finds the first phrase of `phrases` said by `speaker`, in call order (labelled "").
fn first_hit<'a>(
    said: impl IntoIterator<Item = &'a Said<'a>>,
    phrases: &Phrases,
    speaker: SpeakerRule,
    script: &Script,
    lang: Option<&str>,
) -> Option<Hit> {
    let list = phrases.for_language(lang);
    said.into_iter().filter(|s| s.speaks_for(speaker)).find_map(|s| s.find("", &list, script))
}

fn find_stages(script: &Script, said: &[Said], lang: Option<&str>) -> StagesOut {
    let mut hits = Vec::new();
    for s in said {
        for stage in &script.stages {
            if !s.speaks_for(stage.speaker) {
                continue;
            }
            hits.extend(s.find(&stage.id, &stage.phrases.for_language(lang), script));
        }
    }
    hits.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    let first = |id: &str| hits.iter().find(|h| h.stage == id).map(|h| h.start_s);
    let times: Vec<Option<f64>> = script.stages.iter().map(|s| first(&s.id)).collect();
    let mut order_violations = Vec::new();
    for (i, stage) in script.stages.iter().enumerate() {
        let Some(at) = times[i] else { continue };
        // The nearest earlier stage that is not optional must have been heard before this one.
        let before = (0..i).rev().find(|&j| !script.stages[j].optional);
        if let Some(j) = before.filter(|&j| times[j].is_none_or(|t| t > at)) {
            order_violations.push(OrderViolation {
                stage: stage.id.clone(),
                before: script.stages[j].id.clone(),
                at_s: at,
            });
        }
    }
    let reached: Vec<usize> = (0..script.stages.len()).filter(|&i| times[i].is_some()).collect();
    StagesOut {
        reached: reached.iter().map(|&i| script.stages[i].id.clone()).collect(),
        first_reached_s: reached
            .iter()
            .filter_map(|&i| {
                times[i].map(|at| StageTime { stage: script.stages[i].id.clone(), at_s: at })
            })
            .collect(),
        last: reached.last().map(|&i| script.stages[i].id.clone()),
        order_violations,
        hits,
    }
}

fn find_objections(script: &Script, said: &[Said], lang: Option<&str>) -> Vec<ObjectionOut> {
    let mut out = Vec::new();
    for s in said.iter().filter(|s| s.speaks_for(SpeakerRule::Customer)) {
        for cat in &script.objections {
            let Some(hit) = s.find(&cat.id, &cat.customer.for_language(lang), script) else {
                continue;
            };
            let at = hit.start_s;
            // Handled: a handling phrase from the agent from the objection on, within the window.
            let until = at + script.handle_within_s;
            let agent = said.iter().filter(|x| {
                x.seg.speaker != Role::Customer && x.seg.end_s >= at && x.seg.start_s <= until
            });
            let handled_at = [&cat.handling, &script.generic_handling]
                .iter()
                .filter_map(|ph| first_hit(agent.clone(), ph, SpeakerRule::Agent, script, lang))
                .map(|h| h.start_s)
                .filter(|t| (at..=until).contains(t))
                .min_by(f64::total_cmp);
            let next_agent = said
                .iter()
                .filter(|x| x.seg.speaker == Role::Agent && x.seg.start_s >= at)
                .map(|x| x.seg.start_s)
                .min_by(f64::total_cmp);
            out.push(ObjectionOut {
                category: hit.stage,
                phrase: hit.phrase,
                at_s: at,
                text: hit.text,
                handled: handled_at.is_some(),
                handled_at_s: handled_at,
                agent_pause_s: next_agent.map(|t| t - s.seg.end_s),
            });
        }
    }
    out.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    out
}

#[cfg(test)]
mod tests;
