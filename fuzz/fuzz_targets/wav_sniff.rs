//! Any bytes as the start of a WAV file: the format-tag sniffing never panics.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| callgauge::fuzz::wav_sniff(data));
