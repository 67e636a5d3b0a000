//! Any bytes as a recording: the decoder must return audio or an error, never panic, hang or
//! allocate without bound (the limits cap duration and size).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| callgauge::fuzz::decode(data));
