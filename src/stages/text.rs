//! Text normalisation for phrase matching: lowercase, `ё` → `е`, punctuation stripped, words
//! reduced to Snowball stems (Russian for Cyrillic words, English for Latin ones).
//!
//! Takes: any utterance or script phrase. Gives: its [`Token`]s in order. Must not: know about
//! speakers, times or the script.

use rust_stemmers::{Algorithm, Stemmer};
use std::sync::OnceLock;

/// One word of an utterance: as written (normalised) and its stem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word, lowercased, `ё` → `е`, punctuation removed (apostrophes dropped: "don't" → "dont").
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

/// Splits `text` into normalised words: runs of letters and digits; apostrophes and hyphens
/// inside a word are dropped so "don't" and "dont", "кто-то" and "ктото" meet.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                cur.push(if l == 'ё' { 'е' } else { l });
            }
        } else if matches!(c, '\'' | '’' | '-' | '‐') && !cur.is_empty() {
            // Joined to the next letters; a trailing one is simply dropped.
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
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
        assert!(words(" ... ?! ").is_empty());
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
