#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_tun_packets into tests/fuzz/corpus/tun_packets/ (or the
directory given). Each seed is one option byte (bit 0: offloading device; bits 1-2:
max_half_open 255/1/2/8; bit 3: caps of 2 flows and 2 sessions; bits 4-5: MTU
9000/1500/1280/65535; bit 6: no DNS hijack), then records: a 2-byte big-endian length and
one IP packet, or a zero length for one tick of lwIP's timers. Checksums are computed (the
netstack does not check them, but the packets should be what a kernel sends). TCP ACK
numbers are relative to shunt's ISN (the fuzzer adds it once it saw the SYN-ACK)."""
import struct

from seed_writer import write_seeds

APP4, APP4B = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 3])
FAKE = bytes([198, 18, 0, 5])  # named.test in the fuzzer's table: echo on port % 4 == 0
DNS4 = bytes([198, 18, 0, 2])
APP6 = bytes.fromhex("fd000005000000000000000000000002")
FAR6 = bytes.fromhex("fd000005000000000000000000000009")

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
OFFLOAD, HALF_OPEN_1, SMALL_CAPS, MTU_1500, MTU_1280, MTU_65535, NO_HIJACK = (
    0x01, 0x02, 0x08, 0x10, 0x20, 0x30, 0x40)
TICK = b"\0\0"


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def pseudo(src, dst, proto, length):
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!IxxxB", length, proto)


def ipv4(src, dst, proto, payload, ident=1, frag=0x4000, options=b""):
    ihl = 5 + len(options) // 4
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + len(payload), ident, frag,
                         64, proto, 0, src, dst) + options
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def ipv6(src, dst, next_header, payload):
    return struct.pack("!IHBB", 0x60000000, len(payload), next_header, 64) + src + dst + payload


def ip(src, dst, proto, payload):
    return ipv4(src, dst, proto, payload) if len(src) == 4 else ipv6(src, dst, proto, payload)


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", options=b"", window=65535):
    offset = (20 + len(options)) // 4
    segment = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, window, 0,
                          0) + options + payload
    total = checksum(pseudo(src, dst, 6, len(segment)) + segment)
    return ip(src, dst, 6, segment[:16] + struct.pack("!H", total) + segment[18:])


SYN_OPTIONS = bytes([2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 1, 1])  # MSS 1460, WS 7, SACK ok


def udp(src, dst, sport, dport, payload):
    segment = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    total = checksum(pseudo(src, dst, 17, len(segment)) + segment) or 0xFFFF
    return ip(src, dst, 17, segment[:6] + struct.pack("!H", total) + segment[8:])


def echo_request(src, dst, ident=7, seq=1, data=b"ping" * 8):
    if len(src) == 4:
        message = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
        return ipv4(src, dst, 1, message[:2] + struct.pack("!H", checksum(message)) + message[4:])
    message = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + data
    total = checksum(pseudo(src, dst, 58, len(message)) + message)
    return ipv6(src, dst, 58, message[:2] + struct.pack("!H", total) + message[4:])


def dns_query(name, qtype=1):
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + labels + struct.pack("!HH",
                                                                                       qtype, 1)


def records(*packets):
    return b"".join(p if p == TICK else struct.pack("!H", len(p)) + p for p in packets)


def session(src, dst, dport, data, sport=40000):
    """A whole TCP connection: handshake, data, the echo acknowledged, FIN both ways."""
    n = len(data)
    return [
        tcp(src, dst, sport, dport, 1000, 0, SYN, options=SYN_OPTIONS),
        tcp(src, dst, sport, dport, 1001, 1, ACK),
        tcp(src, dst, sport, dport, 1001, 1, PSH | ACK, data),
        tcp(src, dst, sport, dport, 1001 + n, 1 + n, ACK),
        tcp(src, dst, sport, dport, 1001 + n, 1 + n, FIN | ACK),
        tcp(src, dst, sport, dport, 1002 + n, 2 + n, ACK),
    ]


def fragments(src, dst, proto, payload, first):
    """An IPv4 datagram in two fragments, `first` bytes (a multiple of 8) in the first."""
    return [ipv4(src, dst, proto, payload[:first], ident=77, frag=0x2000),
            ipv4(src, dst, proto, payload[first:], ident=77, frag=first // 8)]


def tcp_segment(src, dst, sport, dport, seq, ack, flags, options=b""):
    return tcp(src, dst, sport, dport, seq, ack, flags, options=options)[20:]


HTTP = b"GET / HTTP/1.1\r\nHost: named.test\r\n\r\n"
SEEDS = {
    "tcp_syn_v4": bytes([0]) + records(tcp(APP4, FAKE, 40000, 80, 1000, 0, SYN,
                                           options=SYN_OPTIONS)),
    "tcp_session_v4": bytes([0]) + records(*session(APP4, FAKE, 80, HTTP)),
    "tcp_session_v6": bytes([0]) + records(*session(APP6, FAR6, 8080, HTTP)),
    "tcp_app_reset": bytes([0]) + records(*session(APP4, FAKE, 80, HTTP)[:3],
                                          tcp(APP4, FAKE, 40000, 80, 1001 + len(HTTP), 0, RST)),
    "tcp_dial_fails": bytes([0]) + records(*session(APP4, FAKE, 81, b"x")[:3], TICK),
    "tcp_write_fails": bytes([0]) + records(*session(APP4, FAKE, 82, HTTP)[:3]),
    "tcp_server_closes": bytes([0]) + records(*session(APP4, FAKE, 83, HTTP)),
    "tcp_rules": bytes([0]) + records(
        *session(APP4, bytes([198, 18, 9, 9]), 80, b"unknown fake IP")[:2],
        *session(APP4, bytes([198, 18, 0, 6]), 443, b"ads", sport=40001)[:2],
        *session(APP4, bytes([198, 18, 0, 7]), 80, b"resolves", sport=40002)[:2],
        *session(APP4, bytes([203, 0, 113, 5]), 80, b"ip rule", sport=40003)[:2],
        *session(APP4, bytes([192, 0, 2, 1]), 8080, b"direct", sport=40004)[:3]),
    "tcp_syn_retransmitted": bytes([0]) + records(
        tcp(APP4, FAKE, 40000, 80, 1000, 0, SYN, options=SYN_OPTIONS), *([TICK] * 14)),
    "tcp_ip_options": bytes([0]) + records(ipv4(
        APP4, FAKE, 6, tcp_segment(APP4, FAKE, 40000, 80, 1000, 0, SYN, SYN_OPTIONS),
        options=bytes([1, 1, 1, 0]))),
    "half_open_cap": bytes([HALF_OPEN_1]) + records(
        tcp(APP4, FAKE, 40000, 80, 1000, 0, SYN, options=SYN_OPTIONS),
        tcp(APP4, FAKE, 40001, 80, 5000, 0, SYN, options=SYN_OPTIONS),
        tcp(APP4, FAKE, 40000, 80, 1000, 0, SYN, options=SYN_OPTIONS),
        tcp(APP4, FAKE, 40000, 80, 1001, 1, ACK),
        tcp(APP4, FAKE, 40001, 80, 5000, 0, SYN, options=SYN_OPTIONS)),
    # A SYN in fragments at the cap: lwIP reassembles TCP, so the guard must see it too.
    "half_open_cap_fragmented_syn": bytes([HALF_OPEN_1]) + records(
        tcp(APP4, FAKE, 40000, 80, 1000, 0, SYN, options=SYN_OPTIONS),
        *fragments(APP4, FAKE, 6, tcp_segment(APP4, FAKE, 40001, 80, 1000, 0, SYN,
                                              SYN_OPTIONS), 24)),
    # Options ending in a kind without its length byte: lwIP reads one byte further.
    "tcp_option_kind_at_end": bytes([0]) + records(
        tcp(APP4, FAKE, 40000, 80, 1000, 0, SYN, options=bytes([1, 1, 1, 0x60])),
        tcp(APP6, FAR6, 40001, 8080, 1000, 0, SYN, options=SYN_OPTIONS[:11] + bytes([2]))),
    "small_caps": bytes([SMALL_CAPS]) + records(
        *session(APP4, FAKE, 80, b"a", sport=40000)[:2],
        *session(APP4, FAKE, 80, b"b", sport=40001)[:2],
        *session(APP4, FAKE, 80, b"c", sport=40002)[:2],
        udp(APP4, FAKE, 5000, 4444, b"one"), udp(APP4, FAKE, 5001, 4444, b"two"),
        udp(APP4, FAKE, 5002, 4444, b"three")),
    "offload_gso": bytes([OFFLOAD | MTU_1500]) + records(
        *session(APP4, FAKE, 80, bytes(range(256)) * 16)),
    "offload_gso_v6": bytes([OFFLOAD | MTU_1280]) + records(
        *session(APP6, FAR6, 443 + 1, bytes(range(200)) * 15)),
    "mtu_65535_big_udp": bytes([MTU_65535]) + records(udp(APP4, FAKE, 5000, 4444, bytes(10000))),
    "udp_dns_v4": bytes([0]) + records(udp(APP4, DNS4, 5353, 53, dns_query("example.com"))),
    "udp_dns_v6": bytes([0]) + records(udp(APP6, FAR6, 5353, 53, dns_query("example.com", 28))),
    "udp_dns_not_hijacked": bytes([NO_HIJACK]) + records(
        udp(APP4, DNS4, 5353, 53, dns_query("example.com"))),
    "udp_flows": bytes([0]) + records(
        udp(APP4, FAKE, 5000, 4444, b"echo"), udp(APP4, FAKE, 5000, 4445, b"refused"),
        udp(APP4, FAKE, 5000, 4446, b"outbound fails"), udp(APP4, FAKE, 5000, 4446, b"again"),
        udp(APP6, FAR6, 5000, 4444, b"echo v6"), udp(APP4B, bytes([224, 0, 0, 251]), 5353,
                                                      5353, b"multicast")),
    "icmp_echo_v4": bytes([0]) + records(echo_request(APP4, FAKE),
                                         echo_request(APP4, bytes([8, 8, 8, 8]))),
    "icmp_echo_v6": bytes([0]) + records(echo_request(APP6, FAR6)),
    "fragments": bytes([0]) + records(
        *fragments(APP4, FAKE, 6, tcp_segment(APP4, FAKE, 40000, 80, 1000, 0, SYN,
                                              SYN_OPTIONS), 24),
        *fragments(APP4, FAKE, 17, udp(APP4, FAKE, 5000, 4444, bytes(40))[20:], 24),
        ipv6(APP6, FAR6, 44, bytes([17, 0, 0, 1, 0, 0, 0, 9]) + udp(APP6, FAR6, 5000, 4444,
                                                                   b"frag")[40:]),
        *([TICK] * 4)),
    "ipv6_hop_by_hop": bytes([0]) + records(ipv6(APP6, FAR6, 0, bytes([17, 0, 1, 4, 0, 0, 0, 0])
                                                 + udp(APP6, FAR6, 5000, 4444, b"hbh")[40:])),
}


if __name__ == "__main__":
    write_seeds("tun_packets", SEEDS)
