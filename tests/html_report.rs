//! The HTML report in a real browser: `analyze` with the real model on fixtures laid out as a
//! recorder names them (one file name with quotes and `&`), `report` over that folder plus a
//! call JSON whose transcript holds `<script>`, then `index.html` and the call pages loaded in
//! Debian's headless Chromium over the DevTools protocol (`tests/browser.py`): no console
//! error, no request to any host, the DOM holding what report.json and the call JSONs say.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const LAYOUT: [(&str, &str); 2] = [
    ("anna/2026-11-23_1000_C-1.wav", "en_ulaw8k_crosstalk.wav"),
    ("boris/2026-11-30_1415_C-\"7\" & co.wav", "ru_ulaw8k_crosstalk.wav"),
];

const PATTERN: &str = "{agent_id}/{started_at:%Y-%m-%d_%H%M}_{customer_id}.*";

const INJECTED: &str = "<script>alert(1)</script>";

/// (analyze output, folder with the hand-made call JSON, report folder), made once.
fn built() -> &'static (PathBuf, PathBuf, PathBuf) {
    static DIRS: OnceLock<(PathBuf, PathBuf, PathBuf)> = OnceLock::new();
    DIRS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let input = dir.join("recordings");
        for (path, fixture) in LAYOUT {
            let to = input.join(path);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(root().join("fixtures").join(fixture), &to).unwrap();
        }
        let night = dir.join("night");
        let run = analyze(&[&input], &night, &["--threads", "1"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        // A call whose transcript and stage evidence hold markup, as a recogniser could write
        // it: the anna call with its first words replaced.
        let extra = dir.join("extra");
        std::fs::create_dir_all(&extra).unwrap();
        let mut doc = read_json(&night.join(anna_json(&night)));
        doc["call_id"] = "injected".into();
        doc["segments"][0]["text"] = INJECTED.into();
        doc["segments"][0]["words"][0]["text"] = INJECTED.into();
        doc["stages"]["hits"][0]["text"] = INJECTED.into();
        std::fs::write(extra.join("injected.json"), serde_json::to_vec(&doc).unwrap()).unwrap();
        let out = dir.join("report");
        let (code, stderr) = report(&[&night, &extra], &out);
        assert_eq!(code, 0, "{stderr}");
        (night, extra, out)
    })
}

fn anna_json(night: &Path) -> String {
    std::fs::read_dir(night)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.contains("anna"))
        .expect("the anna call's JSON")
}

fn report(inputs: &[&Path], out: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_callgauge"))
        .arg("report")
        .args(inputs)
        .args(["--path-pattern", PATTERN, "--out"])
        .arg(out)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// What the browser saw on a page.
struct Seen {
    requests: Vec<String>,
    console: Vec<Value>,
    exceptions: Vec<Value>,
    value: Value,
    print: Value,
}

/// Loads `page` in headless Chromium, evaluates `js` after the load, and checks the page as it
/// would print on A4 (717 CSS px between 0.4-inch margins).
fn browse(page: &Path, js: &str) -> Seen {
    let out = Command::new("python3")
        .arg(root().join("tests/browser.py"))
        .arg("check")
        .arg(page)
        .args(["--eval", js, "--print-width", "717"])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "browser.py failed (is chromium installed? ./setup.sh installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    Seen {
        requests: list("requests").iter().map(|r| r.as_str().unwrap().to_string()).collect(),
        console: list("console"),
        exceptions: list("exceptions"),
        value: v["value"].clone(),
        print: v["print"].clone(),
    }
}

/// No console message, no exception, every request a local file or inline data, nothing
/// sticking out of a printed page.
fn assert_clean(page: &Path, seen: &Seen) {
    assert!(seen.console.is_empty(), "{}: console: {:?}", page.display(), seen.console);
    assert!(seen.exceptions.is_empty(), "{}: exceptions: {:?}", page.display(), seen.exceptions);
    assert!(!seen.requests.is_empty(), "the page itself is a request");
    for url in &seen.requests {
        assert!(
            url.starts_with("file://") || url.starts_with("data:"),
            "{}: a request to the network: {url}",
            page.display()
        );
    }
    assert_eq!(
        seen.print["overflowing"],
        serde_json::json!([]),
        "{}: cut off in print",
        page.display()
    );
}

#[test]
fn the_index_loads_offline_and_shows_every_agent_stage_and_call() {
    let (_, _, out) = built();
    let report = read_json(&out.join("report.json"));
    let page = out.join("index.html");
    let seen = browse(
        &page,
        "({agents: [...document.querySelectorAll('tr.agent')].map(r => r.dataset.agent),
           stages: [...document.querySelectorAll('th.stage')].map(h => h.textContent),
           dots: document.querySelectorAll('g.dot-row').length,
           calls: [...document.querySelectorAll('#calls tbody tr')].map(r => r.cells[0].textContent),
           links: [...document.querySelectorAll('#calls tbody a')].map(a => a.href),
           scripts: document.scripts.length})",
    );
    assert_clean(&page, &seen);
    let v = &seen.value;
    let agents: Vec<&str> = report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agent_id"].as_str().unwrap())
        .collect();
    assert_eq!(agents, ["anna", "boris"]);
    assert_eq!(v["agents"], serde_json::json!(agents));
    assert_eq!(v["dots"], 2);
    let stages: Vec<&str> = report["team"]["funnel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages.len(), 5);
    assert_eq!(v["stages"], serde_json::json!(stages));
    let mut calls: Vec<String> =
        v["calls"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    calls.sort();
    assert_eq!(calls.len(), 3);
    assert!(calls.iter().any(|c| c.contains("\"7\" & co")), "{calls:?}");
    assert!(calls.contains(&"injected".to_string()));
    // Every link leads to a page that exists, file names with quotes and `&` included.
    for link in v["links"].as_array().unwrap() {
        let url = link.as_str().unwrap();
        let path = percent_encoding::percent_decode_str(url.strip_prefix("file://").unwrap())
            .decode_utf8()
            .unwrap()
            .into_owned();
        assert!(Path::new(&path).is_file(), "{url} → {path}: no such page");
    }
    assert_eq!(v["scripts"], 2, "the data block and the page's own script, nothing else");
}

#[test]
fn a_call_page_draws_every_speech_interval_and_stage_hit_and_seeks_the_recording() {
    let (night, _, out) = built();
    let name = anna_json(night);
    let doc = read_json(&night.join(&name));
    let page = out.join("calls").join(name.replace(".json", ".html"));
    let seen = browse(
        &page,
        "new Promise(done => {
           const q = s => document.querySelectorAll(s).length;
           const counts = {agent: q('svg.timeline rect.seg.agent'),
                           customer: q('svg.timeline rect.seg.customer'),
                           hits: q('svg.timeline g.mark.hit'),
                           objections: q('svg.timeline g.mark.objection'),
                           interruptions: q('svg.timeline g.mark.interruption'),
                           deadair: q('svg.timeline rect.deadair'),
                           utterances: q('.transcript .utt'),
                           items: q('table.checklist tr.item')};
           const p = document.getElementById('player');
           const seek = () => { const w = document.querySelectorAll('.transcript .w')[7];
                                w.click(); return {to: +w.dataset.t, at: p.currentTime}; };
           if (p.readyState >= 1) return done({...counts, duration: p.duration, seek: seek()});
           p.addEventListener('loadedmetadata', () => done({...counts, duration: p.duration, seek: seek()}));
           p.addEventListener('error', () => done({...counts, duration: null, error: String(p.error && p.error.code)}));
           setTimeout(() => done({...counts, duration: 'timeout'}), 10000);
         })",
    );
    assert_clean(&page, &seen);
    let v = &seen.value;
    let len = |p: &str| doc.pointer(p).and_then(Value::as_array).map_or(0, Vec::len);
    assert!(len("/speakers/agent/speech_intervals") > 5);
    assert_eq!(v["agent"], len("/speakers/agent/speech_intervals"), "{v}");
    assert_eq!(v["customer"], len("/speakers/customer/speech_intervals"), "{v}");
    assert_eq!(v["hits"], len("/stages/hits"), "{v}");
    assert_eq!(v["objections"], len("/objections"), "{v}");
    assert_eq!(v["interruptions"], len("/conversation/interruptions"), "{v}");
    assert_eq!(v["deadair"], len("/conversation/dead_air"), "{v}");
    assert_eq!(v["utterances"], len("/segments"), "{v}");
    assert_eq!(v["items"], len("/checklist/items"), "{v}");
    // The µ-law recording plays in the page, and a click on a word moves the player there.
    let duration = v["duration"].as_f64().unwrap_or_else(|| panic!("the player: {v}"));
    assert!((duration - doc["duration_s"].as_f64().unwrap()).abs() < 0.5, "{v}");
    let (to, at) = (v["seek"]["to"].as_f64().unwrap(), v["seek"]["at"].as_f64().unwrap());
    assert!(to > 1.0 && (to - at).abs() < 0.2, "{v}");
}

#[test]
fn markup_in_a_transcript_or_a_file_name_is_shown_as_text() {
    let (night, _, out) = built();
    let page = out.join("calls/injected.html");
    let seen = browse(
        &page,
        "({scripts: document.scripts.length,
           first: document.querySelector('.transcript .utt .said').textContent,
           hit: document.querySelector('svg.timeline g.mark.hit title').textContent})",
    );
    assert_clean(&page, &seen);
    assert_eq!(seen.value["scripts"], 1, "only the page's own script: {:?}", seen.value);
    assert!(seen.value["first"].as_str().unwrap().contains(INJECTED), "{:?}", seen.value);
    assert!(seen.value["hit"].as_str().unwrap().contains(INJECTED), "{:?}", seen.value);

    let boris = std::fs::read_dir(night)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.contains("co.json"))
        .unwrap();
    let id = read_json(&night.join(&boris))["call_id"].as_str().unwrap().to_string();
    assert!(id.contains("\"7\" & co"), "{id}");
    let page = out.join("calls").join(format!("{id}.html"));
    let seen = browse(
        &page,
        "({h1: document.querySelector('h1 .id').textContent, title: document.title,
           recording: [...document.querySelectorAll('.facts div')].find(d => d.querySelector('dt').textContent === 'Recording').querySelector('dd').textContent,
           player: !!document.getElementById('player')})",
    );
    assert_clean(&page, &seen);
    assert_eq!(seen.value["h1"], id.as_str());
    assert!(seen.value["title"].as_str().unwrap().contains(&id));
    assert!(
        seen.value["recording"].as_str().unwrap().ends_with("C-\"7\" & co.wav"),
        "{:?}",
        seen.value
    );
    assert_eq!(seen.value["player"], true, "the recording's link is percent-encoded and found");
}

#[test]
fn a_rerun_removes_its_own_stale_pages_and_nothing_else() {
    let (night, extra, _) = built();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let (code, e) = report(&[night, extra], &out);
    assert_eq!(code, 0, "{e}");
    let foreign = out.join("calls/notes.html");
    std::fs::write(&foreign, "<p>a coach's notes</p>").unwrap();
    let (code, e) = report(&[night], &out);
    assert_eq!(code, 0, "{e}");
    assert!(e.contains("removed 1 stale pages"), "{e}");
    assert!(!out.join("calls/injected.html").exists());
    assert!(foreign.exists(), "a page the report did not write is left alone");
    let pages = std::fs::read_dir(out.join("calls")).unwrap().count();
    assert_eq!(pages, 3, "two call pages and the foreign file");

    // A folder holding someone else's index.html is refused.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("index.html"), "<h1>intranet</h1>").unwrap();
    let (code, e) = report(&[night], &other);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("index.html, which callgauge report did not write"), "{e}");
    assert_eq!(std::fs::read_to_string(other.join("index.html")).unwrap(), "<h1>intranet</h1>");
}
