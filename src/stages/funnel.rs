//! The batch view of the script: how many calls reached each stage ("85 % reach needs
//! discovery, only 40 % reach the presentation"), where calls ended, which objections came up
//! and how often they were handled, and the mean quality index.
//!
//! Takes: per call, the stages reached, the objections and the quality index. Gives: the
//! `script_funnel` of the batch summary. Must not: read files.

use super::{ObjectionOut, Script, StagesOut};
use schemars::JsonSchema;
use serde::Serialize;

/// What the funnel needs of one scored call.
#[derive(Debug, Clone, Default)]
pub struct CallView {
    pub reached: Vec<String>,
    pub last: Option<String>,
    /// (category, handled) per objection raised.
    pub objections: Vec<(String, bool)>,
    pub quality_index: Option<f64>,
}

impl CallView {
    pub fn new(
        stages: &StagesOut,
        objections: &[ObjectionOut],
        quality_index: Option<f64>,
    ) -> Self {
        CallView {
            reached: stages.reached.clone(),
            last: stages.last.clone(),
            objections: objections.iter().map(|o| (o.category.clone(), o.handled)).collect(),
            quality_index,
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Funnel {
    /// Calls scored (calls that failed before scoring are not counted).
    pub calls: usize,
    /// In script order.
    pub stages: Vec<StageStep>,
    pub objections: Vec<ObjectionCount>,
    /// Mean quality index of the scored calls; `null` when none has one.
    pub mean_quality_index: Option<f64>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StageStep {
    /// The stage id.
    pub stage: String,
    /// Calls in which the stage was heard.
    pub reached: usize,
    /// `reached` / calls.
    pub share_reached: Option<f64>,
    /// Calls whose furthest stage is this one (they dropped out here).
    pub ended_here: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ObjectionCount {
    /// The objection category's id.
    pub category: String,
    /// Calls in which it was raised.
    pub raised: usize,
    /// Calls in which it was raised and handled.
    pub handled: usize,
}

impl Funnel {
    pub fn new(script: &Script, calls: &[CallView]) -> Self {
        let n = calls.len();
        let share = |k: usize| (n > 0).then(|| k as f64 / n as f64);
        let stages = script
            .stages
            .iter()
            .map(|s| {
                let reached = calls.iter().filter(|c| c.reached.contains(&s.id)).count();
                let ended_here = calls.iter().filter(|c| c.last.as_ref() == Some(&s.id)).count();
                StageStep {
                    stage: s.id.clone(),
                    reached,
                    share_reached: share(reached),
                    ended_here,
                }
            })
            .collect();
        let objections = script
            .objections
            .iter()
            .map(|cat| {
                let all = calls.iter().flat_map(|c| &c.objections).filter(|(id, _)| id == &cat.id);
                let (raised, handled) =
                    all.fold((0, 0), |(r, h), (_, ok)| (r + 1, h + usize::from(*ok)));
                ObjectionCount { category: cat.id.clone(), raised, handled }
            })
            .collect();
        let scores: Vec<f64> = calls.iter().filter_map(|c| c.quality_index).collect();
        let mean_quality_index = (!scores.is_empty())
            .then(|| (10.0 * scores.iter().sum::<f64>() / scores.len() as f64).round() / 10.0);
        Funnel { calls: n, stages, objections, mean_quality_index }
    }
}
