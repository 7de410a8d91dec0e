#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_mux_frame: one valid frame of every type, a few carrier
byte streams of several frames (as the read loop sees them) and a few malformed frames,
one binary file each, into tests/fuzz/corpus/mux_frame/ (or the directory given)."""
import struct

from seed_writer import write_seeds

OPEN, OPEN_RESULT, DATA, WINDOW_UPDATE, FIN, RESET, PING, PONG, GOAWAY, DATAGRAM = range(1, 11)


def frame(ftype, stream, payload=b"", flags=0):
    return struct.pack(">BBHH", ftype, flags, stream, len(payload)) + payload


def ipv4(text, port):
    return b"\x01" + bytes(int(part) for part in text.split(".")) + struct.pack(">H", port)


def ipv6(raw16, port):
    return b"\x04" + raw16 + struct.pack(">H", port)


def domain(name, port):
    return b"\x03" + bytes([len(name)]) + name.encode() + struct.pack(">H", port)


def code_reason(code, reason=b""):
    return bytes([code]) + reason


V6 = bytes.fromhex("20010db8000000000000000000000001")
SEEDS = {
    "open_tcp_domain": frame(OPEN, 1, b"\x01" + domain("example.com", 443)),
    "open_udp_ipv6": frame(OPEN, 2, b"\x02" + ipv6(V6, 53)),
    "open_longest_domain": frame(OPEN, 65535, b"\x01" + domain("a" * 255, 80)),
    "open_result_ok": frame(OPEN_RESULT, 1, code_reason(0)),
    "open_result_refused": frame(OPEN_RESULT, 1, code_reason(2, b"connection refused")),
    "data": frame(DATA, 1, b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    "window_update": frame(WINDOW_UPDATE, 1, struct.pack(">I", 131072)),
    "fin": frame(FIN, 1),
    "reset_reason": frame(RESET, 7, code_reason(11, b"stalled \xc3\xa9")),
    "ping": frame(PING, 0, bytes(range(8))),
    "pong_flags": frame(PONG, 0, bytes(range(8)), flags=0x80),
    "goaway": frame(GOAWAY, 0, code_reason(1, b"protocol error")),
    "datagram_ipv4": frame(DATAGRAM, 3, ipv4("192.0.2.1", 53) + b"\x12\x34\x01\x00"),
    "datagram_empty": frame(DATAGRAM, 3, domain("dns.example", 53)),
    "stream_tcp_session": frame(OPEN, 1, b"\x01" + ipv4("198.51.100.7", 80))
    + frame(DATA, 1, b"hello") + frame(FIN, 1) + frame(OPEN_RESULT, 1, code_reason(0))
    + frame(WINDOW_UPDATE, 1, struct.pack(">I", 5)) + frame(FIN, 1),
    "stream_udp_session": frame(OPEN, 5, b"\x02" + ipv4("0.0.0.0", 0))
    + frame(DATAGRAM, 5, ipv6(V6, 443) + b"quic") + frame(RESET, 5, code_reason(10)),
    "stream_carrier": frame(PING, 0, b"\0" * 8) + frame(PONG, 0, b"\0" * 8)
    + frame(GOAWAY, 0, code_reason(0)),
    "stream_partial_tail": frame(FIN, 9) + frame(DATA, 9, b"abcdef")[:8],
    "bad_unknown_type": frame(11, 1, b"x"),
    "bad_open_atyp2": frame(OPEN, 1, b"\x01\x02" + bytes(6)),
    "bad_window_zero": frame(WINDOW_UPDATE, 1, bytes(4)),
    "bad_ping_stream": frame(PING, 1, bytes(8)),
    "auth_message": b"\x01\x00\x10" + bytes(range(32)) + bytes(16) + frame(DATA, 1, b"x"),
}


if __name__ == "__main__":
    write_seeds("mux_frame", SEEDS)
