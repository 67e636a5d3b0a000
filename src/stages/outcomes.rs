//! Outcomes: the optional CSV that joins sales results to calls (`--outcomes`).
//!
//! Columns (header required, any order, extra columns ignored, `,` or `;` between them as a
//! spreadsheet in any locale exports it, UTF-8 with or without a BOM): `call_id` (the call
//! JSON's `call_id`), `agent_id`, `outcome` (`won`/`lost`, also `1`/`0`, `yes`/`no`,
//! `true`/`false`, `sale`/`no_sale`; empty or `open` = not known yet) and `amount` (the deal
//! amount, a number; empty = unknown).
//!
//! Takes: the CSV's path. Gives: one [`Outcome`] per call id, or an error naming the file, the
//! line and the bad value. Must not: look at calls.

use super::script::ScriptError;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// What the CRM knows about one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub agent_id: Option<String>,
    /// `Some(true)` won, `Some(false)` lost, `None` unknown or still open.
    pub won: Option<bool>,
    pub amount: Option<f64>,
}

/// `outcome` in the call JSON.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OutcomeOut {
    /// `won`, `lost`, or `null` when open or unknown.
    pub result: Option<&'static str>,
    /// The deal's amount, as given; `null` when not given.
    pub amount: Option<f64>,
}

impl Outcome {
    pub fn to_out(&self) -> OutcomeOut {
        OutcomeOut { result: self.won.map(|w| if w { "won" } else { "lost" }), amount: self.amount }
    }
}

pub(crate) fn parse_won(v: &str) -> Result<Option<bool>, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "open" | "pending" | "unknown" => Ok(None),
        "won" | "win" | "sale" | "yes" | "1" | "true" => Ok(Some(true)),
        "lost" | "lose" | "no_sale" | "no" | "0" | "false" => Ok(Some(false)),
        other => Err(format!("outcome {other:?} is not one of won, lost, open (or 1/0, yes/no)")),
    }
}

/// `v` with a decimal comma made a point, when it has a comma and no point.
pub(crate) fn decimal_point(v: &str) -> std::borrow::Cow<'_, str> {
    if v.contains(',') && !v.contains('.') { v.replace(',', ".").into() } else { v.into() }
}

/// `;` when the header line holds more semicolons than commas (Excel in a Russian or German
/// locale writes `;`), else `,`.
pub(crate) fn delimiter(text: &[u8]) -> u8 {
    let header = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |c: u8| header.iter().filter(|&&b| b == c).count();
    if count(b';') > count(b',') { b';' } else { b',' }
}

/// The outcome rows whose call ids are not among `call_ids`: a typo, or a call not in this
/// batch. Sorted.
pub fn unmatched<'a>(
    outcomes: &'a HashMap<String, Outcome>,
    call_ids: &std::collections::HashSet<&str>,
) -> Vec<&'a str> {
    let mut out: Vec<&str> =
        outcomes.keys().map(String::as_str).filter(|id| !call_ids.contains(id)).collect();
    out.sort_unstable();
    out
}

/// Reads the outcomes CSV at `path`, keyed by call id.
pub fn load(path: &Path) -> Result<HashMap<String, Outcome>, ScriptError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ScriptError {
        path: name.clone(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    parse(&bytes, &name)
}

/// Parses an outcomes CSV; `name` names it in errors.
pub fn parse(bytes: &[u8], name: &str) -> Result<HashMap<String, Outcome>, ScriptError> {
    let fail = |line: Option<u64>, message: String| ScriptError {
        path: name.to_string(),
        line: line.map(|l| l as usize),
        message,
    };
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut rdr =
        csv::ReaderBuilder::new().trim(csv::Trim::All).delimiter(delimiter(text)).from_reader(text);
    let headers = rdr.headers().map_err(|e| fail(Some(1), e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let call_col =
        col("call_id").ok_or_else(|| fail(Some(1), "the header has no call_id column".into()))?;
    let (agent_col, outcome_col, amount_col) = (col("agent_id"), col("outcome"), col("amount"));
    let mut out = HashMap::new();
    for record in rdr.records() {
        let record = record.map_err(|e| fail(e.position().map(|p| p.line()), e.to_string()))?;
        let line = record.position().map(|p| p.line());
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).filter(|v| !v.is_empty());
        let Some(call_id) = get(Some(call_col)) else {
            return Err(fail(line, "empty call_id".into()));
        };
        let won = parse_won(get(outcome_col).unwrap_or("")).map_err(|m| fail(line, m))?;
        let amount = match get(amount_col) {
            None => None,
            // A decimal comma, as spreadsheets in a Russian locale write it: "1200,5".
            Some(v) => Some(
                decimal_point(v)
                    .parse::<f64>()
                    .ok()
                    .filter(|a| a.is_finite() && *a >= 0.0)
                    .ok_or_else(|| fail(line, format!("amount {v:?} is not a number ≥ 0")))?,
            ),
        };
        let outcome = Outcome { agent_id: get(agent_col).map(str::to_string), won, amount };
        if out.insert(call_id.to_string(), outcome).is_some() {
            return Err(fail(line, format!("call_id {call_id:?} appears twice")));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> Result<HashMap<String, Outcome>, ScriptError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outcomes.csv");
        std::fs::write(&path, text).unwrap();
        load(&path)
    }

    #[test]
    fn reads_columns_in_any_order() {
        let o = load_str("outcome,call_id,amount,agent_id\nwon,c1,1200.5,a7\nlost,c2,,a8\n,c3,,\n")
            .unwrap();
        assert_eq!(
            o["c1"],
            Outcome { agent_id: Some("a7".into()), won: Some(true), amount: Some(1200.5) }
        );
        assert_eq!(o["c2"].won, Some(false));
        assert_eq!(o["c3"], Outcome::default());
    }

    /// Regression: a `;`-separated export (Excel in a Russian locale) was refused with "the
    /// header has no call_id column".
    #[test]
    fn semicolons_and_a_bom_are_read() {
        let o = load_str("\u{feff}call_id;agent_id;outcome;amount\nc1;a7;won;1200,5\n").unwrap();
        assert_eq!(o["c1"].amount, Some(1200.5));
        assert_eq!(o["c1"].agent_id.as_deref(), Some("a7"));
    }

    #[test]
    fn rows_matching_no_call_are_listed() {
        let o = load_str("call_id\nc1\nc9\nc2\n").unwrap();
        let ids = ["c1", "c2"].into_iter().collect();
        assert_eq!(unmatched(&o, &ids), ["c9"]);
    }

    #[test]
    fn bad_values_name_the_line() {
        let e = load_str("call_id,outcome\nc1,won\nc2,maybe\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.to_string().contains("\"maybe\""), "{e}");
        let e = load_str("call_id,amount\nc1,lots\n").unwrap_err();
        assert!(e.to_string().contains(":2: amount \"lots\""), "{e}");
        let e = load_str("id,outcome\nc1,won\n").unwrap_err();
        assert!(e.to_string().contains("no call_id column"), "{e}");
        let e = load_str("call_id\nc1\nc1\n").unwrap_err();
        assert!(e.to_string().contains("appears twice"), "{e}");
    }
}
