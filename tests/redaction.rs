//! Redaction scored on the personal-data corpus (`tests/data/pii/`, written by its own
//! generator, apart from the rules): per kind, the share of utterances whose secret is gone;
//! over the look-alikes (prices, dates, times, quantities, the agent's own introduction), the
//! share changed at all. The rules were tuned on `dev.jsonl`; the thresholds hold on `test.jsonl`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use callgauge::redact::{Level, Side, apply, find};
use serde_json::Value;
use std::collections::BTreeMap;

struct Score {
    /// kind → (secrets gone, utterances)
    kinds: BTreeMap<String, (usize, usize)>,
    changed_lookalikes: usize,
    lookalikes: usize,
    misses: Vec<String>,
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Whether `secret` survives in `out` (the rule in tests/data/pii/generate.py).
fn leaks(secret: &str, out: &str) -> bool {
    if secret.chars().all(|c| c.is_ascii_digit()) {
        let (s, o) = (secret, digits(out));
        let w = s.len().min(6);
        return (0..=s.len() - w).any(|i| o.contains(&s[i..i + w]));
    }
    let lower = out.to_lowercase();
    let words: Vec<&str> = secret.split_whitespace().collect();
    if words.len() > 1 {
        let out_words: Vec<String> = lower
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        return words.windows(3).any(|win| {
            out_words.windows(3).any(|o| o.iter().zip(win).all(|(a, b)| a == &b.to_lowercase()))
        });
    }
    lower
        .split(|c: char| {
            !(c.is_alphanumeric() || c == '@' || c == '.' || c == '_' || c == '-' || c == '\'')
        })
        .map(|w| w.trim_matches('.'))
        .any(|w| w == secret.to_lowercase())
}

fn score(split: &str, level: Level) -> Score {
    let path = common::root().join("tests/data/pii").join(format!("{split}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut s =
        Score { kinds: BTreeMap::new(), changed_lookalikes: 0, lookalikes: 0, misses: vec![] };
    for line in text.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        let utterance = row["text"].as_str().unwrap();
        let side = if row["speaker"] == "agent" { Side::Agent } else { Side::Customer };
        let out = apply(utterance, &find(utterance, side, level));
        match row["kind"].as_str() {
            None => {
                s.lookalikes += 1;
                if out != utterance {
                    s.changed_lookalikes += 1;
                    s.misses.push(format!("changed: {utterance} → {out}"));
                }
            }
            Some(kind) => {
                let gone = row["secrets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|x| !leaks(x.as_str().unwrap(), &out));
                let e = s.kinds.entry(kind.to_string()).or_default();
                e.0 += usize::from(gone);
                e.1 += 1;
                if !gone {
                    s.misses.push(format!("{kind} kept: {utterance} → {out}"));
                }
            }
        }
    }
    s
}

fn report(split: &str, s: &Score) {
    eprintln!("{split}:");
    for (k, (g, n)) in &s.kinds {
        eprintln!("  {k:<9} recall {:.3} ({g}/{n})", *g as f64 / *n as f64);
    }
    eprintln!(
        "  look-alikes changed {:.3} ({}/{})",
        s.changed_lookalikes as f64 / s.lookalikes as f64,
        s.changed_lookalikes,
        s.lookalikes
    );
    for m in &s.misses {
        eprintln!("  {m}");
    }
}

fn assert_thresholds(split: &str, s: &Score) {
    for (k, (g, n)) in &s.kinds {
        let recall = *g as f64 / *n as f64;
        let need = if k == "card" || k == "phone" { 0.98 } else { 0.95 };
        assert!(recall >= need, "{split}: {k} recall {recall:.3} < {need}");
    }
    let false_rate = s.changed_lookalikes as f64 / s.lookalikes as f64;
    assert!(false_rate <= 0.05, "{split}: {false_rate:.3} of the look-alikes changed");
}

#[test]
fn held_out_corpus_meets_the_recall_and_false_redaction_targets() {
    let s = score("test", Level::Pii);
    report("test", &s);
    assert_thresholds("test", &s);
}

#[test]
fn development_corpus_meets_them_too() {
    let s = score("dev", Level::Pii);
    report("dev", &s);
    assert_thresholds("dev", &s);
}

#[test]
fn level_none_changes_nothing_and_strict_finds_at_least_what_pii_finds() {
    for split in ["dev", "test"] {
        let none = score(split, Level::None);
        assert!(none.kinds.values().all(|(g, _)| *g == 0), "{split}: none redacted something");
        assert_eq!(none.changed_lookalikes, 0);
        let (pii, strict) = (score(split, Level::Pii), score(split, Level::Strict));
        for (k, (g, _)) in &pii.kinds {
            assert!(strict.kinds[k].0 >= *g, "{split}: strict finds fewer {k}");
        }
    }
}

/// Every string a file shows a reader: JSON string values, CSV cells, HTML text between tags.
fn strings_of(path: &std::path::Path) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => o.iter().for_each(|(k, x)| {
                out.push(k.clone());
                walk(x, out);
            }),
            _ => {}
        }
    }
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut out = Vec::new();
    if name.ends_with(".json") {
        walk(&serde_json::from_str(&text).unwrap(), &mut out);
        out
    } else if name.ends_with(".jsonl") {
        text.lines().for_each(|l| walk(&serde_json::from_str(l).unwrap(), &mut out));
        out
    } else if name.ends_with(".csv") {
        text.lines()
            .flat_map(|l| l.split([',', ';']).map(str::to_string).collect::<Vec<_>>())
            .collect()
    } else {
        // HTML: the text between tags, and the attribute values (titles hold evidence).
        text.split(['<', '>', '"']).map(str::to_string).collect()
    }
}

fn files_under(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Where `secret` shows in the files under `dir`: `file: string`.
fn found_in(dir: &std::path::Path, secret: &str) -> Vec<String> {
    let mut files = Vec::new();
    files_under(dir, &mut files);
    let mut hits = Vec::new();
    for f in files {
        for s in strings_of(&f) {
            let leak = if secret.chars().all(|c| c.is_ascii_digit()) {
                let d = digits(&s);
                (0..=secret.len() - 6).any(|i| d.contains(&secret[i..i + 6]))
            } else {
                s.to_lowercase().contains(secret)
            };
            if leak {
                hits.push(format!("{}: {s}", f.display()));
            }
        }
    }
    hits
}

/// Calls in which the customer dictates a card number, a phone number and an e-mail address
/// (Festival voices, 8 kHz µ-law with crosstalk: `fixtures/generate.py --pii`), analyzed with the
/// real model with and without redaction (and with `--paths relative`), then reported with HTML.
/// With redaction no planted secret is in any JSON, CSV or HTML file; without it the secrets
/// Whisper heard are there; and every figure, stage and score is the same either way.
#[test]
fn planted_personal_data_reaches_no_output_file_and_changes_no_figure() {
    use common::{analyze, read_json, root};
    let audio = root().join("tests/data/pii/audio");
    let truth = read_json(&audio.join("truth.json"));
    let dir = tempfile::tempdir().unwrap();
    let (plain, redacted) = (dir.path().join("plain"), dir.path().join("redacted"));
    let run = analyze(&[&audio], &plain, &["--threads", "1", "--jobs", "2", "--redact", "none"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run =
        analyze(&[&audio], &redacted, &["--threads", "1", "--jobs", "2", "--paths", "relative"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = dir.path().join("report");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callgauge"))
        .arg("report")
        .arg(&redacted)
        .arg("--out")
        .arg(&report)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let mut heard = 0;
    for (lang, t) in truth.as_object().unwrap() {
        for (kind, secret) in t["secrets"].as_object().unwrap() {
            let secret = secret.as_str().unwrap().to_lowercase();
            if !found_in(&plain, &secret).is_empty() {
                heard += 1;
            }
            let leaks: Vec<String> = found_in(&redacted, &secret)
                .into_iter()
                .chain(found_in(&report, &secret))
                .collect();
            assert!(leaks.is_empty(), "{lang} {kind} {secret} leaks: {leaks:#?}");
        }
        let name = format!("{lang}_pii_ulaw8k.json");
        let (a, b) = (read_json(&plain.join(&name)), read_json(&redacted.join(&name)));
        for field in [
            "speakers",
            "conversation",
            "rule_60_40",
            "stages/reached",
            "score",
            "duration_s",
            "tone/customer",
            "tone/agent",
        ] {
            let p = format!("/{field}");
            assert_eq!(a.pointer(&p), b.pointer(&p), "{name}: {field} differs with redaction");
        }
        assert_eq!(b["redaction"]["level"], "pii");
        // --paths relative: the folders above the input stay out of the results.
        assert_eq!(b["source"]["path"], format!("{lang}_pii_ulaw8k.wav"));
        assert!(
            a["source"]["path"]
                .as_str()
                .unwrap()
                .ends_with(&format!("tests/data/pii/audio/{lang}_pii_ulaw8k.wav"))
        );
        assert!(
            !b["redaction"]["redacted"].as_object().unwrap().is_empty(),
            "{name}: nothing redacted"
        );
    }
    assert!(
        heard >= 4,
        "Whisper heard only {heard} of the 6 planted secrets: the test tests little"
    );
}
