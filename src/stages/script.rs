//! The sales script: a TOML file a QA lead edits (stages, checklist, objections, score weights),
//! parsed and checked into a [`Script`] with every phrase compiled once.
//!
//! Takes: the script's text and its path (for messages). Gives: a [`Script`], or a
//! [`ScriptError`] naming the file, the line and what is wrong. Must not: look at calls.

use super::examples::ExampleIndex;
use super::matcher::{MatchOptions, Phrase};
use super::model::StageModel;
use super::tone::ToneCues;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use toml::Spanned;

/// The script shipped with callgauge (generic B2B phone sale, Russian and English).
pub const DEFAULT_SCRIPT: &str = include_str!("../../scripts/default.toml");
/// How `--script` names the built-in script in messages and reports.
pub const DEFAULT_SCRIPT_PATH: &str = "<built-in scripts/default.toml>";
/// The stage model shipped with callgauge, named `model = "builtin"` in a script: trained by
/// `callgauge script train` on the tuning splits of `fixtures/utterances/` (its `trained_on`
/// names them; see that folder's README), for the stage ids greeting, needs_discovery,
/// presentation, objection_handling and closing.
pub const BUILTIN_MODEL: &str = include_str!("../../scripts/builtin.model.toml");

/// A script that could not be used: `<path>:<line>: <what is wrong>`.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ScriptError {
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// Who must say a phrase for it to count. Mono calls have no speakers, so there every
/// utterance counts for every rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpeakerRule {
    Agent,
    Customer,
    Any,
}

/// A call figure a checklist item can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// `rule_60_40.agent_share_of_speech` (0–1).
    AgentShareOfSpeech,
    /// `rule_60_40.agent_questions`.
    AgentQuestions,
    /// `speakers.agent.longest_monologue_s`.
    AgentLongestMonologueS,
}

/// Phrases per language code (`en`, `ru`, …), compiled.
#[derive(Debug, Clone, Default)]
pub struct Phrases(pub Vec<(String, Phrase)>);

impl Phrases {
    /// The phrases for `language`, or every phrase when the script has none in that language.
    pub fn for_language<'a>(&'a self, language: Option<&str>) -> Vec<&'a Phrase> {
        let known = language.is_some_and(|l| self.0.iter().any(|(lang, _)| lang == l));
        self.0
            .iter()
            .filter(|(lang, _)| !known || Some(lang.as_str()) == language)
            .map(|(_, p)| p)
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct StageDef {
    pub id: String,
    pub title: String,
    pub speaker: SpeakerRule,
    /// An optional stage (objection handling) need not come before the later ones.
    pub optional: bool,
    pub phrases: Phrases,
    /// Whole sentences from real calls, per language, matched by similarity.
    pub examples: Phrases,
    /// The stage counts only within this many seconds of the agent's first words.
    pub within_s: Option<f64>,
    /// Its phrases and examples count only within `handle_within_s` after an objection.
    pub after_objection: bool,
    /// Its hits count only once one of these earlier stages (indexes into `Script::stages`)
    /// has been heard in the call; empty: always.
    pub after_any: Vec<usize>,
}

#[derive(Debug, Clone)]
pub enum Rule {
    /// The stage (index into `Script::stages`) is reached.
    Stage(usize),
    /// One of the phrases is said by `speaker`, within the first `within_s` seconds if given.
    Phrase { speaker: SpeakerRule, phrases: Phrases, within_s: Option<f64> },
    /// A call figure lies within [min, max].
    Metric { metric: Metric, min: Option<f64>, max: Option<f64> },
    /// Every objection the customer raised was handled (not applicable when none was raised).
    ObjectionsHandled,
}

#[derive(Debug, Clone)]
pub struct ChecklistItem {
    pub id: String,
    pub title: String,
    pub weight: f64,
    pub rule: Rule,
}

#[derive(Debug, Clone)]
pub struct ObjectionCategory {
    pub id: String,
    pub title: String,
    /// What the customer says.
    pub customer: Phrases,
    /// What the agent says that handles this category (besides the generic handling phrases).
    pub handling: Phrases,
}

/// The components of the quality index and their weights (any non-negative numbers; the
/// index divides by the sum of the weights of the components a call has data for).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    pub checklist: f64,
    pub rule_60_40: f64,
    pub questions: f64,
    pub objections: f64,
    pub conversion: f64,
    pub deal: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            checklist: 25.0,
            rule_60_40: 10.0,
            questions: 5.0,
            objections: 10.0,
            conversion: 30.0,
            deal: 20.0,
        }
    }
}

/// The script's `[score]` table.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScoreConfig {
    pub weights: Weights,
    /// Agent share of speech at or below which 60/40 adherence is 1.
    pub agent_share_target: f64,
    /// Agent share at or above which adherence is 0 (linear in between).
    pub agent_share_zero_at: f64,
    /// Agent questions that score 1 (fewer score proportionally).
    pub questions_target: f64,
    /// Deal amount that scores 1 (smaller won deals score proportionally).
    pub deal_target: f64,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig {
            weights: Weights::default(),
            agent_share_target: 0.4,
            agent_share_zero_at: 0.7,
            questions_target: 4.0,
            deal_target: 1000.0,
        }
    }
}

/// A checked, compiled script.
#[derive(Debug, Clone)]
pub struct Script {
    pub name: String,
    /// Where it came from, as given to `--script`.
    pub path: String,
    /// sha256 of the file's bytes (followed by its model file's, if it names one), so a report
    /// says exactly which script scored it.
    pub sha256: String,
    pub matching: MatchOptions,
    /// The stage examples of every stage, per language.
    pub examples: BTreeMap<String, ExampleIndex>,
    /// The stage model, if the script names one, and how it named it.
    pub model: Option<(String, StageModel)>,
    /// In script order.
    pub stages: Vec<StageDef>,
    pub checklist: Vec<ChecklistItem>,
    /// An objection counts as handled when a handling phrase follows within this many seconds.
    pub handle_within_s: f64,
    pub generic_handling: Phrases,
    /// `[no_stage]`: an agent's line that holds one of these (accepting a refusal: "I'll take
    /// you off our list") and asks nothing is no stage, however else it is worded.
    pub no_stage: Phrases,
    /// `[no_stage] service_calls`: a call the customer opens and the agent answers with one of
    /// these (an apology: "I'm so sorry about that") is a service call, and no line of the
    /// agent's is a stage.
    pub service_calls: Phrases,
    pub objections: Vec<ObjectionCategory>,
    pub score: ScoreConfig,
    /// The weights of the per-agent composite index of `callgauge report`.
    pub team_index: TeamIndexWeights,
    /// The `[tone]` cues (the built-in script's when the script has no `[tone]` table).
    pub tone: ToneCues,
}

/// The script's `[team_index]` table: the KPIs of the per-agent composite index of the team
/// report and their weights (non-negative; the index divides by the sum of the weights of the
/// KPIs an agent has data for). The default is the common sales weighting: conversion 40 %,
/// average deal 30 %, checklist completion 30 %.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TeamIndexWeights {
    pub conversion: f64,
    pub average_deal: f64,
    pub checklist: f64,
    pub rule_60_40: f64,
    pub quality_index: f64,
}

impl Default for TeamIndexWeights {
    fn default() -> Self {
        TeamIndexWeights {
            conversion: 40.0,
            average_deal: 30.0,
            checklist: 30.0,
            rule_60_40: 0.0,
            quality_index: 0.0,
        }
    }
}

/// Which script scored a call: `script` in the call JSON.
#[derive(Debug, Clone, serde::Serialize, JsonSchema)]
pub struct ScriptInfo {
    /// The script's `name`.
    pub name: String,
    /// As given to `--script`, or `<built-in scripts/default.toml>`.
    pub path: String,
    /// sha256 of the script file's bytes, followed by its model file's when it names one.
    pub sha256: String,
    /// The stage model the script names (`builtin` or a path relative to the script), or
    /// `null` when stages come from phrases and examples alone.
    pub model: Option<String>,
}

impl Script {
    pub fn info(&self) -> ScriptInfo {
        ScriptInfo {
            name: self.name.clone(),
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            model: self.model.as_ref().map(|(name, _)| name.clone()),
        }
    }
}

type RawPhrases = BTreeMap<String, Vec<String>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScript {
    name: String,
    /// `builtin`, or a model file's path relative to the script.
    model: Option<Spanned<String>>,
    #[serde(default)]
    matching: MatchOptions,
    stages: Vec<RawStage>,
    #[serde(default)]
    checklist: Vec<RawItem>,
    #[serde(default)]
    objections: RawObjections,
    #[serde(default)]
    no_stage: RawNoStage,
    #[serde(default)]
    score: ScoreConfig,
    #[serde(default)]
    team_index: TeamIndexWeights,
    tone: Option<RawTone>,
}

/// `[no_stage]`: phrases per language of the agent's lines that are no stage.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNoStage {
    #[serde(default = "no_phrases")]
    phrases: Spanned<RawPhrases>,
    #[serde(default = "no_phrases")]
    service_calls: Spanned<RawPhrases>,
}

impl Default for RawNoStage {
    fn default() -> Self {
        RawNoStage { phrases: no_phrases(), service_calls: no_phrases() }
    }
}

/// `[tone]`: cue phrases per tone and language.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTone {
    #[serde(default = "no_phrases")]
    irritated: Spanned<RawPhrases>,
    #[serde(default = "no_phrases")]
    wary: Spanned<RawPhrases>,
    #[serde(default = "no_phrases")]
    interested: Spanned<RawPhrases>,
    #[serde(default = "no_phrases")]
    pressing: Spanned<RawPhrases>,
    #[serde(default = "no_phrases")]
    friendly: Spanned<RawPhrases>,
    #[serde(default)]
    wary_objections: Vec<Spanned<String>>,
}

/// The built-in script's `[tone]` table alone.
#[derive(Deserialize)]
struct ToneOnly {
    tone: RawTone,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    id: Spanned<String>,
    title: String,
    #[serde(default = "agent")]
    speaker: SpeakerRule,
    #[serde(default)]
    optional: bool,
    #[serde(default = "no_phrases")]
    phrases: Spanned<RawPhrases>,
    #[serde(default = "no_phrases")]
    examples: Spanned<RawPhrases>,
    within_s: Option<Spanned<f64>>,
    #[serde(default)]
    after_objection: bool,
    #[serde(default)]
    after_any: Vec<Spanned<String>>,
}

fn agent() -> SpeakerRule {
    SpeakerRule::Agent
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Spanned<String>,
    title: String,
    #[serde(default = "one")]
    weight: Spanned<f64>,
    rule: Spanned<RawRule>,
}

fn one() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum RawRule {
    Stage { stage: String },
    Phrase { speaker: SpeakerRule, phrases: RawPhrases, within_s: Option<f64> },
    Metric { metric: Metric, min: Option<f64>, max: Option<f64> },
    ObjectionsHandled {},
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObjections {
    #[serde(default = "twenty")]
    handle_within_s: f64,
    #[serde(default = "no_phrases")]
    handling: Spanned<RawPhrases>,
    #[serde(default)]
    categories: Vec<RawCategory>,
}

impl Default for RawObjections {
    fn default() -> Self {
        RawObjections { handle_within_s: twenty(), handling: no_phrases(), categories: Vec::new() }
    }
}

fn twenty() -> f64 {
    20.0
}

fn no_phrases() -> Spanned<RawPhrases> {
    Spanned::new(0..0, RawPhrases::new())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: Spanned<String>,
    title: String,
    customer: Spanned<RawPhrases>,
    #[serde(default = "no_phrases")]
    handling: Spanned<RawPhrases>,
}

/// Reads and checks a script; `text` is the file's content and `path` names it in errors.
pub fn parse(text: &str, path: &str) -> Result<Script, ScriptError> {
    let p = Parser { text, path };
    let raw: RawScript = toml::from_str(text).map_err(|e| {
        let line = e.span().and_then(|span| p.line_of(span));
        p.fail(line, e.message().trim().to_string())
    })?;
    let stages = p.stages(&raw.stages)?;
    let checklist = p.checklist(&raw.checklist, &stages)?;
    let objections = p.objections(&raw.objections.categories)?;
    let known = |id: &str| objections.iter().any(|c| c.id == id);
    let tone = match &raw.tone {
        Some(t) => {
            let tone = p.tone(t)?;
            if let Some(id) = t.wary_objections.iter().find(|id| !known(id.get_ref())) {
                let message = format!(
                    "tone.wary_objections: {:?} is not an objection category of this script",
                    id.get_ref()
                );
                return Err(p.fail(p.line_of(id.span()), message));
            }
            tone
        }
        None => {
            let builtin = Parser { text: DEFAULT_SCRIPT, path: DEFAULT_SCRIPT_PATH };
            let only: ToneOnly = toml::from_str(DEFAULT_SCRIPT)
                .map_err(|e| builtin.fail(None, e.message().trim().to_string()))?;
            // The built-in categories this script also has.
            let mut tone = builtin.tone(&only.tone)?;
            tone.wary_objections.retain(|id| known(id));
            tone
        }
    };
    check_numbers(&raw, &|line, message| p.fail(line, message))?;
    let mut hashed = text.as_bytes().to_vec();
    let model = match &raw.model {
        Some(name) => {
            let (model_text, model) = p.model(name, &stages)?;
            hashed.extend_from_slice(model_text.as_bytes());
            Some((name.get_ref().clone(), model))
        }
        None => None,
    };
    let mut by_lang: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for (i, stage) in stages.iter().enumerate() {
        for (lang, ex) in &stage.examples.0 {
            by_lang.entry(lang.clone()).or_default().push((i, ex.text.clone()));
        }
    }
    Ok(Script {
        name: raw.name.clone(),
        path: path.into(),
        sha256: crate::hash::bytes_sha256(&hashed),
        matching: raw.matching,
        examples: by_lang.into_iter().map(|(l, ex)| (l, ExampleIndex::new(&ex))).collect(),
        model,
        stages,
        checklist,
        handle_within_s: raw.objections.handle_within_s,
        generic_handling: p.compile(&raw.objections.handling, "objections")?,
        no_stage: p.compile(&raw.no_stage.phrases, "no_stage")?,
        service_calls: p.compile(&raw.no_stage.service_calls, "no_stage.service_calls")?,
        objections,
        score: raw.score,
        team_index: raw.team_index,
        tone,
    })
}

/// The script being parsed: its text (for line numbers) and its path (for messages).
struct Parser<'a> {
    text: &'a str,
    path: &'a str,
}

impl Parser<'_> {
    fn fail(&self, line: Option<usize>, message: String) -> ScriptError {
        ScriptError { path: self.path.into(), line, message }
    }

    /// The 1-based line a byte span of the text starts on.
    fn line_of(&self, span: std::ops::Range<usize>) -> Option<usize> {
        Some(self.text[..span.start.min(self.text.len())].matches('\n').count() + 1)
    }

    /// Compiles phrases per language; `what` names their owner in errors.
    fn compile(&self, p: &Spanned<RawPhrases>, what: &str) -> Result<Phrases, ScriptError> {
        let mut out = Vec::new();
        for (lang, list) in p.get_ref() {
            // Regression: `phrases.eng` was accepted and its phrases applied to every language.
            if !(lang.len() == 2 && lang.bytes().all(|b| b.is_ascii_lowercase())) {
                let message = format!(
                    "{what}: language {lang:?} is not an ISO 639-1 code (two letters, e.g. en, ru)"
                );
                return Err(self.fail(self.line_of(p.span()), message));
            }
            for text in list {
                let phrase = Phrase::new(text).ok_or_else(|| {
                    let message = format!("{what}: phrase {text:?} ({lang}) has no words");
                    self.fail(self.line_of(p.span()), message)
                })?;
                out.push((lang.clone(), phrase));
            }
        }
        Ok(Phrases(out))
    }

    fn tone(&self, t: &RawTone) -> Result<ToneCues, ScriptError> {
        Ok(ToneCues {
            irritated: self.compile(&t.irritated, "tone.irritated")?,
            wary: self.compile(&t.wary, "tone.wary")?,
            interested: self.compile(&t.interested, "tone.interested")?,
            pressing: self.compile(&t.pressing, "tone.pressing")?,
            friendly: self.compile(&t.friendly, "tone.friendly")?,
            wary_objections: t.wary_objections.iter().map(|id| id.get_ref().clone()).collect(),
        })
    }

    fn stages(&self, raw: &[RawStage]) -> Result<Vec<StageDef>, ScriptError> {
        let mut ids = HashSet::new();
        let mut stages = Vec::new();
        for s in raw {
            let id = s.id.get_ref();
            if !ids.insert(id.clone()) {
                return Err(
                    self.fail(self.line_of(s.id.span()), format!("stage id {id:?} is used twice"))
                );
            }
            let phrases = self.compile(&s.phrases, &format!("stage {id:?}"))?;
            let examples = self.compile(&s.examples, &format!("stage {id:?} examples"))?;
            if phrases.0.is_empty() && examples.0.is_empty() {
                let line = self.line_of(s.id.span());
                return Err(self.fail(line, format!("stage {id:?} has no phrases and no examples")));
            }
            if let Some(w) = &s.within_s
                && !(w.get_ref().is_finite() && *w.get_ref() > 0.0)
            {
                let message = format!("stage {id:?}: within_s must be a number of seconds > 0");
                return Err(self.fail(self.line_of(w.span()), message));
            }
            let mut after_any = Vec::new();
            for name in &s.after_any {
                let Some(k) = stages.iter().position(|st: &StageDef| st.id == *name.get_ref())
                else {
                    let message = format!(
                        "stage {id:?}: after_any names {:?}, which is not a stage before it",
                        name.get_ref()
                    );
                    return Err(self.fail(self.line_of(name.span()), message));
                };
                after_any.push(k);
            }
            stages.push(StageDef {
                id: id.clone(),
                title: s.title.clone(),
                speaker: s.speaker,
                optional: s.optional,
                phrases,
                examples,
                within_s: s.within_s.as_ref().map(|w| *w.get_ref()),
                after_objection: s.after_objection,
                after_any,
            });
        }
        if stages.is_empty() {
            return Err(self.fail(None, "the script has no [[stages]]".into()));
        }
        Ok(stages)
    }

    /// Reads the model a script names: `builtin`, or a file relative to the script's folder.
    /// Its stages must be stages of the script.
    fn model(
        &self,
        name: &Spanned<String>,
        stages: &[StageDef],
    ) -> Result<(String, StageModel), ScriptError> {
        let line = self.line_of(name.span());
        let text = if name.get_ref() == "builtin" {
            BUILTIN_MODEL.to_string()
        } else {
            let dir = std::path::Path::new(self.path).parent().unwrap_or(std::path::Path::new(""));
            let file = dir.join(name.get_ref());
            std::fs::read_to_string(&file).map_err(|e| {
                self.fail(line, format!("model {}: cannot read: {e}", file.display()))
            })?
        };
        let model = StageModel::parse(&text, &format!("model {:?}", name.get_ref()))
            .map_err(|e| self.fail(line, e))?;
        let tones = model.customer_tone.iter().flat_map(|h| h.classes.iter().skip(1));
        if let Some(c) = tones.clone().find(|c| !["interested", "wary"].contains(&c.as_str())) {
            let message = format!(
                "model {:?}: tone {c:?} is not one of neutral, interested, wary",
                name.get_ref()
            );
            return Err(self.fail(line, message));
        }
        let mut stage_ids = model.stages.classes.iter().skip(1);
        if let Some(c) = stage_ids.find(|c| !stages.iter().any(|s| &s.id == *c)) {
            let message = format!(
                "model {:?} names stage {c:?}, which this script does not have (retrain it with \
                 `callgauge script train`, or remove the `model` line)",
                name.get_ref()
            );
            return Err(self.fail(line, message));
        }
        Ok((text, model))
    }

    fn checklist(
        &self,
        raw: &[RawItem],
        stages: &[StageDef],
    ) -> Result<Vec<ChecklistItem>, ScriptError> {
        let mut checklist = Vec::new();
        let mut ids = HashSet::new();
        for item in raw {
            let id = item.id.get_ref();
            let line = self.line_of(item.id.span());
            if !ids.insert(id.clone()) {
                return Err(self.fail(line, format!("checklist id {id:?} is used twice")));
            }
            let w = *item.weight.get_ref();
            if !(w.is_finite() && w >= 0.0) {
                let message = format!("checklist {id:?}: weight {w} must be a number ≥ 0");
                return Err(self.fail(self.line_of(item.weight.span()).or(line), message));
            }
            let rule = self.rule(id, &item.rule, stages)?;
            checklist.push(ChecklistItem {
                id: id.clone(),
                title: item.title.clone(),
                weight: w,
                rule,
            });
        }
        Ok(checklist)
    }

    fn rule(
        &self,
        id: &str,
        raw: &Spanned<RawRule>,
        stages: &[StageDef],
    ) -> Result<Rule, ScriptError> {
        let line = self.line_of(raw.span());
        Ok(match raw.get_ref() {
            RawRule::Stage { stage } => {
                Rule::Stage(stages.iter().position(|s| &s.id == stage).ok_or_else(|| {
                    self.fail(line, format!("checklist {id:?}: no stage {stage:?} in [[stages]]"))
                })?)
            }
            RawRule::Phrase { speaker, phrases, within_s } => {
                let spanned = Spanned::new(raw.span(), phrases.clone());
                let phrases = self.compile(&spanned, &format!("checklist {id:?}"))?;
                if phrases.0.is_empty() {
                    return Err(self.fail(line, format!("checklist {id:?}: no phrases")));
                }
                Rule::Phrase { speaker: *speaker, phrases, within_s: *within_s }
            }
            RawRule::Metric { metric, min, max } => {
                if min.is_none() && max.is_none() {
                    let message = format!("checklist {id:?}: a metric rule needs min, max or both");
                    return Err(self.fail(line, message));
                }
                Rule::Metric { metric: *metric, min: *min, max: *max }
            }
            RawRule::ObjectionsHandled {} => Rule::ObjectionsHandled,
        })
    }

    fn objections(&self, raw: &[RawCategory]) -> Result<Vec<ObjectionCategory>, ScriptError> {
        let mut objections = Vec::new();
        let mut ids = HashSet::new();
        for c in raw {
            let id = c.id.get_ref();
            if !ids.insert(id.clone()) {
                let message = format!("objection category {id:?} is used twice");
                return Err(self.fail(self.line_of(c.id.span()), message));
            }
            objections.push(ObjectionCategory {
                id: id.clone(),
                title: c.title.clone(),
                customer: self.compile(&c.customer, &format!("objection {id:?}"))?,
                handling: self.compile(&c.handling, &format!("objection {id:?}"))?,
            });
        }
        Ok(objections)
    }
}

fn check_numbers(
    raw: &RawScript,
    fail: &impl Fn(Option<usize>, String) -> ScriptError,
) -> Result<(), ScriptError> {
    let s = &raw.score;
    let w = &s.weights;
    let weights = [w.checklist, w.rule_60_40, w.questions, w.objections, w.conversion, w.deal];
    if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || weights.iter().sum::<f64>() <= 0.0 {
        return Err(fail(None, "[score.weights] must be numbers ≥ 0 with a positive sum".into()));
    }
    let t = &raw.team_index;
    let team = [t.conversion, t.average_deal, t.checklist, t.rule_60_40, t.quality_index];
    if team.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || team.iter().sum::<f64>() <= 0.0 {
        return Err(fail(
            None,
            "[team_index] weights must be numbers ≥ 0 with a positive sum".into(),
        ));
    }
    if !(0.0..1.0).contains(&s.agent_share_target)
        || s.agent_share_zero_at <= s.agent_share_target
        || s.agent_share_zero_at > 1.0
    {
        return Err(fail(
            None,
            format!(
                "[score] needs 0 ≤ agent_share_target ({}) < agent_share_zero_at ({}) ≤ 1",
                s.agent_share_target, s.agent_share_zero_at
            ),
        ));
    }
    if !(s.questions_target > 0.0 && s.deal_target > 0.0) {
        return Err(fail(None, "[score] questions_target and deal_target must be > 0".into()));
    }
    if raw.objections.handle_within_s.is_nan() || raw.objections.handle_within_s <= 0.0 {
        return Err(fail(None, "[objections] handle_within_s must be > 0".into()));
    }
    Ok(())
}

/// The built-in script, parsed.
pub fn default_script() -> Result<Script, ScriptError> {
    parse(DEFAULT_SCRIPT, DEFAULT_SCRIPT_PATH)
}

/// Reads the script at `path`.
pub fn load(path: &std::path::Path) -> Result<Script, ScriptError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScriptError {
        path: name.clone(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    parse(&text, &name)
}
