#!/usr/bin/python3
"""A TCP proxy between two ranks that records every byte it forwards and can
flip one byte on the way, to show what travels on the wire and whether
tampering is detected.

Usage: wire_proxy.py --target HOST:PORT --port-file F --record FILE
                     [--flip-after N] [--seconds S]
Listens on an ephemeral loopback port (written to --port-file), forwards each
accepted connection to --target, appends both directions to --record, and
with --flip-after N inverts the lowest bit of the N-th byte sent from the
connecting side. Exits after --seconds (a bounded helper: never a hang).
"""
import argparse
import socket
import threading
import time

from loopback_proxy import listen_on_loopback, shut_down

parser = argparse.ArgumentParser()
parser.add_argument("--target", required=True)
parser.add_argument("--port-file", required=True)
parser.add_argument("--record", required=True)
parser.add_argument("--flip-after", type=int, default=-1)
parser.add_argument("--seconds", type=float, default=120)
args = parser.parse_args()

host, port = args.target.rsplit(":", 1)
lock = threading.Lock()
record = open(args.record, "wb")
flipped = threading.Event()


def pump(src, dst, upstream):
    forwarded = 0
    try:
        while True:
            data = src.recv(1 << 16)
            if not data:
                break
            if upstream and args.flip_after >= 0 and not flipped.is_set() and forwarded + len(data) > args.flip_after:
                at = args.flip_after - forwarded
                data = data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]
                flipped.set()
                print(f"wire_proxy: flipped byte {args.flip_after} of the upstream stream", flush=True)
            forwarded += len(data)
            with lock:
                record.write(data)
                record.flush()
            dst.sendall(data)
    except OSError:
        pass
    finally:
        shut_down(src, dst)


listener = listen_on_loopback(args.port_file)

deadline = time.time() + args.seconds
while time.time() < deadline:
    try:
        client, _ = listener.accept()
    except socket.timeout:
        continue
    server = socket.create_connection((host, int(port)), timeout=10)
    server.settimeout(None)
    client.settimeout(None)
    threading.Thread(target=pump, args=(client, server, True), daemon=True).start()
    threading.Thread(target=pump, args=(server, client, False), daemon=True).start()
