//! Walking the box tree: containers muxkit descends into, the whole tree for `inspect`, and
//! one track's boxes gathered from `trak`.

use super::boxes::{BoxHeader, BoxType, MAX_BOX_DEPTH, MAX_BOXES, children};
use super::error::F4vError;

/// Boxes that hold only boxes.
pub(crate) fn is_container(t: &BoxType) -> bool {
    matches!(
        &t.0,
        b"moov" | b"trak" | b"edts" | b"mdia" | b"minf" | b"dinf" | b"stbl" | b"mvex" | b"mfra"
    )
}

/// One node of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoxNode {
    /// The header.
    pub header: BoxHeader,
    /// Children of a container (empty otherwise).
    pub children: Vec<BoxNode>,
}

/// The tree of `data` (a whole file), descending into containers.
pub fn box_tree(data: &[u8]) -> Result<Vec<BoxNode>, F4vError> {
    let mut count = 0;
    walk(data, 0, data.len(), 0, &mut count)
}

fn walk(
    data: &[u8],
    start: usize,
    end: usize,
    depth: usize,
    count: &mut usize,
) -> Result<Vec<BoxNode>, F4vError> {
    if depth > MAX_BOX_DEPTH {
        return Err(F4vError::TooLarge {
            what: "box tree".into(),
            field: "depth",
            offset: start as u64,
            value: depth as u64,
            limit: MAX_BOX_DEPTH as u64,
        });
    }
    let mut nodes = Vec::new();
    for h in children(data, start, end, 0)? {
        *count += 1;
        if *count > MAX_BOXES {
            return Err(F4vError::TooLarge {
                what: "file".into(),
                field: "boxes",
                offset: h.offset,
                value: *count as u64,
                limit: MAX_BOXES as u64,
            });
        }
        let kids = if is_container(&h.box_type) {
            walk(
                data,
                h.body_start() as usize,
                h.end() as usize,
                depth + 1,
                count,
            )?
        } else {
            Vec::new()
        };
        nodes.push(BoxNode {
            header: h,
            children: kids,
        });
    }
    Ok(nodes)
}

/// Where the last top-level box of a file runs past its end (a file cut short): the offset of
/// that box. `None` when every top-level box fits (or a header cannot even be read, which
/// [`box_tree`] reports).
pub fn cut_top_level_box(data: &[u8]) -> Option<u64> {
    let len = data.len() as u64;
    let mut pos = 0u64;
    while len - pos >= 8 {
        let at = pos as usize;
        let size32 = u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
        let size = match size32 {
            0 => return None,
            1 => {
                let l = data.get(at + 8..at + 16)?;
                u64::from_be_bytes([l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]])
            }
            n => u64::from(n),
        };
        if size < 8 {
            return None;
        }
        match pos.checked_add(size) {
            Some(end) if end <= len => pos = end,
            _ => return Some(pos),
        }
    }
    None
}

/// The offset of the first top-level box of type `t`, walking headers only; `None` when
/// there is none or the walk meets a box it cannot size (which [`box_tree`] then reports).
pub fn first_top_level(data: &[u8], t: &[u8; 4]) -> Option<u64> {
    let len = data.len() as u64;
    let mut pos = 0u64;
    while len - pos >= 8 {
        let at = pos as usize;
        let size32 = u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
        if &data[at + 4..at + 8] == t {
            return Some(pos);
        }
        let size = match size32 {
            0 => return None,
            1 => {
                let l = data.get(at + 8..at + 16)?;
                u64::from_be_bytes([l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]])
            }
            n => u64::from(n),
        };
        if size < 8 {
            return None;
        }
        pos = pos.checked_add(size).filter(|&e| e <= len)?;
    }
    None
}

impl BoxNode {
    /// The first child of type `t`.
    pub fn child(&self, t: &[u8; 4]) -> Option<&BoxNode> {
        self.children.iter().find(|c| &c.header.box_type.0 == t)
    }

    /// The body bytes in `data`.
    pub fn body<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        &data[self.header.body_start() as usize..self.header.end() as usize]
    }

    /// The descendant at `path` (`[b"mdia", b"minf", b"stbl"]`).
    pub fn find(&self, path: &[&[u8; 4]]) -> Option<&BoxNode> {
        path.iter().try_fold(self, |n, t| n.child(t))
    }
}
