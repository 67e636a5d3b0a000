//! Flat exports of the team report: `calls.csv`, `calls.jsonl`, `agents.csv`, `funnel.csv`,
//! `groups.csv`, `ab.csv`, `coaching.csv` and `report.json`, written atomically.
//!
//! CSV is RFC 4180 with `,` and a decimal point by default (pandas, DuckDB); `--csv-excel`
//! writes what Excel in a Russian or German locale opens by double-click: a UTF-8 BOM, `;`
//! between fields and a decimal comma. Booleans are `true`/`false`, missing values empty.
//!
//! Takes: the rows and the [`TeamReport`]. Gives: files in the output folder. Must not:
//! overwrite a file the report did not write (see [`check_out_dir`]).

use super::calls::CallRow;
use super::calls::Key;
use super::{AgentRow, GroupStats, NONE, TeamReport};
use crate::output::{write_atomic, write_atomic_with};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// Every file `callgauge report` writes.
pub const FILES: [&str; 8] = [
    "report.json",
    "calls.csv",
    "calls.jsonl",
    "agents.csv",
    "funnel.csv",
    "groups.csv",
    "ab.csv",
    "coaching.csv",
];

/// The HTML pages' names ([`crate::html`]): the team page and the folder of call pages.
pub const INDEX_HTML: &str = "index.html";
pub const CALLS_DIR: &str = "calls";

/// The metadata columns that lead `calls.csv`.
pub const META_COLUMNS: [&str; 8] =
    ["agent_id", "team", "customer_id", "started_at", "variant", "outcome", "amount", "dialogue"];

/// Refuses an output folder holding any of [`FILES`] unless its `report.json` was written by
/// `callgauge report` (a rerun may replace its own files, nothing else).
pub fn check_out_dir(dir: &Path) -> Result<(), String> {
    let ours = std::fs::read_to_string(dir.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .is_some_and(|v| v.get("agents").is_some() && v.get("team").is_some());
    if ours {
        return Ok(());
    }
    let html = [INDEX_HTML, CALLS_DIR];
    match FILES.iter().chain(html.iter()).find(|f| dir.join(f).exists()) {
        Some(f) => Err(format!(
            "{}: holds {f}, which callgauge report did not write; choose another --out",
            dir.display()
        )),
        None => Ok(()),
    }
}

/// CSV dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dialect {
    pub excel: bool,
}

impl Dialect {
    fn writer(self) -> csv::Writer<Vec<u8>> {
        let mut buf = Vec::new();
        if self.excel {
            buf.extend_from_slice("\u{feff}".as_bytes());
        }
        csv::WriterBuilder::new().delimiter(if self.excel { b';' } else { b',' }).from_writer(buf)
    }

    /// A number as this dialect writes it: up to 6 significant decimals, no trailing zeros.
    pub fn number(self, x: f64) -> String {
        if !x.is_finite() {
            return String::new();
        }
        let mut s = format!("{:.6}", x);
        if s.contains('.') {
            s = s.trim_end_matches('0').trim_end_matches('.').to_string();
        }
        if s == "-0" {
            s = "0".into();
        }
        if self.excel { s.replace('.', ",") } else { s }
    }

    fn value(self, v: &Value) -> String {
        match v {
            Value::Null => String::new(),
            Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |x| self.number(x)),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    fn opt(self, x: Option<f64>) -> String {
        x.map_or(String::new(), |x| self.number(x))
    }
}

fn finish(w: csv::Writer<Vec<u8>>) -> std::io::Result<Vec<u8>> {
    w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}

/// A flat call: (column, value) in column order.
pub struct Flat(pub Vec<(Key, Value)>);

impl Flat {
    fn insert(&mut self, key: &str, value: Value) {
        match self.0.iter_mut().find(|(k, _)| &**k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.into(), value)),
        }
    }
}

impl serde::Serialize for Flat {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (&**k, v)))
    }
}

/// One call as the flat object of `calls.jsonl` (and a row of `calls.csv`): `call_id`, the
/// metadata columns, `dialogue`, `excluded`, `repeat_contact`, the extra metadata columns as
/// `meta.<name>`, then every scalar of the call JSON by its dotted path
/// ([`super::calls::flatten`]).
pub fn flat_call(row: &CallRow) -> Flat {
    let m = &row.meta;
    let mut out = Flat(Vec::with_capacity(row.flat.len() + 12));
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    out.insert("call_id", row.call_id.clone().into());
    out.insert("agent_id", text(&m.agent_id));
    out.insert("team", text(&m.team));
    out.insert("customer_id", text(&m.customer_id));
    out.insert(
        "started_at",
        text(&m.started_at.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())),
    );
    out.insert("variant", text(&m.variant));
    out.insert(
        "outcome",
        m.won.map_or(Value::Null, |w| Value::String(if w { "won" } else { "lost" }.into())),
    );
    out.insert("amount", m.amount.map_or(Value::Null, Value::from));
    out.insert("dialogue", row.is_dialogue().into());
    out.insert(
        "excluded",
        row.exclusion.map_or(Value::Null, |e| serde_json::to_value(e).unwrap_or(Value::Null)),
    );
    out.insert("repeat_contact", row.repeat_contact.map_or(Value::Null, Value::from));
    for (k, v) in &m.extra {
        out.insert(&format!("meta.{k}"), Value::String(v.clone()));
    }
    // The metadata columns above are what the report used; the call JSON's own `agent_id`
    // and `outcome` (from `analyze --outcomes`) are among their sources, not extra columns.
    let leading = out.0.len();
    for (k, v) in &row.flat {
        let taken = out.0[..leading].iter().any(|(o, _)| o == k);
        if !taken && !matches!(&**k, "outcome" | "agent_id") {
            out.0.push((Arc::clone(k), v.clone()));
        }
    }
    out
}

/// The columns of `calls.csv`: the union over all calls, in first-seen order.
fn call_columns(rows: &[CallRow]) -> Vec<Key> {
    let mut columns: Vec<Key> = Vec::new();
    let mut known: HashSet<Key> = HashSet::new();
    for row in rows {
        for (k, _) in flat_call(row).0 {
            if !known.contains(&k) {
                known.insert(Arc::clone(&k));
                columns.push(k);
            }
        }
    }
    columns
}

/// Writes `calls.csv` and `calls.jsonl`, a call at a time.
pub fn write_calls(dir: &Path, rows: &[CallRow], dialect: Dialect) -> std::io::Result<()> {
    let columns = call_columns(rows);
    let index: HashMap<&str, usize> = columns.iter().enumerate().map(|(i, k)| (&**k, i)).collect();
    write_atomic_with(&dir.join("calls.csv"), |out| {
        if dialect.excel {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut w = csv::WriterBuilder::new()
            .delimiter(if dialect.excel { b';' } else { b',' })
            .from_writer(out);
        w.write_record(columns.iter().map(|k| &**k))?;
        let mut cells = vec![String::new(); columns.len()];
        for row in rows {
            cells.iter_mut().for_each(String::clear);
            for (k, v) in flat_call(row).0 {
                if let Some(&i) = index.get(&*k) {
                    cells[i] = dialect.value(&v);
                }
            }
            w.write_record(&cells)?;
        }
        w.flush()
    })?;
    write_atomic_with(&dir.join("calls.jsonl"), |out| {
        for row in rows {
            serde_json::to_writer(&mut *out, &flat_call(row))?;
            out.write_all(b"\n")?;
        }
        Ok(())
    })
}

fn rate_cells(d: Dialect, r: &super::RateOut) -> [String; 4] {
    [r.n.to_string(), d.opt(r.rate), d.number(r.lo), d.number(r.hi)]
}

/// `agents.csv`: the agent table.
pub fn agents(list: &[AgentRow], d: Dialect) -> std::io::Result<Vec<u8>> {
    let mut w = d.writer();
    w.write_record([
        "agent_id",
        "team",
        "calls",
        "dialogue_calls",
        "rule_60_40_n",
        "rule_60_40_pass_rate",
        "rule_60_40_lo",
        "rule_60_40_hi",
        "agent_share_mean",
        "conversion_n",
        "conversion",
        "conversion_lo",
        "conversion_hi",
        "average_deal",
        "checklist",
        "quality_index",
        "index",
        "rank",
        "rank_best",
        "rank_worst",
        "of",
        "rule_60_40_margin",
        "rule_60_40_calls_needed",
        "conversion_calls_needed",
        "verdict",
        "flags",
    ])?;
    for a in list {
        let s = &a.stats;
        let mut rec = vec![
            a.agent_id.clone(),
            a.team.clone().unwrap_or_default(),
            s.calls.total.to_string(),
            s.calls.dialogue.to_string(),
        ];
        rec.extend(rate_cells(d, &s.rule_60_40));
        rec.push(d.opt(s.agent_share.mean));
        rec.extend(rate_cells(d, &s.conversion));
        rec.push(d.opt(s.average_deal.mean));
        rec.push(d.opt(s.checklist.mean));
        rec.push(d.opt(s.quality_index.mean));
        rec.push(d.opt(a.index));
        rec.push(a.rank.map_or(String::new(), |r| r.to_string()));
        rec.push(a.rank_interval.map_or(String::new(), |r| r[0].to_string()));
        rec.push(a.rank_interval.map_or(String::new(), |r| r[1].to_string()));
        rec.push(a.of.to_string());
        rec.push(d.number(a.rule_60_40_sufficiency.margin));
        rec.push(a.rule_60_40_sufficiency.calls_needed.to_string());
        rec.push(a.conversion_sufficiency.map_or(String::new(), |c| c.calls_needed.to_string()));
        rec.push(a.verdict.clone());
        rec.push(
            a.flags
                .iter()
                .map(|f| format!("{} {} (q = {:.3})", f.metric, f.direction, f.q))
                .collect::<Vec<_>>()
                .join("; "),
        );
        w.write_record(&rec)?;
    }
    finish(w)
}

/// `funnel.csv`: each stage's reach for the team and for every agent.
pub fn funnel(report: &TeamReport, d: Dialect) -> std::io::Result<Vec<u8>> {
    let mut w = d.writer();
    w.write_record([
        "group",
        "stage",
        "reached",
        "calls",
        "reach",
        "lo",
        "hi",
        "calls_ending_here",
    ])?;
    let mut write = |group: &str, s: &GroupStats| -> std::io::Result<()> {
        for st in &s.funnel {
            let ending = s
                .ends
                .iter()
                .find(|e| e.stage.as_deref() == Some(&st.stage))
                .map_or(0, |e| e.calls);
            w.write_record([
                group.to_string(),
                st.stage.clone(),
                st.reach.k.to_string(),
                st.reach.n.to_string(),
                d.opt(st.reach.rate),
                d.number(st.reach.lo),
                d.number(st.reach.hi),
                ending.to_string(),
            ])?;
        }
        Ok(())
    };
    write("team", &report.team)?;
    for a in &report.agents {
        write(&format!("agent:{}", a.agent_id), &a.stats)?;
    }
    finish(w)
}

/// `groups.csv`: the `--by` groups with their main figures.
pub fn groups(report: &TeamReport, d: Dialect) -> std::io::Result<Vec<u8>> {
    let mut w = d.writer();
    let dims = &report.settings.by;
    let mut header: Vec<String> = dims.clone();
    header.extend(
        [
            "calls",
            "dialogue_calls",
            "rule_60_40_n",
            "rule_60_40_pass_rate",
            "rule_60_40_lo",
            "rule_60_40_hi",
            "agent_share_mean",
            "conversion_n",
            "conversion",
            "conversion_lo",
            "conversion_hi",
            "checklist",
            "quality_index",
        ]
        .map(String::from),
    );
    w.write_record(&header)?;
    for g in &report.groups {
        let s = &g.stats;
        let mut rec: Vec<String> =
            dims.iter().map(|k| g.key.get(k).cloned().unwrap_or_else(|| NONE.into())).collect();
        rec.push(s.calls.total.to_string());
        rec.push(s.calls.dialogue.to_string());
        rec.extend(rate_cells(d, &s.rule_60_40));
        rec.push(d.opt(s.agent_share.mean));
        rec.extend(rate_cells(d, &s.conversion));
        rec.push(d.opt(s.checklist.mean));
        rec.push(d.opt(s.quality_index.mean));
        w.write_record(&rec)?;
    }
    finish(w)
}

/// `ab.csv`: the A/B rows (a header only when there is no comparison).
pub fn ab(report: &TeamReport, d: Dialect) -> std::io::Result<Vec<u8>> {
    let mut w = d.writer();
    w.write_record([
        "compared",
        "a",
        "b",
        "metric",
        "value_a",
        "value_b",
        "n_a",
        "n_b",
        "diff",
        "lo",
        "hi",
        "p",
        "test",
        "calls_per_arm_observed",
        "calls_per_arm_for_margin",
        "sentence",
    ])?;
    if let Some(ab) = &report.ab {
        for r in &ab.rows {
            w.write_record([
                ab.compared.clone(),
                ab.a.clone(),
                ab.b.clone(),
                r.metric.clone(),
                d.opt(r.a),
                d.opt(r.b),
                r.n_a.to_string(),
                r.n_b.to_string(),
                d.opt(r.diff),
                d.opt(r.lo),
                d.opt(r.hi),
                d.opt(r.p),
                r.test.clone(),
                r.calls_per_arm_observed.map_or(String::new(), |n| n.to_string()),
                r.calls_per_arm_for_margin.map_or(String::new(), |n| n.to_string()),
                r.sentence.clone(),
            ])?;
        }
    }
    finish(w)
}

/// `coaching.csv`: the review queue.
pub fn coaching(report: &TeamReport, d: Dialect) -> std::io::Result<Vec<u8>> {
    let mut w = d.writer();
    w.write_record(["agent_id", "call_id", "kind", "item", "reason", "path"])?;
    for c in &report.coaching {
        w.write_record([
            c.agent_id.clone(),
            c.call_id.clone(),
            c.kind.clone(),
            c.item.clone().unwrap_or_default(),
            c.reason.clone(),
            c.path.clone().unwrap_or_default(),
        ])?;
    }
    finish(w)
}

/// Writes every file into `dir` (created if needed), each atomically.
pub fn write_all(
    dir: &Path,
    rows: &[CallRow],
    report: &TeamReport,
    d: Dialect,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    write_calls(dir, rows, d)?;
    let mut json = serde_json::to_vec_pretty(report)?;
    json.push(b'\n');
    for (name, bytes) in [
        ("agents.csv", agents(&report.agents, d)?),
        ("funnel.csv", funnel(report, d)?),
        ("groups.csv", groups(report, d)?),
        ("ab.csv", ab(report, d)?),
        ("coaching.csv", coaching(report, d)?),
        // Last: its presence marks the folder as the report's own.
        ("report.json", json),
    ] {
        write_atomic(&dir.join(name), &bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_numbers_have_a_decimal_comma_and_plain_ones_a_point() {
        let (plain, excel) = (Dialect::default(), Dialect { excel: true });
        assert_eq!(plain.number(0.125), "0.125");
        assert_eq!(excel.number(0.125), "0,125");
        assert_eq!(plain.number(12.0), "12");
        assert_eq!(plain.number(-0.0000001), "0");
        assert_eq!(plain.number(f64::NAN), "");
    }

    #[test]
    fn excel_csv_starts_with_a_bom_and_uses_semicolons() {
        let mut w = Dialect { excel: true }.writer();
        w.write_record(["a", "Иван; Петров"]).unwrap();
        let bytes = finish(w).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text, "\u{feff}a;\"Иван; Петров\"\n");
    }

    #[test]
    fn a_folder_with_someone_elses_csv_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_out_dir(dir.path()).is_ok());
        std::fs::write(dir.path().join("calls.csv"), "mine").unwrap();
        assert!(check_out_dir(dir.path()).unwrap_err().contains("calls.csv"));
        std::fs::write(dir.path().join("report.json"), r#"{"team": {}, "agents": []}"#).unwrap();
        assert!(check_out_dir(dir.path()).is_ok());
    }
}
