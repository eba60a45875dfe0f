use bytes::Bytes;

use super::*;
use crate::media::Demuxer;
use crate::probe::InputFormat;

/// An ADTS header (MPEG-4, LC, 44.1 kHz stereo) for a frame of `len` bytes.
fn header(len: usize, crc: bool, raw_blocks: u8) -> Vec<u8> {
    let len = len as u16;
    vec![
        0xFF,
        0xF0 | u8::from(!crc),
        (1 << 6) | (4 << 2),
        (2 << 6) | (len >> 11) as u8,
        (len >> 3) as u8,
        ((len & 7) << 5) as u8 | 0x1F,
        0xFC | raw_blocks,
    ]
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut v = header(7 + payload.len(), false, 0);
    v.extend_from_slice(payload);
    v
}

fn stream(n: usize) -> Vec<u8> {
    (0..n).flat_map(|k| frame(&[k as u8 + 1; 100])).collect()
}

#[test]
fn detects_adts_not_mp3_or_ts() {
    let s = stream(10);
    assert!(looks_like_adts(&s));
    assert_eq!(InputFormat::detect(&s), Some(InputFormat::Adts));
    // After an ID3v2 tag (10 + 20 bytes).
    let mut tagged = b"ID3\x04\x00\x00\x00\x00\x00\x14".to_vec();
    tagged.extend_from_slice(&[0; 20]);
    tagged.extend_from_slice(&s);
    assert_eq!(InputFormat::detect(&tagged), Some(InputFormat::Adts));
    // One lone header is not enough.
    assert!(!looks_like_adts(&frame(&[1; 100])[..50]));
    // MPEG audio: MPEG-1 Layer III 128 kb/s 44.1 kHz frames (417 bytes), layer bits 01.
    let mut mp3 = Vec::new();
    for _ in 0..4 {
        mp3.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x00]);
        mp3.resize(mp3.len() + 413, 0x55);
    }
    assert!(!looks_like_adts(&mp3));
    assert_eq!(InputFormat::detect(&mp3), Some(InputFormat::Mp3));
    // A transport stream of ADTS audio is still a transport stream.
    let mut ts = vec![0u8; 188 * 3];
    for k in 0..3 {
        ts[k * 188] = 0x47;
    }
    ts[4..4 + 107].copy_from_slice(&frame(&[0; 100]));
    assert_eq!(InputFormat::detect(&ts), Some(InputFormat::Ts));
    assert!(!looks_like_adts(&[0xFF; 2000]));
    assert!(!looks_like_adts(b""));
}

#[test]
fn splits_protected_multi_block_frames() {
    // Three blocks of 10, 20 and 5 bytes, each followed by its CRC.
    let blocks: [&[u8]; 3] = [&[1; 10], &[2; 20], &[3; 5]];
    let body: Vec<u8> = blocks
        .iter()
        .flat_map(|b| b.iter().copied().chain([0xAB, 0xCD]))
        .collect();
    let len = 7 + 2 * 2 + 2 + body.len();
    let mut f = header(len, true, 2);
    f.extend_from_slice(&12u16.to_be_bytes());
    f.extend_from_slice(&34u16.to_be_bytes());
    f.extend_from_slice(&[0x12, 0x34]);
    f.extend_from_slice(&body);
    let h = crate::codec::aac::AdtsHeader::parse(&f).unwrap();
    let AdtsBlocks::Blocks(r) = split_raw_blocks(&h, &f) else {
        panic!("not split");
    };
    let got: Vec<&[u8]> = r.iter().map(|r| &f[r.clone()]).collect();
    assert_eq!(got, blocks);
    // A position table that goes backwards.
    f[7..9].copy_from_slice(&40u16.to_be_bytes());
    assert!(matches!(split_raw_blocks(&h, &f), AdtsBlocks::BadTable(_)));
    // Without CRC, several blocks cannot be split.
    let mut g = header(20, false, 1);
    g.resize(20, 0);
    let h = crate::codec::aac::AdtsHeader::parse(&g).unwrap();
    assert_eq!(split_raw_blocks(&h, &g), AdtsBlocks::Unsplittable);
}

#[test]
fn demuxes_raw_frames_with_timestamps() {
    let mut d = AdtsDemuxer::from_bytes(Bytes::from(stream(5))).unwrap();
    assert_eq!(d.tracks()[0].codec.extradata.as_ref(), &[0x12, 0x10]);
    let mut n = 0;
    while let Some(p) = d.next_packet().unwrap() {
        assert_eq!(p.data.len(), 100);
        assert_eq!(p.data[0], n as u8 + 1);
        assert_eq!(p.dts.0, 1024 * n);
        n += 1;
    }
    assert_eq!(n, 5);
    assert_eq!(d.report().warning_count, 0);
}

#[test]
fn ape_tag_is_found_by_its_footer() {
    let mut s = stream(3);
    let audio = s.len();
    let mut footer = b"APETAGEX".to_vec();
    footer.extend_from_slice(&2000u32.to_le_bytes());
    footer.extend_from_slice(&(32u32 + 8).to_le_bytes());
    footer.extend_from_slice(&0u32.to_le_bytes());
    footer.extend_from_slice(&0x8000_0000u32.to_le_bytes());
    footer.extend_from_slice(&[0; 8]);
    s.extend_from_slice(&[0; 32 + 8]); // header + items
    s.extend_from_slice(&footer);
    assert_eq!(frames::ape_tag_start(&s, 0, s.len()), Some(audio));
}
