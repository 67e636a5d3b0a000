//! callgauge turns recorded sales and support calls into measured, comparable features: one
//! JSON document per call (talk time per speaker, the 60/40 rule, silences, a timed transcript,
//! where the call got to in the sales script).
//!
//! A call runs through one module per stage: [`decode`] → [`resample`] → [`vad`] →
//! [`speakers`] (on a mono call with [`diarize`]) → [`transcribe`] → [`roles`] (mono: which
//! voice is the agent) → [`metrics`] → [`stages`] (the sales script) → [`report`].
//! [`pipeline`] runs a batch of calls in parallel and writes the results through [`output`];
//! [`pipeline::Components`] is the one place the VAD, the recogniser and the diarizer are
//! chosen. [`rescore`] applies a sales script to stored transcripts (`callgauge score`).
//! Shared plumbing: [`config`] (plain settings), [`error`], [`discover`] (inputs and call ids),
//! [`schedule`] (cores and queue), [`timeline`] (interval arithmetic), [`transcript`] (timed
//! utterances), [`text`] (the word tokenizer), [`dsp`], [`hash`], [`schema`] (the JSON
//! Schemas, generated from the output types) and [`fuzz`] (the fuzz targets' entry points). The library never parses command-line flags:
//! build a [`config::Config`] and call [`pipeline::run`].

pub mod config;
pub mod decode;
pub mod diarize;
pub mod discover;
pub mod dsp;
pub mod error;
pub mod fuzz;
pub mod hash;
pub mod html;
pub mod metrics;
pub mod output;
pub mod pipeline;
pub mod redact;
pub mod report;
pub mod resample;
pub mod rescore;
pub mod roles;
pub mod schedule;
pub mod schema;
pub mod speakers;
pub mod stages;
pub mod team;
pub mod text;
pub mod timeline;
pub mod transcribe;
pub mod transcript;
pub mod vad;

pub use config::Config;
pub use error::{CallError, FatalError, Stage};
pub use pipeline::run;
