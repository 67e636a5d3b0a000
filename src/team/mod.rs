//! The team report (`callgauge report`): call JSONs of any number of nights plus metadata in;
//! per team, agent, variant, week and month figures with intervals, A/B comparisons, the
//! won-vs-lost contrasts and a coaching queue out.
//!
//! Takes: [`calls::CallRow`]s (see [`load`]) and [`ReportSettings`]. Gives: a [`TeamReport`]
//! (`report.json`) and the flat exports ([`export`]). Must not: hold transcripts, or rank an
//! agent without saying how sure the rank is.

pub mod calls;
pub mod export;
pub mod input;
pub mod meta;
pub mod stats;

use calls::{CallRow, Exclusion};
use chrono::Datelike;
use schemars::JsonSchema;
use serde::Serialize;
use stats::Rate;
use std::collections::{BTreeMap, HashMap, HashSet};

pub use crate::stages::script::TeamIndexWeights;

/// The version of `report.json`'s layout (`schema/report.v1.schema.json`).
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// A dimension calls are grouped by (`--by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Agent,
    Team,
    Variant,
    Week,
    Month,
}

impl GroupBy {
    pub fn parse(v: &str) -> Result<GroupBy, String> {
        Ok(match v.trim() {
            "agent" => GroupBy::Agent,
            "team" => GroupBy::Team,
            "variant" => GroupBy::Variant,
            "week" => GroupBy::Week,
            "month" => GroupBy::Month,
            other => {
                return Err(format!("--by {other:?}: one of agent, team, variant, week, month"));
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            GroupBy::Agent => "agent",
            GroupBy::Team => "team",
            GroupBy::Variant => "variant",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
        }
    }

    /// The call's value of this dimension; `(none)` when the metadata does not say.
    fn key(self, row: &CallRow) -> String {
        let m = &row.meta;
        let v = match self {
            GroupBy::Agent => m.agent_id.clone(),
            GroupBy::Team => m.team.clone(),
            GroupBy::Variant => m.variant.clone(),
            GroupBy::Week => m.started_at.map(|t| {
                let w = t.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }),
            GroupBy::Month => m.started_at.map(|t| t.format("%Y-%m").to_string()),
        };
        v.unwrap_or_else(|| NONE.to_string())
    }
}

/// The group key of calls whose metadata lacks the dimension.
pub const NONE: &str = "(none)";

/// What is compared in the A/B section.
#[derive(Debug, Clone, PartialEq)]
pub enum AbSpec {
    /// Two script variants (the `variant` column): A is the control, B the test.
    Variants(String, String),
    /// Calls before a date (A) against calls on or after it (B).
    Periods(chrono::NaiveDate),
}

/// The report's options.
#[derive(Debug, Clone)]
pub struct ReportSettings {
    /// Calls shorter than this are not dialogues (`--min-dialogue-s`).
    pub min_dialogue_s: f64,
    /// The "± points" a rate should be known to (`--margin`, a share: 0.05).
    pub margin: f64,
    pub by: Vec<GroupBy>,
    /// `None`: the two variants when the calls have exactly two.
    pub ab: Option<AbSpec>,
    pub weights: TeamIndexWeights,
    /// Stage ids in script order (stages never reached still get a funnel row).
    pub stages: Vec<String>,
    /// Bootstrap resamples for rank intervals.
    pub bootstrap: usize,
    pub seed: u64,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            min_dialogue_s: 30.0,
            margin: 0.05,
            by: Vec::new(),
            ab: None,
            weights: TeamIndexWeights::default(),
            stages: Vec::new(),
            bootstrap: 1000,
            seed: 20261201,
        }
    }
}

// ------------------------------------------------------------------ report.json types

/// A rate with its Wilson 95 % interval.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq)]
pub struct RateOut {
    /// Calls where it happened.
    pub k: u64,
    /// Calls it could happen in.
    pub n: u64,
    /// k / n; `null` when n = 0.
    pub rate: Option<f64>,
    /// Lower end of the 95 % interval.
    pub lo: f64,
    /// Upper end of the 95 % interval.
    pub hi: f64,
}

impl From<Rate> for RateOut {
    fn from(r: Rate) -> Self {
        RateOut { k: r.k, n: r.n, rate: fin(r.p), lo: r.lo, hi: r.hi }
    }
}

fn rate(k: usize, n: usize) -> RateOut {
    stats::wilson(k as u64, n as u64).into()
}

fn fin(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// A mean with its Student-t 95 % interval.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq, Default)]
pub struct MeanOut {
    /// Calls with a value.
    pub n: usize,
    pub mean: Option<f64>,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    pub median: Option<f64>,
}

fn mean_out(xs: &[f64]) -> MeanOut {
    let e = stats::mean_interval(xs);
    MeanOut {
        n: xs.len(),
        mean: fin(e.value),
        lo: fin(e.lo),
        hi: fin(e.hi),
        median: fin(stats::median(xs)),
    }
}

/// Call counts of a group.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, Default, PartialEq)]
pub struct Counts {
    /// Every call JSON of the group.
    pub total: usize,
    /// Analyzed without error.
    pub analyzed: usize,
    pub failed: usize,
    /// Analyzed, but shorter than `--min-dialogue-s`.
    pub excluded_too_short: usize,
    /// Analyzed, but one side (or both) said nothing.
    pub excluded_one_sided: usize,
    /// Dialogues on mono recordings whose voices were not told apart (`--no-diarize`, one voice,
    /// or roles unsure): no per-speaker figures. Diarized mono calls count as any dialogue.
    pub mono: usize,
    /// Calls with a real dialogue: every figure below is over these.
    pub dialogue: usize,
}

/// One stage of the funnel.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct StageReach {
    pub stage: String,
    /// Dialogue calls that reached the stage.
    pub reach: RateOut,
}

/// Where calls ended in the script.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct StageEnd {
    /// The last stage reached; `null` for calls that reached none.
    pub stage: Option<String>,
    pub calls: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct ItemRate {
    pub id: String,
    pub passed: RateOut,
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct ObjectionRate {
    pub category: String,
    /// Objections of this category raised (a call may raise several).
    pub raised: usize,
    /// Share of them the agent handled.
    pub handled: RateOut,
}

/// Everything the report says of one group of calls.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct GroupStats {
    pub calls: Counts,
    /// Stereo dialogues where the agent talked at most the allowed share.
    pub rule_60_40: RateOut,
    /// The agent's share of speech over stereo dialogues.
    pub agent_share: MeanOut,
    /// Per-call means: `agent_questions`, `agent_longest_monologue_s`, `dead_air_s`,
    /// `interruptions`, `agent_response_latency_s`, `agent_words_per_minute`,
    /// `customer_words_per_minute`, `duration_s`, `customer_interested_share` (the share of
    /// the customer's utterances that showed interest).
    pub metrics: BTreeMap<String, MeanOut>,
    /// Each stage's reach, in script order.
    pub funnel: Vec<StageReach>,
    /// Where calls ended (their last stage), most common first.
    pub ends: Vec<StageEnd>,
    /// Calls with at least one stage out of order.
    pub order_violations: RateOut,
    /// The mean checklist completion (share of items passed) per call.
    pub checklist: MeanOut,
    pub checklist_items: Vec<ItemRate>,
    pub objections: Vec<ObjectionRate>,
    /// Won ÷ dialogue calls whose outcome is known (won or lost).
    pub conversion: RateOut,
    /// Amount of won deals with an amount.
    pub average_deal: MeanOut,
    /// Dialogue calls with a customer id whose customer was called before.
    pub repeat_contact: RateOut,
    /// The quality index of the call JSONs (0–100).
    pub quality_index: MeanOut,
    /// Dialogue calls whose customer was irritated at least once (`tone.customer.irritated`),
    /// of those with the customer's tone.
    pub customer_irritated: RateOut,
    /// Lost calls (outcome known) where the customer showed interest: leads worth a second
    /// call, of the lost calls with the customer's tone.
    pub interested_but_lost: RateOut,
}

/// One row per combination of the `--by` dimensions.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct GroupRow {
    /// Dimension → value, e.g. `{"agent": "anna", "week": "2026-W48"}`.
    pub key: BTreeMap<String, String>,
    pub stats: GroupStats,
}

/// An agent's figure that differs from the rest of the team beyond chance.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct Flag {
    /// `rule_60_40`, `conversion` or `checklist`.
    pub metric: String,
    pub agent: f64,
    /// The same figure over the other agents' calls.
    pub rest: f64,
    /// The test's p-value.
    pub p: f64,
    /// Benjamini–Hochberg adjusted p-value over every agent and metric tested.
    pub q: f64,
    pub test: String,
    /// `above` or `below` the rest of the team.
    pub direction: String,
}

/// The number of calls a rate needs.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq)]
pub struct Sufficiency {
    /// Half the 95 % interval now, as a share (0.12 = ±12 points).
    pub margin: f64,
    /// Dialogue calls needed for ±`--margin`.
    pub calls_needed: u64,
    /// How many more than now.
    pub more_calls: u64,
}

/// The agent table.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct AgentRow {
    pub agent_id: String,
    /// The agent's most frequent team.
    pub team: Option<String>,
    pub stats: GroupStats,
    /// The composite index (0–100) of `[team_index]`; `null` without any KPI.
    pub index: Option<f64>,
    /// The KPIs on their 0–1 scale: `conversion`, `average_deal`, `checklist`, `rule_60_40`,
    /// `quality_index`.
    pub kpis: BTreeMap<String, f64>,
    /// 1 = best index.
    pub rank: Option<usize>,
    /// The 95 % bootstrap interval of the rank: [best, worst].
    pub rank_interval: Option<[usize; 2]>,
    /// Agents ranked.
    pub of: usize,
    pub rule_60_40_sufficiency: Sufficiency,
    pub conversion_sufficiency: Option<Sufficiency>,
    /// In words: enough calls to rank, or how many more.
    pub verdict: String,
    /// Figures beyond chance after the false-discovery-rate control; empty when none.
    pub flags: Vec<Flag>,
}

/// One compared figure of the A/B section.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct AbRow {
    /// `conversion`, `rule_60_40`, `stage:<id>` (reach) or `quality_index`.
    pub metric: String,
    /// Arm A's rate (or mean).
    pub a: Option<f64>,
    pub b: Option<f64>,
    pub n_a: usize,
    pub n_b: usize,
    /// B − A with its 95 % interval (Newcombe for rates, Welch for the quality index).
    pub diff: Option<f64>,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    pub p: Option<f64>,
    /// `fisher_exact`, `two_proportion_z` or `welch`.
    pub test: String,
    /// Calls per arm for 80 % power at the observed difference (rates only).
    pub calls_per_arm_observed: Option<u64>,
    /// Calls per arm for 80 % power at a `--margin` difference from arm A's rate.
    pub calls_per_arm_for_margin: Option<u64>,
    /// The finding in one sentence.
    pub sentence: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct AbReport {
    /// What the arms are: two variants, or before and after a date.
    pub compared: String,
    pub a: String,
    pub b: String,
    pub rows: Vec<AbRow>,
}

/// A per-call figure compared between won and lost calls.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct Contrast {
    pub metric: String,
    pub won_mean: f64,
    pub lost_mean: f64,
    pub n_won: usize,
    pub n_lost: usize,
    /// won − lost with its Welch 95 % interval.
    pub diff: f64,
    pub lo: f64,
    pub hi: f64,
    pub p: f64,
    /// Hedges' g (standardised difference; 0.2 small, 0.5 medium, 0.8 large).
    pub effect_size: f64,
}

/// A call to review with an agent.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct CoachingPick {
    pub agent_id: String,
    pub call_id: String,
    /// `weak_point` (fails the agent's weakest checklist item) or `good_example`.
    pub kind: String,
    /// The checklist item in focus, for `weak_point`.
    pub item: Option<String>,
    pub reason: String,
    /// The recording, as the call JSON names it.
    pub path: Option<String>,
}

/// What the report could not use.
#[derive(Debug, Clone, Serialize, JsonSchema, Default, PartialEq)]
pub struct LeftOut {
    /// `path: cause` of files that are not readable call JSONs.
    pub unreadable_files: Vec<String>,
    /// `file:line: cause` of metadata rows left out.
    pub metadata_problems: Vec<String>,
    /// Metadata rows whose call id is among no call JSON.
    pub metadata_without_call: Vec<String>,
    /// Calls the metadata (CSV or path pattern) says nothing about; only when metadata was given.
    pub calls_without_metadata: Vec<String>,
    /// Call ids found in more than one file (each file is counted).
    pub duplicate_call_ids: Vec<String>,
}

/// `report.json`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct TeamReport {
    pub schema_version: u32,
    pub callgauge_version: String,
    /// The first and last `started_at` among the calls; `null` without dates.
    pub period: Option<[String; 2]>,
    pub settings: SettingsOut,
    pub team: GroupStats,
    pub agents: Vec<AgentRow>,
    pub groups: Vec<GroupRow>,
    pub ab: Option<AbReport>,
    /// Per-call figures compared between won and lost dialogues, strongest first.
    pub won_vs_lost: Vec<Contrast>,
    /// Up to two calls per agent for this week's review.
    pub coaching: Vec<CoachingPick>,
    pub left_out: LeftOut,
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct SettingsOut {
    pub min_dialogue_s: f64,
    pub margin: f64,
    pub by: Vec<String>,
    pub index_weights: TeamIndexWeights,
    pub bootstrap: usize,
    /// Interval level of every interval in the report.
    pub level: f64,
    /// False-discovery rate of the agent flags.
    pub fdr: f64,
}

/// False-discovery rate at which agents are flagged.
pub const FDR: f64 = 0.05;

// ------------------------------------------------------------------ computing

/// Marks each call a repeat contact when its customer had an earlier call (by `started_at`,
/// then call id).
pub fn mark_repeat_contacts(rows: &mut [CallRow]) {
    let mut order: Vec<usize> =
        (0..rows.len()).filter(|&i| rows[i].meta.customer_id.is_some()).collect();
    order.sort_by(|&a, &b| {
        (rows[a].meta.started_at, &rows[a].call_id)
            .cmp(&(rows[b].meta.started_at, &rows[b].call_id))
    });
    let mut seen = HashSet::new();
    for i in order {
        let customer = rows[i].meta.customer_id.clone().unwrap_or_default();
        rows[i].repeat_contact = Some(!seen.insert(customer));
    }
}

/// A per-call number.
type Figure = fn(&CallRow) -> Option<f64>;

/// A per-call yes/no.
type Test = Box<dyn Fn(&CallRow) -> Option<bool>>;

/// The script's stages in order, then any other stage the calls reached (a call analyzed with
/// another script), in first-seen order.
fn stage_order(script: &[String], calls: &[&CallRow]) -> Vec<String> {
    let mut ids = script.to_vec();
    for s in calls.iter().flat_map(|r| &r.stages_reached) {
        if !ids.contains(s) {
            ids.push(s.clone());
        }
    }
    ids
}

/// Every figure of one group of calls.
pub fn group_stats(rows: &[&CallRow], stages: &[String]) -> GroupStats {
    let mut counts = Counts { total: rows.len(), ..Counts::default() };
    for r in rows {
        match r.exclusion {
            Some(Exclusion::Failed) => counts.failed += 1,
            Some(Exclusion::TooShort) => counts.excluded_too_short += 1,
            Some(Exclusion::OneSided) => counts.excluded_one_sided += 1,
            None => counts.dialogue += 1,
        }
        counts.analyzed += usize::from(r.ok);
        counts.mono += usize::from(r.ok && r.mono && r.is_dialogue());
    }
    let d: Vec<&CallRow> = rows.iter().copied().filter(|r| r.is_dialogue()).collect();
    let values = |f: &dyn Fn(&CallRow) -> Option<f64>| -> Vec<f64> {
        d.iter().filter_map(|r| f(r)).filter(|x| x.is_finite()).collect()
    };
    let verdicts: Vec<bool> = d.iter().filter_map(|r| r.passed_60_40).collect();
    let mut metrics = BTreeMap::new();
    let per_call: [(&str, Figure); 9] = [
        ("agent_questions", |r| r.agent_questions),
        ("agent_longest_monologue_s", |r| r.agent_longest_monologue_s),
        ("dead_air_s", |r| r.dead_air_s),
        ("interruptions", |r| r.interruptions),
        ("agent_response_latency_s", |r| r.agent_response_latency_s),
        ("agent_words_per_minute", |r| r.agent_wpm),
        ("customer_words_per_minute", |r| r.customer_wpm),
        ("duration_s", |r| r.duration_s),
        ("customer_interested_share", |r| r.customer_interested_share),
    ];
    for (name, f) in per_call {
        metrics.insert(name.to_string(), mean_out(&values(&f)));
    }
    let funnel = stage_order(stages, &d)
        .iter()
        .map(|s| StageReach {
            stage: s.clone(),
            reach: rate(d.iter().filter(|r| r.stages_reached.contains(s)).count(), d.len()),
        })
        .collect();
    let mut ends: BTreeMap<Option<String>, usize> = BTreeMap::new();
    for r in &d {
        *ends.entry(r.last_stage.clone()).or_default() += 1;
    }
    let mut ends: Vec<StageEnd> =
        ends.into_iter().map(|(stage, calls)| StageEnd { stage, calls }).collect();
    ends.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.stage.cmp(&b.stage)));
    let mut items: Vec<(String, usize, usize)> = Vec::new();
    for r in &d {
        for (id, passed) in &r.checklist {
            match items.iter_mut().find(|(i, _, _)| i == id) {
                Some(e) => {
                    e.1 += usize::from(*passed);
                    e.2 += 1;
                }
                None => items.push((id.clone(), usize::from(*passed), 1)),
            }
        }
    }
    let mut objections: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in &d {
        for (cat, handled) in &r.objections {
            let e = objections.entry(cat.clone()).or_default();
            e.0 += 1;
            e.1 += usize::from(*handled);
        }
    }
    let known: Vec<bool> = d.iter().filter_map(|r| r.meta.won).collect();
    let deals: Vec<f64> =
        d.iter().filter(|r| r.meta.won == Some(true)).filter_map(|r| r.meta.amount).collect();
    let repeats: Vec<bool> = d.iter().filter_map(|r| r.repeat_contact).collect();
    let irritated: Vec<bool> = d.iter().filter_map(|r| r.customer_irritated).collect();
    let lost_interest: Vec<bool> = d
        .iter()
        .filter(|r| r.meta.won == Some(false))
        .filter_map(|r| r.customer_interested_share.map(|s| s > 0.0))
        .collect();
    GroupStats {
        calls: counts,
        rule_60_40: rate(verdicts.iter().filter(|&&p| p).count(), verdicts.len()),
        agent_share: mean_out(&values(&|r| r.agent_share)),
        metrics,
        funnel,
        ends,
        order_violations: rate(d.iter().filter(|r| r.order_violations > 0).count(), d.len()),
        checklist: mean_out(&values(&|r| r.checklist_share)),
        checklist_items: items
            .into_iter()
            .map(|(id, k, n)| ItemRate { id, passed: rate(k, n) })
            .collect(),
        objections: objections
            .into_iter()
            .map(|(category, (raised, handled))| ObjectionRate {
                category,
                raised,
                handled: rate(handled, raised),
            })
            .collect(),
        conversion: rate(known.iter().filter(|&&w| w).count(), known.len()),
        average_deal: mean_out(&deals),
        repeat_contact: rate(repeats.iter().filter(|&&r| r).count(), repeats.len()),
        quality_index: mean_out(&values(&|r| r.quality_index)),
        customer_irritated: rate(irritated.iter().filter(|&&x| x).count(), irritated.len()),
        interested_but_lost: rate(
            lost_interest.iter().filter(|&&x| x).count(),
            lost_interest.len(),
        ),
    }
}

/// The whole report over `rows`.
pub fn build(rows: &mut [CallRow], settings: &ReportSettings, left_out: LeftOut) -> TeamReport {
    mark_repeat_contacts(rows);
    let rows: &[CallRow] = rows;
    let all: Vec<&CallRow> = rows.iter().collect();
    let team = group_stats(&all, &settings.stages);
    let agents = agent_table(rows, settings);
    let groups = grouped(rows, settings);
    let ab = ab_report(rows, settings);
    let period = {
        let times: Vec<_> = rows.iter().filter_map(|r| r.meta.started_at).collect();
        match (times.iter().min(), times.iter().max()) {
            (Some(a), Some(b)) => Some([a.to_string(), b.to_string()]),
            _ => None,
        }
    };
    TeamReport {
        schema_version: REPORT_SCHEMA_VERSION,
        callgauge_version: env!("CARGO_PKG_VERSION").to_string(),
        period,
        settings: SettingsOut {
            min_dialogue_s: settings.min_dialogue_s,
            margin: settings.margin,
            by: settings.by.iter().map(|b| b.name().to_string()).collect(),
            index_weights: settings.weights,
            bootstrap: settings.bootstrap,
            level: stats::LEVEL,
            fdr: FDR,
        },
        coaching: coaching_queue(rows, &team),
        won_vs_lost: won_vs_lost(rows),
        team,
        agents,
        groups,
        ab,
        left_out,
    }
}

fn grouped(rows: &[CallRow], settings: &ReportSettings) -> Vec<GroupRow> {
    if settings.by.is_empty() {
        return Vec::new();
    }
    let mut groups: BTreeMap<Vec<String>, Vec<&CallRow>> = BTreeMap::new();
    for r in rows {
        let key = settings.by.iter().map(|b| b.key(r)).collect();
        groups.entry(key).or_default().push(r);
    }
    groups
        .into_iter()
        .map(|(key, members)| GroupRow {
            key: settings.by.iter().map(|b| b.name().to_string()).zip(key).collect(),
            stats: group_stats(&members, &settings.stages),
        })
        .collect()
}

/// The KPIs of one agent's dialogue calls on 0–1 scales (average deal not yet divided by the
/// best agent's).
fn raw_kpis(calls: &[&CallRow]) -> [Option<f64>; 5] {
    let known: Vec<bool> = calls.iter().filter_map(|r| r.meta.won).collect();
    let deals: Vec<f64> =
        calls.iter().filter(|r| r.meta.won == Some(true)).filter_map(|r| r.meta.amount).collect();
    let shares: Vec<f64> = calls.iter().filter_map(|r| r.checklist_share).collect();
    let verdicts: Vec<bool> = calls.iter().filter_map(|r| r.passed_60_40).collect();
    let quality: Vec<f64> = calls.iter().filter_map(|r| r.quality_index).collect();
    let share = |v: &[bool]| {
        (!v.is_empty()).then(|| v.iter().filter(|&&x| x).count() as f64 / v.len() as f64)
    };
    let avg = |v: &[f64]| (!v.is_empty()).then(|| stats::mean(v));
    [share(&known), avg(&deals), avg(&shares), share(&verdicts), avg(&quality).map(|q| q / 100.0)]
}

const KPI_NAMES: [&str; 5] =
    ["conversion", "average_deal", "checklist", "rule_60_40", "quality_index"];

/// Composite indices (0–100) of agents from their raw KPIs: average deal divided by the best
/// agent's, then the weighted mean of the KPIs the agent has.
fn indices(raw: &[[Option<f64>; 5]], w: &TeamIndexWeights) -> Vec<(Option<f64>, [Option<f64>; 5])> {
    let weights = [w.conversion, w.average_deal, w.checklist, w.rule_60_40, w.quality_index];
    let best_deal = raw.iter().filter_map(|k| k[1]).fold(0.0f64, f64::max);
    raw.iter()
        .map(|k| {
            let mut k = *k;
            k[1] = k[1].map(|d| if best_deal > 0.0 { d / best_deal } else { 0.0 });
            let (mut sum, mut wsum) = (0.0, 0.0);
            for (v, w) in k.iter().zip(weights) {
                if let (Some(v), true) = (v, w > 0.0) {
                    sum += v * w;
                    wsum += w;
                }
            }
            ((wsum > 0.0).then(|| 100.0 * sum / wsum), k)
        })
        .collect()
}

/// 1-based ranks by descending index; agents without an index get none.
fn ranks(index: &[Option<f64>]) -> Vec<Option<usize>> {
    index
        .iter()
        .map(|&v| v.map(|v| 1 + index.iter().flatten().filter(|&&o| o > v).count()))
        .collect()
}

fn agent_table(rows: &[CallRow], settings: &ReportSettings) -> Vec<AgentRow> {
    let mut by_agent: BTreeMap<String, Vec<&CallRow>> = BTreeMap::new();
    for r in rows {
        by_agent.entry(GroupBy::Agent.key(r)).or_default().push(r);
    }
    by_agent.remove(NONE);
    let names: Vec<String> = by_agent.keys().cloned().collect();
    let dialogues: Vec<Vec<&CallRow>> = by_agent
        .values()
        .map(|calls| calls.iter().copied().filter(|r| r.is_dialogue()).collect())
        .collect();
    let raw: Vec<[Option<f64>; 5]> = dialogues.iter().map(|c| raw_kpis(c)).collect();
    let scored = indices(&raw, &settings.weights);
    let index: Vec<Option<f64>> = scored.iter().map(|(i, _)| *i).collect();
    let rank = ranks(&index);
    let rank_interval = bootstrap_ranks(&dialogues, settings);
    let flags = agent_flags(&dialogues);
    let ranked = index.iter().flatten().count();
    names
        .into_iter()
        .enumerate()
        .map(|(i, agent_id)| {
            let calls = &by_agent[&agent_id];
            let stats = group_stats(calls, &settings.stages);
            let team = most_common(calls.iter().filter_map(|r| r.meta.team.clone()));
            let suff = |r: &RateOut| {
                let needed = stats::calls_for_margin(r.rate.unwrap_or(0.5), settings.margin);
                Sufficiency {
                    margin: (r.hi - r.lo) / 2.0,
                    calls_needed: needed,
                    more_calls: needed.saturating_sub(r.n),
                }
            };
            let rule = suff(&stats.rule_60_40);
            let conversion = (stats.conversion.n > 0).then(|| suff(&stats.conversion));
            let verdict =
                verdict(stats.calls.dialogue, &rule, rank_interval[i], ranked, settings.margin);
            AgentRow {
                agent_id,
                team,
                index: index[i],
                kpis: KPI_NAMES
                    .iter()
                    .zip(scored[i].1)
                    .filter_map(|(n, v)| Some((n.to_string(), v?)))
                    .collect(),
                rank: rank[i],
                rank_interval: rank_interval[i],
                of: ranked,
                rule_60_40_sufficiency: rule,
                conversion_sufficiency: conversion,
                verdict,
                flags: flags[i].clone(),
                stats,
            }
        })
        .collect()
}

fn most_common(values: impl Iterator<Item = String>) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(v, _)| v)
}

/// Fewer dialogue calls than this are never ranked in words.
const MIN_CALLS_TO_RANK: usize = 10;

fn verdict(
    calls: usize,
    rule: &Sufficiency,
    rank_interval: Option<[usize; 2]>,
    ranked: usize,
    margin: f64,
) -> String {
    let points = |m: f64| (m * 100.0).round();
    if calls < MIN_CALLS_TO_RANK {
        return format!("{calls} calls: not enough to rank");
    }
    let wide_rank = rank_interval.is_some_and(|[lo, hi]| ranked > 2 && hi - lo + 1 > ranked / 2);
    let mut text = if rule.margin > margin + 1e-9 {
        format!(
            "{calls} calls: 60/40 pass rate known to ±{} points; about {} more calls for ±{}",
            points(rule.margin),
            rule.more_calls,
            points(margin)
        )
    } else {
        format!("{calls} calls: enough for ±{} points", points(margin))
    };
    if wide_rank {
        text.push_str("; the rank is uncertain");
    }
    text
}

/// The 95 % interval of each agent's rank from `settings.bootstrap` resamples of every agent's
/// dialogue calls (with replacement, per agent), the index recomputed each time.
fn bootstrap_ranks(
    dialogues: &[Vec<&CallRow>],
    settings: &ReportSettings,
) -> Vec<Option<[usize; 2]>> {
    let b = settings.bootstrap;
    let mut rng = fastrand::Rng::with_seed(settings.seed);
    let mut samples: Vec<Vec<usize>> = vec![Vec::with_capacity(b); dialogues.len()];
    let mut resample: Vec<&CallRow> = Vec::new();
    for _ in 0..b {
        let raw: Vec<[Option<f64>; 5]> = dialogues
            .iter()
            .map(|calls| {
                resample.clear();
                resample.extend((0..calls.len()).map(|_| calls[rng.usize(..calls.len())]));
                raw_kpis(&resample)
            })
            .collect();
        let index: Vec<Option<f64>> =
            indices(&raw, &settings.weights).into_iter().map(|(i, _)| i).collect();
        for (agent, r) in ranks(&index).into_iter().enumerate() {
            if let Some(r) = r {
                samples[agent].push(r);
            }
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            if s.len() < b / 2 || b == 0 {
                return None;
            }
            s.sort_unstable();
            let sorted: Vec<f64> = s.iter().map(|&r| r as f64).collect();
            let lo = stats::quantile_sorted(&sorted, 0.025).floor() as usize;
            let hi = stats::quantile_sorted(&sorted, 0.975).ceil() as usize;
            Some([lo, hi])
        })
        .collect()
}

/// Each agent's 60/40 pass rate, conversion and checklist completion against the rest of the
/// team's calls; flags the ones the Benjamini–Hochberg procedure keeps at [`FDR`].
fn agent_flags(dialogues: &[Vec<&CallRow>]) -> Vec<Vec<Flag>> {
    struct Test {
        agent: usize,
        metric: &'static str,
        mine: f64,
        rest: f64,
        p: f64,
        test: &'static str,
    }
    let mut tests = Vec::new();
    type Binary = fn(&CallRow) -> Option<bool>;
    let binary: [(&str, Binary); 2] =
        [("rule_60_40", |r| r.passed_60_40), ("conversion", |r| r.meta.won)];
    for (agent, calls) in dialogues.iter().enumerate() {
        let others =
            || dialogues.iter().enumerate().filter(move |(j, _)| *j != agent).flat_map(|(_, c)| c);
        for (metric, f) in binary {
            let count = |it: &mut dyn Iterator<Item = &&CallRow>| {
                let v: Vec<bool> = it.filter_map(|r| f(r)).collect();
                (v.iter().filter(|&&x| x).count() as u64, v.len() as u64)
            };
            let (k1, n1) = count(&mut calls.iter());
            let (k2, n2) = count(&mut others());
            if n1 == 0 || n2 == 0 {
                continue;
            }
            let (p, test) = stats::proportions_p(k1, n1, k2, n2);
            tests.push(Test {
                agent,
                metric,
                mine: k1 as f64 / n1 as f64,
                rest: k2 as f64 / n2 as f64,
                p,
                test,
            });
        }
        let mine: Vec<f64> = calls.iter().filter_map(|r| r.checklist_share).collect();
        let rest: Vec<f64> = others().filter_map(|r| r.checklist_share).collect();
        if let Some(w) = stats::welch(&mine, &rest) {
            tests.push(Test {
                agent,
                metric: "checklist",
                mine: stats::mean(&mine),
                rest: stats::mean(&rest),
                p: w.p,
                test: "welch",
            });
        }
    }
    let q = stats::benjamini_hochberg(&tests.iter().map(|t| t.p).collect::<Vec<_>>());
    let mut flags = vec![Vec::new(); dialogues.len()];
    for (t, q) in tests.iter().zip(q) {
        if q <= FDR {
            flags[t.agent].push(Flag {
                metric: t.metric.to_string(),
                agent: t.mine,
                rest: t.rest,
                p: t.p,
                q,
                test: t.test.to_string(),
                direction: if t.mine > t.rest { "above" } else { "below" }.to_string(),
            });
        }
    }
    flags
}

/// The A/B arms: (description, A's name, B's name, arm of each call).
fn ab_arms(
    rows: &[CallRow],
    spec: Option<&AbSpec>,
) -> Option<(String, String, String, Vec<Option<bool>>)> {
    match spec {
        Some(AbSpec::Variants(a, b)) => Some((
            "variants".into(),
            a.clone(),
            b.clone(),
            rows.iter()
                .map(|r| match r.meta.variant.as_deref() {
                    Some(v) if v == a => Some(false),
                    Some(v) if v == b => Some(true),
                    _ => None,
                })
                .collect(),
        )),
        Some(AbSpec::Periods(date)) => Some((
            "periods".into(),
            format!("before {date}"),
            format!("from {date}"),
            rows.iter().map(|r| r.meta.started_at.map(|t| t.date() >= *date)).collect(),
        )),
        None => {
            let variants: Vec<&str> = {
                let mut v: Vec<&str> =
                    rows.iter().filter_map(|r| r.meta.variant.as_deref()).collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            match variants.as_slice() {
                [a, b] => ab_arms(rows, Some(&AbSpec::Variants(a.to_string(), b.to_string()))),
                _ => None,
            }
        }
    }
}

fn ab_report(rows: &[CallRow], settings: &ReportSettings) -> Option<AbReport> {
    let (compared, a_name, b_name, arms) = ab_arms(rows, settings.ab.as_ref())?;
    let arm = |b: bool| -> Vec<&CallRow> {
        rows.iter()
            .zip(&arms)
            .filter(|(r, a)| **a == Some(b) && r.is_dialogue())
            .map(|(r, _)| r)
            .collect()
    };
    let (a, b) = (arm(false), arm(true));
    let mut out = Vec::new();
    let mut binary: Vec<(String, Test)> = vec![
        ("conversion".into(), Box::new(|r: &CallRow| r.meta.won)),
        ("rule_60_40".into(), Box::new(|r: &CallRow| r.passed_60_40)),
    ];
    let calls: Vec<&CallRow> = a.iter().chain(&b).copied().collect();
    for s in stage_order(&settings.stages, &calls) {
        let id = s.clone();
        binary.push((
            format!("stage:{s}"),
            Box::new(move |r: &CallRow| Some(r.stages_reached.contains(&id))),
        ));
    }
    for (metric, f) in &binary {
        let count = |calls: &[&CallRow]| {
            let v: Vec<bool> = calls.iter().filter_map(|r| f(r)).collect();
            (v.iter().filter(|&&x| x).count() as u64, v.len() as u64)
        };
        let ((ka, na), (kb, nb)) = (count(&a), count(&b));
        if na == 0 || nb == 0 {
            continue;
        }
        out.push(ab_rate_row(metric, (ka, na), (kb, nb), &b_name, settings.margin));
    }
    let qa: Vec<f64> = a.iter().filter_map(|r| r.quality_index).collect();
    let qb: Vec<f64> = b.iter().filter_map(|r| r.quality_index).collect();
    if let Some(w) = stats::welch(&qb, &qa) {
        out.push(AbRow {
            metric: "quality_index".into(),
            a: fin(stats::mean(&qa)),
            b: fin(stats::mean(&qb)),
            n_a: qa.len(),
            n_b: qb.len(),
            diff: fin(w.diff.value),
            lo: fin(w.diff.lo),
            hi: fin(w.diff.hi),
            p: fin(w.p),
            test: "welch".into(),
            calls_per_arm_observed: None,
            calls_per_arm_for_margin: None,
            sentence: format!(
                "{b_name} changes the quality index by {:+.1} [{:+.1}, {:+.1}], {}",
                w.diff.value,
                w.diff.lo,
                w.diff.hi,
                p_text(w.p)
            ),
        });
    }
    Some(AbReport { compared, a: a_name, b: b_name, rows: out })
}

/// `p = 0.003` or `p < 0.001`.
fn p_text(p: f64) -> String {
    if p < 0.001 { "p < 0.001".into() } else { format!("p = {p:.3}") }
}

fn ab_rate_row(
    metric: &str,
    (ka, na): (u64, u64),
    (kb, nb): (u64, u64),
    b_name: &str,
    margin: f64,
) -> AbRow {
    let d = stats::newcombe(kb, nb, ka, na);
    let (p, test) = stats::proportions_p(kb, nb, ka, na);
    let (pa, pb) = (ka as f64 / na as f64, kb as f64 / nb as f64);
    let observed = stats::calls_per_arm(pa, pb);
    let target = if pa + margin <= 1.0 { pa + margin } else { pa - margin };
    let for_margin = stats::calls_per_arm(pa, target);
    let what = match metric.strip_prefix("stage:") {
        Some(stage) => format!("{stage} reach"),
        None if metric == "rule_60_40" => "the 60/40 pass rate".into(),
        None => metric.replace('_', " "),
    };
    let pts = |x: f64| format!("{:.0}", x * 100.0);
    let more = for_margin.map(|n| n.saturating_sub(na.min(nb)));
    let tail = match more {
        Some(0) => format!("; the arms are large enough to confirm a {}-point effect", pts(margin)),
        Some(m) => format!("; {m} more calls per arm would confirm a {}-point effect", pts(margin)),
        None => String::new(),
    };
    let interval = format!("[{}, {}], {}", pts(d.lo), pts(d.hi), p_text(p));
    let sentence = if d.value.abs() < 0.005 {
        format!("{b_name} leaves {what} unchanged: 0 points {interval}{tail}")
    } else {
        let verb = if d.value > 0.0 { "raises" } else { "lowers" };
        let n = pts(d.value.abs());
        let unit = if n == "1" { "point" } else { "points" };
        format!("{b_name} {verb} {what} by {n} {unit} {interval}{tail}")
    };
    AbRow {
        metric: metric.to_string(),
        a: Some(pa),
        b: Some(pb),
        n_a: na as usize,
        n_b: nb as usize,
        diff: fin(d.value),
        lo: fin(d.lo),
        hi: fin(d.hi),
        p: Some(p),
        test: test.into(),
        calls_per_arm_observed: observed,
        calls_per_arm_for_margin: for_margin,
        sentence,
    }
}

/// Per-call figures of won against lost dialogues, strongest effect first.
fn won_vs_lost(rows: &[CallRow]) -> Vec<Contrast> {
    let d: Vec<&CallRow> = rows.iter().filter(|r| r.is_dialogue()).collect();
    type Metric = fn(&CallRow) -> Option<f64>;
    let metrics: [(&str, Metric); 10] = [
        ("agent_share", |r| r.agent_share),
        ("agent_questions", |r| r.agent_questions),
        ("agent_longest_monologue_s", |r| r.agent_longest_monologue_s),
        ("dead_air_s", |r| r.dead_air_s),
        ("interruptions", |r| r.interruptions),
        ("agent_response_latency_s", |r| r.agent_response_latency_s),
        ("agent_words_per_minute", |r| r.agent_wpm),
        ("checklist", |r| r.checklist_share),
        ("stages_reached", |r| Some(r.stages_reached.len() as f64)),
        ("objections_handled_share", |r| {
            (!r.objections.is_empty()).then(|| {
                r.objections.iter().filter(|(_, h)| *h).count() as f64 / r.objections.len() as f64
            })
        }),
    ];
    let mut out: Vec<Contrast> = metrics
        .iter()
        .filter_map(|(name, f)| {
            let side = |won: bool| -> Vec<f64> {
                d.iter().filter(|r| r.meta.won == Some(won)).filter_map(|r| f(r)).collect()
            };
            let (won, lost) = (side(true), side(false));
            let w = stats::welch(&won, &lost)?;
            Some(Contrast {
                metric: name.to_string(),
                won_mean: stats::mean(&won),
                lost_mean: stats::mean(&lost),
                n_won: won.len(),
                n_lost: lost.len(),
                diff: w.diff.value,
                lo: w.diff.lo,
                hi: w.diff.hi,
                p: w.p,
                effect_size: stats::hedges_g(&won, &lost),
            })
        })
        .filter(|c| c.effect_size.is_finite())
        .collect();
    out.sort_by(|a, b| b.effect_size.abs().total_cmp(&a.effect_size.abs()));
    out
}

/// Per agent: a call failing the agent's weakest checklist item (lowest pass rate relative to
/// the team's), the most recent first, and the agent's best call (won, then highest quality
/// index) as a good example.
fn coaching_queue(rows: &[CallRow], team: &GroupStats) -> Vec<CoachingPick> {
    let team_rate: HashMap<&str, f64> =
        team.checklist_items.iter().filter_map(|i| Some((i.id.as_str(), i.passed.rate?))).collect();
    let mut by_agent: BTreeMap<&str, Vec<&CallRow>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.is_dialogue()) {
        if let Some(a) = r.meta.agent_id.as_deref() {
            by_agent.entry(a).or_default().push(r);
        }
    }
    let path = |r: &CallRow| {
        r.flat
            .iter()
            .find(|(k, _)| &**k == "source.path")
            .and_then(|(_, v)| v.as_str().map(str::to_string))
    };
    let mut out = Vec::new();
    for (agent, calls) in by_agent {
        let mut items: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for r in &calls {
            for (id, passed) in &r.checklist {
                let e = items.entry(id).or_default();
                e.0 += usize::from(*passed);
                e.1 += 1;
            }
        }
        let weakest = items
            .iter()
            .filter(|(_, (_, n))| *n > 0)
            .map(|(id, (k, n))| {
                (
                    *id,
                    *k as f64 / *n as f64 - team_rate.get(id).copied().unwrap_or(0.0),
                    *k as f64 / *n as f64,
                )
            })
            .filter(|(_, _, own)| *own < 1.0)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let mut picked = None;
        if let Some((item, _, own)) = weakest {
            let failing = calls
                .iter()
                .filter(|r| r.checklist.iter().any(|(id, p)| id == item && !p))
                .max_by(|a, b| {
                    (
                        a.meta.started_at,
                        std::cmp::Reverse(a.quality_index.map(|q| (q * 1000.0) as i64)),
                    )
                        .cmp(&(
                            b.meta.started_at,
                            std::cmp::Reverse(b.quality_index.map(|q| (q * 1000.0) as i64)),
                        ))
                });
            if let Some(r) = failing {
                let team = team_rate.get(item).copied().unwrap_or(f64::NAN);
                out.push(CoachingPick {
                    agent_id: agent.to_string(),
                    call_id: r.call_id.clone(),
                    kind: "weak_point".into(),
                    item: Some(item.to_string()),
                    reason: format!(
                        "misses checklist item {item:?}: passed in {:.0} % of the agent's calls against {:.0} % for the team",
                        own * 100.0,
                        team * 100.0
                    ),
                    path: path(r),
                });
                picked = Some(r.call_id.as_str());
            }
        }
        let best = calls.iter().filter(|r| Some(r.call_id.as_str()) != picked).max_by(|a, b| {
            (a.meta.won == Some(true), a.quality_index.unwrap_or(-1.0))
                .partial_cmp(&(b.meta.won == Some(true), b.quality_index.unwrap_or(-1.0)))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        if let Some(r) = best {
            let won =
                if r.meta.won == Some(true) { "a won deal" } else { "no won deal among the calls" };
            out.push(CoachingPick {
                agent_id: agent.to_string(),
                call_id: r.call_id.clone(),
                kind: "good_example".into(),
                item: None,
                reason: format!(
                    "the agent's best call: {won}, quality index {}",
                    r.quality_index.map_or("unknown".into(), |q| format!("{q:.0}"))
                ),
                path: path(r),
            });
        }
    }
    out
}

/// One run of `callgauge report`.
#[derive(Debug, Clone)]
pub struct Request {
    /// Call JSON files and/or folders of them.
    pub inputs: Vec<std::path::PathBuf>,
    pub out_dir: std::path::PathBuf,
    /// The metadata CSV (`--metadata`).
    pub metadata: Option<std::path::PathBuf>,
    /// `--path-pattern`.
    pub path_pattern: Option<String>,
    pub dialect: export::Dialect,
    pub settings: ReportSettings,
}

/// Reads the calls, builds the report and writes every file. Fatal: an output folder holding
/// files the report did not write, an unreadable metadata file or header, a bad pattern, no
/// call JSON at all. Everything else left out is listed in the report's `left_out`.
/// Gives the report and its rows (for [`crate::html`]).
pub fn run(req: &Request) -> Result<(TeamReport, Vec<CallRow>), String> {
    export::check_out_dir(&req.out_dir)?;
    let pattern = req.path_pattern.as_deref().map(meta::PathPattern::new).transpose()?;
    let table = match &req.metadata {
        Some(path) => {
            let bytes =
                std::fs::read(path).map_err(|e| format!("{}: read: {e}", path.display()))?;
            Some(meta::parse(&bytes, &path.display().to_string())?)
        }
        None => None,
    };
    let (mut rows, left_out) = input::read_calls(
        &req.inputs,
        table.as_ref(),
        pattern.as_ref(),
        req.settings.min_dialogue_s,
    );
    if rows.is_empty() {
        let why = left_out.unreadable_files.first().map_or(String::new(), |w| format!(" ({w})"));
        return Err(format!("no call JSON found in the inputs{why}"));
    }
    let report = build(&mut rows, &req.settings, left_out);
    export::write_all(&req.out_dir, &rows, &report, req.dialect)
        .map_err(|e| format!("{}: write: {e}", req.out_dir.display()))?;
    Ok((report, rows))
}
