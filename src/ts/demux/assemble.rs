//! Reassembling PES packets from the payloads of one PID's transport packets.

use bytes::BytesMut;

/// Largest video PES muxkit buffers. Video PES packets may be unbounded (`PES_packet_length`
/// 0) and carry one access unit; the largest real ones (8K intra frames at high bit rates) are
/// a few MiB, so 16 MiB leaves room while making a stream that never starts a new PES cost at
/// most this much memory per PID.
pub const MAX_PES_SIZE: usize = 16 * 1024 * 1024;

/// Largest audio or data PES muxkit buffers. Only video may leave `PES_packet_length` at 0
/// (ISO/IEC 13818-1 §2.4.3.7), so other PES packets are at most 65 541 bytes; 1 MiB tolerates
/// writers that break that rule without letting one audio PID hold 16 MiB.
pub const MAX_AUDIO_PES_SIZE: usize = 1024 * 1024;

/// A complete (or, at the end of the stream or before the next unit start, incomplete) PES
/// packet, header included.
#[derive(Debug)]
pub(crate) struct RawPes {
    /// Mutable so a converter may rewrite it in place (Annex B start codes into lengths).
    pub data: BytesMut,
    /// Index and byte offset of the packet that started it.
    pub packet: u64,
    pub offset: u64,
    /// It ended before the length its header states.
    pub truncated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for a unit start (at the beginning, or after a drop).
    Idle,
    /// Collecting a PES.
    Active,
    /// A bounded PES was completed; payload bytes before the next unit start are excess.
    Done,
}

/// What one payload did. Small and `Copy`: it is returned for every transport packet, and the
/// PES packets a payload completes wait in the assembler ([`PesAssembler::take_ready`]).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PushResult {
    /// PES packets are ready to be taken.
    pub ready: bool,
    /// The PES being collected passed the size limit and was dropped; its size so far.
    pub overflow: Option<usize>,
    /// Bytes after the end of a bounded PES.
    pub excess: usize,
}

#[derive(Debug)]
pub(crate) struct PesAssembler {
    buf: BytesMut,
    state: State,
    /// `6 + PES_packet_length` once read, `None` before 6 bytes or when unbounded.
    expected: Option<usize>,
    length_read: bool,
    limit: usize,
    packet: u64,
    offset: u64,
    /// Size of the last PES: what an unbounded one (video) is likely to need, reserved up front
    /// so collecting it does not regrow (and recopy) the buffer.
    last_size: usize,
    /// The PES a unit start ended (short of its stated length when `truncated`).
    previous: Option<RawPes>,
    /// The PES a payload completed by reaching its stated length.
    done: Option<RawPes>,
}

impl PesAssembler {
    pub(crate) fn new(limit: usize) -> PesAssembler {
        PesAssembler {
            buf: BytesMut::new(),
            state: State::Idle,
            expected: None,
            length_read: false,
            limit,
            packet: 0,
            offset: 0,
            last_size: 0,
            previous: None,
            done: None,
        }
    }

    /// The PES packets the last [`PesAssembler::push`] completed, in stream order.
    pub(crate) fn take_ready(&mut self) -> Option<RawPes> {
        self.previous.take().or_else(|| self.done.take())
    }

    /// Feeds one payload; `packet`/`offset` locate its transport packet.
    pub(crate) fn push(
        &mut self,
        pusi: bool,
        payload: &[u8],
        packet: u64,
        offset: u64,
    ) -> PushResult {
        let mut r = PushResult::default();
        if pusi {
            self.previous = self.take();
            r.ready = self.previous.is_some();
            self.state = State::Active;
            self.expected = None;
            self.length_read = false;
            self.packet = packet;
            self.offset = offset;
            self.buf.clear();
            // One allocation per PES: its stated length, or a quarter more than the last one.
            let stated = payload
                .get(4..6)
                .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                .filter(|&n| n > 0);
            let want = stated.map_or(self.last_size + self.last_size / 4, |n| n + 6);
            self.buf.reserve(want.max(payload.len()).min(self.limit));
        } else {
            match self.state {
                State::Idle => return r,
                State::Done => {
                    r.excess = payload.len();
                    return r;
                }
                State::Active => {}
            }
        }
        if self.buf.len() + payload.len() > self.limit {
            r.overflow = Some(self.buf.len() + payload.len());
            self.drop_current();
            return r;
        }
        self.buf.extend_from_slice(payload);
        if !self.length_read && self.buf.len() >= 6 {
            self.length_read = true;
            let len = usize::from(u16::from_be_bytes([self.buf[4], self.buf[5]]));
            self.expected = (len > 0).then_some(6 + len);
        }
        if let Some(n) = self.expected {
            if self.buf.len() >= n {
                r.excess = self.buf.len() - n;
                let data = self.buf.split_to(n);
                self.buf.clear();
                self.last_size = n;
                self.state = State::Done;
                r.ready = true;
                self.done = Some(RawPes {
                    data,
                    packet: self.packet,
                    offset: self.offset,
                    truncated: false,
                });
            }
        }
        r
    }

    /// The collected PES, if any, ending collection (end of stream, or before a unit start).
    pub(crate) fn take(&mut self) -> Option<RawPes> {
        if self.state != State::Active || self.buf.is_empty() {
            self.state = State::Idle;
            return None;
        }
        self.state = State::Idle;
        let truncated = self.expected.is_some_and(|n| self.buf.len() < n) || !self.length_read;
        self.last_size = self.buf.len();
        Some(RawPes {
            data: self.buf.split(),
            packet: self.packet,
            offset: self.offset,
            truncated,
        })
    }

    /// Drops the PES being collected (after a lost packet). Returns whether there was one.
    pub(crate) fn drop_current(&mut self) -> bool {
        let had = self.state == State::Active && !self.buf.is_empty();
        self.buf.clear();
        self.state = State::Idle;
        had
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pes(len_field: u16, body: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 1, 0xE0];
        v.extend_from_slice(&len_field.to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn bounded_pes_completes_on_its_length() {
        let mut a = PesAssembler::new(MAX_AUDIO_PES_SIZE);
        let p = pes(300, &[7; 300]);
        let r = a.push(true, &p[..184], 0, 0);
        assert!(!r.ready && a.take_ready().is_none());
        let r = a.push(false, &p[184..], 1, 188);
        assert!(r.ready);
        let done = a.take_ready().unwrap();
        assert_eq!(done.data.len(), 306);
        assert!(!done.truncated);
        // Bytes after the end before the next start are excess.
        assert_eq!(a.push(false, &[0xFF; 10], 2, 376).excess, 10);
        // A PES and the whole next one in one payload.
        let mut two = pes(2, &[1, 2]);
        two.extend_from_slice(&[0xFF; 3]);
        let r = a.push(true, &two, 3, 564);
        assert_eq!(a.take_ready().unwrap().data.len(), 8);
        assert!(a.take_ready().is_none());
        assert_eq!(r.excess, 3);
    }

    #[test]
    fn unbounded_pes_ends_at_the_next_start_or_take() {
        let mut a = PesAssembler::new(MAX_PES_SIZE);
        let p = pes(0, &[9; 500]);
        a.push(true, &p[..200], 0, 0);
        a.push(false, &p[200..], 1, 188);
        assert!(a.push(true, &pes(0, &[1]), 2, 376).ready);
        let prev = a.take_ready().unwrap();
        assert_eq!(prev.data.len(), 506);
        assert!(!prev.truncated);
        let last = a.take().unwrap();
        assert_eq!(last.data.len(), 7);
        assert!(a.take().is_none());
    }

    #[test]
    fn short_pes_is_truncated_and_oversize_is_dropped() {
        let mut a = PesAssembler::new(1000);
        a.push(true, &pes(500, &[1; 100]), 0, 0);
        a.push(true, &pes(0, &[2; 100]), 1, 188);
        assert!(a.take_ready().unwrap().truncated);
        let r = a.push(false, &[3; 900], 2, 376);
        assert_eq!(r.overflow, Some(1006));
        // Continuations after the drop are ignored until the next start.
        let r = a.push(false, &[3; 100], 3, 564);
        assert!(!r.ready && r.overflow.is_none() && r.excess == 0);
        assert!(a.take().is_none());
        // Lost packet.
        a.push(true, &pes(0, &[2; 100]), 4, 752);
        assert!(a.drop_current());
        assert!(a.take().is_none());
    }
}
