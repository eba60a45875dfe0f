"""A bare RTMP client for tests: simple handshake, AMF0 commands, 128-byte chunks."""
import os
import socket
import struct


def amf_string(s):
    b = s.encode()
    return b"\x02" + struct.pack(">H", len(b)) + b


def amf_number(n):
    return b"\x00" + struct.pack(">d", n)


def amf_object(pairs):
    out = b"\x03"
    for k, v in pairs:
        kb = k.encode()
        out += struct.pack(">H", len(kb)) + kb + v
    return out + b"\x00\x00\x09"


AMF_NULL = b"\x05"


def chunks(csid, type_id, stream_id, payload, size=128):
    """One message as type-0 then type-3 chunks."""
    out = bytes([csid]) + b"\x00\x00\x00" + struct.pack(">I", len(payload))[1:] + bytes([type_id])
    out += struct.pack("<I", stream_id)
    for i in range(0, len(payload), size):
        if i:
            out += bytes([0xC0 | csid])
        out += payload[i:i + size]
    return out


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        got = s.recv(n - len(b))
        if not got:
            raise ConnectionError("closed during the handshake")
        b += got
    return b


def handshake(s):
    c1 = b"\x00" * 8 + os.urandom(1528)
    s.sendall(b"\x03" + c1)
    s0s1 = recv_exact(s, 1537)
    recv_exact(s, 1536)
    s.sendall(s0s1[1:])


def play(s, app, stream, host):
    """connect, createStream, play: what a player sends."""
    connect = amf_string("connect") + amf_number(1) + amf_object([
        ("app", amf_string(app)),
        ("tcUrl", amf_string("rtmp://%s/%s" % (host, app))),
        ("flashVer", amf_string("LNX 9,0,124,2")),
    ])
    s.sendall(chunks(3, 20, 0, connect))
    s.sendall(chunks(3, 20, 0, amf_string("createStream") + amf_number(2) + AMF_NULL))
    s.sendall(chunks(8, 20, 1, amf_string("play") + amf_number(3) + AMF_NULL + amf_string(stream)
                     + amf_number(-2)))


def connect(addr, rcvbuf=None):
    host, port = addr.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((host, int(port)))
    return s
