#!/usr/bin/python3
"""Someone else on the job's network, for the tests of what a rank's port
tolerates (tests/cli/strangers.sh). Bounded: every mode exits after --seconds.

scan --target HOST:PORT --seconds S
    Tries to connect until the port listens, then, every 20 ms until S has
    passed, makes a burst: a connection closed at once, one sending an HTTP
    request, one sending a ringsim greeting of another job (rank 1, a random
    job id), and one that stays open and silent. Prints the bursts made.
delay --target HOST:PORT --port-file F --delay D --seconds S
    A proxy in front of a rank that holds each connection D seconds before
    forwarding it untouched: the real peers arrive late, so a scanner's
    connections are certain to reach the rank while it accepts.
flood --target HOST:PORT --count N --seconds S
    Tries to connect until the port listens, then opens silent connections
    as fast as it can and holds each for 10 s, up to N open at once (its own
    descriptor limit raised to fit), until S has passed. Prints the most it
    held at once and the connections made.
swap --target HOST:PORT --port-file F --ranks A,B --seconds S
    A proxy in front of a rank: listens on an ephemeral loopback port
    (written to F), accepts two connections, reads each one's 24-byte
    greeting, gives A's connection B's rank and B's A's (the plaintext
    greeting is all it can touch), and then forwards each to the target
    untouched: the streams of ranks A and B arrive swapped.
"""
import argparse
import os
import signal
import socket
import struct
import threading
import time

from loopback_proxy import listen_on_loopback, shut_down

parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["scan", "swap", "delay", "flood"])
parser.add_argument("--count", type=int, default=600)
parser.add_argument("--target", required=True)
parser.add_argument("--port-file")
parser.add_argument("--ranks", default="1,2")
parser.add_argument("--seconds", type=float, default=30)
parser.add_argument("--delay", type=float, default=1.5)
args = parser.parse_args()
host, port = args.target.rsplit(":", 1)
target = (host, int(port))
deadline = time.time() + args.seconds


def wait_for_listener():
    """Returns once the target accepts a connection (or at the deadline)."""
    while time.time() < deadline:
        try:
            socket.create_connection(target, timeout=1).close()
            return
        except OSError:
            time.sleep(0.001)


def scan():
    wait_for_listener()
    idle = []
    bursts = 0
    while time.time() < deadline:
        try:
            socket.create_connection(target, timeout=1).close()
            s = socket.create_connection(target, timeout=1)
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            s.close()
            s = socket.create_connection(target, timeout=1)
            s.sendall(b"RSIM" + struct.pack("=i", 1) + os.urandom(16))
            idle.append(s)
            idle.append(socket.create_connection(target, timeout=1))
            bursts += 1
        except OSError:
            pass  # the rank may be done with its port
        idle = idle[-40:]
        time.sleep(0.02)
    print(f"stranger: {bursts} bursts", flush=True)


def flood():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.count + 64)), hard))
    wait_for_listener()
    held = []  # (socket, opened at)
    made = most = 0

    def report(*_):
        print(f"stranger: held up to {most} silent connections at once, {made} made", flush=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, report)  # the test ends it when the job is done
    while time.time() < deadline:
        now = time.time()
        while held and now - held[0][1] > 10:
            held.pop(0)[0].close()
        if len(held) >= args.count:
            time.sleep(0.01)
            continue
        try:
            held.append((socket.create_connection(target, timeout=1), now))
            made += 1
            most = max(most, len(held))
        except OSError:
            time.sleep(0.01)  # the rank may be done with its port
    report()


def pump(src, dst):
    try:
        while True:
            data = src.recv(1 << 16)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        shut_down(src, dst)


def read_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


def delay():
    listener = listen_on_loopback(args.port_file)

    def forward(client):
        time.sleep(args.delay)
        try:
            server = socket.create_connection(target, timeout=10)
        except OSError:
            client.close()
            return
        server.settimeout(None)
        client.settimeout(None)
        threading.Thread(target=pump, args=(client, server), daemon=True).start()
        threading.Thread(target=pump, args=(server, client), daemon=True).start()

    while time.time() < deadline:
        try:
            client, _ = listener.accept()
        except socket.timeout:
            continue
        threading.Thread(target=forward, args=(client,), daemon=True).start()


def swap():
    a, b = (int(r) for r in args.ranks.split(","))
    listener = listen_on_loopback(args.port_file)
    clients = {}
    while len(clients) < 2 and time.time() < deadline:
        try:
            client, _ = listener.accept()
        except socket.timeout:
            continue
        client.settimeout(10)
        greeting = read_exact(client, 24)
        rank = struct.unpack("=i", greeting[4:8])[0]
        clients[rank] = (client, greeting)
    if set(clients) != {a, b}:
        print(f"stranger: expected ranks {a} and {b}, saw {sorted(clients)}", flush=True)
        return
    for rank, other in ((a, b), (b, a)):
        client, greeting = clients[rank]
        server = socket.create_connection(target, timeout=10)
        server.sendall(greeting[:4] + struct.pack("=i", other) + greeting[8:])
        client.settimeout(None)
        server.settimeout(None)
        threading.Thread(target=pump, args=(client, server), daemon=True).start()
        threading.Thread(target=pump, args=(server, client), daemon=True).start()
    print(f"stranger: swapped ranks {a} and {b}", flush=True)
    while time.time() < deadline:
        time.sleep(0.2)


{"scan": scan, "swap": swap, "delay": delay, "flood": flood}[args.mode]()
