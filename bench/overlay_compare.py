#!/usr/bin/env python3
"""Compare the overlay benchmark's per-patch areas between tools (issue #3).

Inputs, any number, each `NAME=FILE`:
  *.csv with a JCBH column and metric columns (wide; overlay_peers.py), or
  JCBH,layer,area_m2 (long; overlay_postgis.py);
  *.gpkg — weipian's export: the first feature table; its columns are mapped
  to the metrics by name (see COLUMN_NAMES; --map METRIC=COLUMN overrides).
  Columns ending in _M2 are m²; the others are in --unit (default mu: 亩,
  unrounded, as weipian exports them; 1 亩 = 10,000/15 m²).

The first input is the reference. Two areas agree when
|a − b| ≤ 0.05 m² or |a − b| ≤ 1e-5 · max(|a|, |b|); a metric missing for a
patch counts as 0. Prints per tool and metric the agreeing count and the
worst cases; exits 0 (the harness prints, it does not judge).

    overlay_compare.py shapely=a.csv postgis=b.csv weipian=result.gpkg [--map gd=JCGDMJ_M2] [--json F]
"""

import argparse
import csv
import math
import sqlite3
import sys

UNITS = {"mu": 10_000.0 / 15.0, "ha": 10_000.0, "m2": 1.0}
METRICS = ("gd_0101", "gd_0102", "gd_0103", "gd", "jbnt", "zrbhd")
REL, ABS = 1e-5, 0.05

# Candidate export column names per metric, best first (case-insensitive).
COLUMN_NAMES = {
    "gd": ["JCGDMJ_M2", "GDMJ_M2", "JCGDMJ"],
    "gd_0101": ["STMJ_M2", "SDMJ_M2", "STMJ", "SDMJ"],
    "gd_0102": ["SJDMJ_M2", "SJDMJ"],
    "gd_0103": ["HDMJ_M2", "HDMJ"],
    "jbnt": ["YJJBNTMJ_M2", "JBNTMJ_M2", "YJJBNTMJ"],
    "zrbhd": ["ZRBHDMJ_M2", "ZRBHDMJ"],
}


def read_csv(path):
    data = {m: {} for m in METRICS}
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows)
        if [h.lower() for h in header] == ["jcbh", "layer", "area_m2"]:
            for jcbh, layer, area in rows:
                if layer in data:
                    data[layer][jcbh] = float(area)
        else:
            idx = {h: i for i, h in enumerate(header)}
            j = idx["JCBH"]
            cols = [(m, idx[m]) for m in METRICS if m in idx]
            for r in rows:
                for m, i in cols:
                    v = float(r[i]) if r[i] not in ("", "None") else 0.0
                    if v:
                        data[m][r[j]] = v
            for m in METRICS:
                if m not in idx:
                    data[m] = None
    return data, {}


def read_gpkg(path, overrides, unit):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name"
            )
        ]
        if not tables:
            sys.exit(f"{path}: no feature table")
        table = tables[0]
        columns = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
        upper = {c.upper(): c for c in columns}
        print(f"  {path}: table {table}, columns {', '.join(columns)}", file=sys.stderr)
        mapping = {}
        for m in METRICS:
            names = [overrides[m]] if m in overrides else COLUMN_NAMES[m]
            for n in names:
                if n.upper() in upper:
                    mapping[m] = upper[n.upper()]
                    break
        jcbh = upper.get("JCBH")
        if jcbh is None:
            sys.exit(f"{path}: no JCBH column")
        data = {m: ({} if m in mapping else None) for m in METRICS}
        units = {}
        if mapping:
            sel = ", ".join(f'"{c}"' for c in mapping.values())
            for row in con.execute(f'SELECT "{jcbh}", {sel} FROM "{table}"'):
                for (m, c), v in zip(mapping.items(), row[1:]):
                    if v is None:
                        continue
                    v = float(v)
                    if not c.upper().endswith("_M2"):
                        v *= UNITS[unit]
                    if v:
                        data[m][row[0]] = v
            for m, c in mapping.items():
                units[m] = f"{c} ({'m²' if c.upper().endswith('_M2') else unit})"
        return data, units
    finally:
        con.close()


def agree(a, b):
    d = abs(a - b)
    return d <= ABS or d <= REL * max(abs(a), abs(b))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+", help="NAME=FILE (.csv or .gpkg); the first is the reference")
    ap.add_argument("--map", action="append", default=[], help="METRIC=COLUMN for a .gpkg input")
    ap.add_argument("--worst", type=int, default=5)
    ap.add_argument("--unit", choices=sorted(UNITS), default="mu", help="unit of .gpkg area columns without _M2")
    ap.add_argument("--json", help="write {tool: [agreeing, compared]} here")
    args = ap.parse_args()
    overrides = dict(m.split("=", 1) for m in args.map)

    tools = []
    for spec in args.inputs:
        name, _, path = spec.partition("=")
        if path.endswith(".gpkg"):
            data, units = read_gpkg(path, overrides, args.unit)
        else:
            data, units = read_csv(path)
        tools.append((name, data, units))

    ref_name, ref, _ = tools[0]
    summary = {}
    for name, data, units in tools[1:]:
        total_ok = total = 0
        print(f"\n{name} vs {ref_name} (agree: |Δ| ≤ {ABS} m² or ≤ {REL:g} relative; missing = 0)")
        for m in METRICS:
            if ref[m] is None or data[m] is None:
                print(f"  {m:<8} not compared ({name if data[m] is None else ref_name} has no such figure)")
                continue
            keys = set(ref[m]) | set(data[m])
            bad = []
            worst_rel = worst_abs = 0.0
            for k in keys:
                a, b = ref[m].get(k, 0.0), data[m].get(k, 0.0)
                if not agree(a, b):
                    bad.append((abs(a - b), k, a, b))
                worst_abs = max(worst_abs, abs(a - b))
                # Relative differences of pieces under 1 m² say little.
                if max(abs(a), abs(b)) >= 1.0:
                    worst_rel = max(worst_rel, abs(a - b) / max(abs(a), abs(b)))
            ok = len(keys) - len(bad)
            total_ok += ok
            total += len(keys)
            unit = f"  [{units[m]}]" if m in units else ""
            print(f"  {m:<8} {ok:>7} / {len(keys):<7} agree; worst |Δ| {worst_abs:.4f} m², worst relative {worst_rel:.2e} (areas ≥ 1 m²){unit}")
            for d, k, a, b in sorted(bad, reverse=True)[: args.worst]:
                rel = d / max(abs(a), abs(b))
                print(f"           {k}: {ref_name} {a:.4f}  {name} {b:.4f}  Δ {d:.4f} m² ({rel:.2e})")
        summary[name] = (total_ok, total)
        print(f"  all      {total_ok:>7} / {total:<7} agree")
    if args.json:
        import json

        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(summary, f)
    print()
    for name, (ok, n) in summary.items():
        verdict = "ALL AGREE" if ok == n and n > 0 else ("NOTHING COMPARED" if n == 0 else f"{n - ok} DISAGREE")
        print(f"agreement {name} vs {ref_name}: {ok}/{n} {verdict}")


if __name__ == "__main__":
    main()
