//! Hand-built tags exercising every version, flag and frame kind, and hostile ones.

use bytes::Bytes;

use super::*;
use crate::id3::sync::encode_synchsafe;

fn tag(major: u8, flags: u8, body: &[u8]) -> Vec<u8> {
    let mut t = vec![b'I', b'D', b'3', major, 0, flags];
    t.extend_from_slice(&encode_synchsafe(body.len() as u32).unwrap());
    t.extend_from_slice(body);
    t
}

fn frame22(id: &[u8; 3], body: &[u8]) -> Vec<u8> {
    let n = body.len() as u32;
    let mut f = id.to_vec();
    f.extend_from_slice(&n.to_be_bytes()[1..]);
    f.extend_from_slice(body);
    f
}

fn frame23(id: &[u8; 4], flags: [u8; 2], body: &[u8]) -> Vec<u8> {
    let mut f = id.to_vec();
    f.extend_from_slice(&(body.len() as u32).to_be_bytes());
    f.extend_from_slice(&flags);
    f.extend_from_slice(body);
    f
}

fn frame24(id: &[u8; 4], flags: [u8; 2], body: &[u8]) -> Vec<u8> {
    let mut f = id.to_vec();
    f.extend_from_slice(&encode_synchsafe(body.len() as u32).unwrap());
    f.extend_from_slice(&flags);
    f.extend_from_slice(body);
    f
}

fn text_of(t: &Id3v2Tag, id: &str) -> Vec<String> {
    match &t.frames_with_id(id).next().unwrap().content {
        FrameContent::Text { values, .. } | FrameContent::UserText { values, .. } => values.clone(),
        other => panic!("{id}: {other:?}"),
    }
}

#[test]
fn v22_tags_read_and_map_to_v24_ids() {
    let mut body = frame22(b"TT2", b"\x00Title");
    body.extend(frame22(b"TP1", b"\x01\xff\xfeA\x00r\x00"));
    body.extend(frame22(b"COM", b"\x00engdesc\x00a comment"));
    body.extend(frame22(b"PIC", b"\x00JPG\x03cover\x00\xff\xd8\xff\xe0"));
    body.extend(frame22(b"XYZ", b"opaque"));
    body.extend([0; 20]);
    let t = Id3v2Tag::parse(&tag(2, 0, &body)).unwrap();
    assert_eq!(t.version.major, 2);
    assert_eq!(t.text("TIT2"), Some("Title"));
    assert_eq!(t.text("TPE1"), Some("Ar"));
    assert_eq!(t.padding, 20);
    let p = t.pictures().next().unwrap();
    assert_eq!(
        (p.mime.as_str(), p.picture_type, p.description.as_str()),
        ("image/jpeg", 3, "cover")
    );
    assert_eq!(&p.data[..], b"\xff\xd8\xff\xe0");
    assert!(
        matches!(t.frames[2].content, FrameContent::Comment { ref text, .. } if text == "a comment")
    );
    assert!(matches!(t.frames[4].content, FrameContent::Unknown(_)));
    // Written as v2.4: known ids mapped, the unknown v2.2 frame left out.
    let back = Id3v2Tag::parse(&t.to_bytes()).unwrap();
    let ids: Vec<&str> = back.frames.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["TIT2", "TPE1", "COMM", "APIC"]);
    assert_eq!(back.pictures().next().unwrap().data, p.data);
}

#[test]
fn v23_with_unsynchronisation_extended_header_and_every_frame_flag() {
    let compressed_text = miniz_oxide::deflate::compress_to_vec_zlib(b"\x00compressed title", 6);
    let mut comp_body = (17u32).to_be_bytes().to_vec();
    comp_body.extend_from_slice(&compressed_text);
    let mut frames = frame23(b"TIT2", [0, 0x80], &comp_body);
    frames.extend(frame23(b"TPE1", [0x80, 0x20], b"\x47\x00Grouped"));
    frames.extend(frame23(b"TALB", [0, 0x40], b"\x01secret"));
    frames.extend(frame23(b"TXXX", [0, 0], b"\x00key\x00value"));
    frames.extend(frame23(b"WXXX", [0, 0], b"\x00home\x00http://example.com/"));
    frames.extend(frame23(b"WOAR", [0, 0], b"http://artist.example/"));
    frames.extend(frame23(b"USLT", [0, 0], b"\x00engverse\x00la la"));
    frames.extend(frame23(b"PRIV", [0, 0], b"owner@example\x00\x01\x02"));
    frames.extend(frame23(
        b"UFID",
        [0, 0],
        b"http://musicbrainz.org\x00id-123",
    ));
    frames.extend(frame23(
        b"GEOB",
        [0, 0],
        b"\x00application/x-test\x00f.bin\x00an object\x00DATA",
    ));
    frames.extend(frame23(
        b"POPM",
        [0, 0],
        b"me@example\x00\xc8\x00\x00\x01\x00",
    ));
    frames.extend(frame23(
        b"PCNT",
        [0, 0],
        b"\x00\x00\x00\x00\x00\x01\x00\x00",
    ));
    // The picture data holds FF E0 (a false sync) and FF 00, which unsynchronisation escapes.
    frames.extend(frame23(
        b"APIC",
        [0, 0],
        b"\x00image/png\x00\x03\x00\xff\xe0\xff\x00\x01",
    ));
    let mut ext = vec![0, 0, 0, 10, 0x80, 0, 0, 0, 0, 0, 1, 2, 3, 4];
    ext.extend(frames);
    // Unsynchronise: FF followed by >= E0 or 00 gets a 00 inserted.
    let mut unsynced = Vec::new();
    for (i, &b) in ext.iter().enumerate() {
        unsynced.push(b);
        if b == 0xFF && ext.get(i + 1).is_some_and(|&n| n >= 0xE0 || n == 0) {
            unsynced.push(0);
        }
    }
    let t = Id3v2Tag::parse(&tag(3, 0xC0, &unsynced)).unwrap();
    assert!(t.flags.unsynchronisation && t.flags.extended_header);
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    assert_eq!(t.text("TIT2"), Some("compressed title"));
    assert!(t.frames[0].flags.compressed);
    assert_eq!(t.frames[1].flags.group, Some(0x47));
    assert!(t.frames[1].flags.tag_alter_discard);
    assert!(
        matches!(t.frames[2].content, FrameContent::Encrypted { method: 1, ref data } if &data[..] == b"secret")
    );
    assert_eq!(text_of(&t, "TXXX"), ["value"]);
    let contents: Vec<&FrameContent> = t.frames.iter().map(|f| &f.content).collect();
    assert!(
        matches!(contents[4], FrameContent::UserUrl { description, url, .. } if description == "home" && url == "http://example.com/")
    );
    assert!(matches!(contents[5], FrameContent::Url(u) if u == "http://artist.example/"));
    assert!(
        matches!(contents[6], FrameContent::Comment { description, text, .. } if description == "verse" && text == "la la")
    );
    assert!(
        matches!(contents[7], FrameContent::Private { owner, data } if owner == "owner@example" && &data[..] == b"\x01\x02")
    );
    assert!(
        matches!(contents[8], FrameContent::UniqueFileId { identifier, .. } if &identifier[..] == b"id-123")
    );
    assert!(
        matches!(contents[9], FrameContent::Object { mime, filename, description, data, .. }
        if mime == "application/x-test" && filename == "f.bin" && description == "an object" && &data[..] == b"DATA")
    );
    assert!(matches!(
        contents[10],
        FrameContent::Popularimeter {
            rating: 200,
            counter: Some(256),
            ..
        }
    ));
    assert!(matches!(contents[11], FrameContent::PlayCounter(65536)));
    let p = t.pictures().next().unwrap();
    assert_eq!(&p.data[..], b"\xff\xe0\xff\x00\x01");
    // Back as v2.4 and read again: the same content (text re-encoded as UTF-8).
    let back = Id3v2Tag::parse(&t.to_bytes()).unwrap();
    assert_eq!(back.frames.len(), t.frames.len());
    assert_eq!(back.text("TIT2"), Some("compressed title"));
    assert_eq!(back.pictures().next().unwrap().data, p.data);
    assert_eq!(back.frames[1].flags.group, Some(0x47));
    assert!(matches!(
        back.frames[2].content,
        FrameContent::Encrypted { method: 1, .. }
    ));
}

#[test]
fn v24_with_footer_frame_flags_values_and_chapters() {
    let deflated = miniz_oxide::deflate::compress_to_vec_zlib(b"\x03zipped", 6);
    let mut comp = encode_synchsafe(7).unwrap().to_vec();
    comp.extend_from_slice(&deflated);
    let mut frames = frame24(b"TIT2", [0, 0x09], &comp);
    // Frame-level unsynchronisation with a data length indicator.
    let mut unsync = encode_synchsafe(4).unwrap().to_vec();
    unsync.extend_from_slice(b"\x00\xff\x00\xe0a");
    frames.extend(frame24(b"TPE1", [0, 0x03], &unsync));
    frames.extend(frame24(b"TCON", [0, 0], b"\x03Rock\x00Jazz\x00"));
    frames.extend(frame24(b"TCOM", [0, 0], b"\x02\x00B\x00e"));
    let title = frame24(b"TIT2", [0, 0], b"\x03Intro");
    let mut chap = b"ch1\x00".to_vec();
    for v in [0u32, 5000, 0xFFFF_FFFF, 0xFFFF_FFFF] {
        chap.extend_from_slice(&v.to_be_bytes());
    }
    chap.extend(&title);
    frames.extend(frame24(b"CHAP", [0, 0], &chap));
    let mut toc = b"toc\x00\x03\x01ch1\x00".to_vec();
    toc.extend(frame24(b"TIT2", [0, 0], b"\x03Contents"));
    frames.extend(frame24(b"CTOC", [0, 0], &toc));
    let mut data = tag(4, 0x10, &frames);
    let mut footer = data[..10].to_vec();
    footer[..3].copy_from_slice(b"3DI");
    data.extend(footer);
    let t = Id3v2Tag::parse(&data).unwrap();
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    assert_eq!(t.len, data.len());
    assert_eq!(t.text("TIT2"), Some("zipped"));
    // FF 00 E0 undone to FF E0 (Latin-1 text).
    assert_eq!(t.text("TPE1"), Some("\u{ff}\u{e0}a"));
    assert!(t.frames[1].flags.unsynchronised);
    assert_eq!(text_of(&t, "TCON"), ["Rock", "Jazz"]);
    assert_eq!(t.text("TCOM"), Some("Be"));
    match &t.frames[4].content {
        FrameContent::Chapter(c) => {
            assert_eq!(
                (c.element_id.as_str(), c.start_ms, c.end_ms),
                ("ch1", 0, 5000)
            );
            assert_eq!(c.frames.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    match &t.frames[5].content {
        FrameContent::TableOfContents(toc) => {
            assert!(toc.top_level && toc.ordered);
            assert_eq!(toc.children, ["ch1"]);
            assert_eq!(toc.frames.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    // Appended at the end of a file, before an ID3v1 tag, the footer finds it.
    let mut file = vec![0xAA; 1000];
    file.extend(&data);
    file.extend(b"TAG");
    file.extend([0; 125]);
    assert_eq!(find_appended_tag(&file), Some((1000, data.len())));
    // Round trip of everything through the writer.
    let back = Id3v2Tag::parse(&t.to_bytes()).unwrap();
    assert_eq!(back.frames.len(), t.frames.len());
    assert_eq!(text_of(&back, "TCON"), ["Rock", "Jazz"]);
    assert_eq!(back.frames[4].content, t.frames[4].content);
    assert_eq!(back.frames[5].content, t.frames[5].content);
}

#[test]
fn itunes_plain_v24_frame_sizes_are_recognised() {
    // A 200-byte frame: synchsafe would be 00 00 01 48, plain is 00 00 00 c8 (not synchsafe).
    let body = [b"\x00".to_vec(), vec![b'x'; 199]].concat();
    let mut frames = b"TIT2\x00\x00\x00\xc8\x00\x00".to_vec();
    frames.extend(&body);
    frames.extend(frame24(b"TPE1", [0, 0], b"\x00next"));
    // 130 bytes: plain 00 00 00 82 reads as synchsafe 130 too? 0x82 has the high bit: plain.
    let t = Id3v2Tag::parse(&tag(4, 0, &frames)).unwrap();
    assert!(t.plain_v24_sizes);
    assert_eq!(t.text("TIT2").unwrap().len(), 199);
    assert_eq!(t.text("TPE1"), Some("next"));
    // Both readings plausible only by the next frame: 0x00000100 plain = 256, synchsafe = 128.
    let body = [b"\x00".to_vec(), vec![b'y'; 255]].concat();
    let mut frames = b"TIT2\x00\x00\x01\x00\x00\x00".to_vec();
    frames.extend(&body);
    frames.extend(frame24(b"TPE1", [0, 0], b"\x00after"));
    let t = Id3v2Tag::parse(&tag(4, 0, &frames)).unwrap();
    assert!(t.plain_v24_sizes);
    assert_eq!(t.text("TPE1"), Some("after"));
}

#[test]
fn id3v1_and_v11() {
    let mut v1 = b"TAG".to_vec();
    for (s, n) in [("Title", 30), ("Artist", 30), ("Album", 30), ("1999", 4)] {
        let mut f = s.as_bytes().to_vec();
        f.resize(n, 0);
        v1.extend(f);
    }
    let mut comment = b"great".to_vec();
    comment.resize(28, 0);
    v1.extend(&comment);
    v1.extend([0, 7, 17]);
    let t = Id3v1Tag::parse(&v1).unwrap();
    assert_eq!(
        (t.title.as_str(), t.artist.as_str(), t.year.as_str()),
        ("Title", "Artist", "1999")
    );
    assert_eq!((t.track, t.genre_name()), (Some(7), Some("Rock")));
    v1[126] = b'!';
    v1[125] = b'x';
    // A non-zero byte 125 makes it plain v1: no track, a 30-byte comment.
    let t = Id3v1Tag::parse(&v1).unwrap();
    assert_eq!(t.track, None);
    assert_eq!(t.comment, "great");
    assert!(Id3v1Tag::parse(&v1[..100]).is_err());
}

#[test]
fn hostile_tags_get_clear_errors_or_warnings() {
    // Tag size larger than the file.
    let e = Id3v2Tag::parse(b"ID3\x03\x00\x00\x00\x00\x7f\x7f\x00\x00").unwrap_err();
    assert!(
        e.to_string()
            .contains("larger than the 2 bytes after the header"),
        "{e}"
    );
    // A frame size past the end of the tag: dropped with a warning.
    let mut frames = frame23(b"TIT2", [0, 0], b"\x00ok");
    frames.extend(b"TPE1\x00\x00\x10\x00\x00\x00\x00abc");
    let t = Id3v2Tag::parse(&tag(3, 0, &frames)).unwrap();
    assert_eq!(t.frames.len(), 1);
    assert!(
        t.warnings[0].contains("past the end of the tag"),
        "{:?}",
        t.warnings
    );
    // v2.3 compression flag with a size under 4.
    let t = Id3v2Tag::parse(&tag(3, 0, &frame23(b"TIT2", [0, 0x80], b"\x00a"))).unwrap();
    assert!(t.frames.is_empty());
    assert!(
        t.warnings[0].contains("cannot hold its decompressed size"),
        "{:?}",
        t.warnings
    );
    // An absurd extended header size.
    let e =
        Id3v2Tag::parse(&tag(3, 0x40, &[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0])).unwrap_err();
    assert!(e.to_string().contains("extended header"), "{e}");
    // Unsynchronisation at the last byte.
    let t = Id3v2Tag::parse(&tag(3, 0x80, &frame23(b"TIT2", [0, 0], b"\x00a\xff"))).unwrap();
    assert_eq!(t.text("TIT2"), Some("aÿ"));
    // Bad UTF-16: odd length, lone surrogate: raw, with a warning.
    let t = Id3v2Tag::parse(&tag(3, 0, &frame23(b"TIT2", [0, 0], b"\x01\xff\xfea"))).unwrap();
    assert!(matches!(
        t.frames[0].content,
        FrameContent::Undecodable { .. }
    ));
    assert!(t.warnings[0].contains("odd length"), "{:?}", t.warnings);
    let t = Id3v2Tag::parse(&tag(
        3,
        0,
        &frame23(b"TIT2", [0, 0], b"\x01\xff\xfe\x00\xd8a\x00"),
    ))
    .unwrap();
    assert!(
        t.warnings[0].contains("lone utf-16 surrogate"),
        "{:?}",
        t.warnings
    );
    // A compressed frame claiming 4 GB: refused before inflating anything.
    let mut body = 0xFFFF_FFFFu32.to_be_bytes().to_vec();
    body.extend(miniz_oxide::deflate::compress_to_vec_zlib(&[0; 1000], 6));
    let t = Id3v2Tag::parse(&tag(3, 0, &frame23(b"TIT2", [0, 0x80], &body))).unwrap();
    assert!(t.frames.is_empty());
    assert!(
        t.warnings[0].contains("exceeds the limit"),
        "{:?}",
        t.warnings
    );
    // A compressed frame whose data inflates past what it states: kept compressed.
    let mut body = 10u32.to_be_bytes().to_vec();
    body.extend(miniz_oxide::deflate::compress_to_vec_zlib(&[0; 1000], 6));
    let t = Id3v2Tag::parse(&tag(3, 0, &frame23(b"TIT2", [0, 0x80], &body))).unwrap();
    assert!(matches!(
        t.frames[0].content,
        FrameContent::Undecodable { .. }
    ));
    // Chapters nested past the limit.
    let mut inner = frame24(b"TIT2", [0, 0], b"\x03deep");
    for _ in 0..=MAX_FRAME_NESTING {
        let mut chap = b"c\x00".to_vec();
        chap.extend([0; 16]);
        chap.extend(&inner);
        inner = frame24(b"CHAP", [0, 0], &chap);
    }
    let t = Id3v2Tag::parse(&tag(4, 0, &inner)).unwrap();
    assert!(
        t.warnings.iter().any(|w| w.contains("nested deeper")),
        "{:?}",
        t.warnings
    );
    // Junk instead of a frame id stops reading with a warning.
    let t = Id3v2Tag::parse(&tag(3, 0, b"tit2\x00\x00\x00\x01\x00\x00\x00")).unwrap();
    assert!(t.frames.is_empty() && t.warnings[0].contains("not a frame id"));
}

#[test]
fn every_prefix_and_random_damage_never_panics() {
    let mut frames = frame24(b"TIT2", [0, 0x09], &{
        let mut c = encode_synchsafe(6).unwrap().to_vec();
        c.extend(miniz_oxide::deflate::compress_to_vec_zlib(b"\x03hello", 6));
        c
    });
    frames.extend(frame24(
        b"APIC",
        [0, 0x02],
        b"\x00image/png\x00\x03\x00\xff\x00\xe0",
    ));
    let mut chap = b"c\x00".to_vec();
    chap.extend([0; 16]);
    chap.extend(frame24(b"TIT2", [0, 0], b"\x01\xff\xfex\x00"));
    frames.extend(frame24(b"CHAP", [0, 0], &chap));
    let good = tag(4, 0x80, &frames);
    for n in 0..good.len() {
        let _ = Id3v2Tag::parse(&good[..n]);
    }
    let mut rng = crate::test_rng::XorShift(0x1234_5678_9abc_def1);
    for _ in 0..5000 {
        let mut d = good.clone();
        for _ in 0..=rng.next_u8() % 4 {
            let i = usize::from(rng.next_u8()) % d.len();
            d[i] = rng.next_u8();
        }
        let _ = Id3v2Tag::parse(&d);
        let _ = find_appended_tag(&d);
    }
}

#[test]
fn a_built_tag_round_trips() {
    let t = Id3v2Tag {
        frames: vec![
            Id3Frame {
                id: FrameId::new(b"TIT2").unwrap(),
                flags: FrameFlags::default(),
                content: FrameContent::Text {
                    encoding: TextEncoding::Utf8,
                    values: vec!["Ünïcode".into(), "second".into()],
                },
            },
            Id3Frame {
                id: FrameId::new(b"PRIV").unwrap(),
                flags: FrameFlags::default(),
                content: FrameContent::Private {
                    owner: "com.apple.streaming.transportStreamTimestamp".into(),
                    data: Bytes::from_static(&[0, 0, 0, 0, 0, 0, 0x1F, 0x40]),
                },
            },
        ],
        ..Id3v2Tag::default()
    };
    let bytes = t.to_bytes();
    let back = Id3v2Tag::parse(&bytes).unwrap();
    assert_eq!(back.frames, t.frames);
    assert_eq!(back.len, bytes.len());
}
