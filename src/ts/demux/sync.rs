//! Finding packet boundaries in a byte stream: the sync byte, 188- or 192-byte packets, and
//! resynchronisation after garbage or a lost sync byte.

use bytes::{Buf, Bytes, BytesMut};

use crate::ts::{M2TS_PACKET_SIZE, SYNC_BYTE, TS_PACKET_SIZE};

/// How many sync bytes at packet spacing make a packet boundary believable. One `0x47` is
/// common in any data (1 byte in 256); three at the same spacing happen by chance about once
/// in 16 million positions, and waiting for three costs two packets of look-ahead.
pub const SYNC_RUN: usize = 3;

/// Bytes of junk tolerated before the first packet boundary is found. A transport stream
/// starts with a packet; a capture may start mid-packet or behind a small header, but a file
/// with no sync run in its first megabyte is not a transport stream, and scanning on would read
/// a whole non-TS file for nothing.
pub const MAX_INITIAL_GARBAGE: u64 = 1024 * 1024;

/// Most packets in one [`SyncItem::Packets`]: bounds what a parser does (and queues) per step
/// to about 96 KiB of input however much was pushed at once.
pub(crate) const MAX_BATCH: usize = 512;

/// What [`Packetizer::next`] found.
#[derive(Debug)]
pub(crate) enum SyncItem {
    /// Whole packets, each with its sync byte where it belongs: `data` is a whole number of
    /// [`Packetizer::packet_size`] packets (at most [`MAX_BATCH`]), starting at input offset
    /// `offset`. Handing them out together, as one zero-copy view, keeps the per-packet work
    /// to the parsing itself.
    Packets { offset: u64, data: Bytes },
    /// Sync was found after `skipped` bytes that were not packets, starting at `from`.
    /// `lost` says whether sync had been held before (a sync loss) or this is the first
    /// boundary of the stream.
    Resynced { from: u64, skipped: u64, lost: bool },
    /// The stream ended with `len` bytes at `from` that do not make a whole packet; `pid` is
    /// the PID of the packet they begin when they begin one that continues a PES (a stream
    /// cut short inside a PES).
    Trailing {
        from: u64,
        len: u64,
        pid: Option<u16>,
    },
    /// No packet boundary in the first [`MAX_INITIAL_GARBAGE`] bytes (or in the whole input,
    /// when it ended first).
    NoSync { scanned: u64 },
    /// Nothing more until more bytes are pushed (or, after `finish`, the end).
    NeedMore,
}

/// Splits pushed bytes into packets. Buffers at most what was pushed and not yet consumed;
/// while searching for sync it keeps only the bytes that may still start a packet.
#[derive(Debug, Default)]
pub(crate) struct Packetizer {
    /// Bytes pushed and not yet consumed, when they are one pushed [`Bytes`] (zero copy): a
    /// mapped file read in chunks that end on the packet grid never needs `stash`.
    chunk: Bytes,
    /// Bytes pushed and not yet consumed, when they had to be joined (slices pushed, or a
    /// chunk arriving while part of a packet was still buffered). Never both non-empty.
    stash: BytesMut,
    /// Input offset of `buf[0]`.
    base: u64,
    /// 188 or 192 once known.
    packet_size: Option<usize>,
    synced: bool,
    ever_synced: bool,
    finished: bool,
    /// Start of the bytes being skipped while out of sync.
    skip_from: Option<u64>,
    /// After a sync loss: the offset where the lost packet began. A sync byte a whole number
    /// of packets after it is where the stream's own packet grid says a packet starts, which
    /// is evidence enough without waiting for a run (so two damaged packets close together
    /// cost only themselves).
    grid: Option<u64>,
    /// Whether the current skip follows a loss of sync (not the start of the stream).
    skip_after_loss: bool,
    no_sync_reported: bool,
}

enum Check {
    Yes(usize),
    No,
    Undecided,
}

impl Packetizer {
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.join();
        self.stash.extend_from_slice(data);
    }

    /// Adds a chunk without copying it when nothing else is buffered.
    pub(crate) fn push_bytes(&mut self, data: Bytes) {
        if self.stash.is_empty() && self.chunk.is_empty() {
            self.chunk = data;
        } else {
            self.push(&data);
        }
    }

    /// Moves a buffered chunk into the stash, so more bytes can follow it.
    fn join(&mut self) {
        if !self.chunk.is_empty() {
            self.stash.extend_from_slice(&self.chunk);
            self.chunk.clear();
        }
    }

    /// The bytes pushed and not yet consumed.
    fn buf(&self) -> &[u8] {
        if self.stash.is_empty() {
            &self.chunk
        } else {
            &self.stash
        }
    }

    pub(crate) fn finish(&mut self) {
        self.finished = true;
    }

    /// The packet size in use, once sync was found.
    pub(crate) fn packet_size(&self) -> Option<usize> {
        self.packet_size
    }

    /// Bytes pushed and not yet consumed.
    pub(crate) fn buffered(&self) -> usize {
        self.buf().len()
    }

    /// Consumes the next `n` buffered bytes and returns them, without copying.
    fn split(&mut self, n: usize) -> Bytes {
        self.base += n as u64;
        if self.stash.is_empty() {
            self.chunk.split_to(n)
        } else {
            self.stash.split_to(n).freeze()
        }
    }

    fn consume(&mut self, n: usize) {
        if self.stash.is_empty() {
            self.chunk.advance(n);
        } else {
            self.stash.advance(n);
        }
        self.base += n as u64;
    }

    pub(crate) fn next(&mut self) -> SyncItem {
        loop {
            if self.synced {
                let size = self.packet_size.unwrap_or(TS_PACKET_SIZE);
                let sync_at = size - TS_PACKET_SIZE;
                if self.buf().len() < size {
                    if self.finished && !self.buf().is_empty() {
                        let (from, len) = (self.base, self.buf().len() as u64);
                        let head = self.buf().get(sync_at..sync_at + 3);
                        // Only a continuation (no payload_unit_start) cuts a PES short.
                        let pid = head
                            .filter(|h| h[0] == 0x47 && h[1] & 0x40 == 0)
                            .map(|h| u16::from_be_bytes([h[1] & 0x1F, h[2]]));
                        self.consume(self.buf().len());
                        return SyncItem::Trailing { from, len, pid };
                    }
                    return SyncItem::NeedMore;
                }
                let buf = self.buf();
                let whole = (buf.len() / size).min(MAX_BATCH);
                let n = (0..whole)
                    .position(|k| buf[k * size + sync_at] != SYNC_BYTE)
                    .unwrap_or(whole);
                if n > 0 {
                    let offset = self.base;
                    let data = self.split(n * size);
                    return SyncItem::Packets { offset, data };
                }
                self.synced = false;
                self.skip_from = Some(self.base);
                self.skip_after_loss = true;
                self.grid = Some(self.base);
                continue;
            }
            return self.search();
        }
    }

    /// Looks for a packet boundary; consumes the bytes before it.
    fn search(&mut self) -> SyncItem {
        let from = *self.skip_from.get_or_insert(self.base);
        let mut i = 0;
        let found = loop {
            let Some(rel) = self.buf()[i..].iter().position(|&b| b == SYNC_BYTE) else {
                i = self.buf().len();
                break None;
            };
            i += rel;
            match self.check(i) {
                // An M2TS packet starts 4 bytes before its sync byte: a candidate whose prefix
                // is not in the buffer (the input's first bytes) cannot be a packet start.
                Check::Yes(size) if i + TS_PACKET_SIZE >= size => break Some(size),
                Check::Yes(_) | Check::No => i += 1,
                Check::Undecided => break None,
            }
        };
        match found {
            Some(size) => {
                // For M2TS the packet starts 4 bytes before its sync byte.
                let start = i + TS_PACKET_SIZE - size;
                self.consume(start);
                let skipped = self.base - from;
                let lost = self.skip_after_loss;
                self.skip_from = None;
                self.skip_after_loss = false;
                self.grid = None;
                self.synced = true;
                self.ever_synced = true;
                self.packet_size = Some(size);
                if skipped > 0 {
                    return SyncItem::Resynced {
                        from,
                        skipped,
                        lost,
                    };
                }
                self.next()
            }
            None => {
                self.consume(i);
                let scanned = self.base - from;
                if !self.ever_synced
                    && !self.no_sync_reported
                    && (scanned > MAX_INITIAL_GARBAGE || (self.finished && scanned > 0))
                {
                    self.no_sync_reported = true;
                    return SyncItem::NoSync { scanned };
                }
                if self.finished && !self.buf().is_empty() {
                    // Undecided candidates cannot be decided any more: what is left is junk.
                    let len = self.buf().len() as u64;
                    self.consume(self.buf().len());
                    return SyncItem::Trailing {
                        from,
                        len,
                        pid: None,
                    };
                }
                SyncItem::NeedMore
            }
        }
    }

    /// Whether a sync byte at `i` starts a run of packets, trying the known size first.
    fn check(&self, i: usize) -> Check {
        if let (Some(grid), Some(size)) = (self.grid, self.packet_size) {
            let start = (self.base + i as u64 + TS_PACKET_SIZE as u64).checked_sub(size as u64);
            if start.is_some_and(|s| s > grid && (s - grid) % size as u64 == 0) {
                return Check::Yes(size);
            }
        }
        let sizes: [usize; 2] = match self.packet_size {
            Some(M2TS_PACKET_SIZE) => [M2TS_PACKET_SIZE, TS_PACKET_SIZE],
            _ => [TS_PACKET_SIZE, M2TS_PACKET_SIZE],
        };
        let mut undecided = false;
        for size in sizes {
            // An M2TS packet needs its 4-byte prefix before the sync byte.
            if i + TS_PACKET_SIZE < size {
                continue;
            }
            let mut ok = true;
            let mut complete = true;
            for k in 1..SYNC_RUN {
                match self.buf().get(i + k * size) {
                    Some(&SYNC_BYTE) => {}
                    Some(_) => {
                        ok = false;
                        break;
                    }
                    None => {
                        complete = false;
                        break;
                    }
                }
            }
            if !ok {
                continue;
            }
            if complete {
                return Check::Yes(size);
            }
            // At the end of the input a shorter run is all there is: accept it if the
            // packet at `i` is whole and every packet after it that exists agrees.
            if self.finished {
                if i + TS_PACKET_SIZE <= self.buf().len() {
                    return Check::Yes(size);
                }
            } else {
                undecided = true;
            }
        }
        if undecided {
            Check::Undecided
        } else {
            Check::No
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packets(n: usize, size: usize) -> Vec<u8> {
        let mut v = Vec::new();
        for k in 0..n {
            let mut p = vec![k as u8; size];
            p[size - TS_PACKET_SIZE] = SYNC_BYTE;
            v.extend_from_slice(&p);
        }
        v
    }

    fn drain(p: &mut Packetizer) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            match p.next() {
                SyncItem::NeedMore => return out,
                SyncItem::Packets { offset, data } => {
                    let size = p.packet_size().unwrap();
                    for (k, pkt) in data.chunks_exact(size).enumerate() {
                        let at = offset as usize + k * size + size - TS_PACKET_SIZE;
                        out.push(format!("p{at}:{}", pkt[size - TS_PACKET_SIZE + 1]));
                    }
                }
                SyncItem::Resynced {
                    from,
                    skipped,
                    lost,
                } => out.push(format!("r{from}+{skipped}{}", if lost { "!" } else { "" })),
                SyncItem::Trailing { from, len, .. } => out.push(format!("t{from}+{len}")),
                SyncItem::NoSync { scanned } => out.push(format!("n{scanned}")),
            }
        }
    }

    #[test]
    fn plain_188_in_small_pushes() {
        let data = packets(5, 188);
        let mut p = Packetizer::default();
        let mut got = Vec::new();
        for chunk in data.chunks(7) {
            p.push(chunk);
            got.extend(drain(&mut p));
        }
        p.finish();
        got.extend(drain(&mut p));
        assert_eq!(got, ["p0:0", "p188:1", "p376:2", "p564:3", "p752:4"]);
        assert_eq!(p.packet_size(), Some(188));
    }

    #[test]
    fn m2ts_is_detected() {
        let data = packets(4, 192);
        let mut p = Packetizer::default();
        p.push(&data);
        p.finish();
        assert_eq!(drain(&mut p), ["p4:0", "p196:1", "p388:2", "p580:3"]);
        assert_eq!(p.packet_size(), Some(192));
    }

    #[test]
    fn garbage_and_lost_sync() {
        let mut data = vec![0x47, 1, 2, 3, 0x47];
        data.extend_from_slice(&packets(3, 188));
        let mut broken = packets(4, 188);
        broken[0] = 0x00; // a lost sync byte
        data.extend_from_slice(&broken);
        let mut p = Packetizer::default();
        p.push(&data);
        p.finish();
        let got = drain(&mut p);
        assert_eq!(
            got,
            [
                "r0+5",
                "p5:0",
                "p193:1",
                "p381:2",
                "r569+188!",
                "p757:1",
                "p945:2",
                "p1133:3"
            ]
        );
    }

    #[test]
    fn short_streams_and_junk() {
        // One packet, then the end.
        let mut p = Packetizer::default();
        p.push(&packets(1, 188));
        assert!(drain(&mut p).is_empty());
        p.finish();
        assert_eq!(drain(&mut p), ["p0:0"]);
        // A truncated last packet.
        let mut p = Packetizer::default();
        let mut data = packets(3, 188);
        data.truncate(188 * 3 - 10);
        p.push(&data);
        p.finish();
        assert_eq!(drain(&mut p), ["p0:0", "p188:1", "t376+178"]);
        // No sync at all.
        let mut p = Packetizer::default();
        p.push(&[1, 2, 3, 0x47, 5]);
        p.finish();
        assert_eq!(drain(&mut p), ["n5"]);
        // Empty.
        let mut p = Packetizer::default();
        p.finish();
        assert!(drain(&mut p).is_empty());
    }

    #[test]
    fn memory_stays_bounded_while_searching() {
        let mut p = Packetizer::default();
        let junk = vec![0x55u8; 64 * 1024];
        let mut saw_no_sync = false;
        for _ in 0..40 {
            p.push(&junk);
            saw_no_sync |= drain(&mut p).iter().any(|s| s.starts_with('n'));
            assert!(p.buffered() < 1024);
        }
        assert!(saw_no_sync);
    }
}
