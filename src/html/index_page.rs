//! The team page: counts, headline figures with their intervals, the 60/40 pass rate per agent
//! against the team, the script funnel (team bars, and reach per agent), the distribution of
//! the agent's share with the limit line, the A/B panel, "not enough calls" hints, the coaching
//! queue, won against lost, and the table of every call.
//!
//! The calls table is drawn by the page's script from JSON data, 100 rows a page, sortable and
//! filterable: 5,000 calls cost about 1 MB and a light DOM rather than 5,000 table rows.

use super::chart::{Scale, Tick, num, pct, pct_interval, round1};
use super::{GENERATOR, call_href, script_json};
use crate::team::calls::{CallRow, Exclusion};
use crate::team::{AgentRow, GroupStats, RateOut, TeamReport};
use askama::Template;
use serde_json::{Value, json};

/// The pages' style sheet.
pub const CSS: &str = include_str!("templates/style.css");

/// A headline figure.
#[derive(Debug)]
pub struct Card {
    pub label: &'static str,
    pub value: String,
    pub interval: String,
    pub note: String,
}

/// One agent's 60/40 pass rate as a dot with its interval.
#[derive(Debug)]
pub struct DotRow {
    pub label: String,
    pub y: f64,
    /// (dot, interval low, interval high) x; `None` without stereo dialogues.
    pub dot: Option<(f64, f64, f64)>,
    pub text: String,
}

#[derive(Debug)]
pub struct DotPlot {
    pub width: f64,
    pub height: f64,
    pub rows: Vec<DotRow>,
    pub team_x: Option<f64>,
    pub team_text: String,
    pub ticks: Vec<Tick>,
    pub axis_y: f64,
}

/// A stage of the team funnel: a bar with its interval.
#[derive(Debug)]
pub struct FunnelBar {
    pub stage: String,
    pub y: f64,
    pub w: f64,
    pub lo_x: f64,
    pub hi_x: f64,
    pub text: String,
}

#[derive(Debug)]
pub struct FunnelChart {
    pub width: f64,
    pub height: f64,
    pub bars: Vec<FunnelBar>,
    pub x0: f64,
    pub ticks: Vec<Tick>,
    pub axis_y: f64,
}

/// Stage reach of one group (an agent, a variant, the team): a cell per stage.
#[derive(Debug)]
pub struct HeatRow {
    pub label: String,
    pub calls: usize,
    /// (text, shade class `s0`–`s4`, title).
    pub cells: Vec<(String, &'static str, String)>,
}

#[derive(Debug)]
pub struct HistBar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub over: bool,
    pub title: String,
}

#[derive(Debug)]
pub struct Histogram {
    pub width: f64,
    pub height: f64,
    pub bars: Vec<HistBar>,
    pub limit_x: f64,
    pub limit_text: String,
    pub ticks: Vec<Tick>,
    pub axis_y: f64,
    pub max_count: usize,
    pub n: usize,
}

/// A compared figure of the A/B panel.
#[derive(Debug)]
pub struct AbRowView {
    pub metric: String,
    pub a: String,
    pub b: String,
    pub diff: String,
    pub p: String,
    pub sentence: String,
    /// (zero x, difference x, low x, high x) on a 300-unit axis.
    pub forest: Option<(f64, f64, f64, f64)>,
    pub scale_text: String,
}

#[derive(Debug)]
pub struct AbView {
    pub compared: String,
    pub a: String,
    pub b: String,
    pub rows: Vec<AbRowView>,
}

#[derive(Debug)]
pub struct AgentView {
    pub agent: String,
    pub team: String,
    pub dialogue: usize,
    pub rule: String,
    pub rule_ci: String,
    pub share: String,
    pub conversion: String,
    pub conversion_ci: String,
    pub deal: String,
    pub checklist: String,
    pub index: String,
    pub rank: String,
    pub rank_range: String,
    pub verdict: String,
    pub flags: String,
    pub enough: bool,
}

#[derive(Debug)]
pub struct CoachView {
    pub agent: String,
    pub kind: &'static str,
    pub call_id: String,
    pub href: Option<String>,
    pub reason: String,
}

#[derive(Debug)]
pub struct ContrastView {
    pub metric: String,
    pub won: String,
    pub lost: String,
    pub diff: String,
    pub p: String,
    pub g: String,
}

#[derive(Template)]
#[template(path = "index.html")]
pub struct IndexPage {
    pub generator: &'static str,
    pub version: &'static str,
    pub css: &'static str,
    pub period: String,
    pub counts: Vec<(&'static str, usize)>,
    pub cards: Vec<Card>,
    pub dots: DotPlot,
    pub funnel: FunnelChart,
    pub stages: Vec<String>,
    pub heat: Vec<HeatRow>,
    pub hist: Histogram,
    pub ab: Option<AbView>,
    pub hints: Vec<String>,
    pub agents: Vec<AgentView>,
    pub coaching: Vec<CoachView>,
    pub contrasts: Vec<ContrastView>,
    pub left_out: Vec<(&'static str, usize, Vec<String>)>,
    pub calls_json: String,
    pub calls_total: usize,
    pub margin: String,
}

fn rate_text(r: &RateOut) -> String {
    match r.rate {
        Some(p) => format!("{} ({}/{})", pct(Some(p)), r.k, r.n),
        None => "–".into(),
    }
}

fn rate_ci(r: &RateOut) -> String {
    if r.n == 0 { "–".into() } else { pct_interval(r.lo, r.hi) }
}

fn cards(team: &GroupStats) -> Vec<Card> {
    let mean_ci = |m: &crate::team::MeanOut, d: usize, scale: f64| match (m.lo, m.hi) {
        (Some(lo), Some(hi)) => {
            format!("{}–{}", num(Some(lo * scale), d), num(Some(hi * scale), d))
        }
        _ => "–".into(),
    };
    vec![
        Card {
            label: "Calls passing 60/40",
            value: pct(team.rule_60_40.rate),
            interval: rate_ci(&team.rule_60_40),
            note: format!("{} of {} stereo dialogues", team.rule_60_40.k, team.rule_60_40.n),
        },
        Card {
            label: "Agent's share of speech",
            value: pct(team.agent_share.mean),
            interval: format!("{} %", mean_ci(&team.agent_share, 0, 100.0)),
            note: format!("mean of {} calls", team.agent_share.n),
        },
        Card {
            label: "Conversion",
            value: pct(team.conversion.rate),
            interval: rate_ci(&team.conversion),
            note: format!(
                "{} won of {} with a known outcome",
                team.conversion.k, team.conversion.n
            ),
        },
        Card {
            label: "Checklist completion",
            value: pct(team.checklist.mean),
            interval: format!("{} %", mean_ci(&team.checklist, 0, 100.0)),
            note: format!("mean of {} calls", team.checklist.n),
        },
        Card {
            label: "Quality index",
            value: num(team.quality_index.mean, 0),
            interval: mean_ci(&team.quality_index, 0, 1.0),
            note: "0–100, the score of each call".into(),
        },
        Card {
            label: "Irritated customers",
            value: pct(team.customer_irritated.rate),
            interval: rate_ci(&team.customer_irritated),
            note: format!(
                "{} of {} calls; interest shown on {} of {} lost calls",
                team.customer_irritated.k,
                team.customer_irritated.n,
                team.interested_but_lost.k,
                team.interested_but_lost.n
            ),
        },
        Card {
            label: "Average deal",
            value: num(team.average_deal.mean, 0),
            interval: mean_ci(&team.average_deal, 0, 1.0),
            note: format!("{} won deals with an amount", team.average_deal.n),
        },
    ]
}

const PLOT_LEFT: f64 = 170.0;
const PLOT_RIGHT: f64 = 720.0;
const ROW_H: f64 = 24.0;

fn pct_ticks(scale: &Scale, y: f64) -> (Vec<Tick>, f64) {
    (
        (0..=5)
            .map(|i| i as f64 * 0.2)
            .map(|v| Tick { x: scale.at(v), label: pct(Some(v)) })
            .collect(),
        y,
    )
}

fn dot_plot(report: &TeamReport) -> DotPlot {
    let x = Scale::new((0.0, 1.0), (PLOT_LEFT, PLOT_RIGHT));
    let rows: Vec<DotRow> = report
        .agents
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let r = &a.stats.rule_60_40;
            DotRow {
                label: a.agent_id.clone(),
                y: 20.0 + i as f64 * ROW_H,
                dot: r.rate.map(|p| (x.at(p), x.at(r.lo), x.at(r.hi))),
                text: format!("{} · {}", rate_text(r), rate_ci(r)),
            }
        })
        .collect();
    let axis_y = 20.0 + rows.len() as f64 * ROW_H;
    let (ticks, axis_y) = pct_ticks(&x, axis_y);
    let t = &report.team.rule_60_40;
    DotPlot {
        width: 960.0,
        height: axis_y + 24.0,
        rows,
        team_x: t.rate.map(|p| x.at(p)),
        team_text: format!("team {}", pct(t.rate)),
        ticks,
        axis_y,
    }
}

fn funnel_chart(team: &GroupStats) -> FunnelChart {
    let x = Scale::new((0.0, 1.0), (PLOT_LEFT, PLOT_RIGHT));
    let bars: Vec<FunnelBar> = team
        .funnel
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let r = &s.reach;
            FunnelBar {
                stage: s.stage.clone(),
                y: 10.0 + i as f64 * 30.0,
                w: round1(x.at(r.rate.unwrap_or(0.0)) - PLOT_LEFT),
                lo_x: x.at(r.lo),
                hi_x: x.at(r.hi),
                text: format!("{} · {}", rate_text(r), rate_ci(r)),
            }
        })
        .collect();
    let axis_y = 10.0 + bars.len() as f64 * 30.0;
    let (ticks, axis_y) = pct_ticks(&x, axis_y);
    FunnelChart { width: 960.0, height: axis_y + 24.0, bars, x0: PLOT_LEFT, ticks, axis_y }
}

fn shade(p: Option<f64>) -> &'static str {
    match p {
        None => "",
        Some(p) if p < 0.2 => "s0",
        Some(p) if p < 0.4 => "s1",
        Some(p) if p < 0.6 => "s2",
        Some(p) if p < 0.8 => "s3",
        Some(_) => "s4",
    }
}

fn heat_row(label: String, g: &GroupStats, stages: &[String]) -> HeatRow {
    HeatRow {
        label,
        calls: g.calls.dialogue,
        cells: stages
            .iter()
            .map(|s| {
                let r = g.funnel.iter().find(|f| &f.stage == s).map(|f| f.reach);
                match r {
                    Some(r) => (
                        pct(r.rate),
                        shade(r.rate),
                        format!("{s}: {} of {} calls, 95 % interval {}", r.k, r.n, rate_ci(&r)),
                    ),
                    None => ("–".into(), "", String::new()),
                }
            })
            .collect(),
    }
}

fn heat(report: &TeamReport, stages: &[String]) -> Vec<HeatRow> {
    let mut rows = vec![heat_row("Team".into(), &report.team, stages)];
    rows.extend(report.agents.iter().map(|a| heat_row(a.agent_id.clone(), &a.stats, stages)));
    for g in &report.groups {
        if g.key.len() == 1
            && let Some(v) = g.key.get("variant")
        {
            rows.push(heat_row(format!("variant {v}"), &g.stats, stages));
        }
    }
    rows
}

/// The most common 60/40 limit among the calls (0.4 when none says).
fn share_limit(rows: &[CallRow]) -> f64 {
    let mut counts: Vec<(f64, usize)> = Vec::new();
    for r in rows {
        if let Some(v) = r
            .flat
            .iter()
            .find(|(k, _)| &**k == "rule_60_40.max_agent_share")
            .and_then(|(_, v)| v.as_f64())
        {
            match counts.iter_mut().find(|(x, _)| *x == v) {
                Some(c) => c.1 += 1,
                None => counts.push((v, 1)),
            }
        }
    }
    counts.into_iter().max_by_key(|c| c.1).map_or(0.4, |c| c.0)
}

fn histogram(rows: &[CallRow]) -> Histogram {
    const BINS: usize = 20;
    let shares: Vec<f64> =
        rows.iter().filter(|r| r.is_dialogue()).filter_map(|r| r.agent_share).collect();
    let mut counts = [0usize; BINS];
    for s in &shares {
        counts[((s * BINS as f64) as usize).min(BINS - 1)] += 1;
    }
    let max_count = counts.iter().copied().max().unwrap_or(0).max(1);
    let (top, bottom) = (14.0, 174.0);
    let x = Scale::new((0.0, 1.0), (50.0, 650.0));
    let y = Scale::new((0.0, max_count as f64), (bottom, top));
    let limit = share_limit(rows);
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let (a, b) = (i as f64 / BINS as f64, (i + 1) as f64 / BINS as f64);
            HistBar {
                x: x.at(a) + 1.0,
                y: y.at(c as f64),
                w: round1(x.at(b) - x.at(a) - 2.0),
                h: round1(bottom - y.at(c as f64)),
                over: a >= limit - 1e-9,
                title: format!("{c} calls with the agent at {:.0}–{:.0} %", a * 100.0, b * 100.0),
            }
        })
        .collect();
    Histogram {
        width: 700.0,
        height: bottom + 30.0,
        bars,
        limit_x: x.at(limit),
        limit_text: format!("limit {}", pct(Some(limit))),
        ticks: (0..=5)
            .map(|i| i as f64 * 0.2)
            .map(|v| Tick { x: x.at(v), label: pct(Some(v)) })
            .collect(),
        axis_y: bottom,
        max_count,
        n: shares.len(),
    }
}

fn ab_view(report: &TeamReport) -> Option<AbView> {
    let ab = report.ab.as_ref()?;
    let rows = ab
        .rows
        .iter()
        .map(|r| {
            let is_rate = r.metric != "quality_index";
            let (f, unit) = if is_rate { (100.0, " pts") } else { (1.0, "") };
            let v = |x: Option<f64>| if is_rate { pct(x) } else { num(x, 1) };
            let forest = match (r.diff, r.lo, r.hi) {
                (Some(d), Some(lo), Some(hi)) => {
                    let m = lo.abs().max(hi.abs()).max(1e-9) * 1.15;
                    let s = Scale::new((-m, m), (10.0, 290.0));
                    Some((s.at(0.0), s.at(d), s.at(lo), s.at(hi)))
                }
                _ => None,
            };
            AbRowView {
                metric: metric_label(&r.metric),
                a: format!("{} (n={})", v(r.a), r.n_a),
                b: format!("{} (n={})", v(r.b), r.n_b),
                diff: match (r.diff, r.lo, r.hi) {
                    (Some(d), Some(lo), Some(hi)) => format!(
                        "{}{unit} [{} to {}]",
                        num(Some(d * f), 1),
                        num(Some(lo * f), 1),
                        num(Some(hi * f), 1)
                    ),
                    _ => "–".into(),
                },
                p: r.p.map_or("–".into(), |p| format!("{p:.3}")),
                sentence: r.sentence.clone(),
                forest,
                scale_text: if is_rate { "B − A, points".into() } else { "B − A".into() },
            }
        })
        .collect();
    Some(AbView { compared: ab.compared.clone(), a: ab.a.clone(), b: ab.b.clone(), rows })
}

/// A metric's name as the page writes it.
fn metric_label(metric: &str) -> String {
    match metric {
        "rule_60_40" => "60/40 pass rate".into(),
        m => match m.strip_prefix("stage:") {
            Some(stage) => format!("reach of {stage}"),
            None => m.replace('_', " "),
        },
    }
}

fn agent_view(a: &AgentRow, margin: f64) -> AgentView {
    let s = &a.stats;
    AgentView {
        agent: a.agent_id.clone(),
        team: a.team.clone().unwrap_or_default(),
        dialogue: s.calls.dialogue,
        rule: rate_text(&s.rule_60_40),
        rule_ci: rate_ci(&s.rule_60_40),
        share: pct(s.agent_share.mean),
        conversion: rate_text(&s.conversion),
        conversion_ci: rate_ci(&s.conversion),
        deal: num(s.average_deal.mean, 0),
        checklist: pct(s.checklist.mean),
        index: num(a.index, 0),
        rank: a.rank.map_or("–".into(), |r| format!("{r} of {}", a.of)),
        rank_range: a.rank_interval.map_or(String::new(), |[lo, hi]| format!("{lo}–{hi}")),
        verdict: a.verdict.clone(),
        flags: a
            .flags
            .iter()
            .map(|f| format!("{} {} the team (q={:.3})", metric_label(&f.metric), f.direction, f.q))
            .collect::<Vec<_>>()
            .join("; "),
        enough: a.rule_60_40_sufficiency.margin <= margin + 1e-9,
    }
}

/// The calls table's data: one array per call (see `COLUMNS` in the page's script).
fn calls_data(rows: &[CallRow], has_page: &dyn Fn(&str) -> bool) -> Value {
    let mut sorted: Vec<&CallRow> = rows.iter().collect();
    sorted
        .sort_by(|a, b| b.meta.started_at.cmp(&a.meta.started_at).then(a.call_id.cmp(&b.call_id)));
    let r3 = |x: Option<f64>| x.filter(|x| x.is_finite()).map(|x| (x * 1000.0).round() / 1000.0);
    Value::Array(
        sorted
            .into_iter()
            .map(|r| {
                let state = match r.exclusion {
                    None if r.mono => "mono",
                    None => "dialogue",
                    Some(Exclusion::Failed) => "failed",
                    Some(Exclusion::TooShort) => "too short",
                    Some(Exclusion::OneSided) => "one-sided",
                };
                let outcome = r.meta.won.map(|w| if w { "won" } else { "lost" });
                json!([
                    if has_page(&r.call_id) {
                        Value::from(call_href(&r.call_id))
                    } else {
                        Value::Null
                    },
                    r.call_id,
                    r.meta.agent_id,
                    r.meta.started_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
                    r3(r.duration_s),
                    r3(r.agent_share),
                    r.passed_60_40,
                    r.last_stage,
                    r3(r.quality_index),
                    outcome,
                    state,
                ])
            })
            .collect(),
    )
}

fn left_out(report: &TeamReport) -> Vec<(&'static str, usize, Vec<String>)> {
    let l = &report.left_out;
    let first = |v: &Vec<String>| v.iter().take(20).cloned().collect::<Vec<_>>();
    [
        ("Files that are not readable call JSONs", &l.unreadable_files),
        ("Metadata rows left out", &l.metadata_problems),
        ("Metadata rows matching no call", &l.metadata_without_call),
        ("Calls the metadata says nothing about", &l.calls_without_metadata),
        ("Call ids found in more than one file", &l.duplicate_call_ids),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(label, v)| (label, v.len(), first(v)))
    .collect()
}

/// Renders `index.html`. `has_page` says whether a call got its own page.
pub fn render_index(
    report: &TeamReport,
    rows: &[CallRow],
    has_page: &dyn Fn(&str) -> bool,
) -> askama::Result<String> {
    let team = &report.team;
    let c = &team.calls;
    let margin = report.settings.margin;
    let stages: Vec<String> = team.funnel.iter().map(|s| s.stage.clone()).collect();
    let agents: Vec<AgentView> = report.agents.iter().map(|a| agent_view(a, margin)).collect();
    let hints = report
        .agents
        .iter()
        .filter(|a| a.rule_60_40_sufficiency.margin > margin + 1e-9)
        .map(|a| {
            format!(
                "{}: the 60/40 rate is known to ±{:.0} points from {} calls; about {} more calls give ±{:.0}.",
                a.agent_id,
                a.rule_60_40_sufficiency.margin * 100.0,
                a.stats.calls.dialogue,
                a.rule_60_40_sufficiency.more_calls,
                margin * 100.0
            )
        })
        .collect();
    let coaching = report
        .coaching
        .iter()
        .map(|p| CoachView {
            agent: p.agent_id.clone(),
            kind: if p.kind == "weak_point" { "to improve" } else { "good example" },
            call_id: p.call_id.clone(),
            href: has_page(&p.call_id).then(|| call_href(&p.call_id)),
            reason: p.reason.clone(),
        })
        .collect();
    let contrasts = report
        .won_vs_lost
        .iter()
        .map(|k| ContrastView {
            metric: k.metric.replace('_', " "),
            won: format!("{} (n={})", num(Some(k.won_mean), 2), k.n_won),
            lost: format!("{} (n={})", num(Some(k.lost_mean), 2), k.n_lost),
            diff: format!(
                "{} [{} to {}]",
                num(Some(k.diff), 2),
                num(Some(k.lo), 2),
                num(Some(k.hi), 2)
            ),
            p: format!("{:.3}", k.p),
            g: num(Some(k.effect_size), 2),
        })
        .collect();
    IndexPage {
        generator: GENERATOR,
        version: env!("CARGO_PKG_VERSION"),
        css: CSS,
        period: match &report.period {
            Some([a, b]) => format!("{} – {}", a.replace('T', " "), b.replace('T', " ")),
            None => "dates unknown".into(),
        },
        counts: vec![
            ("call JSONs", c.total),
            ("analyzed", c.analyzed),
            ("failed", c.failed),
            ("too short", c.excluded_too_short),
            ("one-sided", c.excluded_one_sided),
            ("mono", c.mono),
            ("dialogues", c.dialogue),
        ],
        cards: cards(team),
        dots: dot_plot(report),
        funnel: funnel_chart(team),
        heat: heat(report, &stages),
        stages,
        hist: histogram(rows),
        ab: ab_view(report),
        hints,
        agents,
        coaching,
        contrasts,
        left_out: left_out(report),
        calls_json: script_json(&calls_data(rows, has_page)),
        calls_total: rows.len(),
        margin: format!("{:.0}", margin * 100.0),
    }
    .render()
}
