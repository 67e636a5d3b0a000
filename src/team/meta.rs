//! Call metadata for the team report: a CSV from the user's systems and fields taken from
//! recording paths (`--path-pattern`).
//!
//! The CSV has a header; columns in any order: `call_id` (required), `agent_id`, `team`,
//! `customer_id`, `started_at`, `variant`, `outcome`, `amount`; other columns are kept as they
//! are. `,` or `;` separated, UTF-8 with or without a BOM, a decimal comma allowed. The
//! `--outcomes` file of `analyze` is a subset. A bad row is left out with a message naming the
//! file, the line and the cause; the others are used.
//!
//! Takes: the CSV's bytes or a pattern and a path. Gives: [`Meta`] per call id and the
//! problems. Must not: read call JSONs.

use crate::stages::outcomes::{decimal_point, delimiter, parse_won};
use chrono::{NaiveDate, NaiveDateTime};
use regex::Regex;
use std::collections::{BTreeMap, HashMap};

/// What the user's systems say about one call. Every field may be missing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub agent_id: Option<String>,
    pub team: Option<String>,
    pub customer_id: Option<String>,
    pub started_at: Option<NaiveDateTime>,
    pub variant: Option<String>,
    /// `Some(true)` won, `Some(false)` lost, `None` open or unknown.
    pub won: Option<bool>,
    pub amount: Option<f64>,
    /// Columns callgauge does not know, by header name.
    pub extra: BTreeMap<String, String>,
}

impl Meta {
    /// Fills each field this one lacks from `other`.
    pub fn or(mut self, other: &Meta) -> Meta {
        fn fill<T: Clone>(a: &mut Option<T>, b: &Option<T>) {
            if a.is_none() {
                a.clone_from(b);
            }
        }
        fill(&mut self.agent_id, &other.agent_id);
        fill(&mut self.team, &other.team);
        fill(&mut self.customer_id, &other.customer_id);
        fill(&mut self.started_at, &other.started_at);
        fill(&mut self.variant, &other.variant);
        fill(&mut self.won, &other.won);
        fill(&mut self.amount, &other.amount);
        for (k, v) in &other.extra {
            self.extra.entry(k.clone()).or_insert_with(|| v.clone());
        }
        self
    }
}

/// The metadata CSV, read leniently.
#[derive(Debug, Default)]
pub struct MetaTable {
    pub rows: HashMap<String, Meta>,
    /// `file:line: cause` for every row left out.
    pub problems: Vec<String>,
    /// Names of the extra columns, in file order.
    pub extra_columns: Vec<String>,
}

const KNOWN: [&str; 8] =
    ["call_id", "agent_id", "team", "customer_id", "started_at", "variant", "outcome", "amount"];

/// Parses a metadata CSV; `name` names it in messages. Only an unreadable header is an error.
pub fn parse(bytes: &[u8], name: &str) -> Result<MetaTable, String> {
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text);
    let headers = rdr.headers().map_err(|e| format!("{name}:1: {e}"))?.clone();
    let col = |c: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(c));
    let call_col = col("call_id").ok_or(format!("{name}:1: the header has no call_id column"))?;
    let mut table = MetaTable {
        extra_columns: headers
            .iter()
            .filter(|h| !KNOWN.iter().any(|k| h.eq_ignore_ascii_case(k)))
            .map(str::to_string)
            .collect(),
        ..MetaTable::default()
    };
    for record in rdr.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                table.problems.push(format!("{name}:{line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).filter(|v| !v.is_empty());
        let row = (|| {
            let call_id = get(Some(call_col)).ok_or("empty call_id")?.to_string();
            let won = parse_won(get(col("outcome")).unwrap_or(""))?;
            let amount = get(col("amount")).map(parse_amount).transpose()?;
            let started_at = get(col("started_at")).map(parse_time).transpose()?;
            let owned = |c: &str| get(col(c)).map(str::to_string);
            let extra = headers
                .iter()
                .enumerate()
                .filter(|(_, h)| !KNOWN.iter().any(|k| h.eq_ignore_ascii_case(k)))
                .filter_map(|(i, h)| Some((h.to_string(), record.get(i)?.to_string())))
                .collect();
            let meta = Meta {
                agent_id: owned("agent_id"),
                team: owned("team"),
                customer_id: owned("customer_id"),
                started_at,
                variant: owned("variant"),
                won,
                amount,
                extra,
            };
            Ok::<_, String>((call_id, meta))
        })();
        match row {
            Ok((id, _)) if table.rows.contains_key(&id) => table.problems.push(format!(
                "{name}:{line}: call_id {id:?} appears twice; the first row is used"
            )),
            Ok((id, meta)) => {
                table.rows.insert(id, meta);
            }
            Err(cause) => table.problems.push(format!("{name}:{line}: {cause}; row left out")),
        }
    }
    Ok(table)
}

/// A deal amount: digits with an optional decimal point or comma; spaces between thousands
/// ("12 000") are allowed, a currency word is not ("12 000 руб." is refused: say the currency
/// in the column's name).
fn parse_amount(v: &str) -> Result<f64, String> {
    let compact: String = v.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}')).collect();
    decimal_point(&compact)
        .parse::<f64>()
        .ok()
        .filter(|a| a.is_finite() && *a >= 0.0)
        .ok_or_else(|| format!("amount {v:?} is not a number ≥ 0 (write 12000 or 12 000,50)"))
}

/// `started_at`: ISO 8601 (`2026-11-30`, `2026-11-30 14:05`, `2026-11-30T14:05:09`, an offset
/// or `Z` is dropped: the local time of the call is what a team reads) or `30.11.2026 14:05`.
pub fn parse_time(v: &str) -> Result<NaiveDateTime, String> {
    let v = v.trim();
    let local = v.trim_end_matches('Z');
    let local = match local.rfind(['+', '-']) {
        Some(i) if i > 10 && local[i..].len() == 6 && local.as_bytes()[i + 3] == b':' => {
            &local[..i]
        }
        _ => local,
    };
    const FORMATS: [&str; 6] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(local, f).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%d.%m.%Y"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(local, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| {
            format!(
                "started_at {v:?} is not a date (2026-11-30, 2026-11-30 14:05, 30.11.2026 14:05)"
            )
        })
}

/// A `--path-pattern` such as `{agent_id}/{started_at:%Y-%m-%d_%H%M}_{customer_id}.wav`,
/// matched against the end of a recording's path. Fields: `agent_id`, `team`, `customer_id`,
/// `variant`, `started_at` (with a chrono/strftime format) and any other name (kept as an extra
/// column); `*` matches anything within one folder.
#[derive(Debug, Clone)]
pub struct PathPattern {
    regex: Regex,
    /// Field names in capture order, with the time format of `started_at`.
    fields: Vec<(String, Option<String>)>,
}

impl PathPattern {
    pub fn new(pattern: &str) -> Result<Self, String> {
        let mut re = String::from("(?:^|/)");
        let mut fields = Vec::new();
        let mut rest = pattern;
        while let Some(open) = rest.find(['{', '*']) {
            re.push_str(&regex::escape(&rest[..open]));
            if rest[open..].starts_with('*') {
                re.push_str("[^/]*");
                rest = &rest[open + 1..];
                continue;
            }
            let close = rest[open..]
                .find('}')
                .ok_or(format!("--path-pattern {pattern:?}: a '{{' is never closed"))?
                + open;
            let inner = &rest[open + 1..close];
            let (name, format) = match inner.split_once(':') {
                Some((n, f)) => (n.trim(), Some(f.to_string())),
                None => (inner.trim(), None),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("--path-pattern {pattern:?}: bad field name {name:?}"));
            }
            if fields.iter().any(|(n, _)| n == name) {
                return Err(format!("--path-pattern {pattern:?}: {name} appears twice"));
            }
            let group = match &format {
                Some(f) => time_regex(f),
                None => "[^/]+?".to_string(),
            };
            re.push_str(&format!("({group})"));
            fields.push((name.to_string(), format));
            rest = &rest[close + 1..];
        }
        re.push_str(&regex::escape(rest));
        re.push('$');
        let regex = Regex::new(&re).map_err(|e| format!("--path-pattern {pattern:?}: {e}"))?;
        Ok(PathPattern { regex, fields })
    }

    /// The fields of `path` (with `/` separators), or why it does not match.
    pub fn fields(&self, path: &str) -> Result<Meta, String> {
        let path = path.replace('\\', "/");
        let caps = self.regex.captures(&path).ok_or("does not match --path-pattern")?;
        let mut meta = Meta::default();
        for (i, (name, format)) in self.fields.iter().enumerate() {
            let value = caps.get(i + 1).map_or("", |m| m.as_str()).to_string();
            match name.as_str() {
                "agent_id" => meta.agent_id = Some(value),
                "team" => meta.team = Some(value),
                "customer_id" => meta.customer_id = Some(value),
                "variant" => meta.variant = Some(value),
                "started_at" => {
                    let parsed = match format {
                        Some(f) => NaiveDateTime::parse_from_str(&value, f)
                            .or_else(|_| {
                                NaiveDate::parse_from_str(&value, f)
                                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
                            })
                            .map_err(|e| format!("started_at {value:?} does not fit {f:?}: {e}")),
                        None => parse_time(&value),
                    };
                    meta.started_at = Some(parsed?);
                }
                other => {
                    meta.extra.insert(other.to_string(), value);
                }
            }
        }
        Ok(meta)
    }
}

/// A regex for what a strftime format writes: digits for the numeric fields, the rest literal.
fn time_regex(format: &str) -> String {
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push_str(&regex::escape(&c.to_string()));
            continue;
        }
        out.push_str(match chars.next() {
            Some('Y') => r"\d{4}",
            Some('m' | 'd' | 'H' | 'M' | 'S' | 'y') => r"\d{2}",
            Some('j') => r"\d{3}",
            Some('s') => r"\d+",
            Some('b' | 'a') => r"[A-Za-z]{3}",
            Some('%') => "%",
            _ => r"[^/]+?",
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lenient_csv_keeps_the_good_rows_and_names_the_bad_ones() {
        let csv = "\u{feff}call_id;agent_id;team;started_at;variant;outcome;amount;region\n\
                   c1;anna;north;2026-11-30 14:05;A;won;12 000,50;Москва\n\
                   c2;boris;north;30.11.2026;B;lost;;\n\
                   c3;anna;north;yesterday;A;;;\n\
                   c4;anna;north;2026-11-30;A;won;12 000 руб.;\n\
                   c1;anna;north;2026-11-30;A;won;1;\n";
        let t = parse(csv.as_bytes(), "meta.csv").unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows["c1"].amount, Some(12000.5));
        assert_eq!(t.rows["c1"].extra["region"], "Москва");
        assert_eq!(t.rows["c2"].started_at.unwrap().to_string(), "2026-11-30 00:00:00");
        assert_eq!(t.extra_columns, ["region"]);
        assert_eq!(t.problems.len(), 3, "{:?}", t.problems);
        assert!(
            t.problems[0].starts_with("meta.csv:4: started_at \"yesterday\""),
            "{:?}",
            t.problems
        );
        assert!(
            t.problems[1].starts_with("meta.csv:5: amount \"12 000 руб.\""),
            "{:?}",
            t.problems
        );
        assert!(t.problems[2].contains(":6: call_id \"c1\" appears twice"), "{:?}", t.problems);
        assert!(parse(b"id,agent\nx,y\n", "m.csv").unwrap_err().contains("no call_id"));
    }

    #[test]
    fn times_in_the_usual_forms() {
        for v in ["2026-11-30T14:05:09Z", "2026-11-30T14:05:09+03:00", "2026-11-30 14:05:09"] {
            assert_eq!(parse_time(v).unwrap().to_string(), "2026-11-30 14:05:09", "{v}");
        }
        assert_eq!(parse_time("30.11.2026 14:05").unwrap().to_string(), "2026-11-30 14:05:00");
        assert!(parse_time("2026-13-01").is_err());
    }

    #[test]
    fn path_patterns_take_fields_from_recorder_names() {
        let p =
            PathPattern::new("{agent_id}/{started_at:%Y-%m-%d_%H%M}_{customer_id}.wav").unwrap();
        let m = p.fields("/data/calls/anna/2026-11-30_1405_C-778.wav").unwrap();
        assert_eq!(m.agent_id.as_deref(), Some("anna"));
        assert_eq!(m.customer_id.as_deref(), Some("C-778"));
        assert_eq!(m.started_at.unwrap().to_string(), "2026-11-30 14:05:00");
        assert!(p.fields("/data/anna/notes.wav").is_err());
        let p = PathPattern::new("{team}/*/{variant}-{call}.mp3").unwrap();
        let m = p.fields("north/x/B-17.mp3").unwrap();
        assert_eq!((m.team.as_deref(), m.variant.as_deref()), (Some("north"), Some("B")));
        assert_eq!(m.extra["call"], "17");
        assert!(PathPattern::new("{agent_id").is_err() && PathPattern::new("{a b}").is_err());
    }
}
