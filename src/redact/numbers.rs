//! Numbers as Whisper writes them: digit tokens (`4276`, `+7`, `123-45-67`) and number words in
//! English and Russian (`fifty-five`, `oh`, `double seven`, «девятьсот шестнадцать»), read as
//! the digit strings a person dictating them means: each spoken group becomes its decimal digits
//! («девятьсот тридцать» → `930`, "nine hundred four" → `904`), and a run of groups is their
//! concatenation.

/// What a number word contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// 0–9; `zero`/`oh`/«ноль» always stand alone.
    Unit(u32),
    Zero,
    /// 10–19.
    Teen(u32),
    /// 20, 30, … 90.
    Tens(u32),
    /// 100, 200, … 900 (Russian has a word for each).
    Hundreds(u32),
    /// "hundred": multiplies the unit before it.
    Hundred,
    /// "thousand", «тысяча», «тысячи», «тысяч».
    Thousand,
    /// "double", "triple": repeats the next unit.
    Repeat(u32),
    /// "and" inside an English number ("two hundred and fifty").
    And,
}

/// The number word `w` (lower case), if it is one.
pub fn word(w: &str) -> Option<Word> {
    use Word::*;
    Some(match w {
        "zero" | "oh" | "o" | "ноль" | "нуль" => Zero,
        "one" | "один" | "одна" | "одно" => Unit(1),
        "two" | "два" | "две" => Unit(2),
        "three" | "три" => Unit(3),
        "four" | "четыре" => Unit(4),
        "five" | "пять" => Unit(5),
        "six" | "шесть" => Unit(6),
        "seven" | "семь" => Unit(7),
        "eight" | "восемь" => Unit(8),
        "nine" | "девять" => Unit(9),
        "ten" | "десять" => Teen(10),
        "eleven" | "одиннадцать" => Teen(11),
        "twelve" | "двенадцать" => Teen(12),
        "thirteen" | "тринадцать" => Teen(13),
        "fourteen" | "четырнадцать" => Teen(14),
        "fifteen" | "пятнадцать" => Teen(15),
        "sixteen" | "шестнадцать" => Teen(16),
        "seventeen" | "семнадцать" => Teen(17),
        "eighteen" | "восемнадцать" => Teen(18),
        "nineteen" | "девятнадцать" => Teen(19),
        "twenty" | "двадцать" => Tens(20),
        "thirty" | "тридцать" => Tens(30),
        "forty" | "fourty" | "сорок" => Tens(40),
        "fifty" | "пятьдесят" => Tens(50),
        "sixty" | "шестьдесят" => Tens(60),
        "seventy" | "семьдесят" => Tens(70),
        "eighty" | "восемьдесят" => Tens(80),
        "ninety" | "девяносто" => Tens(90),
        "сто" => Hundreds(100),
        "двести" => Hundreds(200),
        "триста" => Hundreds(300),
        "четыреста" => Hundreds(400),
        "пятьсот" => Hundreds(500),
        "шестьсот" => Hundreds(600),
        "семьсот" => Hundreds(700),
        "восемьсот" => Hundreds(800),
        "девятьсот" => Hundreds(900),
        "hundred" => Hundred,
        "thousand" | "тысяча" | "тысячи" | "тысяч" => Thousand,
        "double" => Repeat(2),
        "triple" => Repeat(3),
        "and" => And,
        _ => return None,
    })
}

/// Reads a sequence of number words (an English hyphenated word already split) as the digit
/// strings of its spoken groups. `None` when the words do not form numbers ("and" alone, a
/// dangling "double").
pub fn groups(words: &[Word]) -> Option<Vec<String>> {
    use Word::*;
    let mut out: Vec<String> = Vec::new();
    // The group being built: its value and the smallest place it can still take.
    let mut cur: Option<(u64, u8)> = None;
    let mut repeat: Option<u32> = None;
    // The unit just added to the current group: "one hundred two hundred" is 100, 200.
    let mut last_unit: Option<u32> = None;
    let flush = |cur: &mut Option<(u64, u8)>, out: &mut Vec<String>| {
        if let Some((v, _)) = cur.take() {
            out.push(v.to_string());
        }
    };
    // Places: 4 = nothing yet, 3 = hundreds taken, 2 = tens taken, 1 = units taken.
    for &w in words {
        let unit_before = last_unit.take();
        if let Some(n) = repeat.take() {
            let Unit(u) = w else {
                if w == Zero {
                    flush(&mut cur, &mut out);
                    out.push("0".repeat(n as usize));
                    continue;
                }
                return None;
            };
            flush(&mut cur, &mut out);
            out.push(u.to_string().repeat(n as usize));
            continue;
        }
        match w {
            Zero => {
                flush(&mut cur, &mut out);
                out.push("0".into());
            }
            Repeat(n) => repeat = Some(n),
            // "and" between parts of a number; elsewhere it is not part of the number.
            And => {}
            Unit(u) => {
                last_unit = Some(u);
                match cur {
                    Some((v, place)) if place >= 2 => cur = Some((v + u64::from(u), 1)),
                    _ => {
                        flush(&mut cur, &mut out);
                        cur = Some((u64::from(u), 1));
                    }
                }
            }
            Teen(t) => match cur {
                Some((v, place)) if place >= 3 => cur = Some((v + u64::from(t), 1)),
                _ => {
                    flush(&mut cur, &mut out);
                    cur = Some((u64::from(t), 1));
                }
            },
            Tens(t) => match cur {
                Some((v, place)) if place >= 3 => cur = Some((v + u64::from(t), 2)),
                _ => {
                    flush(&mut cur, &mut out);
                    cur = Some((u64::from(t), 2));
                }
            },
            Hundreds(h) => match cur {
                Some((v, 4)) => cur = Some((v + u64::from(h), 3)),
                _ => {
                    flush(&mut cur, &mut out);
                    cur = Some((u64::from(h), 3));
                }
            },
            Hundred => match (cur, unit_before) {
                (Some((v, _)), _) if (1..10).contains(&(v % 1000)) && v % 1000 == v % 10 => {
                    cur = Some((v - v % 1000 + (v % 1000) * 100, 3));
                }
                // "… one hundred two hundred": the unit starts a new group.
                (Some((v, 1)), Some(u)) if v > u64::from(u) => {
                    out.push((v - u64::from(u)).to_string());
                    cur = Some((u64::from(u) * 100, 3));
                }
                _ => return None,
            },
            Thousand => match cur {
                Some((v, _)) if v < 1000 => cur = Some((v * 1000, 4)),
                None => cur = Some((1000, 4)),
                _ => return None,
            },
        }
    }
    if repeat.is_some() {
        return None;
    }
    flush(&mut cur, &mut out);
    Some(out)
}

/// Luhn's check (payment cards).
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

fn d(digits: &str) -> Vec<u32> {
    digits.bytes().map(|c| u32::from(c - b'0')).collect()
}

/// The control number of a Russian SNILS (11 digits).
pub fn snils_valid(digits: &str) -> bool {
    if digits.len() != 11 {
        return false;
    }
    let v = d(digits);
    let sum: u32 = v[..9].iter().enumerate().map(|(i, x)| x * (9 - i as u32)).sum();
    let check = match sum {
        s if s < 100 => s,
        100 | 101 => 0,
        s => (s % 101) % 100,
    };
    check == v[9] * 10 + v[10]
}

/// The control digits of a Russian INN (10 digits for companies, 12 for people).
pub fn inn_valid(digits: &str) -> bool {
    let v = d(digits);
    let ctl = |w: &[u32], upto: usize| -> u32 {
        v[..upto].iter().zip(w).map(|(a, b)| a * b).sum::<u32>() % 11 % 10
    };
    match v.len() {
        10 => ctl(&[2, 4, 10, 3, 5, 9, 4, 6, 8], 9) == v[9],
        12 => {
            ctl(&[7, 2, 4, 10, 3, 5, 9, 4, 6, 8], 10) == v[10]
                && ctl(&[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8], 11) == v[11]
        }
        _ => false,
    }
}

/// The ISO 13616 check of an IBAN (letters and digits, no spaces).
pub fn iban_valid(s: &str) -> bool {
    if !(15..=34).contains(&s.len())
        || !s.bytes().take(2).all(|c| c.is_ascii_uppercase())
        || !s.bytes().skip(2).take(2).all(|c| c.is_ascii_digit())
        || !s.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    let rearranged = s[4..].bytes().chain(s[..4].bytes());
    let mut rem: u32 = 0;
    for c in rearranged {
        let v = if c.is_ascii_digit() { u32::from(c - b'0') } else { u32::from(c - b'A') + 10 };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> String {
        let ws: Vec<Word> =
            text.split([' ', '-']).filter(|w| !w.is_empty()).map(|w| word(w).unwrap()).collect();
        groups(&ws).unwrap().concat()
    }

    #[test]
    fn dictated_numbers_read_as_their_digits() {
        assert_eq!(read("four two seven six"), "4276");
        assert_eq!(read("fifty-five thirty-six oh eight"), "553608");
        assert_eq!(read("nine hundred four five hundred fifty-one"), "904551");
        assert_eq!(read("two hundred and fifty"), "250");
        assert_eq!(read("double seven three"), "773");
        assert_eq!(read("twelve thousand five hundred"), "12500");
        assert_eq!(
            read("восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь"),
            "89161234567"
        );
        assert_eq!(
            read("девятьсот тридцать девятьсот двадцать три шестьдесят четыре пятнадцать"),
            "9309236415"
        );
        assert_eq!(read("сто двадцать тысяч"), "120000");
        assert_eq!(read("ноль четыре"), "04");
        assert_eq!(read("four hundred eleven one hundred two hundred forty-five"), "411100245");
    }

    #[test]
    fn checksums_accept_valid_numbers_and_refuse_a_changed_digit() {
        assert!(luhn("4111111111111111") && !luhn("4111111111111112"));
        assert!(snils_valid("11223344595") && !snils_valid("11223344596"));
        assert!(inn_valid("7707083893") && !inn_valid("7707083894"));
        assert!(inn_valid("500100732259") && !inn_valid("500100732258"));
        assert!(iban_valid("GB82WEST12345698765432") && !iban_valid("GB82WEST12345698765433"));
    }
}
