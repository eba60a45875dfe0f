//! The state file in the output folder: what earlier runs converted (or could not), so a rerun
//! skips it.
//!
//! A journal of JSON lines, one appended (in one `write` on an `O_APPEND` file) after each
//! output is renamed into place. A run that is interrupted, even killed, leaves every line it
//! finished; a torn last line is ignored when read. Each run rewrites the journal compacted
//! (the last line per input and target) through a temporary file and a rename when it ends.
//! An entry counts only while the input keeps the size and modification time it had and the
//! output is still there.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::io::AtomicFile;

/// The state file's name (`.muxkit-batch.K-of-N.jsonl` for a shard, so shards sharing an output
/// folder never write the same file).
pub fn state_file_name(shard: super::Shard) -> String {
    if shard.count() == 1 {
        ".muxkit-batch.jsonl".to_owned()
    } else {
        format!(".muxkit-batch.{}-of-{}.jsonl", shard.index(), shard.count())
    }
}

/// What one run recorded about one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateEntry {
    /// The input, relative to the input folder.
    pub input: String,
    /// Its size then.
    pub size: u64,
    /// Its modification time then (ns since the epoch).
    pub mtime_ns: u64,
    /// The target format's name (`hls`, `ts`, ...).
    pub to: String,
    /// The output, relative to the output folder.
    pub output: String,
    /// `None`: converted; `Some(error)`: the input itself could not be converted.
    pub failed: Option<String>,
}

impl StateEntry {
    fn to_line(&self) -> String {
        let mut v = json!({
            "input": self.input,
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "to": self.to,
            "output": self.output,
        });
        if let (Some(e), Value::Object(m)) = (&self.failed, &mut v) {
            m.insert("failed".into(), Value::String(e.clone()));
        }
        let mut line = v.to_string();
        line.push('\n');
        line
    }

    fn from_line(line: &str) -> Option<StateEntry> {
        let v: Value = serde_json::from_str(line).ok()?;
        Some(StateEntry {
            input: v.get("input")?.as_str()?.to_owned(),
            size: v.get("size")?.as_u64()?,
            mtime_ns: v.get("mtime_ns")?.as_u64()?,
            to: v.get("to")?.as_str()?.to_owned(),
            output: v.get("output")?.as_str()?.to_owned(),
            failed: v.get("failed").and_then(Value::as_str).map(str::to_owned),
        })
    }
}

/// The state of one output folder: read at the start, appended to as files finish.
pub struct BatchState {
    path: PathBuf,
    entries: HashMap<(String, String), StateEntry>,
    /// Lines that did not parse (a torn last line after a kill).
    damaged_lines: usize,
    journal: Mutex<Option<File>>,
    /// The object the file is copied to (the state kept in a bucket), and when it last was.
    #[cfg(feature = "s3")]
    mirror: Option<crate::store::ObjectUrl>,
    #[cfg(feature = "s3")]
    pushed: Mutex<Option<std::time::Instant>>,
}

impl BatchState {
    /// Reads `path` (missing: empty). With `writable`, opens it for appending (a dry run
    /// only reads).
    pub fn open(path: &Path, writable: bool) -> Result<BatchState> {
        let err = |source| Error::File {
            path: path.to_owned(),
            source,
        };
        let mut entries = HashMap::new();
        let mut damaged_lines = 0;
        match fs::read_to_string(path) {
            Ok(text) => {
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    match StateEntry::from_line(line) {
                        Some(e) => {
                            entries.insert((e.input.clone(), e.to.clone()), e);
                        }
                        None => damaged_lines += 1,
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(e)),
        }
        let state = BatchState {
            path: path.to_owned(),
            entries,
            damaged_lines,
            journal: Mutex::new(None),
            #[cfg(feature = "s3")]
            mirror: None,
            #[cfg(feature = "s3")]
            pushed: Mutex::new(None),
        };
        if writable {
            // Start from a compacted file, so the journal only grows by this run's lines.
            state.compact()?;
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(err)?;
            *state.journal.lock().unwrap_or_else(|p| p.into_inner()) = Some(file);
        }
        Ok(state)
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lines that could not be read (ignored).
    pub fn damaged_lines(&self) -> usize {
        self.damaged_lines
    }

    /// What an earlier run recorded for `input` converted to `to`.
    pub fn get(&self, input: &str, to: &str) -> Option<&StateEntry> {
        self.entries.get(&(input.to_owned(), to.to_owned()))
    }

    /// Appends `entry` (one line, one write).
    pub fn record(&self, entry: &StateEntry) -> Result<()> {
        let line = entry.to_line();
        let mut guard = self.journal.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = guard.as_mut() {
            f.write_all(line.as_bytes()).map_err(|source| Error::File {
                path: self.path.clone(),
                source,
            })?;
            // Under the lock, so copies reach the bucket in the order the lines were written;
            // at most one every MIRROR_EVERY (the whole file each time), and at the end.
            #[cfg(feature = "s3")]
            self.push_if_due()?;
        }
        Ok(())
    }

    /// [`BatchState::push`] unless one was made less than [`MIRROR_EVERY`] ago: a killed run
    /// redoes at most that long's files.
    #[cfg(feature = "s3")]
    fn push_if_due(&self) -> Result<()> {
        let mut pushed = self.pushed.lock().unwrap_or_else(|p| p.into_inner());
        if pushed.is_some_and(|t| t.elapsed() < MIRROR_EVERY) {
            return Ok(());
        }
        self.push()?;
        *pushed = Some(std::time::Instant::now());
        Ok(())
    }

    /// Copies the local file to the state's object, when the state is kept in a bucket.
    #[cfg(feature = "s3")]
    fn push(&self) -> Result<()> {
        let Some(url) = &self.mirror else {
            return Ok(());
        };
        let bytes = fs::read(&self.path).map_err(|source| Error::File {
            path: self.path.clone(),
            source,
        })?;
        crate::store::put_bytes(url, bytes)
    }

    /// The state kept in the object `url`: copied to `path` (a local working copy), read,
    /// and with `writable`, copied back after every line recorded.
    #[cfg(feature = "s3")]
    pub fn open_mirrored(
        path: &Path,
        url: &crate::store::ObjectUrl,
        writable: bool,
    ) -> Result<BatchState> {
        match crate::store::read_small(url)? {
            Some(bytes) => {
                let mut f = AtomicFile::create(path)?;
                f.write_all(&bytes).map_err(|source| Error::File {
                    path: path.to_owned(),
                    source,
                })?;
                f.commit()?;
            }
            None => match fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::File {
                        path: path.to_owned(),
                        source: e,
                    });
                }
                _ => {}
            },
        }
        let mut state = BatchState::open(path, writable)?;
        state.mirror = Some(url.clone());
        Ok(state)
    }

    /// Rewrites the file with the entries read at the start, through a temporary file.
    fn compact(&self) -> Result<()> {
        if self.entries.is_empty() && self.damaged_lines == 0 && !self.path.exists() {
            return Ok(());
        }
        let mut sorted: Vec<&StateEntry> = self.entries.values().collect();
        sorted.sort_by(|a, b| (&a.input, &a.to).cmp(&(&b.input, &b.to)));
        let mut text = String::new();
        for e in sorted {
            text.push_str(&e.to_line());
        }
        let mut f = AtomicFile::create(&self.path)?;
        f.write_all(text.as_bytes()).map_err(|source| Error::File {
            path: self.path.clone(),
            source,
        })?;
        f.commit()
    }
}

/// How often at most the state kept in a bucket is stored during a run (it is stored at the
/// end too): each store sends the whole file.
#[cfg(feature = "s3")]
const MIRROR_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// The state of a batch: its file, or its object when kept in a bucket.
pub(super) fn open_for(options: &super::BatchOptions, writable: bool) -> Result<BatchState> {
    #[cfg(feature = "s3")]
    if let Some(url) = options.state_object() {
        return BatchState::open_mirrored(&options.state_path(), &url, writable);
    }
    BatchState::open(&options.state_path(), writable)
}

/// At the end of a run: the state compacted, and when kept in a bucket, stored there and its
/// local copy removed.
pub(super) fn finish(options: &super::BatchOptions) -> Result<()> {
    let path = options.state_path();
    compact_state_file(&path)?;
    #[cfg(feature = "s3")]
    if let Some(url) = options.state_object() {
        if let Ok(bytes) = fs::read(&path) {
            crate::store::put_bytes(&url, bytes)?;
        }
        let _ = fs::remove_file(&path);
    }
    Ok(())
}

/// Reads a finished run's state file again and rewrites it compacted (the last line per input
/// and target), so the journal does not grow across reruns.
pub fn compact_state_file(path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    BatchState::open(path, false)?.compact()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn entry(input: &str, failed: Option<&str>) -> StateEntry {
        StateEntry {
            input: input.into(),
            size: 10,
            mtime_ns: 1_700_000_000_000_000_000,
            to: "hls".into(),
            output: input.trim_end_matches(".flv").into(),
            failed: failed.map(str::to_owned),
        }
    }

    #[test]
    fn entries_survive_a_torn_line_and_compaction_keeps_the_last() {
        let dir = std::env::temp_dir().join(format!("muxkit-state-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(".muxkit-batch.jsonl");
        {
            let s = BatchState::open(&path, true).unwrap();
            s.record(&entry("a.flv", Some("no moov"))).unwrap();
            s.record(&entry("b.flv", None)).unwrap();
            s.record(&entry("a.flv", None)).unwrap();
        }
        // A run killed mid-write.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"input\":\"c.fl").unwrap();
        drop(f);
        let s = BatchState::open(&path, false).unwrap();
        assert_eq!(s.damaged_lines(), 1);
        assert_eq!(s.get("a.flv", "hls"), Some(&entry("a.flv", None)));
        assert_eq!(s.get("b.flv", "hls"), Some(&entry("b.flv", None)));
        assert!(s.get("b.flv", "ts").is_none());
        compact_state_file(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        let again = BatchState::open(&path, false).unwrap();
        assert_eq!(again.damaged_lines(), 0);
        assert_eq!(again.get("a.flv", "hls"), Some(&entry("a.flv", None)));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn shards_have_their_own_file() {
        assert_eq!(
            state_file_name(super::super::Shard::all()),
            ".muxkit-batch.jsonl"
        );
        assert_eq!(
            state_file_name("2/3".parse().unwrap()),
            ".muxkit-batch.2-of-3.jsonl"
        );
    }
}
