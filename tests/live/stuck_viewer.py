"""A viewer that plays APP/STREAM and then never reads again: `stuck_viewer.py HOST:PORT APP/STREAM`.

Its receive buffer is small so the server's writes block soon. Prints "playing" once the
server said NetStream.Play.Start, then sleeps until killed."""
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
import rtmp_raw  # noqa: E402

addr, name = sys.argv[1], sys.argv[2]
app, stream = name.split("/", 1)
s = rtmp_raw.connect(addr, rcvbuf=4096)
rtmp_raw.handshake(s)
rtmp_raw.play(s, app, stream, addr)
seen = b""
while b"NetStream.Play.Start" not in seen:
    got = s.recv(4096)
    if not got:
        sys.exit("closed before Play.Start")
    seen += got
print("playing", flush=True)
while True:
    time.sleep(3600)
