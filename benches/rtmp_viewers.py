#!/usr/bin/env python3
"""benches/rtmp_viewers.py: many cheap RTMP viewers of one live stream (load generator).

    benches/rtmp_viewers.py rtmp://127.0.0.1:1935/live/s [--viewers N] [--seconds S] [--ramp-ms MS]

Each viewer does the RTMP simple handshake (C0/C1 with a zero time and zero version, S1 echoed
as C2), sends Window Acknowledgement Size and connect (AMF0, app and tcUrl from the URL), waits
for its _result, sends createStream, waits for the stream id (usually 1), then Set Buffer Length
and play(STREAM) on chunk stream 8. Until the play starts (onStatus NetStream.Play.Start, or
the first audio/video message) it parses chunks: enough to follow Set Chunk Size, Window
Acknowledgement Size and the command replies. From then on it parses nothing: it reads and
discards the bytes, counting them, and acknowledges by received byte count (an
Acknowledgement each half of the server's window, and every 5 s while bytes arrive, which also
answers nginx-rtmp's ping timeout, since any bytes from the client count there).

Standard library only (asyncio), so a thousand viewers cost little beside the server measured.

Output, on stdout, one line a second:
    t=SECS rate=BYTES_PER_S active5=A/N playing=P failed=F
(active5: viewers that received bytes in the last 5 s; playing: viewers whose play started;
failed: viewers refused or dropped), and at the end (after --seconds, or on SIGTERM/SIGINT):
    summary viewers=N playing=P failed=F active5=A bytes=TOTAL secs=S
Failures are printed to stderr (the first few, then a count).
"""

import argparse
import asyncio
import os
import signal
import struct
import sys
import time
from urllib.parse import urlparse

HANDSHAKE_SIZE = 1536
DEFAULT_WINDOW = 2_500_000
PERIODIC_ACK_S = 5.0


# ---- AMF0 encoding / minimal decoding ----

def amf_str(s):
    b = s.encode()
    return b"\x02" + struct.pack(">H", len(b)) + b


def amf_num(x):
    return b"\x00" + struct.pack(">d", float(x))


def amf_null():
    return b"\x05"


def amf_obj(d):
    out = b"\x03"
    for k, v in d.items():
        kb = k.encode()
        out += struct.pack(">H", len(kb)) + kb
        if isinstance(v, bool):
            out += b"\x01" + (b"\x01" if v else b"\x00")
        elif isinstance(v, (int, float)):
            out += amf_num(v)
        else:
            out += amf_str(v)
    return out + b"\x00\x00\x09"


def amf_decode_head(data):
    """Decode the leading values of an AMF0 command: name, transaction id and the first
    numbers after them. Stops at anything it does not need to understand."""
    vals = []
    i = 0
    while i < len(data) and len(vals) < 6:
        t = data[i]
        i += 1
        if t == 0x00:
            vals.append(struct.unpack(">d", data[i:i + 8])[0])
            i += 8
        elif t == 0x01:
            vals.append(bool(data[i]))
            i += 1
        elif t == 0x02:
            (n,) = struct.unpack(">H", data[i:i + 2])
            vals.append(data[i + 2:i + 2 + n].decode("utf-8", "replace"))
            i += 2 + n
        elif t in (0x05, 0x06):
            vals.append(None)
        elif t in (0x03, 0x08):
            # object / ECMA array: skip key-value pairs (values: number, bool, string, null)
            if t == 0x08:
                i += 4
            obj = {}
            while i + 3 <= len(data):
                (kl,) = struct.unpack(">H", data[i:i + 2])
                if kl == 0 and data[i + 2] == 0x09:
                    i += 3
                    break
                key = data[i + 2:i + 2 + kl].decode("utf-8", "replace")
                i += 2 + kl
                vt = data[i]
                i += 1
                if vt == 0x00:
                    obj[key] = struct.unpack(">d", data[i:i + 8])[0]
                    i += 8
                elif vt == 0x01:
                    obj[key] = bool(data[i])
                    i += 1
                elif vt == 0x02:
                    (n,) = struct.unpack(">H", data[i:i + 2])
                    obj[key] = data[i + 2:i + 2 + n].decode("utf-8", "replace")
                    i += 2 + n
                elif vt in (0x05, 0x06):
                    obj[key] = None
                else:
                    return vals + [obj]
            vals.append(obj)
        else:
            break
    return vals


# ---- RTMP chunk writing (fmt 0, then fmt 3 continuation chunks of 128 bytes) ----

def chunk_message(csid, mtype, msid, payload, timestamp=0, chunk_size=128):
    hdr = bytes([csid & 0x3F]) + struct.pack(">I", timestamp)[1:] + struct.pack(">I", len(payload))[1:]
    hdr += bytes([mtype]) + struct.pack("<I", msid)
    out = [hdr, payload[:chunk_size]]
    for off in range(chunk_size, len(payload), chunk_size):
        out.append(bytes([0xC0 | (csid & 0x3F)]))
        out.append(payload[off:off + chunk_size])
    return b"".join(out)


def ack_message(seq):
    return chunk_message(2, 3, 0, struct.pack(">I", seq & 0xFFFFFFFF))


class Stats:
    def __init__(self, n):
        self.n = n
        self.total = 0
        self.playing = 0
        self.failed = 0
        self.errors_shown = 0
        self.viewers = []


class Viewer(asyncio.Protocol):
    """One viewer. States: 'hs' (waiting for S0 S1 S2), 'setup' (parsing chunks until the
    createStream reply), 'wait_play' (play sent; parsing until NetStream.Play.Start or the
    first audio/video message), 'play' (counting bytes, acknowledging them)."""

    def __init__(self, args, stats, done):
        self.a = args
        self.st = stats
        self.done = done
        self.buf = bytearray()
        self.state = "hs"
        self.transport = None
        self.received = 0  # bytes received after the handshake (the ack sequence number)
        self.last_ack = 0
        self.window = DEFAULT_WINDOW
        self.last_data = 0.0  # monotonic time of the last bytes received
        self.in_chunk = 128
        self.cs = {}  # csid -> [timestamp, length, type, msid, partial payload]
        self.stream_id = 1
        self.failed = False
        self.closing = False  # set when this side closes at the end of the run

    # -- asyncio.Protocol --
    def connection_made(self, transport):
        self.transport = transport
        c1 = bytes(8) + os.urandom(HANDSHAKE_SIZE - 8)
        transport.write(b"\x03" + c1)

    def data_received(self, data):
        self.last_data = time.monotonic()
        if self.state == "play":
            n = len(data)
            self.received += n
            self.st.total += n
            if self.received - self.last_ack >= self.window // 2:
                self.ack()
            return
        if self.state != "hs":
            self.setup_bytes(data)
            return
        self.buf += data
        need = 1 + 2 * HANDSHAKE_SIZE
        if len(self.buf) < need:
            return
        s1 = bytes(self.buf[1:1 + HANDSHAKE_SIZE])
        rest = bytes(self.buf[need:])
        self.buf = bytearray()
        self.state = "setup"
        self.transport.write(s1)  # C2 = S1
        self.send_connect()
        if rest:
            self.setup_bytes(rest)

    def connection_lost(self, exc):
        if not self.failed and not self.closing:
            self.fail("connection closed by the server (state %s)%s" % (self.state, ": %s" % exc if exc else ""))
        if not self.done.done():
            self.done.set_result(None)

    # -- helpers --
    def fail(self, why):
        if self.failed:
            return
        self.failed = True
        self.st.failed += 1
        if self.st.errors_shown < 5:
            self.st.errors_shown += 1
            print("viewer: %s" % why, file=sys.stderr, flush=True)
        if self.transport is not None:
            self.transport.close()

    def ack(self):
        self.last_ack = self.received
        self.transport.write(ack_message(self.received))

    def command(self, csid, msid, *values):
        self.transport.write(chunk_message(csid, 20, msid, b"".join(values)))

    def send_connect(self):
        # Window Acknowledgement Size from our side too (what FFmpeg and OBS send).
        self.transport.write(chunk_message(2, 5, 0, struct.pack(">I", 2_500_000)))
        self.command(3, 0, amf_str("connect"), amf_num(1), amf_obj({
            "app": self.a.app,
            "flashVer": "LNX 9,0,124,2",
            "tcUrl": self.a.tc_url,
            "fpad": False,
            "capabilities": 15,
            "audioCodecs": 4071,
            "videoCodecs": 252,
            "videoFunction": 1,
        }))

    def setup_bytes(self, data):
        """Parse chunks (states setup and wait_play) until the play starts."""
        self.received += len(data)
        self.st.total += len(data)
        self.buf += data
        buf = self.buf
        pos = 0
        while self.state in ("setup", "wait_play"):
            start = pos
            if len(buf) - pos < 1:
                break
            b0 = buf[pos]
            fmt = b0 >> 6
            csid = b0 & 0x3F
            pos += 1
            if csid == 0:
                if len(buf) - pos < 1:
                    pos = start
                    break
                csid = 64 + buf[pos]
                pos += 1
            elif csid == 1:
                if len(buf) - pos < 2:
                    pos = start
                    break
                csid = 64 + buf[pos] + 256 * buf[pos + 1]
                pos += 2
            hlen = (11, 7, 3, 0)[fmt]
            if len(buf) - pos < hlen:
                pos = start
                break
            prev = self.cs.get(csid, [0, 0, 0, 0, b""])
            ts_field = None
            if fmt <= 2:
                ts_field = int.from_bytes(buf[pos:pos + 3], "big")
            if fmt <= 1:
                prev[1] = int.from_bytes(buf[pos + 3:pos + 6], "big")
                prev[2] = buf[pos + 6]
                if prev[2] in (8, 9) and self.state == "wait_play":
                    # Media before (or without) NetStream.Play.Start: the play has started;
                    # count from here on without parsing.
                    pos = start
                    self.start_playing()
                    break
            if fmt == 0:
                prev[3] = int.from_bytes(buf[pos + 7:pos + 11], "little")
            pos += hlen
            if ts_field == 0xFFFFFF:
                if len(buf) - pos < 4:
                    pos = start
                    break
                pos += 4
            partial = prev[4]
            take = min(self.in_chunk, prev[1] - len(partial))
            if len(buf) - pos < take:
                pos = start
                break
            partial += bytes(buf[pos:pos + take])
            pos += take
            if len(partial) >= prev[1]:
                prev[4] = b""
                self.cs[csid] = prev
                self.on_message(prev[2], prev[3], partial)
            else:
                prev[4] = partial
                self.cs[csid] = prev
        # In state play, whatever is left is media: it is counted already and dropped.
        self.buf = bytearray() if self.state == "play" else bytearray(buf[pos:])
        if self.state == "play" and self.received - self.last_ack >= self.window // 2:
            self.ack()

    def start_playing(self):
        self.state = "play"
        self.st.playing += 1

    def on_message(self, mtype, msid, payload):
        if mtype == 1 and len(payload) >= 4:
            self.in_chunk = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
        elif mtype == 5 and len(payload) >= 4:
            self.window = max(1, struct.unpack(">I", payload[:4])[0])
        elif mtype == 20:
            vals = amf_decode_head(payload)
            if len(vals) < 2:
                return
            name, txn = vals[0], vals[1]
            if name == "onStatus" and len(vals) >= 4 and isinstance(vals[3], dict):
                info = vals[3]
                if info.get("level") == "error":
                    self.fail("play refused: %s (%s)" % (info.get("code"), info.get("description", "")))
                elif info.get("code") == "NetStream.Play.Start" and self.state == "wait_play":
                    self.start_playing()
                return
            if name == "_error":
                what = {1: "connect", 2: "createStream"}.get(txn, "play")
                info = vals[3] if len(vals) >= 4 and isinstance(vals[3], dict) else {}
                self.fail("%s refused: %s (%s)" % (what, info.get("code", "_error"), info.get("description", "")))
                return
            if name != "_result":
                return
            if txn == 1:
                self.command(3, 0, amf_str("createStream"), amf_num(2), amf_null())
            elif txn == 2:
                if len(vals) >= 4 and isinstance(vals[3], float):
                    self.stream_id = int(vals[3])
                sid = self.stream_id
                # Set Buffer Length (user control 3) as players do, then play.
                self.transport.write(chunk_message(2, 4, 0, struct.pack(">HII", 3, sid, 3000)))
                self.command(8, sid, amf_str("play"), amf_num(0), amf_null(), amf_str(self.a.stream), amf_num(-2000))
                self.state = "wait_play"


async def run_viewer(loop, args, stats):
    done = loop.create_future()
    v = Viewer(args, stats, done)
    stats.viewers.append(v)
    try:
        await asyncio.wait_for(loop.create_connection(lambda: v, args.host, args.port), 10)
    except Exception as e:  # noqa: BLE001 (report any connect failure)
        v.fail("connect to %s:%d failed: %s" % (args.host, args.port, e))
        return
    await done


async def main_async(args):
    loop = asyncio.get_running_loop()
    stats = Stats(args.viewers)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    t0 = time.monotonic()

    tasks = set()

    async def ramp():
        for i in range(args.viewers):
            if stop.is_set():
                return
            task = loop.create_task(run_viewer(loop, args, stats))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            if args.ramp_ms > 0:
                await asyncio.sleep(args.ramp_ms / 1000)

    async def ticker():
        last_total = 0
        last_t = t0
        last_periodic = t0
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
            now = time.monotonic()
            periodic = now - last_periodic >= PERIODIC_ACK_S
            if periodic:
                last_periodic = now
            active = 0
            for v in stats.viewers:
                if v.state == "play" and not v.failed:
                    if now - v.last_data <= 5.0:
                        active += 1
                    if periodic and v.received != v.last_ack and v.transport is not None \
                            and not v.transport.is_closing():
                        v.ack()
            rate = (stats.total - last_total) / max(now - last_t, 1e-6)
            last_total, last_t = stats.total, now
            print("t=%.0f rate=%.0f active5=%d/%d playing=%d failed=%d"
                  % (now - t0, rate, active, args.viewers, stats.playing, stats.failed), flush=True)
            if args.seconds and now - t0 >= args.seconds:
                stop.set()
        return active

    ramp_task = loop.create_task(ramp())
    active = await ticker()
    ramp_task.cancel()
    secs = time.monotonic() - t0
    for v in stats.viewers:
        v.closing = True
        if v.transport is not None:
            v.transport.abort()
    print("summary viewers=%d playing=%d failed=%d active5=%d bytes=%d secs=%.1f"
          % (args.viewers, stats.playing, stats.failed, active, stats.total, secs), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("url", help="rtmp://host[:port]/APP/STREAM")
    p.add_argument("--viewers", type=int, default=10)
    p.add_argument("--seconds", type=float, default=0, help="stop after this long (0: until SIGTERM)")
    p.add_argument("--ramp-ms", type=float, default=10, help="milliseconds between starting viewers")
    args = p.parse_args()
    u = urlparse(args.url)
    if u.scheme != "rtmp" or not u.hostname:
        p.error("URL must be rtmp://host[:port]/APP/STREAM")
    parts = u.path.lstrip("/").split("/", 1)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        p.error("URL must name an app and a stream: rtmp://host[:port]/APP/STREAM")
    args.host, args.port = u.hostname, u.port or 1935
    args.app, args.stream = parts
    if u.query:
        args.stream += "?" + u.query
    args.tc_url = "rtmp://%s:%d/%s" % (args.host, args.port, args.app)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
