//! Stages: the sales script applied to a transcribed call — stages reached, checklist,
//! objections and a quality index.
//!
//! Takes: a compiled [`Script`], the call's segments (speaker, time, text, optional word times),
//! a few call figures ([`Facts`]) and, if known, the call's [`Outcome`]. Gives: a
//! [`ScriptResult`], the `stages` / `checklist` / `objections` / `score` / `tone` parts of the
//! call JSON.
//! Must not: transcribe, read audio, or know whether the segments came from callgauge's own ASR
//! or another one (`callgauge score` feeds it stored transcripts).

pub mod checklist;
pub mod examples;
pub mod from_text;
pub mod funnel;
pub mod labels;
pub mod matcher;
pub mod model;
pub mod outcomes;
pub mod script;
pub mod tone;

pub use checklist::{ChecklistOut, ItemOut, ScoreOut};
pub use funnel::{CallView, Funnel};
pub use outcomes::{Outcome, OutcomeOut};
pub use script::{Script, ScriptError, ScriptInfo};
pub use tone::ToneOut;

use crate::text::{self, tokens};
use crate::transcript::{Role, Utterance};
use matcher::Phrase;
use schemars::JsonSchema;
use script::{Phrases, SpeakerRule};
use serde::Serialize;

/// Call figures the checklist and the score use; `None` when unknown (mono, other ASR).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub language: Option<String>,
    pub agent_share_of_speech: Option<f64>,
    pub agent_questions: Option<usize>,
    pub agent_longest_monologue_s: Option<f64>,
}

/// How a stage hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A script phrase matched words of the utterance.
    Phrase,
    /// The utterance is similar enough to one of the stage's examples.
    Example,
    /// The script's stage model named the stage (no phrase or example matched the utterance).
    Model,
}

/// One stage found in the call, with its evidence.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Hit {
    /// The stage id (in `stages.hits`) or objection category (in `objections`).
    pub stage: String,
    /// What matched: the script phrase or example as written in the script, or for the model
    /// the features that weighed most (e.g. `model: "how many" +1.2; asks a question +0.9`).
    pub phrase: String,
    /// The words of the call that matched: the phrase's words first to last, or the whole
    /// segment for an example or the model — for a stage hit of the model, the speaker's whole
    /// turn (segments less than the turn bridge apart, joined) when it was judged as one.
    pub text: String,
    pub speaker: Role,
    /// When the first matched word starts (the segment's or turn's start when there are no
    /// word times, and for an example or the model).
    pub start_s: f64,
    /// How it was found.
    pub method: Method,
    /// The example's similarity (0–1) or the model's probability; `null` for a phrase.
    pub score: Option<f64>,
}

/// `stages` in the call JSON.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StagesOut {
    /// Stage ids reached, in script order.
    pub reached: Vec<String>,
    /// When each reached stage was first heard, in script order.
    pub first_reached_s: Vec<StageTime>,
    /// The furthest stage reached in script order: where the call dropped out of the funnel.
    pub last: Option<String>,
    pub order_violations: Vec<OrderViolation>,
    /// One hit per stage and segment (or turn, for the stage model), in call order.
    pub hits: Vec<Hit>,
    /// Set when the call is a service call (the customer opened it and the agent's first turn
    /// answered with a `[no_stage] service_calls` phrase and no greeting): none of the agent's
    /// lines is then a stage, and this is why; `null` otherwise (and absent in documents
    /// written before 0.18.0).
    pub service_call: Option<ServiceCall>,
}

/// The evidence that a call is a service call.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ServiceCall {
    /// The `[no_stage] service_calls` phrase as written in the script.
    pub phrase: String,
    /// The agent's words that matched it.
    pub text: String,
    /// When the agent said them.
    pub at_s: f64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StageTime {
    /// The stage id.
    pub stage: String,
    /// When it was first heard.
    pub at_s: f64,
}

/// A stage heard before the required stage that should precede it ("presentation before any
/// needs discovery").
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OrderViolation {
    /// The stage heard too early.
    pub stage: String,
    /// The preceding required stage that had not been heard yet (or never was).
    pub before: String,
    /// When it was heard.
    pub at_s: f64,
}

/// An objection the customer raised.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ObjectionOut {
    /// The objection category's id in the script.
    pub category: String,
    /// The script phrase the customer's words matched, or for the model the features that
    /// weighed most (`model: "too expensive" +1.4; …`).
    pub phrase: String,
    /// When the customer raised it.
    pub at_s: f64,
    /// The customer's words that matched (the whole utterance for the model).
    pub text: String,
    /// How it was found: `phrase`, or `model` (the script's model, for an utterance no
    /// category's phrase matched).
    pub method: Method,
    /// The model's probability; `null` for a phrase.
    pub score: Option<f64>,
    /// The agent said a handling phrase within the script's `handle_within_s`.
    pub handled: bool,
    /// When the handling phrase started, if handled.
    pub handled_at_s: Option<f64>,
    /// From the end of the customer's utterance to the agent's next utterance (negative when
    /// the agent started over the customer); `null` if the agent never spoke again.
    pub agent_pause_s: Option<f64>,
}

/// Everything the script says about one call.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScriptResult {
    pub script: ScriptInfo,
    pub stages: StagesOut,
    pub checklist: ChecklistOut,
    pub objections: Vec<ObjectionOut>,
    pub score: ScoreOut,
    pub tone: ToneOut,
}

/// A segment's words, each with the time it starts and its position among the segment's words.
struct Said<'a> {
    seg: &'a Utterance,
    tokens: Vec<text::Token>,
    /// For each token: (start_s, display text of its source word).
    at: Vec<(f64, String)>,
    /// For each token: which sentence of the utterance it is in.
    sentence: Vec<usize>,
}

impl<'a> Said<'a> {
    fn new(seg: &'a Utterance) -> Self {
        let mut toks = Vec::new();
        let mut at = Vec::new();
        let mut sentence = Vec::new();
        if seg.words.is_empty() {
            for (i, part) in text::sentences(&seg.text).enumerate() {
                for t in tokens(part) {
                    at.push((seg.start_s, t.word.clone()));
                    toks.push(t);
                    sentence.push(i);
                }
            }
        } else {
            let mut i = 0;
            for w in &seg.words {
                for t in tokens(&w.text) {
                    at.push((w.start_s, w.text.trim().to_string()));
                    toks.push(t);
                    sentence.push(i);
                }
                i += w.text.trim_end().ends_with(['.', '!', '?', '…']) as usize;
            }
        }
        Said { seg, tokens: toks, at, sentence }
    }

    /// A hit on the whole utterance (an example's or the model's).
    fn whole(&self, stage: &str, phrase: String, method: Method, score: f64) -> Hit {
        Hit {
            stage: stage.to_string(),
            phrase,
            text: self.seg.text.trim().to_string(),
            speaker: self.seg.speaker,
            start_s: self.seg.start_s,
            method,
            score: Some(score),
        }
    }

    /// A model feature in words: a context feature's description, or the utterance's words
    /// whose stems make the feature, quoted.
    fn describe(&self, feature: &str) -> String {
        if let Some((_, what)) = model::CONTEXT.iter().find(|(f, _)| *f == feature) {
            return what.to_string();
        }
        if let Some(stem) = feature.strip_prefix(model::FIRST) {
            let word = self.tokens.first().filter(|t| t.term() == stem).map(|t| t.word.as_str());
            return format!("begins with \"{}\"", word.unwrap_or(stem));
        }
        let stems: Vec<&str> = feature.split(' ').collect();
        let words = self
            .tokens
            .windows(stems.len())
            .find(|w| w.iter().zip(&stems).all(|(t, s)| t.term() == *s))
            .map(|w| w.iter().map(|t| t.word.as_str()).collect::<Vec<_>>().join(" "));
        format!("\"{}\"", words.unwrap_or_else(|| feature.to_string()))
    }

    /// The model's answer in words: `model: "how many" +1.20; asks a question +0.90`.
    fn explain(&self, p: &model::Prediction) -> String {
        let why: Vec<String> =
            p.top.iter().map(|(f, w)| format!("{} {w:+.2}", self.describe(f))).collect();
        format!("model: {}", why.join("; "))
    }

    fn speaks_for(&self, rule: SpeakerRule) -> bool {
        match (rule, self.seg.speaker) {
            (SpeakerRule::Any, _) | (_, Role::Unknown) => true,
            (SpeakerRule::Agent, r) => r == Role::Agent,
            (SpeakerRule::Customer, r) => r == Role::Customer,
        }
    }

    /// The first of `phrases` heard here, as a hit labelled `label`.
    fn find(&self, label: &str, phrases: &[&Phrase], script: &Script) -> Option<Hit> {
        self.find_in_sentence(label, phrases, script).map(|(hit, _)| hit)
    }

    /// How many words sentence `i` of the utterance has.
    fn sentence_words(&self, i: usize) -> usize {
        self.sentence.iter().filter(|&&x| x == i).count()
    }

    /// [`Said::find`], with the sentence of the utterance the hit starts in.
    fn find_in_sentence(
        &self,
        label: &str,
        phrases: &[&Phrase],
        script: &Script,
    ) -> Option<(Hit, usize)> {
        phrases.iter().find_map(|p| {
            let (a, b) = p.find(&self.tokens, &script.matching)?;
            let mut text: Vec<&str> = Vec::new();
            for (_, w) in &self.at[a..=b] {
                if text.last() != Some(&w.as_str()) {
                    text.push(w);
                }
            }
            let hit = Hit {
                stage: label.to_string(),
                phrase: p.text.clone(),
                text: text.join(" "),
                speaker: self.seg.speaker,
                start_s: self.at[a].0,
                method: Method::Phrase,
                score: None,
            };
            Some((hit, self.sentence[a]))
        })
    }
}

/// Where each utterance that speaks for `speaker` stands in the call, for the model: `None` for
/// the others (mono calls' utterances speak for both). `@after_objection` is only ever set for
/// the agent.
/// `asks` says which utterances ask a question.
fn contexts(
    said: &[Said],
    asks: &[bool],
    objections: &[ObjectionOut],
    speaker: SpeakerRule,
) -> Vec<Option<model::Context>> {
    let mine: Vec<usize> = (0..said.len()).filter(|&i| said[i].speaks_for(speaker)).collect();
    let mut out = vec![None; said.len()];
    for (rank, &i) in mine.iter().enumerate() {
        out[i] = Some(model::Context {
            opening: rank < 2,
            ending: rank + 2 >= mine.len(),
            question: asks[i],
            after_question: previous_turn(said, i).is_some_and(|j| asks[j]),
            after_objection: speaker == SpeakerRule::Agent
                && answers_objection(said, i, objections),
        });
    }
    out
}

/// The other side's utterance just before utterance `i` (any utterance on a mono call).
fn previous_turn(said: &[Said], i: usize) -> Option<usize> {
    let me = said[i].seg.speaker;
    (0..i).rev().find(|&j| said[j].seg.speaker != me || me == Role::Unknown)
}

/// Utterance `i` comes right after the customer's utterance that raised one of `objections`.
fn answers_objection(said: &[Said], i: usize, objections: &[ObjectionOut]) -> bool {
    previous_turn(said, i).is_some_and(|j| {
        let p = &said[j];
        p.speaks_for(SpeakerRule::Customer)
            && objections.iter().any(|o| (p.seg.start_s..=p.seg.end_s).contains(&o.at_s))
    })
}

/// The model's features of each utterance, for the side it speaks for: what `callgauge script
/// train` learns from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    /// For the stage head.
    pub agent: Option<Vec<String>>,
    /// For the customer-tone and objection heads.
    pub customer: Option<Vec<String>>,
    /// The customer-tone head's answer for a customer's utterance (asked once: the objection
    /// head and the tone labels both use it).
    pub tone: Option<model::Prediction>,
}

/// Each utterance's [`Features`]; the agent's `@after_objection` counts the objections the
/// script's phrases and the objection head of `heads` find.
pub fn utterance_features(
    script: &Script,
    segments: &[Utterance],
    lang: Option<&str>,
    heads: CustomerHeads,
) -> Vec<Features> {
    let said: Vec<Said> = segments.iter().map(Said::new).collect();
    features_and_objections(script, &said, lang, heads, &[]).0
}

/// The model's heads that read the customer's lines: the objections they find set the agent's
/// `@after_objection`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CustomerHeads<'a> {
    pub objections: Option<&'a model::Classifier>,
    /// A line this head finds interested raises no objection by the objection head.
    pub tone: Option<&'a model::Classifier>,
}

/// The model's features of every utterance and the objections found (the agent's features
/// depend on them).
fn features_and_objections(
    script: &Script,
    said: &[Said],
    lang: Option<&str>,
    heads: CustomerHeads,
    vetoed: &[bool],
) -> (Vec<Features>, Vec<ObjectionOut>) {
    let asks: Vec<bool> = said.iter().map(|s| text::is_question(&s.seg.text)).collect();
    let customer: Vec<Option<Vec<String>>> = said
        .iter()
        .zip(contexts(said, &asks, &[], SpeakerRule::Customer))
        .map(|(s, c)| c.map(|c| model::features(&s.tokens, &c)))
        .collect();
    let tone: Vec<Option<model::Prediction>> = said
        .iter()
        .zip(&customer)
        .map(|(s, f)| {
            let on = s.seg.speaker == Role::Customer;
            heads
                .tone
                .filter(|_| on)
                .zip(lang)
                .zip(f.as_ref())
                .and_then(|((t, l), f)| t.predict(l, f))
        })
        .collect();
    let objections = find_objections(script, said, lang, heads, &customer, &tone, vetoed);
    let features = said
        .iter()
        .zip(contexts(said, &asks, &objections, SpeakerRule::Agent))
        .zip(customer.into_iter().zip(tone))
        .map(|((s, a), (customer, tone))| Features {
            agent: a.map(|c| model::features(&s.tokens, &c)),
            customer,
            tone,
        })
        .collect();
    (features, objections)
}

/// What the model's tone head says of each customer utterance, in words a report can show
/// (`None`: not the customer's, or no model, head or weights for the language).
fn tone_guesses(
    model: Option<&model::StageModel>,
    said: &[Said],
    features: &[Features],
) -> Vec<Option<tone::Guess>> {
    said.iter()
        .zip(features)
        .map(|(s, f)| {
            if s.seg.speaker != Role::Customer {
                return None;
            }
            let (head, p) = (model?.customer_tone.as_ref()?, f.tone.as_ref()?);
            if p.class == 0 || p.probability < head.min_probability {
                let neutral = model::NEUTRAL.to_string();
                return Some(tone::Guess { tone: neutral, probability: 0.0, why: String::new() });
            }
            Some(tone::Guess {
                tone: head.classes[p.class].clone(),
                probability: p.probability,
                why: s.explain(p),
            })
        })
        .collect()
}

/// Applies `script` to a call, each segment one utterance (as labelled calls are: `script
/// eval`, `script train`).
pub fn evaluate(
    script: &Script,
    segments: &[Utterance],
    facts: &Facts,
    outcome: Option<&Outcome>,
) -> ScriptResult {
    evaluate_with(script, segments, None, facts, outcome)
}

/// Applies `script` to a call as an ASR cut it into segments. The stage model judges whole
/// turns — one speaker's segments less than `bridge_s` apart, joined — as it was trained on
/// whole utterances: Whisper cuts one line into sentences, and alone "Could I speak to the
/// manager?" after a greeting reads as needs discovery. In a turn it may name a stage beside
/// the one a phrase matched (a phrase in one sentence says nothing of the rest). Phrases and
/// examples still count in every segment, and so does a segment the model names a stage with
/// probability [`SEGMENT_MIN_PROBABILITY`] or more (an agent who greets and asks in one turn
/// has done both). Objections, tone and the checklist's items are found per segment, as by
/// [`evaluate`]; a call with an `unknown` speaker (mono, no roles) is scored per segment.
pub fn evaluate_turns(
    script: &Script,
    segments: &[Utterance],
    bridge_s: f64,
    facts: &Facts,
    outcome: Option<&Outcome>,
) -> ScriptResult {
    evaluate_with(script, segments, Some(bridge_s), facts, outcome)
}

/// A segment's own stage from the model counts beside its turn's from this probability on.
/// Chosen on the recordings of the tuning splits (README, "How stages are found") with a first
/// version of the merge: from 0.5 to 0.9, precision per utterance rose and recall moved by 0.01
/// or less.
pub const SEGMENT_MIN_PROBABILITY: f64 = 0.9;

/// The customer-line context the stage finder needs: the model's features per utterance and
/// the objections raised.
fn context(
    script: &Script,
    said: &[Said],
    lang: Option<&str>,
    vetoed: &[bool],
) -> (Vec<Features>, Vec<ObjectionOut>) {
    match script.model.as_ref().map(|(_, m)| m) {
        Some(m) => {
            let heads =
                CustomerHeads { objections: m.objections.as_ref(), tone: m.customer_tone.as_ref() };
            features_and_objections(script, said, lang, heads, vetoed)
        }
        None => (
            vec![Features::default(); said.len()],
            find_objections(script, said, lang, CustomerHeads::default(), &[], &[], vetoed),
        ),
    }
}

/// The stage hits of a call's turns beside the hits `by_segment` found in its segments that
/// stand on their own: a phrase or example, or a model hit of [`SEGMENT_MIN_PROBABILITY`] or
/// more. A turn's hit of a stage one of its segments already has is left out (the segment's
/// is the more exact in time).
fn with_turns(
    script: &Script,
    segments: &[Utterance],
    bridge_s: f64,
    lang: Option<&str>,
    by_segment: Vec<Hit>,
) -> Vec<Hit> {
    // A mono call whose voices have no roles is one `unknown` speaker throughout: its "turns"
    // would be whole stretches of the conversation.
    if segments.iter().any(|s| s.speaker == Role::Unknown) {
        return by_segment;
    }
    let mut sorted = segments.to_vec();
    sorted.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    let turns = crate::transcript::utterances(&sorted, bridge_s);
    if turns.len() == sorted.len() {
        return by_segment;
    }
    let said: Vec<Said> = turns.iter().map(Said::new).collect();
    // Whisper cuts "Understood. I'll take you off our list." into sentences: a turn that is no
    // stage by `[no_stage]` keeps none of its segments' hits either.
    let vetoed = no_stage(script, &said, lang);
    let (features, objections) = context(script, &said, lang, &vetoed);
    let turn_of = |h: &Hit| {
        turns
            .iter()
            .position(|t| t.speaker == h.speaker && t.start_s <= h.start_s && h.start_s <= t.end_s)
    };
    let mut hits: Vec<Hit> = by_segment
        .into_iter()
        .filter(|h| {
            h.method != Method::Model || h.score.is_some_and(|p| p >= SEGMENT_MIN_PROBABILITY)
        })
        .filter(|h| !turn_of(h).is_some_and(|t| vetoed[t]))
        .collect();
    // Each kept segment hit's stage and turn, looked up once.
    let own: Vec<(String, Option<usize>)> =
        hits.iter().map(|h| (h.stage.clone(), turn_of(h))).collect();
    for h in find_hits(script, &said, lang, &objections, &features, &vetoed, true) {
        let turn = turn_of(&h);
        if !own.iter().any(|(stage, t)| *stage == h.stage && *t == turn) {
            hits.push(h);
        }
    }
    hits
}

fn evaluate_with(
    script: &Script,
    segments: &[Utterance],
    bridge_s: Option<f64>,
    facts: &Facts,
    outcome: Option<&Outcome>,
) -> ScriptResult {
    let said: Vec<Said> = segments.iter().map(Said::new).collect();
    let lang = facts.language.as_deref();
    let model = script.model.as_ref().map(|(_, m)| m);
    let vetoed = no_stage(script, &said, lang);
    let (features, objections) = context(script, &said, lang, &vetoed);
    let mut hits = find_hits(script, &said, lang, &objections, &features, &vetoed, false);
    let service = service_call(script, &said, lang, &hits);
    if service.is_some() {
        // No line of the agent's is a stage (nor, then, any of their turns).
        hits.retain(|h| h.speaker != Role::Agent);
    } else if let Some(bridge_s) = bridge_s {
        hits = with_turns(script, segments, bridge_s, lang, hits);
    }
    let stages = StagesOut { service_call: service, ..stages_out(script, hits) };
    let checklist = checklist::evaluate(&checklist::Found {
        script,
        stages: &stages,
        objections: &objections,
        said: &said,
        facts,
        lang,
    });
    let score = checklist::score(&script.score, &checklist, &objections, facts, outcome);
    let guesses = tone_guesses(model, &said, &features);
    // The objection a customer's line raised; of several, a wary one (`[tone] wary_objections`).
    let raised = |s: &Said| {
        let on = s.seg.speaker != Role::Agent;
        let mut here =
            objections.iter().filter(|o| on && (s.seg.start_s..=s.seg.end_s).contains(&o.at_s));
        let first = here.clone().next();
        here.find(|o| script.tone.wary_objections.contains(&o.category)).or(first)
    };
    let words = said.iter().zip(guesses).map(|(s, g)| (s.seg, s.tokens.as_slice(), g, raised(s)));
    let tone = tone::evaluate(&script.tone, &script.matching, lang, words, outcome);
    ScriptResult { script: script.info(), stages, checklist, objections, score, tone }
}

/// Finds the first phrase of `phrases` said by `speaker`, in call order (labelled "").
fn first_hit<'a>(
    said: impl IntoIterator<Item = &'a Said<'a>>,
    phrases: &Phrases,
    speaker: SpeakerRule,
    script: &Script,
    lang: Option<&str>,
) -> Option<Hit> {
    let list = phrases.for_language(lang);
    said.into_iter().filter(|s| s.speaks_for(speaker)).find_map(|s| s.find("", &list, script))
}

/// A stage matched in one utterance beside others stays when the model gives it at least this
/// share of the best one's probability.
const RIVAL_SHARE: f64 = 0.1;
/// A sentence of this many words or fewer that holds only a handling phrase ("Of course.",
/// "Fair enough.") acknowledges an objection rather than answering it.
const ACK_WORDS: usize = 3;
/// The model names a stage or an objection only for an utterance of at least this many words.
const MODEL_MIN_WORDS: usize = 3;

/// Every utterance's stage hits, in no particular order (see [`stages_out`]); an utterance
/// `vetoed` (by [`no_stage`]) has none. With `model_beside_phrases` (a call's turns) the model also names the stage of an utterance
/// a phrase or example matched, when it names another one: a turn joins several sentences, and
/// a phrase in one of them says nothing of the rest.
fn find_hits(
    script: &Script,
    said: &[Said],
    lang: Option<&str>,
    objections: &[ObjectionOut],
    features: &[Features],
    vetoed: &[bool],
    model_beside_phrases: bool,
) -> Vec<Hit> {
    // `within_s` counts from the agent's first words, not from the start of the recording
    // (a recorder may have kept ringing, a menu or hold music before them).
    let first_words = said
        .iter()
        .filter(|s| s.speaks_for(SpeakerRule::Agent))
        .map(|s| s.seg.start_s)
        .fold(f64::INFINITY, f64::min);
    let early = |stage: &script::StageDef, at: f64| {
        stage.within_s.is_none_or(|w| at - first_words.min(at) <= w)
    };
    // Where a stage's phrases and examples may count.
    let allowed = |stage: &script::StageDef, at: f64| {
        early(stage, at)
            && (!stage.after_objection
                || objections
                    .iter()
                    .any(|o| (o.at_s..=o.at_s + script.handle_within_s).contains(&at)))
    };
    let mut hits = Vec::new();
    for (i, (s, f)) in said.iter().zip(features).enumerate() {
        if vetoed[i] {
            continue;
        }
        // This utterance's hits by phrase and example: stage index, sentence (`None`: the whole
        // utterance), hit.
        let mut mine: Vec<(usize, Option<usize>, Hit)> = Vec::new();
        for (k, stage) in script.stages.iter().enumerate() {
            if !s.speaks_for(stage.speaker) {
                continue;
            }
            let hit = s.find_in_sentence(&stage.id, &stage.phrases.for_language(lang), script);
            if let Some((hit, sentence)) = hit.filter(|(h, _)| allowed(stage, h.start_s)) {
                mine.push((k, Some(sentence), hit));
            }
        }
        let indexes = script.examples.iter().filter(|(l, _)| lang.is_none_or(|x| x == *l));
        for (_, index) in indexes {
            for m in index.matches(&s.tokens, script.matching.example_similarity) {
                let stage = &script.stages[m.stage];
                if mine.iter().any(|(k, _, _)| *k == m.stage)
                    || !s.speaks_for(stage.speaker)
                    || !allowed(stage, s.seg.start_s)
                {
                    continue;
                }
                let hit = s.whole(&stage.id, m.example, Method::Example, m.similarity);
                mine.push((m.stage, None, hit));
            }
        }
        let model = match (&script.model, lang, &f.agent) {
            (Some((_, model)), Some(l), Some(features)) => Some((&model.stages, l, features)),
            _ => None,
        };
        let Some((model, l, features)) = model else {
            hits.extend(mine.into_iter().map(|(_, _, h)| h));
            continue;
        };
        if mine.len() > 1
            && let Some(p) = model.probabilities(l, features)
        {
            // Several stages matched in one sentence (an example spans them all): the model
            // says which it is. Stages matched in different sentences all stay.
            let prob = |k: usize| {
                let id = &script.stages[k].id;
                model.classes.iter().position(|c| c == id).map_or(0.0, |c| p[c])
            };
            let rivals = |a: &(usize, Option<usize>, Hit), b: &(usize, Option<usize>, Hit)| {
                a.0 != b.0 && (a.1.is_none() || b.1.is_none() || a.1 == b.1)
            };
            let keep: Vec<bool> = mine
                .iter()
                .map(|a| !mine.iter().any(|b| rivals(a, b) && prob(b.0) > prob(a.0)))
                .collect();
            let mut keep = keep.into_iter();
            mine.retain(|_| keep.next().unwrap_or(true));
            // Stages matched in different sentences all stay, unless the model finds one far
            // less likely than the best ("I'll call you back" inside a presentation).
            let best = mine.iter().map(|a| prob(a.0)).fold(0.0, f64::max);
            mine.retain(|a| prob(a.0) >= RIVAL_SHARE * best);
        }
        // The model's answer, asked for at most once.
        let predicted = std::cell::OnceCell::new();
        let predict = || predicted.get_or_init(|| model.predict(l, features)).as_ref();
        // Right after an objection, phrases of the earlier stages ("who prints your labels at
        // the moment?", «небольшие тиражи делаем за два дня») are how the agent answers it:
        // the model, which weighs `@after_objection`, may name the answering stage there too.
        let answering = script.stages.iter().position(|st| st.after_objection);
        if let Some(k) = answering
            && !mine.iter().any(|a| a.0 >= k)
            && s.speaks_for(script.stages[k].speaker)
            && answers_objection(said, i, objections)
            && let Some(p) = predict()
            && model.classes[p.class] == script.stages[k].id
            && p.probability >= model.min_probability
        {
            mine.push((
                k,
                None,
                s.whole(&script.stages[k].id, s.explain(p), Method::Model, p.probability),
            ));
        }
        // "Of course. How about Wednesday at ten?": a handling phrase opens it, and the model
        // may still name a later stage (closing) for the rest.
        if let Some(k) = answering
            && !mine.is_empty()
            && mine.iter().all(|a| a.0 == k)
            && let Some(p) = predict()
            && let Some(j) = script.stages.iter().position(|st| st.id == model.classes[p.class])
            && j > k
            && p.probability >= model.min_probability
            && s.speaks_for(script.stages[j].speaker)
        {
            // "Of course." said as a sentence of its own acknowledges; the stage the rest of
            // the utterance is (the closing) is what it is.
            if mine.iter().all(|a| a.1.is_some_and(|x| s.sentence_words(x) <= ACK_WORDS)) {
                mine.clear();
            }
            mine.push((
                j,
                None,
                s.whole(&script.stages[j].id, s.explain(p), Method::Model, p.probability),
            ));
        }
        // An answer to an objection often restates the offer or asks again: the stage that
        // answers it wins over the stages the script puts before it, in the same utterance.
        if let Some(k) = mine.iter().map(|a| a.0).find(|&k| script.stages[k].after_objection) {
            mine.retain(|a| a.0 >= k);
        }
        // The stages matched, and the first the model may not name beside them (an answer to
        // an objection is not also an earlier stage).
        let matched: Vec<usize> = mine.iter().map(|a| a.0).collect();
        let answered = matched.iter().copied().find(|&k| script.stages[k].after_objection);
        if !mine.is_empty() {
            hits.extend(mine.into_iter().map(|(_, _, h)| h));
            if !model_beside_phrases {
                continue;
            }
        }
        let Some(p) = predict() else { continue };
        let Some(k) = script.stages.iter().position(|st| st.id == model.classes[p.class]) else {
            continue; // `none`
        };
        if matched.contains(&k) || answered.is_some_and(|a| k < a) {
            continue;
        }
        let stage = &script.stages[k];
        let early_enough = early(stage, s.seg.start_s);
        // A Whisper fragment of a word or two ("is free.") is too little to name a stage by.
        let enough_words = s.tokens.len() >= MODEL_MIN_WORDS;
        if p.probability >= model.min_probability
            && s.speaks_for(stage.speaker)
            && early_enough
            && enough_words
        {
            hits.push(s.whole(&stage.id, s.explain(p), Method::Model, p.probability));
        }
    }
    hits
}

/// Which utterances are no stage by `[no_stage]`: "Understood, I'll take you off our list." —
/// the agent accepts a refusal, and whatever else the line says (an apology, a goodbye,
/// "understood") is no stage. Not a line that asks something, nor the agent's first words (a
/// greeting, even one that apologises for the call).
fn no_stage(script: &Script, said: &[Said], lang: Option<&str>) -> Vec<bool> {
    let first_agent = said.iter().position(|s| s.seg.speaker == Role::Agent);
    let phrases = script.no_stage.for_language(lang);
    let vetoed = |(i, s): (usize, &Said)| {
        !phrases.is_empty()
            && s.seg.speaker == Role::Agent
            && Some(i) != first_agent
            && s.find("", &phrases, script).is_some()
            && !text::is_question(&s.seg.text)
    };
    said.iter().enumerate().map(vetoed).collect()
}

/// A service call: the customer speaks first (a fault, a late delivery, a claim) and the
/// agent's first turn (their lines until the customer speaks again) answers with a `[no_stage]
/// service_calls` phrase ("I'm so sorry about that", «простите, пожалуйста») and is no greeting
/// (`hits` has no hit of the script's first stage in it: "thanks for calling, this is Anna"
/// opens a sale even after "sorry to keep you waiting").
fn service_call(
    script: &Script,
    said: &[Said],
    lang: Option<&str>,
    hits: &[Hit],
) -> Option<ServiceCall> {
    let phrases = script.service_calls.for_language(lang);
    let first = said.iter().position(|s| s.seg.speaker == Role::Agent)?;
    if phrases.is_empty() || said[0].seg.speaker != Role::Customer {
        return None;
    }
    let turn: Vec<&Said> =
        said[first..].iter().take_while(|s| s.seg.speaker == Role::Agent).collect();
    let (from, to) = (turn[0].seg.start_s, turn[turn.len() - 1].seg.end_s);
    let greeting = script.stages.first().map(|g| g.id.as_str());
    let greets = hits.iter().any(|h| {
        Some(h.stage.as_str()) == greeting
            && h.speaker == Role::Agent
            && (from..=to).contains(&h.start_s)
    });
    if greets {
        return None;
    }
    let hit = turn.iter().find_map(|s| s.find("", &phrases, script))?;
    Some(ServiceCall { phrase: hit.phrase, text: hit.text, at_s: hit.start_s })
}

/// The stages reached, their order and their hits in call order.
fn stages_out(script: &Script, mut hits: Vec<Hit>) -> StagesOut {
    hits.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    // A stage that needs an earlier one ("see you Tuesday" closes a sale only once the agent
    // asked or offered something) counts from the first hit of one of those on.
    let mut heard = vec![false; script.stages.len()];
    hits.retain(|h| {
        let Some(k) = script.stages.iter().position(|st| st.id == h.stage) else { return true };
        let stage = &script.stages[k];
        let keep = stage.after_any.is_empty() || stage.after_any.iter().any(|&j| heard[j]);
        heard[k] |= keep;
        keep
    });
    let first = |id: &str| hits.iter().find(|h| h.stage == id).map(|h| h.start_s);
    let times: Vec<Option<f64>> = script.stages.iter().map(|s| first(&s.id)).collect();
    let mut order_violations = Vec::new();
    for (i, stage) in script.stages.iter().enumerate() {
        let Some(at) = times[i] else { continue };
        // The nearest earlier stage that is not optional must have been heard before this one.
        let before = (0..i).rev().find(|&j| !script.stages[j].optional);
        if let Some(j) = before.filter(|&j| times[j].is_none_or(|t| t > at)) {
            order_violations.push(OrderViolation {
                stage: stage.id.clone(),
                before: script.stages[j].id.clone(),
                at_s: at,
            });
        }
    }
    let reached: Vec<usize> = (0..script.stages.len()).filter(|&i| times[i].is_some()).collect();
    StagesOut {
        reached: reached.iter().map(|&i| script.stages[i].id.clone()).collect(),
        first_reached_s: reached
            .iter()
            .filter_map(|&i| {
                times[i].map(|at| StageTime { stage: script.stages[i].id.clone(), at_s: at })
            })
            .collect(),
        last: reached.last().map(|&i| script.stages[i].id.clone()),
        order_violations,
        hits,
        service_call: None,
    }
}

/// Utterance `i` goes on with a sentence the other side left unfinished just before it ("Our
/// prices are lower, and" / "the first delivery is free."): on a mono call, a voice change the
/// diarizer put in the middle of one speaker's sentence.
fn continues_the_other_side(said: &[Said], i: usize) -> bool {
    let starts_small = said[i].seg.text.trim_start().chars().next().is_some_and(char::is_lowercase);
    let prev = i.checked_sub(1).map(|j| &said[j]);
    starts_small
        && prev.is_some_and(|p| {
            p.seg.speaker != said[i].seg.speaker
                && !p.seg.text.trim_end().ends_with(['.', '!', '?', '…'])
        })
}

/// The customer's objections: a category's phrase, or else the objection head of the model,
/// when all its categories together are likely enough (the likeliest is taken if the script
/// has it). The head speaks only for a customer's line of three words or more that does not go
/// on with the agent's unfinished sentence: Whisper cuts «Дорого. Для нас…» into fragments, and
/// a mono call's diarizer can hand the end of an agent's sentence to the customer; and not for
/// a line the tone head finds interested (no labelled objection was). `customer` holds the
/// model's features per utterance (empty without a model); a line `vetoed` by [`no_stage`]
/// handles no objection.
fn find_objections(
    script: &Script,
    said: &[Said],
    lang: Option<&str>,
    heads: CustomerHeads,
    customer: &[Option<Vec<String>>],
    tone: &[Option<model::Prediction>],
    vetoed: &[bool],
) -> Vec<ObjectionOut> {
    let mut out = Vec::new();
    for (i, s) in said.iter().enumerate().filter(|(_, s)| s.speaks_for(SpeakerRule::Customer)) {
        let mut found: Vec<(&script::ObjectionCategory, Hit)> = script
            .objections
            .iter()
            .filter_map(|cat| {
                Some((cat, s.find(&cat.id, &cat.customer.for_language(lang), script)?))
            })
            .collect();
        let interested =
            heads.tone.zip(tone.get(i).and_then(Option::as_ref)).is_some_and(|(t, p)| {
                t.classes[p.class] == model::INTERESTED && p.probability >= t.min_probability
            });
        let guess = match (heads.objections, lang, customer.get(i).and_then(Option::as_ref)) {
            (Some(m), Some(l), Some(f))
                if found.is_empty()
                    && s.seg.speaker == Role::Customer
                    && s.tokens.len() >= MODEL_MIN_WORDS
                    && !continues_the_other_side(said, i)
                    && !interested =>
            {
                m.decide_any(l, f).map(|p| (m.classes[p.class].clone(), p))
            }
            _ => None,
        };
        if let Some((id, p)) = guess
            && let Some(cat) = script.objections.iter().find(|c| c.id == id)
        {
            found.push((cat, s.whole(&id, s.explain(&p), Method::Model, p.probability)));
        }
        for (cat, hit) in found {
            let at = hit.start_s;
            // Handled: a handling phrase from the agent from the objection on, within the window,
            // in a line that is a stage at all ("Of course, I'll take you off our list" is not).
            let until = at + script.handle_within_s;
            let agent = said
                .iter()
                .enumerate()
                .filter(|&(k, x)| {
                    !vetoed.get(k).copied().unwrap_or(false)
                        && x.seg.speaker != Role::Customer
                        && x.seg.end_s >= at
                        && x.seg.start_s <= until
                })
                .map(|(_, x)| x);
            let handled_at = [&cat.handling, &script.generic_handling]
                .iter()
                .filter_map(|ph| first_hit(agent.clone(), ph, SpeakerRule::Agent, script, lang))
                .map(|h| h.start_s)
                .filter(|t| (at..=until).contains(t))
                .min_by(f64::total_cmp);
            let next_agent = said
                .iter()
                .filter(|x| x.seg.speaker == Role::Agent && x.seg.start_s >= at)
                .map(|x| x.seg.start_s)
                .min_by(f64::total_cmp);
            out.push(ObjectionOut {
                category: hit.stage,
                phrase: hit.phrase,
                at_s: at,
                text: hit.text,
                method: hit.method,
                score: hit.score,
                handled: handled_at.is_some(),
                handled_at_s: handled_at,
                agent_pause_s: next_agent.map(|t| t - s.seg.end_s),
            });
        }
    }
    out.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    out
}

#[cfg(test)]
mod tests;
