#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logtrace_fuzz::report(data));
