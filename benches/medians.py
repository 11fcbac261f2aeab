#!/usr/bin/env python3
"""Prints the medians criterion stored for the SCRAM benchmarks, with ratios.

Usage: python3 benches/medians.py [CRITERION_DIR ...]
Default: target/criterion (after `cargo bench -p sasl-benches`). With several
directories (copies of target/criterion from repeated runs), each cell is the median
of the per-run medians, and the spread (min-max) across runs is shown.
"""
import json
import pathlib
import statistics
import sys

roots = [pathlib.Path(p) for p in sys.argv[1:]] or [pathlib.Path("target/criterion")]


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def medians(root, group):
    out = {}
    for est in sorted((root / group).glob("**/new/estimates.json")):
        name = str(est.parent.parent.relative_to(root / group)).split("/")[0]
        out[name] = json.loads(est.read_text())["median"]["point_estimate"]
    return out


def fastest(root, group):
    """The fastest sample (mean time per iteration within one sample): contention
    from other processes only ever adds time, so this is a noise-robust check."""
    out = {}
    for smp in sorted((root / group).glob("**/new/sample.json")):
        name = str(smp.parent.parent.relative_to(root / group)).split("/")[0]
        data = json.loads(smp.read_text())
        out[name] = min(t / n for t, n in zip(data["times"], data["iters"]))
    return out


def table(group, reference, note):
    runs = [medians(root, group) for root in roots]
    fast_runs = [fastest(root, group) for root in roots]
    names = sorted({n for run in runs for n in run})
    if not names:
        return
    rows = {n: [run[n] for run in runs if n in run] for n in names}
    mid = {n: statistics.median(v) for n, v in rows.items()}
    fast = {n: min(run[n] for run in fast_runs if n in run) for n in names}
    ref = mid.get(reference)
    fref = fast.get(reference)
    print(f"\n{group} (ratio = median / {reference}; {note}; {len(roots)} run(s))")
    print(
        f"| {'benchmark':<36} | {'median':>10} | {'ratio':>6} | {'runs: min - max':>21} "
        f"| {'fastest sample':>14} | {'ratio':>6} |"
    )
    print(f"|{'-' * 38}|{'-' * 12}|{'-' * 8}|{'-' * 23}|{'-' * 16}|{'-' * 8}|")
    for n in names:
        ratio = f"{mid[n] / ref:.3f}" if ref else "-"
        fratio = f"{fast[n] / fref:.3f}" if fref else "-"
        spread = f"{fmt(min(rows[n]))} - {fmt(max(rows[n]))}"
        print(
            f"| {n:<36} | {fmt(mid[n]):>10} | {ratio:>6} | {spread:>21} "
            f"| {fmt(fast[n]):>14} | {fratio:>6} |"
        )


table("full_exchange_4096", "floor_two_compressions_pbkdf2_only", "PBKDF2 floor")
table("server_exchange", "rsasl", "server work only")
table("client_cached", "rsasl", "client work only, cached keys")


def client_adjusted():
    """rsasl 2.3 cannot take cached ClientKey/ServerKey (see drivers.rs), only the
    salted password, and derives the keys from it per exchange: ratios against rsasl
    minus that derivation (timed alone in the same run), per run, then the median."""
    runs = [medians(root, "client_cached") for root in roots]
    runs = [r for r in runs if "rsasl" in r and "rsasl_derive_keys_alone" in r]
    if not runs:
        return
    adjusted = [r["rsasl"] - r["rsasl_derive_keys_alone"] for r in runs]
    print(
        f"rsasl minus its key derivation: {fmt(statistics.median(adjusted))} "
        f"(runs {fmt(min(adjusted))} - {fmt(max(adjusted))})"
    )
    for n in ("ours_typed", "ours_session"):
        ratios = [r[n] / a for r, a in zip(runs, adjusted) if n in r]
        if ratios:
            print(
                f"  {n:<14} / adjusted rsasl: {statistics.median(ratios):.3f} "
                f"(runs {min(ratios):.3f} - {max(ratios):.3f})"
            )


client_adjusted()
table("unknown_user", "provide_known", "equal work: known vs unknown user")
table("client_key_4096", "floor_two_compressions", "two-compression floor")
table("client_key_600000", "floor_two_compressions", "two-compression floor")


def mechanisms():
    """`--bench mechanisms`: per mechanism, ours / rsasl for the full exchange and for
    the server's work, each ratio taken within one run (the two are measured seconds
    apart), then the median and spread of the per-run ratios."""
    rows = []
    for mech in ("plain", "login", "external", "oauthbearer", "xoauth2"):
        runs = [medians(root, f"mech_{mech}") for root in roots]
        runs = [r for r in runs if r]
        if not runs:
            continue
        cells = [mech.upper()]
        for kind in ("full", "server"):
            ours = [r[f"ours_{kind}"] for r in runs if f"ours_{kind}" in r]
            theirs = [r[f"rsasl_{kind}"] for r in runs if f"rsasl_{kind}" in r]
            ratios = [
                r[f"ours_{kind}"] / r[f"rsasl_{kind}"]
                for r in runs
                if f"ours_{kind}" in r and f"rsasl_{kind}" in r
            ]
            if not ratios:
                cells += ["-", "-", "-"]
                continue
            cells += [
                f"{fmt(statistics.median(ours))} ({fmt(min(ours))} - {fmt(max(ours))})",
                f"{fmt(statistics.median(theirs))} ({fmt(min(theirs))} - {fmt(max(theirs))})",
                f"{statistics.median(ratios):.3f} ({min(ratios):.3f} - {max(ratios):.3f})",
            ]
        rows.append(cells)
    if not rows:
        return
    print(f"\nmechanisms (ours / rsasl per run; median (min - max) of {len(roots)} run(s))")
    print(
        "| mechanism | ours full | rsasl full | ratio | ours server | rsasl server | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")


mechanisms()
