//! The server session driven by the publishing client and by hand-made hostile messages.

use bytes::Bytes;

use super::*;
use crate::amf::AmfValue;
use crate::flv::{FlvDemuxer, FlvReadOptions, FlvTagReader};
use crate::io::{InputSource, map_file};
use crate::media::Demuxer;
use crate::rtmp::chunk::ChunkEncoder;
use crate::rtmp::client::{PublishSession, RtmpUrl};
use crate::rtmp::handshake::{ClientHandshake, HandshakeStatus};

fn source() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/source.flv")
}

/// Moves bytes both ways until neither side has anything to say.
fn pump(client: &mut PublishSession, server: &mut ServerSession) -> Result<(), RtmpError> {
    for _ in 0..100 {
        let c = client.take_output();
        if !c.is_empty() {
            server.push(&c, &mut AcceptAll)?;
        }
        let s = server.take_output();
        if !s.is_empty() {
            client.push(&s)?;
        }
        if c.is_empty() && s.is_empty() {
            break;
        }
    }
    Ok(())
}

fn connected(url: &str, config: SessionConfig) -> (PublishSession, ServerSession) {
    let mut client = PublishSession::new(RtmpUrl::parse(url).unwrap(), 3);
    let mut server = ServerSession::new(config, 4);
    // A refused publish is the client's error; the server side stays fine.
    match pump(&mut client, &mut server) {
        Ok(()) | Err(RtmpError::Refused(_)) => {}
        Err(e) => panic!("{e}"),
    }
    (client, server)
}

fn events(s: &mut ServerSession) -> Vec<SessionEvent> {
    std::iter::from_fn(|| s.next_event()).collect()
}

#[test]
fn a_publish_yields_the_files_own_packets() {
    let (mut client, mut server) = connected("rtmp://h/live/test", SessionConfig::default());
    assert!(client.is_ready());
    let ev = events(&mut server);
    assert!(ev.contains(&SessionEvent::Connected {
        app: "live".into(),
        tc_url: Some("rtmp://h:1935/live".into())
    }));
    assert!(ev.contains(&SessionEvent::Publishing {
        app: "live".into(),
        stream: "test".into()
    }));
    // Every tag of the file as an RTMP message.
    let mut reader = FlvTagReader::new(
        InputSource::from_bytes(map_file(&source()).unwrap()),
        FlvReadOptions::default(),
    )
    .unwrap();
    let mut got = Vec::new();
    while let Some(tag) = reader.next_tag().unwrap() {
        client.send_tag(
            tag.header.tag_type.0,
            tag.header.timestamp,
            tag.body.clone(),
        );
        pump(&mut client, &mut server).unwrap();
        while let Some(p) = server.next_packet() {
            got.push(p);
        }
    }
    client.finish();
    pump(&mut client, &mut server).unwrap();
    assert!(events(&mut server).contains(&SessionEvent::Unpublished));
    let mut d = FlvDemuxer::from_bytes(map_file(&source()).unwrap()).unwrap();
    let mut want = Vec::new();
    while let Some(p) = d.next_packet().unwrap() {
        want.push(p);
    }
    let key = |v: &[crate::Packet]| {
        v.iter()
            .map(|p| (p.track, p.dts, p.pts, p.data.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&got), key(&want));
    assert_eq!(server.tracks().len(), d.tracks().len());
}

#[test]
fn bad_names_keys_and_names_in_use_are_refused_and_the_connection_goes_on() {
    for url in [
        "rtmp://h/live/..%2F..%2Fetc",
        "rtmp://h/live/../../etc",
        "rtmp://h/../x/y",
        "rtmp://h/live/.hidden",
    ] {
        let (client, mut server) = connected(url, SessionConfig::default());
        assert!(!client.is_ready(), "{url}");
        let refused = events(&mut server).into_iter().any(|e| {
            matches!(
                e,
                SessionEvent::PublishRefused {
                    code: "NetStream.Publish.BadName",
                    ..
                }
            )
        });
        assert!(refused, "{url}");
        assert!(server.publishing().is_none());
    }
    let keyed = SessionConfig {
        publish_key: Some("s3cret".into()),
        ..SessionConfig::default()
    };
    let (client, _) = connected("rtmp://h/live/cam", keyed.clone());
    assert!(!client.is_ready());
    let (client, _) = connected("rtmp://h/live/cam?key=wrong", keyed.clone());
    assert!(!client.is_ready());
    let (client, mut server) = connected("rtmp://h/live/cam?key=s3cret", keyed);
    assert!(client.is_ready());
    assert_eq!(server.publishing(), Some(("live", "cam")));
    assert!(events(&mut server).contains(&SessionEvent::Publishing {
        app: "live".into(),
        stream: "cam".into()
    }));
    // A gate that says the name is taken.
    struct Taken;
    impl PublishGate for Taken {
        fn claim(&mut self, app: &str, stream: &str) -> Result<(), String> {
            Err(format!("{app}/{stream} is already being published"))
        }
    }
    let mut client = PublishSession::new(RtmpUrl::parse("rtmp://h/live/dup").unwrap(), 1);
    let mut server = ServerSession::new(SessionConfig::default(), 2);
    for _ in 0..20 {
        let c = client.take_output();
        server.push(&c, &mut Taken).unwrap();
        let s = server.take_output();
        let _ = client.push(&s);
    }
    assert!(
        events(&mut server).iter().any(|e| matches!(e,
        SessionEvent::PublishRefused { reason, .. } if reason.contains("already being published")))
    );
}

/// A session past the handshake, with raw message access.
fn raw() -> (ServerSession, ChunkEncoder) {
    let mut server = ServerSession::new(SessionConfig::default(), 1);
    let mut hs = ClientHandshake::new(2);
    server.push(&hs.take_output(), &mut AcceptAll).unwrap();
    let s = server.take_output();
    assert!(matches!(hs.push(&s).unwrap(), HandshakeStatus::Done(_)));
    server.push(&hs.take_output(), &mut AcceptAll).unwrap();
    server.take_output();
    (server, ChunkEncoder::default())
}

fn send(server: &mut ServerSession, enc: &ChunkEncoder, m: RtmpMessage) -> Result<(), RtmpError> {
    let mut b = Vec::new();
    enc.write(&m, &mut b);
    server.push(&b, &mut AcceptAll)
}

fn command(name: &str, txn: f64, obj: AmfValue, args: Vec<AmfValue>) -> RtmpMessage {
    Command {
        name: name.into(),
        transaction_id: txn,
        object: obj,
        args,
    }
    .to_message(0)
}

#[test]
fn a_bad_play_and_unknown_commands_are_refused_and_hostile_amf_ends_the_connection() {
    let (mut server, enc) = raw();
    // connect without any field: answered; the empty app cannot publish.
    send(
        &mut server,
        &enc,
        command("connect", 1.0, AmfValue::Null, vec![]),
    )
    .unwrap();
    let out = server.take_output();
    assert!(String::from_utf8_lossy(&out).contains("NetConnection.Connect.Success"));
    send(
        &mut server,
        &enc,
        command("play", 2.0, AmfValue::Null, vec![string("x")]),
    )
    .unwrap();
    let out = String::from_utf8_lossy(&server.take_output()).into_owned();
    assert!(
        out.contains("onStatus") && out.contains("NetStream.Play.Failed"),
        "{out}"
    );
    send(
        &mut server,
        &enc,
        command("frobnicate", 3.0, AmfValue::Null, vec![]),
    )
    .unwrap();
    let out = String::from_utf8_lossy(&server.take_output()).into_owned();
    assert!(
        out.contains("_error") && out.contains("NetConnection.Call.Failed"),
        "{out}"
    );
    send(
        &mut server,
        &enc,
        command("publish", 0.0, AmfValue::Null, vec![string("s")]),
    )
    .unwrap();
    assert!(server.publishing().is_none());
    // AMF nested 100,000 deep: an error, not a stack overflow.
    let mut deep = Vec::new();
    crate::amf::amf0::encode(&string("connect"), &mut deep);
    crate::amf::amf0::encode(&AmfValue::Number(1.0), &mut deep);
    deep.extend(std::iter::repeat_n(0x0A, 100_000).flat_map(|m| [m, 0, 0, 0, 1]));
    let m = RtmpMessage {
        csid: 3,
        type_id: MessageType::COMMAND_AMF0,
        timestamp: 0,
        stream_id: 0,
        payload: Bytes::from(deep),
    };
    let (mut server, enc) = raw();
    let e = send(&mut server, &enc, m).unwrap_err().to_string();
    assert!(e.contains("depth") || e.contains("deep"), "{e}");
    // A strict array claiming 2^32-1 items.
    let mut huge = Vec::new();
    crate::amf::amf0::encode(&string("connect"), &mut huge);
    crate::amf::amf0::encode(&AmfValue::Number(1.0), &mut huge);
    huge.extend_from_slice(&[0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]);
    let (mut server, enc) = raw();
    let e = send(
        &mut server,
        &enc,
        RtmpMessage {
            csid: 3,
            type_id: MessageType::COMMAND_AMF0,
            timestamp: 0,
            stream_id: 0,
            payload: Bytes::from(huge),
        },
    );
    assert!(e.is_err());
}

#[test]
fn timestamps_cross_2_24_and_2_32_and_may_go_backwards() {
    let (mut client, mut server) = connected("rtmp://h/live/ts", SessionConfig::default());
    events(&mut server);
    // An AAC sequence header, then frames.
    client.send_tag(8, 0, Bytes::from_static(&[0xAF, 0x00, 0x12, 0x10]));
    let times: Vec<u32> = (0..40u32)
        .map(|k| 0xFF_FFF0 + k * 3)
        .chain((0..40u32).map(|k| (u32::MAX - 1000).wrapping_add(k * 50)))
        .chain([5000, 4000, 4500])
        .collect();
    for &t in &times {
        client.send_tag(8, t, Bytes::from_static(&[0xAF, 0x01, 0x21, 0x00]));
    }
    pump(&mut client, &mut server).unwrap();
    let dts: Vec<i64> = std::iter::from_fn(|| server.next_packet())
        .map(|p| p.dts.0)
        .collect();
    assert_eq!(dts.len(), times.len());
    // Across 2^24 (extended timestamps) the values are exact.
    assert_eq!(
        dts[..40],
        times[..40]
            .iter()
            .map(|&t| i64::from(t))
            .collect::<Vec<_>>()[..]
    );
    // Across 2^32 the clock keeps counting up.
    assert!(
        dts[40..80].windows(2).all(|w| w[1] > w[0]),
        "{:?}",
        &dts[40..80]
    );
    assert!(dts[79] > 1 << 32);
}

/// onFCPublish answers with the publish's own outcome: a refused publish never hears
/// Publish.Start.
#[test]
fn on_fc_publish_tells_the_publishs_real_outcome() {
    for (name, refused) in [("good", false), ("bad name!", true)] {
        let (mut server, enc) = raw();
        let mut props = crate::amf::AmfObject::default();
        props.properties.push(("app".into(), string("live")));
        send(
            &mut server,
            &enc,
            command("connect", 1.0, AmfValue::Object(props), vec![]),
        )
        .unwrap();
        server.take_output();
        send(
            &mut server,
            &enc,
            command("FCPublish", 2.0, AmfValue::Null, vec![string(name)]),
        )
        .unwrap();
        let early = String::from_utf8_lossy(&server.take_output()).into_owned();
        assert!(!early.contains("onFCPublish"), "{early}");
        send(
            &mut server,
            &enc,
            command("publish", 0.0, AmfValue::Null, vec![string(name)]),
        )
        .unwrap();
        let out = String::from_utf8_lossy(&server.take_output()).into_owned();
        let fc = out.find("onFCPublish").expect("onFCPublish sent");
        let after = &out[fc..];
        if refused {
            assert!(after.contains("NetStream.Publish.BadName"), "{out}");
            assert!(!out.contains("NetStream.Publish.Start"), "{out}");
        } else {
            assert!(after.contains("NetStream.Publish.Start"), "{out}");
        }
    }
}

/// `connect` to `app` on a fresh session, output taken.
fn connected_raw(app: &str) -> (ServerSession, ChunkEncoder) {
    let (mut server, enc) = raw();
    let obj = crate::rtmp::command::object(&[("app", string(app))]);
    send(&mut server, &enc, command("connect", 1.0, obj, vec![])).unwrap();
    server.take_output();
    events(&mut server);
    (server, enc)
}

#[test]
fn a_publish_waits_for_the_servers_answer_and_nothing_after_it_is_read_before() {
    let (mut server, enc) = connected_raw("live");
    // publish, then a video message in the same bytes: the message waits for the answer.
    let mut bytes = Vec::new();
    enc.write(
        &command("publish", 5.0, AmfValue::Null, vec![string("cam?key=k1")]),
        &mut bytes,
    );
    enc.write(
        &RtmpMessage {
            csid: 6,
            type_id: MessageType::VIDEO,
            timestamp: 0,
            stream_id: 1,
            payload: Bytes::from_static(&[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1F, 0xFF, 0xE0, 0]),
        },
        &mut bytes,
    );
    let config = SessionConfig {
        keep_tags: true,
        ..SessionConfig::default()
    };
    server.config = config;
    server.feed(&bytes).unwrap();
    let request = StreamRequest {
        kind: RequestKind::Publish,
        app: "live".into(),
        stream: "cam".into(),
        query: "key=k1".into(),
    };
    assert_eq!(
        events(&mut server),
        [SessionEvent::Requested(request.clone())]
    );
    assert_eq!(server.pending(), Some(&request));
    assert!(server.take_output().is_empty());
    assert!(server.next_tag().is_none());
    server.answer(Ok(())).unwrap();
    let out = String::from_utf8_lossy(&server.take_output()).into_owned();
    assert!(out.contains("NetStream.Publish.Start"), "{out}");
    assert_eq!(
        events(&mut server),
        [SessionEvent::Publishing {
            app: "live".into(),
            stream: "cam".into()
        }]
    );
    // The held video message was read after the answer.
    assert_eq!(server.next_tag().map(|t| t.tag_type), Some(9));

    // A refusal: BadName, and the connection goes on.
    let (mut server, enc) = connected_raw("live");
    send_all(
        &mut server,
        &enc,
        command("publish", 5.0, AmfValue::Null, vec![string("cam")]),
    );
    events(&mut server);
    server.answer(Err("the hook said no".into())).unwrap();
    let out = String::from_utf8_lossy(&server.take_output()).into_owned();
    assert!(
        out.contains("NetStream.Publish.BadName") && out.contains("the hook said no"),
        "{out}"
    );
    assert!(server.publishing().is_none());
}

fn send_all(server: &mut ServerSession, enc: &ChunkEncoder, m: RtmpMessage) {
    let mut bytes = Vec::new();
    enc.write(&m, &mut bytes);
    server.feed(&bytes).unwrap();
}

#[test]
fn an_accepted_play_starts_as_players_expect_and_ends_with_unpublish_notify() {
    let (mut server, enc) = connected_raw("live");
    send_all(
        &mut server,
        &enc,
        command("createStream", 2.0, AmfValue::Null, vec![]),
    );
    send_all(
        &mut server,
        &enc,
        command(
            "play",
            3.0,
            AmfValue::Null,
            vec![string("cam"), AmfValue::Number(-2.0)],
        ),
    );
    let ev = events(&mut server);
    assert!(
        matches!(&ev[..], [SessionEvent::Requested(r)] if r.kind == RequestKind::Play),
        "{ev:?}"
    );
    server.take_output();
    server.answer(Ok(())).unwrap();
    let out = String::from_utf8_lossy(&server.take_output()).into_owned();
    let reset = out.find("NetStream.Play.Reset").expect(&out);
    let start = out.find("NetStream.Play.Start").expect(&out);
    let access = out.find("|RtmpSampleAccess").expect(&out);
    assert!(reset < start && start < access, "{out}");
    assert_eq!(server.playing(), Some(("live", "cam")));
    assert_eq!(
        events(&mut server),
        [SessionEvent::Playing {
            app: "live".into(),
            stream: "cam".into()
        }]
    );
    // Media to the viewer on its chunk stream, then the end.
    server.send_media(9, 40, Bytes::from_static(&[0x27, 1, 0, 0, 0]));
    let media = server.take_output();
    assert_eq!(media[0] & 0x3F, play_csid::VIDEO as u8);
    server.end_play();
    let out = String::from_utf8_lossy(&server.take_output()).into_owned();
    assert!(out.contains("NetStream.Play.UnpublishNotify"), "{out}");
    assert!(server.playing().is_none());
    // A second play or a publish on the same connection after the end is a new request.
    send_all(
        &mut server,
        &enc,
        command("publish", 4.0, AmfValue::Null, vec![string("cam")]),
    );
    assert!(
        matches!(&events(&mut server)[..], [SessionEvent::Requested(r)] if r.kind == RequestKind::Publish)
    );
}
