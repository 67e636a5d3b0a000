//! Speech content: words, speech rate and questions from a speaker's transcribed utterances.
//!
//! - **Words**: as `crate::text` splits them (runs of letters and digits; "it's", "кто-то" and
//!   "1,200" are one word each).
//! - **Syllables**: vowel letters in those words (Russian а е ё и о у ы э ю я; English a e i o u y),
//!   so rates compare across languages.
//! - **Question**: Whisper's "?" is unreliable, so an utterance is a question when it ends with
//!   "?", opens (after fillers such as "so", "ну") with an interrogative word, or holds the
//!   Russian particle "ли".
//!
//! Must not: look at audio or timing beyond what it is handed.

use crate::text::words;

/// Question words that open a question on their own.
const WH_OPENERS: &[&str] = &[
    "what",
    "how",
    "when",
    "where",
    "why",
    "which",
    "who",
    "whom",
    "whose",
    "что",
    "чем",
    "чего",
    "как",
    "какой",
    "какая",
    "какое",
    "какие",
    "каким",
    "какую",
    "каких",
    "каком",
    "когда",
    "где",
    "куда",
    "откуда",
    "почему",
    "зачем",
    "сколько",
    "кто",
    "кого",
    "кому",
    "чей",
    "чья",
    "чье",
    "подскажите",
    "скажите",
    "расскажите",
    "разве",
    "неужели",
];
/// English auxiliaries that open a question when a subject follows ("do you", "is it").
/// Written as the tokenizer gives them: apostrophes dropped ("don't" → "dont").
const AUXILIARIES: &[&str] = &[
    "do", "does", "did", "are", "is", "am", "was", "were", "can", "could", "would", "will",
    "shall", "should", "may", "might", "have", "has", "dont", "doesnt", "didnt", "isnt", "arent",
    "wont", "wouldnt", "cant", "couldnt",
];
const SUBJECTS: &[&str] =
    &["you", "i", "we", "it", "they", "he", "she", "there", "this", "that", "your"];
/// Russian phrases that make a question wherever they stand.
const RU_CUES: &[&[&str]] = &[
    &["вам", "удобно"],
    &["удобно", "ли"],
    &["не", "могли", "бы"],
    &["не", "подскажете"],
    &["не", "хотите"],
    &["вы", "хотите"],
    &["вы", "готовы"],
    &["вам", "интересно"],
    &["вам", "подходит"],
    &["есть", "ли"],
];
const FILLERS: &[&str] = &[
    "so",
    "and",
    "but",
    "well",
    "okay",
    "ok",
    "now",
    "then",
    "um",
    "uh",
    "ну",
    "а",
    "и",
    "так",
    "вот",
    "хорошо",
    "ладно",
    "тогда",
    "но",
    "great",
    "отлично",
];

/// Whether an utterance is a question (see the module's rules).
pub fn is_question(text: &str) -> bool {
    if text.trim_end().ends_with('?') {
        return true;
    }
    let w = words(text);
    let has =
        |pair: &[&str]| w.windows(pair.len()).any(|x| x.iter().zip(pair).all(|(a, b)| a == b));
    if w.iter().any(|x| x == "ли") || RU_CUES.iter().any(|cue| has(cue)) {
        return true;
    }
    let aux_subject = w
        .windows(2)
        .any(|p| AUXILIARIES.contains(&p[0].as_str()) && SUBJECTS.contains(&p[1].as_str()));
    let mut rest = w.iter().skip_while(|x| FILLERS.contains(&x.as_str()));
    let Some(first) = rest.next() else { return false };
    let opens_aux = AUXILIARIES.contains(&first.as_str()) && aux_subject;
    WH_OPENERS.contains(&first.as_str()) || opens_aux || is_russian_infinitive(first)
}

/// A Russian sentence that opens with an infinitive offers or asks ("Отправить вам договор?",
/// "Записать вас на среду?").
fn is_russian_infinitive(word: &str) -> bool {
    let cyrillic = word.chars().all(|c| ('а'..='я').contains(&c) || c == 'ё');
    cyrillic && word.chars().count() >= 5 && ["ть", "ться", "ти"].iter().any(|e| word.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_without_question_marks() {
        for q in [
            "What do you use today.",
            "so how many orders do you place",
            "Is it a convenient time to talk",
            "Скажите, где вы заказываете товары.",
            "Ну сколько заказов в месяц",
            "Удобно ли вам сейчас говорить",
            "Вам удобно сейчас говорить?",
            "Добрый день, меня зовут Анна, вам удобно сейчас говорить.",
            "Отправить вам договор сегодня.",
            "Great. Do you need paper",
            "Don't you think so",
        ] {
            assert!(is_question(q), "{q}");
        }
        for s in ["We offer next day delivery.", "Понимаю вас.", "Thank you, have a great day!", ""]
        {
            assert!(!is_question(s), "{s}");
        }
    }
}
