//! Text: the one word tokenizer every stage uses — word counts and speech rate, question
//! detection and sales-script matching split an utterance the same way.
//!
//! A word is a run of letters and digits, lowercased, `ё` folded to `е`. Apostrophes and hyphens
//! inside a word are dropped, joining its parts ("don't" → "dont", "кто-то" → "ктото",
//! "uh-huh" → "uhhuh"), and so are a point or comma between two digits ("1,200" → "1200",
//! "3.5" → "35"), so a number is one word. Everything else separates words. [`tokens`] adds each
//! word's Snowball stem (Russian for Cyrillic words, English for the others).
//!
//! It also decides whether an utterance asks a question ([`is_question`]).
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
    /// Letters in `word` and in `stem` (matching compares them for every pair of words).
    pub word_chars: usize,
    pub stem_chars: usize,
    /// The first and last letters of `word` and of `stem` (matching rules most pairs out by them).
    pub word_ends: (Option<char>, Option<char>),
    pub stem_ends: (Option<char>, Option<char>),
}

impl Token {
    /// What stage matching counts: the stem, or `#` for a number (any number is one term).
    pub fn term(&self) -> &str {
        if self.word.bytes().all(|b| b.is_ascii_digit()) { "#" } else { &self.stem }
    }
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
            let ends = |w: &str| (w.chars().next(), w.chars().next_back());
            Token {
                word_chars: word.chars().count(),
                stem_chars: stem.chars().count(),
                word_ends: ends(&word),
                stem_ends: ends(&stem),
                word,
                stem,
            }
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

/// The forms of «какой» (which), a question word wherever the lists below allow one.
const RU_WHICH: &[&str] =
    &["какой", "какая", "какое", "какие", "каким", "какую", "каких", "каком", "какого", "какому"];

/// Question words that open a question on their own (and every form of [`RU_WHICH`]).
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
    "want",
    "anything",
    // "what's", "who's", … as [`words`] writes them.
    "whats",
    "whos",
    "wheres",
    "hows",
    "whens",
    "whys",
];
/// English auxiliaries that open a question when a subject follows ("do you", "is it").
/// Written as the tokenizer gives them: apostrophes dropped ("don't" → "dont").
const AUXILIARIES: &[&str] = &[
    "do", "does", "did", "are", "is", "am", "was", "were", "can", "could", "would", "will",
    "shall", "should", "may", "might", "have", "has", "dont", "doesnt", "didnt", "isnt", "arent",
    "wont", "wouldnt", "cant", "couldnt",
];
const SUBJECTS: &[&str] = &[
    "you",
    "i",
    "we",
    "it",
    "they",
    "he",
    "she",
    "there",
    "this",
    "that",
    "your",
    "anyone",
    "anybody",
    "someone",
    "somebody",
    "everyone",
    "everybody",
    "people",
    "now",
];
/// Words that open a noun phrase as the subject after an auxiliary ("Is the client asking…",
/// "Would a smaller locker be useful"), except after "do" and "have", which open orders and
/// wishes as often ("Do a quick test", "Have a good day").
const DETERMINERS: &[&str] =
    &["the", "a", "an", "our", "my", "his", "her", "their", "these", "those"];
/// Russian phrases that make a question wherever they stand.
const RU_CUES: &[&[&str]] = &[
    &["можно", "узнать"],
    &["можно", "спросить"],
    &["можно", "уточнить"],
    &["можно", "я"],
    &["могу", "я"],
    &["не", "против"],
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
    &["у", "вас", "есть"],
    &["есть", "у", "вас"],
    &["у", "вас", "уже", "есть"],
    &["я", "говорю", "с"],
    &["я", "разговариваю", "с"],
    &["минутка", "есть"],
    &["можно", "минутку"],
    &["можно", "пару"],
    &["могу", "отнять"],
    &["уделите"],
    &["найдется"],
    &["удобно", "сейчас"],
    &["я", "не", "вовремя"],
    &["правильно", "понимаю"],
    &["могу", "поговорить"],
    &["могу", "услышать"],
    &["чем", "могу", "помочь"],
    &["как", "вам", "удобнее"],
    &["давайте", "я"],
    &["удобно", "говорить"],
];
/// Words before a question word that make its clause a relative one, not a question
/// («столько, сколько нужно», «для тех кто кликнул», «там где удобно»).
const RU_CORRELATIVES: &[&str] = &[
    "столько",
    "настолько",
    "там",
    "туда",
    "то",
    "того",
    "тому",
    "тем",
    "так",
    "такой",
    "такие",
    "тот",
    "те",
    "тех",
    "теми",
];
/// Words after «как» that make a set phrase, not a question («как раз», «как правило»).
const RU_KAK_TELLS: &[&str] = &["раз", "правило", "обычно", "всегда", "только", "будто", "и"];
/// Words after an opening «а» that make it tell, not ask («А мы как раз…», «А вот здесь…»).
const RU_A_TELLS: &[&str] = &[
    "вот",
    "мы",
    "я",
    "это",
    "то",
    "так",
    "тогда",
    "потом",
    "еще",
    "значит",
    "там",
    "тут",
    "здесь",
    "ведь",
    "уже",
    "когда",
    "он",
    "она",
    "они",
    "наш",
    "наши",
];
/// Verbs in "-ете"/"-ите" that a "вы" statement offers or tells with («Вы получаете скидку»,
/// «Вы знаете, …»).
const RU_YOU_TELLS: &[&str] = &[
    "можете",
    "сможете",
    "получаете",
    "получите",
    "платите",
    "заплатите",
    "экономите",
    "сэкономите",
    "знаете",
    "видите",
    "понимаете",
    "правы",
];
/// "Вы" verbs that tell when they open a sentence without «вы» («Знаете, …», «Получаете скидку»).
const RU_OPEN_TELLS: &[&str] =
    &["знаете", "понимаете", "получаете", "платите", "экономите", "сэкономите", "видите"];
/// Russian question words (and every form of [`RU_WHICH`]) that ask wherever they stand in a
/// sentence's first clause ("А в самом офисе кто убирается", "На каком этапе теряете время"),
/// unless "вот", "поэтому" or one of [`RU_CORRELATIVES`] comes just before ("Вот почему мы…",
/// "для тех кто кликнул"). Written as [`words`] gives them: "кто-то" is "ктото" and does not
/// count.
const RU_INSIDE: &[&str] =
    &["сколько", "насколько", "кто", "кого", "кому", "где", "куда", "откуда", "почему", "зачем"];
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
    "roughly",
    "about",
];

/// Russian words (and every form of [`RU_WHICH`]) that ask when they open a clause after a comma ("Вы же возите из Китая,
/// сколько идёт груз"); "как", "что", "где" and "когда" are left out there, being
/// conjunctions as often ("Понимаю, как это выглядит").
const RU_CLAUSE_OPENERS: &[&str] = &[
    "сколько",
    "почему",
    "зачем",
    "откуда",
    "куда",
    "подскажите",
    "скажите",
    "расскажите",
    "уточните",
];
/// English question words that ask when they open a clause after a comma ("Understood, how
/// much do you pay"). "which" and "when" join clauses far more often (", which is fifteen more
/// a month", ", when he has time"): they ask there only of the listener (", which suits you
/// better").
const EN_CLAUSE_OPENERS: &[&str] =
    &["what", "how", "who", "where", "why", "whats", "hows", "whos", "wheres", "whys"];

/// Whether an utterance is a question. Whisper's "?" is unreliable (base often drops it in
/// Russian), so an utterance asks when any of its sentences:
/// - ends with "?", or ends with a tag (", right", ", да", ", верно", ", правда");
/// - holds the Russian particle "ли" or a Russian asking phrase anywhere ("вам удобно",
///   "не могли бы", "можно узнать", …);
/// - offers the listener a choice in Russian ("… или …" with a "вы" form, a verb in "-ете" /
///   "-ите", an opening «а»/«и», or seven words or fewer: «Сверху или снизу», «Течёт снизу или
///   из-под дверцы»);
/// - is a tag of its own after a statement of three words or more ("…в среду перезвоню.
///   Удобно.", "…Договорились.");
/// - opens (after fillers such as "so", "roughly", "ну") with a question word ("what", "what's",
///   "сколько", "подскажите"), an English auxiliary followed by a subject ("do you", "could I",
///   "is anyone", "would a …"), or a Russian infinitive that offers: said to the listener or
///   short, with no modal ("Отправить вам договор", «Привозить через тот же вход»; not
///   «Звонить больше не будем»);
/// - has a clause after a comma that opens with a question word ("Understood, how much do you
///   pay"; "Хорошо, сколько у вас менеджеров"; «Разумно, а когда сайт будет готов»);
/// - holds a Russian question word that rarely joins clauses ("сколько", "какой", "кто", "где",
///   "почему", …) anywhere in its first clause ("На каком этапе теряете время"), not right
///   after a correlative ("для тех кто", "туда где");
/// - or, failing all those, opens with the Russian conjunction «а» («А с трудоустройством помогаете»,
///   «А если возврат придёт, вы его примете»; not the interjection «А, да…», nor «а вот»,
///   «а мы», … which tell, nor after a sentence of more than four words, which it goes on);
/// - or, failing all those, opens with «то есть» and asks to confirm a restatement («То есть
///   если штраф, платите вы»);
/// - or, failing all those, opens with «вы» and a verb of the "вы" form within two words («Вы сейчас набираете
///   менеджеров»), unless the verb offers or tells («вы получаете», «вы можете», «вы знаете»);
/// - or, failing all those, opens (after fillers) with a "вы" verb in "-ете" without «вы»
///   («Сможете подъехать в пятницу», «Пришлёте реквизиты», «Хотите посмотреть»), unless it
///   tells («Знаете, …», «Получаете скидку»); a one-word «Можете.» answers;
/// - or, failing all those, is a short sentence (eight words or fewer) with a "вы" verb in
///   "-ете" anywhere and no «вы», «мы», «я», «если», «когда», «но» or «чтобы» («Квартиру давно
///   сдаёте», «В этом году планируете расширять парк»);
///
/// A tag (also ", подойдёт", ", можно") needs a statement of three words or more before it ("Понятно,
/// да." answers). «Давайте я …» is an asking phrase: the agent offers and waits for a yes.
/// What it cannot hear: other Russian yes/no questions asked by intonation alone («Квартиру
/// давно сдаёте.», «Бассейн туда входит.») when Whisper wrote no "?".
pub fn is_question(text: &str) -> bool {
    question_rule(text).is_some()
}

/// Which rule of [`is_question`] makes `text` a question, in words (the first sentence that
/// asks decides; within it, the first rule in this order): `question mark`, `tag question`,
/// `asking phrase`, `alternative question`, `question word`, `auxiliary and subject`,
/// `infinitive question`, `question word after a comma`, `opening «а»`, `opening «то есть»`,
/// `вы and a verb`, `opening verb of «вы»`, or `verb of «вы»`;
/// `None` when it does not ask.
pub fn question_rule(text: &str) -> Option<&'static str> {
    let all: Vec<&str> = sentences(text).collect();
    all.iter().enumerate().find_map(|(i, s)| {
        let s = s.trim();
        if s.ends_with('?') {
            return Some("question mark");
        }
        let w = words(s);
        // The words of the sentence before, in this utterance (0 for the first).
        let before = i.checked_sub(1).map_or(0, |j| words(all[j]).len());
        // "…и в среду перезвоню. Удобно.": a tag said as a sentence of its own after a
        // statement of three words or more.
        if ends_with_tag(s) || (before >= 3 && is_tag(&w)) {
            return Some("tag question");
        }
        let has =
            |cue: &[&str]| w.windows(cue.len()).any(|x| x.iter().zip(cue).all(|(a, b)| a == b));
        if w.iter().any(|x| x == "ли") || RU_CUES.iter().any(|cue| has(cue)) {
            return Some("asking phrase");
        }
        if is_russian_alternative(&w) {
            return Some("alternative question");
        }
        let first_clause = words(s.split([',', ';', ':', '—', '–']).next().unwrap_or(""));
        // "вот где", "поэтому кто" tell; "для тех кто", "там где" relate (Whisper drops the
        // comma before a relative clause as often as it writes it).
        let inside = first_clause.iter().enumerate().any(|(i, x)| {
            (RU_INSIDE.contains(&x.as_str()) || RU_WHICH.contains(&x.as_str()))
                && (i == 0
                    || !(matches!(first_clause[i - 1].as_str(), "вот" | "поэтому")
                        || RU_CORRELATIVES.contains(&first_clause[i - 1].as_str())))
        });
        if inside {
            return Some("question word");
        }
        let clauses: Vec<&str> = s.split([',', ';', ':', '—', '–']).collect();
        let by_clause = clauses.iter().enumerate().find_map(|(i, clause)| {
            // "столько, сколько нужно", "там, где удобно": a correlative before the comma makes
            // the clause a relative one.
            let correlative = i > 0
                && words(clauses[i - 1])
                    .last()
                    .is_some_and(|w| RU_CORRELATIVES.contains(&w.as_str()));
            let cw = words(clause);
            let skipped = cw.iter().take_while(|x| FILLERS.contains(&x.as_str())).count();
            // "Вот почему мы…", "вот как это работает" tell, not ask.
            if skipped > 0 && cw[skipped - 1] == "вот" {
                return None;
            }
            let mut rest = cw.iter().skip(skipped);
            let first = rest.next()?;
            let aux = AUXILIARIES.contains(&first.as_str())
                && rest.next().is_some_and(|x| {
                    SUBJECTS.contains(&x.as_str())
                        || (DETERMINERS.contains(&x.as_str())
                            && !matches!(first.as_str(), "do" | "have"))
                });
            // «Как раз с этим мы помогаем», «Как правило, …»: «как» in a set phrase tells.
            let set_phrase = first == "как"
                && cw.get(skipped + 1).is_some_and(|x| RU_KAK_TELLS.contains(&x.as_str()));
            if aux {
                Some("auxiliary and subject")
            } else if i == 0
                && !set_phrase
                && (WH_OPENERS.contains(&first.as_str()) || RU_WHICH.contains(&first.as_str()))
            {
                Some("question word")
            } else if i == 0 && is_russian_infinitive(first) && offers(&w[skipped.min(w.len())..]) {
                Some("infinitive question")
            } else if i > 0
                && !correlative
                && (RU_CLAUSE_OPENERS.contains(&first.as_str())
                    // «Разумно, а когда сайт будет готов»: «а» before any question word.
                    || (skipped > 0
                        && cw[skipped - 1] == "а"
                        && WH_OPENERS.contains(&first.as_str()))
                    || RU_WHICH.contains(&first.as_str())
                    || EN_CLAUSE_OPENERS.contains(&first.as_str())
                    || (matches!(first.as_str(), "which" | "when")
                        && cw.iter().any(|x| x == "you" || x == "your")))
            {
                Some("question word after a comma")
            } else {
                None
            }
        });
        by_clause.or_else(|| {
            // «А с трудоустройством помогаете», «А посудомойка поместится»: a sentence that opens
            // with the conjunction «а» (not the interjection «А, да…») asks.
            let opens_with_a = s
                .strip_prefix(['а', 'А'])
                .is_some_and(|rest| rest.starts_with(char::is_whitespace));
            // After a sentence of more than four words it goes on telling («Бригады приезжают в
            // течение часа. А ежемесячное обслуживание…», «…проверяет всё оборудование. А если
            // что-то сломалось, …»).
            let goes_on = before > 4;
            if opens_with_a
                && !goes_on
                && w.get(1).is_some_and(|x| !RU_A_TELLS.contains(&x.as_str()))
            {
                return Some("opening «а»");
            }
            // «То есть если штраф, платите вы»: the listener is asked to confirm a restatement.
            if w.len() >= 4 && w[0] == "то" && w[1] == "есть" {
                return Some("opening «то есть»");
            }
            // «Вы сейчас набираете менеджеров»: «вы» and a verb said of the listener, within the
            // first three words.
            let you_do = w.first().is_some_and(|x| x == "вы")
                && w.iter()
                    .skip(1)
                    .take(2)
                    .any(|x| is_you_verb(x) && !RU_YOU_TELLS.contains(&x.as_str()));
            if you_do {
                return Some("вы and a verb");
            }
            // «Сможете подъехать в субботу», «Пришлёте мне описание»: a sentence that opens with
            // a "вы" verb without «вы» asks, unless the verb tells («Знаете, …»).
            let opener = w.iter().find(|x| !FILLERS.contains(&x.as_str()));
            // «Можете.» answers.
            let you_open = w.len() >= 2
                && opener.is_some_and(|x| {
                    (x.ends_with("ете") || x.ends_with("етесь") || x == "хотите")
                        && is_you_verb(x)
                        && !RU_OPEN_TELLS.contains(&x.as_str())
                });
            if you_open {
                return Some("opening verb of «вы»");
            }
            // «Квартиру давно сдаёте», «В этом году планируете расширять парк»: a short sentence
            // with a "вы" verb in "-ете" anywhere and no «вы», «мы» or «я» asks the listener
            // (a statement about them names them: «Вы сами выбираете…»). Not in a condition or
            // a contrast («если выйдет дороже, приезжаете», «но посчитаете»), nor after «не»
            // («Не будет записей — не продлеваете»); «в интернете», «в отчёте» are nouns after
            // a preposition.
            let you_verb = w.len() <= 8
                && !w.iter().any(|x| {
                    matches!(x.as_str(), "вы" | "мы" | "я" | "если" | "когда" | "но" | "чтобы")
                })
                && w.iter().enumerate().any(|(k, x)| {
                    (x.ends_with("ете") || x.ends_with("етесь"))
                        && x.chars().count() >= 6
                        && !RU_YOU_TELLS.contains(&x.as_str())
                        && !(k > 0
                            && matches!(
                                w[k - 1].as_str(),
                                "в" | "во" | "на" | "о" | "об" | "при" | "по" | "не"
                            ))
                });
            if you_verb {
                return Some("verb of «вы»");
            }
            None
        })
    })
}

/// A Russian "this or that" asked of the listener: the sentence holds «или» and is said to
/// them — a "вы" form, a verb in "-ете"/"-ите" ([`words`] writes "ё" as "е"), or «а»/«и»
/// opening it («А кухня на этаже есть
/// или только переговорная», «Видите их только на кухне или в ванной тоже») — or is a bare
/// choice of seven words or fewer («Сверху или снизу»). «Лучше унести её к соседям или
/// родственникам» tells.
fn is_russian_alternative(w: &[String]) -> bool {
    if !w.iter().any(|x| x == "или") {
        return false;
    }
    let you = w.iter().any(|x| {
        matches!(x.as_str(), "вы" | "вам" | "вас" | "ваш" | "ваша" | "ваше" | "ваши" | "вами")
            || is_you_verb(x)
    });
    let opens_with_and = w.first().is_some_and(|x| x == "а" || x == "и");
    you || opens_with_and || w.len() <= 7
}

/// A Russian verb in "-ете"/"-ите" (the "вы" form; [`words`] writes "ё" as "е").
fn is_you_verb(x: &str) -> bool {
    ["ете", "етесь", "ите", "итесь"]
        .iter()
        .any(|e| x.ends_with(e) && x.chars().count() > e.chars().count() + 2)
}

/// The sentences of a text: split after ".", "!", "?" or "…" followed by a space.
pub fn sentences(text: &str) -> impl Iterator<Item = &str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?' | '…')
            && chars.peek().is_some_and(|(_, n)| n.is_whitespace())
        {
            out.push(&text[start..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    out.push(&text[start..]);
    out.into_iter().filter(|s| !s.trim().is_empty())
}

/// The words that make a tag after a statement: ", right", ", да", ", верно", or a sentence of
/// its own after one ("…в среду перезвоню. Удобно.").
const TAGS: [&[&str]; 14] = [
    &["right"],
    &["correct"],
    &["да"],
    &["верно"],
    &["правда"],
    &["правильно"],
    &["так", "ведь"],
    &["не", "так"],
    &["удобно"],
    &["договорились"],
    &["хорошо"],
    &["подойдет"],
    &["подходит"],
    &["можно"],
];

/// ", right?" / ", да." / ", верно" at the end of a sentence.
fn ends_with_tag(sentence: &str) -> bool {
    let Some((head, tail)) = sentence.rsplit_once(',') else { return false };
    // "Понятно, да." answers; a tag follows a statement of a few words.
    if words(head).len() < 3 {
        return false;
    }
    is_tag(&words(tail))
}

/// Whether `w` is one of [`TAGS`].
fn is_tag(w: &[String]) -> bool {
    !w.is_empty() && TAGS.iter().any(|t| w == *t)
}

/// Whether a sentence that opens with an infinitive offers: short («Привозить через тот же
/// вход», «Записать»), or said to the listener («Записать вас на десять», «Отправить вам
/// ссылку…»), and with no modal that makes it tell («Звонить больше не будем», «Снизить цену
/// можно двумя способами»). A long one is a step of a description, often a fragment Whisper
/// cut from an enumeration («Отвозить каждый день, выкладывать…»).
fn offers(sentence: &[String]) -> bool {
    const TELLS: &[&str] =
        &["можно", "нужно", "надо", "будем", "будет", "буду", "будут", "стало", "стоит"];
    let to_you = sentence.get(1).is_some_and(|x| matches!(x.as_str(), "вам" | "вас"));
    (sentence.len() <= 6 || to_you) && !sentence.iter().any(|x| TELLS.contains(&x.as_str()))
}

/// A Russian sentence that opens with an infinitive offers or asks ("Отправить вам договор?",
/// "Записать вас на среду?"). Numerals ("девять", "пятнадцати") and nouns in -сть
/// ("стоимость") end the same way and are not infinitives; of the verbs in "-ти" only those in
/// "-йти", "-дти", "-зти" and "-ести" count («прийти», «привезти», «принести»), so «почти»
/// and «гости» do not.
fn is_russian_infinitive(word: &str) -> bool {
    let cyrillic = word.chars().all(|c| ('а'..='я').contains(&c) || c == 'ё');
    let numeral = ["пят", "шест", "девят", "десят", "дцат", "двест"].iter().any(|n| {
        word.strip_suffix('ь').or_else(|| word.strip_suffix('и')).is_some_and(|w| w.ends_with(n))
    });
    cyrillic
        && word.chars().count() >= 5
        && !numeral
        && !word.ends_with("сть")
        && ["ть", "ться", "йти", "дти", "зти", "ести"].iter().any(|e| word.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_question_names_the_rule_that_found_it() {
        let cases = [
            ("How many orders do you place?", Some("question mark")),
            ("You ship on Fridays, right.", Some("tag question")),
            ("Скажите, удобно ли вам сейчас говорить.", Some("asking phrase")),
            ("What do you use today", Some("question word")),
            ("Do you ship abroad", Some("auxiliary and subject")),
            ("Understood, how much do you pay", Some("question word after a comma")),
            ("We ship on Fridays.", None),
        ];
        for (text, rule) in cases {
            assert_eq!(question_rule(text), rule, "{text}");
            assert_eq!(is_question(text), rule.is_some(), "{text}");
        }
    }

    #[test]
    fn english_questions_whisper_wrote_without_a_mark() {
        for (q, rule) in [
            (
                "Is the client asking for branded kit, or for a safety standard.",
                "auxiliary and subject",
            ),
            ("Would a smaller locker for the odd box be useful.", "auxiliary and subject"),
            ("Has anyone ever raised that with you.", "auxiliary and subject"),
            (
                "Good afternoon, it's Tom from Brandguard. Is now a bad time.",
                "auxiliary and subject",
            ),
            ("What's the normal monthly price after that.", "question word"),
            ("Yes, who's this again.", "question word after a comma"),
            (
                "I've got Wednesday at six or Saturday at ten, which suits you better.",
                "question word after a comma",
            ),
        ] {
            assert_eq!(question_rule(q), Some(rule), "{q}");
        }
        for s in [
            "The pool is in the plus plan, which is fifteen more a month.",
            "One of the partners' nephews, when he has time, which isn't often.",
            "Have a good day.",
            "Do a quick test before you send it.",
        ] {
            assert!(!is_question(s), "{s}");
        }
    }

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

    #[test]
    fn russian_questions_whisper_wrote_without_a_mark() {
        for q in [
            "А в самом офисе кто убирается.",
            "На каком этапе чаще всего теряете время.",
            "Поняла. Во сколько завтра вам будет удобнее.",
            "А бухгалтер у вас есть, или отчётность ведёте сами.",
            "Здравствуйте, это Алина. Я говорю с руководителем отдела продаж.",
            "Я пришлю расчёт на почту, а в четверг обсудим, договорились.",
        ] {
            assert!(is_question(q), "{q}");
        }
        for s in [
            "Вот почему мы сделали рассрочку.",
            "Кто-то из ваших коллег уже звонил.",
            "Понятно, да.",
            "Мы пришлём столько, сколько нужно.",
            "Двести рублей в месяц на всю семью.",
            "У нас есть рассрочка без процентов.",
            // Whisper without commas: a set phrase with «как», a relative clause.
            "Как раз с этим мы помогаем раз в месяц мы присылаем письма",
            "Как правило мы приезжаем в течение часа.",
            "урок только для тех кто кликнул и он на пять минут",
            "Приезжайте туда где вам удобнее.",
        ] {
            assert!(!is_question(s), "{s}");
        }
    }

    #[test]
    fn russian_choices_and_asking_phrases_without_a_mark() {
        for (q, rule) in [
            (
                "Вам нужен отдельный кабинет или подойдут места в общем зале.",
                "alternative question",
            ),
            ("Видите их только на кухне или в ванной тоже.", "alternative question"),
            ("А кухня на этаже есть или только переговорная.", "alternative question"),
            ("Сверху или снизу.", "alternative question"),
            ("Я правильно понимаю, что вы отвечаете за офис.", "asking phrase"),
            ("Я могу поговорить с руководителем.", "asking phrase"),
            ("Давайте я пришлю вам расчёт на почту.", "asking phrase"),
            ("А с трудоустройством помогаете.", "opening «а»"),
            ("Понимаю. А в пиковые недели они справляются.", "opening «а»"),
            ("Вы сейчас набираете менеджеров.", "вы and a verb"),
            ("Вы по-прежнему сдаёте квартиру на первом этаже.", "вы and a verb"),
            ("Отправлю сегодня и покажу кабинет, минут на двадцать, подойдёт.", "tag question"),
            ("Разумно, а когда примерно сайт будет готов.", "question word after a comma"),
        ] {
            assert_eq!(question_rule(q), Some(rule), "{q}");
        }
        for s in [
            "Лучше унести её на три часа к соседям или родственникам.",
            "Обычно в такую цену не входит коронка или абатмент, это отдельная работа.",
            "Можно платить помесячно или раз в год, как удобно.",
            "А, да, было такое.",
            "А мы как раз работаем с такими складами.",
            "А вот здесь у нас переговорная.",
            "Вы получаете скидку десять процентов на первый заказ.",
            "Вы можете оплатить частями.",
            "Вы знаете, у нас похожая история была.",
            "Этот вариант вам подойдёт.",
            "Понимаю, когда сроки горят, не до этого.",
        ] {
            assert!(!is_question(s), "{s}");
        }
    }

    #[test]
    fn russian_questions_whisper_heard_without_a_mark_in_0_16() {
        for (q, rule) in [
            ("Я пришлю расчёт сегодня, а в пятницу созвонимся. Удобно.", "tag question"),
            ("Мастер будет у вас завтра до обеда. Договорились.", "tag question"),
            ("Значит, сейчас вы платите за каждый выезд, правильно.", "tag question"),
            ("Понятно. А если заказ придёт с браком, вы его заберёте.", "opening «а»"),
            ("То есть если машина сломается, замену дадите вы.", "opening «то есть»"),
            ("Доставка по городу или по области.", "alternative question"),
            ("Добрый день, компания «Север». Можно пару минут.", "asking phrase"),
            ("Склад давно арендуете.", "verb of «вы»"),
            ("В следующем году планируете открывать второй магазин.", "verb of «вы»"),
            ("Записать вас на четверг.", "infinitive question"),
            ("Привозить через тот же вход.", "infinitive question"),
        ] {
            assert_eq!(question_rule(q), Some(rule), "{q}");
        }
        for s in [
            // A one-word "tag" after a short sentence answers, and alone it is an answer.
            "Да, четверг. Хорошо.",
            "Удобно.",
            // An opening «а» after a long sentence goes on telling (Whisper's cut of one turn).
            "Мастер проверяет всё оборудование раз в квартал. А если что-то сломалось, приезжает в тот же день.",
            // A long infinitive sentence describes the steps; a modal makes it tell.
            "Отвозить каждый день, выкладывать на полки и собирать возвраты с пунктов выдачи.",
            "Звонить больше не будем.",
            "Снизить цену можно двумя способами.",
            // «почти», «гости» end like infinitives.
            "Так почти у всех бывает.",
            // A "вы" verb in a condition, after «не», or a noun in "-ете".
            "Если выйдет дороже, приезжаете, и мы пересчитаем.",
            "Не будет записей — не продлеваете.",
            "В интернете такие станции дешевле продаются.",
            "Скорее всего, датчик или засорился теплообменник, мастер посмотрит.",
        ] {
            assert!(!is_question(s), "{s}");
        }
    }

    #[test]
    fn russian_requests_and_tags_that_drop_the_pronoun() {
        for (q, rule) in [
            ("Сможете подъехать на склад в пятницу.", "opening verb of «вы»"),
            ("Пришлёте мне реквизиты до обеда.", "opening verb of «вы»"),
            ("Хорошо, будете оформлять на юрлицо.", "opening verb of «вы»"),
            ("Хотите посмотреть образцы.", "opening verb of «вы»"),
            ("Я наберу вам в понедельник утром, можно.", "tag question"),
            ("Добрый день, это Павел из «Альфы». Удобно говорить.", "asking phrase"),
            ("Roughly how many drivers do you have.", "question word"),
        ] {
            assert_eq!(question_rule(q), Some(rule), "{q}");
        }
        for s in [
            "Можете.",
            "Знаете, у нас так уже было.",
            "Получаете скидку на второй год.",
            "Понимаете, склад у нас маленький.",
            "Можно.",
            "About two hundred a month.",
        ] {
            assert!(!is_question(s), "{s}");
        }
    }
}
