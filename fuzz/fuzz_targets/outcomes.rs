//! Any bytes as an outcomes CSV: parsed or refused with a message, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| callgauge::fuzz::outcomes(data));
