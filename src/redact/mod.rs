//! Redact: personal data out of every text a call JSON carries — card numbers, phone numbers,
//! e-mail addresses, passport, SNILS, INN and account numbers, street addresses, and the
//! customer's name — in English and Russian, written in digits or spoken as words.
//!
//! It runs after the figures are measured and the script stages matched on the words as heard,
//! so metrics and stages are the same with or without it; then each personal span becomes its
//! kind in brackets (`[CARD]`, `[PHONE]`, …) in the segments, their words (one word with the
//! span's start and end), the stage hits, the checklist evidence and the objections.
//!
//! What is found (level `pii`, the default):
//! - numbers: runs of digit tokens and number words read as dictated digits (`numbers`):
//!   13–19 digits passing Luhn, or 12 or more after a card cue → `[CARD]`; 20 digits or an
//!   IBAN → `[ACCOUNT]`; any other run of 12 or more → `[NUMBER]`; 11 digits with a valid
//!   SNILS control number or after «СНИЛС» → `[SNILS]`; 10/12 digits after «ИНН» or 12 with
//!   valid INN controls → `[INN]`; after «паспорт», «серия» or "passport" → `[PASSPORT]`;
//!   `+` and 8–15 digits, 10 digits, 11 starting with 7, 8, 0 or 1, or 7 after a phone cue →
//!   `[PHONE]`; 8 or more after an account or tax cue → `[ACCOUNT]`;
//! - e-mail: written (`a.b@c.ru`) or spoken ("ivan dot petrov at mail dot ru", «… собака …
//!   точка ру»);
//! - names: on the customer's side, the capitalised words after "my name is", "this is", "the
//!   name's", «меня зовут», «моя фамилия», «это» and before "speaking", «слушаю», «меня так
//!   зовут», and any Russian patronymic with its neighbours; the agent's own introduction stays;
//! - addresses: after "I live at", "my address is", "deliver it to", «адрес», «живу на»,
//!   «находимся», … to the end of the clause, when it holds a house number or a street word, and
//!   a Russian street word («улица», «проспект», …) with its name and numbers anywhere.
//!
//! Level `strict` adds every run of 6 or more digits, words mixing letters with 5 or more
//! digits, and names after the cues on both sides. Level `none` changes nothing.
//!
//! Takes: a text and whose it is. Gives: the spans found and the redacted text. Must not: touch
//! a number that is a price, a date, a time or a quantity (see `tests/redaction.rs`).

pub mod numbers;

use crate::transcript::{Role, Utterance, Word as TimedWord};
use numbers::Word;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// How much to redact (`--redact`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Nothing: every text as recognised.
    None,
    /// Personal data: card, phone, e-mail, passport, SNILS, INN and account numbers, street
    /// addresses, the customer's name.
    #[default]
    Pii,
    /// Personal data plus every long number and every name after a cue.
    Strict,
}

/// The kind of a redacted span; its tag is the upper-case name in brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Card,
    Phone,
    Email,
    Passport,
    Snils,
    Inn,
    Account,
    Number,
    Name,
    Address,
}

impl Kind {
    pub fn tag(self) -> &'static str {
        match self {
            Kind::Card => "[CARD]",
            Kind::Phone => "[PHONE]",
            Kind::Email => "[EMAIL]",
            Kind::Passport => "[PASSPORT]",
            Kind::Snils => "[SNILS]",
            Kind::Inn => "[INN]",
            Kind::Account => "[ACCOUNT]",
            Kind::Number => "[NUMBER]",
            Kind::Name => "[NAME]",
            Kind::Address => "[ADDRESS]",
        }
    }
}

/// Whose words a text is: the customer's names are redacted, the agent's own are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Agent,
    /// The customer, or unknown (mono): treated alike.
    Customer,
}

impl From<Role> for Side {
    fn from(r: Role) -> Self {
        if r == Role::Agent { Side::Agent } else { Side::Customer }
    }
}

/// A span of personal data: byte offsets into the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

/// A token: a word, a number or an e-mail, with its byte span.
#[derive(Debug, Clone)]
struct Token<'a> {
    text: &'a str,
    lower: String,
    start: usize,
    end: usize,
}

fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '@' | '_' | '\'' | '’' | '.' | '-' | '+' | '/')
}

fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (start, is_token_char(c)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                let raw = &text[s..i];
                // Sentence punctuation and dashes at the ends are not part of the token.
                let trimmed = raw.trim_end_matches(['.', '-', '\'', '’', '/']);
                let lead =
                    trimmed.len() - trimmed.trim_start_matches(['.', '-', '\'', '’', '/']).len();
                let t = &trimmed[lead..];
                // `7700-900123-Cendet`: Whisper glued a number to the next words; split where
                // a hyphen parts digits from letters.
                let mut from = 0;
                let cuts = t.match_indices('-').map(|(k, _)| k).filter(|&k| {
                    let (l, r) = (t[..k].chars().last(), t[k + 1..].chars().next());
                    matches!((l, r), (Some(a), Some(b)) if a.is_ascii_digit() != b.is_ascii_digit()
                        && a.is_alphanumeric() && b.is_alphanumeric())
                });
                for k in cuts.chain(std::iter::once(t.len())) {
                    let part = &t[from..k];
                    if !part.is_empty() {
                        out.push(Token {
                            text: part,
                            lower: part.to_lowercase().replace('ё', "е").replace('’', "'"),
                            start: s + lead + from,
                            end: s + lead + k,
                        });
                    }
                    from = k + 1;
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// A token as part of a number: its digits, or its number words.
enum Num {
    Digits { digits: String, plus: bool, phone_shape: bool },
    Words(Vec<Word>),
}

fn number_of(t: &Token<'_>) -> Option<Num> {
    let s = t.text;
    if s.chars().any(|c| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '+')
    {
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        // 123-45-67: a local phone number as it is written.
        let parts: Vec<usize> = s.trim_start_matches('+').split('-').map(str::len).collect();
        let phone_shape = parts == [3, 2, 2] || parts == [3, 3, 2, 2];
        return Some(Num::Digits { digits, plus: s.starts_with('+'), phone_shape });
    }
    let words: Option<Vec<Word>> =
        t.lower.split('-').filter(|w| !w.is_empty()).map(numbers::word).collect();
    words.filter(|w| !w.is_empty()).map(Num::Words)
}

/// Only spaces, commas, hyphens and brackets between two tokens of one number.
fn joins(between: &str) -> bool {
    between.chars().all(|c| c.is_whitespace() || matches!(c, ',' | '-' | '–' | '(' | ')'))
}

fn any_cue(lowers: &[&str], cues: &[&str]) -> bool {
    lowers.iter().any(|w| cues.iter().any(|c| w.starts_with(c)))
}

const CARD_CUES: [&str; 5] = ["card", "карт", "visa", "mastercard", "мир"];
const PHONE_CUES: [&str; 12] = [
    "phone",
    "mobile",
    "number",
    "call",
    "reach",
    "text",
    "line",
    "телефон",
    "номер",
    "звон",
    "мобильн",
    "перезвон",
];
const PASSPORT_CUES: [&str; 3] = ["passport", "паспорт", "серия"];
const SNILS_CUES: [&str; 2] = ["снилс", "страхов"];
const INN_CUES: [&str; 1] = ["инн"];
const ACCOUNT_CUES: [&str; 9] =
    ["account", "tax", "social", "ssn", "iban", "счет", "счёт", "р/с", "бик"];

/// Classifies a run of digits; `cues` are the utterance's words (lower case).
fn classify(
    digits: &str,
    plus: bool,
    phone_shape: bool,
    cues: &[&str],
    level: Level,
) -> Option<Kind> {
    let n = digits.len();
    let first = digits.as_bytes().first().copied().unwrap_or(b'0');
    let cue = |c: &[&str]| any_cue(cues, c);
    if n >= 12 {
        if (13..=19).contains(&n) && numbers::luhn(digits) || cue(&CARD_CUES) && n <= 19 {
            return Some(Kind::Card);
        }
        if n == 20 {
            return Some(Kind::Account);
        }
        if n == 12 && (cue(&INN_CUES) || numbers::inn_valid(digits)) {
            return Some(Kind::Inn);
        }
        return Some(if cue(&ACCOUNT_CUES) { Kind::Account } else { Kind::Number });
    }
    if n == 11
        && (cue(&SNILS_CUES) || numbers::snils_valid(digits) && !matches!(first, b'7' | b'8'))
    {
        return Some(Kind::Snils);
    }
    if n == 10 && cue(&INN_CUES) {
        return Some(Kind::Inn);
    }
    if cue(&PASSPORT_CUES) && (4..=10).contains(&n) {
        return Some(Kind::Passport);
    }
    if plus && (8..=15).contains(&n)
        || n == 10
        || n == 11 && matches!(first, b'7' | b'8' | b'0' | b'1')
        || phone_shape
        || (7..=11).contains(&n) && cue(&PHONE_CUES)
    {
        return Some(Kind::Phone);
    }
    if n >= 8 && cue(&ACCOUNT_CUES) {
        return Some(Kind::Account);
    }
    if level == Level::Strict && n >= 6 {
        return Some(Kind::Number);
    }
    None
}

/// Runs of number tokens, classified.
fn find_numbers(text: &str, toks: &[Token<'_>], cues: &[&str], level: Level, out: &mut Vec<Found>) {
    let mut i = 0;
    while i < toks.len() {
        let Some(first) =
            number_of(&toks[i]).filter(|n| !matches!(n, Num::Words(w) if w == &[Word::And]))
        else {
            i += 1;
            continue;
        };
        let mut plus = matches!(&first, Num::Digits { plus: true, .. });
        let mut start = toks[i].start;
        if i > 0
            && matches!(toks[i - 1].lower.as_str(), "plus" | "плюс")
            && joins(&text[toks[i - 1].end..toks[i].start])
        {
            plus = true;
            start = toks[i - 1].start;
        }
        let mut parts = vec![first];
        let mut j = i + 1;
        while j < toks.len() && joins(&text[toks[j - 1].end..toks[j].start]) {
            match number_of(&toks[j]) {
                // "and" only inside a spoken number: "two hundred and fifty", not "…, and".
                Some(Num::Words(w))
                    if w == [Word::And]
                        && !toks
                            .get(j + 1)
                            .and_then(number_of)
                            .is_some_and(|n| matches!(n, Num::Words(_))) =>
                {
                    break;
                }
                Some(n) => parts.push(n),
                None => break,
            }
            j += 1;
        }
        // Number words in a row are read together; digit tokens stand on their own.
        let mut digits = String::new();
        let mut words: Vec<Word> = Vec::new();
        let mut phone_shape = false;
        let mut ok = true;
        let flush_words = |words: &mut Vec<Word>, digits: &mut String| -> bool {
            if words.is_empty() {
                return true;
            }
            let g = numbers::groups(words);
            words.clear();
            match g {
                Some(g) => {
                    digits.push_str(&g.concat());
                    true
                }
                None => false,
            }
        };
        for p in parts {
            match p {
                Num::Digits { digits: d, phone_shape: s, .. } => {
                    ok &= flush_words(&mut words, &mut digits);
                    digits.push_str(&d);
                    phone_shape |= s;
                }
                Num::Words(w) => words.extend(w),
            }
        }
        ok &= flush_words(&mut words, &mut digits);
        let mut end = toks[j - 1].end;
        if text[end..].starts_with(')') {
            end += 1;
        }
        if start > 0 && text[..start].ends_with('(') {
            start -= 1;
        }
        if ok && let Some(kind) = classify(&digits, plus, phone_shape, cues, level) {
            out.push(Found { start, end, kind });
        }
        i = j;
    }
}

const DOT: [&str; 3] = ["dot", "точка", "period"];
const AT: [&str; 3] = ["at", "собака", "эт"];
/// "dot" as Whisper may write it: also «уточка», «вточка» (a one-letter word glued to «точка»).
fn spoken_dot(lower: &str) -> bool {
    DOT.contains(&lower) || lower.chars().count() == 6 && lower.ends_with("точка")
}
const TLD: [&str; 20] = [
    "com", "ru", "net", "org", "io", "uk", "de", "info", "biz", "eu", "us", "by", "kz", "ua", "рф",
    "ру", "ком", "нет", "орг", "су",
];
const JOINERS: [&str; 4] = ["dot", "точка", "underscore", "подчеркивание"];

fn is_wordish(t: &Token<'_>) -> bool {
    t.text.chars().any(char::is_alphanumeric)
}

/// Written and spoken e-mail addresses.
fn find_emails(text: &str, toks: &[Token<'_>], out: &mut Vec<Found>) {
    for t in toks {
        if let Some((user, domain)) = t.text.split_once('@')
            && !user.is_empty()
            && domain.contains('.')
            && domain.split('.').all(|p| !p.is_empty())
        {
            out.push(Found { start: t.start, end: t.end, kind: Kind::Email });
        }
    }
    for (i, t) in toks.iter().enumerate() {
        if !AT.contains(&t.lower.as_str()) || i == 0 {
            continue;
        }
        // Right: word (dot word)+ ending in a top-level domain.
        let mut j = i + 1;
        let mut last = None;
        while j < toks.len() && is_wordish(&toks[j]) && !DOT.contains(&toks[j].lower.as_str()) {
            let (k, dot) = (j + 1, toks.get(j + 1).map(|t| t.lower.as_str()));
            if dot.is_some_and(|d| DOT.contains(&d)) && k + 1 < toks.len() {
                j = k + 1;
                if TLD.contains(&toks[j].lower.as_str()) {
                    last = Some(j);
                }
            } else {
                break;
            }
        }
        let Some(last) = last else { continue };
        // Left: word ((dot|underscore) word)*.
        let mut s = i - 1;
        if !is_wordish(&toks[s])
            || joins(&text[toks[s].end..t.start]) && text[toks[s].end..t.start].contains(',')
        {
            continue;
        }
        while s >= 2 && JOINERS.contains(&toks[s - 1].lower.as_str()) && is_wordish(&toks[s - 2]) {
            s -= 2;
        }
        out.push(Found { start: toks[s].start, end: toks[last].end, kind: Kind::Email });
    }
    // An address whose "at" Whisper lost or misheard («Петров с обаками и у точка ру», or with
    // «уточка»): a spoken top-level domain and the few words before it in the clause.
    for i in 1..toks.len().saturating_sub(1) {
        if !spoken_dot(&toks[i].lower) || !TLD.contains(&toks[i + 1].lower.as_str()) {
            continue;
        }
        // An "at" nearby: the spoken-address rule above has it.
        if toks[i.saturating_sub(6)..i].iter().any(|t| AT.contains(&t.lower.as_str())) {
            continue;
        }
        let mut s = i;
        while s > 0
            && i - s < 6
            && is_wordish(&toks[s - 1])
            && !EMAIL_CUES.iter().any(|c| toks[s - 1].lower.starts_with(c))
            && !LEAD_WORDS.contains(&toks[s - 1].lower.as_str())
            && text[toks[s - 1].end..toks[s].start].chars().all(|c| c.is_whitespace() || c == ',')
        {
            s -= 1;
        }
        if s < i {
            out.push(Found { start: toks[s].start, end: toks[i + 1].end, kind: Kind::Email });
        }
    }
    // After "e-mail"/«почта», a short rest of the utterance with a capitalised or Latin word in
    // it is an address being spelled («на почту ИВАН.»).
    for (i, t) in toks.iter().enumerate() {
        if !EMAIL_CUES.iter().any(|c| t.lower.starts_with(c)) {
            continue;
        }
        let rest = &toks[i + 1..];
        let cyrillic = text
            .chars()
            .any(|c| ('а'..='я').contains(&c.to_ascii_lowercase()) || ('А'..='Я').contains(&c));
        let spelled = rest
            .iter()
            .any(|r| capitalised(r) || cyrillic && r.text.chars().all(|c| c.is_ascii_alphabetic()));
        if !rest.is_empty() && rest.len() <= 6 && spelled {
            out.push(Found {
                start: rest[0].start,
                end: rest[rest.len() - 1].end,
                kind: Kind::Email,
            });
        }
    }
}

/// Words that introduce an address rather than belong to it.
const LEAD_WORDS: [&str; 12] =
    ["it's", "is", "to", "it", "send", "на", "это", "вот", "пишите", "адрес", "address", "mine"];

/// Words after which an e-mail address is said.
const EMAIL_CUES: [&str; 8] =
    ["почт", "email", "e-mail", "mail", "имейл", "емейл", "мейл", "электронк"];

fn capitalised(t: &Token<'_>) -> bool {
    t.text.chars().next().is_some_and(char::is_uppercase)
        && t.text.chars().all(|c| c.is_alphabetic() || c == '-' || c == '\'')
}

fn patronymic(t: &Token<'_>) -> bool {
    capitalised(t)
        && ["ович", "евич", "ьич", "овна", "евна", "ична", "инична"]
            .iter()
            .any(|e| t.lower.ends_with(e))
}

/// Cues a name follows, and cues it precedes (lower-case words).
const NAME_AFTER: [&[&str]; 13] = [
    &["my", "name", "is"],
    &["my", "name's"],
    &["name's"],
    &["this", "is"],
    &["it's"],
    &["i'm"],
    &["i", "am"],
    &["call", "me"],
    &["меня", "зовут"],
    &["фамилия"],
    &["зовут"],
    &["это"],
    &["имя"],
];
const NAME_BEFORE: [&[&str]; 4] =
    [&["speaking"], &["here"], &["слушаю"], &["меня", "так", "зовут"]];
/// Capitalised words that are not names (a cue followed by them is not a name).
const NOT_NAMES: [&str; 12] =
    ["I", "I'm", "It", "The", "We", "Yes", "No", "Да", "Нет", "Я", "Мы", "Это"];

fn matches_at(toks: &[Token<'_>], i: usize, cue: &[&str]) -> bool {
    i + cue.len() <= toks.len() && cue.iter().enumerate().all(|(k, w)| toks[i + k].lower == *w)
}

/// Up to three capitalised words from `i` on (a comma between them is allowed, once).
fn name_after(text: &str, toks: &[Token<'_>], i: usize) -> Option<(usize, usize)> {
    let mut end = None;
    let mut j = i;
    let mut commas = 0;
    while j < toks.len() && j < i + 4 && capitalised(&toks[j]) && !NOT_NAMES.contains(&toks[j].text)
    {
        end = Some(j);
        j += 1;
        if j < toks.len() {
            let between = &text[toks[j - 1].end..toks[j].start];
            if between.contains(',') {
                commas += 1;
                if commas > 1 || !joins(between) {
                    break;
                }
            } else if !between.chars().all(char::is_whitespace) {
                break;
            }
        }
    }
    end.map(|e| (toks[i].start, toks[e].end))
}

fn name_before(text: &str, toks: &[Token<'_>], i: usize) -> Option<(usize, usize)> {
    let mut s = None;
    let mut j = i;
    while j > 0 && i - j < 3 {
        let between = &text[toks[j - 1].end..toks[j].start];
        if !joins(between) || !capitalised(&toks[j - 1]) || NOT_NAMES.contains(&toks[j - 1].text) {
            break;
        }
        s = Some(j - 1);
        j -= 1;
    }
    s.map(|s| (toks[s].start, toks[i - 1].end))
}

fn find_names(text: &str, toks: &[Token<'_>], side: Side, level: Level, out: &mut Vec<Found>) {
    if side == Side::Agent && level != Level::Strict {
        return;
    }
    for i in 0..toks.len() {
        for cue in NAME_AFTER {
            if matches_at(toks, i, cue)
                && let Some((s, e)) = name_after(text, toks, i + cue.len())
            {
                out.push(Found { start: s, end: e, kind: Kind::Name });
            }
        }
        for cue in NAME_BEFORE {
            if matches_at(toks, i, cue)
                && let Some((s, e)) = name_before(text, toks, i)
            {
                out.push(Found { start: s, end: e, kind: Kind::Name });
            }
        }
        if patronymic(&toks[i]) {
            let mut s = i;
            while s > 0
                && i - s < 2
                && capitalised(&toks[s - 1])
                && joins(&text[toks[s - 1].end..toks[s].start])
                && !NOT_NAMES.contains(&toks[s - 1].text)
            {
                s -= 1;
            }
            let mut e = i;
            if e + 1 < toks.len()
                && capitalised(&toks[e + 1])
                && text[toks[e].end..toks[e + 1].start].chars().all(char::is_whitespace)
            {
                e += 1;
            }
            out.push(Found { start: toks[s].start, end: toks[e].end, kind: Kind::Name });
        }
    }
}

const ADDRESS_AFTER: [&[&str]; 16] = [
    &["live", "at"],
    &["live", "on"],
    &["address", "is"],
    &["address's"],
    &["deliver", "it", "to"],
    &["deliver", "to"],
    &["ship", "it", "to"],
    &["we're", "at"],
    &["located", "at"],
    &["адрес"],
    &["адресу"],
    &["живу", "на"],
    &["живу", "в"],
    &["проживаю"],
    &["находимся"],
    &["находится"],
];
const STREET_WORDS: [&str; 30] = [
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "lane",
    "drive",
    "way",
    "close",
    "court",
    "boulevard",
    "square",
    "flat",
    "apartment",
    "apt",
    "unit",
    "suite",
    "улица",
    "ул",
    "проспект",
    "переулок",
    "пер",
    "шоссе",
    "бульвар",
    "набережная",
    "площадь",
    "дом",
    "квартира",
    "кв",
];
/// Words that may follow a comma inside an address.
const ADDRESS_PARTS: [&str; 16] = [
    "flat",
    "apartment",
    "apt",
    "unit",
    "suite",
    "floor",
    "building",
    "дом",
    "д",
    "квартира",
    "кв",
    "корпус",
    "корп",
    "строение",
    "офис",
    "этаж",
];

fn is_address_word(t: &Token<'_>) -> bool {
    STREET_WORDS.contains(&t.lower.as_str())
}

/// From token `i` to the end of the clause: stops at a sentence end, or at a comma followed by
/// something that is not part of an address. Kept only when it holds a number or a street word.
fn address_from(text: &str, toks: &[Token<'_>], i: usize) -> Option<(usize, usize)> {
    let mut e = None;
    let mut j = i;
    while j < toks.len() && j < i + 14 {
        if j > i {
            let between = &text[toks[j - 1].end..toks[j].start];
            if between.contains(['.', '!', '?', ';', ':'])
                && !between.trim().is_empty()
                && between.trim() != "."
                || between.contains(['!', '?', ';'])
            {
                break;
            }
            if between.contains(',') {
                let next = &toks[j];
                let part = ADDRESS_PARTS.contains(&next.lower.as_str())
                    || next.text.chars().next().is_some_and(|c| c.is_ascii_digit())
                    || is_address_word(next)
                    || capitalised(next) && toks.get(j + 1).is_some_and(is_address_word);
                if !part {
                    break;
                }
            }
            if between.contains('.')
                && !toks[j - 1].lower.ends_with("кв")
                && toks[j - 1].lower != "ул"
                && toks[j - 1].lower != "д"
            {
                break;
            }
        }
        e = Some(j);
        j += 1;
    }
    let e = e?;
    let has = toks[i..=e]
        .iter()
        .any(|t| t.text.chars().any(|c| c.is_ascii_digit()) || is_address_word(t));
    has.then(|| (toks[i].start, toks[e].end))
}

fn find_addresses(text: &str, toks: &[Token<'_>], out: &mut Vec<Found>) {
    for i in 0..toks.len() {
        for cue in ADDRESS_AFTER {
            if matches_at(toks, i, cue)
                && let Some((s, e)) = address_from(text, toks, i + cue.len())
            {
                out.push(Found { start: s, end: e, kind: Kind::Address });
            }
        }
        // A Russian street word anywhere: the street's name and the numbers after it.
        if ["улица", "ул", "проспект", "переулок", "шоссе", "бульвар", "набережная"]
            .contains(&toks[i].lower.as_str())
        {
            let s = if i > 0 && capitalised(&toks[i - 1]) && i >= 1 { i - 1 } else { i };
            if let Some((_, e)) = address_from(text, toks, i) {
                out.push(Found { start: toks[s].start, end: e, kind: Kind::Address });
            }
        }
        // "12 Baker Street": a number, capitalised words and a street word.
        if toks[i].text.chars().all(|c| c.is_ascii_digit())
            && let Some(k) = (i + 1..(i + 4).min(toks.len()))
                .find(|&k| is_address_word(&toks[k]) && toks[k].lower != "flat")
            && toks[i + 1..k].iter().all(capitalised)
            && k > i + 1
        {
            out.push(Found { start: toks[i].start, end: toks[k].end, kind: Kind::Address });
        }
    }
}

/// Alphanumeric document numbers (a passport's `AB1234567`) after a cue; in strict mode any
/// word mixing letters and 5 or more digits.
fn find_codes(toks: &[Token<'_>], cues: &[&str], level: Level, out: &mut Vec<Found>) {
    let passport = any_cue(cues, &PASSPORT_CUES);
    for t in toks {
        let digits = t.text.chars().filter(char::is_ascii_digit).count();
        let letters = t.text.chars().filter(|c| c.is_alphabetic()).count();
        if letters == 0 || digits == 0 || t.text.contains('@') {
            continue;
        }
        let upper = t.text.to_uppercase();
        if numbers::iban_valid(&upper) {
            out.push(Found { start: t.start, end: t.end, kind: Kind::Account });
        } else if passport && digits >= 6 && letters <= 3 {
            out.push(Found { start: t.start, end: t.end, kind: Kind::Passport });
        } else if level == Level::Strict && digits >= 5 {
            out.push(Found { start: t.start, end: t.end, kind: Kind::Number });
        }
    }
}

/// Every span of personal data in `text`, sorted, overlaps merged (the earlier kind wins).
pub fn find(text: &str, side: Side, level: Level) -> Vec<Found> {
    if level == Level::None {
        return Vec::new();
    }
    let toks = tokenize(text);
    let lowers: Vec<&str> = toks.iter().map(|t| t.lower.as_str()).collect();
    let mut found = Vec::new();
    find_emails(text, &toks, &mut found);
    find_codes(&toks, &lowers, level, &mut found);
    find_numbers(text, &toks, &lowers, level, &mut found);
    find_names(text, &toks, side, level, &mut found);
    find_addresses(text, &toks, &mut found);
    found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut merged: Vec<Found> = Vec::new();
    for f in found {
        match merged.last_mut() {
            Some(last) if f.start < last.end => last.end = last.end.max(f.end),
            _ => merged.push(f),
        }
    }
    merged
}

/// `text` with every span replaced by its tag.
pub fn apply(text: &str, spans: &[Found]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in spans {
        out.push_str(&text[at..f.start]);
        out.push_str(f.kind.tag());
        at = f.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Redacts one text; counts what it replaced into `counts`.
pub fn redact(text: &str, side: Side, level: Level, counts: &mut BTreeMap<Kind, usize>) -> String {
    let spans = find(text, side, level);
    for f in &spans {
        *counts.entry(f.kind).or_default() += 1;
    }
    if spans.is_empty() { text.to_string() } else { apply(text, &spans) }
}

/// The words of a segment with every personal span made one word: the tag, from the span's
/// first word's start to its last word's end.
fn redact_words(words: &[TimedWord], side: Side, level: Level) -> Vec<TimedWord> {
    let mut joined = String::new();
    let mut offsets = Vec::with_capacity(words.len());
    for w in words {
        if !joined.is_empty() {
            joined.push(' ');
        }
        offsets.push((joined.len(), joined.len() + w.text.len()));
        joined.push_str(&w.text);
    }
    let spans = find(&joined, side, level);
    if spans.is_empty() {
        return words.to_vec();
    }
    let mut out: Vec<TimedWord> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let (s, e) = offsets[i];
        match spans.iter().find(|f| f.start < e && s < f.end) {
            Some(f) => {
                let mut j = i;
                while j + 1 < words.len() && offsets[j + 1].0 < f.end {
                    j += 1;
                }
                // Text of the first and last word outside the span stays.
                let head = &joined[s..f.start.max(s)];
                let tail = &joined[f.end.min(offsets[j].1)..offsets[j].1];
                out.push(TimedWord {
                    text: format!("{head}{}{tail}", f.kind.tag()),
                    start_s: words[i].start_s,
                    end_s: words[j].end_s,
                });
                i = j + 1;
            }
            None => {
                out.push(words[i].clone());
                i += 1;
            }
        }
    }
    out
}

/// Redacts a segment's text and words.
pub fn redact_segment(u: &mut Utterance, level: Level, counts: &mut BTreeMap<Kind, usize>) {
    let side = Side::from(u.speaker);
    u.text = redact(&u.text, side, level, counts);
    u.words = redact_words(&u.words, side, level);
}

/// What redaction did to a call (`redaction` in the call JSON).
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct RedactionOut {
    /// `none`, `pii` or `strict`.
    pub level: Level,
    /// Spans replaced in the transcript, by kind.
    pub redacted: BTreeMap<Kind, usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red(text: &str) -> String {
        apply(text, &find(text, Side::Customer, Level::Pii))
    }

    #[test]
    fn numbers_become_their_kind() {
        assert_eq!(red("My card is 4111 1111 1111 1111, thanks."), "My card is [CARD], thanks.");
        assert_eq!(red("Звоните +7 (916) 123-45-67."), "Звоните [PHONE].");
        assert_eq!(red("Номер 123-45-67."), "Номер [PHONE].");
        assert_eq!(
            red("восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь"),
            "[PHONE]"
        );
        assert_eq!(red("ИНН 7707083893."), "ИНН [INN].");
        assert_eq!(red("Счёт 40702810900000000001"), "Счёт [ACCOUNT]");
    }

    #[test]
    fn prices_dates_and_times_stay() {
        for keep in [
            "Это сто двадцать тысяч рублей в год.",
            "That comes to 1,250 dollars a month.",
            "Договор с 01.03.2026 по 28.02.2027.",
            "Let's meet at 10:30 on Tuesday.",
            "Цена 1 250 000 рублей с НДС.",
        ] {
            assert_eq!(red(keep), keep);
        }
    }

    #[test]
    fn emails_written_and_spoken() {
        assert_eq!(red("Send it to ivan.petrov@mail.ru please."), "Send it to [EMAIL] please.");
        assert_eq!(red("It's ivan dot petrov at gmail dot com."), "It's [EMAIL].");
        assert_eq!(red("Пишите ivan собака мейл точка ру"), "Пишите [EMAIL]");
        // Heard by Whisper base from the Festival voice (the "at" and "dot" misheard).
        assert_eq!(red("Петров с обаками и у точка ру."), "[EMAIL].");
        assert_eq!(red("Петров с обаками и уточка РУ."), "[EMAIL].");
        assert_eq!(red("I'm at the office at five."), "I'm at the office at five.");
    }

    #[test]
    fn the_customers_name_goes_and_the_agents_stays() {
        assert_eq!(red("My name is Sarah Whitfield."), "My name is [NAME].");
        let agent = "Good morning, my name is Anna from Northwind.";
        assert_eq!(apply(agent, &find(agent, Side::Agent, Level::Pii)), agent);
        assert_eq!(red("Да, Смирнова Ирина Петровна, слушаю."), "Да, [NAME], слушаю.");
    }

    #[test]
    fn words_of_a_span_become_one_timed_word() {
        let w = |t: &str, s: f64| TimedWord { text: t.into(), start_s: s, end_s: s + 0.5 };
        let words = vec![
            w("call", 0.0),
            w("+7", 1.0),
            w("916", 1.5),
            w("123-45-67.", 2.0),
            w("Thanks", 3.0),
        ];
        let out = redact_words(&words, Side::Customer, Level::Pii);
        let texts: Vec<&str> = out.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["call", "[PHONE].", "Thanks"]);
        assert_eq!((out[1].start_s, out[1].end_s), (1.0, 2.5));
    }
}
