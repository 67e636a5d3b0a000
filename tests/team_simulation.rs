//! The team report's statistics against simulated teams with known true rates.
//!
//! The simulator writes call JSONs (the fields the report reads; see `call_json`) for a team
//! of 12 agents over 8 weeks, 6 calls per agent per week:
//! - 60/40 pass rate: 8 agents at the team's 50 %, four at 20, 30, 70 and 80 % (so the rest of
//!   the team is at 50 % for every agent at 50 %); the agent share is drawn so that
//!   P(share ≤ 0.40) is the agent's true pass rate;
//! - conversion: 8 agents at 25 %, four at 10, 15, 35 and 40 %;
//! - two script variants, agents 0–5 on A and 6–11 on B; presentation reach is 45 % on A and
//!   60 % on B (the true effect: +15 points); every other figure is equal between the arms.
//!
//! It is written from these true rates alone, not from the report's code. Over 200 teams
//! (fixed seeds) the report's intervals must cover the truth in 93–97 % of cases, agents
//! whose true rates equal the team's must be flagged in at most 5 % of cases, and the A/B
//! effect's interval must cover +15 points in 93–97 % with the right sign whenever p < 0.05.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use callgauge::team::calls::CallRow;
use callgauge::team::meta::Meta;
use callgauge::team::{ReportSettings, TeamReport, build, stats};
use serde_json::json;
use statrs::distribution::{ContinuousCDF, Normal};

const AGENTS: usize = 12;
const WEEKS: usize = 8;
const PER_WEEK: usize = 6;
const TEAMS: u64 = 200;
const PASS: [f64; AGENTS] = [0.5, 0.5, 0.5, 0.5, 0.2, 0.8, 0.5, 0.5, 0.5, 0.5, 0.3, 0.7];
const CONVERSION: [f64; AGENTS] =
    [0.25, 0.25, 0.25, 0.25, 0.10, 0.40, 0.25, 0.25, 0.25, 0.25, 0.15, 0.35];
const SHARE_SD: f64 = 0.08;
const STAGES: [&str; 5] =
    ["greeting", "needs_discovery", "presentation", "objection_handling", "closing"];
/// P(needs discovery | greeting) etc.: marginal reach greeting 0.98, needs 0.85, presentation
/// 0.45 (A) / 0.60 (B), objection handling 0.8 × presentation, closing 0.7 × that.
const PRESENTATION: [f64; 2] = [0.45, 0.60];

fn is_null(agent: usize) -> bool {
    PASS[agent] == 0.5 && CONVERSION[agent] == 0.25
}

fn variant(agent: usize) -> usize {
    usize::from(agent >= AGENTS / 2)
}

/// The true mean agent share of an agent: 0.40 − sd·Φ⁻¹(pass).
fn true_share(agent: usize) -> f64 {
    0.40 - SHARE_SD * Normal::standard().inverse_cdf(PASS[agent])
}

fn gauss(rng: &mut fastrand::Rng) -> f64 {
    let (u, v) = (rng.f64().max(1e-12), rng.f64());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// One simulated call JSON (only what the report reads, plus the mandatory identity).
fn call_json(rng: &mut fastrand::Rng, agent: usize, week: usize, i: usize) -> (String, Meta) {
    let share = true_share(agent) + SHARE_SD * gauss(rng);
    let v = variant(agent);
    let mut reached = vec![];
    let chain = [0.98, 0.85 / 0.98, PRESENTATION[v] / 0.85, 0.8, 0.7];
    for (stage, p) in STAGES.iter().zip(chain) {
        if rng.f64() < p {
            reached.push(*stage);
        } else {
            break;
        }
    }
    let won = rng.f64() < CONVERSION[agent];
    let items: Vec<_> = (0..4)
        .map(|k| json!({"id": format!("item{k}"), "passed": rng.f64() < 0.6 + 0.1 * k as f64}))
        .collect();
    let share_passed = items.iter().filter(|i| i["passed"] == true).count() as f64 / 4.0;
    let call_id = format!("a{agent:02}_w{week}_{i}");
    let doc = json!({
        "schema_version": 1,
        "call_id": call_id,
        "status": "ok",
        "source": {"path": format!("/calls/agent{agent:02}/{call_id}.wav")},
        "duration_s": 120.0 + 400.0 * rng.f64(),
        "mode": "stereo",
        "warnings": [],
        "speakers": {
            "agent": {"speech_s": 60.0 * share + 1.0, "questions": rng.usize(0..8),
                      "longest_monologue_s": 5.0 + 30.0 * rng.f64(), "words_per_minute": 150.0,
                      "response_latency_s": {"mean": 0.5 + rng.f64()}},
            "customer": {"speech_s": 60.0 * (1.0 - share) + 1.0, "words_per_minute": 140.0}
        },
        "conversation": {"dead_air_s": 5.0 * rng.f64(), "interruptions": []},
        "rule_60_40": {"agent_share_of_speech": share, "passed": share <= 0.40},
        "stages": {"reached": reached, "last": reached.last(), "order_violations": []},
        "checklist": {"items": items, "share": share_passed},
        "objections": [],
        "score": {"quality_index": 40.0 + 40.0 * share_passed + 10.0 * gauss(rng)},
        "segments": []
    });
    let day = chrono::NaiveDate::from_ymd_opt(2026, 10, 5).unwrap()
        + chrono::Days::new((week * 7 + i % 5) as u64);
    let meta = Meta {
        agent_id: Some(format!("agent{agent:02}")),
        team: Some("sales".into()),
        variant: Some(["A", "B"][v].into()),
        started_at: day.and_hms_opt(9 + i as u32, 0, 0),
        won: Some(won),
        amount: won.then(|| 500.0 + 1000.0 * rng.f64()),
        customer_id: Some(format!("cust{}", rng.usize(0..3000))),
        ..Meta::default()
    };
    (doc.to_string(), meta)
}

fn simulate_team(seed: u64) -> TeamReport {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut rows = Vec::new();
    for agent in 0..AGENTS {
        for week in 0..WEEKS {
            for i in 0..PER_WEEK {
                let (text, meta) = call_json(&mut rng, agent, week, i);
                rows.push(CallRow::from_json(&text, meta, 30.0).unwrap());
            }
        }
    }
    let settings = ReportSettings {
        stages: STAGES.map(String::from).to_vec(),
        bootstrap: 0,
        seed,
        ..ReportSettings::default()
    };
    build(&mut rows, &settings, Default::default())
}

struct Coverage {
    hits: usize,
    total: usize,
}

impl Coverage {
    fn new() -> Self {
        Coverage { hits: 0, total: 0 }
    }

    fn add(&mut self, lo: f64, hi: f64, truth: f64) {
        self.total += 1;
        self.hits += usize::from(lo <= truth && truth <= hi);
    }

    fn share(&self) -> f64 {
        self.hits as f64 / self.total as f64
    }
}

#[test]
fn intervals_flags_and_ab_hold_their_promises_over_200_simulated_teams() {
    let mut pass = Coverage::new();
    let mut conversion = Coverage::new();
    let mut share = Coverage::new();
    let mut reach = Coverage::new();
    let mut ab = Coverage::new();
    let mut ab_null = Coverage::new();
    let (mut null_flagged, mut null_tested, mut nonnull_flagged) = (0, 0, 0);
    let mut wrong_sign = 0;
    for seed in 0..TEAMS {
        let report = simulate_team(1000 + seed);
        for a in &report.agents {
            let i: usize = a.agent_id.trim_start_matches("agent").parse().unwrap();
            let s = &a.stats;
            pass.add(s.rule_60_40.lo, s.rule_60_40.hi, PASS[i]);
            conversion.add(s.conversion.lo, s.conversion.hi, CONVERSION[i]);
            share.add(s.agent_share.lo.unwrap(), s.agent_share.hi.unwrap(), true_share(i));
            if is_null(i) {
                null_tested += 1;
                null_flagged += usize::from(!a.flags.is_empty());
            } else {
                nonnull_flagged += usize::from(!a.flags.is_empty());
            }
        }
        let t = &report.team;
        let truth_pres = (PRESENTATION[0] + PRESENTATION[1]) / 2.0;
        let pres = t.funnel.iter().find(|f| f.stage == "presentation").unwrap();
        reach.add(pres.reach.lo, pres.reach.hi, truth_pres);
        let needs = t.funnel.iter().find(|f| f.stage == "needs_discovery").unwrap();
        reach.add(needs.reach.lo, needs.reach.hi, 0.85);
        let rows = &report.ab.as_ref().expect("two variants give an A/B section").rows;
        let row = rows.iter().find(|r| r.metric == "stage:presentation").unwrap();
        let truth = PRESENTATION[1] - PRESENTATION[0];
        ab.add(row.lo.unwrap(), row.hi.unwrap(), truth);
        if row.p.unwrap() < 0.05 && row.diff.unwrap() <= 0.0 {
            wrong_sign += 1;
        }
        for metric in ["conversion", "rule_60_40"] {
            let row = rows.iter().find(|r| r.metric == metric).unwrap();
            ab_null.add(row.lo.unwrap(), row.hi.unwrap(), 0.0);
        }
    }
    let report = |name: &str, c: &Coverage| {
        eprintln!("{name}: coverage {:.3} over {} intervals", c.share(), c.total);
        assert!((0.93..=0.97).contains(&c.share()), "{name}: coverage {:.3}", c.share());
    };
    report("agent 60/40 pass rate (Wilson)", &pass);
    report("agent conversion (Wilson)", &conversion);
    report("agent mean share (Student t)", &share);
    report("team stage reach (Wilson)", &reach);
    report("A/B presentation reach difference (Newcombe)", &ab);
    report("A/B null differences (Newcombe)", &ab_null);
    let false_flags = null_flagged as f64 / null_tested as f64;
    eprintln!(
        "agents at the team's rates flagged: {false_flags:.3} of {null_tested}; other agents flagged: {:.3}",
        nonnull_flagged as f64 / (TEAMS as usize * AGENTS - null_tested) as f64
    );
    assert!(false_flags <= 0.05, "null agents flagged in {false_flags:.3} of cases");
    assert!(nonnull_flagged > 0, "the flags never find the agents who do differ");
    assert_eq!(wrong_sign, 0, "an A/B effect with p < 0.05 had the wrong sign");
}

/// At the number of calls the report says is needed for ±5 points (from the agent's 48
/// calls), the 95 % interval of the rate is ±4 to ±6 points in at least 95 % of cases, and
/// ±5 points on average (true rates 30, 50 and 70 %).
#[test]
fn the_calls_needed_for_five_points_give_five_points() {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut margins = Vec::new();
    for truth in [0.3, 0.5, 0.7] {
        for _ in 0..300 {
            let pilot = (0..48).filter(|_| rng.f64() < truth).count();
            let needed = stats::calls_for_margin(pilot as f64 / 48.0, 0.05);
            let k = (0..needed).filter(|_| rng.f64() < truth).count();
            margins.push(stats::wilson(k as u64, needed).margin());
        }
    }
    let within = margins.iter().filter(|m| (0.04..=0.06).contains(*m)).count() as f64;
    let mean = stats::mean(&margins);
    eprintln!(
        "margin at the calls needed: mean {mean:.4}, within ±1 point of 5: {:.3}",
        within / margins.len() as f64
    );
    assert!(within / margins.len() as f64 >= 0.95);
    assert!((mean - 0.05).abs() < 0.003, "mean margin {mean}");
}
