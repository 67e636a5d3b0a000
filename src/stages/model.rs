//! The script's model: multinomial logistic regressions ("heads") over an utterance's word
//! stems, stem pairs and its place in the call. The stage head names the script stage of an
//! agent's utterance no phrase or example matched; the optional customer-tone head says whether
//! a customer's utterance is neutral, interested or wary; the optional objection head says
//! which objection category of the script, if any, a customer's utterance raises.
//!
//! Features of an utterance (all 0/1):
//! - every stem it holds (numbers are one feature, `#`) and every pair of neighbouring stems;
//! - the stem it begins with (`^понима`, `^understood`);
//! - where it stands: `@opening` (one of its speaker's first two utterances), `@ending` (one of
//!   the last two), `@question` (it asks, as [`crate::text::is_question`] decides),
//!   `@after_question` (the other side's utterance just before it asked), `@after_objection`
//!   (agent only: the customer's utterance just before it raised an objection of the script),
//!   `@long` (15 words or more).
//!
//! `callgauge script train` fits it on labelled utterances (see [`super::labels`]) and writes it
//! as a TOML file the script names with `model = "…"`; it is retrained, not edited by hand.
//!
//! Takes: an utterance's tokens and context. Gives: the most likely class, its probability and
//! the features that weighed most. Must not: read audio or know about speakers' times.

use crate::text::Token;
use std::collections::{BTreeMap, HashMap};

/// The class an utterance that belongs to no stage gets.
pub const NONE: &str = "none";
/// Context features, with the words a report shows for them.
pub const CONTEXT: [(&str, &str); 6] = [
    ("@opening", "among the speaker's first two utterances"),
    ("@ending", "among the speaker's last two utterances"),
    ("@question", "asks a question"),
    ("@after_question", "answers a question"),
    ("@after_objection", "answers an objection"),
    ("@long", "15 words or more"),
];
/// The prefix of the feature naming the utterance's first stem ("understood", «понимаю»,
/// "great" open different stages).
pub const FIRST: &str = "^";

/// Where an utterance stands in its call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    pub opening: bool,
    pub ending: bool,
    pub question: bool,
    pub after_question: bool,
    pub after_objection: bool,
}

/// The features of an utterance, deduplicated, in a fixed order.
pub fn features(tokens: &[Token], ctx: &Context) -> Vec<String> {
    let mut out = super::examples::terms(tokens);
    out.extend(tokens.first().map(|t| format!("{FIRST}{}", t.term())));
    let flags = [
        ctx.opening,
        ctx.ending,
        ctx.question,
        ctx.after_question,
        ctx.after_objection,
        tokens.len() >= 15,
    ];
    out.extend(CONTEXT.iter().zip(flags).filter(|(_, on)| *on).map(|((f, _), _)| f.to_string()));
    out.sort_unstable();
    out.dedup();
    out
}

/// One language's weights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LangModel {
    /// Per class.
    pub bias: Vec<f64>,
    /// Per feature, per class.
    pub weights: HashMap<String, Vec<f64>>,
}

/// One multinomial logistic regression: its classes, the probability it must reach to be
/// taken, and its weights per language.
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    /// The class meaning "nothing to say" first (`none`, `neutral`), then the others.
    pub classes: Vec<String>,
    /// A class other than the first is taken only at this probability or above.
    pub min_probability: f64,
    pub languages: BTreeMap<String, LangModel>,
}

/// A trained model: the stage head, and the heads for the customer's tone and the customer's
/// objections when it was trained with those labels.
#[derive(Debug, Clone, PartialEq)]
pub struct StageModel {
    /// `none` first, then stage ids.
    pub stages: Classifier,
    /// `neutral`, `interested`, `wary` (customer utterances).
    pub customer_tone: Option<Classifier>,
    /// `none`, then objection categories of the script (customer utterances).
    pub objections: Option<Classifier>,
    /// What it was trained on, for people reading the file.
    pub trained_on: String,
}

/// The model's answer for one utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Index into [`Classifier::classes`].
    pub class: usize,
    pub probability: f64,
    /// The features that pushed most toward the class, largest first (at most three).
    pub top: Vec<(String, f64)>,
}

impl Classifier {
    /// Each class's probability for `features` in `language`; `None` when the model has no
    /// weights for that language.
    pub fn probabilities(&self, language: &str, features: &[String]) -> Option<Vec<f64>> {
        let m = self.languages.get(language)?;
        let mut z = m.bias.clone();
        for w in features.iter().filter_map(|f| m.weights.get(f)) {
            for (zk, wk) in z.iter_mut().zip(w.iter()) {
                *zk += wk;
            }
        }
        Some(softmax(&z))
    }

    /// The most likely class for `features` in `language`; `None` when the model has no weights
    /// for that language.
    pub fn predict(&self, language: &str, features: &[String]) -> Option<Prediction> {
        let p = self.probabilities(language, features)?;
        let class = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b]))?;
        Some(self.explain(language, features, class, p[class]))
    }

    /// `class` for `features`, with `probability` and the features that pushed most toward it.
    fn explain(
        &self,
        language: &str,
        features: &[String],
        class: usize,
        probability: f64,
    ) -> Prediction {
        let Some(m) = self.languages.get(language) else {
            return Prediction { class, probability, top: Vec::new() };
        };
        // A feature's push toward the class: its weight there minus its mean weight.
        let k = self.classes.len() as f64;
        let mut top: Vec<(String, f64)> = features
            .iter()
            .filter_map(|f| m.weights.get(f).map(|w| (f, w)))
            .map(|(f, w)| (f.clone(), w[class] - w.iter().sum::<f64>() / k))
            .filter(|(_, push)| *push > 0.0)
            .collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top.truncate(3);
        Prediction { class, probability, top }
    }

    /// For a head whose classes after the first are kinds of one thing (objection categories):
    /// the likeliest kind, taken when all kinds together reach `min_probability`, which is then
    /// the probability given.
    pub fn decide_any(&self, language: &str, features: &[String]) -> Option<Prediction> {
        let p = self.probabilities(language, features)?;
        let any = 1.0 - p[0];
        let class = (1..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b]))?;
        (any >= self.min_probability).then(|| self.explain(language, features, class, any))
    }

    /// The class taken for `features`: `None` for the first class, under `min_probability`, or
    /// in a language the model has no weights for.
    pub fn decide(&self, language: &str, features: &[String]) -> Option<Prediction> {
        self.predict(language, features)
            .filter(|p| p.class != 0 && p.probability >= self.min_probability)
    }

    fn from_raw(raw: RawHead, first: &str, name: &str) -> Result<Classifier, String> {
        let k = raw.classes.len();
        let unique: std::collections::HashSet<&String> = raw.classes.iter().collect();
        if k < 2 || raw.classes[0] != first || unique.len() != k {
            return Err(format!("{name}: classes must start with {first:?}, then name each once"));
        }
        if !(0.0..=1.0).contains(&raw.min_probability) {
            return Err(format!("{name}: min_probability must lie in 0..=1"));
        }
        let mut languages = BTreeMap::new();
        for (lang, m) in raw.languages {
            let bad = |what: &str| format!("{name}: languages.{lang}: {what} needs {k} numbers");
            if m.bias.len() != k || m.bias.iter().any(|x| !x.is_finite()) {
                return Err(bad("bias"));
            }
            if let Some((f, _)) =
                m.weights.iter().find(|(_, w)| w.len() != k || w.iter().any(|x| !x.is_finite()))
            {
                return Err(bad(&format!("weight {f:?}")));
            }
            languages
                .insert(lang, LangModel { bias: m.bias, weights: m.weights.into_iter().collect() });
        }
        Ok(Classifier { classes: raw.classes, min_probability: raw.min_probability, languages })
    }

    /// Weights rounded to 4 decimals; features whose weights all round to 0 are left out.
    fn to_raw(&self) -> RawHead {
        let round = |w: &[f64]| -> Vec<f64> { w.iter().map(|x| (x * 1e4).round() / 1e4).collect() };
        let languages = self
            .languages
            .iter()
            .map(|(lang, m)| {
                let weights = m
                    .weights
                    .iter()
                    .map(|(f, w)| (f.clone(), round(w)))
                    .filter(|(_, w)| w.iter().any(|x| *x != 0.0))
                    .collect::<BTreeMap<_, _>>();
                (lang.clone(), RawLang { bias: round(&m.bias), weights })
            })
            .collect();
        RawHead { classes: self.classes.clone(), min_probability: self.min_probability, languages }
    }
}

/// The first class of the customer-tone head.
pub const NEUTRAL: &str = "neutral";
/// The customer-tone head's class for interest in the offer.
pub const INTERESTED: &str = "interested";

impl StageModel {
    /// Reads a model file; `name` names it in errors.
    pub fn parse(text: &str, name: &str) -> Result<StageModel, String> {
        let raw: RawModel = toml::from_str(text).map_err(|e| format!("{name}: {}", e.message()))?;
        let head = |h: Option<RawHead>, first: &str, what: &str| {
            h.map(|h| Classifier::from_raw(h, first, &format!("{name}: [{what}]"))).transpose()
        };
        let stages = RawHead {
            classes: raw.classes,
            min_probability: raw.min_probability,
            languages: raw.languages,
        };
        Ok(StageModel {
            stages: Classifier::from_raw(stages, NONE, name)?,
            customer_tone: head(raw.customer_tone, NEUTRAL, "customer_tone")?,
            objections: head(raw.objections, NONE, "objections")?,
            trained_on: raw.trained_on,
        })
    }

    /// The model as a TOML file.
    pub fn to_toml(&self) -> Result<String, String> {
        let stages = self.stages.to_raw();
        let raw = RawModel {
            trained_on: self.trained_on.clone(),
            classes: stages.classes,
            min_probability: stages.min_probability,
            languages: stages.languages,
            customer_tone: self.customer_tone.as_ref().map(Classifier::to_raw),
            objections: self.objections.as_ref().map(Classifier::to_raw),
        };
        let body = toml::to_string(&raw).map_err(|e| format!("cannot write the model: {e}"))?;
        Ok(format!(
            "# callgauge model: multinomial logistic regressions over word stems, stem pairs and\n\
             # the utterance's place in the call, one per head: script stages (top level), the\n\
             # customer's tone and the customer's objections (see `callgauge script train --help`).\n\
             # Written by `callgauge script train`; retrain it rather than editing weights.\n{body}"
        ))
    }
}

#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    #[serde(default)]
    trained_on: String,
    classes: Vec<String>,
    min_probability: f64,
    languages: BTreeMap<String, RawLang>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    customer_tone: Option<RawHead>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    objections: Option<RawHead>,
}

#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct RawHead {
    classes: Vec<String>,
    min_probability: f64,
    languages: BTreeMap<String, RawLang>,
}

#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct RawLang {
    bias: Vec<f64>,
    weights: BTreeMap<String, Vec<f64>>,
}

fn softmax(z: &[f64]) -> Vec<f64> {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|x| (x - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.into_iter().map(|x| x / sum).collect()
}

/// A labelled training row: its features and its class index.
pub struct Example {
    pub features: Vec<String>,
    pub class: usize,
}

/// How [`train`] fits.
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    /// L2 penalty (per example).
    pub l2: f64,
    /// Full-batch gradient steps.
    pub iterations: usize,
    /// Step size.
    pub rate: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { l2: 0.1, iterations: 300, rate: 0.5 }
    }
}

/// Fits one language's weights by full-batch gradient descent on the cross-entropy; the same
/// rows give the same weights on every machine.
pub fn train(rows: &[Example], classes: usize, opt: TrainOptions) -> LangModel {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    let encoded: Vec<Vec<usize>> = rows
        .iter()
        .map(|r| {
            r.features
                .iter()
                .map(|f| {
                    *index.entry(f.as_str()).or_insert_with(|| {
                        names.push(f);
                        names.len() - 1
                    })
                })
                .collect()
        })
        .collect();
    let n = rows.len().max(1) as f64;
    let mut w = vec![vec![0.0; classes]; names.len()];
    let mut b = vec![0.0; classes];
    for _ in 0..opt.iterations {
        let mut gw = vec![vec![0.0; classes]; names.len()];
        let mut gb = vec![0.0; classes];
        for (row, feats) in rows.iter().zip(&encoded) {
            let mut z = b.clone();
            for &f in feats {
                for (zk, wk) in z.iter_mut().zip(&w[f]) {
                    *zk += wk;
                }
            }
            let mut p = softmax(&z);
            p[row.class] -= 1.0;
            for &f in feats {
                for (g, pk) in gw[f].iter_mut().zip(&p) {
                    *g += pk;
                }
            }
            for (g, pk) in gb.iter_mut().zip(&p) {
                *g += pk;
            }
        }
        for (wf, gf) in w.iter_mut().zip(&gw) {
            for (wk, gk) in wf.iter_mut().zip(gf) {
                *wk -= opt.rate * (gk / n + opt.l2 * *wk / n);
            }
        }
        for (bk, gk) in b.iter_mut().zip(&gb) {
            *bk -= opt.rate * gk / n;
        }
    }
    LangModel { bias: b, weights: names.into_iter().map(String::from).zip(w).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokens;

    fn row(text: &str, question: bool, class: usize) -> Example {
        let ctx = Context { question, ..Context::default() };
        Example { features: features(&tokens(text), &ctx), class }
    }

    #[test]
    fn features_hold_stems_pairs_numbers_and_context() {
        let ctx = Context { opening: true, question: true, ..Context::default() };
        let f = features(&tokens("How many trucks, 12?"), &ctx);
        for want in ["how", "mani", "truck", "#", "how mani", "mani truck", "truck #"] {
            assert!(f.contains(&want.to_string()), "{want} not in {f:?}");
        }
        assert!(f.contains(&"@opening".into()) && f.contains(&"@question".into()));
        assert!(!f.contains(&"@ending".into()) && !f.contains(&"@long".into()));
    }

    #[test]
    fn learns_separable_classes_and_explains_its_answer() {
        let rows = [
            row("how many people work there", true, 1),
            row("how often do you order paper", true, 1),
            row("what do you use today", true, 1),
            row("we deliver next day at a fixed price", false, 2),
            row("our service delivers every morning", false, 2),
            row("we deliver to the whole region", false, 2),
            row("okay", false, 0),
            row("right", false, 0),
        ];
        let lm = train(&rows, 3, TrainOptions::default());
        let head = Classifier {
            classes: vec![NONE.into(), "needs".into(), "offer".into()],
            min_probability: 0.5,
            languages: [("en".to_string(), lm)].into(),
        };
        let model = StageModel {
            stages: head.clone(),
            customer_tone: None,
            objections: Some(head),
            trained_on: "unit test".into(),
        };
        let whole = model;
        let model = &whole.stages.clone();
        let ask = row("how many offices do you have", true, 1).features;
        let p = model.predict("en", &ask).unwrap();
        assert_eq!(p.class, 1, "{p:?}");
        assert!(p.probability > 0.5, "{p:?}");
        assert!(!p.top.is_empty() && p.top.len() <= 3, "{p:?}");
        let offer = row("we deliver office paper", false, 2).features;
        assert_eq!(model.predict("en", &offer).unwrap().class, 2);
        assert!(model.predict("ru", &offer).is_none());
        assert_eq!(model.decide("en", &ask).map(|p| p.class), Some(1));
        assert!(model.decide("en", &row("okay", false, 0).features).is_none(), "the first class");
        // The file written is the file read, heads included.
        let whole = StageModel { stages: model.clone(), objections: Some(model.clone()), ..whole };
        let back = StageModel::parse(&whole.to_toml().unwrap(), "m.toml").unwrap();
        assert_eq!(back.stages.predict("en", &ask).unwrap().class, 1);
        assert_eq!(back.stages.classes, model.classes);
        assert_eq!(back.objections.unwrap().predict("en", &ask).unwrap().class, 1);
        assert!(back.customer_tone.is_none());
    }

    #[test]
    fn kinds_of_one_thing_count_together() {
        // Two objection categories share the evidence: neither reaches 0.5, both together do.
        let lm = LangModel {
            bias: vec![1.0, 0.0, 0.0],
            weights: [("fee".to_string(), vec![0.0, 1.0, 1.0])].into_iter().collect(),
        };
        let head = Classifier {
            classes: vec![NONE.into(), "price".into(), "no_budget".into()],
            min_probability: 0.5,
            languages: [("en".to_string(), lm)].into(),
        };
        let f = vec!["fee".to_string()];
        assert!(head.decide("en", &f).is_none(), "{:?}", head.predict("en", &f));
        let p = head.decide_any("en", &f).unwrap();
        assert_ne!(p.class, 0);
        assert!((p.probability - 2.0 / 3.0).abs() < 1e-9, "{p:?}");
        assert_eq!(p.top, [("fee".to_string(), 1.0 - 2.0 / 3.0)]);
        assert!(head.decide_any("en", &[]).is_none(), "no evidence, no objection");
    }

    #[test]
    fn malformed_models_are_refused_with_the_reason() {
        let e = StageModel::parse("classes = [\"a\"]\nmin_probability = 0.5\n[languages]\n", "m")
            .unwrap_err();
        assert!(e.contains("\"none\""), "{e}");
        let text = "classes = [\"none\", \"x\"]\nmin_probability = 0.5\n\
                    [languages.en]\nbias = [0.0]\nweights = {}\n";
        let e = StageModel::parse(text, "m").unwrap_err();
        assert!(e.contains("bias needs 2 numbers"), "{e}");
        let text = "classes = [\"none\", \"x\"]\nmin_probability = 0.5\n[languages]\n\
                    [customer_tone]\nclasses = [\"wary\", \"neutral\"]\nmin_probability = 0.5\n\
                    [customer_tone.languages]\n";
        let e = StageModel::parse(text, "m").unwrap_err();
        assert!(e.contains("[customer_tone]") && e.contains("\"neutral\""), "{e}");
    }
}
