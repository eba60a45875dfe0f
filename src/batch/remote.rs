//! A batch over object storage: the tree listed from a prefix, each input's first bytes read
//! with ranged GETs (many at once), the outputs already there found in one listing, and the
//! state file kept in the bucket so a shard retried on another machine resumes.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::error::Result;
use crate::store::{ObjectInput, ObjectUrl, list, read_heads};

use super::walk::{Walk, WalkedFile};

/// Object storage in place of the local folders of [`super::BatchOptions`]; each one that is
/// set replaces its folder (which then only names it in reports).
#[derive(Clone, Debug, Default)]
pub struct BatchObjects {
    /// Read the tree under this prefix instead of `input_dir`.
    pub input: Option<ObjectUrl>,
    /// Write the outputs under this prefix instead of `output_dir`.
    pub output: Option<ObjectUrl>,
    /// Keep the state file in this object (default: in the output prefix, when that is in
    /// object storage).
    pub state: Option<ObjectUrl>,
}

/// The objects under `input`, as a walk: keys relative to the prefix, sizes, and the last
/// write time standing for a file's modification time. Keys under `output` (an output prefix
/// inside the input one) are left out, as the local walk leaves out the output folder.
pub(super) fn walk_objects(input: &ObjectUrl, output: Option<&ObjectUrl>) -> Result<Walk> {
    let input_text = format!("{input}/");
    if output.is_some_and(|o| o.to_string() == input.to_string()) {
        return Err(crate::error::Error::Usage(format!(
            "{input} is both the tree to read and where its outputs go: give the outputs a prefix of their own"
        )));
    }
    let skip = output
        .map(|o| format!("{o}/"))
        .and_then(|o| o.strip_prefix(&input_text).map(str::to_owned));
    let mut walk = Walk::default();
    for o in list(input)? {
        if skip.as_deref().is_some_and(|s| o.rel.starts_with(s)) {
            continue;
        }
        walk.files.push(WalkedFile {
            path: PathBuf::from(input.join(&o.rel).to_string()),
            rel: o.rel,
            size: o.size,
            mtime_ns: o.modified_ns,
        });
    }
    Ok(walk)
}

/// The first `n` bytes of each input, in order (an error for one that could not be read).
pub(super) fn heads(input: &ObjectUrl, files: &[WalkedFile], n: u64) -> Vec<Result<Vec<u8>>> {
    let objects: Vec<ObjectInput> = files
        .iter()
        .map(|f| ObjectInput {
            url: input.join(&f.rel),
            len: f.size,
            e_tag: None,
        })
        .collect();
    read_heads(&objects, n)
        .into_iter()
        .map(|r| r.map(|b| b.to_vec()))
        .collect()
}

/// Every key under the output prefix, relative to it: what [`super::plan`] asks of each
/// output ("is it there?") answered by one listing instead of a request per file.
pub(super) fn existing_outputs(output: &ObjectUrl) -> Result<BTreeSet<String>> {
    Ok(list(output)?.into_iter().map(|o| o.rel).collect())
}

/// Whether the output `rel` is in `existing`: the object, or an HLS folder's playlist.
pub(super) fn output_listed(existing: &BTreeSet<String>, rel: &str, folder: bool) -> bool {
    if folder {
        existing.contains(&format!("{rel}/index.m3u8"))
    } else {
        existing.contains(rel)
    }
}

/// Whether anything is listed under `rel/` (an output folder with any object in it).
pub(super) fn anything_under(existing: &BTreeSet<String>, rel: &str) -> bool {
    let start = format!("{rel}/");
    existing
        .range(start.clone()..)
        .next()
        .is_some_and(|k| k.starts_with(&start))
}
