//! A map keyed by 13-bit PID with an O(1) array lookup, for state the demuxer consults on every
//! transport packet (continuity counters, PES slots).
//!
//! A `HashMap<u16, _>` costs a SipHash per lookup, several per packet; a PID is at most 0x1FFF,
//! so a 16 KiB index array answers with one load instead.

use crate::ts::packet::Pid;

/// Marks an index slot with no entry.
const NONE: u16 = u16::MAX;

/// Entries keyed by PID, stored densely in insertion order (removal swaps the last entry in).
#[derive(Debug)]
pub(crate) struct PidMap<T> {
    index: Box<[u16]>,
    entries: Vec<(u16, T)>,
}

impl<T> Default for PidMap<T> {
    fn default() -> Self {
        PidMap {
            index: vec![NONE; usize::from(Pid::MAX) + 1].into_boxed_slice(),
            entries: Vec::new(),
        }
    }
}

impl<T> PidMap<T> {
    fn slot(&self, pid: u16) -> Option<usize> {
        match self.index.get(usize::from(pid)) {
            Some(&i) if i != NONE => Some(usize::from(i)),
            _ => None,
        }
    }

    pub(crate) fn get(&self, pid: u16) -> Option<&T> {
        self.slot(pid).map(|i| &self.entries[i].1)
    }

    pub(crate) fn get_mut(&mut self, pid: u16) -> Option<&mut T> {
        self.slot(pid).map(|i| &mut self.entries[i].1)
    }

    pub(crate) fn contains_key(&self, pid: u16) -> bool {
        self.slot(pid).is_some()
    }

    /// Inserts or replaces; PIDs above 0x1FFF are ignored (no transport packet carries one).
    pub(crate) fn insert(&mut self, pid: u16, value: T) {
        if let Some(i) = self.slot(pid) {
            self.entries[i].1 = value;
            return;
        }
        let Some(cell) = self.index.get_mut(usize::from(pid)) else {
            return;
        };
        // At most 8192 entries, one per PID, so the position fits below NONE.
        *cell = self.entries.len() as u16;
        self.entries.push((pid, value));
    }

    pub(crate) fn remove(&mut self, pid: u16) -> Option<T> {
        let i = self.slot(pid)?;
        self.index[usize::from(pid)] = NONE;
        let (_, value) = self.entries.swap_remove(i);
        if let Some(&(moved, _)) = self.entries.get(i) {
            self.index[usize::from(moved)] = i as u16;
        }
        Some(value)
    }

    /// Every (pid, entry), in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u16, &T)> {
        self.entries.iter().map(|(pid, v)| (*pid, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_remove_keep_the_index_consistent() {
        let mut m = PidMap::default();
        for pid in [0x100u16, 0x101, 0x1FFF, 0] {
            m.insert(pid, u32::from(pid));
        }
        m.insert(0x2000, 7); // not a PID: ignored
        assert_eq!(m.get(0x2000), None);
        assert_eq!(m.get(0x101), Some(&0x101));
        m.insert(0x101, 5);
        assert_eq!(m.get(0x101), Some(&5));
        assert_eq!(m.remove(0x100), Some(0x100));
        assert!(!m.contains_key(0x100));
        // The entry swapped into the hole is still found.
        for pid in [0x101u16, 0x1FFF, 0] {
            assert!(m.contains_key(pid), "{pid:#x}");
        }
        *m.get_mut(0).unwrap() += 1;
        assert_eq!(m.get(0), Some(&1));
        let mut all: Vec<_> = m.iter().map(|(p, v)| (p, *v)).collect();
        all.sort();
        assert_eq!(all, [(0, 1), (0x101, 5), (0x1FFF, 0x1FFF)]);
        assert_eq!(m.remove(0x100), None);
    }
}
