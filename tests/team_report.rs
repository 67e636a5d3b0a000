//! `callgauge report` on the real path: `analyze` with the real model on fixtures laid out the
//! way a call recorder names files, then `report` with a metadata CSV and a path pattern. The
//! exports are read back by Python's csv module and by pandas.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// (recorder path, fixture): agent folder, `<date>_<time>_<customer>.<ext>`. Customer C-1 is
/// called twice (a repeat contact on the second call).
const LAYOUT: [(&str, &str); 3] = [
    ("anna/2026-11-23_1000_C-1.wav", "en_ulaw8k_crosstalk.wav"),
    ("boris/2026-11-30_1415_C-1.wav", "ru_ulaw8k_crosstalk.wav"),
    ("anna/2026-11-30_0900_C-2.flac", "en_mono.flac"),
];

const PATTERN: &str = "{agent_id}/{started_at:%Y-%m-%d_%H%M}_{customer_id}.*";

/// The analyzed calls (once for the file): (input folder, analyze output folder).
fn analyzed() -> &'static (PathBuf, PathBuf) {
    static DIRS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    DIRS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let input = dir.join("recordings");
        for (path, fixture) in LAYOUT {
            let to = input.join(path);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(root().join("fixtures").join(fixture), &to).unwrap();
        }
        let out = dir.join("night1");
        let run = analyze(&[&input], &out, &["--threads", "1"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        (input, out)
    })
}

fn report(args: &[&str]) -> (i32, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_callgauge")).arg("report").args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The metadata CSV as Excel in a Russian locale saves it: BOM, `;`, decimal comma, Cyrillic.
/// Three bad rows (an amount with a currency, a date that does not parse, a duplicate) and a
/// row for a call that does not exist.
const METADATA: &str = "\u{feff}call_id;team;variant;outcome;amount;region\n\
anna__2026-11-23_1000_C-1;north;A;won;12 000,50;Москва\n\
boris__2026-11-30_1415_C-1;south;B;lost;;Тверь\n\
anna__2026-11-30_0900_C-2;north;A;won;12 000 руб.;Москва\n\
ghost__2026-11-30_0000_C-9;north;B;won;1;\n\
boris__2026-11-30_1415_C-1;south;B;won;5;Тверь\n";

fn python(script: &str, args: &[&Path]) -> String {
    let out = Command::new("python3").arg("-c").arg(script).args(args).output().unwrap();
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn report_with_metadata_and_a_path_pattern_writes_every_file_readable_by_csv_and_pandas() {
    let (_, night) = analyzed();
    let dir = tempfile::tempdir().unwrap();
    let meta = dir.path().join("meta.csv");
    std::fs::write(&meta, METADATA).unwrap();
    let out = dir.path().join("report");
    let (code, stderr) = report(&[
        night.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--metadata",
        meta.to_str().unwrap(),
        "--path-pattern",
        PATTERN,
        "--by",
        "agent,week",
    ]);
    // Bad rows leave the run complete but say what was left out (exit 1), with file and line.
    assert_eq!(code, 1, "{stderr}");
    let name = meta.display().to_string();
    assert!(stderr.contains(&format!("{name}:4: amount \"12 000 руб.\"")), "{stderr}");
    assert!(
        stderr.contains(&format!("{name}:6: call_id \"boris__2026-11-30_1415_C-1\" appears twice")),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 metadata rows match no call: ghost__2026-11-30_0000_C-9"),
        "{stderr}"
    );
    for f in [
        "report.json",
        "calls.csv",
        "calls.jsonl",
        "agents.csv",
        "funnel.csv",
        "groups.csv",
        "ab.csv",
        "coaching.csv",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let doc = read_json(&out.join("report.json"));
    assert_valid_as(&doc, "report.v1.schema.json");
    assert_eq!(doc["team"]["calls"]["total"], 3);
    // en_mono.flac is diarized: its voices are told apart, so it is not a figure-less mono call.
    assert_eq!(doc["team"]["calls"]["mono"], 0);
    assert_eq!(doc["left_out"]["metadata_problems"].as_array().unwrap().len(), 2);
    let agents: Vec<&str> =
        doc["agents"].as_array().unwrap().iter().map(|a| a["agent_id"].as_str().unwrap()).collect();
    assert_eq!(agents, ["anna", "boris"], "agents come from the path pattern");
    assert!(doc["agents"][0]["verdict"].as_str().unwrap().contains("not enough to rank"));
    let weeks: Vec<&str> = doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"]["week"].as_str().unwrap())
        .collect();
    assert!(weeks.contains(&"2026-W48") && weeks.contains(&"2026-W49"), "{weeks:?}");
    assert_eq!(doc["team"]["repeat_contact"]["k"], 1, "C-1's second call is a repeat contact");
    assert_eq!(doc["ab"]["a"], "A");
    // calls.csv through Python's csv module and pandas.
    let checked = python(
        r#"
import csv, sys, json
import pandas as pd
path = sys.argv[1]
rows = list(csv.DictReader(open(path, newline="", encoding="utf-8")))
df = pd.read_csv(path)
by_id = {r["call_id"]: r for r in rows}
first = by_id["anna__2026-11-23_1000_C-1"]
print(json.dumps({
    "rows": len(rows), "pandas_rows": len(df),
    "columns": list(df.columns),
    "agent": first["agent_id"], "started": first["started_at"], "customer": first["customer_id"],
    "amount": first["amount"], "region": first["meta.region"], "outcome": first["outcome"],
    "share": float(df.set_index("call_id").loc["anna__2026-11-23_1000_C-1", "rule_60_40.agent_share_of_speech"]),
    "share_dtype": str(df["rule_60_40.agent_share_of_speech"].dtype),
    "repeat": by_id["boris__2026-11-30_1415_C-1"]["repeat_contact"],
}))
"#,
        &[&out.join("calls.csv")],
    );
    let c: Value = serde_json::from_str(&checked).unwrap();
    assert_eq!((c["rows"].as_u64(), c["pandas_rows"].as_u64()), (Some(3), Some(3)));
    let columns: Vec<&str> =
        c["columns"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for want in [
        "call_id",
        "agent_id",
        "team",
        "customer_id",
        "started_at",
        "variant",
        "outcome",
        "amount",
        "dialogue",
        "excluded",
        "repeat_contact",
        "duration_s",
        "speakers.agent.speech_s",
        "rule_60_40.passed",
        "stages.reached.greeting",
        "checklist.share",
        "score.quality_index",
    ] {
        assert!(columns.contains(&want), "calls.csv lacks {want}: {columns:?}");
    }
    assert_eq!(c["agent"], "anna");
    assert_eq!(c["started"], "2026-11-23T10:00:00");
    assert_eq!(c["customer"], "C-1");
    assert_eq!((c["amount"].as_str(), c["region"].as_str()), (Some("12000.5"), Some("Москва")));
    assert_eq!(c["outcome"], "won");
    assert_eq!(c["share_dtype"], "float64");
    assert_eq!(c["repeat"], "true");
    let json_share = read_json(&night.join("anna__2026-11-23_1000_C-1.json"))["rule_60_40"]["agent_share_of_speech"].as_f64().unwrap();
    assert!((c["share"].as_f64().unwrap() - json_share).abs() < 1e-9);
    // Each calls.jsonl line is the same flat object.
    let lines = std::fs::read_to_string(out.join("calls.jsonl")).unwrap();
    let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert!(first.get("speakers.agent.speech_s").is_some() && first.get("segments").is_none());

    // Excel mode: BOM, `;`, decimal comma; Cyrillic and numbers round-trip through pandas.
    let excel = dir.path().join("excel");
    let (code, stderr) = report(&[
        night.to_str().unwrap(),
        "--out",
        excel.to_str().unwrap(),
        "--metadata",
        meta.to_str().unwrap(),
        "--path-pattern",
        PATTERN,
        "--csv-excel",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let bytes = std::fs::read(excel.join("calls.csv")).unwrap();
    assert!(bytes.starts_with("\u{feff}call_id;".as_bytes()));
    let round = python(
        r#"
import sys, json
import pandas as pd
df = pd.read_csv(sys.argv[1], sep=";", decimal=",", encoding="utf-8-sig").set_index("call_id")
row = df.loc["anna__2026-11-23_1000_C-1"]
print(json.dumps({"region": row["meta.region"], "amount": float(row["amount"]),
                  "share": float(row["rule_60_40.agent_share_of_speech"])}))
"#,
        &[&excel.join("calls.csv")],
    );
    let r: Value = serde_json::from_str(&round).unwrap();
    assert_eq!(r["region"], "Москва");
    assert_eq!(r["amount"].as_f64(), Some(12000.5));
    assert!((r["share"].as_f64().unwrap() - json_share).abs() < 1e-9);
}

#[test]
fn report_never_writes_over_files_it_did_not_write() {
    let (_, night) = analyzed();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("calls.csv"), "somebody's spreadsheet").unwrap();
    let (code, stderr) = report(&[night.to_str().unwrap(), "--out", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("calls.csv, which callgauge report did not write"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("calls.csv")).unwrap(),
        "somebody's spreadsheet"
    );
    // Its own folder it may write again; the analyze folder's JSONs are inputs, never outputs.
    let out = dir.path().join("mine");
    for _ in 0..2 {
        let (code, stderr) = report(&[night.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{stderr}");
    }
}

/// Shards: `analyze --shard i/3` into three folders, then `report` over the three equals
/// `report` over one folder holding every call (the analyze run above).
#[test]
fn report_over_three_shards_equals_report_over_one_run() {
    let (input, night) = analyzed();
    let dir = tempfile::tempdir().unwrap();
    let mut shards = Vec::new();
    let mut seen = Vec::new();
    for i in 0..3 {
        let out = dir.path().join(format!("shard{i}"));
        let shard = format!("{i}/3");
        let run = analyze(&[input], &out, &["--threads", "1", "--shard", &shard]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        for e in std::fs::read_dir(&out).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") && name != "callgauge-batch.json" {
                seen.push(name);
            }
        }
        shards.push(out);
    }
    seen.sort();
    let mut all: Vec<String> = std::fs::read_dir(night)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && n != "callgauge-batch.json")
        .collect();
    all.sort();
    assert_eq!(seen, all, "the shards are disjoint and together are the batch");
    let one = dir.path().join("one");
    let three = dir.path().join("three");
    let (code, e) = report(&[
        night.to_str().unwrap(),
        "--out",
        one.to_str().unwrap(),
        "--path-pattern",
        PATTERN,
    ]);
    assert_eq!(code, 0, "{e}");
    let mut args: Vec<&str> = shards.iter().map(|p| p.to_str().unwrap()).collect();
    args.extend(["--out", three.to_str().unwrap(), "--path-pattern", PATTERN]);
    let (code, e) = report(&args);
    assert_eq!(code, 0, "{e}");
    assert_eq!(read_json(&one.join("report.json")), read_json(&three.join("report.json")));
    let rows = |dir: &Path| -> Vec<String> {
        let text = std::fs::read_to_string(dir.join("agents.csv")).unwrap();
        text.lines().map(str::to_string).collect()
    };
    assert_eq!(rows(&one), rows(&three));
}
