//! Schema: the JSON Schemas of callgauge's documents, generated from the Rust types that write
//! them, so the published contract cannot drift from the output.
//!
//! Takes: the serde types of [`crate::report`] and [`crate::rescore`]. Gives: one JSON Schema
//! (draft 2020-12, describing serialization: every field is required, `null` where a value may
//! be missing) per document, descriptions carried from the types' doc comments. The committed
//! copies in `schema/` are checked equal to these by the test suite; `callgauge schema --out
//! schema` writes them again after a change. Must not: be edited by hand in `schema/`.

use crate::report::{BatchSummary, CallReport};
use crate::rescore::{ScoreDoc, ScoreSummary};
use crate::team::TeamReport;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::Value;

/// Where the schemas say they live; `.invalid` because callgauge publishes no web site.
const BASE_ID: &str = "https://callgauge.invalid/schema/";

/// A document callgauge writes and the file its schema is published in.
pub struct Document {
    /// File name in `schema/`, e.g. `call.v1.schema.json`.
    pub file: &'static str,
    pub schema: Value,
}

/// Every published schema.
pub fn documents() -> Vec<Document> {
    vec![
        generate::<CallReport>("call.v1.schema.json", "callgauge call report, schema version 1"),
        generate::<BatchSummary>(
            "batch.v1.schema.json",
            "callgauge batch summary, schema version 1",
        ),
        generate::<ScoreDoc>("score.v1.schema.json", "callgauge score document, schema version 1"),
        generate::<ScoreSummary>(
            "scores.v1.schema.json",
            "callgauge scores summary, schema version 1",
        ),
        generate::<TeamReport>(
            "report.v1.schema.json",
            "callgauge team report (report.json of callgauge report), schema version 1",
        ),
    ]
}

fn generate<T: JsonSchema>(file: &'static str, title: &str) -> Document {
    let generator = SchemaSettings::draft2020_12().for_serialize().into_generator();
    let mut schema: Schema = generator.into_root_schema_for::<T>();
    schema.insert("$id".into(), Value::String(format!("{BASE_ID}{file}")));
    schema.insert("title".into(), Value::String(title.into()));
    let mut schema = schema.to_value();
    constrain(&mut schema);
    Document { file, schema }
}

/// Fractions in [0, 1].
const SHARES: &[&str] = &[
    "share_of_speech",
    "share_of_call",
    "agent_share_of_speech",
    "max_agent_share",
    "agent_question_turn_share",
    "share",
    "share_reached",
    "checklist_share",
];
/// Times that may be negative: the agent's pause after an objection is negative when the agent
/// talked over the customer.
const SIGNED_TIMES: &[&str] = &["agent_pause_s"];

/// Adds the ranges the Rust types cannot state, by the contract's naming rules: every `…_s`
/// figure is ≥ 0 (but [`SIGNED_TIMES`]), [`SHARES`] lie in [0, 1], quality indices in
/// [0, 100], and a `sha256` is 64 lowercase hex digits.
fn constrain(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                for (name, prop) in props.iter_mut() {
                    constrain_property(name, prop);
                }
            }
            map.values_mut().for_each(constrain);
        }
        Value::Array(items) => items.iter_mut().for_each(constrain),
        _ => {}
    }
}

fn constrain_property(name: &str, prop: &mut Value) {
    let is_number = match &prop["type"] {
        Value::String(t) => t == "number",
        Value::Array(ts) => ts.iter().any(|t| t == "number"),
        _ => false,
    };
    let Some(map) = prop.as_object_mut() else { return };
    let range = |min: f64, max: Option<f64>| {
        let mut r = vec![("minimum", Value::from(min))];
        r.extend(max.map(|m| ("maximum", Value::from(m))));
        r
    };
    let bounds = match name {
        _ if !is_number => vec![],
        _ if SHARES.contains(&name) => range(0.0, Some(1.0)),
        "quality_index" | "mean_quality_index" => range(0.0, Some(100.0)),
        _ if name.ends_with("_s") && !SIGNED_TIMES.contains(&name) => range(0.0, None),
        _ => vec![],
    };
    for (k, v) in bounds {
        map.insert(k.into(), v);
    }
    if name == "sha256" {
        map.insert("pattern".into(), Value::from("^[0-9a-f]{64}$"));
    }
}

/// A schema as it is committed: pretty JSON with a final newline.
pub fn to_text(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The committed schemas are what the types generate. After changing an output type, run
    /// `cargo run --release -- schema --out schema` and review the diff: a field removed or
    /// renamed breaks readers and needs a new schema version.
    #[test]
    fn committed_schemas_match_the_types() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
        let mut stale = Vec::new();
        for doc in documents() {
            let committed = std::fs::read_to_string(dir.join(doc.file)).unwrap_or_default();
            if committed != to_text(&doc.schema) {
                stale.push(doc.file);
            }
        }
        assert!(
            stale.is_empty(),
            "schema/{stale:?} differ from the Rust types: run `cargo run --release -- schema --out schema`"
        );
    }

    #[test]
    fn naming_rules_add_ranges() {
        let call = &documents()[0].schema;
        let rule = &call["$defs"]["Rule6040"]["properties"]["agent_share_of_speech"];
        assert_eq!((rule["minimum"].as_f64(), rule["maximum"].as_f64()), (Some(0.0), Some(1.0)));
        assert_eq!(call["properties"]["duration_s"]["minimum"], 0.0);
        let pause = &call["$defs"]["ObjectionOut"]["properties"]["agent_pause_s"];
        assert!(pause.get("minimum").is_none(), "{pause}");
        let validator = jsonschema::validator_for(call).unwrap();
        let mut doc: Value = serde_json::from_str(include_str!("../tests/data/call.json")).unwrap();
        assert!(validator.is_valid(&doc), "{:?}", validator.iter_errors(&doc).next());
        doc["rule_60_40"]["agent_share_of_speech"] = Value::from(1.2);
        assert!(!validator.is_valid(&doc), "a share above 1 passed");
    }

    #[test]
    fn every_field_of_the_call_report_is_required_and_documented() {
        let call = &documents()[0].schema;
        let props = call["properties"].as_object().unwrap();
        let required: Vec<&str> =
            call["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for (name, prop) in props {
            assert!(required.contains(&name.as_str()), "{name} is not required");
            let described = prop.get("description").is_some() || prop.get("$ref").is_some();
            assert!(described, "{name} has no description: {prop}");
        }
        assert!(props.contains_key("rule_60_40") && props.contains_key("segments"));
    }
}
