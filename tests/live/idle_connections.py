"""Opens N TCP connections that send nothing: `idle_connections.py HOST:PORT N`.

Prints how many opened; when stdin closes, waits (up to 30 s) for the server to close them and
prints how many it closed."""
import resource
import selectors
import socket
import sys
import time

addr, n = sys.argv[1], int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
host, port = addr.rsplit(":", 1)
socks = []
for _ in range(n):
    try:
        s = socket.create_connection((host, int(port)), timeout=10)
    except OSError as e:
        print("connect failed after %d: %s" % (len(socks), e), file=sys.stderr)
        break
    socks.append(s)
print(len(socks), flush=True)
sys.stdin.read()
sel = selectors.DefaultSelector()
for s in socks:
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
closed = 0
deadline = time.time() + 30
while closed < len(socks) and time.time() < deadline:
    for key, _ in sel.select(timeout=1):
        s = key.fileobj
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            sel.unregister(s)
            s.close()
            closed += 1
print(closed, flush=True)
