//! Compiles arbitrary `--include`/`--exclude` patterns and matches them against arbitrary
//! paths; an escaped copy of a path must match the path itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxkit::batch::Glob;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (pattern, path) = text.split_once('\n').unwrap_or((&text, "a/b.flv"));
    if let Ok(g) = Glob::new(pattern) {
        let _ = g.matches(path);
    }
    if !path.is_empty() && !path.starts_with('/') {
        let mut literal = String::new();
        for c in path.chars() {
            literal.push('\\');
            literal.push(c);
        }
        let g = Glob::new(&literal).expect("an escaped literal compiles");
        assert!(g.matches(path), "escaped {path:?} does not match itself");
    }
});
