//! Any bytes as a team-report metadata CSV and as a `--path-pattern` with a path: parsed or
//! refused with a message, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| callgauge::fuzz::metadata(data));
