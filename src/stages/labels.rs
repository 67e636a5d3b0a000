//! Labelled utterances: calls written out one utterance per row with the stage each belongs to,
//! to measure a script (`callgauge script eval`) and to train its model (`callgauge script
//! train`).
//!
//! The file is CSV or TSV (the delimiter is taken from the header: tab, `;` or `,`) with the
//! columns `call`, `speaker` (`agent` or `customer`), `stage` (a stage id, or `-` / empty for
//! none) and `text`, in call order; optional `question` (`1`/`0`) and `tone` columns are scored
//! too (`tone`: neutral, interested, wary or irritated for the customer; neutral, friendly or
//! pressing for the agent), and an optional `objection` column (a category, or `-` / empty for
//! none) is scored as raised or not on the customer's rows; any other columns are ignored.
//! Training learns the stage head from the agent's rows and, from the customer's rows, a tone
//! head (with `tone`) and an objection head (with `objection`: categories named as in the
//! script teach it; others, such as a labeller's `other`, are left out).
//! `fixtures/utterances/` is one.
//!
//! Takes: the files. Gives: calls of labelled utterances, each call turned into segments
//! (4 s apart, so hits map back to rows) and scored against what a script finds. Must not: know
//! how the script finds stages.

use super::model::{self, Example, NONE, StageModel, TrainOptions};
use super::tone::Tone;
use super::{Facts, Script};
use crate::transcript::{Role, Utterance};
use std::collections::BTreeMap;
use std::path::Path;

/// One labelled utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub call: String,
    pub speaker: Role,
    /// `None`: no stage.
    pub stage: Option<String>,
    pub question: Option<bool>,
    /// The labelled tone (`irritated` read as `wary`), if the file has a `tone` column.
    pub tone: Option<Tone>,
    /// Whether the customer raises an objection here, if the file has an `objection` column.
    pub objection: Option<bool>,
    /// The objection's category as labelled, when one is raised.
    pub objection_category: Option<String>,
    pub text: String,
}

/// A call's rows, in order, and its language.
#[derive(Debug, Clone)]
pub struct Call {
    pub id: String,
    pub language: String,
    pub rows: Vec<Row>,
}

impl Call {
    /// The rows as transcript segments, 4 s apart.
    pub fn segments(&self) -> Vec<Utterance> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| Utterance {
                speaker: r.speaker,
                start_s: 4.0 * i as f64,
                end_s: 4.0 * i as f64 + 3.0,
                text: r.text.clone(),
                words: Vec::new(),
            })
            .collect()
    }
}

/// Reads labelled calls from `path`; `language` overrides the guess (Cyrillic letters → `ru`,
/// otherwise `en`).
pub fn read(path: &Path, language: Option<&str>) -> Result<Vec<Call>, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8 text"))?;
    let header = text.lines().next().unwrap_or("");
    let delimiter = [b'\t', b';', b','].into_iter().find(|d| header.contains(*d as char));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter.unwrap_or(b','))
        .flexible(false)
        .from_reader(text.as_bytes());
    let heads = reader.headers().map_err(|e| format!("{name}: {e}"))?.clone();
    let col = |want: &str| heads.iter().position(|h| h.trim().eq_ignore_ascii_case(want));
    let need =
        |want: &str| col(want).ok_or_else(|| format!("{name}: the header has no {want} column"));
    let (c_call, c_speaker, c_stage, c_text) =
        (need("call")?, need("speaker")?, need("stage")?, need("text")?);
    let c_question = col("question");
    let c_tone = col("tone");
    let c_objection = col("objection");
    let mut calls: Vec<Call> = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("{name}:{line}: {e}"))?;
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let speaker = match get(c_speaker).to_ascii_lowercase().as_str() {
            "agent" => Role::Agent,
            "customer" => Role::Customer,
            other => {
                return Err(format!("{name}:{line}: speaker {other:?} is not agent or customer"));
            }
        };
        let stage = match get(c_stage) {
            "" | "-" => None,
            s if s == NONE => None,
            s => Some(s.to_string()),
        };
        let question = match c_question.map(get) {
            None | Some("") => None,
            Some("1") => Some(true),
            Some("0") => Some(false),
            Some(other) => return Err(format!("{name}:{line}: question {other:?} is not 1 or 0")),
        };
        let tone = match c_tone.map(get) {
            None | Some("") | Some("-") => None,
            Some(t) => Some(match (speaker, t) {
                (_, "neutral") => Tone::Neutral,
                (Role::Customer, "interested") => Tone::Interested,
                (Role::Customer, "wary" | "irritated") => Tone::Wary,
                (Role::Agent, "friendly") => Tone::Friendly,
                (Role::Agent, "pressing") => Tone::Pressing,
                (_, other) => {
                    return Err(format!(
                        "{name}:{line}: tone {other:?} is not {} tone (neutral, {})",
                        if speaker == Role::Agent { "an agent" } else { "a customer" },
                        if speaker == Role::Agent {
                            "friendly or pressing"
                        } else {
                            "interested, wary or irritated"
                        }
                    ));
                }
            }),
        };
        let objection = c_objection.map(|c| !matches!(get(c), "" | "-" | NONE));
        let objection_category =
            objection.unwrap_or(false).then(|| c_objection.map(|c| get(c).to_string())).flatten();
        let row = Row {
            call: get(c_call).to_string(),
            speaker,
            stage,
            question,
            tone,
            objection,
            objection_category,
            text: get(c_text).into(),
        };
        match calls.last_mut() {
            Some(c) if c.id == row.call => c.rows.push(row),
            _ => {
                if calls.iter().any(|c| c.id == row.call) {
                    return Err(format!(
                        "{name}:{line}: call {:?} continues after other calls; keep a call's rows together",
                        row.call
                    ));
                }
                calls.push(Call { id: row.call.clone(), language: String::new(), rows: vec![row] });
            }
        }
    }
    for c in &mut calls {
        c.language = match language {
            Some(l) => l.to_string(),
            None => {
                let text: String = c.rows.iter().map(|r| r.text.as_str()).collect();
                let cyr = text.chars().filter(|ch| ('\u{0400}'..='\u{04FF}').contains(ch)).count();
                let latin = text.chars().filter(|ch| ch.is_ascii_alphabetic()).count();
                if cyr > latin { "ru" } else { "en" }.to_string()
            }
        };
    }
    Ok(calls)
}

/// Counts for one stage or one figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Counts {
    pub labelled: usize,
    pub found: usize,
    pub correct: usize,
}

impl Counts {
    pub fn recall(&self) -> Option<f64> {
        (self.labelled > 0).then(|| self.correct as f64 / self.labelled as f64)
    }
    pub fn precision(&self) -> Option<f64> {
        (self.found > 0).then(|| self.correct as f64 / self.found as f64)
    }
    pub fn f1(&self) -> Option<f64> {
        let (r, p) = (self.recall()?, self.precision()?);
        (r + p > 0.0).then(|| 2.0 * r * p / (r + p))
    }
    fn add(&mut self, labelled: bool, found: bool) {
        self.labelled += labelled as usize;
        self.found += found as usize;
        self.correct += (labelled && found) as usize;
    }
}

/// A labelled utterance the script got wrong: its stage; on the customer's rows whether it
/// raises an objection (shown as the stage `objection`); its tone (`tone wary`, …); or whether
/// it asks, judged with every "?" removed as Whisper often writes it (`question`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Miss {
    pub call: String,
    pub text: String,
    /// The labelled stage, if any.
    pub labelled: Option<String>,
    /// What the script found there.
    pub found: Vec<String>,
}

impl Miss {
    /// A miss of a yes/no label (`what` labelled and/or found).
    fn yes_no(call: &str, text: &str, what: &str, labelled: bool, found: bool) -> Miss {
        Miss {
            call: call.to_string(),
            text: text.to_string(),
            labelled: labelled.then(|| what.to_string()),
            found: if found { vec![what.to_string()] } else { Vec::new() },
        }
    }
}

/// How a script does on labelled calls of one language.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Evaluation {
    pub language: String,
    pub calls: usize,
    pub utterances: usize,
    /// Per stage, utterance by utterance.
    pub stages: BTreeMap<String, Counts>,
    /// All stages together, utterance by utterance.
    pub total: Counts,
    /// Stages reached per call (what the funnel counts).
    pub reached: Counts,
    /// Questions, utterance by utterance (rows with a question label).
    pub questions: Counts,
    /// Questions as Whisper often writes them: every "?" removed first.
    pub questions_without_marks: Counts,
    /// Objections raised, on the customer's rows (rows with an objection label).
    pub objections: Counts,
    /// The customer's tone: how many rows labelled `[labelled][found]`, in the order neutral,
    /// interested, wary.
    pub customer_tone: [[usize; 3]; 3],
    /// The agent's tone, in the order friendly, neutral, pressing.
    pub agent_tone: [[usize; 3]; 3],
    pub misses: Vec<Miss>,
}

/// The customer's and the agent's tone classes, in the order of the confusion matrices.
pub const CUSTOMER_TONES: [Tone; 3] = [Tone::Neutral, Tone::Interested, Tone::Wary];
pub const AGENT_TONES: [Tone; 3] = [Tone::Friendly, Tone::Neutral, Tone::Pressing];

/// Accuracy of a confusion matrix; `None` when it is empty.
pub fn accuracy(m: &[[usize; 3]; 3]) -> Option<f64> {
    let total: usize = m.iter().flatten().sum();
    (total > 0).then(|| (0..3).map(|i| m[i][i]).sum::<usize>() as f64 / total as f64)
}

/// Scores `script` on labelled calls, per language.
pub fn evaluate(script: &Script, calls: &[Call]) -> Vec<Evaluation> {
    let mut out: BTreeMap<String, Evaluation> = BTreeMap::new();
    for call in calls {
        let e = out.entry(call.language.clone()).or_insert_with(|| Evaluation {
            language: call.language.clone(),
            ..Evaluation::default()
        });
        let facts = Facts { language: Some(call.language.clone()), ..Facts::default() };
        let result = super::evaluate(script, &call.segments(), &facts, None);
        e.calls += 1;
        e.utterances += call.rows.len();
        let mut labelled_call = Vec::new();
        for (i, row) in call.rows.iter().enumerate() {
            let at = 4.0 * i as f64;
            let found: Vec<String> = result
                .stages
                .hits
                .iter()
                .filter(|h| (h.start_s - at).abs() < 1e-9)
                .map(|h| h.stage.clone())
                .collect();
            for stage in &script.stages {
                let labelled = row.stage.as_deref() == Some(stage.id.as_str());
                let hit = found.contains(&stage.id);
                e.stages.entry(stage.id.clone()).or_default().add(labelled, hit);
                e.total.add(labelled, hit);
            }
            if row.stage.as_ref().is_some_and(|s| !found.contains(s))
                || found.iter().any(|f| row.stage.as_ref() != Some(f))
            {
                e.misses.push(Miss {
                    call: call.id.clone(),
                    text: row.text.clone(),
                    labelled: row.stage.clone(),
                    found: found.clone(),
                });
            }
            labelled_call.extend(row.stage.clone());
            if let Some(want) = row.tone {
                let got = result
                    .tone
                    .labels
                    .iter()
                    .find(|l| (l.at_s - at).abs() < 1e-9)
                    .map_or(Tone::Neutral, |l| l.tone);
                let (classes, m) = match row.speaker {
                    Role::Agent => (&AGENT_TONES, &mut e.agent_tone),
                    _ => (&CUSTOMER_TONES, &mut e.customer_tone),
                };
                if let (Some(a), Some(b)) = (
                    classes.iter().position(|&t| t == want),
                    classes.iter().position(|&t| t == got),
                ) {
                    m[a][b] += 1;
                }
                if want != got {
                    let name = |t: Tone| format!("tone {}", format!("{t:?}").to_lowercase());
                    e.misses.push(Miss {
                        call: call.id.clone(),
                        text: row.text.clone(),
                        labelled: Some(name(want)),
                        found: vec![name(got)],
                    });
                }
            }
            if let Some(raised) = row.objection.filter(|_| row.speaker == Role::Customer) {
                // The row's segment spans `at..at + 3`; the next one starts at `at + 4`.
                let found = result.objections.iter().any(|o| (at..at + 3.5).contains(&o.at_s));
                e.objections.add(raised, found);
                if raised != found {
                    e.misses.push(Miss::yes_no(&call.id, &row.text, "objection", raised, found));
                }
            }
            if let Some(q) = row.question {
                e.questions.add(q, crate::text::is_question(&row.text));
                let bare = row.text.replace('?', ".");
                let found = crate::text::is_question(&bare);
                e.questions_without_marks.add(q, found);
                if q != found {
                    e.misses.push(Miss::yes_no(&call.id, &bare, "question", q, found));
                }
            }
        }
        for stage in &script.stages {
            let labelled = labelled_call.contains(&stage.id);
            let reached = result.stages.reached.contains(&stage.id);
            e.reached.add(labelled, reached);
        }
    }
    out.into_values().collect()
}

/// `callgauge script eval`'s table.
pub fn table(script: &Script, evals: &[Evaluation], misses: bool) -> String {
    use std::fmt::Write;
    let pct = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{:.2}", v));
    let mut out = String::new();
    let line = |out: &mut String, name: &str, c: &Counts| {
        let _ = writeln!(
            out,
            "  {name:<22} {:>8} {:>6} {:>8} {:>7} {:>9}",
            c.labelled,
            c.found,
            c.correct,
            pct(c.recall()),
            pct(c.precision())
        );
    };
    for e in evals {
        let _ = writeln!(
            out,
            "{}: {} calls, {} utterances, script {:?}",
            e.language, e.calls, e.utterances, script.name
        );
        let _ = writeln!(
            out,
            "  {:<22} {:>8} {:>6} {:>8} {:>7} {:>9}",
            "stage", "labelled", "found", "correct", "recall", "precision"
        );
        for stage in &script.stages {
            if let Some(c) = e.stages.get(&stage.id) {
                line(&mut out, &stage.id, c);
            }
        }
        line(&mut out, "all stages", &e.total);
        line(&mut out, "reached per call", &e.reached);
        line(&mut out, "questions", &e.questions);
        line(&mut out, "questions without \"?\"", &e.questions_without_marks);
        if e.objections.labelled + e.objections.found > 0 {
            line(&mut out, "objections raised", &e.objections);
        }
        let _ = writeln!(
            out,
            "  question F1 {} (without \"?\": {})",
            pct(e.questions.f1()),
            pct(e.questions_without_marks.f1())
        );
        for (who, classes, m) in [
            ("customer", &CUSTOMER_TONES, &e.customer_tone),
            ("agent", &AGENT_TONES, &e.agent_tone),
        ] {
            let Some(acc) = accuracy(m) else { continue };
            let name = |t: &Tone| format!("{t:?}").to_lowercase();
            let _ = writeln!(
                out,
                "  {who} tone accuracy {acc:.2} ({} rows); labelled ↓ found →{}",
                m.iter().flatten().sum::<usize>(),
                classes.iter().map(|t| format!(" {:>10}", name(t))).collect::<String>()
            );
            for (i, t) in classes.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "    {:<36}{}",
                    name(t),
                    m[i].iter().map(|n| format!(" {n:>10}")).collect::<String>()
                );
            }
        }
        if misses {
            for m in &e.misses {
                let _ = writeln!(
                    out,
                    "  [{}] labelled {} found {}: {}",
                    m.call,
                    m.labelled.as_deref().unwrap_or("-"),
                    if m.found.is_empty() { "-".to_string() } else { m.found.join("+") },
                    m.text
                );
            }
        }
    }
    out
}

/// The probabilities a trained model's heads must reach.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub stages: f64,
    pub tone: f64,
    pub objections: f64,
}

/// Trains a model for `script` from labelled calls, one set of weights per language: the stage
/// head from the agent's rows, and when the files label them, the tone head and the objection
/// head from the customer's rows (its classes are the script's objection categories; a row
/// labelled with a category the script lacks is left out of it). The objection head is fitted
/// first: the agent's `@after_objection` feature counts the objections it finds, as it will
/// when the model is used.
pub fn train(
    script: &Script,
    calls: &[Call],
    opt: TrainOptions,
    min: Thresholds,
    trained_on: String,
) -> Result<StageModel, String> {
    let stage_classes: Vec<String> = std::iter::once(NONE)
        .chain(script.stages.iter().map(|s| s.id.as_str()))
        .map(String::from)
        .collect();
    let objection_classes: Vec<String> = std::iter::once(NONE)
        .chain(script.objections.iter().map(|c| c.id.as_str()))
        .map(String::from)
        .collect();
    let customer_classes = [model::NEUTRAL, model::INTERESTED, "wary"].map(String::from).to_vec();
    let class_of = |classes: &[String], name: &str| classes.iter().position(|c| c == name);
    let tone_name = |t: Tone| format!("{t:?}").to_lowercase();
    // The customer's heads first: their features do not depend on any other head.
    let mut objections: Rows = BTreeMap::new();
    let mut customer_tone: Rows = BTreeMap::new();
    for call in calls {
        let feats = super::utterance_features(
            script,
            &call.segments(),
            Some(&call.language),
            super::CustomerHeads::default(),
        );
        for (row, f) in call.rows.iter().zip(feats) {
            let Some(features) = f.customer.filter(|_| row.speaker == Role::Customer) else {
                continue;
            };
            // A category the script lacks (the labeller's "other") teaches neither way.
            let class = match (row.objection, &row.objection_category) {
                (Some(true), Some(c)) => class_of(&objection_classes, c),
                (Some(_), _) => Some(0),
                (None, _) => None,
            };
            if let Some(class) = class {
                let ex = Example { features: features.clone(), class };
                objections.entry(call.language.clone()).or_default().push(ex);
            }
            if let Some(class) = row.tone.and_then(|t| class_of(&customer_classes, &tone_name(t))) {
                customer_tone
                    .entry(call.language.clone())
                    .or_default()
                    .push(Example { features, class });
            }
        }
    }
    let fit = |rows: Rows, classes: Vec<String>, min_probability: f64| {
        (!rows.is_empty()).then(|| model::Classifier {
            languages: rows
                .into_iter()
                .map(|(l, ex)| (l, model::train(&ex, classes.len(), opt)))
                .collect(),
            classes,
            min_probability,
        })
    };
    let objection_head = fit(objections, objection_classes, min.objections);
    let customer_tone = fit(customer_tone, customer_classes, min.tone);
    let mut stages: Rows = BTreeMap::new();
    for call in calls {
        let feats = super::utterance_features(
            script,
            &call.segments(),
            Some(&call.language),
            super::CustomerHeads {
                objections: objection_head.as_ref(),
                tone: customer_tone.as_ref(),
            },
        );
        for (row, f) in call.rows.iter().zip(feats) {
            let Some(features) = f.agent else { continue };
            let class = match &row.stage {
                None => 0,
                Some(s) => class_of(&stage_classes, s).ok_or_else(|| {
                    format!("call {:?}: stage {s:?} is not a stage of the script", call.id)
                })?,
            };
            stages.entry(call.language.clone()).or_default().push(Example { features, class });
        }
    }
    let stages = fit(stages, stage_classes, min.stages).ok_or("no agent utterances to train on")?;
    Ok(StageModel { stages, customer_tone, objections: objection_head, trained_on })
}

/// Training rows per language.
type Rows = BTreeMap<String, Vec<Example>>;

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn reads_tsv_and_semicolon_csv_and_guesses_the_language() {
        let f = write(
            "call\tspeaker\tstage\tquestion\ttone\ttext\n\
             a\tagent\tgreeting\t0\tfriendly\tGood morning, Anna from Acme.\n\
             a\tcustomer\t-\t0\tneutral\tHi.\n\
             b\tagent\t\t1\tneutral\tСколько у вас машин?\n",
        );
        let calls = read(f.path(), None).unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!((calls[0].language.as_str(), calls[1].language.as_str()), ("en", "ru"));
        assert_eq!(calls[0].rows[0].stage.as_deref(), Some("greeting"));
        assert_eq!(calls[0].rows[1].stage, None);
        assert_eq!(calls[1].rows[0].question, Some(true));
        let g = write("call;speaker;stage;text\nx;agent;closing;Bye\n");
        assert_eq!(read(g.path(), Some("en")).unwrap()[0].rows[0].text, "Bye");
    }

    #[test]
    fn training_with_tone_and_objection_columns_adds_their_heads() {
        let mut text = String::from("call\tspeaker\tstage\tobjection\ttone\ttext\n");
        for i in 0..6 {
            text.push_str(&format!(
                "c{i}\tagent\tgreeting\t-\tfriendly\tGood morning, this is Anna from Acme.\n\
                 c{i}\tcustomer\t-\tprice\twary\tHonestly the fee is a lot for a shop our size.\n\
                 c{i}\tcustomer\t-\tother\twary\tWho gave you this number?\n\
                 c{i}\tcustomer\t-\t-\tinterested\tOh, the parking is included as well?\n\
                 c{i}\tcustomer\t-\t-\tneutral\tWe have four vans.\n"
            ));
        }
        let f = write(&text);
        let calls = read(f.path(), None).unwrap();
        let script = crate::stages::script::default_script().unwrap();
        let min = Thresholds { stages: 0.4, tone: 0.35, objections: 0.3 };
        let m = train(&script, &calls, TrainOptions::default(), min, "unit test".into()).unwrap();
        let tone = m.customer_tone.expect("a tone column gives a tone head");
        assert_eq!(tone.classes, ["neutral", "interested", "wary"]);
        let objections = m.objections.expect("an objection column gives an objection head");
        let ids: Vec<&str> = script.objections.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(objections.classes[0], NONE);
        assert_eq!(&objections.classes[1..], ids.as_slice(), "the script's categories");
        // It learned the fee line as a price objection, and "other" (not a category of the
        // script) taught it nothing either way.
        let feats = crate::stages::utterance_features(
            &script,
            &calls[0].segments(),
            Some("en"),
            crate::stages::CustomerHeads::default(),
        );
        let fee = feats[1].customer.as_ref().unwrap();
        let p = objections.decide_any("en", fee).expect("an objection");
        assert_eq!(objections.classes[p.class], "price");
        assert!(tone.decide("en", fee).is_some_and(|p| tone.classes[p.class] == "wary"));
        // Without those columns there are no such heads.
        let f = write("call\tspeaker\tstage\ttext\na\tagent\tgreeting\tHello, Acme here.\n");
        let calls = read(f.path(), None).unwrap();
        let m = train(&script, &calls, TrainOptions::default(), min, String::new()).unwrap();
        assert!(m.customer_tone.is_none() && m.objections.is_none());
    }

    #[test]
    fn objections_tone_and_bare_questions_are_scored_and_their_misses_listed() {
        let f = write(
            "call\tspeaker\tstage\tquestion\tobjection\ttone\ttext\n\
             a\tagent\tgreeting\t0\t-\tfriendly\tGood morning, Anna from Acme.\n\
             a\tcustomer\t-\t0\tprice\twary\tThat is far too expensive for us.\n\
             a\tcustomer\t-\t0\tno_time\tneutral\tThe van is blue.\n\
             a\tcustomer\t-\t0\t-\tneutral\tOkay.\n\
             a\tagent\t-\t1\t-\tneutral\tHow many vans do you run?\n",
        );
        let calls = read(f.path(), None).unwrap();
        assert_eq!(calls[0].rows[1].objection, Some(true));
        assert_eq!(calls[0].rows[3].objection, Some(false));
        let script = crate::stages::script::default_script().unwrap();
        let e = &evaluate(&script, &calls)[0];
        // "too expensive" is found, the blue van is not an objection the script can hear.
        assert_eq!((e.objections.labelled, e.objections.found, e.objections.correct), (2, 1, 1));
        let listed = |what: &str| e.misses.iter().any(|m| m.labelled.as_deref() == Some(what));
        assert!(listed("objection"), "{:?}", e.misses);
        // The question still asks with its "?" removed.
        assert_eq!(e.questions_without_marks.correct, 1);
        assert!(e.customer_tone.iter().flatten().sum::<usize>() == 3);
        assert!(!listed("question"));
    }

    #[test]
    fn bad_rows_are_named_by_file_and_line() {
        let f = write("call,speaker,stage,text\na,boss,-,hi\n");
        let e = read(f.path(), None).unwrap_err();
        assert!(e.contains(":2:") && e.contains("\"boss\""), "{e}");
        let g = write("call,speaker,text\na,agent,hi\n");
        assert!(read(g.path(), None).unwrap_err().contains("no stage column"));
        let h = write("call,speaker,stage,text\na,agent,-,x\nb,agent,-,y\na,agent,-,z\n");
        assert!(read(h.path(), None).unwrap_err().contains("keep a call's rows together"));
        // A customer tone on the agent's row (and the reverse) names the row and the scale.
        let t = write("call,speaker,stage,tone,text\na,customer,-,wary,x\na,agent,-,wary,y\n");
        let e = read(t.path(), None).unwrap_err();
        assert!(e.contains(":3:") && e.contains("not an agent tone"), "{e}");
        let t = write("call,speaker,stage,tone,text\na,customer,-,pressing,x\n");
        assert!(read(t.path(), None).unwrap_err().contains("interested, wary or irritated"));
        let t = write("call,speaker,stage,tone,text\na,customer,-,irritated,x\na,agent,-,-,y\n");
        let calls = read(t.path(), None).unwrap();
        assert_eq!(calls[0].rows[0].tone, Some(Tone::Wary));
        assert_eq!(calls[0].rows[1].tone, None);
    }
}
