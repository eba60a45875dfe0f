//! Script-friendly forms of a summary's JSON view: a field filter (`--show-entries`), CSV
//! with one row per track, and `key=value` lines like `ffprobe -of flat`.

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// Keeps only `keys` (in that order) in every object of the `tracks` array of `summary`; the
/// container-level fields stay. Keys a track lacks are left out, as ffprobe does.
pub fn filter_tracks(summary: &mut Value, keys: &[String]) {
    if let Some(Value::Array(tracks)) = summary.get_mut("tracks") {
        for t in tracks.iter_mut() {
            if let Value::Object(m) = t {
                let mut kept = Map::new();
                for k in keys {
                    if let Some(v) = m.remove(k) {
                        kept.insert(k.clone(), v);
                    }
                }
                *m = kept;
            }
        }
    }
}

/// A scalar as CSV or flat text wants it: strings bare, `null` empty.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One CSV field, quoted (RFC 4180) when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The `tracks` of `summary` as CSV: a header line, then one row per track. Columns are
/// `keys` when given, else every scalar field any track has, in first-seen order; nested
/// values are written as JSON.
pub fn tracks_csv(summary: &Value, keys: Option<&[String]>) -> String {
    let empty = Vec::new();
    let tracks = match summary.get("tracks") {
        Some(Value::Array(t)) => t,
        _ => &empty,
    };
    let columns: Vec<String> = match keys {
        Some(k) => k.to_vec(),
        None => {
            let mut cols: Vec<String> = Vec::new();
            for t in tracks {
                if let Value::Object(m) = t {
                    for k in m.keys() {
                        if !cols.contains(k) {
                            cols.push(k.clone());
                        }
                    }
                }
            }
            cols
        }
    };
    let mut s = columns
        .iter()
        .map(|c| csv_field(c))
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    for t in tracks {
        let row: Vec<String> = columns
            .iter()
            .map(|c| csv_field(&t.get(c).map(scalar).unwrap_or_default()))
            .collect();
        s.push_str(&row.join(","));
        s.push('\n');
    }
    s
}

/// `summary` as flat `key=value` lines: track fields as `streams.N.key`, everything else as
/// `format.key`, nested objects and arrays joined with dots; strings quoted as ffprobe's
/// flat writer quotes them.
pub fn to_flat(summary: &Value) -> String {
    let mut s = String::new();
    if let Value::Object(m) = summary {
        for (k, v) in m {
            if k == "tracks" {
                flatten("streams", v, &mut s);
            } else {
                flatten(&format!("format.{k}"), v, &mut s);
            }
        }
    }
    s
}

fn flatten(prefix: &str, v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                flatten(&format!("{prefix}.{}", flat_key(k)), v, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                flatten(&format!("{prefix}.{i}"), v, out);
            }
        }
        Value::String(x) => {
            let escaped = x
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
                .replace('\r', "\\r");
            let _ = writeln!(out, "{prefix}=\"{escaped}\"");
        }
        other => {
            let _ = writeln!(out, "{prefix}={}", scalar(other));
        }
    }
}

/// A key as a flat name: characters other than letters, digits and `_` become `_`.
fn flat_key(k: &str) -> String {
    k.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_flat_and_filter() {
        let mut v = json!({
            "format": "flv",
            "duration": 1.5,
            "tracks": [
                { "id": 0, "codec": "h264", "frame_rate": "25/1", "profile": "High, 4:4:4" },
                { "id": 1, "codec": "aac", "channel_layout": "stereo" },
            ],
        });
        assert_eq!(
            tracks_csv(&v, None),
            "id,codec,frame_rate,profile,channel_layout\n0,h264,25/1,\"High, 4:4:4\",\n1,aac,,,stereo\n"
        );
        let flat = to_flat(&v);
        assert!(flat.contains("format.format=\"flv\"\n"), "{flat}");
        assert!(flat.contains("format.duration=1.5\n"), "{flat}");
        assert!(
            flat.contains("streams.1.channel_layout=\"stereo\"\n"),
            "{flat}"
        );
        filter_tracks(&mut v, &["codec".into(), "id".into()]);
        assert_eq!(v["tracks"][1], json!({ "codec": "aac", "id": 1 }));
        assert_eq!(v["duration"], json!(1.5));
    }
}
