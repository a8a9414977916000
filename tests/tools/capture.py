#!/usr/bin/python3
"""Records every frame seen on one network interface (an AF_PACKET socket, as
root), appending the raw frames to a file, until SIGTERM or --seconds pass.
For the tests that look for plaintext on the wire between test-bed hosts.

Usage: capture.py IFACE OUT_FILE [--seconds S] [--ready FILE]
--ready: a file written once the socket listens (so the job starts after).
"""
import argparse
import signal
import socket
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("iface")
parser.add_argument("out")
parser.add_argument("--seconds", type=float, default=300)
parser.add_argument("--ready")
args = parser.parse_args()

ETH_P_ALL = 0x0003
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
s.bind((args.iface, 0))
s.settimeout(0.2)
stop = False


def end(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, end)
signal.signal(signal.SIGINT, end)
if args.ready:
    open(args.ready, "w").write("ready\n")
frames = 0
deadline = time.time() + args.seconds
with open(args.out, "wb") as out:
    while not stop and time.time() < deadline:
        try:
            frame = s.recv(1 << 16)
        except socket.timeout:
            continue
        out.write(frame)
        frames += 1
print(f"capture: {frames} frames on {args.iface}", file=sys.stderr)
