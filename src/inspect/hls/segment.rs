//! The HLS lint's look at each segment: where it is (never outside the playlist's folder,
//! never a FIFO or a device), what it holds (whole TS packets with PAT and PMT and media, or
//! movie fragments after an init section), read within a bounded number of bytes.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use crate::io::InputSource;
use crate::media::{Demuxer, MediaKind};
use crate::mp4::tree::box_tree;
use crate::ts::demux::{TsDemuxer, TsReadOptions};
use crate::ts::{TS_PACKET_SIZE, TsPacket};

use super::rules::Finding;

/// Bytes of one segment read to check it: real segments are a few MB; a hostile "segment"
/// (`/dev/zero` behind a name, a multi-GB file) costs at most this. A whole number of TS
/// packets, so a long segment's first part still ends on a packet boundary.
pub const MAX_CHECKED_SEGMENT_BYTES: u64 = 188 * 356_962;

/// Where a segment (or init section) lies: a file, and optionally a byte range of it.
#[derive(Clone, Debug)]
pub(crate) struct Resource {
    pub path: PathBuf,
    /// (offset, length).
    pub range: Option<(u64, u64)>,
}

/// The file `uri` names, relative to `dir`: only a relative path that stays inside `dir` is
/// opened (a playlist is not a licence to read `/etc/passwd` or `../../secret`).
pub(crate) fn resolve(dir: &Path, uri: &str) -> Result<PathBuf, Finding> {
    if uri.contains("://") {
        return Err(Finding::warning(
            "muxkit",
            format!("{uri}: a remote uri, not fetched"),
        ));
    }
    let rel = Path::new(uri);
    let escapes = rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    if escapes {
        return Err(Finding::warning(
            "muxkit",
            format!("{uri}: outside the playlist's folder, not opened"),
        ));
    }
    Ok(dir.join(rel))
}

/// The bytes of `r` (at most [`MAX_CHECKED_SEGMENT_BYTES`]) and the size of the whole file;
/// only a regular file is opened, so a FIFO cannot block and a device cannot stream forever.
pub(crate) fn read(r: &Resource) -> Result<(Vec<u8>, u64), Finding> {
    let rule = "RFC 8216 3";
    let meta = std::fs::metadata(&r.path)
        .map_err(|e| Finding::error(rule, format!("cannot read {}: {e}", r.path.display())))?;
    if !meta.is_file() {
        return Err(Finding::error(
            rule,
            format!("{} is not a regular file, not opened", r.path.display()),
        ));
    }
    let size = meta.len();
    let (offset, len) = r.range.unwrap_or((0, size));
    if offset.checked_add(len).is_none_or(|end| end > size) {
        return Err(Finding::error(
            "RFC 8216 4.3.2.2",
            format!(
                "byte range {len}@{offset} runs past the end of {} ({size} bytes)",
                r.path.display()
            ),
        ));
    }
    let io =
        |e: std::io::Error| Finding::error(rule, format!("cannot read {}: {e}", r.path.display()));
    let mut f = std::fs::File::open(&r.path).map_err(io)?;
    f.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut data = Vec::new();
    f.take(len.min(MAX_CHECKED_SEGMENT_BYTES))
        .read_to_end(&mut data)
        .map_err(io)?;
    Ok((data, size))
}

/// Decrypts an AES-128 segment with its key (a local file the playlist names) and IV (given,
/// or the media sequence number, RFC 8216 §5.2); a key that cannot be read, or another
/// METHOD, leaves the content unchecked and says so.
pub(crate) fn decrypt(
    dir: &Path,
    key: &super::listing::ListedKey,
    sequence: u64,
    data: &mut Vec<u8>,
    whole: bool,
) -> Result<(), Finding> {
    use crate::hls::keys::{decrypt_segment, sequence_iv};
    if key.method != "AES-128" {
        return Err(Finding::warning(
            "muxkit",
            format!("encrypted with METHOD={}: content not checked", key.method),
        ));
    }
    let uri = key.uri.as_deref().unwrap_or("");
    let path = resolve(dir, uri)?;
    let bytes = std::fs::read(&path).map_err(|e| {
        Finding::warning(
            "muxkit",
            format!("key {uri}: cannot read it ({e}): content not checked"),
        )
    })?;
    let k: [u8; 16] = bytes.as_slice().try_into().map_err(|_| {
        Finding::error(
            "RFC 8216 5.2",
            format!("key {uri}: {} bytes, an AES-128 key is 16", bytes.len()),
        )
    })?;
    let iv = match &key.iv {
        Some(text) => {
            let hex = text.trim_start_matches("0x").trim_start_matches("0X");
            let v = u128::from_str_radix(hex, 16).map_err(|_| {
                Finding::error(
                    "RFC 8216 4.3.2.4",
                    format!("IV {text} is not a 128-bit hex number"),
                )
            })?;
            v.to_be_bytes()
        }
        None => sequence_iv(sequence),
    };
    decrypt_segment(&k, &iv, data, whole)
        .map_err(|e| Finding::error("RFC 8216 4.3.2.4", format!("AES-128: {e}")))
}

/// A TS segment: whole packets, a PAT and a PMT (at the start, as RFC 8216 §3.2 would have
/// it), media in it, and with `independent` a keyframe first.
/// `len` is the segment's whole size (`data` may be its first [`MAX_CHECKED_SEGMENT_BYTES`]).
pub(crate) fn check_ts(data: Vec<u8>, len: u64, independent: bool, out: &mut Vec<Finding>) {
    if len % TS_PACKET_SIZE as u64 != 0 {
        out.push(Finding::error(
            "ISO/IEC 13818-1 2.4.3",
            format!("{len} bytes is not a whole number of 188-byte packets"),
        ));
    }
    let pid = |i: usize| {
        let bytes: &[u8; TS_PACKET_SIZE] = data
            .get(i * TS_PACKET_SIZE..(i + 1) * TS_PACKET_SIZE)?
            .try_into()
            .ok()?;
        TsPacket::parse(bytes).ok().map(|p| p.header.pid.value())
    };
    let (first, second) = (pid(0), pid(1));
    let mut d = match TsDemuxer::new(
        InputSource::from_bytes(data.into()),
        TsReadOptions::default(),
    ) {
        Ok(d) => d,
        Err(e) => {
            out.push(Finding::error(
                "RFC 8216 3.2",
                format!("not readable as mpeg-ts: {e}"),
            ));
            return;
        }
    };
    let mut media = 0u64;
    let mut first_video_checked = false;
    loop {
        match d.next_packet() {
            Ok(Some(p)) => {
                media += 1;
                if !first_video_checked && d.tracks()[p.track as usize].kind == MediaKind::Video {
                    first_video_checked = true;
                    if !p.flags.keyframe && independent {
                        out.push(Finding::error(
                            "RFC 8216 4.3.5.1",
                            "the first video frame is not a keyframe, yet the playlist claims EXT-X-INDEPENDENT-SEGMENTS",
                        ));
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                out.push(Finding::error("ISO/IEC 13818-1", format!("damaged: {e}")));
                break;
            }
        }
    }
    let Some(pat) = d.pat() else {
        out.push(Finding::error("RFC 8216 3.2", "no PAT"));
        return;
    };
    let pmt_pids: Vec<u16> = pat.programs.iter().map(|(_, pid)| pid.value()).collect();
    if d.pmt().is_none() {
        out.push(Finding::error("RFC 8216 3.2", "no PMT"));
    } else if first != Some(0) || !second.is_some_and(|p| pmt_pids.contains(&p)) {
        out.push(Finding::warning(
            "RFC 8216 3.2",
            "does not start with a PAT followed by the PMT",
        ));
    }
    if media == 0 {
        out.push(Finding::error(
            "RFC 8216 3",
            "holds no media (no audio or video frame)",
        ));
    }
}

/// An fMP4 segment: boxes that parse, and a movie fragment (`moof` + `mdat`) in them.
pub(crate) fn check_fmp4(data: &[u8], out: &mut Vec<Finding>) {
    match box_tree(data) {
        Err(e) => out.push(Finding::error(
            "RFC 8216 3.3",
            format!("not readable as mp4: {e}"),
        )),
        Ok(tree) => {
            let has = |t: &[u8; 4]| tree.iter().any(|n| &n.header.box_type.0 == t);
            if !has(b"moof") || !has(b"mdat") {
                out.push(Finding::error(
                    "RFC 8216 3.3",
                    "holds no movie fragment (moof and mdat)",
                ));
            }
        }
    }
}

/// An fMP4 init section: boxes that parse, with a `moov`.
pub(crate) fn check_init(data: &[u8], out: &mut Vec<Finding>) {
    match box_tree(data) {
        Err(e) => out.push(Finding::error(
            "RFC 8216 3.3",
            format!("the init section (EXT-X-MAP) is not readable as mp4: {e}"),
        )),
        Ok(tree) => {
            if !tree.iter().any(|n| &n.header.box_type.0 == b"moov") {
                out.push(Finding::error(
                    "RFC 8216 3.3",
                    "the init section (EXT-X-MAP) has no moov",
                ));
            }
        }
    }
}
