#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_dns_query: a few valid queries and a few malformed
ones, one binary file each, into tests/fuzz/corpus/dns_query/ (or the directory given)."""
import struct

from seed_writer import write_seeds


def header(flags=0x0100, qd=1, an=0, ns=0, ar=0, ident=0x1234):
    return struct.pack(">HHHHHH", ident, flags, qd, an, ns, ar)


def name(text):
    out = b""
    for label in filter(None, text.split(".")):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def question(text, qtype=1):
    return name(text) + struct.pack(">HH", qtype, 1)


def opt(udp=1232, do=False, rdata=b""):
    return b"\0" + struct.pack(">HHIH", 41, udp, 0x8000 if do else 0, len(rdata)) + rdata


LONG = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
SEEDS = {
    "valid_a": header() + question("example.com"),
    "valid_aaaa_edns_do": header(ar=1) + question("www.example.com", 28) + opt(4096, True),
    "valid_root_ns": header() + question("", 2),
    "valid_mixed_case": header() + question("WwW.ExAmPlE.CoM"),
    "valid_ptr_v4": header() + question("1.0.18.198.in-addr.arpa", 12),
    "valid_ptr_v6": header() + question(".".join("1" + "0" * 29 + "df") + ".ip6.arpa", 12),
    "valid_max_name": header() + question(LONG),
    "valid_edns_cookie": header(ar=1) + question("example.org", 65)
    + opt(rdata=struct.pack(">HH", 10, 8) + bytes(range(8))),
    "bad_qdcount_2": header(qd=2) + question("a.example") + question("b.example"),
    "bad_self_pointer": header() + b"\xc0\x0c" + struct.pack(">HH", 1, 1),
    "bad_label_64": header() + b"\x40" + b"a" * 64 + b"\0" + struct.pack(">HH", 1, 1),
    "bad_trailing": header() + question("example.com") + b"\xde\xad",
    "bad_qr_set": header(flags=0x8180) + question("example.com"),
    "bad_opcode_update": header(flags=0x2800) + question("example.com"),
    "bad_opt_rdlength": header(ar=1) + question("example.com") + opt()[:-2] + b"\x00\x40",
}


if __name__ == "__main__":
    write_seeds("dns_query", SEEDS)
