#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_mux_server: whole client conversations (after TLS) with
the 3-byte header the target reads first (flags, AUTH padding, chunking; see the comment at
the top of mux_server_fuzz.cpp), one binary file each, into tests/fuzz/corpus/mux_server/
(or the directory given). Targets are 127.255.255.x, the only addresses the target's policy
leaves; the port picks how the in-memory target behaves (port % 8: 0 refused, 1 echo,
2 sends port - 2 bytes and never reads, 3 never answers, 4 unreachable, 5 reads once and
closes, 6 closes at once, 7 times out), a name's last byte % 5 how it resolves;
127.255.255.7:4007 echoes datagrams."""
import pathlib
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from make_mux_frame_corpus import (  # noqa: E402  (the frame encoders, shared)
    DATA, DATAGRAM, FIN, GOAWAY, OPEN, PING, RESET, WINDOW_UPDATE, code_reason, domain,
    frame, ipv4, ipv6)
from seed_writer import write_seeds  # noqa: E402

# Header flags (byte 0).
WRONG_PROOF, NO_AUTH = 2, 3
SILENT, SMALL_WINDOWS, STRICT, FEW_STREAMS = 4, 8, 16, 32
CHUNKED, REPEATED = 1 << 6, 3 << 6

TCP, UDP = b"\x01", b"\x02"
ECHO = ipv4("127.255.255.1", 8001)
SINK = ipv4("127.255.255.1", 8002)  # sends 8000 bytes, never reads
HANGING = ipv4("127.255.255.1", 8003)
READ_ONCE = ipv4("127.255.255.1", 8005)
REFUSED = ipv4("127.255.255.1", 8000)
BIG_SINK = ipv4("127.255.255.1", 65530)  # sends 65528 bytes, never reads
UDP_ECHO = ipv4("127.255.255.7", 4007)


def header(flags=0, padding=0, chunking=0):
    return bytes([flags, padding, chunking])


def update(stream, increment):
    return frame(WINDOW_UPDATE, stream, struct.pack(">I", increment))


def ping(n):
    return frame(PING, 0, struct.pack(">Q", n))


def tcp_session(stream, target, payload=b"hello"):
    return frame(OPEN, stream, TCP + target) + frame(DATA, stream, payload) + frame(FIN, stream)


SEEDS = {
    "tcp_echo": header() + tcp_session(1, ECHO) + update(1, 65536) + ping(1),
    "tcp_domain": header(padding=200) + tcp_session(3, domain("echo.test", 8009)),
    "tcp_domain_unresolved": header() + tcp_session(3, domain("nowhere.invalid", 8001)),
    "tcp_ipv6_denied": header() + tcp_session(9, ipv6(bytes(15) + b"\x01", 8001)),
    "tcp_refused_then_reset": header() + tcp_session(2, REFUSED) + frame(RESET, 2, code_reason(10)),
    "pings": header() + ping(1) + ping(2) + ping(3),
    "sink_window_updates": header() + frame(OPEN, 1, TCP + SINK) + update(1, 4096)
    + update(1, 262144) + frame(FIN, 1) + frame(RESET, 1, code_reason(10, b"done")),
    "small_window_exceeded": header(SMALL_WINDOWS) + frame(OPEN, 1, TCP + HANGING)
    + frame(DATA, 1, bytes(3000)) + frame(DATA, 1, bytes(3000)) + frame(FIN, 1),
    "small_window_echo": header(SMALL_WINDOWS) + frame(OPEN, 1, TCP + ECHO)
    + frame(DATA, 1, bytes(range(256)) * 8) + frame(DATA, 1, bytes(2048)) + update(1, 8192)
    + frame(FIN, 1),
    "udp": header() + frame(OPEN, 5, UDP + ipv4("127.255.255.1", 0))
    + frame(DATAGRAM, 5, UDP_ECHO + b"datagram") + frame(DATAGRAM, 5, UDP_ECHO)
    + frame(DATAGRAM, 5, ipv4("127.255.255.9", 9) + b"lost")
    + frame(DATAGRAM, 5, domain("udp.test", 53) + b"\x12\x34"),  # no FIN: replies come
    "chunked": header(CHUNKED, 0, 6) + tcp_session(1, ECHO, b"split across records")
    + ping(7) + tcp_session(2, READ_ONCE),
    "few_streams": header(FEW_STREAMS) + b"".join(
        frame(OPEN, i, TCP + HANGING) for i in range(1, 7)) + frame(RESET, 6, code_reason(10)),
    "strict_policy": header(STRICT) + tcp_session(1, ECHO),
    "open_in_use": header() + frame(OPEN, 4, TCP + HANGING) + frame(OPEN, 4, TCP + ECHO),
    "goaway": header() + frame(OPEN, 1, TCP + ECHO) + frame(GOAWAY, 0, code_reason(0))
    + frame(DATA, 1, b"after goaway") + frame(FIN, 1),
    "wrong_proof": header(WRONG_PROOF, 5) + tcp_session(1, ECHO),
    "no_auth": header(NO_AUTH) + b"\x01\x00\x10" + bytes(48) + tcp_session(1, ECHO),
    # The window is read at once: it grows (the first PONG gave the round trip).
    "small_window_growth": header(SMALL_WINDOWS) + frame(OPEN, 1, TCP + ECHO)
    + frame(DATA, 1, bytes(4096)),
    # Three streams hold their window (their targets never answer: over the 8 KiB cap), a
    # fourth is read and its update withheld; the first breaks its window, its data goes,
    # and the withheld update must follow (written in 256-byte pieces, so the fourth is read
    # before the break arrives).
    "session_cap_release": header(SMALL_WINDOWS | CHUNKED, 0, 255) + b"".join(
        frame(OPEN, i, TCP + HANGING) + frame(DATA, i, bytes(4096)) for i in (1, 2, 3))
    + frame(OPEN, 4, TCP + ECHO) + frame(DATA, 4, bytes(4096))
    + b"".join(ping(i) for i in range(20)) + frame(DATA, 1, b"x"),
    # 12 streams of 64 KiB each to a client that never reads: writers wait for queue room.
    "sinks_unread": header(SILENT) + b"".join(frame(OPEN, i, TCP + BIG_SINK) for i in range(1, 13)),
    # 128 PINGs 2048 times, never read: 3.5 MiB of PONGs fill the queue past the read pause.
    "pings_unread": header(SILENT | REPEATED, 0, 11) + b"".join(ping(i) for i in range(128)),
}


if __name__ == "__main__":
    write_seeds("mux_server", SEEDS)
