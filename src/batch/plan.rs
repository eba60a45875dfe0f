//! What to do with each file of the tree, and where its output goes.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use crate::error::Result;
use crate::probe::InputFormat;

use super::state::BatchState;
use super::walk::{WalkOptions, WalkSkip, WalkedFile, walk};
use super::{BatchOptions, BatchTarget};

/// Why a file is left alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// Its bytes match no format muxkit reads (a text file, an image, ...).
    NotMedia,
    /// An HLS playlist: its segments are in the tree as files of their own.
    Playlist,
    /// The state file records it as converted, with the same size and modification time, and
    /// the output is still there.
    UpToDate,
    /// The state file records that it failed, with the same size and modification time: the
    /// same bytes would fail the same way (`--retry-failed` tries again). The old error.
    FailedBefore(String),
    /// A symbolic link, not followed without `--follow-symlinks`.
    Symlink,
    /// Its output exists and the batch was told never to replace one (`-n`).
    OutputExists,
}

impl SkipReason {
    /// A short phrase for reports and listings.
    pub fn describe(&self) -> String {
        match self {
            SkipReason::NotMedia => "not a media file".into(),
            SkipReason::Playlist => "an HLS playlist".into(),
            SkipReason::UpToDate => "already converted".into(),
            SkipReason::FailedBefore(e) => format!("failed before (--retry-failed to retry): {e}"),
            SkipReason::Symlink => "a symbolic link (--follow-symlinks to follow)".into(),
            SkipReason::OutputExists => "the output exists (-n)".into(),
        }
    }
}

/// What happens to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemAction {
    /// Convert it.
    Convert,
    /// Leave it.
    Skip(SkipReason),
    /// It cannot be converted as asked (two inputs would write one output, an unreadable
    /// entry): fails without a conversion.
    Fail(String),
}

/// One file of the tree and its fate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchItem {
    /// The input's path.
    pub input: PathBuf,
    /// Relative to the input folder, `/`-separated.
    pub rel: String,
    /// The output's path (a folder for HLS).
    pub output: PathBuf,
    /// Relative to the output folder.
    pub output_rel: String,
    /// Input size in bytes.
    pub size: u64,
    /// Input modification time (ns since the epoch).
    pub mtime_ns: u64,
    /// The format its bytes show, when it is one muxkit reads.
    pub format: Option<InputFormat>,
    /// What happens to it.
    pub action: ItemAction,
}

pub(super) struct Planned {
    pub items: Vec<BatchItem>,
    pub walk_skips: usize,
    pub damaged_state_lines: usize,
}

/// The first bytes of `path`, enough to recognise its format.
fn head(path: &std::path::Path) -> std::result::Result<Vec<u8>, String> {
    let mut head = Vec::with_capacity(InputFormat::PROBE_LEN);
    File::open(path)
        .and_then(|f| f.take(InputFormat::PROBE_LEN as u64).read_to_end(&mut head))
        .map_err(|e| e.to_string())?;
    Ok(head)
}

/// Where the tree and the outputs are: folders, or object prefixes (whose outputs present
/// are listed once, up front).
struct Sources {
    #[cfg(feature = "s3")]
    input: Option<crate::store::ObjectUrl>,
    #[cfg(feature = "s3")]
    output: Option<(crate::store::ObjectUrl, std::collections::BTreeSet<String>)>,
}

impl Sources {
    fn new(options: &BatchOptions) -> Result<Sources> {
        #[cfg(feature = "s3")]
        {
            let output = match &options.objects.output {
                Some(url) => Some((url.clone(), super::remote::existing_outputs(url)?)),
                None => None,
            };
            Ok(Sources {
                input: options.objects.input.clone(),
                output,
            })
        }
        #[cfg(not(feature = "s3"))]
        {
            let _ = options;
            Ok(Sources {})
        }
    }

    fn walk(&self, options: &BatchOptions) -> Result<super::walk::Walk> {
        #[cfg(feature = "s3")]
        if let Some(input) = &self.input {
            return super::remote::walk_objects(input, self.output.as_ref().map(|(o, _)| o));
        }
        walk(
            &options.input_dir,
            &WalkOptions {
                follow_symlinks: options.follow_symlinks,
                skip_dir: Some(options.output_dir.clone()),
            },
        )
    }

    fn heads(&self, files: &[WalkedFile]) -> Vec<std::result::Result<Vec<u8>, String>> {
        #[cfg(feature = "s3")]
        if let Some(input) = &self.input {
            return super::remote::heads(input, files, InputFormat::PROBE_LEN as u64)
                .into_iter()
                .map(|r| r.map_err(|e| e.to_string()))
                .collect();
        }
        files.iter().map(|f| head(&f.path)).collect()
    }

    fn output_path(&self, options: &BatchOptions, output_rel: &str) -> PathBuf {
        #[cfg(feature = "s3")]
        if let Some((url, _)) = &self.output {
            return PathBuf::from(url.join(output_rel).to_string());
        }
        options.output_dir.join(output_rel)
    }

    /// Whether `item`'s output is there; `complete` asks for a whole one (an HLS folder's
    /// playlist), otherwise anything under its name counts.
    fn output_exists(&self, item: &BatchItem, target: BatchTarget, complete: bool) -> bool {
        #[cfg(feature = "s3")]
        if let Some((_, existing)) = &self.output {
            return super::remote::output_listed(existing, &item.output_rel, target.is_folder())
                || (!complete && super::remote::anything_under(existing, &item.output_rel));
        }
        if complete {
            if target.is_folder() {
                item.output.join("index.m3u8").is_file()
            } else {
                item.output.is_file()
            }
        } else {
            std::fs::symlink_metadata(&item.output).is_ok()
        }
    }
}

pub(super) fn plan(options: &BatchOptions) -> Result<Planned> {
    let target = options.target;
    let sources = Sources::new(options)?;
    let found = sources.walk(options)?;
    let selected = |rel: &str| {
        (options.include.is_empty() || options.include.iter().any(|g| g.matches(rel)))
            && !options.exclude.iter().any(|g| g.matches(rel))
            && options.shard.contains(rel)
    };
    let state = super::state::open_for(options, false)?;
    let mut items = Vec::new();
    let files: Vec<WalkedFile> = found
        .files
        .into_iter()
        .filter(|f| selected(&f.rel))
        .collect();
    let heads = sources.heads(&files);
    for (f, head) in files.into_iter().zip(heads) {
        let output_rel = target.output_rel(&f.rel);
        let output = sources.output_path(options, &output_rel);
        let (format, action) = match head {
            Err(e) => (None, ItemAction::Fail(format!("cannot read: {e}"))),
            Ok(h) => match InputFormat::detect(&h) {
                None => (None, ItemAction::Skip(SkipReason::NotMedia)),
                Some(InputFormat::HlsPlaylist) => (
                    Some(InputFormat::HlsPlaylist),
                    ItemAction::Skip(SkipReason::Playlist),
                ),
                Some(fmt) => (Some(fmt), ItemAction::Convert),
            },
        };
        let mut item = BatchItem {
            input: f.path,
            rel: f.rel,
            output,
            output_rel,
            size: f.size,
            mtime_ns: f.mtime_ns,
            format,
            action,
        };
        if item.action == ItemAction::Convert && !options.force {
            item.action = against_state(&item, &state, target, options.retry_failed, &sources);
        }
        if item.action == ItemAction::Convert
            && options.keep_existing
            && sources.output_exists(&item, target, false)
        {
            item.action = ItemAction::Skip(SkipReason::OutputExists);
        }
        items.push(item);
    }
    let mut walk_skips = 0;
    for skip in found.skipped {
        walk_skips += 1;
        let (rel, action) = match skip {
            WalkSkip::Symlink(rel) => (rel, ItemAction::Skip(SkipReason::Symlink)),
            WalkSkip::Unreadable(rel, e) => (rel, ItemAction::Fail(format!("cannot read: {e}"))),
        };
        if !selected(&rel) {
            continue;
        }
        items.push(BatchItem {
            input: options.input_dir.join(&rel),
            output_rel: target.output_rel(&rel),
            output: options.output_dir.join(target.output_rel(&rel)),
            rel,
            size: 0,
            mtime_ns: 0,
            format: None,
            action,
        });
    }
    items.sort_by(|a, b| a.rel.cmp(&b.rel));
    refuse_shared_outputs(&mut items, target);
    Ok(Planned {
        items,
        walk_skips,
        damaged_state_lines: state.damaged_lines(),
    })
}

/// Converted before with these bytes, and the output is still there: skip. Failed before with
/// these bytes: skip unless asked to retry.
fn against_state(
    item: &BatchItem,
    state: &BatchState,
    target: BatchTarget,
    retry_failed: bool,
    sources: &Sources,
) -> ItemAction {
    let Some(e) = state.get(&item.rel, target.name()) else {
        return ItemAction::Convert;
    };
    if e.size != item.size || e.mtime_ns != item.mtime_ns || e.output != item.output_rel {
        return ItemAction::Convert;
    }
    match &e.failed {
        None => {
            if sources.output_exists(item, target, true) {
                ItemAction::Skip(SkipReason::UpToDate)
            } else {
                ItemAction::Convert
            }
        }
        Some(err) if !retry_failed => ItemAction::Skip(SkipReason::FailedBefore(err.clone())),
        Some(_) => ItemAction::Convert,
    }
}

/// Two inputs writing one output (`a.flv` and `a.ts` to `a.mp4`), or an HLS folder that is
/// also a folder of the mirrored tree: the later input (in path order) fails, named, instead
/// of silently replacing the other's output.
fn refuse_shared_outputs(items: &mut [BatchItem], target: BatchTarget) {
    let writes = |i: &BatchItem| {
        matches!(
            i.action,
            ItemAction::Convert
                | ItemAction::Skip(SkipReason::UpToDate)
                | ItemAction::Skip(SkipReason::FailedBefore(_))
        )
    };
    let mut owner: HashMap<String, String> = HashMap::new();
    let mut folders: HashSet<String> = HashSet::new();
    for item in items.iter().filter(|i| writes(i)) {
        let mut at = item.output_rel.as_str();
        while let Some((parent, _)) = at.rsplit_once('/') {
            folders.insert(parent.to_owned());
            at = parent;
        }
    }
    for item in items.iter_mut().filter(|i| writes(i)) {
        if let Some(first) = owner.get(&item.output_rel) {
            item.action = ItemAction::Fail(format!(
                "its output {} is also the output of {first} (use --exclude to pick one)",
                item.output_rel
            ));
            continue;
        }
        if target.is_folder() && folders.contains(&item.output_rel) {
            item.action = ItemAction::Fail(format!(
                "its HLS folder {} is also a folder of the tree (rename the file or the folder)",
                item.output_rel
            ));
            continue;
        }
        owner.insert(item.output_rel.clone(), item.rel.clone());
    }
}
