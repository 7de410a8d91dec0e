#!/usr/bin/env python3
"""Writes shunt's man pages from what already documents it, so they never drift:

  shunt(8)       from the binary's own help texts (`shunt --help`, `shunt CMD --help`)
  shunt.toml(5)  from examples/full.toml, where every key stands with its default and the
                 comment above it (a unit test keeps that file complete)

usage: make_man_pages.py SHUNT_BINARY FULL_TOML OUT_DIR VERSION
Writes OUT_DIR/shunt.8.gz and OUT_DIR/shunt.toml.5.gz (gzip -n: reproducible).
"""
import gzip
import re
import subprocess
import sys
from pathlib import Path

COMMANDS = ["run", "check", "cleanup", "mux-server", "version"]


def escape(text):
    """Text as roff reads it: backslashes doubled, a leading dot or quote neutralised."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def help_text(binary, *args):
    result = subprocess.run([binary, *args, "--help"], capture_output=True, text=True, check=True)
    return result.stdout.rstrip("\n")


def literal(lines):
    return [".nf"] + [escape(line) for line in lines] + [".fi"]


def shunt_8(binary, version):
    main = help_text(binary).splitlines()
    out = [
        f'.TH SHUNT 8 "" "shunt {version}" "System Administration"',
        ".SH NAME",
        "shunt \\- transparent rule-based traffic splitter with a fake-IP DNS server",
        ".SH SYNOPSIS",
    ]
    for command in COMMANDS:
        usage = help_text(binary, command).splitlines()[0].removeprefix("usage: ")
        out += [".B " + escape(usage.split(" ", 1)[0]), escape(usage.split(" ", 1)[1]), ".br"]
    description = [line for line in main[2:] if line and not line.startswith(("commands:", "  ", "`"))]
    out += [".SH DESCRIPTION", escape(" ".join(description))]
    out += [
        "Applications connect as usual; shunt answers their DNS queries from a persistent pool",
        "of fake addresses, terminates every connection to one on its TUN device, maps the",
        "address back to the name, picks an outbound by rules (direct, SOCKS5, or shunt's own",
        "multiplexed upstream) and relays the bytes.",
        ".SH COMMANDS",
    ]
    for command in COMMANDS:
        text = help_text(binary, command).splitlines()
        out += [".SS " + escape(text[0].removeprefix("usage: "))]
        body = [line for line in text[1:]]
        while body and not body[0]:
            body.pop(0)
        out += literal(body)
    out += [
        ".SH FILES",
        ".TP",
        ".I /etc/shunt/config.toml",
        "The configuration the service unit runs with; see",
        ".BR shunt.toml (5).",
        ".TP",
        ".I /var/lib/shunt/fakeip.db",
        "The fake-IP pool (dns.fake_ip_store), kept across restarts so that applications",
        "holding a fake address still reach its name.",
        ".TP",
        ".I /var/lib/shunt/selections.json",
        "The proxies chosen in groups through the control API, restored at start.",
        ".TP",
        ".I /var/lib/shunt/resolv.conf.orig",
        "The saved /etc/resolv.conf while shunt has rewritten it (tun.system_dns).",
        ".SH SIGNALS",
        "SIGHUP reloads the configuration (a bad file keeps the running one); SIGINT and",
        "SIGTERM stop shunt, which removes its routes and rules and restores the system's DNS.",
        "Under systemd, shunt reports READY=1, RELOADING=1 and STOPPING=1 (Type=notify).",
        ".SH SEE ALSO",
        ".BR shunt.toml (5),",
        ".BR systemd-resolved (8),",
        ".BR resolv.conf (5),",
        ".BR ip-rule (8)",
    ]
    return "\n".join(out) + "\n"


KEY = re.compile(r"^([A-Za-z0-9_\"+.*-]+)\s*=\s*(.*)$")


def shunt_toml_5(full_toml, version):
    out = [
        f'.TH SHUNT.TOML 5 "" "shunt {version}" "File Formats"',
        ".SH NAME",
        "shunt.toml \\- shunt's configuration file",
        ".SH DESCRIPTION",
    ]
    comment = []  # the comment block above the next key or section

    def flush_comment():
        """The block as paragraphs, with indented lines (tables, examples) kept as they are."""
        lines, block = [], []
        for raw in comment:
            text = raw[1:]
            text = text[1:] if text.startswith(" ") else text
            if text.startswith(" ") or text.startswith("[") or " = " in text:
                block.append(text)
                continue
            if block:
                lines += literal(block)
                block = []
            if text.startswith("----") and text.endswith("----"):
                lines += [".SH " + escape(text.strip("- ").upper())]
            elif text:
                lines.append(escape(text))
            else:
                lines.append(".PP")
        if block:
            lines += literal(block)
        comment.clear()
        return lines

    rows = Path(full_toml).read_text().splitlines()
    i = 0
    while i < len(rows):
        row = rows[i].rstrip()
        i += 1
        if row.startswith("#"):
            comment.append(row)
            continue
        if not row:
            # A blank line ends the key above: what follows starts at the margin.
            out += flush_comment()
            if out[-1] != ".PP":
                out.append(".PP")
            continue
        if row.startswith("["):
            out += [".SS " + escape(row)] + flush_comment()
            continue
        match = KEY.match(row)
        if not match:
            continue
        value = match.group(2)
        # A multi-line array: its lines up to the closing bracket.
        extra = []
        if value.endswith("[") or (value.startswith("[") and not value.rstrip().endswith("]")):
            while i < len(rows) and not rows[i].startswith("]"):
                extra.append(rows[i])
                i += 1
            if i < len(rows):
                extra.append(rows[i])
                i += 1
        out += [".TP", "\\fB" + escape(match.group(1)) + "\\fR = " + escape(value)]
        out += flush_comment()
        if extra:
            out += literal(extra)
    out += [
        ".SH SEE ALSO",
        ".BR shunt (8)",
    ]
    return "\n".join(out) + "\n"


def write_gz(path, text):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(text.encode())


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    binary, full_toml, out_dir, version = sys.argv[1:]
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    write_gz(Path(out_dir) / "shunt.8.gz", shunt_8(binary, version))
    write_gz(Path(out_dir) / "shunt.toml.5.gz", shunt_toml_5(full_toml, version))


if __name__ == "__main__":
    main()
