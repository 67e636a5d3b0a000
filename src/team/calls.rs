//! Calls for the team report: each call JSON read once, reduced to a [`CallRow`] (its scalar
//! figures and what the statistics need) and dropped, so transcripts are never held.
//!
//! Takes: a call JSON's text and its metadata. Gives: a [`CallRow`] or why the file cannot be
//! used. Must not: compute statistics.

use super::meta::Meta;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The one call-JSON schema version this report reads.
pub const READS_SCHEMA: u64 = 1;

/// Why a call is left out of the dialogue figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// The call failed to analyze.
    Failed,
    /// Shorter than `--min-dialogue-s`.
    TooShort,
    /// One side (or both) said nothing: a voicemail, a dropped or a technical call.
    OneSided,
}

/// A column name of the flat call, shared by every call that has it.
pub type Key = Arc<str>;

/// The column names seen so far: 10,000 calls share one copy of each.
#[derive(Debug, Default)]
pub struct Keys(Mutex<HashSet<Key>>);

impl Keys {
    pub fn get(&self, name: String) -> Key {
        let mut set = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(k) = set.get(name.as_str()) {
            return Arc::clone(k);
        }
        let k: Key = name.into();
        set.insert(Arc::clone(&k));
        k
    }
}

/// Metadata by call id and recording path, and whether any source knew the call.
pub type MetaLookup<'a> = dyn Fn(&str, Option<&str>) -> (Meta, bool) + 'a;

/// One call, reduced.
#[derive(Debug, Clone, Default)]
pub struct CallRow {
    pub call_id: String,
    pub ok: bool,
    pub meta: Meta,
    pub duration_s: Option<f64>,
    /// A mono call without per-speaker figures (not diarized, one voice, or roles unsure).
    pub mono: bool,
    pub agent_share: Option<f64>,
    pub passed_60_40: Option<bool>,
    pub agent_questions: Option<f64>,
    pub agent_longest_monologue_s: Option<f64>,
    pub dead_air_s: Option<f64>,
    pub interruptions: Option<f64>,
    pub agent_response_latency_s: Option<f64>,
    pub agent_wpm: Option<f64>,
    pub customer_wpm: Option<f64>,
    /// Stage ids reached, in script order as the call JSON lists them.
    pub stages_reached: Vec<String>,
    pub last_stage: Option<String>,
    pub order_violations: usize,
    /// (item id, passed) for every checklist item.
    pub checklist: Vec<(String, bool)>,
    pub checklist_share: Option<f64>,
    /// (category, handled) for every objection raised.
    pub objections: Vec<(String, bool)>,
    pub quality_index: Option<f64>,
    /// `tone.customer.irritated` (`None` before 0.8.0 and when the customer was not heard apart).
    pub customer_irritated: Option<bool>,
    /// `tone.customer.shares.interested`.
    pub customer_interested_share: Option<f64>,
    pub agent_speech_s: Option<f64>,
    pub customer_speech_s: Option<f64>,
    /// Every scalar of the call JSON by its dotted path (arrays of detail are summarised);
    /// the paths are shared between calls ([`Keys`]).
    pub flat: Vec<(Key, Value)>,
    /// Set by the report once the customer's earlier calls are known.
    pub repeat_contact: Option<bool>,
    pub exclusion: Option<Exclusion>,
    /// The call JSON the row was read from (for the call's HTML page).
    pub file: Option<std::path::PathBuf>,
}

impl CallRow {
    /// A call with a real dialogue: analyzed, long enough, both sides speaking.
    pub fn is_dialogue(&self) -> bool {
        self.exclusion.is_none()
    }

    /// Reads a call JSON. `meta` is what the metadata CSV and the path pattern say; where they
    /// are silent, the call JSON's own `agent_id` and `outcome` (from `analyze --outcomes`) fill in.
    pub fn from_json(text: &str, meta: Meta, min_dialogue_s: f64) -> Result<CallRow, String> {
        let keys = Keys::default();
        Self::from_json_with(text, &|_, _| (meta.clone(), true), &keys, min_dialogue_s)
            .map(|(r, _)| r)
    }

    /// Like [`CallRow::from_json`], with the metadata looked up by call id and recording path;
    /// the lookup also says whether any metadata knew the call.
    pub fn from_json_with(
        text: &str,
        meta_for: &MetaLookup<'_>,
        keys: &Keys,
        min_dialogue_s: f64,
    ) -> Result<(CallRow, bool), String> {
        let doc = parse_without_transcript(text).map_err(|e| format!("not JSON: {e}"))?;
        if doc.get("segments").is_none() || doc.get("call_id").is_none() {
            return Err("not a callgauge call JSON (no call_id or segments)".into());
        }
        match doc["schema_version"].as_u64() {
            Some(READS_SCHEMA) => {}
            other => {
                return Err(format!(
                    "call JSON schema_version {other:?}; this callgauge reads {READS_SCHEMA}"
                ));
            }
        }
        let num = |path: &[&str]| -> Option<f64> {
            path.iter().try_fold(&doc, |v, k| v.get(*k)).and_then(Value::as_f64)
        };
        let (meta, known) =
            meta_for(doc["call_id"].as_str().unwrap_or_default(), doc["source"]["path"].as_str());
        let own = Meta {
            agent_id: doc["agent_id"].as_str().map(str::to_string),
            won: doc["outcome"]["result"].as_str().map(|r| r == "won"),
            amount: num(&["outcome", "amount"]),
            ..Meta::default()
        };
        let strs = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        };
        let mut row = CallRow {
            call_id: doc["call_id"].as_str().unwrap_or_default().to_string(),
            ok: doc["status"] == "ok",
            meta: meta.or(&own),
            duration_s: num(&["duration_s"]),
            mono: doc["mode"] == "mono" && doc["rule_60_40"]["agent_share_of_speech"].is_null(),
            agent_share: num(&["rule_60_40", "agent_share_of_speech"]),
            passed_60_40: doc["rule_60_40"]["passed"].as_bool(),
            agent_questions: num(&["speakers", "agent", "questions"]),
            agent_longest_monologue_s: num(&["speakers", "agent", "longest_monologue_s"]),
            dead_air_s: num(&["conversation", "dead_air_s"]),
            interruptions: doc["conversation"]["interruptions"].as_array().map(|a| a.len() as f64),
            agent_response_latency_s: num(&["speakers", "agent", "response_latency_s", "mean"]),
            agent_wpm: num(&["speakers", "agent", "words_per_minute"]),
            customer_wpm: num(&["speakers", "customer", "words_per_minute"]),
            stages_reached: strs(&doc["stages"]["reached"]),
            last_stage: doc["stages"]["last"].as_str().map(str::to_string),
            order_violations: doc["stages"]["order_violations"].as_array().map_or(0, Vec::len),
            checklist: doc["checklist"]["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| Some((i["id"].as_str()?.to_string(), i["passed"].as_bool()?)))
                .collect(),
            checklist_share: num(&["checklist", "share"]),
            objections: doc["objections"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|o| {
                    Some((o["category"].as_str()?.to_string(), o["handled"].as_bool()?))
                })
                .collect(),
            quality_index: num(&["score", "quality_index"]),
            customer_irritated: doc["tone"]["customer"]["irritated"].as_bool(),
            customer_interested_share: num(&["tone", "customer", "shares", "interested"]),
            agent_speech_s: num(&["speakers", "agent", "speech_s"]),
            customer_speech_s: num(&["speakers", "customer", "speech_s"]),
            ..CallRow::default()
        };
        row.flat = flatten(&doc).into_iter().map(|(k, v)| (keys.get(k), v)).collect();
        row.exclusion = row.exclusion(&doc, min_dialogue_s);
        Ok((row, known))
    }

    fn exclusion(&self, doc: &Value, min_dialogue_s: f64) -> Option<Exclusion> {
        if !self.ok {
            return Some(Exclusion::Failed);
        }
        if self.duration_s.is_none_or(|d| d < min_dialogue_s) {
            return Some(Exclusion::TooShort);
        }
        let silent = |s: Option<f64>| s.is_some_and(|s| s < 1.0);
        let no_speech =
            doc["warnings"].as_array().into_iter().flatten().any(|w| w["code"] == "no_speech");
        if no_speech || silent(self.agent_speech_s) || silent(self.customer_speech_s) {
            return Some(Exclusion::OneSided);
        }
        None
    }
}

/// The call JSON with its transcript (`segments`, most of the bytes) skipped while parsing,
/// never built: `segments` becomes `null`, present so a call JSON is still told from other
/// documents.
fn parse_without_transcript(text: &str) -> serde_json::Result<Value> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Top;
    impl<'de> Visitor<'de> for Top {
        type Value = Value;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a call JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut out = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                if key == "segments" {
                    map.next_value::<IgnoredAny>()?;
                    out.insert(key, Value::Null);
                } else {
                    out.insert(key, map.next_value()?);
                }
            }
            Ok(Value::Object(out))
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let doc = de.deserialize_map(Top)?;
    de.end()?;
    Ok(doc)
}

/// Objects whose arrays are detail, summarised by a count instead of flattened.
const COUNTED: [&str; 6] = [
    "speech_intervals",
    "dead_air",
    "interruptions",
    "hits",
    "order_violations",
    "first_reached_s",
];

/// Every scalar of the call JSON as (dotted path, value), in document order. Arrays: the
/// transcript (`segments`) is left out; `stages.reached` becomes one `stages.reached.<id>`
/// boolean per stage and `checklist.items` one `checklist.<id>` boolean per item; `warnings`
/// becomes its codes joined by `|`; `objections` its count and handled count; other arrays
/// (intervals, hits) their length as `<path>.count`.
pub fn flatten(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if let Value::Object(map) = doc {
        walk(map, "", &mut out);
    }
    out
}

fn walk(map: &Map<String, Value>, prefix: &str, out: &mut Vec<(String, Value)>) {
    for (key, value) in map {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match (path.as_str(), value) {
            ("segments", _) => {}
            ("warnings", Value::Array(a)) => {
                let codes: Vec<&str> = a.iter().filter_map(|w| w["code"].as_str()).collect();
                out.push((path, Value::String(codes.join("|"))));
            }
            ("stages.reached", Value::Array(a)) => {
                for id in a.iter().filter_map(Value::as_str) {
                    out.push((format!("stages.reached.{id}"), Value::Bool(true)));
                }
            }
            ("checklist.items", Value::Array(a)) => {
                for item in a {
                    if let (Some(id), Some(p)) = (item["id"].as_str(), item.get("passed")) {
                        out.push((format!("checklist.{id}"), p.clone()));
                    }
                }
            }
            ("objections", Value::Array(a)) => {
                out.push(("objections.count".into(), a.len().into()));
                let handled = a.iter().filter(|o| o["handled"] == true).count();
                out.push(("objections.handled".into(), handled.into()));
            }
            (_, Value::Object(inner)) => walk(inner, &path, out),
            (_, Value::Array(a)) => {
                if COUNTED.contains(&key.as_str()) || !a.is_empty() {
                    out.push((format!("{path}.count"), a.len().into()));
                }
            }
            _ => out.push((path, value.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call() -> Value {
        json!({
            "schema_version": 1, "call_id": "c1", "status": "ok", "duration_s": 95.0,
            "mode": "stereo", "warnings": [{"code": "truncated", "message": "…"}],
            "speakers": {"agent": {"speech_s": 40.0, "questions": 3, "speech_intervals": [[0, 1]]},
                         "customer": {"speech_s": 30.0}},
            "conversation": {"dead_air_s": 2.5, "interruptions": [{"by": "agent"}]},
            "rule_60_40": {"agent_share_of_speech": 0.57, "passed": false},
            "agent_id": "anna", "outcome": {"result": "won", "amount": 1200.0},
            "stages": {"reached": ["greeting", "closing"], "last": "closing", "order_violations": []},
            "checklist": {"items": [{"id": "introduced", "passed": true}], "share": 1.0},
            "objections": [{"category": "price", "handled": false}],
            "score": {"quality_index": 61.5},
            "segments": [{"text": "secret"}]
        })
    }

    #[test]
    fn a_call_json_becomes_a_row_with_its_own_metadata_as_fallback() {
        let meta = Meta { agent_id: Some("boris".into()), ..Meta::default() };
        let row = CallRow::from_json(&call().to_string(), meta, 30.0).unwrap();
        assert_eq!(row.meta.agent_id.as_deref(), Some("boris"), "the CSV wins");
        assert_eq!((row.meta.won, row.meta.amount), (Some(true), Some(1200.0)));
        assert_eq!(row.passed_60_40, Some(false));
        assert_eq!(row.interruptions, Some(1.0));
        assert_eq!(row.stages_reached, ["greeting", "closing"]);
        assert_eq!(row.objections, [("price".to_string(), false)]);
        assert!(row.is_dialogue());
        let keys: Vec<&str> = row.flat.iter().map(|(k, _)| &**k).collect();
        for want in [
            "speakers.agent.speech_s",
            "stages.reached.closing",
            "checklist.introduced",
            "objections.count",
            "speakers.agent.speech_intervals.count",
            "warnings",
        ] {
            assert!(keys.contains(&want), "{want} not in {keys:?}");
        }
        assert!(
            !keys.iter().any(|k| k.starts_with("segments")),
            "the transcript is never flattened"
        );
    }

    #[test]
    fn tone_feeds_the_group_rates_of_irritation_and_interest_on_lost_calls() {
        let row = |won: bool, irritated: bool, interested: f64| {
            let mut doc = call();
            doc["outcome"]["result"] = json!(if won { "won" } else { "lost" });
            doc["tone"] = json!({"customer": {"irritated": irritated,
                                              "shares": {"interested": interested}}});
            CallRow::from_json(&doc.to_string(), Meta::default(), 30.0).unwrap()
        };
        let mut old = call();
        old["outcome"]["result"] = json!("lost");
        let before_tone = CallRow::from_json(&old.to_string(), Meta::default(), 30.0).unwrap();
        assert_eq!(before_tone.customer_irritated, None);
        let rows = [
            row(true, false, 0.5),
            row(false, true, 0.0),
            row(false, false, 0.25),
            row(false, false, 0.0),
            before_tone,
        ];
        let refs: Vec<&CallRow> = rows.iter().collect();
        let stats = super::super::group_stats(&refs, &[]);
        // Calls written before 0.8.0 have no tone and count in neither rate.
        assert_eq!((stats.customer_irritated.k, stats.customer_irritated.n), (1, 4));
        assert_eq!((stats.interested_but_lost.k, stats.interested_but_lost.n), (1, 3));
        assert_eq!(stats.metrics["customer_interested_share"].n, 4);
    }

    #[test]
    fn short_one_sided_and_failed_calls_are_not_dialogues() {
        let mut doc = call();
        doc["duration_s"] = json!(20.0);
        let row = CallRow::from_json(&doc.to_string(), Meta::default(), 30.0).unwrap();
        assert_eq!(row.exclusion, Some(Exclusion::TooShort));
        let mut doc = call();
        doc["speakers"]["customer"]["speech_s"] = json!(0.0);
        let row = CallRow::from_json(&doc.to_string(), Meta::default(), 30.0).unwrap();
        assert_eq!(row.exclusion, Some(Exclusion::OneSided));
        let mut doc = call();
        doc["status"] = json!("error");
        let row = CallRow::from_json(&doc.to_string(), Meta::default(), 30.0).unwrap();
        assert_eq!(row.exclusion, Some(Exclusion::Failed));
        doc["schema_version"] = json!(2);
        assert!(
            CallRow::from_json(&doc.to_string(), Meta::default(), 30.0)
                .unwrap_err()
                .contains("schema_version")
        );
        assert!(CallRow::from_json("{}", Meta::default(), 30.0).is_err());
    }
}
