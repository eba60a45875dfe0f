//! Builds an Enhanced FLV (HEVC + AAC) from an HEVC Annex B stream, its packet timestamps and
//! an ADTS file, with muxkit's own FLV muxer: ffmpeg 5.1 cannot write HEVC into FLV, so this is
//! how testdata/hevc_enhanced.flv is made (see testdata/generate.sh).
//!
//! ```sh
//! cargo run --example make_enhanced_flv -- hevc.h265 hevc.timestamps.csv audio.adts out.flv
//! ```
//!
//! The Annex B stream must have an access unit delimiter (or parameter sets) in front of every
//! picture; `hevc.timestamps.csv` has one `dts_ms,pts_ms,flags` line per access unit in decode
//! order (flags containing `K` mark keyframes), as ffprobe prints them.

use std::path::PathBuf;

use bytes::{BufMut, Bytes};
use muxkit::codec::aac::adts_frames;
use muxkit::codec::avc::annexb_nal_units;
use muxkit::codec::hevc::HevcDecoderConfig;
use muxkit::flv::{FlvMuxOptions, FlvMuxer};
use muxkit::io::AtomicFile;
use muxkit::{Codec, CodecConfig, MediaKind, Muxer, Packet, TimeBase, Timestamp, Track};

const AUD: u8 = 35;
const VPS: u8 = 32;
const SPS: u8 = 33;
const PPS: u8 = 34;
const PREFIX_SEI: u8 = 39;

fn nal_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0xFF, |b| (b >> 1) & 0x3F)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [hevc, csv, adts, out] = &args[..] else {
        return Err("usage: make_enhanced_flv HEVC.h265 TIMESTAMPS.csv AUDIO.adts OUT.flv".into());
    };
    let stream = std::fs::read(hevc)?;

    // Access units: a new one starts at an AUD, parameter set or prefix SEI once the current one
    // holds a picture (a VCL NAL unit, types 0-31).
    let mut units: Vec<Vec<&[u8]>> = Vec::new();
    let mut current: Vec<&[u8]> = Vec::new();
    let (mut vps, mut sps, mut pps) = (Vec::new(), Vec::new(), Vec::new());
    for nal in annexb_nal_units(&stream) {
        let t = nal_type(nal);
        let has_picture = current.iter().any(|n| nal_type(n) < 32);
        if has_picture && matches!(t, AUD | VPS | SPS | PPS | PREFIX_SEI) {
            units.push(std::mem::take(&mut current));
        }
        match t {
            VPS if vps.is_empty() => vps.push(Bytes::copy_from_slice(nal)),
            SPS if sps.is_empty() => sps.push(Bytes::copy_from_slice(nal)),
            PPS if pps.is_empty() => pps.push(Bytes::copy_from_slice(nal)),
            _ => {}
        }
        current.push(nal);
    }
    if !current.is_empty() {
        units.push(current);
    }
    let hvcc = HevcDecoderConfig::from_parameter_sets(&vps, &sps, &pps)?.to_bytes()?;

    let times: Vec<(i64, i64, bool)> = std::fs::read_to_string(csv)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Ok((
                f[0].trim().parse()?,
                f[1].trim().parse()?,
                f.get(2).is_some_and(|x| x.contains('K')),
            ))
        })
        .collect::<Result<_, std::num::ParseIntError>>()?;
    if times.len() != units.len() {
        return Err(format!(
            "{} access units but {} timestamp lines",
            units.len(),
            times.len()
        )
        .into());
    }
    // FLV cannot hold negative timestamps: shift everything so the first DTS is 0.
    let shift_ms = -times.iter().map(|t| t.0).min().unwrap_or(0).min(0);

    let mut video = Track {
        id: 0,
        kind: MediaKind::Video,
        time_base: TimeBase::MILLIS,
        codec: CodecConfig::new(Codec::Hevc),
        source_id: None,
    };
    video.codec.extradata = hvcc;
    let mut packets = Vec::new();
    for (au, &(dts, pts, key)) in units.iter().zip(&times) {
        let mut data = Vec::new();
        for nal in au
            .iter()
            .filter(|n| !matches!(nal_type(n), AUD | VPS | SPS | PPS))
        {
            data.put_u32(nal.len() as u32);
            data.put_slice(nal);
        }
        let mut p = Packet::new(0, Timestamp(dts + shift_ms), data.into());
        p.pts = Timestamp(pts + shift_ms);
        p.flags.keyframe = key;
        packets.push(p);
    }

    let adts_data = std::fs::read(adts)?;
    let mut audio: Option<Track> = None;
    let mut sample = 0i64;
    for frame in adts_frames(&adts_data) {
        let (header, payload) = frame?;
        let track = audio.get_or_insert_with(|| Track {
            id: 1,
            kind: MediaKind::Audio,
            time_base: TimeBase::per_second(header.sample_rate()).unwrap_or(TimeBase::MILLIS),
            codec: CodecConfig::new(Codec::Aac),
            source_id: None,
        });
        if track.codec.extradata.is_empty() {
            track.codec.extradata = header.to_audio_specific_config()?.to_bytes();
        }
        let shift = TimeBase::MILLIS.rescale(shift_ms, track.time_base);
        let mut p = Packet::new(
            1,
            Timestamp(sample + shift),
            Bytes::copy_from_slice(payload),
        );
        p.flags.keyframe = true;
        p.duration = Some(1024);
        packets.push(p);
        sample += 1024;
    }

    // Interleave by decode time in seconds (stable: video first on ties).
    let tracks: Vec<Track> = std::iter::once(video).chain(audio).collect();
    packets.sort_by_key(|p| {
        tracks[p.track as usize]
            .time_base
            .rescale(p.dts.0, TimeBase::MPEG_90K)
    });
    let mut mux = FlvMuxer::new(AtomicFile::create(out)?, FlvMuxOptions::default());
    for t in &tracks {
        mux.add_track(t)?;
    }
    for p in &packets {
        mux.write_packet(p)?;
    }
    mux.finish()?;
    mux.into_inner()?.commit()?;
    eprintln!(
        "{}: {} video + {} audio packets",
        out.display(),
        units.len(),
        packets.len() - units.len()
    );
    Ok(())
}
