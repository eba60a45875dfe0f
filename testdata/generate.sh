#!/usr/bin/env bash
# testdata/generate.sh: regenerate muxkit's committed test fixtures.
#
#   testdata/generate.sh          # from anywhere; writes into testdata/
#   testdata/generate.sh mp3      # only the MP3/MP2 fixtures
#   testdata/generate.sh adts     # only the ADTS (.aac) fixtures
#   testdata/generate.sh mp4      # only the MP4/F4V fixtures (needs source.flv)
#   testdata/generate.sh loss     # only the carried-or-named fixtures (needs source.flv)
#   testdata/generate.sh annexb   # only the raw H.264/HEVC fixtures
#   testdata/generate.sh codecs   # only the AV1/VP9/Opus/FLAC/AC-3 fixtures (FF9 too)
#   testdata/generate.sh fmp4     # only the fragmented MP4 fixtures (needs source.flv; FF9=path
#                                 # to a current ffmpeg adds the AV1/Opus one)
#
# Needs ffmpeg with libx264, libx265, libmp3lame and libspeex (Debian's ffmpeg 5.1 has them)
# and python3 (standard library only, for hostile/). Provenance of every file: README.md.
#
# Determinism: bitexact flags on every output, no input metadata, seeded/procedural lavfi
# sources, single-threaded x264/x265. With the same ffmpeg/x264/x265 builds the output is
# byte-identical run to run; another build may produce different (but equivalent) bytes, so
# tests must assert on structure (codecs, sizes, frame counts, timestamps), not on file hashes
# of ffmpeg-made files. hostile/ is byte-identical everywhere (pure Python).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

FFMPEG=${FFMPEG:-ffmpeg}

# Common output options: no version strings, no wall-clock or input metadata.
BITEXACT=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1)

ff() {
    "$FFMPEG" -hide_banner -loglevel error -nostdin -y "$@"
}

# Sources. testsrc2 moves (scrolling pattern, counter), so B-frames really get used.
# Audio is a pair of slow sine sweeps (left/right differ), so it is neither silence nor
# a single steady tone.
video_src() { # WxH rate
    echo "testsrc2=size=$1:rate=$2"
}
AUDIO_STEREO="aevalsrc=exprs=0.3*sin(2*PI*(300+40*t)*t)|0.3*sin(2*PI*(500-20*t)*t)"
AUDIO_MONO="aevalsrc=exprs=0.4*sin(2*PI*(300+200*t)*t)"

# x264: one thread (thread count changes the bitstream), fixed GOP (keyframe every 2 s, no
# scene-cut keyframes) so keyframe positions are predictable in tests.
X264=(-c:v libx264 -threads 1 -pix_fmt yuv420p -sc_threshold 0)

# MP3 and MP2 with their tags. The cover is a 64x64 PNG made first (not kept).
mp3_fixtures() {
    echo "mp3: song_v23_cover.mp3, song_v24_vbr.mp3, song_v1.mp3, song_mpeg25.mp3, song.mp2"
    ff -f lavfi -i "testsrc2=size=64x64:rate=1" -frames:v 1 "${BITEXACT[@]}" cover.tmp.png
    # ID3v2.3 with text frames and a front cover (APIC); CBR 128 kb/s with an Info header.
    ff -f lavfi -i "$AUDIO_STEREO:s=44100" -i cover.tmp.png -t 4 -map 0:a -map 1:v \
        -c:a libmp3lame -b:a 128k -ar 44100 -ac 2 -c:v copy -id3v2_version 3 \
        "${BITEXACT[@]}" -metadata title="Test Song" -metadata artist="muxkit" \
        -metadata album="Fixtures" -metadata track=3 -metadata comment="made by generate.sh" \
        -metadata:s:v title="Album cover" -metadata:s:v comment="Cover (front)" \
        -f mp3 song_v23_cover.mp3
    # ID3v2.4 (ffmpeg's default) with UTF-8 text; VBR (-q:a 4) with a Xing header, 48 kHz.
    ff -f lavfi -i "$AUDIO_STEREO:s=48000" -t 4 -c:a libmp3lame -q:a 4 -ar 48000 -ac 2 \
        "${BITEXACT[@]}" -metadata title="Über Straße" -metadata artist="Café Ensemble" \
        -f mp3 song_v24_vbr.mp3
    # No ID3v2; an ID3v1.1 tag at the end; MPEG-2 Layer III 22.05 kHz mono. ffmpeg 5.1's
    # -write_id3v1 writes nothing here, so the 128 bytes are appended by hand (v1.1: track 5,
    # genre 17 Rock).
    ff -f lavfi -i "$AUDIO_MONO:s=22050" -t 3 -c:a libmp3lame -b:a 32k -ar 22050 -ac 1 \
        -id3v2_version 0 "${BITEXACT[@]}" -f mp3 song_v1.mp3
    python3 - song_v1.mp3 <<'PY'
import sys
f = lambda s, n: s.encode("latin-1").ljust(n, b"\0")
tag = b"TAG" + f("Version One", 30) + f("muxkit", 30) + f("Fixtures", 30) + f("2026", 4)
tag += f("id3v1.1 comment", 28) + bytes([0, 5, 17])
open(sys.argv[1], "ab").write(tag)
PY
    # MPEG-2.5 (8 kHz), no tags at all, no Xing header.
    ff -f lavfi -i "$AUDIO_MONO:s=8000" -t 2 -c:a libmp3lame -b:a 16k -ar 8000 -ac 1 \
        -id3v2_version 0 -write_xing 0 "${BITEXACT[@]}" -f mp3 song_mpeg25.mp3
    # MPEG-1 Layer II, 48 kHz stereo.
    ff -f lavfi -i "$AUDIO_STEREO:s=48000" -t 2 -c:a mp2 -b:a 192k -ar 48000 -ac 2 \
        "${BITEXACT[@]}" -f mp2 song.mp2
    rm -f cover.tmp.png
}

# ADTS (.aac) files as ffmpeg's adts muxer writes them: mono 8 kHz, stereo 44.1 kHz, 5.1 48 kHz,
# 96 kHz, one with an ID3v2 tag before the audio and an APE tag after it, one with the MPEG-2 ID
# bit (-write_mpeg2), and 2.1 (channel configuration 0 with a PCE). All single raw block, no
# CRC (ffmpeg writes neither variant: tests/adts_read.rs makes those by hand).
adts_fixtures() {
    echo "adts: adts_mono_8k.aac, adts_stereo_44k.aac, adts_51_48k.aac, adts_96k.aac, adts_id3_ape.aac, adts_mpeg2.aac, adts_pce_21.aac"
    ff -f lavfi -i "$AUDIO_MONO:s=8000" -t 2 -c:a aac -b:a 24k -ar 8000 -ac 1 \
        "${BITEXACT[@]}" -f adts adts_mono_8k.aac
    ff -f lavfi -i "$AUDIO_STEREO:s=44100" -t 2 -c:a aac -b:a 96k -ar 44100 -ac 2 \
        "${BITEXACT[@]}" -f adts adts_stereo_44k.aac
    ff -f lavfi -i "$AUDIO_STEREO:s=48000" -t 1 -af "pan=5.1|FL=c0|FR=c1|FC=c0|LFE=c1|BL=c0|BR=c1" \
        -c:a aac -b:a 192k -ar 48000 "${BITEXACT[@]}" -f adts adts_51_48k.aac
    ff -f lavfi -i "$AUDIO_STEREO:s=96000" -t 1 -c:a aac -b:a 128k -ar 96000 -ac 2 \
        "${BITEXACT[@]}" -f adts adts_96k.aac
    ff -f lavfi -i "$AUDIO_STEREO:s=44100" -t 1 -c:a aac -b:a 64k -ar 44100 -ac 2 \
        "${BITEXACT[@]}" -metadata title="ADTS with tags" -metadata artist="muxkit" \
        -write_id3v2 1 -write_apetag 1 -f adts adts_id3_ape.aac
    ff -f lavfi -i "$AUDIO_MONO:s=22050" -t 1 -c:a aac -b:a 32k -ar 22050 -ac 1 \
        "${BITEXACT[@]}" -write_mpeg2 1 -f adts adts_mpeg2.aac
    # 2.1 has no channel configuration: channel_configuration 0 and a program config element
    # at the start of the first frame.
    ff -f lavfi -i "aevalsrc=exprs=0.3*sin(2*PI*300*t)|0.3*sin(2*PI*500*t)|0.2*sin(2*PI*700*t):s=48000:c=2.1" \
        -t 1 -c:a aac -b:a 96k "${BITEXACT[@]}" -f adts adts_pce_21.aac
}

# MP4 and F4V made by ffmpeg from source.flv (H.264 with B-frames + AAC): moov at the end
# (ffmpeg's default), moov first (-movflags faststart), and Adobe's F4V brand.
mp4_fixtures() {
    echo "mp4: source_moov_end.mp4, source_faststart.mp4, source.f4v"
    ff -i source.flv -map 0 -c copy "${BITEXACT[@]}" -f mp4 source_moov_end.mp4
    ff -i source.flv -map 0 -c copy "${BITEXACT[@]}" -movflags +faststart -f mp4 source_faststart.mp4
    ff -i source.flv -map 0 -c copy "${BITEXACT[@]}" -f f4v source.f4v
}

# Streams and layouts muxkit must carry or name, never drop silently (issue: nothing lost
# unsaid). Two seconds (one GOP) of source.flv's video with other audio codecs in TS, the
# M2TS layout (AAC as stream type 0x06 without a descriptor), AV1 in TS (stream type 0x06,
# which ffmpeg itself reads back only as data), and fragmented MP4 in both moov layouts.
loss_fixtures() {
    echo "loss: ts_ac3.ts, ts_eac3.ts, ts_mp2.ts, ts_eac3_dvb.ts, m2ts_aac.m2ts, ts_av1.ts, frag_empty_moov.mp4, frag_keyframe.mp4"
    local audio codec rate
    for audio in ac3:48000:ts_ac3 eac3:48000:ts_eac3 mp2:44100:ts_mp2; do
        IFS=: read -r codec rate name <<<"$audio"
        ff -t 2 -i source.flv -f lavfi -t 2 -i "$AUDIO_STEREO:s=$rate" -map 0:v -map 1:a \
            -c:v copy -c:a "$codec" -b:a 128k "${BITEXACT[@]}" -f mpegts "$name.ts"
    done
    # DVB layout (system_b): stream type 0x06 with the enhanced_AC-3 descriptor.
    ff -t 2 -i source.flv -f lavfi -t 2 -i "$AUDIO_STEREO:s=48000" -map 0:v -map 1:a \
        -c:v copy -c:a eac3 -b:a 128k "${BITEXACT[@]}" -mpegts_flags system_b -f mpegts ts_eac3_dvb.ts
    ff -i source.flv -t 2 -map 0 -c copy -mpegts_m2ts_mode 1 "${BITEXACT[@]}" -f mpegts m2ts_aac.m2ts
    ff -f lavfi -i "$(video_src 64x64 10)" -t 1 -c:v libaom-av1 -cpu-used 8 -threads 1 \
        "${BITEXACT[@]}" -f mpegts ts_av1.ts
    ff -i source.flv -t 4 -map 0 -c copy -movflags frag_keyframe+empty_moov "${BITEXACT[@]}" \
        -f mp4 frag_empty_moov.mp4
    ff -i source.flv -t 4 -map 0 -c copy -movflags frag_keyframe "${BITEXACT[@]}" \
        -f mp4 frag_keyframe.mp4
}

# Fragmented MP4 as ffmpeg writes it (issue: CMAF): two seconds of source.flv in every layout
# of the mp4 muxer's movflags, one track per file (CMAF), ffmpeg's own HLS fMP4 and DASH
# segments joined to their init segment, and an Opus/AV1 pair. FF9 (a current ffmpeg) writes
# what 5.1 cannot; when it is missing those files are kept as they are.
fmp4_fixtures() {
    echo "fmp4: fmp4_*.mp4"
    local name flags
    for v in empty_moov:frag_keyframe+empty_moov base_moof:frag_keyframe+empty_moov+default_base_moof \
        cmaf:cmaf every_frame:frag_every_frame+empty_moov dash_sidx:frag_keyframe+empty_moov+dash+global_sidx \
        negative_cts:frag_keyframe+empty_moov+default_base_moof+negative_cts_offsets \
        moov_samples:frag_keyframe; do
        IFS=: read -r name flags <<<"$v"
        ff -i source.flv -t 2 -map 0 -c copy -movflags "$flags" "${BITEXACT[@]}" -f mp4 "fmp4_$name.mp4"
    done
    ff -i source.flv -t 2 -map 0:a -c copy -movflags empty_moov -frag_duration 500000 \
        "${BITEXACT[@]}" -f mp4 fmp4_audio_frag_duration.mp4
    ff -i source.flv -t 2 -map 0:v -c copy -movflags cmaf "${BITEXACT[@]}" -f mp4 fmp4_cmaf_video.mp4
    ff -i source.flv -t 2 -map 0 -c copy -movflags isml+frag_keyframe "${BITEXACT[@]}" -f ismv fmp4_isml.mp4
    local tmp
    tmp=$(mktemp -d)
    ff -i source.flv -t 4 -map 0 -c copy -hls_time 2 -hls_segment_type fmp4 "${BITEXACT[@]}" \
        -f hls "$tmp/index.m3u8"
    cat "$tmp/init.mp4" "$tmp"/index*.m4s >fmp4_hls_joined.mp4
    rm -rf "$tmp"
    if [[ -n ${FF9:-} ]]; then
        "$FF9" -hide_banner -loglevel error -nostdin -y -f lavfi -i "$(video_src 64x64 10)" \
            -f lavfi -i "$AUDIO_STEREO:s=48000" -t 1 -c:v libaom-av1 -cpu-used 8 -threads 1 \
            -c:a libopus -b:a 48k -movflags cmaf "${BITEXACT[@]}" -f mp4 fmp4_av1_opus.mp4
    fi
}

# Codecs MP4 carries beyond H.264/AAC (issue: CMAF): AV1 + Opus, VP9 + FLAC, H.264 + AC-3 and
# + E-AC-3, one second at 64x64, as ffmpeg 5.1 writes them in MP4; FF9 also writes them as
# Enhanced FLV (5.1 cannot), kept as committed when it is missing.
codec_fixtures() {
    echo "codecs: mp4_*.mp4, eflv_*.flv"
    local v a name
    for spec in "av1_opus:libaom-av1 -cpu-used 8:libopus" "vp9_flac:libvpx-vp9 -deadline realtime:flac" \
        "vp9_opus:libvpx-vp9 -deadline realtime:libopus" \
        "h264_ac3:libx264:ac3" "h264_eac3:libx264:eac3"; do
        IFS=: read -r name v a <<<"$spec"
        # shellcheck disable=SC2086
        ff -f lavfi -i "$(video_src 64x64 10)" -f lavfi -i "$AUDIO_STEREO:s=48000" -t 1 \
            -c:v $v -threads 1 -c:a $a -strict -2 "${BITEXACT[@]}" -f mp4 "mp4_$name.mp4"
        if [[ -n ${FF9:-} ]]; then
            # shellcheck disable=SC2086
            "$FF9" -hide_banner -loglevel error -nostdin -y -f lavfi -i "$(video_src 64x64 10)" \
                -f lavfi -i "$AUDIO_STEREO:s=48000" -t 1 -c:v $v -threads 1 -c:a $a \
                "${BITEXACT[@]}" -f flv "eflv_$name.flv"
        fi
    done
}

# Raw Annex B elementary streams (no container, no timestamps) for tests/annexb_read.rs:
# x264 with and without B-frames, with access unit delimiters (aud=1) and without, 29.97 fps
# stated in the SPS VUI timing; x265 with and without B-frames. 1 s each, GOPs of 12 frames.
annexb_fixtures() {
    echo "annexb: raw_*.h264, raw_*.h265"
    local v
    v=$(video_src 160x90 25)
    ff -f lavfi -i "$v" -t 1 "${X264[@]}" -bf 2 -g 12 "${BITEXACT[@]}" -f h264 raw_bframes.h264
    ff -f lavfi -i "$v" -t 1 "${X264[@]}" -bf 0 -g 12 "${BITEXACT[@]}" -f h264 raw_no_bframes.h264
    ff -f lavfi -i "$v" -t 1 "${X264[@]}" -bf 3 -g 12 -x264-params aud=1 "${BITEXACT[@]}" \
        -f h264 raw_aud.h264
    ff -f lavfi -i "$(video_src 160x90 30000/1001)" -t 1 "${X264[@]}" -bf 2 -g 15 \
        "${BITEXACT[@]}" -f h264 raw_2997.h264
    local x265=pools=none:frame-threads=1:keyint=12:min-keyint=12:scenecut=0:info=0:log-level=error
    ff -f lavfi -i "$v" -t 1 -c:v libx265 -pix_fmt yuv420p -x265-params "$x265:bframes=3" \
        "${BITEXACT[@]}" -f hevc raw_bframes.h265
    ff -f lavfi -i "$v" -t 1 -c:v libx265 -pix_fmt yuv420p -x265-params "$x265:bframes=0" \
        "${BITEXACT[@]}" -f hevc raw_no_bframes.h265
}

if [[ ${1:-all} == annexb ]]; then
    annexb_fixtures
    ls -l ./raw_*
    exit 0
fi

if [[ ${1:-all} == codecs ]]; then
    codec_fixtures
    ls -l ./mp4_*.mp4 ./eflv_*.flv
    exit 0
fi

if [[ ${1:-all} == fmp4 ]]; then
    fmp4_fixtures
    ls -l ./fmp4_*
    exit 0
fi

if [[ ${1:-all} == loss ]]; then
    loss_fixtures
    exit 0
fi

if [[ ${1:-all} == mp4 ]]; then
    mp4_fixtures
    ls -l ./*.mp4 ./*.f4v
    exit 0
fi

if [[ ${1:-all} == adts ]]; then
    adts_fixtures
    ls -l ./*.aac
    exit 0
fi

if [[ ${1:-all} == mp3 ]]; then
    mp3_fixtures
    ls -l ./*.mp3 ./*.mp2
    exit 0
fi

echo "source.flv: 768x320 H.264 High with B-frames + AAC-LC 44.1 kHz stereo, 10 s"
ff -f lavfi -i "$(video_src 768x320 25)" -f lavfi -i "$AUDIO_STEREO:s=44100" -t 10 \
    "${X264[@]}" -profile:v high -preset medium -bf 3 -g 50 -keyint_min 50 \
    -b:v 500k -maxrate 800k -bufsize 1000k \
    -c:a aac -b:a 96k -ar 44100 -ac 2 \
    "${BITEXACT[@]}" -f flv source.flv

echo "source_bframes.ts: source.flv copied into MPEG-TS (ffmpeg's own B-frame TS)"
ff -i source.flv -map 0 -c copy "${BITEXACT[@]}" -f mpegts source_bframes.ts

echo "h264_mp3.flv: 320x180 H.264 Main with B-frames + MP3 44.1 kHz stereo, 5 s"
ff -f lavfi -i "$(video_src 320x180 25)" -f lavfi -i "$AUDIO_STEREO:s=44100" -t 5 \
    "${X264[@]}" -profile:v main -preset medium -bf 2 -g 50 -keyint_min 50 -b:v 150k \
    -c:a libmp3lame -b:a 96k -ar 44100 -ac 2 \
    "${BITEXACT[@]}" -f flv h264_mp3.flv

echo "audio_only.flv: AAC-LC 48 kHz stereo, 5 s (FLV's SoundRate field still says 44 kHz)"
ff -f lavfi -i "$AUDIO_STEREO:s=48000" -t 5 \
    -c:a aac -b:a 64k -ar 48000 -ac 2 \
    "${BITEXACT[@]}" -f flv audio_only.flv

echo "video_only.flv: 320x180 H.264 High with B-frames, 5 s"
ff -f lavfi -i "$(video_src 320x180 25)" -t 5 \
    "${X264[@]}" -profile:v high -preset medium -bf 3 -g 50 -keyint_min 50 -b:v 150k \
    "${BITEXACT[@]}" -f flv video_only.flv

echo "mp3_only.flv: MP3 (MPEG-2 layer III) 22.05 kHz mono, 3 s"
ff -f lavfi -i "$AUDIO_MONO:s=22050" -t 3 \
    -c:a libmp3lame -b:a 32k -ar 22050 -ac 1 \
    "${BITEXACT[@]}" -f flv mp3_only.flv

# Legacy FLV codec ids, ~1 s each. VP6 (ids 4, 5) is missing: ffmpeg has VP6 decoders only.
echo "legacy: flv1.flv (Sorenson H.263 + ADPCM), flashsv*.flv, pcm*, nellymoser*, g711, speex"
ff -f lavfi -i "$(video_src 160x120 15)" -f lavfi -i "$AUDIO_MONO:s=22050" -t 1 \
    -c:v flv1 -b:v 64k -g 15 -c:a adpcm_swf -ar 22050 -ac 1 \
    "${BITEXACT[@]}" -f flv flv1.flv
ff -f lavfi -i "$(video_src 160x120 15)" -t 1 -c:v flashsv -g 15 \
    "${BITEXACT[@]}" -f flv flashsv.flv
ff -f lavfi -i "$(video_src 160x120 15)" -t 1 -c:v flashsv2 -g 15 \
    "${BITEXACT[@]}" -f flv flashsv2.flv
legacy_audio() { # file codec rate
    ff -f lavfi -i "$AUDIO_MONO:s=$3" -t 1 -c:a "$2" -ar "$3" -ac 1 \
        "${BITEXACT[@]}" -f flv "$1"
}
legacy_audio pcm.flv pcm_s16le 22050          # SoundFormat 3: linear PCM, little-endian
legacy_audio pcm_u8.flv pcm_u8 22050          # SoundFormat 0, 8-bit
legacy_audio pcm_s16be.flv pcm_s16be 22050    # SoundFormat 0, 16-bit, written big-endian
legacy_audio nellymoser.flv nellymoser 22050  # SoundFormat 6
legacy_audio nellymoser_16k.flv nellymoser 16000 # SoundFormat 4: Nellymoser 16 kHz mono
legacy_audio nellymoser_8k.flv nellymoser 8000   # SoundFormat 5: Nellymoser 8 kHz mono
legacy_audio pcm_alaw.flv pcm_alaw 8000       # SoundFormat 7: G.711 A-law
legacy_audio pcm_mulaw.flv pcm_mulaw 8000     # SoundFormat 8: G.711 mu-law
legacy_audio speex.flv libspeex 16000         # SoundFormat 11: Speex (FLV allows 16 kHz mono only)

echo "hevc.h265 + hevc.timestamps.csv + hevc_audio.adts: inputs for the Enhanced FLV fixture, 2 s"
# ffmpeg 5.1 cannot put HEVC in FLV, so muxkit itself builds hevc_enhanced.flv (below) from an
# Annex B elementary stream with an access unit delimiter before every picture (aud=1, so access
# units can be split without parsing slices), the decode/presentation times ffmpeg gave each
# packet (raw Annex B carries none; B-frames make them differ), and ADTS audio.
ff -f lavfi -i "$(video_src 320x180 25)" -t 2 \
    -c:v libx265 -pix_fmt yuv420p -preset medium \
    -x265-params "pools=none:frame-threads=1:bframes=3:keyint=25:min-keyint=25:scenecut=0:bitrate=150:aud=1:info=0:log-level=error" \
    "${BITEXACT[@]}" -f mp4 hevc.tmp.mp4
ff -i hevc.tmp.mp4 -map 0:v -c copy -bsf:v hevc_mp4toannexb "${BITEXACT[@]}" -f hevc hevc.h265
# One line per access unit in decode order: dts_ms,pts_ms,flags (K = keyframe).
ffprobe -v error -select_streams v -show_entries packet=dts_time,pts_time,flags -of csv=p=0 hevc.tmp.mp4 |
    awk -F, 'function ms(x) { return x < 0 ? -int(-x * 1000 + 0.5) : int(x * 1000 + 0.5) }
             { printf "%d,%d,%s\n", ms($2), ms($1), $3 }' > hevc.timestamps.csv
rm -f hevc.tmp.mp4
ff -f lavfi -i "$AUDIO_STEREO:s=44100" -t 2 \
    -c:a aac -b:a 64k -ar 44100 -ac 2 \
    "${BITEXACT[@]}" -f adts hevc_audio.adts

echo "hevc_enhanced.flv: HEVC (B-frames) + AAC in Enhanced FLV, written by muxkit's FLV muxer"
cargo run --quiet --example make_enhanced_flv -- hevc.h265 hevc.timestamps.csv hevc_audio.adts hevc_enhanced.flv

mp3_fixtures
adts_fixtures
mp4_fixtures
loss_fixtures
annexb_fixtures
fmp4_fixtures
codec_fixtures

echo "hostile/: one-defect FLVs, hostile_base.flv, hostile_defects.json (make_hostile.py)"
python3 make_hostile.py .

echo "done:"
ls -l ./*.flv ./*.ts ./*.m2ts ./*.h265 ./*.adts ./*.aac ./*.mp3 ./*.mp2 ./*.mp4 ./*.f4v
du -ch ./*.flv ./*.ts ./*.m2ts ./*.h265 ./*.adts ./*.aac ./*.mp3 ./*.mp2 ./*.mp4 ./*.f4v ./*.json hostile | tail -n 1
