//! AES-128 segment encryption (RFC 8216 §4.3.2.4, §5.2): each media segment is encrypted
//! whole with AES-128 in CBC mode and PKCS#7 padding, under a 16-byte key the player fetches
//! from the EXT-X-KEY URI, with the segment's media sequence number as its IV, written
//! explicitly (a new EXT-X-KEY before every segment), so no two segments share an IV under one
//! key. Keys may change every N segments (rotation). An fMP4 initialization section is not
//! encrypted (its EXT-X-MAP comes before the first EXT-X-KEY).
//!
//! SAMPLE-AES and CENC `cbcs` (encrypting samples inside fMP4, for FairPlay/Widevine) are not
//! done: they need per-codec subsample layouts and a key system to be useful.

use std::sync::Arc;

use aes::Aes128;
use cbc::cipher::{BlockEncryptMut, KeyIvInit, generic_array::GenericArray};

use crate::error::Result;

/// AES block and key size.
pub const AES_BLOCK: usize = 16;

/// One key and the URI the playlist names it by.
#[derive(Clone, PartialEq, Eq)]
pub struct HlsKey {
    /// The 16 key bytes.
    pub key: [u8; AES_BLOCK],
    /// EXT-X-KEY's URI.
    pub uri: String,
}

impl std::fmt::Debug for HlsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a key.
        f.debug_struct("HlsKey")
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

/// Gives the key of each key period (period `k` covers segments `k * rotate_every` on). Called
/// on the muxing thread before the period's first segment is written; a generated key is
/// stored by it, before any playlist names it.
pub type KeyProvider = Arc<dyn Fn(u64) -> Result<HlsKey> + Send + Sync>;

/// How to encrypt segments.
#[derive(Clone)]
pub struct HlsEncryption {
    /// The key of each period.
    pub keys: KeyProvider,
    /// Segments per key (`--hls-key-rotate`); `None`: one key for all.
    pub rotate_every: Option<u64>,
}

impl std::fmt::Debug for HlsEncryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HlsEncryption")
            .field("rotate_every", &self.rotate_every)
            .finish_non_exhaustive()
    }
}

impl HlsEncryption {
    /// One fixed key for every segment.
    pub fn fixed(key: HlsKey) -> HlsEncryption {
        HlsEncryption {
            keys: Arc::new(move |_| Ok(key.clone())),
            rotate_every: None,
        }
    }

    /// The key period of segment `index`.
    pub fn period(&self, index: u64) -> u64 {
        self.rotate_every.map_or(0, |n| index / n.max(1))
    }
}

/// The IV of segment `sequence`: its media sequence number as a 128-bit big-endian integer
/// (RFC 8216 §5.2's default, written out explicitly).
pub fn sequence_iv(sequence: u64) -> [u8; AES_BLOCK] {
    let mut iv = [0u8; AES_BLOCK];
    iv[8..].copy_from_slice(&sequence.to_be_bytes());
    iv
}

/// A new random key from the operating system.
pub fn random_key() -> Result<[u8; AES_BLOCK]> {
    let mut k = [0u8; AES_BLOCK];
    getrandom::fill(&mut k).map_err(|e| crate::error::Error::Io {
        context: "generating an encryption key",
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(k)
}

/// AES-128-CBC over a stream of writes: whole blocks are encrypted as they come, the rest
/// waits for more; [`SegmentCipher::finish`] pads (PKCS#7) and gives the last block(s).
pub struct SegmentCipher {
    enc: cbc::Encryptor<Aes128>,
    pending: Vec<u8>,
}

impl SegmentCipher {
    /// A cipher for one segment.
    pub fn new(key: &[u8; AES_BLOCK], iv: &[u8; AES_BLOCK]) -> SegmentCipher {
        SegmentCipher {
            enc: cbc::Encryptor::<Aes128>::new(key.into(), iv.into()),
            pending: Vec::with_capacity(64 * 1024),
        }
    }

    /// Takes `data`, returns the ciphertext of every whole block so far (a slice of the
    /// cipher's own buffer, reused from call to call).
    pub fn update(&mut self, data: &[u8]) -> &[u8] {
        self.pending.extend_from_slice(data);
        let whole = self.pending.len() / AES_BLOCK * AES_BLOCK;
        for block in self.pending[..whole].chunks_exact_mut(AES_BLOCK) {
            self.enc
                .encrypt_block_mut(GenericArray::from_mut_slice(block));
        }
        &self.pending[..whole]
    }

    /// Forgets the ciphertext [`SegmentCipher::update`] returned (it was written out).
    pub fn consumed(&mut self) {
        let whole = self.pending.len() / AES_BLOCK * AES_BLOCK;
        self.pending.drain(..whole);
    }

    /// The padded last block(s).
    pub fn finish(mut self) -> Vec<u8> {
        let pad = AES_BLOCK - self.pending.len() % AES_BLOCK;
        self.pending.extend(std::iter::repeat_n(pad as u8, pad));
        for block in self.pending.chunks_exact_mut(AES_BLOCK) {
            self.enc
                .encrypt_block_mut(GenericArray::from_mut_slice(block));
        }
        self.pending
    }
}

/// Decrypts a segment in place (`whole`: the data is the entire segment, so its padding is
/// checked and removed; otherwise a prefix of whole blocks, as a bounded reader takes).
pub fn decrypt_segment(
    key: &[u8; AES_BLOCK],
    iv: &[u8; AES_BLOCK],
    data: &mut Vec<u8>,
    whole: bool,
) -> std::result::Result<(), String> {
    use cbc::cipher::BlockDecryptMut;
    if whole && (data.is_empty() || data.len() % AES_BLOCK != 0) {
        return Err(format!(
            "{} bytes is not a whole number of 16-byte AES blocks",
            data.len()
        ));
    }
    data.truncate(data.len() / AES_BLOCK * AES_BLOCK);
    let mut dec = cbc::Decryptor::<Aes128>::new(key.into(), iv.into());
    for block in data.chunks_exact_mut(AES_BLOCK) {
        dec.decrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    if whole {
        let pad = usize::from(data[data.len() - 1]);
        let ok = (1..=AES_BLOCK).contains(&pad)
            && data[data.len() - pad..]
                .iter()
                .all(|&b| usize::from(b) == pad);
        if !ok {
            return Err("wrong key or IV: the PKCS#7 padding does not check out".into());
        }
        data.truncate(data.len() - pad);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cbc::cipher::{BlockDecryptMut, block_padding::Pkcs7};

    #[test]
    fn streamed_encryption_equals_one_shot_and_decrypts() {
        let key = [7u8; 16];
        let iv = sequence_iv(42);
        assert_eq!(iv[15], 42);
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 31 % 251) as u8).collect();
        for piece in [1usize, 15, 16, 17, 188, 1000] {
            let mut c = SegmentCipher::new(&key, &iv);
            let mut out = Vec::new();
            for chunk in data.chunks(piece) {
                out.extend_from_slice(c.update(chunk));
                c.consumed();
            }
            out.extend_from_slice(&c.finish());
            assert_eq!(out.len(), 1008, "piece {piece}");
            let mut buf = out.clone();
            let plain = cbc::Decryptor::<Aes128>::new(&key.into(), &iv.into())
                .decrypt_padded_mut::<Pkcs7>(&mut buf)
                .unwrap();
            assert_eq!(plain, &data[..], "piece {piece}");
        }
        let mut round = {
            let mut c = SegmentCipher::new(&key, &iv);
            let mut v = c.update(&data).to_vec();
            c.consumed();
            v.extend_from_slice(&c.finish());
            v
        };
        decrypt_segment(&key, &iv, &mut round, true).unwrap();
        assert_eq!(round, data);
        let mut wrong = vec![0u8; 32];
        assert!(decrypt_segment(&key, &iv, &mut wrong, true).is_err());
        // A whole number of blocks still gets a full block of padding.
        let mut c = SegmentCipher::new(&key, &iv);
        assert_eq!(c.update(&[0; 32]).len(), 32);
        c.consumed();
        assert_eq!(c.finish().len(), 16);
        let k = HlsKey {
            key,
            uri: "k.key".into(),
        };
        assert!(!format!("{k:?}").contains('7'));
    }
}
