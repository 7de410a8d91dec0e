#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_dns_answer into tests/fuzz/corpus/dns_answer/ (or the
directory given): five setup bytes (question, client flags, cache delay, read size, DoH
status and content type; see dns_answer_fuzz.cpp), then an upstream's DNS-over-TCP stream
whose answers carry id 0, which the fuzzer turns into the id of the query it sent."""
import struct

from seed_writer import write_seeds

NAMES = ["example.com", "www.example.org", "", "a.b.c.d.e.f.g.h.test",
         "xn--bcher-kva.example", "_25._tcp.mail.example.net",
         ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61]), "localhost"]
TYPES = {"A": 1, "AAAA": 28, "HTTPS": 65, "TXT": 16, "MX": 15, "PTR": 12, "SOA": 6, "ANY": 255}
TYPE_INDEX = {name: i for i, name in enumerate(TYPES)}

# Client flag bits (setup byte 1).
EDNS, DO, CD, AD, RD, JOIN, MIXED_FIRST, MIXED_LATER = (1 << i for i in range(8))
# Answer header flags.
QR, AA, TC, F_RD, RA, F_AD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0020
POINTER = b"\xc0\x0c"  # the question's name


def setup(name, qtype, flags=RD, delay=0, chunk=0, doh=0):
    return bytes([NAMES.index(name) | TYPE_INDEX[qtype] << 3, flags, delay, chunk, doh])


def wire_name(text):
    out = b""
    for label in filter(None, text.split(".")):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def question(name, qtype):
    return wire_name(name) + struct.pack(">HH", TYPES[qtype], 1)


def rr(owner, rtype, ttl, rdata, rclass=1):
    return owner + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def opt(do=False):
    return b"\0" + struct.pack(">HHIH", 41, 1232, 0x8000 if do else 0, 0)


def soa(ttl=900, minimum=60):
    rdata = wire_name("ns.example") + wire_name("hostmaster.example")
    rdata += struct.pack(">IIIII", 2024010101, 7200, 3600, 1209600, minimum)
    return rr(wire_name("example"), 6, ttl, rdata)


def message(qname, qtype, flags=QR | F_RD | RA, rcode=0, an=(), ns=(), ar=(), ident=0,
            qd=None):
    body = question(qname, qtype) if qd is None else qd
    qdcount = 0 if qd == b"" else 1
    head = struct.pack(">HHHHHH", ident, flags | rcode, qdcount, len(an), len(ns), len(ar))
    return head + body + b"".join(an) + b"".join(ns) + b"".join(ar)


def frame(msg):
    return struct.pack(">H", len(msg)) + msg


A = lambda ip: bytes(int(x) for x in ip.split("."))
V6 = bytes.fromhex("20010db8000000000000000000000001")

SEEDS = {
    "a_edns": setup("example.com", "A", EDNS | RD, delay=10) + frame(
        message("example.com", "A", an=[rr(POINTER, 1, 300, A("93.184.216.34"))], ar=[opt()])),
    "aaaa_cname_expired": setup("www.example.org", "AAAA", RD, delay=120) + frame(
        message("www.example.org", "AAAA",
                an=[rr(POINTER, 5, 3600, wire_name("edge.example.net")),
                    rr(b"\xc0\x2d", 28, 60, V6)])),
    "https_nodata_soa": setup("example.com", "HTTPS", EDNS | RD, delay=30) + frame(
        message("example.com", "HTTPS", ns=[soa()], ar=[opt()])),
    "nxdomain_soa": setup("a.b.c.d.e.f.g.h.test", "A", RD | MIXED_FIRST, delay=5) + frame(
        message("a.b.c.d.e.f.g.h.test", "A", rcode=3, ns=[soa(ttl=30, minimum=3600)])),
    "servfail_no_question": setup("example.com", "MX") + frame(
        message("example.com", "MX", rcode=2, qd=b"")),
    "txt_0x20_bytewise": setup("www.example.org", "TXT", RD | MIXED_FIRST | MIXED_LATER,
                               delay=1, chunk=1) + frame(
        message("WwW.ExAmPlE.oRg", "TXT", an=[rr(POINTER, 16, 120, b"\x05hello")])),
    "mx_stray_then_answer": setup("_25._tcp.mail.example.net", "MX", RD, chunk=7)
    + frame(message("_25._tcp.mail.example.net", "MX", ident=1,
                    an=[rr(POINTER, 15, 60, b"\0\x0a" + wire_name("mx.example.net"))]))
    + frame(message("_25._tcp.mail.example.net", "MX",
                    an=[rr(POINTER, 15, 60, b"\0\x0a" + wire_name("mx.example.net"))])),
    "any_truncated": setup("localhost", "ANY", EDNS | DO | RD) + frame(
        message("localhost", "ANY", flags=QR | TC | F_RD | RA, ar=[opt(True)])),
    "root_soa_join_dnssec": setup("", "SOA", EDNS | DO | AD | RD | JOIN, delay=2) + frame(
        message("", "SOA", flags=QR | F_RD | RA | F_AD, an=[soa(ttl=86400)], ar=[opt(True)])),
    "other_question_then_eof": setup("example.com", "A") + frame(
        message("example.org", "A", an=[rr(POINTER, 1, 300, A("192.0.2.7"))])),
    "long_name_a_cd": setup(NAMES[6], "A", EDNS | CD | RD, delay=200) + frame(
        message(NAMES[6], "A", an=[rr(POINTER, 1, 250, A("192.0.2.8"))], ar=[opt()])),
    "partial_frame": setup("xn--bcher-kva.example", "PTR", RD) + frame(
        message("xn--bcher-kva.example", "PTR",
                an=[rr(POINTER, 12, 60, wire_name("host.example"))]))[:-5],
    "refused_with_question": setup("localhost", "TXT", RD, doh=1 << 2) + frame(
        message("localhost", "TXT", rcode=5)),
    "doh_404": setup("example.com", "A", RD, doh=2) + frame(
        message("example.com", "A", an=[rr(POINTER, 1, 30, A("192.0.2.9"))])),
    "doh_text_html": setup("example.com", "AAAA", RD, doh=6 << 2) + frame(
        message("example.com", "AAAA", an=[rr(POINTER, 28, 30, V6)])),
    "ttl_top_bit": setup("example.com", "A", RD, delay=1) + frame(
        message("example.com", "A", an=[rr(POINTER, 1, 0x80000010, A("192.0.2.10")),
                                         rr(POINTER, 1, 50, A("192.0.2.11"))])),
}


if __name__ == "__main__":
    write_seeds("dns_answer", SEEDS)
