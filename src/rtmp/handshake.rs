//! The RTMP handshake (Adobe RTMP 1.0 §5.2), server and client side, sans-IO.
//!
//! Simple handshake: C0/S0 version 3; C1/S1 1536 bytes (time, zero, random); C2/S2 echo the
//! peer's C1/S1. Flash Player and most encoders send a "complex" C1 instead, with an
//! HMAC-SHA256 digest at a position that depends on the scheme (0: the offset is computed from
//! bytes 8-11, 1: from bytes 772-775); such a client expects S1 to carry the server's digest
//! and S2 to end with a digest keyed by its own, as Flash Media Server, SRS and nginx-rtmp
//! answer. A C1 without a valid digest gets the simple answer.
//!
//! Both sides take bytes in whatever pieces TCP delivers them and never depend on the split.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::RtmpError;

/// The handshake's version byte.
pub const RTMP_VERSION: u8 = 3;

/// Bytes of C1, S1, C2, S2.
pub const HANDSHAKE_SIZE: usize = 1536;

/// The Flash Player key: the first 30 bytes sign C1.
const FP_KEY: &[u8] = b"Genuine Adobe Flash Player 001\xF0\xEE\xC2\x4A\x80\x68\xBE\xE8\x2E\x00\xD0\xD1\x02\x9E\x7E\x57\x6E\xEC\x5D\x2D\x29\x80\x6F\xAB\x93\xB8\xE6\x36\xCF\xEB\x31\xAE";
/// The Flash Media Server key: the first 36 bytes sign S1, all 68 key the S2 digest.
const FMS_KEY: &[u8] = b"Genuine Adobe Flash Media Server 001\xF0\xEE\xC2\x4A\x80\x68\xBE\xE8\x2E\x00\xD0\xD1\x02\x9E\x7E\x57\x6E\xEC\x5D\x2D\x29\x80\x6F\xAB\x93\xB8\xE6\x36\xCF\xEB\x31\xAE";
const DIGEST_LEN: usize = 32;

/// The version muxkit's S1 claims (as FMS 4.5 does, so clients use the complex handshake).
const SERVER_VERSION: [u8; 4] = [0x04, 0x05, 0x00, 0x01];

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; DIGEST_LEN] {
    // HMAC accepts keys of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; DIGEST_LEN],
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Where the digest sits in a 1536-byte C1/S1 under `scheme` (0 or 1).
fn digest_offset(block: &[u8; HANDSHAKE_SIZE], scheme: u8) -> usize {
    let base = if scheme == 0 { 8 } else { 772 };
    let sum: usize = block[base..base + 4].iter().map(|&b| usize::from(b)).sum();
    sum % 728 + base + 4
}

/// The digest of `block` with the 32 bytes at `at` left out.
fn block_digest(block: &[u8; HANDSHAKE_SIZE], at: usize, key: &[u8]) -> [u8; DIGEST_LEN] {
    hmac_sha256(key, &[&block[..at], &block[at + DIGEST_LEN..]])
}

/// The scheme under which C1 carries a valid Flash Player digest, and the digest.
fn find_client_digest(c1: &[u8; HANDSHAKE_SIZE]) -> Option<(u8, [u8; DIGEST_LEN])> {
    [0u8, 1].into_iter().find_map(|scheme| {
        let at = digest_offset(c1, scheme);
        let expected = block_digest(c1, at, &FP_KEY[..30]);
        // Public data, not a secret: a plain comparison is fine.
        (c1[at..at + DIGEST_LEN] == expected).then_some((scheme, expected))
    })
}

/// Fills `out` with pseudo-random bytes. Handshake randomness protects nothing (RTMP has no
/// security in it); it only has to look random to peers that check it is not all zeros.
fn fill_random(state: &mut u64, out: &mut [u8]) {
    for b in out {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *b = (*state >> 24) as u8;
    }
}

/// What a handshake reports after taking bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum HandshakeStatus {
    /// More bytes from the peer are needed.
    NeedMore,
    /// Done; the bytes after the handshake (the first chunks) are returned.
    Done(Vec<u8>),
}

/// The kind of handshake the client used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeKind {
    /// Echoes only.
    Simple,
    /// Digest scheme 0 or 1.
    Complex(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServerState {
    WaitC0C1,
    WaitC2,
    Done,
}

/// The server side of the handshake.
#[derive(Debug)]
pub struct ServerHandshake {
    state: ServerState,
    buf: Vec<u8>,
    out: Vec<u8>,
    rng: u64,
    kind: Option<HandshakeKind>,
}

impl ServerHandshake {
    /// A handshake waiting for C0 and C1; `seed` varies the random bytes of S1/S2.
    pub fn new(seed: u64) -> ServerHandshake {
        ServerHandshake {
            state: ServerState::WaitC0C1,
            buf: Vec::with_capacity(1 + HANDSHAKE_SIZE),
            out: Vec::new(),
            rng: seed | 1,
            kind: None,
        }
    }

    /// Which handshake the client used, once C1 was read.
    pub fn kind(&self) -> Option<HandshakeKind> {
        self.kind
    }

    /// Bytes to send to the client now (S0, S1, S2 once C1 arrived).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Takes bytes from the client.
    pub fn push(&mut self, data: &[u8]) -> Result<HandshakeStatus, RtmpError> {
        let mut data = data;
        loop {
            match self.state {
                ServerState::WaitC0C1 => {
                    let want = 1 + HANDSHAKE_SIZE - self.buf.len();
                    let n = want.min(data.len());
                    self.buf.extend_from_slice(&data[..n]);
                    data = &data[n..];
                    if let Some(&v) = self.buf.first() {
                        if v != RTMP_VERSION {
                            return Err(RtmpError::Handshake(format!(
                                "c0 version {v}, expected 3 (rtmpe and other versions are not supported)"
                            )));
                        }
                    }
                    if self.buf.len() < 1 + HANDSHAKE_SIZE {
                        return Ok(HandshakeStatus::NeedMore);
                    }
                    let mut c1 = [0u8; HANDSHAKE_SIZE];
                    c1.copy_from_slice(&self.buf[1..]);
                    self.answer(&c1);
                    self.buf.clear();
                    self.state = ServerState::WaitC2;
                }
                ServerState::WaitC2 => {
                    let want = HANDSHAKE_SIZE - self.buf.len();
                    let n = want.min(data.len());
                    self.buf.extend_from_slice(&data[..n]);
                    data = &data[n..];
                    if self.buf.len() < HANDSHAKE_SIZE {
                        return Ok(HandshakeStatus::NeedMore);
                    }
                    // C2 is not checked: clients differ in what they echo, and nothing depends
                    // on it (SRS and nginx-rtmp do not check it either).
                    self.buf = Vec::new();
                    self.state = ServerState::Done;
                }
                ServerState::Done => return Ok(HandshakeStatus::Done(data.to_vec())),
            }
        }
    }

    fn answer(&mut self, c1: &[u8; HANDSHAKE_SIZE]) {
        self.out.push(RTMP_VERSION);
        let mut s1 = [0u8; HANDSHAKE_SIZE];
        fill_random(&mut self.rng, &mut s1[8..]);
        match find_client_digest(c1) {
            Some((scheme, client_digest)) => {
                self.kind = Some(HandshakeKind::Complex(scheme));
                s1[4..8].copy_from_slice(&SERVER_VERSION);
                let at = digest_offset(&s1, scheme);
                let d = block_digest(&s1, at, &FMS_KEY[..36]);
                s1[at..at + DIGEST_LEN].copy_from_slice(&d);
                let mut s2 = [0u8; HANDSHAKE_SIZE];
                fill_random(&mut self.rng, &mut s2);
                let key = hmac_sha256(FMS_KEY, &[&client_digest]);
                let tail = HANDSHAKE_SIZE - DIGEST_LEN;
                let d = hmac_sha256(&key, &[&s2[..tail]]);
                s2[tail..].copy_from_slice(&d);
                self.out.extend_from_slice(&s1);
                self.out.extend_from_slice(&s2);
            }
            None => {
                self.kind = Some(HandshakeKind::Simple);
                self.out.extend_from_slice(&s1);
                // S2 echoes C1.
                self.out.extend_from_slice(c1);
            }
        }
    }
}

/// The client side (simple handshake), for `muxkit publish`.
#[derive(Debug)]
pub struct ClientHandshake {
    buf: Vec<u8>,
    out: Vec<u8>,
    done: bool,
}

impl ClientHandshake {
    /// Starts: C0 and C1 are ready in [`ClientHandshake::take_output`].
    pub fn new(seed: u64) -> ClientHandshake {
        let mut rng = seed | 1;
        let mut c1 = [0u8; HANDSHAKE_SIZE];
        fill_random(&mut rng, &mut c1[8..]);
        let mut out = vec![RTMP_VERSION];
        out.extend_from_slice(&c1);
        ClientHandshake {
            buf: Vec::with_capacity(1 + 2 * HANDSHAKE_SIZE),
            out,
            done: false,
        }
    }

    /// Bytes to send to the server now.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Takes bytes from the server: S0, S1, S2; answers C2 (S1 echoed).
    pub fn push(&mut self, data: &[u8]) -> Result<HandshakeStatus, RtmpError> {
        if self.done {
            return Ok(HandshakeStatus::Done(data.to_vec()));
        }
        let want = 1 + 2 * HANDSHAKE_SIZE - self.buf.len();
        let n = want.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if let Some(&v) = self.buf.first() {
            if v != RTMP_VERSION {
                return Err(RtmpError::Handshake(format!("s0 version {v}, expected 3")));
            }
        }
        if self.buf.len() < 1 + 2 * HANDSHAKE_SIZE {
            return Ok(HandshakeStatus::NeedMore);
        }
        self.out.extend_from_slice(&self.buf[1..1 + HANDSHAKE_SIZE]);
        self.done = true;
        self.buf = Vec::new();
        Ok(HandshakeStatus::Done(data[n..].to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A complex C1 under `scheme`, as Flash Player builds it.
    fn complex_c1(scheme: u8) -> [u8; HANDSHAKE_SIZE] {
        let mut c1 = [0u8; HANDSHAKE_SIZE];
        let mut rng = 77;
        fill_random(&mut rng, &mut c1[8..]);
        c1[4..8].copy_from_slice(&[0x80, 0x00, 0x07, 0x02]);
        let at = digest_offset(&c1, scheme);
        let d = block_digest(&c1, at, &FP_KEY[..30]);
        c1[at..at + DIGEST_LEN].copy_from_slice(&d);
        c1
    }

    fn run(c1: &[u8; HANDSHAKE_SIZE], piece: usize) -> (ServerHandshake, Vec<u8>, Vec<u8>) {
        let mut h = ServerHandshake::new(9);
        let mut input = vec![3];
        input.extend_from_slice(c1);
        input.extend_from_slice(&[0xAB; HANDSHAKE_SIZE]); // C2
        input.extend_from_slice(b"chunks");
        let mut out = Vec::new();
        let mut rest = None;
        for p in input.chunks(piece) {
            match h.push(p).unwrap() {
                HandshakeStatus::NeedMore => {}
                HandshakeStatus::Done(r) => {
                    rest.get_or_insert_with(Vec::new).extend(r);
                }
            }
            out.extend(h.take_output());
        }
        (h, out, rest.unwrap())
    }

    #[test]
    fn complex_handshakes_get_valid_digests_whatever_the_split() {
        for scheme in [0u8, 1] {
            let c1 = complex_c1(scheme);
            for piece in [1, 7, 1536, 4000] {
                let (h, out, rest) = run(&c1, piece);
                assert_eq!(h.kind(), Some(HandshakeKind::Complex(scheme)));
                assert_eq!(rest, b"chunks", "piece {piece}");
                assert_eq!(out.len(), 1 + 2 * HANDSHAKE_SIZE);
                let mut s1 = [0u8; HANDSHAKE_SIZE];
                s1.copy_from_slice(&out[1..1 + HANDSHAKE_SIZE]);
                // S1 carries the server digest at the client's scheme.
                let at = digest_offset(&s1, scheme);
                assert_eq!(
                    s1[at..at + DIGEST_LEN],
                    block_digest(&s1, at, &FMS_KEY[..36])
                );
                // S2 ends with the digest keyed by the client's digest.
                let s2 = &out[1 + HANDSHAKE_SIZE..];
                let cd = block_digest(&c1, digest_offset(&c1, scheme), &FP_KEY[..30]);
                let key = hmac_sha256(FMS_KEY, &[&cd]);
                assert_eq!(s2[1504..], hmac_sha256(&key, &[&s2[..1504]]));
            }
        }
    }

    #[test]
    fn simple_handshake_echoes_and_bad_c0_is_refused() {
        let mut c1 = [0u8; HANDSHAKE_SIZE];
        c1[100] = 42;
        let (h, out, _) = run(&c1, 100);
        assert_eq!(h.kind(), Some(HandshakeKind::Simple));
        assert_eq!(&out[1 + HANDSHAKE_SIZE..], &c1[..]);
        let mut h = ServerHandshake::new(1);
        let e = h.push(&[6]).unwrap_err();
        assert!(e.to_string().contains("c0 version 6"), "{e}");
    }

    #[test]
    fn client_and_server_complete_each_other() {
        let mut client = ClientHandshake::new(5);
        let mut server = ServerHandshake::new(6);
        let c = client.take_output();
        assert_eq!(server.push(&c).unwrap(), HandshakeStatus::NeedMore);
        let s = server.take_output();
        assert!(matches!(client.push(&s).unwrap(), HandshakeStatus::Done(r) if r.is_empty()));
        let c2 = client.take_output();
        assert!(matches!(server.push(&c2).unwrap(), HandshakeStatus::Done(r) if r.is_empty()));
    }
}
