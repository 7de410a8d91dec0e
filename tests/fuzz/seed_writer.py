"""Writes a fuzz target's seeds: shared by the make_*_corpus.py scripts.

    write_seeds("dns_query", SEEDS)   # to tests/fuzz/corpus/dns_query/, or to argv[1]
"""
import pathlib
import sys


def write_seeds(target_name, seeds):
    default = pathlib.Path(__file__).resolve().parent / "corpus" / target_name
    target = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else default
    target.mkdir(parents=True, exist_ok=True)
    for seed, data in seeds.items():
        (target / f"{seed}.bin").write_bytes(data)
    print(f"wrote {len(seeds)} seeds to {target}")
