#!/usr/bin/env python3
# Hostile clients of pressured's control socket, for the VM scenario 30 (run as an unprivileged user).
#
#   hostile-clients.py SOCKET N SECONDS STATS_FILE
#
# Keeps N connections open for SECONDS (or until SIGTERM), each with one role (by its index mod 10):
#   0-2  history readers: pipelined {"op":"history","since":0}, up to 4 unanswered, replies read
#   3-4  history hoarders: 8 pipelined history requests, then never a read
#   5-6  status readers: pipelined {"op":"status"}, up to 4 unanswered, replies read
#   7-8  subscribers that never read
#   9    garbage: random bytes, broken JSON lines, and a line longer than the daemon's 64 KiB limit
# A connection the daemon refuses (ECONNREFUSED, EAGAIN: its backlog or a per-uid cap) or closes is
# counted and tried again a second later. Every second STATS_FILE is rewritten with one JSON object of
# counts; nothing is printed, so nothing here can block on a slow terminal.
import errno, json, os, random, select, selectors, signal, socket, sys, time

path, n, seconds, stats_path = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
HISTORY = b'{"op":"history","since":0}\n'
STATUS = b'{"op":"status"}\n'
SUBSCRIBE = b'{"op":"subscribe"}\n'
stats = dict(connections=n, connected=0, connects=0, refused=0, closed_by_daemon=0, requests=0,
             replies=0, bytes_read=0, garbage_bytes=0, reconnect_errors={})
sel = selectors.DefaultSelector()
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)


class Conn:
    def __init__(self, i):
        self.i, self.role, self.sock, self.retry_at = i, i % 10, None, 0.0
        self.out, self.outstanding, self.sent_once = b"", 0, False

    def connect(self, now):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except OSError as e:
            s.close()
            stats["refused"] += 1
            key = errno.errorcode.get(e.errno, str(e.errno))
            stats["reconnect_errors"][key] = stats["reconnect_errors"].get(key, 0) + 1
            self.retry_at = now + 1.0
            return
        self.sock, self.out, self.outstanding, self.sent_once = s, b"", 0, False
        stats["connects"] += 1
        stats["connected"] += 1
        if self.role in (3, 4):
            self.out = HISTORY * 8
            stats["requests"] += 8
        elif self.role in (7, 8):
            self.out = SUBSCRIBE
            stats["requests"] += 1
        elif self.role == 9:
            junk = bytes(random.getrandbits(8) for _ in range(512))
            self.out = junk + b'\n{"op":\n{"op":"nope"}\n[1,2,3]\n\x00\xff\n' + b"x" * 70000 + b"\n"
            stats["garbage_bytes"] += len(self.out)
        sel.register(s, self.events(), self)

    def events(self):
        ev = 0
        if self.role in (0, 1, 2, 5, 6):
            ev |= selectors.EVENT_READ
            if self.outstanding < 4 or self.out:
                ev |= selectors.EVENT_WRITE
        elif self.out:
            ev |= selectors.EVENT_WRITE
        return ev

    def drop(self, now, by_daemon=True):
        if self.sock is None:
            return
        try:
            sel.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        self.sock.close()
        self.sock = None
        stats["connected"] -= 1
        if by_daemon:
            stats["closed_by_daemon"] += 1
        self.retry_at = now + 1.0

    def on_event(self, mask, now):
        if mask & selectors.EVENT_READ:
            try:
                data = self.sock.recv(262144)
            except BlockingIOError:
                data = None
            except OSError:
                self.drop(now)
                return
            if data == b"":
                self.drop(now)
                return
            if data:
                stats["bytes_read"] += len(data)
                k = data.count(b"\n")
                stats["replies"] += k
                self.outstanding = max(0, self.outstanding - k)
        if mask & selectors.EVENT_WRITE and self.sock is not None:
            if self.role in (0, 1, 2, 5, 6):
                while self.outstanding < 4:
                    self.out += HISTORY if self.role < 5 else STATUS
                    self.outstanding += 1
                    stats["requests"] += 1
            if self.out:
                try:
                    k = self.sock.send(self.out)
                    self.out = self.out[k:]
                except BlockingIOError:
                    pass
                except OSError:
                    self.drop(now)
                    return
        if self.sock is not None:
            ev = self.events()
            if ev:
                sel.modify(self.sock, ev, self)
            else:
                self._park()

    def _park(self):
        # Nothing more to send and nothing to read: leave the connection idle (unregistered) but open.
        try:
            sel.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        parked.append(self)


parked = []
conns = [Conn(i) for i in range(n)]
t0 = time.monotonic()
next_stats = 0.0
for c in conns:
    c.connect(t0)
while not stop and time.monotonic() - t0 < seconds:
    now = time.monotonic()
    for c in conns:
        if c.sock is None and c.retry_at <= now:
            c.connect(now)
    # Parked connections (nothing to send, never read): once a second, see whether the daemon closed
    # them. Their unread replies hide EOF from recv; POLLRDHUP/POLLHUP show it anyway.
    if now >= next_stats:
        p = select.poll()
        live = {}
        for c in parked:
            if c.sock is not None:
                p.register(c.sock.fileno(), select.POLLRDHUP)
                live[c.sock.fileno()] = c
        gone = [live[fd] for fd, ev in p.poll(0) if ev & (select.POLLRDHUP | select.POLLHUP | select.POLLERR)]
        for c in gone:
            c.drop(now)
        parked[:] = [c for c in parked if c.sock is not None]
        stats["elapsed_s"] = round(now - t0, 1)
        with open(stats_path + ".tmp", "w") as f:
            json.dump(stats, f)
        os.replace(stats_path + ".tmp", stats_path)
        next_stats = now + 1.0
    if not sel.get_map():
        time.sleep(0.1)
        continue
    for key, mask in sel.select(timeout=0.1):
        key.data.on_event(mask, now)
stats["elapsed_s"] = round(time.monotonic() - t0, 1)
with open(stats_path + ".tmp", "w") as f:
    json.dump(stats, f)
os.replace(stats_path + ".tmp", stats_path)
