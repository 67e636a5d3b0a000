//! Phrase matching that survives ASR errors and Russian morphology.
//!
//! A phrase is a sequence of stems. It matches an utterance when its stems occur there in order,
//! with at most `max_gap` other words between neighbours ("удобно … сейчас говорить"), and each
//! phrase word meets an utterance word when:
//! - their stems are equal ("удобно"/"удобное"), or
//! - the shorter stem has at least `min_prefix_len` letters and starts the longer one
//!   ("deliv"/"deliveri": Snowball stems "delivering" and "delivery" differently), or
//! - both have at least `min_edit_len` letters and their stems or words are at most `max_edits`
//!   edits apart (a one-letter ASR slip: "convinient"), in a phrase of two words or more (a
//!   one-word phrase has no neighbour to confirm a slip).
//!
//! Takes: compiled phrases and an utterance's tokens. Gives: where the phrase matched.
//! Must not: know speakers, times or stage names.

use crate::text::{Token, tokens};
use serde::Deserialize;

/// How loosely phrases match; the script's `[matching]` table.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchOptions {
    /// Other words allowed between two neighbouring words of a phrase.
    pub max_gap: usize,
    /// Letter edits (Levenshtein) allowed between a phrase word and an utterance word.
    pub max_edits: usize,
    /// Words shorter than this (in letters) must match exactly or by stem.
    pub min_edit_len: usize,
    /// A stem at least this long matches a longer stem it begins.
    pub min_prefix_len: usize,
    /// An utterance matches a stage example at this similarity or above (cosine of TF-IDF
    /// vectors over stems and stem pairs, 0–1; see `stages::examples`).
    pub example_similarity: f64,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            max_gap: 3,
            max_edits: 1,
            min_edit_len: 5,
            min_prefix_len: 5,
            example_similarity: 0.5,
        }
    }
}

/// A script phrase, normalised once.
#[derive(Debug, Clone)]
pub struct Phrase {
    /// As written in the script.
    pub text: String,
    pub tokens: Vec<Token>,
}

impl Phrase {
    /// `None` when the phrase holds no word at all.
    pub fn new(text: &str) -> Option<Self> {
        let tokens = tokens(text);
        (!tokens.is_empty()).then(|| Phrase { text: text.to_string(), tokens })
    }

    /// The first match in `words`: indices of the first and last matched word.
    pub fn find(&self, words: &[Token], opt: &MatchOptions) -> Option<(usize, usize)> {
        // A one-word phrase has no neighbour to confirm a slip: «наберу» (I'll call) is one
        // stem edit from «наборы» (gift sets). It matches by stem or prefix only.
        let single = MatchOptions { max_edits: 0, ..*opt };
        let opt = if self.tokens.len() == 1 { &single } else { opt };
        (0..words.len()).find_map(|start| {
            if !similar(&self.tokens[0], &words[start], opt) {
                return None;
            }
            self.rest(1, start, words, opt).map(|end| (start, end))
        })
    }

    /// Matches phrase words `from..` after utterance word `prev`; returns the last index.
    fn rest(&self, from: usize, prev: usize, words: &[Token], opt: &MatchOptions) -> Option<usize> {
        let Some(want) = self.tokens.get(from) else { return Some(prev) };
        let last = (prev + 1 + opt.max_gap).min(words.len().saturating_sub(1));
        (prev + 1..=last)
            .filter(|&i| i < words.len() && similar(want, &words[i], opt))
            .find_map(|i| self.rest(from + 1, i, words, opt))
    }
}

fn similar(a: &Token, b: &Token, opt: &MatchOptions) -> bool {
    !ruled_out(a, b, opt) && alike(a, b, opt)
}

/// One edit cannot change both the first and the last letter of a word of two letters or more,
/// and equal words, equal stems and a stem that begins another share their first letter: when
/// stems and words differ at both ends, [`alike`] cannot hold. Most pairs are ruled out here,
/// before any string is compared.
fn ruled_out(a: &Token, b: &Token, opt: &MatchOptions) -> bool {
    let differ =
        |x: (Option<char>, Option<char>), y: (Option<char>, Option<char>)| x.0 != y.0 && x.1 != y.1;
    opt.max_edits <= 1
        && opt.min_edit_len >= 2
        && differ(a.stem_ends, b.stem_ends)
        && differ(a.word_ends, b.word_ends)
}

/// The matching rules of the module's documentation.
fn alike(a: &Token, b: &Token, opt: &MatchOptions) -> bool {
    if a.stem == b.stem || a.word == b.word {
        return true;
    }
    let (la, lb) = (a.stem_chars, b.stem_chars);
    let (short, long) = if la <= lb { (&a.stem, &b.stem) } else { (&b.stem, &a.stem) };
    if la.min(lb) >= opt.min_prefix_len && long.starts_with(short.as_str()) {
        return true;
    }
    // Within `max_edits` only if long enough and the lengths differ by at most `max_edits`
    // (checked first: it spares almost every Levenshtein distance).
    let close = |x: &str, lx: usize, y: &str, ly: usize| {
        lx.min(ly) >= opt.min_edit_len
            && lx.abs_diff(ly) <= opt.max_edits
            && match opt.max_edits {
                1 => at_most_one_edit(x, y),
                n => strsim::levenshtein(x, y) <= n,
            }
    };
    close(&a.stem, la, &b.stem, lb) || close(&a.word, a.word_chars, &b.word, b.word_chars)
}

/// `levenshtein(a, b) <= 1` without a distance matrix or an allocation: the common prefix and
/// the common suffix together must cover all but one letter of the longer word.
fn at_most_one_edit(a: &str, b: &str) -> bool {
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let prefix = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    if prefix == la && la == lb {
        return true;
    }
    let suffix = a.chars().rev().zip(b.chars().rev()).take_while(|(x, y)| x == y).count();
    prefix + suffix + 1 >= la.max(lb)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(phrase: &str, said: &str) -> Option<(usize, usize)> {
        let p = Phrase::new(phrase).unwrap();
        p.find(&tokens(said), &MatchOptions::default())
    }

    #[test]
    fn the_one_edit_check_agrees_with_levenshtein() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "acb",
            "abcd",
            "abd",
            "xbc",
            "abcx",
            "xabc",
            "aabc",
            "abca",
            "договор",
            "договоры",
            "договор",
            "договорились",
            "дагавор",
            "contract",
            "contracts",
            "kontract",
            "cotnract",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    at_most_one_edit(a, b),
                    strsim::levenshtein(a, b) <= 1,
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn russian_inflected_forms_match() {
        assert!(hit("удобно говорить", "Вам удобно сейчас говорить?").is_some());
        assert!(hit("удобное время", "Это удобное время?").is_some());
        assert!(hit("удобно", "А когда вам будет удобнее?").is_some());
        assert!(hit("новая доставка", "о новой доставке").is_some());
        // Irregular stems ("время" → "врем", "времени" → "времен") need both forms in the script.
        assert!(hit("удобное время", "в удобное время").is_some());
    }

    #[test]
    fn english_inflected_forms_match() {
        assert_eq!(hit("next day delivering", "we offer next day delivery"), Some((2, 4)));
        assert!(hit("send the contract", "I will be sending the contracts today").is_some());
    }

    #[test]
    fn one_letter_asr_errors_match_but_two_do_not() {
        assert!(hit("convenient time", "is it a convinient time").is_some());
        assert!(hit("удобно говорить", "вам удобно говорит").is_some());
        assert!(hit("удобно говорить", "вам удобно сейчас гаворить").is_some());
        assert!(hit("удобно говорить", "вам удобно сейчас гаварить").is_none());
        assert!(hit("convenient time", "is it a konvinient time").is_none());
    }

    #[test]
    fn a_one_word_phrase_takes_no_slip() {
        // «наберу» (I'll call) is one stem edit from «наборы» (gift sets).
        assert!(hit("наберу", "многие берут наборы с логотипом").is_none());
        assert!(hit("наберу", "я вам наберу в четверг").is_some());
        assert!(hit("наберу", "я вам наберём в четверг").is_some());
        assert!(hit("convenient", "is it convinient").is_none());
    }

    #[test]
    fn filler_words_may_split_a_phrase_up_to_the_gap() {
        assert!(hit("удобно говорить", "удобно э-э ну сейчас говорить").is_some());
        assert!(hit("a convenient time", "a um well you know convenient time").is_none());
        assert!(hit("convenient time", "convenient uh um time").is_some());
    }

    #[test]
    fn order_matters_and_short_words_must_be_exact() {
        assert!(hit("send contract", "contract send").is_none());
        assert!(hit("no time", "no tie").is_none());
        assert!(hit("нет времени", "нет времени").is_some());
        assert!(hit("цена", "цель").is_none());
        // A short stem does not swallow a longer word it begins: "good" is not "goodbye".
        assert!(hit("goodbye", "good morning").is_none());
    }

    #[test]
    fn backtracks_past_an_early_partial_match() {
        // The first "send" is followed by no "contract" within the gap; the second one is.
        assert_eq!(
            hit("send contract", "send it later and then we send the contract"),
            Some((6, 8))
        );
    }

    #[test]
    fn empty_phrase_is_rejected() {
        assert!(Phrase::new(" ?! ").is_none());
    }

    #[test]
    fn pairs_ruled_out_by_their_ends_are_never_alike() {
        let words = "delivery nelivery delivering deliver convenient convinient convenience удобно удобное \
            удобнее сейчас сечас наберу наборы наборов a b ab ba cb ac abc bca cab tree free three \
            трое двое дерево деревья дерева ваш ваша наш наша quote quota quotes quoted";
        let toks = tokens(words);
        for opt in [MatchOptions::default(), MatchOptions { max_edits: 0, ..Default::default() }] {
            let mut ruled = 0;
            for a in &toks {
                for b in &toks {
                    if ruled_out(a, b, &opt) {
                        ruled += 1;
                        assert!(!alike(a, b, &opt), "{} / {}", a.word, b.word);
                    }
                }
            }
            // The check rules most pairs out (so this test tests something).
            assert!(ruled > toks.len() * toks.len() / 2, "{ruled}");
        }
    }
}
