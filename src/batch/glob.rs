//! Shell-style globs over relative paths, for `batch --include` and `--exclude`.
//!
//! The rules are gitignore's, which batch users already know: `*` and `?` stay inside one path
//! segment, `**` crosses segments (`**/` is zero or more whole folders), `[abc]`, `[a-z]` and
//! `[!abc]` are character classes, `\` escapes the next character. A pattern without a `/` is
//! matched against the file name alone (`*.flv` picks FLVs at any depth); one with a `/` against
//! the whole path relative to the input folder (`live/**/*.flv`).

use std::fmt;

/// A pattern that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("glob {pattern:?}: {reason}")]
pub struct GlobError {
    /// The pattern as given.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`: one character other than `/`.
    AnyChar,
    /// `*`: any run of characters other than `/`.
    Star,
    /// `**` not followed by `/`: any run of characters.
    DoubleStar,
    /// `**/`: zero or more whole segments (empty, or anything ending in `/`).
    AnyFolders,
    /// `[...]`: one character other than `/` in (or, negated, not in) the ranges.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A compiled glob.
#[derive(Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: String,
    tokens: Vec<Token>,
    /// The pattern has a `/`: match the whole relative path, not just the file name.
    whole_path: bool,
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.pattern)
    }
}

impl Glob {
    /// Compiles `pattern`; an empty pattern or an unclosed `[` is an error.
    pub fn new(pattern: &str) -> Result<Glob, GlobError> {
        let err = |reason| GlobError {
            pattern: pattern.to_owned(),
            reason,
        };
        if pattern.is_empty() {
            return Err(err("empty pattern"));
        }
        // A leading "/" anchors at the input folder, as in gitignore; paths are relative anyway.
        let body = pattern.strip_prefix('/').unwrap_or(pattern);
        let chars: Vec<char> = body.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '\\' => {
                    let c = *chars
                        .get(i + 1)
                        .ok_or_else(|| err("ends with a lone backslash"))?;
                    tokens.push(Token::Literal(c));
                    i += 2;
                }
                '?' => {
                    tokens.push(Token::AnyChar);
                    i += 1;
                }
                '*' if chars.get(i + 1) == Some(&'*') => {
                    if chars.get(i + 2) == Some(&'/') {
                        tokens.push(Token::AnyFolders);
                        i += 3;
                    } else {
                        tokens.push(Token::DoubleStar);
                        i += 2;
                    }
                }
                '*' => {
                    tokens.push(Token::Star);
                    i += 1;
                }
                '[' => {
                    let (token, next) = class(&chars, i).ok_or_else(|| err("unclosed '['"))?;
                    tokens.push(token);
                    i = next;
                }
                c => {
                    tokens.push(Token::Literal(c));
                    i += 1;
                }
            }
        }
        Ok(Glob {
            pattern: pattern.to_owned(),
            whole_path: pattern.contains('/'),
            tokens,
        })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether `rel` (a relative path with `/` separators) matches.
    pub fn matches(&self, rel: &str) -> bool {
        let subject = if self.whole_path {
            rel
        } else {
            rel.rsplit('/').next().unwrap_or(rel)
        };
        let text: Vec<char> = subject.chars().collect();
        matches_tokens(&self.tokens, &text)
    }
}

/// Parses the class starting at `chars[start] == '['`; returns it and the index after `]`.
fn class(chars: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start + 1;
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        // A ']' right after the opening (or the negation) is a member, as in shells.
        if c == ']' && !first {
            return Some((Token::Class { negated, ranges }, i + 1));
        }
        first = false;
        let lo = if c == '\\' {
            i += 1;
            *chars.get(i)?
        } else {
            c
        };
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|&h| h != ']') {
            let hi = chars[i + 2];
            ranges.push((lo.min(hi), lo.max(hi)));
            i += 3;
        } else {
            ranges.push((lo, lo));
            i += 1;
        }
    }
}

/// Dynamic programming over (token, character) positions: no backtracking blow-up whatever
/// the pattern (`*a*a*a*b` against a long name stays linear in tokens x characters).
fn matches_tokens(tokens: &[Token], text: &[char]) -> bool {
    let n = text.len();
    // can[j]: tokens[..t] can match text[..j].
    let mut can = vec![false; n + 1];
    can[0] = true;
    for token in tokens {
        let mut next = vec![false; n + 1];
        for j in 0..=n {
            if !can[j] {
                continue;
            }
            match token {
                Token::Literal(c) => {
                    if text.get(j) == Some(c) {
                        next[j + 1] = true;
                    }
                }
                Token::AnyChar => {
                    if text.get(j).is_some_and(|&c| c != '/') {
                        next[j + 1] = true;
                    }
                }
                Token::Class { negated, ranges } => {
                    if let Some(&c) = text.get(j) {
                        let inside = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                        if c != '/' && inside != *negated {
                            next[j + 1] = true;
                        }
                    }
                }
                Token::Star => {
                    next[j] = true;
                    let mut k = j;
                    while k < n && text[k] != '/' {
                        k += 1;
                        next[k] = true;
                    }
                }
                Token::DoubleStar => {
                    for slot in &mut next[j..] {
                        *slot = true;
                    }
                }
                Token::AnyFolders => {
                    next[j] = true;
                    for k in j..n {
                        if text[k] == '/' {
                            next[k + 1] = true;
                        }
                    }
                }
            }
        }
        can = next;
    }
    can[n]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn m(p: &str, path: &str) -> bool {
        Glob::new(p).unwrap().matches(path)
    }

    #[test]
    fn names_without_a_slash_match_at_any_depth() {
        assert!(m("*.flv", "a.flv"));
        assert!(m("*.flv", "x/y/a.flv"));
        assert!(!m("*.flv", "x/a.flv.part"));
        assert!(m("a?.ts", "d/a1.ts"));
        assert!(!m("a?.ts", "d/a12.ts"));
        assert!(m("[ab]*.mp3", "z/b-side.mp3"));
        assert!(!m("[!ab]*.mp3", "z/b-side.mp3"));
        assert!(m("[a-c]x", "bx"));
        assert!(m("[]]", "]"));
        assert!(m("\\*.flv", "*.flv"));
        assert!(!m("\\*.flv", "a.flv"));
    }

    #[test]
    fn paths_with_a_slash_match_the_whole_relative_path() {
        assert!(m("live/*.flv", "live/a.flv"));
        assert!(!m("live/*.flv", "live/x/a.flv"));
        assert!(!m("live/*.flv", "old/live/a.flv"));
        assert!(m("/live/*.flv", "live/a.flv"));
        assert!(m("live/**/*.flv", "live/a.flv"));
        assert!(m("live/**/*.flv", "live/x/y/a.flv"));
        assert!(m("**/tmp/*", "tmp/a"));
        assert!(m("**/tmp/*", "a/b/tmp/c"));
        assert!(m("tmp/**", "tmp/a/b/c.flv"));
        assert!(!m("tmp/**", "tmpx/a"));
        assert!(m("a/**b", "a/x/yb"));
        assert!(!m("a/*b", "a/x/b"));
        // No '/' in the pattern: the file name alone, so "**" cannot reach into folders.
        assert!(m("a**b", "d/ab"));
        assert!(!m("a**b", "a/b"));
        assert!(!m("?", "/"));
    }

    #[test]
    fn bad_patterns_are_errors_and_hard_ones_stay_fast() {
        assert!(Glob::new("").is_err());
        assert_eq!(Glob::new("[abc").unwrap_err().reason, "unclosed '['");
        assert!(Glob::new("abc\\").is_err());
        let long = "a".repeat(5000);
        let t = std::time::Instant::now();
        assert!(!m("*a*a*a*a*a*a*a*a*a*a*b", &long));
        assert!(m("**a**a**a**a**", &long));
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
    }
}
