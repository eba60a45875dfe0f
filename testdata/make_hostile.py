#!/usr/bin/env python3
"""Write the hostile FLV fixtures into testdata/hostile/ (Python 3 standard library only).

    python3 testdata/make_hostile.py [TESTDATA_DIR]   # default: the folder of this script

Writes TESTDATA_DIR/hostile/*: each is the small, valid, synthesised hostile_base.flv with
exactly ONE defect, so a test that
opens it checks that defect and nothing else: 'FLV' version 1, DataOffset 9, PreviousTagSize0
= 0, StreamID 0 and correct PreviousTagSize fields everywhere except where the defect is one.
TESTDATA_DIR/hostile_base.flv is the control that must parse cleanly (ffprobe decodes it
without a warning: its H.264 and AAC payloads are real x264 / ffmpeg-aac output, embedded
below as hex so this script needs nothing but Python). It lives outside hostile/ so that every
file in hostile/ except README.md is hostile.

The script also writes hostile/README.md (the table of defects and their byte offsets) and
TESTDATA_DIR/hostile_defects.json (the same facts for tests to loop over). Both are generated:
edit this script, not them. Output is byte-for-byte deterministic.
"""

import json
import os
import random
import struct
import sys

# ---------------------------------------------------------------------------------------------
# Real payloads for the base file (16x16 H.264 Constrained Baseline from libx264 with the SEI
# dropped; AAC-LC 44.1 kHz stereo silence from ffmpeg's aac encoder, ADTS headers removed).
#   ffmpeg -f lavfi -i color=c=0x3366cc:s=16x16:r=25 -frames:v 3 -c:v libx264 -threads 1 \
#          -profile:v baseline -bf 0 -x264-params keyint=25:scenecut=0 -f h264 tiny.h264
#   ffmpeg -f lavfi -i anullsrc=r=44100:cl=stereo -t 0.07 -c:a aac -b:a 32k -f adts tiny.aac
SPS = bytes.fromhex("6742c00ad91ec044000003000400000300c83c489920")
PPS = bytes.fromhex("68cb83cb20")
IDR = bytes.fromhex("6588840bf118a000228b1c00045ea38000866e")
P1 = bytes.fromhex("419a3817ea")
P2 = bytes.fromhex("419a54057a80")
AAC_FRAME = bytes.fromhex("211004608c1c")
AAC_ASC = bytes.fromhex("1210")  # AudioSpecificConfig: AAC-LC, 44100 Hz, 2 channels

TAG_AUDIO, TAG_VIDEO, TAG_SCRIPT = 8, 9, 18


# ---------------------------------------------------------------------------------------------
# FLV writing


def u24(n):
    assert 0 <= n < 1 << 24
    return n.to_bytes(3, "big")


def u32(n):
    return struct.pack(">I", n)


class Flv:
    """An FLV under construction that remembers where every tag and field landed."""

    def __init__(self, flags=0x05):
        self.buf = bytearray(b"FLV" + bytes([1, flags]) + u32(9))
        self.buf += u32(0)  # PreviousTagSize0
        self.tags = []  # dicts: index, type, offset (tag start), body_offset, size, pts_offset

    def tag(self, tag_type, ts_ms, body, data_size=None, prev_tag_size=None):
        start = len(self.buf)
        size = len(body) if data_size is None else data_size
        self.buf += bytes([tag_type]) + u24(size)
        self.buf += u24(ts_ms & 0xFFFFFF) + bytes([(ts_ms >> 24) & 0xFF]) + u24(0)
        self.buf += body
        pts_offset = len(self.buf)
        self.buf += u32(11 + len(body) if prev_tag_size is None else prev_tag_size)
        info = {
            "index": len(self.tags),
            "type": tag_type,
            "offset": start,
            "body_offset": start + 11,
            "size": size,
            "pts_offset": pts_offset,
        }
        self.tags.append(info)
        return info

    def bytes(self):
        return bytes(self.buf)


# AMF0


def amf0_string(s):
    b = s.encode()
    return b"\x02" + struct.pack(">H", len(b)) + b


def amf0_number(x):
    return b"\x00" + struct.pack(">d", x)


def amf0_bool(v):
    return b"\x01" + bytes([1 if v else 0])


def amf0_ecma(pairs):
    out = b"\x08" + u32(len(pairs))
    for k, v in pairs:
        kb = k.encode()
        out += struct.pack(">H", len(kb)) + kb + v
    return out + b"\x00\x00\x09"


ON_METADATA = amf0_string("onMetaData")

METADATA = ON_METADATA + amf0_ecma(
    [
        ("duration", amf0_number(0.12)),
        ("width", amf0_number(16)),
        ("height", amf0_number(16)),
        ("framerate", amf0_number(25)),
        ("videocodecid", amf0_number(7)),
        ("audiosamplerate", amf0_number(44100)),
        ("audiosamplesize", amf0_number(16)),
        ("stereo", amf0_bool(True)),
        ("audiocodecid", amf0_number(10)),
        ("encoder", amf0_string("muxkit testdata/make_hostile.py")),
    ]
)


# AVC / AAC tag bodies


def avcc(sps, pps):
    return bytes([1, sps[1], sps[2], sps[3], 0xFF, 0xE1]) + struct.pack(">H", len(sps)) + sps + \
        bytes([1]) + struct.pack(">H", len(pps)) + pps


def avc_body(keyframe, packet_type, payload, cts=0):
    return bytes([(1 if keyframe else 2) << 4 | 7, packet_type]) + cts.to_bytes(3, "big", signed=True) + payload


def nalus(*nals):
    return b"".join(u32(len(n)) + n for n in nals)


def aac_body(packet_type, payload):
    return bytes([0xAF, packet_type]) + payload  # AAC, 44 kHz flag, 16-bit, stereo


# H.264 SPS bit writer for absurd_sps.flv


class BitWriter:
    def __init__(self):
        self.bits = []

    def u(self, n, v):
        self.bits += [(v >> (n - 1 - i)) & 1 for i in range(n)]

    def ue(self, v):
        x = v + 1
        n = x.bit_length()
        self.u(n - 1, 0)
        self.u(n, x)

    def pos(self):
        return len(self.bits)

    def rbsp(self):
        bits = self.bits + [1]  # rbsp_stop_one_bit
        bits += [0] * (-len(bits) % 8)
        return bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))


def emulation_prevent(rbsp):
    """RBSP -> NAL payload; returns the bytes and a map rbsp index -> payload index."""
    out, where, zeros = bytearray(), [], 0
    for b in rbsp:
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        where.append(len(out))
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out), where


def absurd_sps(width_mbs_minus1):
    w = BitWriter()
    w.u(8, 0x67)  # forbidden_zero_bit 0, nal_ref_idc 3, nal_unit_type 7 (SPS)
    w.u(8, 66)  # profile_idc: Baseline
    w.u(8, 0xC0)  # constraint_set0/1 flags
    w.u(8, 10)  # level_idc 1.0, as the base stream
    w.ue(0)  # seq_parameter_set_id
    w.ue(0)  # log2_max_frame_num_minus4
    w.ue(2)  # pic_order_cnt_type
    w.ue(1)  # max_num_ref_frames
    w.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    field_bit = w.pos()
    w.ue(width_mbs_minus1)  # pic_width_in_mbs_minus1  <- the defect
    w.ue(0)  # pic_height_in_map_units_minus1 (16 px)
    w.u(1, 1)  # frame_mbs_only_flag
    w.u(1, 1)  # direct_8x8_inference_flag
    w.u(1, 0)  # frame_cropping_flag
    w.u(1, 0)  # vui_parameters_present_flag
    nal, where = emulation_prevent(w.rbsp())
    return nal, where[field_bit // 8], field_bit % 8


# ---------------------------------------------------------------------------------------------
# The base file and its one-defect variants


def build(variant=None):
    """Build the base file, letting `variant(flv, step)` replace or add tags at named steps.

    Returns (bytes, Flv). `variant` is called with the step name before each standard tag is
    written; it returns True if it wrote something in place of that tag.
    """
    f = Flv()

    def step(name, write):
        if variant is None or not variant(f, name):
            write()
        if variant is not None:
            variant(f, name + ":after")

    step("script", lambda: f.tag(TAG_SCRIPT, 0, METADATA))
    step("avc_seq", lambda: f.tag(TAG_VIDEO, 0, avc_body(True, 0, avcc(SPS, PPS))))
    step("aac_seq", lambda: f.tag(TAG_AUDIO, 0, aac_body(0, AAC_ASC)))
    step("idr", lambda: f.tag(TAG_VIDEO, 0, avc_body(True, 1, nalus(IDR))))
    step("aac0", lambda: f.tag(TAG_AUDIO, 0, aac_body(1, AAC_FRAME)))
    step("aac1", lambda: f.tag(TAG_AUDIO, 23, aac_body(1, AAC_FRAME)))
    step("p1", lambda: f.tag(TAG_VIDEO, 40, avc_body(False, 1, nalus(P1))))
    step("aac2", lambda: f.tag(TAG_AUDIO, 46, aac_body(1, AAC_FRAME)))
    step("p2", lambda: f.tag(TAG_VIDEO, 80, avc_body(False, 1, nalus(P2))))
    return f.bytes(), f


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    testdata = sys.argv[1] if len(sys.argv) > 1 else here
    out_dir = os.path.join(testdata, "hostile")
    os.makedirs(out_dir, exist_ok=True)

    files = {}  # name -> bytes
    facts = []  # manifest rows

    def add(name, data, defect, offset, tag_index=None, details=None):
        files[name] = data
        facts.append(
            {
                "file": name,
                "size": len(data),
                "defect": defect,
                "offset": offset,
                "tag_index": tag_index,
                "details": details or {},
            }
        )

    base, bf = build()
    t = bf.tags
    add("../hostile_base.flv", base, "none: the control every other file is derived from; must parse cleanly "
        "(9 tags: onMetaData, AVC seq header, AAC seq header, IDR, 2 AAC, P, AAC, P)",
        None, None, {"tag_offsets": [x["offset"] for x in t]})

    # not_flv.bin: deterministic text that is not an FLV.
    rng = random.Random(20240601)
    words = ["lorem", "ipsum", "muxkit", "packet", "not", "a", "flash", "video", "file", "tag",
             "header", "random", "bytes", "signature", "stream", "frame"]
    text = " ".join(rng.choice(words) for _ in range(180)) + "\n"
    text = "This is not an FLV file. " + text
    add("not_flv.bin", text.encode(), "no 'FLV' signature (starts with 'Thi')", 0)

    # truncated_header.flv: first 5 of the 9 header bytes.
    add("truncated_header.flv", base[:5], "file ends inside the 9-byte FLV header", 0, None,
        {"eof": 5, "header_len": 9})

    # truncated_body.flv: cut in the middle of the 3rd tag's body (tag index 2, the AAC seq header).
    t2 = t[2]
    cut = t2["body_offset"] + t2["size"] // 2
    add("truncated_body.flv", base[:cut],
        "file ends in the middle of the 3rd tag's body (tag index 2, AAC sequence header, "
        f"DataSize {t2['size']}, {cut - t2['body_offset']} body bytes present)",
        t2["offset"], 2, {"body_offset": t2["body_offset"], "data_size": t2["size"], "eof": cut})

    # datasize_past_end.flv: the IDR tag (index 3) claims DataSize 0xFFFFFF.
    t3 = t[3]
    d = bytearray(base)
    d[t3["offset"] + 1:t3["offset"] + 4] = u24(0xFFFFFF)
    add("datasize_past_end.flv", bytes(d),
        f"tag index 3 (IDR) says DataSize 16777215 (0xFFFFFF) but only "
        f"{len(base) - t3['body_offset']} bytes follow its header",
        t3["offset"] + 1, 3,
        {"tag_offset": t3["offset"], "data_size_field": t3["offset"] + 1, "claimed": 0xFFFFFF,
         "true_size": t3["size"], "file_len": len(base)})

    # bad_prev_tag_size.flv: the PreviousTagSize after tag index 3 is one too big.
    d = bytearray(base)
    good = 11 + t3["size"]
    d[t3["pts_offset"]:t3["pts_offset"] + 4] = u32(good + 1)
    add("bad_prev_tag_size.flv", bytes(d),
        f"PreviousTagSize after tag index 3 is {good + 1}, should be {good} (11 + DataSize)",
        t3["pts_offset"], 3, {"expected": good, "found": good + 1})

    # datasize_zero.flv: an extra video tag with DataSize 0 (correct PreviousTagSize 11) after the IDR.
    def zero(f, s):
        if s == "idr:after":
            zero.tag = f.tag(TAG_VIDEO, 0, b"")
        return False
    data, zf = build(zero)
    add("datasize_zero.flv", data,
        "a video tag (type 9) with DataSize 0 inserted as tag index 4; its PreviousTagSize (11) "
        "is correct. A reader must not index body[0]", zero.tag["offset"], 4,
        {"tag_offset": zero.tag["offset"], "tag_count": len(zf.tags)})

    # unknown_tag_type.flv: an extra tag of type 0x0A (4-byte body) after the IDR.
    def unknown(f, s):
        if s == "idr:after":
            unknown.tag = f.tag(0x0A, 0, b"MUXK")
        return False
    data, uf = build(unknown)
    add("unknown_tag_type.flv", data,
        "a tag of type 0x0A (not 8/9/18) with a 4-byte body 'MUXK' inserted as tag index 4; "
        "sizes correct, so a lenient reader can skip it", unknown.tag["offset"], 4,
        {"tag_offset": unknown.tag["offset"], "tag_type": 0x0A, "tag_count": len(uf.tags)})

    # Script-tag defects replace tag index 0 (onMetaData).
    def script_variant(body):
        def v(f, s):
            if s == "script":
                v.tag = f.tag(TAG_SCRIPT, 0, body)
                return True
            return False
        data, _ = build(v)
        return data, v.tag

    body = ON_METADATA + b"\x0a" + u32(0xFFFFFFFF)
    data, st = script_variant(body)
    marker = st["body_offset"] + len(ON_METADATA)
    add("amf_strict_array_huge.flv", data,
        "script tag: AMF0 'onMetaData', then strict array (0x0A) with count 0xFFFFFFFF and no "
        "elements; the tag body ends right after the count. Must fail without allocating for "
        "4 billion elements", marker, 0,
        {"count_offset": marker + 1, "body_end": st["body_offset"] + st["size"]})

    depth = 100_000
    body = ON_METADATA + (b"\x0a" + u32(1)) * depth + b"\x05"
    data, st = script_variant(body)
    first = st["body_offset"] + len(ON_METADATA)
    add("amf_deep.flv", data,
        f"script tag: AMF0 'onMetaData', then {depth} strict arrays of count 1 nested in each "
        "other, innermost value null (0x05). Must hit the AMF depth limit, not the stack. "
        "The array at nesting level k (1-based) starts at offset + 5*(k-1)", first, 0,
        {"depth": depth, "level_stride": 5, "innermost_null": first + 5 * depth})

    body = ON_METADATA + b"\x11\x06\x0a"
    data, st = script_variant(body)
    avm = st["body_offset"] + len(ON_METADATA)
    add("amf3_bad_ref.flv", data,
        "script tag: AMF0 'onMetaData', AVM+ marker 0x11, AMF3 string marker 0x06, U29 0x0A = "
        "reference to string table index 5 while the table is empty", avm + 2, 0,
        {"avmplus_marker": avm, "amf3_string_marker": avm + 1, "u29_ref": avm + 2, "ref_index": 5})

    # truncated_avcc.flv: the AVC sequence header (tag index 1) keeps only 7 avcC bytes.
    full = avcc(SPS, PPS)

    def short_avcc(f, s):
        if s == "avc_seq":
            short_avcc.tag = f.tag(TAG_VIDEO, 0, avc_body(True, 0, full[:7]))
            return True
        return False
    data, _ = build(short_avcc)
    at = short_avcc.tag
    avcc_off = at["body_offset"] + 5
    add("truncated_avcc.flv", data,
        "AVC sequence header (tag index 1) whose avcC is cut after 7 bytes (inside the first "
        "SPS length field); tag sizes are consistent, the tag body simply ends there",
        avcc_off + 7, 1,
        {"avcc_offset": avcc_off, "avcc_len": 7, "full_avcc_len": len(full),
         "tag_body_end": at["body_offset"] + at["size"]})

    # absurd_sps.flv: a well-formed avcC carrying an SPS with pic_width_in_mbs_minus1 = 2^20.
    sps, field_byte, field_bit = absurd_sps(1 << 20)

    def bad_sps(f, s):
        if s == "avc_seq":
            bad_sps.tag = f.tag(TAG_VIDEO, 0, avc_body(True, 0, avcc(sps, PPS)))
            return True
        return False
    data, _ = build(bad_sps)
    sps_off = bad_sps.tag["body_offset"] + 5 + 8  # tag body header 5, avcC up to the SPS 8
    add("absurd_sps.flv", data,
        "AVC sequence header (tag index 1) with a valid avcC whose SPS says "
        "pic_width_in_mbs_minus1 = 1048576 (2^20, i.e. 16.8 million pixels wide). Must be "
        "rejected (or reported) without allocating for that size",
        sps_off + field_byte, 1,
        {"sps_nal_offset": sps_off, "field_byte_in_sps": field_byte,
         "field_first_bit": field_bit, "bit_order": "0 = most significant",
         "value": 1 << 20})

    for name, data in files.items():
        with open(os.path.normpath(os.path.join(out_dir, name)), "wb") as fh:
            fh.write(data)

    with open(os.path.join(testdata, "hostile_defects.json"), "w") as fh:
        json.dump(facts, fh, indent=2)
        fh.write("\n")

    with open(os.path.join(out_dir, "README.md"), "w") as fh:
        fh.write(README_HEAD)
        fh.write("| file | size (B) | tag index | defect offset | the defect | other offsets |\n")
        fh.write("|---|---:|---:|---:|---|---|\n")
        for r in facts:
            off = "-" if r["offset"] is None else f"{r['offset']} (0x{r['offset']:x})"
            ti = "-" if r["tag_index"] is None else str(r["tag_index"])
            det = ", ".join(f"{k} {v}" for k, v in r["details"].items()) or "-"
            fh.write(f"| `{r['file']}` | {r['size']} | {ti} | {off} | {r['defect']} | {det} |\n")
        fh.write("\nBase file tag layout (offset of each tag's first byte, the TagType):\n\n")
        fh.write("| tag index | type | timestamp | offset | DataSize | PreviousTagSize at |\n")
        fh.write("|---:|---|---:|---:|---:|---:|\n")
        names = {8: "audio", 9: "video", 18: "script"}
        ts = [0, 0, 0, 0, 0, 23, 40, 46, 80]
        for x, tms in zip(t, ts):
            fh.write(f"| {x['index']} | {names[x['type']]} | {tms} | {x['offset']} | {x['size']} | "
                     f"{x['pts_offset']} |\n")


README_HEAD = """# Hostile FLV fixtures

Generated by `../make_hostile.py` (run by `../generate.sh`); do not edit by hand, and do not
edit the files: regenerate them. The same facts are in `../hostile_defects.json` for tests to
loop over (paths there are relative to this folder).

Every file here except this README is hostile. Every `.flv` here is `../hostile_base.flv` with
exactly one defect: header `FLV` version 1, flags 0x05, DataOffset 9, PreviousTagSize0 = 0,
StreamID 0, and every PreviousTagSize = 11 + DataSize, except where that is the defect.
`../hostile_base.flv` is the control, kept outside this folder: it must parse without error or
warning (ffprobe decodes its 3 video frames and 3 AAC frames cleanly).

**Defect offset** is the byte offset (from the start of the file) of the first byte of the
thing that is wrong, which is the offset an error message should name:

- tag-level defects (truncated tag, inserted zero-size / unknown tag): the tag's first byte
  (its TagType);
- a bad field (DataSize, PreviousTagSize): the field's first byte;
- AMF defects: the marker byte of the AMF value that cannot be read;
- codec-config defects: where the avcC runs out / the SPS field starts (bit offsets count from
  the most significant bit, 0..7).

"""


if __name__ == "__main__":
    main()
