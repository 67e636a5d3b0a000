//! Tone: the customer's (neutral, interested or wary, with an irritation flag) and the agent's
//! (friendly, neutral or pressing), per utterance and per call, from the script's `[tone]` cues.
//!
//! A customer's utterance takes the tone of the first cue list that matches it, in this order:
//! irritated (counted as wary, and flagged), wary; then wary if it raised one of the script's
//! `wary_objections`; then the interested cues (never for a line that raised an objection);
//! then, when the script's model has a tone head, the model's tone (neutral unless another is
//! sure enough); without one, a question counts as interest in the offer; otherwise it is
//! neutral. For the agent: pressing, friendly, otherwise neutral (a learned agent head did
//! worse than the cues on trades it was not trained on). Every non-neutral label keeps what
//! decided it: the cue, the objection, the model's strongest features and probability, or the
//! question rule.
//!
//! Takes: the script's compiled cues, the call's segments with the model's guess and the
//! objection raised (if any) for each, its language and its outcome. Gives: a [`ToneOut`],
//! `tone` in the call JSON. Must not: read audio (prosody is not used yet: see the README's
//! Limitations).

use super::ObjectionOut;
use super::matcher::{MatchOptions, Phrase};
use super::outcomes::Outcome;
use super::script::Phrases;
use crate::text::{self, Token};
use crate::transcript::{Role, Utterance};
use schemars::JsonSchema;
use serde::Serialize;

/// The script's `[tone]` cue lists, compiled.
#[derive(Debug, Clone, Default)]
pub struct ToneCues {
    pub irritated: Phrases,
    pub wary: Phrases,
    pub interested: Phrases,
    pub pressing: Phrases,
    pub friendly: Phrases,
    /// The objection categories (script ids) that make the customer's line wary when no cue
    /// decided it (`wary_objections`).
    pub wary_objections: Vec<String>,
}

/// A tone label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    Neutral,
    /// Customer: asks about the offer, agrees, welcomes a step.
    Interested,
    /// Customer: doubts, objects, complains, refuses (irritation included).
    Wary,
    /// Agent: thanks, warmth, reassurance.
    Friendly,
    /// Agent: pushes for a decision, dismisses a refusal.
    Pressing,
}

/// One utterance's tone, with its evidence. Neutral utterances are not listed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ToneLabel {
    pub speaker: Role,
    /// When the utterance starts.
    pub at_s: f64,
    /// The utterance.
    pub text: String,
    pub tone: Tone,
    /// The customer is irritated ("stop calling", «я же сказал»); the tone is then `wary`.
    pub irritated: bool,
    /// What decided: `irritated cue`, `wary cue`, `wary objection`, `interested cue`,
    /// `tone model`, `asks a question`, `pressing cue` or `friendly cue`.
    pub rule: &'static str,
    /// The `[tone]` cue as written in the script; for `wary objection`, the objection's
    /// category (`null` for the model and a question).
    pub cue: Option<String>,
    /// The words of the utterance that matched the cue; for the model, the features that
    /// weighed most (`model: "how much" +0.80; asks a question +0.61`); for a question, its
    /// rule; for `wary objection`, the objection's phrase (or the objection model's features).
    pub matched: String,
    /// The model's probability for the tone (for `wary objection`, the objection model's);
    /// `null` for a cue, a phrase or a question.
    pub score: Option<f64>,
}

/// What the script's model says of a customer utterance's tone.
#[derive(Debug, Clone, PartialEq)]
pub struct Guess {
    /// `neutral` (the likeliest, or no other tone likely enough), `interested` or `wary`.
    pub tone: String,
    pub probability: f64,
    /// Its strongest features, in words.
    pub why: String,
}

/// Shares of the customer's utterances per tone (they sum to 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, JsonSchema)]
pub struct CustomerShares {
    pub neutral: f64,
    pub interested: f64,
    pub wary: f64,
}

/// Shares of the agent's utterances per tone (they sum to 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, JsonSchema)]
pub struct AgentShares {
    pub friendly: f64,
    pub neutral: f64,
    pub pressing: f64,
}

/// The customer's tone over the call.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CustomerTone {
    /// The customer's utterances the shares count.
    pub utterances: usize,
    pub shares: CustomerShares,
    /// Shares over the first third of the customer's utterances (`null` under 3 utterances).
    pub first_third: Option<CustomerShares>,
    /// Shares over the last third of the customer's utterances (`null` under 3 utterances).
    pub last_third: Option<CustomerShares>,
    /// Warmth (interested share − wary share) of the last third minus that of the first:
    /// above 0 the customer warmed up, below 0 cooled down (`null` under 3 utterances).
    pub warmth_change: Option<f64>,
    /// The customer was irritated at least once (see the `irritated` labels for the evidence).
    pub irritated: bool,
    /// The call was lost (`--outcomes`) although the customer showed interest: a lead worth a
    /// second call. `null` when the outcome is unknown.
    pub interested_but_lost: Option<bool>,
}

/// The agent's tone over the call.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AgentTone {
    pub utterances: usize,
    pub shares: AgentShares,
}

/// `tone` in the call JSON. On a mono call whose voices were not told apart, both parties are
/// `null` and no labels are given.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ToneOut {
    pub customer: Option<CustomerTone>,
    pub agent: Option<AgentTone>,
    /// The non-neutral utterances, in call order, with what decided each.
    pub labels: Vec<ToneLabel>,
}

/// Cues match word after word: a tone cue is a set phrase, not words spread over a sentence.
/// A cue word matches by its stem or a letter slip, never as the beginning of a longer stem:
/// «достали» (fed up) must not match «доставка» (delivery).
fn cue_options(script: &MatchOptions) -> MatchOptions {
    MatchOptions { max_gap: 0, min_prefix_len: usize::MAX, ..*script }
}

/// The cue lists of one language, as cues are matched.
pub struct LangCues<'a> {
    irritated: Vec<&'a Phrase>,
    wary: Vec<&'a Phrase>,
    interested: Vec<&'a Phrase>,
    pressing: Vec<&'a Phrase>,
    friendly: Vec<&'a Phrase>,
    wary_objections: &'a [String],
    opt: MatchOptions,
}

impl ToneCues {
    /// The lists for `language` (every cue when the script has none in it), matched with the
    /// script's options as tone needs them.
    pub fn for_language(&self, lang: Option<&str>, opt: &MatchOptions) -> LangCues<'_> {
        LangCues {
            irritated: self.irritated.for_language(lang),
            wary: self.wary.for_language(lang),
            interested: self.interested.for_language(lang),
            pressing: self.pressing.for_language(lang),
            friendly: self.friendly.for_language(lang),
            wary_objections: &self.wary_objections,
            opt: cue_options(opt),
        }
    }
}

/// The tone of one utterance by `speaker`, with its evidence; `None` when neutral. `guess` is
/// the model's, if any; `objection` is the objection the utterance raised, if any. An objection
/// is never taken for interest ("Send me the terms and I'll read them", "Let me think about
/// it": none of the labelled objections is interested), and one of the script's
/// `wary_objections` makes the line wary when no cue decided it (in the tuning calls, every
/// price objection is labelled wary, and one in thirteen "let me think about it").
pub fn label(
    cues: &LangCues,
    seg: &Utterance,
    words: &[Token],
    guess: Option<&Guess>,
    objection: Option<&ObjectionOut>,
) -> Option<ToneLabel> {
    let objects = objection.is_some();
    let find = |list: &[&Phrase]| -> Option<(String, String)> {
        list.iter().find_map(|p| {
            let (a, b) = p.find(words, &cues.opt)?;
            let matched: Vec<&str> = words[a..=b].iter().map(|t| t.word.as_str()).collect();
            Some((p.text.clone(), matched.join(" ")))
        })
    };
    let make = |tone, irritated, rule, cue: Option<String>, matched: String| ToneLabel {
        speaker: seg.speaker,
        at_s: seg.start_s,
        text: seg.text.trim().to_string(),
        tone,
        irritated,
        rule,
        cue,
        matched,
        score: None,
    };
    let model = || {
        let g = guess?;
        let tone = match g.tone.as_str() {
            "interested" if !objects => Tone::Interested,
            "wary" => Tone::Wary,
            _ => return None,
        };
        let l = make(tone, false, "tone model", None, g.why.clone());
        Some(ToneLabel { score: Some(g.probability), ..l })
    };
    match seg.speaker {
        Role::Customer => {
            if let Some((cue, m)) = find(&cues.irritated) {
                return Some(make(Tone::Wary, true, "irritated cue", Some(cue), m));
            }
            if let Some((cue, m)) = find(&cues.wary) {
                return Some(make(Tone::Wary, false, "wary cue", Some(cue), m));
            }
            if let Some(o) = objection.filter(|o| cues.wary_objections.contains(&o.category)) {
                let l = make(
                    Tone::Wary,
                    false,
                    "wary objection",
                    Some(o.category.clone()),
                    o.phrase.clone(),
                );
                return Some(ToneLabel { score: o.score, ..l });
            }
            if let Some((cue, m)) = find(&cues.interested).filter(|_| !objects) {
                return Some(make(Tone::Interested, false, "interested cue", Some(cue), m));
            }
            if guess.is_some() {
                // The model weighed the question among its features: its answer stands.
                return model();
            }
            if objects {
                return None;
            }
            let rule = text::question_rule(&seg.text)?;
            Some(make(Tone::Interested, false, "asks a question", None, rule.to_string()))
        }
        Role::Agent => {
            if let Some((cue, m)) = find(&cues.pressing) {
                return Some(make(Tone::Pressing, false, "pressing cue", Some(cue), m));
            }
            let (cue, m) = find(&cues.friendly)?;
            Some(make(Tone::Friendly, false, "friendly cue", Some(cue), m))
        }
        Role::Unknown => None,
    }
}

fn customer_shares(tones: &[Tone]) -> CustomerShares {
    let n = tones.len().max(1) as f64;
    let share = |t: Tone| tones.iter().filter(|&&x| x == t).count() as f64 / n;
    CustomerShares {
        neutral: share(Tone::Neutral),
        interested: share(Tone::Interested),
        wary: share(Tone::Wary),
    }
}

/// Applies the cues to a call: its segments, each with its words as [`text::tokens`] makes
/// them and the model's guess.
pub fn evaluate<'a>(
    cues: &ToneCues,
    opt: &MatchOptions,
    lang: Option<&str>,
    segments: impl IntoIterator<
        Item = (&'a Utterance, &'a [Token], Option<Guess>, Option<&'a ObjectionOut>),
    >,
    outcome: Option<&Outcome>,
) -> ToneOut {
    let mut labels = Vec::new();
    let mut customer = Vec::new();
    let mut agent = Vec::new();
    let mut irritated = false;
    let cues = cues.for_language(lang, opt);
    let heard = segments.into_iter().filter(|(s, _, _, _)| !s.text.trim().is_empty());
    for (seg, words, guess, objection) in heard {
        let l = label(&cues, seg, words, guess.as_ref(), objection);
        let tone = l.as_ref().map_or(Tone::Neutral, |l| l.tone);
        match seg.speaker {
            Role::Customer => customer.push(tone),
            Role::Agent => agent.push(tone),
            Role::Unknown => {}
        }
        irritated |= l.as_ref().is_some_and(|l| l.irritated);
        labels.extend(l);
    }
    let customer = (!customer.is_empty()).then(|| {
        let third = customer.len().div_ceil(3);
        let (first, last) = (customer.len() >= 3)
            .then(|| {
                (
                    customer_shares(&customer[..third]),
                    customer_shares(&customer[customer.len() - third..]),
                )
            })
            .unzip();
        let warmth = |s: &CustomerShares| s.interested - s.wary;
        let shares = customer_shares(&customer);
        CustomerTone {
            utterances: customer.len(),
            shares,
            first_third: first,
            last_third: last,
            warmth_change: first.zip(last).map(|(f, l)| warmth(&l) - warmth(&f)),
            irritated,
            interested_but_lost: outcome
                .and_then(|o| o.won)
                .map(|won| !won && shares.interested > 0.0),
        }
    });
    let agent = (!agent.is_empty()).then(|| {
        let n = agent.len() as f64;
        let share = |t: Tone| agent.iter().filter(|&&x| x == t).count() as f64 / n;
        AgentTone {
            utterances: agent.len(),
            shares: AgentShares {
                friendly: share(Tone::Friendly),
                neutral: share(Tone::Neutral),
                pressing: share(Tone::Pressing),
            },
        }
    });
    ToneOut { customer, agent, labels }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cues() -> ToneCues {
        let list = |l: &[&str]| {
            Phrases(l.iter().map(|p| ("en".to_string(), Phrase::new(p).unwrap())).collect())
        };
        ToneCues {
            irritated: list(&["stop calling"]),
            wary: list(&["not sure", "expensive"]),
            interested: list(&["sounds good"]),
            pressing: list(&["only today"]),
            friendly: list(&["thank you"]),
            wary_objections: vec!["price".into()],
        }
    }

    fn objection(category: &str) -> ObjectionOut {
        ObjectionOut {
            category: category.into(),
            phrase: "a lot".into(),
            at_s: 0.0,
            text: "a lot".into(),
            method: super::super::Method::Phrase,
            score: None,
            handled: false,
            handled_at_s: None,
            agent_pause_s: None,
        }
    }

    fn seg(speaker: Role, i: usize, text: &str) -> Utterance {
        Utterance {
            speaker,
            start_s: 4.0 * i as f64,
            end_s: 4.0 * i as f64 + 3.0,
            text: text.into(),
            words: Vec::new(),
        }
    }

    fn tone_of(speaker: Role, text: &str) -> Option<(Tone, bool, &'static str)> {
        let s = seg(speaker, 0, text);
        let cues = cues();
        let cues = cues.for_language(Some("en"), &MatchOptions::default());
        label(&cues, &s, &text::tokens(text), None, None).map(|l| (l.tone, l.irritated, l.rule))
    }

    fn evaluate(
        cues: &ToneCues,
        opt: &MatchOptions,
        lang: Option<&str>,
        segments: &[Utterance],
        outcome: Option<&Outcome>,
    ) -> ToneOut {
        let words: Vec<Vec<Token>> = segments.iter().map(|s| text::tokens(&s.text)).collect();
        super::evaluate(
            cues,
            opt,
            lang,
            segments.iter().zip(&words).map(|(s, w)| (s, w.as_slice(), None, None)),
            outcome,
        )
    }

    #[test]
    fn a_line_that_raises_an_objection_is_not_interest() {
        let cues = cues();
        let cues = cues.for_language(Some("en"), &MatchOptions::default());
        let think = objection("need_to_think");
        let of = |text: &str, guess: Option<&Guess>, objects: bool| {
            let s = seg(Role::Customer, 0, text);
            let o = objects.then_some(&think);
            label(&cues, &s, &text::tokens(text), guess, o).map(|l| l.tone)
        };
        let interested =
            Guess { tone: "interested".into(), probability: 0.8, why: "model: …".into() };
        // "Sounds good" is an interested cue; a question is interest without a model.
        let line = "Sounds good, send me the terms and I'll read them?";
        assert_eq!(of(line, None, false), Some(Tone::Interested));
        assert_eq!(of(line, None, true), None);
        assert_eq!(of("Let me think.", Some(&interested), false), Some(Tone::Interested));
        assert_eq!(of("Let me think.", Some(&interested), true), None);
        // Irritation still shows.
        assert_eq!(of("Stop calling me.", None, true), Some(Tone::Wary));
    }

    #[test]
    fn a_wary_objection_makes_the_line_wary_unless_a_cue_decided() {
        let cues = cues();
        let cues = cues.for_language(Some("en"), &MatchOptions::default());
        let of = |text: &str, category: &str| {
            let s = seg(Role::Customer, 0, text);
            let o = objection(category);
            label(&cues, &s, &text::tokens(text), None, Some(&o))
        };
        let l = of("That's a lot for a kettle filter.", "price").unwrap();
        assert_eq!((l.tone, l.rule), (Tone::Wary, "wary objection"));
        assert_eq!((l.cue.as_deref(), l.matched.as_str()), (Some("price"), "a lot"));
        // Not one of the script's wary objections: neutral, as before.
        assert!(of("Let me think it over.", "need_to_think").is_none());
        // A cue decides first and keeps its evidence.
        let l = of("Stop calling, it's a lot.", "price").unwrap();
        assert_eq!((l.rule, l.irritated), ("irritated cue", true));
    }

    #[test]
    fn the_first_matching_list_decides_in_order() {
        use Role::*;
        // Irritation wins over interest in the same utterance.
        assert_eq!(
            tone_of(Customer, "Sounds good, but stop calling me."),
            Some((Tone::Wary, true, "irritated cue"))
        );
        assert_eq!(
            tone_of(Customer, "Sounds good but expensive."),
            Some((Tone::Wary, false, "wary cue"))
        );
        assert_eq!(
            tone_of(Customer, "That sounds good."),
            Some((Tone::Interested, false, "interested cue"))
        );
        assert_eq!(
            tone_of(Customer, "And the delivery is free?"),
            Some((Tone::Interested, false, "asks a question"))
        );
        assert_eq!(tone_of(Customer, "We have six trucks."), None);
        // The agent's lists apply to the agent only, and an agent's question is not interest.
        assert_eq!(
            tone_of(Agent, "Thank you, Maria."),
            Some((Tone::Friendly, false, "friendly cue"))
        );
        assert_eq!(
            tone_of(Agent, "The price holds only today."),
            Some((Tone::Pressing, false, "pressing cue"))
        );
        assert_eq!(tone_of(Agent, "How many trucks do you run?"), None);
        assert_eq!(tone_of(Agent, "It is not expensive."), None);
        assert_eq!(tone_of(Unknown, "Stop calling."), None);
    }

    #[test]
    fn the_models_tone_comes_after_the_cues_and_its_answer_stands() {
        let cues = cues();
        let cues = cues.for_language(Some("en"), &MatchOptions::default());
        let guess = |tone: &str| Guess {
            tone: tone.into(),
            probability: 0.7,
            why: "model: \"fee\" +0.90".into(),
        };
        let said = |text: &str, g: Option<Guess>| {
            let s = seg(Role::Customer, 0, text);
            label(&cues, &s, &text::tokens(text), g.as_ref(), None)
                .map(|l| (l.tone, l.rule, l.score, l.matched))
        };
        assert_eq!(
            said("The fee is a lot for us.", Some(guess("wary"))),
            Some((Tone::Wary, "tone model", Some(0.7), "model: \"fee\" +0.90".into()))
        );
        // A cue decides before the model, with its own evidence.
        let cue = said("Sounds good, the fee is fine.", Some(guess("wary"))).unwrap();
        assert_eq!((cue.0, cue.1, cue.2), (Tone::Interested, "interested cue", None));
        // The model weighed the question: when it says neutral, the question rule does not
        // overrule it; without a model it does.
        assert_eq!(said("And is the fee monthly?", Some(guess("neutral"))), None);
        assert_eq!(said("And is the fee monthly?", None).map(|l| l.1), Some("asks a question"));
        // An agent's tone never comes from the model.
        let s = seg(Role::Agent, 0, "The fee is monthly.");
        let words = text::tokens(&s.text);
        assert!(label(&cues, &s, &words, Some(&guess("wary")), None).is_none());
    }

    #[test]
    fn a_cue_word_does_not_match_a_longer_word_it_begins() {
        let cues = ToneCues {
            irritated: Phrases(vec![("ru".into(), Phrase::new("достали").unwrap())]),
            ..ToneCues::default()
        };
        let said = |text: &str| {
            let s = seg(Role::Customer, 0, text);
            let cues = cues.for_language(Some("ru"), &MatchOptions::default());
            label(&cues, &s, &text::tokens(text), None, None).map(|l| l.irritated)
        };
        assert_eq!(said("Доставка часто опаздывает."), None);
        assert_eq!(said("Вы меня достали."), Some(true));
    }

    #[test]
    fn cue_words_must_be_adjacent() {
        // "not … sure" three words apart is not the hedge "not sure".
        assert_eq!(tone_of(Role::Customer, "Not the day for it, I am sure."), None);
    }

    #[test]
    fn a_call_has_shares_thirds_warmth_and_the_lost_interest_flag() {
        use Role::*;
        let segs = vec![
            seg(Agent, 0, "Thank you for taking the call."),
            seg(Customer, 1, "I'm not sure about this."),
            seg(Customer, 2, "Expensive."),
            seg(Customer, 3, "We have six trucks."),
            seg(Customer, 4, "Okay."),
            seg(Customer, 5, "Sounds good."),
            seg(Customer, 6, "How soon can you start?"),
        ];
        let lost = Outcome { won: Some(false), ..Outcome::default() };
        let out = evaluate(&cues(), &MatchOptions::default(), Some("en"), &segs, Some(&lost));
        let c = out.customer.unwrap();
        assert_eq!(c.utterances, 6);
        assert_eq!(
            c.shares,
            CustomerShares { neutral: 2.0 / 6.0, interested: 2.0 / 6.0, wary: 2.0 / 6.0 }
        );
        assert_eq!(
            c.first_third,
            Some(CustomerShares { neutral: 0.0, interested: 0.0, wary: 1.0 })
        );
        assert_eq!(c.last_third, Some(CustomerShares { neutral: 0.0, interested: 1.0, wary: 0.0 }));
        assert_eq!(c.warmth_change, Some(2.0));
        assert!(!c.irritated);
        assert_eq!(c.interested_but_lost, Some(true));
        let a = out.agent.unwrap();
        assert_eq!(a.shares, AgentShares { friendly: 1.0, neutral: 0.0, pressing: 0.0 });
        // Five labels: the friendly agent line and four customer lines; neutral ones are not listed.
        assert_eq!(out.labels.len(), 5);
        assert_eq!(out.labels[1].cue.as_deref(), Some("not sure"));
        assert_eq!(out.labels[1].matched, "not sure");
        // Won, unknown, and too few utterances for thirds.
        let won = Outcome { won: Some(true), ..Outcome::default() };
        let out = evaluate(&cues(), &MatchOptions::default(), Some("en"), &segs[..3], Some(&won));
        let c = out.customer.unwrap();
        assert_eq!(
            (c.interested_but_lost, c.first_third, c.warmth_change),
            (Some(false), None, None)
        );
        let out = evaluate(&cues(), &MatchOptions::default(), Some("en"), &segs, None);
        assert_eq!(out.customer.unwrap().interested_but_lost, None);
    }

    #[test]
    fn irritation_is_flagged_and_unknown_speakers_get_no_tone() {
        let segs = vec![
            seg(Role::Customer, 0, "Please stop calling me."),
            seg(Role::Unknown, 1, "Stop calling."),
        ];
        let out = evaluate(&cues(), &MatchOptions::default(), Some("en"), &segs, None);
        assert!(out.customer.unwrap().irritated);
        assert!(out.agent.is_none());
        assert_eq!(out.labels.len(), 1);
        let segs = vec![seg(Role::Unknown, 0, "Stop calling.")];
        let out = evaluate(&cues(), &MatchOptions::default(), Some("en"), &segs, None);
        assert!(out.customer.is_none() && out.agent.is_none() && out.labels.is_empty());
    }
}
