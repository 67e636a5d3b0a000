//! One call's page: the speaker timeline (agent and customer lanes with overlap, interruptions,
//! dead air, stage hits, objections and questions marked on a time axis), the transcript by
//! speaker with timestamps, the checklist with its evidence, the score and its components, the
//! metrics, and a player for the recording where it is reachable. Clicking a word or a mark
//! seeks the player to it.
//!
//! The call JSON is read leniently ([`CallDoc`]: every part optional), so a document from an
//! older callgauge or a failed call still gets a page.

use super::GENERATOR;
use super::chart::{Scale, Tick, clock, num, pct, round1, time_ticks};
use crate::team::calls::CallRow;
use crate::transcript::{Role, Utterance};
use askama::Template;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The parts of a call JSON the page shows.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CallDoc {
    pub call_id: String,
    pub status: Option<String>,
    pub error: Option<ErrorDoc>,
    pub source: SourceDoc,
    pub duration_s: Option<f64>,
    pub mode: Option<String>,
    pub language: Option<String>,
    pub warnings: Vec<WarningDoc>,
    pub agent_id: Option<String>,
    pub outcome: Option<OutcomeDoc>,
    pub speakers: Option<SpeakersDoc>,
    pub conversation: Option<ConversationDoc>,
    pub rule_60_40: Option<BTreeMap<String, Value>>,
    pub script: Option<ScriptDoc>,
    pub stages: Option<StagesDoc>,
    pub checklist: Option<ChecklistDoc>,
    pub objections: Option<Vec<ObjectionDoc>>,
    pub score: Option<ScoreDoc>,
    pub tone: Option<ToneDoc>,
    pub segments: Vec<Utterance>,
}

/// `tone` of the call JSON (0.8.0 on): what the page shows of it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ToneDoc {
    pub customer: Option<CustomerToneDoc>,
    pub labels: Vec<ToneLabelDoc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CustomerToneDoc {
    pub shares: BTreeMap<String, f64>,
    pub irritated: bool,
    pub warmth_change: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ToneLabelDoc {
    pub speaker: Option<Role>,
    pub at_s: f64,
    pub tone: String,
    pub irritated: bool,
    pub rule: String,
    pub cue: Option<String>,
    pub matched: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorDoc {
    pub stage: Option<String>,
    pub message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SourceDoc {
    pub path: Option<String>,
    pub codec: Option<String>,
    pub sample_rate_hz: Option<u64>,
    pub channels: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WarningDoc {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OutcomeDoc {
    pub result: Option<String>,
    pub amount: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SpeakersDoc {
    pub agent: Option<SpeakerDoc>,
    pub customer: Option<SpeakerDoc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SpeakerDoc {
    pub speech_intervals: Option<Vec<Span>>,
    pub unavailable_reason: Option<String>,
    #[serde(flatten)]
    pub figures: BTreeMap<String, Value>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(default)]
pub struct Span {
    pub start_s: f64,
    pub end_s: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConversationDoc {
    pub dead_air: Option<Vec<Span>>,
    pub interruptions: Option<Vec<InterruptionDoc>>,
    #[serde(flatten)]
    pub figures: BTreeMap<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InterruptionDoc {
    pub by: String,
    pub at_s: f64,
    pub overlap_s: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ScriptDoc {
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StagesDoc {
    pub reached: Vec<String>,
    pub last: Option<String>,
    pub order_violations: Vec<Value>,
    pub hits: Vec<HitDoc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HitDoc {
    pub stage: String,
    pub phrase: String,
    pub text: String,
    pub speaker: String,
    pub start_s: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChecklistDoc {
    pub items: Vec<ItemDoc>,
    pub share: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ItemDoc {
    pub id: String,
    pub title: String,
    pub weight: Option<f64>,
    pub passed: Option<bool>,
    pub evidence: Option<EvidenceDoc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EvidenceDoc {
    pub at_s: Option<f64>,
    pub text: String,
    pub value: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ObjectionDoc {
    pub category: String,
    pub phrase: String,
    pub at_s: f64,
    pub text: String,
    pub handled: bool,
    pub handled_at_s: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ScoreDoc {
    pub quality_index: Option<f64>,
    pub components: BTreeMap<String, ComponentDoc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ComponentDoc {
    pub weight: Option<f64>,
    pub value: Option<f64>,
}

// ------------------------------------------------------------------ the view

/// A bar on the timeline.
#[derive(Debug)]
pub struct Bar {
    pub x: f64,
    pub w: f64,
    pub y: f64,
    pub h: f64,
    /// CSS classes: `seg agent`, `seg customer`, `seg unknown`, `overlap`, `deadair`.
    pub class: &'static str,
    pub t: f64,
    pub title: String,
}

/// A point mark on the timeline.
#[derive(Debug)]
pub struct Mark {
    pub x: f64,
    pub y: f64,
    /// `hit`, `objection`, `question`, `interruption`.
    pub kind: &'static str,
    /// One or two letters drawn in the mark (stage hits).
    pub label: String,
    pub t: f64,
    pub title: String,
}

#[derive(Debug)]
pub struct Lane {
    pub label: &'static str,
    pub y: f64,
}

#[derive(Debug)]
pub struct Timeline {
    pub width: f64,
    pub height: f64,
    pub lanes: Vec<Lane>,
    pub bars: Vec<Bar>,
    pub marks: Vec<Mark>,
    pub ticks: Vec<Tick>,
    pub axis_y: f64,
    /// Stage letter → stage id, for the legend.
    pub legend: Vec<(String, String)>,
}

/// Left margin (lane labels), lane height and the gap between lanes.
const LEFT: f64 = 92.0;
const LANE_H: f64 = 26.0;
const MARKS_H: f64 = 30.0;

/// The timeline's width for a call: 16 units per second, between the page's width (1120) and
/// 24,000 (a longer call scrolls sideways on screen and shrinks to the page in print).
fn timeline_width(duration_s: f64) -> f64 {
    (duration_s * 16.0).clamp(1120.0, 24_000.0)
}

/// Where agent and customer speak at once.
fn overlaps(a: &[Span], b: &[Span]) -> Vec<Span> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (s, e) = (a[i].start_s.max(b[j].start_s), a[i].end_s.min(b[j].end_s));
        if e > s {
            out.push(Span { start_s: s, end_s: e });
        }
        if a[i].end_s < b[j].end_s { i += 1 } else { j += 1 }
    }
    out
}

/// The stage's letter on the timeline: the first letter of each `_`-separated word of its id,
/// at most two, upper case (`needs_discovery` → `ND`).
fn stage_letters(id: &str) -> String {
    id.split(['_', '-', ' '])
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Agent => "agent",
        Role::Customer => "customer",
        Role::Unknown => "unknown",
    }
}

/// Builds the timeline of a call.
pub fn timeline(doc: &CallDoc) -> Timeline {
    let end_of_speech = doc.segments.iter().map(|s| s.end_s).fold(0.0, f64::max);
    let duration = doc.duration_s.unwrap_or(end_of_speech).max(end_of_speech).max(1.0);
    let width = timeline_width(duration);
    let x = Scale::new((0.0, duration), (LEFT, width - 10.0));
    let intervals = |s: &Option<SpeakerDoc>| {
        s.as_ref().and_then(|s| s.speech_intervals.clone()).unwrap_or_default()
    };
    let (agent, customer) = match &doc.speakers {
        Some(sp) => (intervals(&sp.agent), intervals(&sp.customer)),
        None => (Vec::new(), Vec::new()),
    };
    let mono = agent.is_empty() && customer.is_empty();
    let top = MARKS_H;
    let lanes = if mono {
        vec![Lane { label: "speech", y: top }]
    } else {
        vec![Lane { label: "agent", y: top }, Lane { label: "customer", y: top + LANE_H + 6.0 }]
    };
    let lanes_bottom = lanes.last().map_or(top, |l| l.y + LANE_H);
    let mut bars = Vec::new();
    let mut bar = |s: Span, y: f64, h: f64, class: &'static str, title: String| {
        let x0 = x.at(s.start_s);
        bars.push(Bar {
            x: x0,
            w: round1((x.at(s.end_s) - x0).max(0.8)),
            y,
            h,
            class,
            t: round1(s.start_s),
            title,
        });
    };
    let span_title = |who: &str, s: Span| format!("{who} {}–{}", clock(s.start_s), clock(s.end_s));
    for s in doc.conversation.as_ref().and_then(|c| c.dead_air.clone()).unwrap_or_default() {
        bar(s, top, lanes_bottom - top, "deadair", span_title("dead air", s));
    }
    if mono {
        // No separated speakers: the lane shows where Whisper heard speech.
        for s in &doc.segments {
            let span = Span { start_s: s.start_s, end_s: s.end_s };
            bar(span, top, LANE_H, "seg unknown", span_title("speech", span));
        }
    } else {
        for &s in &agent {
            bar(s, lanes[0].y, LANE_H, "seg agent", span_title("agent", s));
        }
        for &s in &customer {
            bar(s, lanes[1].y, LANE_H, "seg customer", span_title("customer", s));
        }
        for s in overlaps(&agent, &customer) {
            bar(s, top, lanes_bottom - top, "overlap", span_title("both speak", s));
        }
    }
    let lane_y = |speaker: &str| match (mono, speaker) {
        (true, _) | (false, "agent") => lanes[0].y,
        _ => lanes[lanes.len() - 1].y,
    };
    let mut marks = Vec::new();
    let mut legend: Vec<(String, String)> = Vec::new();
    if let Some(st) = &doc.stages {
        for h in &st.hits {
            let label = stage_letters(&h.stage);
            if !legend.iter().any(|(_, id)| id == &h.stage) {
                legend.push((label.clone(), h.stage.clone()));
            }
            marks.push(Mark {
                x: x.at(h.start_s),
                y: 4.0,
                kind: "hit",
                label,
                t: round1(h.start_s),
                title: format!(
                    "{} at {} ({}): “{}” matched “{}”",
                    h.stage,
                    clock(h.start_s),
                    h.speaker,
                    h.text,
                    h.phrase
                ),
            });
        }
    }
    for o in doc.objections.iter().flatten() {
        marks.push(Mark {
            x: x.at(o.at_s),
            y: lane_y("customer") + LANE_H / 2.0,
            kind: "objection",
            label: String::new(),
            t: round1(o.at_s),
            title: format!(
                "objection ({}) at {}: “{}”, {}",
                o.category,
                clock(o.at_s),
                o.text,
                if o.handled { "handled" } else { "not handled" }
            ),
        });
    }
    for s in doc.segments.iter().filter(|s| s.text.trim_end().ends_with('?')) {
        let who = role_name(s.speaker);
        marks.push(Mark {
            x: x.at(s.end_s),
            y: lane_y(who) + LANE_H / 2.0,
            kind: "question",
            label: "?".into(),
            t: round1(s.start_s),
            title: format!("{who} asks at {}: “{}”", clock(s.start_s), s.text.trim()),
        });
    }
    for i in doc.conversation.as_ref().and_then(|c| c.interruptions.as_ref()).into_iter().flatten()
    {
        marks.push(Mark {
            x: x.at(i.at_s),
            y: lane_y(&i.by) - 1.0,
            kind: "interruption",
            label: String::new(),
            t: round1(i.at_s),
            title: format!(
                "{} interrupts at {} (overlap {} s)",
                i.by,
                clock(i.at_s),
                num(i.overlap_s, 1)
            ),
        });
    }
    let axis_y = lanes_bottom + 8.0;
    Timeline {
        width,
        height: axis_y + 22.0,
        lanes,
        bars,
        marks,
        ticks: time_ticks(duration, &x, 70.0),
        axis_y,
        legend,
    }
}

/// A word of the transcript (clickable: seeks the player).
#[derive(Debug)]
pub struct WordView {
    pub text: String,
    pub t: f64,
}

#[derive(Debug)]
pub struct UtteranceView {
    pub who: &'static str,
    pub label: &'static str,
    pub t: f64,
    pub clock: String,
    pub words: Vec<WordView>,
    /// The text, when the transcript has no word times.
    pub text: String,
    /// The utterance's tone (`wary`, `irritated`, `interested`, `friendly`, `pressing`), or
    /// empty when neutral.
    pub tone: String,
    /// What decided the tone, for its tooltip.
    pub tone_why: String,
}

#[derive(Debug)]
pub struct ItemView {
    pub title: String,
    pub id: String,
    /// `passed`, `missed` or `n/a`.
    pub verdict: &'static str,
    pub evidence: String,
    pub at: Option<(f64, String)>,
    pub weight: String,
}

#[derive(Debug)]
pub struct MetricRow {
    pub label: &'static str,
    pub agent: String,
    pub customer: String,
}

#[derive(Template)]
#[template(path = "call.html")]
pub struct CallPage<'a> {
    pub generator: &'static str,
    pub version: &'static str,
    pub doc: &'a CallDoc,
    pub facts: Vec<(&'static str, String)>,
    pub agent_id: String,
    pub rule_line: String,
    pub timeline: Timeline,
    pub utterances: Vec<UtteranceView>,
    pub items: Vec<ItemView>,
    pub checklist_share: String,
    pub quality_index: String,
    pub components: Vec<(String, String, String)>,
    pub metrics: Vec<MetricRow>,
    pub conversation: Vec<(&'static str, String)>,
    pub objections: Vec<(f64, String, String, String, &'static str)>,
    pub audio: Option<&'a str>,
    pub css: &'static str,
}

/// Per-speaker figures of the metrics table: (label, field path, decimals, as a percentage).
const SPEAKER_METRICS: [(&str, &str, usize, bool); 14] = [
    ("Speech, s", "speech_s", 1, false),
    ("Share of speech", "share_of_speech", 0, true),
    ("Turns", "turns", 0, false),
    ("Words", "words", 0, false),
    ("Words per minute", "words_per_minute", 0, false),
    ("Questions", "questions", 0, false),
    ("Longest monologue, s", "longest_monologue_s", 1, false),
    ("Pauses", "pauses.count", 0, false),
    ("Longest pause, s", "pauses.longest_s", 1, false),
    ("Interruptions made", "interruptions_made", 0, false),
    ("Backchannels", "backchannels", 0, false),
    ("Response latency (median), s", "response_latency_s.median", 2, false),
    ("Pitch (median), Hz", "pitch_hz.median", 0, false),
    ("Loudness (median), dBFS", "loudness_dbfs.median", 1, false),
];

const CONVERSATION_METRICS: [(&str, &str, usize); 7] = [
    ("Speech, s", "speech_s", 1),
    ("Silence, s", "silence_s", 1),
    ("Both speaking, s", "overlap_s", 1),
    ("Dead air, s", "dead_air_s", 1),
    ("Longest silence, s", "longest_silence_s", 1),
    ("Turn switches per minute", "turn_switches_per_min", 1),
    ("Leading silence, s", "leading_silence_s", 1),
];

fn figure(map: &BTreeMap<String, Value>, path: &str) -> Option<f64> {
    let mut parts = path.split('.');
    let mut v = map.get(parts.next()?)?;
    for p in parts {
        v = v.get(p)?;
    }
    v.as_f64()
}

fn speaker_figure(s: &Option<SpeakerDoc>, path: &str, decimals: usize, share: bool) -> String {
    let v = s.as_ref().and_then(|s| figure(&s.figures, path));
    if share { pct(v) } else { num(v, decimals) }
}

fn utterances(doc: &CallDoc) -> Vec<UtteranceView> {
    // A tone label is its segment's: same speaker, `at_s` its `start_s` (both written to the
    // millisecond; on stereo both speakers may start at the same moment).
    let ms = |t: f64| (t * 1000.0).round() as i64;
    let mut tones: HashMap<(Option<Role>, i64), &ToneLabelDoc> = HashMap::new();
    for l in doc.tone.iter().flat_map(|t| &t.labels) {
        tones.entry((l.speaker, ms(l.at_s))).or_insert(l);
    }
    doc.segments
        .iter()
        .map(|s| {
            let who = role_name(s.speaker);
            let tone = tones.get(&(Some(s.speaker), ms(s.start_s))).copied();
            UtteranceView {
                who,
                label: match s.speaker {
                    Role::Agent => "Agent",
                    Role::Customer => "Customer",
                    Role::Unknown => "Speaker",
                },
                t: round1(s.start_s),
                clock: clock(s.start_s),
                words: s
                    .words
                    .iter()
                    .map(|w| WordView { text: w.text.clone(), t: round1(w.start_s) })
                    .collect(),
                text: s.text.clone(),
                tone: tone.map_or(String::new(), |l| {
                    if l.irritated { "irritated".into() } else { l.tone.clone() }
                }),
                tone_why: tone.map_or(String::new(), |l| match &l.cue {
                    Some(cue) => format!("{}: \"{cue}\" (heard \"{}\")", l.rule, l.matched),
                    None => format!("{}: {}", l.rule, l.matched),
                }),
            }
        })
        .collect()
}

/// Renders a call's page. `row` carries what the report joined to the call (agent, date,
/// outcome); `audio` is the recording's URL relative to the page, when reachable.
pub fn render_call(doc: &CallDoc, row: &CallRow, audio: Option<&str>) -> askama::Result<String> {
    let mut facts: Vec<(&'static str, String)> = vec![
        ("Status", doc.status.clone().unwrap_or_else(|| "unknown".into())),
        ("Recording", doc.source.path.clone().unwrap_or_else(|| "–".into())),
        ("Duration", doc.duration_s.map_or("–".into(), clock)),
    ];
    if let Some(t) = row.meta.started_at {
        facts.push(("Started", t.format("%Y-%m-%d %H:%M").to_string()));
    }
    facts.push(("Mode", doc.mode.clone().unwrap_or_else(|| "–".into())));
    facts.push(("Language", doc.language.clone().unwrap_or_else(|| "–".into())));
    if let (Some(codec), Some(rate)) = (&doc.source.codec, doc.source.sample_rate_hz) {
        let ch = doc.source.channels.unwrap_or(0);
        facts.push(("Codec", format!("{codec}, {rate} Hz, {ch} ch")));
    }
    if let Some(s) = &doc.script.as_ref().and_then(|s| s.name.clone()) {
        facts.push(("Script", s.clone()));
    }
    facts.push((
        "Last stage",
        doc.stages.as_ref().and_then(|s| s.last.clone()).unwrap_or("none".into()),
    ));
    let outcome = row
        .meta
        .won
        .map(|w| if w { "won" } else { "lost" }.to_string())
        .or_else(|| doc.outcome.as_ref().and_then(|o| o.result.clone()));
    if let Some(o) = outcome {
        let amount = row.meta.amount.or(doc.outcome.as_ref().and_then(|o| o.amount));
        facts.push((
            "Outcome",
            match amount {
                Some(a) => format!("{o}, {}", num(Some(a), 0)),
                None => o,
            },
        ));
    }
    if let Some(c) = doc.tone.as_ref().and_then(|t| t.customer.as_ref()) {
        let share = |k: &str| pct(c.shares.get(k).copied());
        let mut line = format!(
            "{} interested, {} wary, {} neutral",
            share("interested"),
            share("wary"),
            share("neutral")
        );
        if let Some(w) = c.warmth_change {
            let trend = if w > 0.0 {
                "warmed up"
            } else if w < 0.0 {
                "cooled down"
            } else {
                "steady"
            };
            line += &format!("; {trend}");
        }
        if c.irritated {
            line += "; irritated";
        }
        facts.push(("Customer tone", line));
    }
    if let Some(v) = &row.meta.variant {
        facts.push(("Script variant", v.clone()));
    }
    let rule = doc.rule_60_40.as_ref();
    let rf = |k: &str| rule.and_then(|r| r.get(k)).and_then(Value::as_f64);
    let rule_line = match (rf("agent_share_of_speech"), rule.and_then(|r| r.get("passed"))) {
        (Some(share), Some(Value::Bool(passed))) => format!(
            "The agent spoke {} of the speech (limit {}): {}.",
            pct(Some(share)),
            pct(rf("max_agent_share")),
            if *passed { "passed" } else { "not passed" }
        ),
        _ => "60/40 is not measured for this call (mono, or no speech on a side).".into(),
    };
    let items = doc
        .checklist
        .iter()
        .flat_map(|c| &c.items)
        .map(|i| ItemView {
            title: i.title.clone(),
            id: i.id.clone(),
            verdict: match i.passed {
                Some(true) => "passed",
                Some(false) => "missed",
                None => "n/a",
            },
            evidence: i.evidence.as_ref().map_or(String::new(), |e| match e.value {
                Some(v) if e.text.is_empty() => num(Some(v), 2),
                Some(v) => format!("{} = {}", e.text.replace('_', " "), num(Some(v), 2)),
                None => e.text.clone(),
            }),
            at: i.evidence.as_ref().and_then(|e| e.at_s).map(|t| (round1(t), clock(t))),
            weight: num(i.weight, 1),
        })
        .collect();
    let components = doc
        .score
        .iter()
        .flat_map(|s| &s.components)
        .map(|(k, c)| {
            let name = if k == "rule_60_40" { "60/40 rule".into() } else { k.replace('_', " ") };
            (name, num(c.weight, 0), num(c.value, 2))
        })
        .collect();
    let (agent, customer) =
        doc.speakers.as_ref().map_or((&None, &None), |s| (&s.agent, &s.customer));
    let metrics = SPEAKER_METRICS
        .iter()
        .map(|&(label, path, d, share)| MetricRow {
            label,
            agent: speaker_figure(agent, path, d, share),
            customer: speaker_figure(customer, path, d, share),
        })
        .collect();
    let conversation = CONVERSATION_METRICS
        .iter()
        .map(|&(label, path, d)| {
            (label, num(doc.conversation.as_ref().and_then(|c| figure(&c.figures, path)), d))
        })
        .collect();
    let objections = doc
        .objections
        .iter()
        .flatten()
        .map(|o| {
            (
                round1(o.at_s),
                clock(o.at_s),
                o.category.clone(),
                o.text.clone(),
                if o.handled { "handled" } else { "not handled" },
            )
        })
        .collect();
    CallPage {
        generator: GENERATOR,
        version: env!("CARGO_PKG_VERSION"),
        doc,
        facts,
        agent_id: row.meta.agent_id.clone().or(doc.agent_id.clone()).unwrap_or_default(),
        rule_line,
        timeline: timeline(doc),
        utterances: utterances(doc),
        items,
        checklist_share: pct(doc.checklist.as_ref().and_then(|c| c.share)),
        quality_index: num(doc.score.as_ref().and_then(|s| s.quality_index), 0),
        components,
        metrics,
        conversation,
        objections,
        audio,
        css: super::index_page::CSS,
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: serde_json::Value) -> CallDoc {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn overlap_is_where_both_lanes_speak() {
        let s = |a, b| Span { start_s: a, end_s: b };
        let o = overlaps(&[s(0.0, 2.0), s(3.0, 5.0)], &[s(1.5, 3.5), s(4.0, 4.5)]);
        let got: Vec<(f64, f64)> = o.iter().map(|s| (s.start_s, s.end_s)).collect();
        assert_eq!(got, [(1.5, 2.0), (3.0, 3.5), (4.0, 4.5)]);
    }

    #[test]
    fn the_timeline_has_a_bar_per_speech_interval_and_a_mark_per_hit() {
        let d = doc(serde_json::json!({
            "call_id": "c", "duration_s": 10.0,
            "speakers": {
                "agent": {"speech_intervals": [{"start_s": 0.5, "end_s": 2.0}, {"start_s": 5.0, "end_s": 6.0}]},
                "customer": {"speech_intervals": [{"start_s": 1.8, "end_s": 4.0}]}
            },
            "conversation": {"dead_air": [{"start_s": 6.5, "end_s": 9.0}],
                             "interruptions": [{"by": "customer", "at_s": 1.8, "overlap_s": 0.2}]},
            "stages": {"hits": [{"stage": "needs_discovery", "phrase": "p", "text": "t", "speaker": "agent", "start_s": 5.0}]},
            "segments": [{"speaker": "agent", "start_s": 5.0, "end_s": 6.0, "text": "Any questions?"}]
        }));
        let t = timeline(&d);
        let count = |c: &str| t.bars.iter().filter(|b| b.class == c).count();
        assert_eq!((count("seg agent"), count("seg customer")), (2, 1));
        assert_eq!((count("overlap"), count("deadair")), (1, 1));
        let kinds: Vec<&str> = t.marks.iter().map(|m| m.kind).collect();
        assert_eq!(kinds, ["hit", "question", "interruption"]);
        assert_eq!(t.marks[0].label, "ND");
        assert!(t.bars.iter().all(|b| b.x >= LEFT && b.x + b.w <= t.width));
    }

    #[test]
    fn a_failed_call_without_anything_still_has_a_page() {
        let d = doc(serde_json::json!({"call_id": "x", "status": "error",
            "error": {"stage": "decode", "message": "x.wav: decode: not audio"}}));
        let html = render_call(&d, &CallRow::default(), None).unwrap();
        assert!(html.contains("x.wav: decode: not audio"));
        assert!(html.contains(r#"<meta name="generator" content="callgauge report"#));
    }

    #[test]
    fn the_transcript_marks_each_toned_utterance_with_what_decided_it() {
        let d = doc(serde_json::json!({"call_id": "c", "status": "ok", "duration_s": 9.0,
            "segments": [
                {"speaker": "customer", "start_s": 1.0, "end_s": 2.0, "text": "Too expensive."},
                {"speaker": "customer", "start_s": 3.0, "end_s": 4.0, "text": "Stop calling."},
                {"speaker": "customer", "start_s": 5.0, "end_s": 6.0, "text": "Fine."}],
            "tone": {"customer": {"shares": {"neutral": 0.34, "interested": 0.0, "wary": 0.66},
                                  "irritated": true, "warmth_change": null},
                     "labels": [
                {"speaker": "customer", "at_s": 1.0, "tone": "wary", "irritated": false, "rule": "wary cue",
                 "cue": "expensive", "matched": "expensive"},
                {"speaker": "customer", "at_s": 3.0, "tone": "wary", "irritated": true, "rule": "irritated cue",
                 "cue": "stop calling", "matched": "stop calling"}]}}));
        let html = render_call(&d, &CallRow::default(), None).unwrap();
        assert_eq!(html.matches("<span class=\"tone ").count(), 2, "{html}");
        assert!(html.contains("class=\"tone wary\""), "{html}");
        assert!(html.contains("class=\"tone irritated\""), "{html}");
        assert!(
            html.contains("wary cue: &#34;expensive&#34;")
                || html.contains("wary cue: &quot;expensive&quot;"),
            "{html}"
        );
        assert!(html.contains("0 % interested, 66 % wary, 34 % neutral; irritated"), "{html}");
    }

    #[test]
    fn text_from_the_call_is_escaped() {
        let d = doc(serde_json::json!({"call_id": "a\"b&c", "status": "ok", "duration_s": 3.0,
            "segments": [{"speaker": "customer", "start_s": 0.0, "end_s": 1.0,
                          "text": "<script>alert(1)</script>",
                          "words": [{"text": "<script>alert(1)</script>", "start_s": 0.0, "end_s": 1.0}]}]}));
        let html = render_call(&d, &CallRow::default(), None).unwrap();
        assert!(!html.contains("<script>alert(1)"), "unescaped transcript");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
                || html.contains("&lt;script&gt;alert(1)")
        );
        assert!(!html.contains("a\"b&c"), "unescaped call id");
    }
}
