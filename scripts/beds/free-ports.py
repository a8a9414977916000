#!/usr/bin/python3
"""Prints the first of N consecutive free TCP ports on 127.0.0.1 (default 1).

The ports lie below the kernel's ephemeral range, so that no other program's
outgoing connection can take one between this check and the caller's bind.
Used by the local launch scripts and the CLI tests, which start several jobs
side by side and must not pick the same or a busy port.
"""
import random
import socket
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(1000):
    base = random.randrange(10000, max(10001, low - count - 1))
    sockets = []
    try:
        for port in range(base, base + count):
            s = socket.socket()
            sockets.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        for s in sockets:
            s.close()
    print(base)
    sys.exit(0)
sys.exit(f"free-ports.py: no {count} consecutive free ports found below {low}")
