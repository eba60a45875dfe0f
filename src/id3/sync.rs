//! Synchsafe integers and unsynchronisation (id3v2.4.0-structure §6).
//!
//! ID3v2 keeps MPEG decoders that do not know about tags from seeing a false frame sync
//! (`FF Ex`) inside one: sizes are "synchsafe" (7 bits per byte), and unsynchronisation inserts
//! a `00` after every `FF` that would otherwise start a false sync or is followed by `00`.

/// A synchsafe integer of up to 5 bytes (28 bits from 4, 35 from 5); `None` when a byte has
/// its high bit set (not synchsafe).
pub fn decode_synchsafe(bytes: &[u8]) -> Option<u64> {
    bytes.iter().try_fold(0u64, |acc, &b| {
        (b & 0x80 == 0).then_some((acc << 7) | u64::from(b))
    })
}

/// `value` as 4 synchsafe bytes; `None` when it needs more than 28 bits.
pub fn encode_synchsafe(value: u32) -> Option<[u8; 4]> {
    (value < 1 << 28).then_some([
        (value >> 21) as u8 & 0x7F,
        (value >> 14) as u8 & 0x7F,
        (value >> 7) as u8 & 0x7F,
        value as u8 & 0x7F,
    ])
}

/// Undoes unsynchronisation: every `FF 00` becomes `FF`. A final `FF` (the "unsynchronisation
/// at the last byte" case) stays as it is. The output is never longer than the input.
pub fn remove_unsynchronisation(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        out.push(b);
        i += if b == 0xFF && data.get(i + 1) == Some(&0) {
            2
        } else {
            1
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synchsafe_round_trip_and_rejects_high_bits() {
        assert_eq!(decode_synchsafe(&[0x00, 0x00, 0x02, 0x01]), Some(257));
        assert_eq!(
            decode_synchsafe(&[0x7F, 0x7F, 0x7F, 0x7F]),
            Some((1 << 28) - 1)
        );
        assert_eq!(decode_synchsafe(&[0x00, 0x00, 0x81, 0x00]), None);
        for v in [0, 1, 127, 128, 255, 1 << 20, (1 << 28) - 1] {
            assert_eq!(
                decode_synchsafe(&encode_synchsafe(v).unwrap()),
                Some(u64::from(v))
            );
        }
        assert_eq!(encode_synchsafe(1 << 28), None);
    }

    #[test]
    fn unsynchronisation_is_undone_including_at_the_last_byte() {
        assert_eq!(remove_unsynchronisation(&[0xFF, 0x00, 0xE0]), [0xFF, 0xE0]);
        assert_eq!(remove_unsynchronisation(&[0xFF, 0x00, 0x00]), [0xFF, 0x00]);
        assert_eq!(remove_unsynchronisation(&[1, 0xFF]), [1, 0xFF]);
        assert_eq!(remove_unsynchronisation(&[0xFF, 0xFF, 0x00]), [0xFF, 0xFF]);
        assert!(remove_unsynchronisation(&[]).is_empty());
    }
}
