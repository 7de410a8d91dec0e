#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_socks5_client into tests/fuzz/corpus/socks5_client/ (or
the directory given): one byte choosing shunt's request (bits 0-1: CONNECT to a domain, to
IPv4, to IPv6, UDP ASSOCIATE; bit 2: username/password; bit 3: a name too long to send),
then the SOCKS5 server's replies and whatever it relays after them."""

from seed_writer import write_seeds

DOMAIN, IPV4, IPV6, UDP = 0, 1, 2, 3
PASSWORD, TOO_LONG = 4, 8

NO_AUTH = bytes([5, 0])
WANT_PASSWORD = bytes([5, 2])
AUTH_OK = bytes([1, 0])


def reply(code=0, address=bytes([1, 127, 0, 0, 1]), port=8080):
    return bytes([5, code, 0]) + address + port.to_bytes(2, "big")


V6 = bytes([4]) + bytes.fromhex("20010db8000000000000000000000002")
NAME = bytes([3, 9]) + b"proxy.lan"

SEEDS = {
    "connect_domain": bytes([DOMAIN]) + NO_AUTH + reply() + b"HTTP/1.1 200 OK\r\n",
    "connect_ipv4_password": bytes([IPV4 | PASSWORD]) + WANT_PASSWORD + AUTH_OK + reply(),
    "connect_ipv6_bound_v6": bytes([IPV6]) + NO_AUTH + reply(address=V6, port=443),
    "connect_bound_domain": bytes([DOMAIN | PASSWORD]) + NO_AUTH + reply(address=NAME) + b"x",
    "udp_associate": bytes([UDP]) + NO_AUTH + reply(address=bytes([1, 192, 0, 2, 9]), port=1080),
    "udp_associate_password": bytes([UDP | PASSWORD]) + WANT_PASSWORD + bytes([5, 0])
    + reply(address=bytes([1, 0, 0, 0, 0]), port=0),
    "auth_failed": bytes([IPV4 | PASSWORD]) + WANT_PASSWORD + bytes([1, 1]),
    "no_acceptable_method": bytes([DOMAIN]) + bytes([5, 0xFF]),
    "method_not_offered": bytes([DOMAIN]) + WANT_PASSWORD,
    "connection_refused": bytes([IPV6]) + NO_AUTH + reply(code=5, address=bytes([1, 0, 0, 0, 0]),
                                                         port=0),
    "domain_too_long": bytes([DOMAIN | TOO_LONG]) + NO_AUTH,
    "username_too_long": bytes([IPV4 | PASSWORD | TOO_LONG]) + WANT_PASSWORD,
    "truncated_reply": bytes([IPV4]) + NO_AUTH + reply()[:6],
    "closed_after_greeting": bytes([DOMAIN]),
    "bad_version": bytes([IPV4]) + bytes([4, 0]),
    "udp_datagram_ipv4": bytes([UDP]) + bytes([0, 0, 0, 1, 8, 8, 8, 8, 0, 53]) + b"dns-payload",
    "udp_datagram_domain": bytes([UDP]) + bytes([0, 0, 0, 3, 11]) + b"example.com"
    + (443).to_bytes(2, "big") + b"quic",
    "udp_datagram_fragment": bytes([UDP]) + bytes([0, 0, 1, 4]) + bytes(16) + bytes([0, 53]),
}


if __name__ == "__main__":
    write_seeds("socks5_client", SEEDS)
