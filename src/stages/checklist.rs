//! The checklist and the quality index.
//!
//! Takes: the stages and objections found, the call's figures and outcome. Gives: each item
//! passed / failed / not applicable with its evidence, the weighted share passed, and the
//! quality index 0–100 with its components. Must not: match text itself beyond the rule's own
//! phrases.

use super::outcomes::Outcome;
use super::script::{ChecklistItem, Metric, Rule, ScoreConfig, Script, Weights};
use super::{Facts, ObjectionOut, Said, StagesOut, first_hit};
use schemars::JsonSchema;
use serde::Serialize;

/// `checklist` in the call JSON.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ChecklistOut {
    pub items: Vec<ItemOut>,
    /// Weighted share of applicable items passed (0–1); `null` when none applies.
    pub share: Option<f64>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ItemOut {
    /// The item's id in the script.
    pub id: String,
    /// The item's title in the script.
    pub title: String,
    /// Its weight in the checklist share.
    pub weight: f64,
    /// `null` when the item does not apply (no objections raised; a figure unknown in mono).
    pub passed: Option<bool>,
    /// What decided the item: the words and time, or the figure; `null` when nothing was found.
    pub evidence: Option<Evidence>,
}

/// Why an item passed (or, for figures, the value that failed it).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Evidence {
    /// When the evidence was heard; `null` for a figure.
    pub at_s: Option<f64>,
    /// The words heard, or a description of the figure.
    pub text: String,
    /// The figure the item tested; `null` for words.
    pub value: Option<f64>,
}

/// What the checklist rules look at.
pub(super) struct Found<'a> {
    pub script: &'a Script,
    pub stages: &'a StagesOut,
    pub objections: &'a [ObjectionOut],
    pub said: &'a [Said<'a>],
    pub facts: &'a Facts,
    pub lang: Option<&'a str>,
}

pub(super) fn evaluate(found: &Found) -> ChecklistOut {
    let items: Vec<ItemOut> = found
        .script
        .checklist
        .iter()
        .map(|item| {
            let (passed, evidence) = check(item, found);
            ItemOut {
                id: item.id.clone(),
                title: item.title.clone(),
                weight: item.weight,
                passed,
                evidence,
            }
        })
        .collect();
    let applicable: f64 = items.iter().filter(|i| i.passed.is_some()).map(|i| i.weight).sum();
    let passed: f64 = items.iter().filter(|i| i.passed == Some(true)).map(|i| i.weight).sum();
    let share = (applicable > 0.0).then(|| passed / applicable);
    ChecklistOut { items, share }
}

fn check(item: &ChecklistItem, found: &Found) -> (Option<bool>, Option<Evidence>) {
    let Found { script, stages, objections, said, facts, lang } = *found;
    match &item.rule {
        Rule::Stage(i) => {
            let id = &script.stages[*i].id;
            let hit = stages.hits.iter().find(|h| &h.stage == id);
            let evidence =
                hit.map(|h| Evidence { at_s: Some(h.start_s), text: h.text.clone(), value: None });
            (Some(hit.is_some()), evidence)
        }
        Rule::Phrase { speaker, phrases, within_s } => {
            let hit = first_hit(said, phrases, *speaker, script, lang)
                .filter(|h| within_s.is_none_or(|w| h.start_s <= w));
            let evidence = hit.as_ref().map(|h| Evidence {
                at_s: Some(h.start_s),
                text: h.text.clone(),
                value: None,
            });
            (Some(hit.is_some()), evidence)
        }
        Rule::Metric { metric, min, max } => {
            let (value, name) = match metric {
                Metric::AgentShareOfSpeech => {
                    (facts.agent_share_of_speech, "agent_share_of_speech")
                }
                Metric::AgentQuestions => {
                    (facts.agent_questions.map(|q| q as f64), "agent_questions")
                }
                Metric::AgentLongestMonologueS => {
                    (facts.agent_longest_monologue_s, "agent_longest_monologue_s")
                }
            };
            let Some(v) = value else { return (None, None) };
            let ok = min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m);
            (Some(ok), Some(Evidence { at_s: None, text: name.into(), value: Some(v) }))
        }
        Rule::ObjectionsHandled => {
            if objections.is_empty() {
                return (None, None);
            }
            let missed = objections.iter().find(|o| !o.handled);
            let shown = missed.unwrap_or(&objections[0]);
            let handled = objections.iter().filter(|o| o.handled).count();
            let text = format!(
                "{handled} of {} handled; {}: {:?}",
                objections.len(),
                shown.category,
                shown.text
            );
            (Some(missed.is_none()), Some(Evidence { at_s: Some(shown.at_s), text, value: None }))
        }
    }
}

/// One part of the quality index.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Component {
    /// The component's weight in the index (script `[score.weights]`).
    pub weight: f64,
    /// 0–1; `null` when the call has no data for it (the index then leaves it out).
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Components {
    pub checklist: Component,
    pub rule_60_40: Component,
    pub questions: Component,
    pub objections: Component,
    pub conversion: Component,
    pub deal: Component,
}

/// `score` in the call JSON.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScoreOut {
    /// 0–100: Σ weight × value / Σ weight over the components with a value; `null` if none has.
    pub quality_index: Option<f64>,
    pub components: Components,
}

pub(super) fn score(
    cfg: &ScoreConfig,
    checklist: &ChecklistOut,
    objections: &[ObjectionOut],
    facts: &Facts,
    outcome: Option<&Outcome>,
) -> ScoreOut {
    let Weights {
        checklist: wc,
        rule_60_40: wr,
        questions: wq,
        objections: wo,
        conversion: wv,
        deal: wd,
    } = cfg.weights;
    let adherence = facts.agent_share_of_speech.map(|s| {
        let span = cfg.agent_share_zero_at - cfg.agent_share_target;
        ((cfg.agent_share_zero_at - s) / span).clamp(0.0, 1.0)
    });
    let questions = facts.agent_questions.map(|q| (q as f64 / cfg.questions_target).min(1.0));
    let handled = (!objections.is_empty())
        .then(|| objections.iter().filter(|o| o.handled).count() as f64 / objections.len() as f64);
    let won = outcome.and_then(|o| o.won);
    let deal = match (won, outcome.and_then(|o| o.amount)) {
        (Some(false), _) => Some(0.0),
        (Some(true), Some(a)) => Some((a / cfg.deal_target).min(1.0)),
        _ => None,
    };
    let c = |weight: f64, value: Option<f64>| Component { weight, value };
    let components = Components {
        checklist: c(wc, checklist.share),
        rule_60_40: c(wr, adherence),
        questions: c(wq, questions),
        objections: c(wo, handled),
        conversion: c(wv, won.map(|w| if w { 1.0 } else { 0.0 })),
        deal: c(wd, deal),
    };
    let all = [
        &components.checklist,
        &components.rule_60_40,
        &components.questions,
        &components.objections,
        &components.conversion,
        &components.deal,
    ];
    let (mut num, mut den) = (0.0, 0.0);
    for comp in all {
        if let Some(v) = comp.value {
            num += comp.weight * v;
            den += comp.weight;
        }
    }
    let quality_index = (den > 0.0).then(|| (1000.0 * num / den).round() / 10.0);
    ScoreOut { quality_index, components }
}
