// callgauge: cargo caps lints only for registry crates; this crate is built as a path
// dependency, and its warnings are not callgauge's to fix.
#![allow(warnings)]
#![allow(non_upper_case_globals)]
#![allow(non_camel_case_types)]
#![allow(non_snake_case)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
