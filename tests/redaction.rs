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
