"""Loopback forwarders into network namespaces: ``python -m tests.integration.netns_forward NS:PORT ...``.

For each ``NS:PORT``, a socket listening on 127.0.0.1:PORT *inside* the namespace ``NS`` (``ip netns``),
each connection relayed to 127.0.0.1:PORT of the namespace this process started in. A socket belongs to
the namespace its creator was in when it was made: the listening sockets are made after ``setns`` into
each namespace, then the process returns to its own, where the relays connect. So a process in ``NS``
reaches the host's local stack at the very URLs the host uses, and nothing listens beyond a loopback.

Prints ``ready`` once every socket listens; runs until killed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading


def relay(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def serve(listener: socket.socket, port: int) -> None:
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1", port))
        except OSError:
            client.close()
            continue
        threading.Thread(target=relay, args=(client, upstream), daemon=True).start()
        threading.Thread(target=relay, args=(upstream, client), daemon=True).start()


def main(pairs: list[str]) -> None:
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    listeners = []
    for pair in pairs:
        namespace, port = pair.rsplit(":", 1)
        target = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
        os.setns(target, os.CLONE_NEWNET)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", int(port)))
        listener.listen(128)
        os.setns(home, os.CLONE_NEWNET)
        os.close(target)
        listeners.append((listener, int(port)))
    for listener, port in listeners:
        threading.Thread(target=serve, args=(listener, port), daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1:])
