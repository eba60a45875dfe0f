//! The HLS lint's rules that the playlist text alone decides: syntax the parser forgives
//! (an `EXTINF` of `-5`, `NaN` or `1e308`), tags that may appear once, the protocol version each
//! feature needs (RFC 8216 §7), byte ranges, keys and maps. Each finding names its section;
//! MUST rules are errors, SHOULD rules and Apple's authoring rules warnings.

use std::fmt;

use super::listing::attribute;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// A SHOULD of RFC 8216 or a rule of Apple's HLS Authoring Specification: players cope.
    Warning,
    /// A MUST of RFC 8216: a client may (or must) refuse the playlist.
    Error,
}

/// One thing the lint found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The rule: `RFC 8216 4.3.3.1`, `Apple HLS authoring 7.4`.
    pub rule: &'static str,
    /// What is wrong, lowercase.
    pub message: String,
}

impl Finding {
    pub(crate) fn error(rule: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Error,
            rule,
            message: message.into(),
        }
    }

    pub(crate) fn warning(rule: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Warning,
            rule,
            message: message.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}: {} ({})", self.message, self.rule)
    }
}

/// Whether `s` is a decimal-integer or decimal-floating-point (RFC 8216 §4.2): digits with at
/// most one `.`, no sign, no exponent, no `inf`/`NaN`.
fn is_decimal(s: &str) -> bool {
    let mut dots = 0;
    !s.is_empty()
        && s.bytes().all(|b| {
            if b == b'.' {
                dots += 1;
                dots == 1
            } else {
                b.is_ascii_digit()
            }
        })
        && s.bytes().any(|b| b.is_ascii_digit())
}

/// The rules decided by the text of a media playlist.
pub fn check_text(text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    if lines.next().map(|l| l.trim_start_matches('\u{feff}')) != Some("#EXTM3U") {
        out.push(Finding::error(
            "RFC 8216 4.3.1.1",
            "the first line is not #EXTM3U",
        ));
    }
    let mut count = std::collections::BTreeMap::<&str, usize>::new();
    let mut version: Option<u64> = None;
    let mut needs: Vec<(u64, &'static str)> = Vec::new();
    let mut seen_segment = false;
    let mut seen_discontinuity = false;
    let mut i_frames_only = false;
    let mut previous_uri: Option<String> = None;
    let mut previous_had_range = false;
    let mut pending_range: Option<bool> = None;
    let mut vod = false;
    let mut ended = false;
    for line in text.lines().map(|l| l.trim_end_matches('\r')).skip(1) {
        if line.is_empty() || (line.starts_with('#') && !line.starts_with("#EXT")) {
            continue;
        }
        if !line.starts_with('#') {
            // A URI line ends the segment its tags describe.
            seen_segment = true;
            if let Some(has_offset) = pending_range.take() {
                let continues = previous_had_range && previous_uri.as_deref() == Some(line);
                if !(has_offset || continues) {
                    out.push(Finding::error(
                        "RFC 8216 4.3.2.2",
                        format!(
                            "{line}: a byte range without an offset must follow a sub-range of the same resource"
                        ),
                    ));
                }
                previous_had_range = true;
            } else {
                previous_had_range = false;
            }
            previous_uri = Some(line.to_owned());
            continue;
        }
        let (tag, value) = line.split_once(':').unwrap_or((line, ""));
        *count.entry(tag).or_default() += 1;
        match tag {
            "#EXT-X-VERSION" => version = value.parse().ok(),
            "#EXTINF" => {
                let duration = value.split(',').next().unwrap_or("");
                if !is_decimal(duration) {
                    out.push(Finding::error(
                        "RFC 8216 4.3.2.1",
                        format!(
                            "EXTINF duration {duration:?} is not a non-negative decimal number"
                        ),
                    ));
                } else if duration.contains('.') {
                    needs.push((3, "a floating-point EXTINF"));
                }
                if !value.contains(',') {
                    out.push(Finding::error(
                        "RFC 8216 4.3.2.1",
                        format!("EXTINF:{value} lacks the comma before its title"),
                    ));
                }
            }
            "#EXT-X-BYTERANGE" => {
                needs.push((4, "EXT-X-BYTERANGE"));
                let (len, offset) = match value.split_once('@') {
                    Some((l, o)) => (l, Some(o)),
                    None => (value, None),
                };
                if !is_decimal(len)
                    || len.contains('.')
                    || offset.is_some_and(|o| !is_decimal(o) || o.contains('.'))
                {
                    out.push(Finding::error(
                        "RFC 8216 4.3.2.2",
                        format!("EXT-X-BYTERANGE:{value} is not <n>[@<o>]"),
                    ));
                }
                pending_range = Some(offset.is_some());
            }
            "#EXT-X-DISCONTINUITY" => seen_discontinuity = true,
            "#EXT-X-I-FRAMES-ONLY" => {
                i_frames_only = true;
                needs.push((4, "EXT-X-I-FRAMES-ONLY"));
            }
            "#EXT-X-MAP" if attribute(value, "URI").is_none_or(str::is_empty) => {
                out.push(Finding::error(
                    "RFC 8216 4.3.2.5",
                    "EXT-X-MAP without a URI",
                ));
            }
            "#EXT-X-KEY" => {
                let method = attribute(value, "METHOD").unwrap_or("");
                if !matches!(method, "NONE" | "AES-128" | "SAMPLE-AES") {
                    out.push(Finding::error(
                        "RFC 8216 4.3.2.4",
                        format!("EXT-X-KEY METHOD {method:?} is not NONE, AES-128 or SAMPLE-AES"),
                    ));
                }
                if method != "NONE" && attribute(value, "URI").is_none() {
                    out.push(Finding::error(
                        "RFC 8216 4.3.2.4",
                        "EXT-X-KEY without a URI",
                    ));
                }
                if attribute(value, "IV").is_some() {
                    needs.push((2, "the IV attribute"));
                }
                if attribute(value, "KEYFORMAT").is_some()
                    || attribute(value, "KEYFORMATVERSIONS").is_some()
                {
                    needs.push((5, "KEYFORMAT"));
                }
            }
            "#EXT-X-MEDIA-SEQUENCE" | "#EXT-X-DISCONTINUITY-SEQUENCE" => {
                if !is_decimal(value) || value.contains('.') {
                    out.push(Finding::error(
                        "RFC 8216 4.2",
                        format!("{tag}:{value} is not a decimal-integer"),
                    ));
                }
                if seen_segment {
                    out.push(Finding::error(
                        if tag == "#EXT-X-MEDIA-SEQUENCE" {
                            "RFC 8216 4.3.3.2"
                        } else {
                            "RFC 8216 4.3.3.3"
                        },
                        format!("{tag} comes after the first segment"),
                    ));
                }
                if tag == "#EXT-X-DISCONTINUITY-SEQUENCE" && seen_discontinuity {
                    out.push(Finding::error(
                        "RFC 8216 4.3.3.3",
                        "EXT-X-DISCONTINUITY-SEQUENCE comes after an EXT-X-DISCONTINUITY",
                    ));
                }
            }
            "#EXT-X-TARGETDURATION" if !is_decimal(value) || value.contains('.') => {
                out.push(Finding::error(
                    "RFC 8216 4.3.3.1",
                    format!("EXT-X-TARGETDURATION:{value} is not a decimal-integer"),
                ));
            }
            "#EXT-X-PLAYLIST-TYPE" => match value {
                "VOD" => vod = true,
                "EVENT" => {}
                other => out.push(Finding::error(
                    "RFC 8216 4.3.3.5",
                    format!("EXT-X-PLAYLIST-TYPE {other:?} is neither EVENT nor VOD"),
                )),
            },
            "#EXT-X-ENDLIST" => ended = true,
            "#EXT-X-ALLOW-CACHE" => out.push(Finding::warning(
                "RFC 8216 7",
                "EXT-X-ALLOW-CACHE was removed in protocol version 7; clients ignore it",
            )),
            "#EXT-X-STREAM-INF" | "#EXT-X-MEDIA" | "#EXT-X-I-FRAME-STREAM-INF" => {
                out.push(Finding::error(
                    "RFC 8216 4.3.4",
                    format!("{tag} is a multivariant playlist tag, in a media playlist"),
                ));
            }
            _ => {}
        }
    }
    if count.contains_key("#EXT-X-MAP") {
        needs.push(if i_frames_only {
            (5, "EXT-X-MAP with EXT-X-I-FRAMES-ONLY")
        } else {
            (6, "EXT-X-MAP")
        });
    }
    match count.get("#EXT-X-TARGETDURATION") {
        None => out.push(Finding::error(
            "RFC 8216 4.3.3.1",
            "no EXT-X-TARGETDURATION",
        )),
        Some(&n) if n > 1 => out.push(Finding::error(
            "RFC 8216 4.3.3",
            format!("EXT-X-TARGETDURATION appears {n} times"),
        )),
        _ => {}
    }
    for tag in [
        "#EXT-X-VERSION",
        "#EXT-X-MEDIA-SEQUENCE",
        "#EXT-X-DISCONTINUITY-SEQUENCE",
        "#EXT-X-ENDLIST",
        "#EXT-X-PLAYLIST-TYPE",
        "#EXT-X-I-FRAMES-ONLY",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        "#EXT-X-START",
    ] {
        if let Some(&n) = count.get(tag).filter(|&&n| n > 1) {
            out.push(Finding::error(
                if tag == "#EXT-X-VERSION" {
                    "RFC 8216 4.3.1.2"
                } else {
                    "RFC 8216 4.3.3"
                },
                format!("{} appears {n} times", &tag[1..]),
            ));
        }
    }
    let have = version.unwrap_or(1);
    if let Some((need, what)) = needs
        .iter()
        .filter(|(n, _)| *n > have)
        .max_by_key(|(n, _)| *n)
    {
        out.push(Finding::error(
            "RFC 8216 7",
            format!("{what} needs EXT-X-VERSION {need} or more; the playlist declares {have}"),
        ));
    }
    if vod && !ended {
        out.push(Finding::error(
            "RFC 8216 6.2.1",
            "a VOD playlist holds its final segment and must end with EXT-X-ENDLIST",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        check_text(text)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.to_string())
            .collect()
    }

    const GOOD: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2.000,\na.ts\n#EXTINF:2,\nb.ts\n#EXT-X-ENDLIST\n";

    #[test]
    fn a_clean_playlist_has_no_finding() {
        assert_eq!(check_text(GOOD), vec![]);
    }

    #[test]
    fn extinf_values_the_parser_forgives_are_errors() {
        for bad in ["-5", "NaN", "1e308", "inf", "+2", "", "2.0.1", "."] {
            let text = GOOD.replace("#EXTINF:2,", &format!("#EXTINF:{bad},"));
            let e = errors(&text);
            assert!(
                e.iter().any(|m| m.contains("RFC 8216 4.3.2.1")),
                "{bad:?}: {e:?}"
            );
        }
    }

    #[test]
    fn versions_tags_and_ranges() {
        let e = errors(&GOOD.replace("#EXT-X-VERSION:3\n", ""));
        assert!(e[0].contains("needs EXT-X-VERSION 3"), "{e:?}");
        let ranged = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXT-X-BYTERANGE:100\nall.ts\n#EXT-X-ENDLIST\n";
        let e = errors(ranged);
        assert!(
            e.iter().any(|m| m.contains("needs EXT-X-VERSION 4")),
            "{e:?}"
        );
        assert!(e.iter().any(|m| m.contains("4.3.2.2")), "{e:?}");
        let ok = "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXT-X-BYTERANGE:100@0\nall.ts\n#EXTINF:2,\n#EXT-X-BYTERANGE:100\nall.ts\n#EXT-X-ENDLIST\n";
        assert_eq!(errors(ok), Vec::<String>::new());
        let e = errors(&GOOD.replace("#EXT-X-ENDLIST\n", ""));
        assert!(e[0].contains("EXT-X-ENDLIST"), "{e:?}");
        let e = errors(&format!("{GOOD}#EXT-X-TARGETDURATION:3\n"));
        assert!(e.iter().any(|m| m.contains("appears 2 times")), "{e:?}");
        let e = errors(&GOOD.replace(
            "#EXTINF:2,\nb.ts",
            "#EXTINF:2,\nb.ts\n#EXT-X-MEDIA-SEQUENCE:5",
        ));
        assert!(e.iter().any(|m| m.contains("4.3.3.2")), "{e:?}");
        let e = errors(&GOOD.replace("#EXTM3U\n", ""));
        assert!(e.iter().any(|m| m.contains("4.3.1.1")), "{e:?}");
        let map = GOOD.replace(
            "#EXT-X-MEDIA-SEQUENCE:0\n",
            "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI=\"init.mp4\"\n",
        );
        let e = errors(&map);
        assert!(
            e.iter().any(|m| m.contains("needs EXT-X-VERSION 6")),
            "{e:?}"
        );
        assert_eq!(
            errors(&map.replace("VERSION:3", "VERSION:7")),
            Vec::<String>::new()
        );
        let key = GOOD.replace(
            "#EXT-X-MEDIA-SEQUENCE:0\n",
            "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-KEY:METHOD=AES-256\n",
        );
        let e = errors(&key);
        assert!(e.iter().any(|m| m.contains("4.3.2.4")), "{e:?}");
    }

    #[test]
    fn attribute_lists() {
        let l = "METHOD=AES-128,URI=\"k,ey\",IV=0x00";
        assert_eq!(attribute(l, "METHOD"), Some("AES-128"));
        assert_eq!(attribute(l, "URI"), Some("k,ey"));
        assert_eq!(attribute(l, "IV"), Some("0x00"));
        assert_eq!(attribute(l, "X"), None);
    }
}
