//! Text: the one word tokenizer every stage uses — word counts and speech rate, question
//! detection and sales-script matching split an utterance the same way.
//!
//! A word is a run of letters and digits, lowercased, `ё` folded to `е`. Apostrophes and hyphens
//! inside a word are dropped, joining its parts ("don't" → "dont", "кто-то" → "ктото",
//! "uh-huh" → "uhhuh"), and so are a point or comma between two digits ("1,200" → "1200",
//! "3.5" → "35"), so a number is one word. Everything else separates words. [`tokens`] adds each
//! word's Snowball stem (Russian for Cyrillic words, English for the others).
//!
//! Takes: any utterance or script phrase. Gives: its words or [`Token`]s in order. Must not:
//! know about speakers, times or the script.

use rust_stemmers::{Algorithm, Stemmer};
use std::sync::OnceLock;

/// One word of an utterance: as written (normalised) and its stem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word, normalised as [`words`] does.
    pub word: String,
    /// Its Snowball stem.
    pub stem: String,
}

fn stemmer(cyrillic: bool) -> &'static Stemmer {
    static RU: OnceLock<Stemmer> = OnceLock::new();
    static EN: OnceLock<Stemmer> = OnceLock::new();
    if cyrillic {
        RU.get_or_init(|| Stemmer::create(Algorithm::Russian))
    } else {
        EN.get_or_init(|| Stemmer::create(Algorithm::English))
    }
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

/// Splits `text` into normalised words (see the module's rules).
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    let mut prev_digit = false;
    while let Some(c) = chars.next() {
        let next_digit = chars.peek().is_some_and(char::is_ascii_digit);
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                cur.push(if l == 'ё' { 'е' } else { l });
            }
        } else if !cur.is_empty() && matches!(c, '\'' | '’' | '-' | '‐') {
            // Joined to the next letters; a trailing one is simply dropped.
        } else if prev_digit && next_digit && matches!(c, '.' | ',') {
            // A decimal point or thousands separator inside a number.
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_digit = c.is_ascii_digit();
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The tokens of `text`, each with its stem.
pub fn tokens(text: &str) -> Vec<Token> {
    words(text)
        .into_iter()
        .map(|word| {
            let stem = stemmer(word.chars().any(is_cyrillic)).stem(&word).into_owned();
            Token { word, stem }
        })
        .collect()
}

/// Vowel letters in a word (Russian а е ё и о у ы э ю я, English a e i o u y): syllables, so
/// speech rates compare across languages.
pub fn syllables(word: &str) -> usize {
    word.chars()
        .filter(|c| "aeiouyаеёиоуыэюя".contains(c.to_lowercase().next().unwrap_or(*c)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|t| t.stem).collect()
    }

    #[test]
    fn normalises_case_yo_and_punctuation() {
        assert_eq!(words("Ещё раз: ВСЁ, что   нужно!"), ["еще", "раз", "все", "что", "нужно"]);
        assert_eq!(words("Don't call—we'll call you."), ["dont", "call", "well", "call", "you"]);
        assert_eq!(words("50% off, 10 orders"), ["50", "off", "10", "orders"]);
        assert_eq!(words("Hello, world! It's 10% — ok?"), ["hello", "world", "its", "10", "ok"]);
        assert!(words(" ... ?! ").is_empty());
    }

    #[test]
    fn numbers_and_joined_words_are_one_word() {
        assert_eq!(
            words("1,200 units at 3.5, then 7."),
            ["1200", "units", "at", "35", "then", "7"]
        );
        assert_eq!(words("кто-то сказал: угу-угу"), ["ктото", "сказал", "угуугу"]);
        assert_eq!(words("-so- 'quoted'"), ["so", "quoted"]);
    }

    #[test]
    fn syllables_count_vowels_in_both_languages() {
        assert_eq!(syllables("пожалуйста"), 4);
        assert_eq!(syllables("delivery"), 4);
        assert_eq!(syllables("ЁЛКА"), 2);
        assert_eq!(syllables("10"), 0);
    }

    #[test]
    fn russian_inflections_share_a_stem() {
        let s = stems("удобно удобное удобного");
        assert!(s.iter().all(|x| x == &s[0]), "{s:?}");
        assert_eq!(stems("говорить говорите")[0], stems("говорите")[0]);
        assert_eq!(stems("доставка доставки доставку")[0], stems("доставку")[0]);
    }

    #[test]
    fn english_inflections_share_a_stem() {
        assert_eq!(stems("delivering delivered"), ["deliv", "deliv"]);
        assert_eq!(stems("prices price"), ["price", "price"]);
    }
}
