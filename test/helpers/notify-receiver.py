#!/usr/bin/env python3
"""A stand-in for systemd's notification socket (tests only): binds a Unix datagram socket (a path, or an abstract
name written @name), prints one JSON line per message with the sender's pid (SCM_CREDENTIALS), and, the moment a
message holds READY=1, tries to connect to the engine socket given as the second argument, so the test learns whether
the engine listened when it said it was ready. File descriptors passed along (systemd-notify's barrier) are closed,
which releases the sender."""
import array, json, socket, struct, sys, os

addr, probe = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\0' + addr[1:] if addr.startswith('@') else addr)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print(json.dumps({"bound": addr}), flush=True)
while True:
    data, anc, _flags, _ = s.recvmsg(65536, socket.CMSG_SPACE(256))
    pid = None
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', payload[:12])[0]
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array('i')
            fds.frombytes(payload[: len(payload) - len(payload) % 4])
            for fd in fds:
                os.close(fd)
    text = data.decode('utf-8', 'replace')
    out = {"pid": pid, "fields": dict(l.split('=', 1) for l in text.split('\n') if '=' in l)}
    if out["fields"].get("READY") == "1":
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect(probe)
            out["listening"] = True
        except OSError as e:
            out["listening"] = False
            out["error"] = str(e)
        finally:
            c.close()
    print(json.dumps(out), flush=True)
