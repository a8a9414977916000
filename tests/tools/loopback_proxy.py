"""What the test proxies (stranger.py's delay and swap, wire_proxy.py) share:
a listener on an ephemeral loopback port that the test learns from a file,
and closing both ends of a forwarded connection when either side ends."""
import os
import socket


def listen_on_loopback(port_file):
    """A listener on 127.0.0.1:0 whose port is written to port_file, which
    appears whole (renamed into place) so the test never reads half a number.
    accept() times out every 0.5 s so that the caller can watch its deadline."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.5)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    return listener


def shut_down(*sockets):
    """Ends both directions of each socket, so the peer of a forwarded
    connection sees it end too; a socket already closed is fine."""
    for s in sockets:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
