//! callgauge turns recorded sales and support calls into measured, comparable features: one
//! JSON document per call (talk time per speaker, the 60/40 rule, silences, a timed transcript).
//!
//! The pipeline runs per call: [`decode`] → [`resample`] → [`vad`] → [`transcribe`] →
//! [`metrics`] → [`report`]; [`pipeline`] runs a batch of calls in parallel and writes the
//! results. The library never parses command-line flags: build a [`config::Config`] and call
//! [`pipeline::run`].

pub mod config;
pub mod decode;
pub mod error;
pub mod metrics;
pub mod pipeline;
pub mod report;
pub mod resample;
pub mod rescore;
pub mod stages;
pub mod timeline;
pub mod transcribe;
pub mod vad;

pub use config::Config;
pub use error::{CallError, FatalError, Stage};
pub use pipeline::run;
