//! Example sentences per stage, matched by similarity so that paraphrases count.
//!
//! Each example and each utterance becomes a TF-IDF vector over word stems and pairs of
//! neighbouring stems (numbers are one term, `#`); a term's IDF comes from how many of the
//! script's examples in that language hold it, so words every example shares weigh little.
//! Similarity is the cosine between the two vectors, counting only terms some example holds
//! (words no example uses say nothing about the stage and do not dilute a long utterance). An
//! utterance matches an example when the cosine reaches `[matching] example_similarity` and the
//! two share at least two terms.
//!
//! Takes: the script's examples per stage and language, then an utterance's tokens. Gives: per
//! stage, the most similar example and the similarity. Must not: know speakers or times.

use crate::text::{Token, tokens};
use std::collections::HashMap;

/// The terms of a text: stems and stem pairs, deduplicated (also the stage model's text
/// features).
pub fn terms(tokens: &[Token]) -> Vec<String> {
    let stems: Vec<&str> = tokens.iter().map(Token::term).collect();
    let mut out: Vec<String> = stems.iter().map(|s| s.to_string()).collect();
    out.extend(stems.windows(2).map(|p| format!("{} {}", p[0], p[1])));
    out.sort_unstable();
    out.dedup();
    out
}

/// One example, normalised.
#[derive(Debug, Clone)]
struct Vector {
    /// Index of the stage it belongs to.
    stage: usize,
    /// As written in the script.
    text: String,
    /// Term → weight, unit length.
    weights: HashMap<String, f64>,
}

/// The examples of one language.
#[derive(Debug, Clone, Default)]
pub struct ExampleIndex {
    idf: HashMap<String, f64>,
    examples: Vec<Vector>,
}

/// The best example of a stage for an utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleMatch {
    pub stage: usize,
    pub example: String,
    pub similarity: f64,
}

impl ExampleIndex {
    /// Builds the index from (stage index, example text) pairs.
    pub fn new(examples: &[(usize, String)]) -> Self {
        let docs: Vec<(usize, &String, Vec<String>)> =
            examples.iter().map(|(s, t)| (*s, t, terms(&tokens(t)))).collect();
        let mut df: HashMap<&str, usize> = HashMap::new();
        for (_, _, t) in &docs {
            for term in t {
                *df.entry(term.as_str()).or_default() += 1;
            }
        }
        let n = docs.len() as f64;
        let idf: HashMap<String, f64> = df
            .into_iter()
            .map(|(t, d)| (t.to_string(), ((n + 1.0) / (d as f64 + 0.5)).ln()))
            .collect();
        let examples = docs
            .into_iter()
            .map(|(stage, text, t)| Vector { stage, text: text.clone(), weights: unit(&t, &idf) })
            .collect();
        ExampleIndex { idf, examples }
    }

    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    /// For each stage with an example at `threshold` similarity or above (sharing at least two
    /// terms with the utterance), its most similar example.
    pub fn matches(&self, tokens: &[Token], threshold: f64) -> Vec<ExampleMatch> {
        if self.examples.is_empty() {
            return Vec::new();
        }
        let u = unit(&terms(tokens), &self.idf);
        let mut best: HashMap<usize, ExampleMatch> = HashMap::new();
        for ex in &self.examples {
            let (mut dot, mut shared) = (0.0, 0);
            for (t, w) in &u {
                if let Some(x) = ex.weights.get(t) {
                    dot += w * x;
                    shared += 1;
                }
            }
            if shared < 2 || dot < threshold {
                continue;
            }
            let m = ExampleMatch { stage: ex.stage, example: ex.text.clone(), similarity: dot };
            match best.get(&ex.stage) {
                Some(b) if b.similarity >= dot => {}
                _ => {
                    best.insert(ex.stage, m);
                }
            }
        }
        let mut out: Vec<ExampleMatch> = best.into_values().collect();
        out.sort_by_key(|m| m.stage);
        out
    }
}

/// The unit-length TF-IDF vector of `terms`, over the terms `idf` knows.
fn unit(terms: &[String], idf: &HashMap<String, f64>) -> HashMap<String, f64> {
    let mut v: HashMap<String, f64> =
        terms.iter().filter_map(|t| idf.get(t).map(|w| (t.clone(), *w))).collect();
    let norm = v.values().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.values_mut().for_each(|x| *x /= norm);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> ExampleIndex {
        ExampleIndex::new(&[
            (0, "That's exactly the problem we built this app for".into()),
            (0, "Our service picks up from your warehouse every morning".into()),
            (1, "Let's book a thirty minute demo with both of you on Tuesday".into()),
            (1, "I'll send you the contract today".into()),
        ])
    }

    #[test]
    fn a_paraphrase_matches_its_example_and_nothing_else() {
        let m =
            index().matches(&tokens("so let's book a short demo on Tuesday with you both"), 0.4);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].stage, 1);
        assert!(m[0].example.starts_with("Let's book"));
        // Words no example knows do not dilute the match.
        let long = "okay so basically what I'd suggest is let's book a demo on Tuesday, alright";
        assert!(index().matches(&tokens(long), 0.4).iter().any(|m| m.stage == 1));
    }

    #[test]
    fn unrelated_or_one_word_utterances_do_not_match() {
        assert!(index().matches(&tokens("How many trucks do you run?"), 0.3).is_empty());
        // One shared term is never enough, however rare.
        assert!(index().matches(&tokens("Tuesday."), 0.1).is_empty());
        assert!(ExampleIndex::new(&[]).matches(&tokens("anything at all"), 0.0).is_empty());
    }
}
