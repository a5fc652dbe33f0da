#!/usr/bin/env bash
# Overlay benchmark (issue #3): a seeded province-scale dataset — 100,000
# pairwise-disjoint land patches (8–60 vertices, 0.02–20 ha, ~3.5 M
# vertices), 1,000,000 耕地 parcels (0.1–3 ha, ~6 M vertices, 2 % with
# holes), 永久基本农田 blocks over about a third of them, 50 自然保护地 of
# 300–6,000 vertices — generated once, then on the same files, in this run:
#
#   weipian   `analyze --batch 2020Q1 --force` on a store that imported the
#             data beforehand (untimed); RUNS runs (default 3)
#   shapely   bench/overlay_peers.py (shapely 2 + pyproj, geodesic areas),
#             1 worker and 2 workers; PEER_RUNS runs each (default 1)
#   PostGIS   bench/overlay_postgis.py (throwaway cluster, GiST, ANALYZE,
#             ST_Intersection + ST_Union + ST_Area(::geography)); PEER_RUNS
#
# then compares every per-patch area (耕地 by DLBM class and in all,
# 永久基本农田, 自然保护地) with the 1-worker shapely result — agreeing
# within 1e-5 relative or 0.05 m² — and prints a side-by-side table with
# medians, peak memory and the ratios the issue asks for.
#
#   bench/overlay-vs-peers.sh [PATCHES] [PARCELS] [RUNS] [PEER_RUNS]
#
# Environment: SEED (2020), SKIP_SHAPELY=1, SKIP_POSTGIS=1, SKIP_WEIPIAN=1,
# NO_BUILD=1 (use the binaries in target/release as they are), KEEP=1 (keep
# the work folder), WEIPIAN_BENCH_VENV (the Python venv for shapely/pyproj;
# default ~/.cache/weipian/bench-venv, created and filled from PyPI here).
# Installs gdal-bin, postgresql-15-postgis-3 and GNU time with apt-get when
# missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
M=${2:-1000000}
RUNS=${3:-3}
PEER_RUNS=${4:-1}
SEED=${SEED:-2020}
BATCH=2020Q1
repo=$PWD

apt_install() {
  echo "installing $* (apt-get)…" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
[ -x /usr/bin/time ] || apt_install time

if [ -z "${NO_BUILD:-}" ]; then
  cargo build --release -q -p weipian-cli -p weipian-demo
fi
bin=$repo/target/release
work=$(mktemp -d /tmp/weipian-overlay-bench.XXXXXX)
if [ -z "${KEEP:-}" ]; then
  trap 'rm -rf "$work"' EXIT
else
  echo "work folder (kept): $work" >&2
fi
in=$work/in
res=$work/results
mkdir -p "$res"

# Python for the peers: shapely 2 + pyproj + numpy from PyPI, in a venv.
venv=${WEIPIAN_BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/weipian/bench-venv}
py=$venv/bin/python
if ! "$py" -c 'import shapely, pyproj, numpy' >/dev/null 2>&1; then
  echo "creating the Python venv $venv (shapely, pyproj, numpy)…" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >/dev/null
  "$venv/bin/pip" install -q shapely pyproj numpy
fi

echo "generating: $N patches, $M parcels, seed $SEED…" >&2
"$bin/weipian-gen" overlay --seed "$SEED" --patches "$N" --parcels "$M" --out "$in"
echo "data: $(du -sh "$in" | cut -f1) in $in" >&2

now() { date +%s.%N; }
secs() { python3 -c "print(round($2 - $1, 4))"; }

# --- weipian ----------------------------------------------------------------
wp_ok=
if [ -z "${SKIP_WEIPIAN:-}" ]; then
  if "$bin/weipian" analyze --help >/dev/null 2>&1; then
    wp_ok=1
  else
    echo "SKIPPED weipian: this build has no \`weipian analyze\` yet" >&2
  fi
fi
if [ -n "$wp_ok" ]; then
  store=$work/wp
  t0=$(now)
  "$bin/weipian" --data "$store" import regions "$in/counties.geojson" >/dev/null
  "$bin/weipian" --data "$store" import patches "$in/patches.gpkg" --year 2020 --batch "$BATCH" --kind land >/dev/null
  for layer in gd jbnt zrbhd; do
    "$bin/weipian" --data "$store" import layer "$layer" "$in/$layer.gpkg" >/dev/null
  done
  echo "weipian: imports done in $(secs "$t0" "$(now)") s (untimed)" >&2
  for i in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$work/time" \
      "$bin/weipian" --data "$store" analyze --batch "$BATCH" --force >/dev/null
    read -r e kb <"$work/time"
    echo "{\"tool\": \"weipian\", \"run\": $i, \"total_s\": $e, \"peak_rss_mib\": $(python3 -c "print(round($kb / 1024, 1))")}" >>"$res/weipian.jsonl"
    echo "weipian run $i: analyze --force $e s, peak RSS $((kb / 1024)) MiB" >&2
  done
  "$bin/weipian" --data "$store" export patches --batch "$BATCH" --format gpkg --out "$work/result.gpkg" >/dev/null
fi

# --- shapely + pyproj -------------------------------------------------------
if [ -z "${SKIP_SHAPELY:-}" ]; then
  for w in 1 2; do
    for i in $(seq "$PEER_RUNS"); do
      out=/dev/null
      [ "$i" = 1 ] && out=$res/shapely$w.csv
      "$py" bench/overlay_peers.py "$in" --workers "$w" --out "$out" >>"$res/shapely$w.jsonl"
    done
  done
fi

# --- PostGIS ------------------------------------------------------------------
if [ -z "${SKIP_POSTGIS:-}" ]; then
  for i in $(seq "$PEER_RUNS"); do
    out=/dev/null
    [ "$i" = 1 ] && out=$res/postgis.csv
    python3 bench/overlay_postgis.py "$in" --out "$out" >>"$res/postgis.jsonl"
  done
fi

# --- agreement --------------------------------------------------------------
cmp_args=()
[ -f "$res/shapely1.csv" ] && cmp_args+=("shapely=$res/shapely1.csv")
[ -f "$res/shapely2.csv" ] && cmp_args+=("shapely-2w=$res/shapely2.csv")
[ -f "$res/postgis.csv" ] && cmp_args+=("postgis=$res/postgis.csv")
[ -f "$work/result.gpkg" ] && cmp_args+=("weipian=$work/result.gpkg")
if [ "${#cmp_args[@]}" -ge 2 ]; then
  python3 bench/overlay_compare.py "${cmp_args[@]}" --json "$res/agreement.json"
fi

# --- the table ----------------------------------------------------------------
python3 - "$res" "$N" "$M" <<'PY'
import json, os, statistics, sys

res, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def runs(name):
    p = os.path.join(res, name + ".jsonl")
    if not os.path.exists(p):
        return []
    return [json.loads(l) for l in open(p, encoding="utf-8") if l.strip().startswith("{")]

agree = {}
p = os.path.join(res, "agreement.json")
if os.path.exists(p):
    agree = json.load(open(p, encoding="utf-8"))

def spread(xs):
    return f"{statistics.median(xs):.2f} | {min(xs):.2f} | {max(xs):.2f}"

def agreement(tool):
    if tool not in agree:
        return "reference" if tool == "shapely" else "—"
    ok, total = agree[tool]
    return f"{ok}/{total}"

wp, s1, s2, pg = runs("weipian"), runs("shapely1"), runs("shapely2"), runs("postgis")
print(f"\n{n} patches, {m} parcels")
if s1:
    r = s1[0]
    print(f"shapely {r['shapely']} (GEOS {r['geos']}) + pyproj {r['pyproj']}; "
          f"{r['candidates']} candidate pairs, {r['intersections']} intersecting")
if pg:
    print(pg[0]["version"])
print()
print("| tool | overlay, median (s) | min (s) | max (s) | with loading (s) | peak memory (MiB) | areas agreeing with shapely |")
print("|---|---|---|---|---|---|---|")
if wp:
    xs = [r["total_s"] for r in wp]
    print(f"| weipian `analyze --force`, {len(xs)} runs (reads its store) | {spread(xs)} | = | "
          f"{max(r['peak_rss_mib'] for r in wp):.0f} | {agreement('weipian')} |")
for runs_, label, tool in ((s1, "1 worker", "shapely"), (s2, "2 workers", "shapely-2w")):
    if runs_:
        xs = [r["overlay_s"] for r in runs_]
        tot = statistics.median(r["total_s"] for r in runs_)
        mem = f"{max(r['peak_rss_mib'] for r in runs_):.0f}"
        pss = [r.get("peak_pss_sum_mib") for r in runs_ if r.get("peak_pss_sum_mib")]
        if pss:
            mem = f"largest process {mem}, PSS sum of the 3 processes {max(pss):.0f}"
        print(f"| shapely + pyproj, {label}, {len(xs)} run(s) | {spread(xs)} | {tot:.2f} | "
              f"{mem} | {agreement(tool)} |")
if pg:
    xs = [r["query_s"] for r in pg]
    load = statistics.median(r["load_s"] + r["index_s"] + r["analyze_s"] for r in pg)
    print(f"| PostGIS, queries, {len(xs)} run(s) | {spread(xs)} | {statistics.median(xs) + load:.2f} "
          f"(+ ogr2ogr/GiST/ANALYZE {load:.2f}) | backend {max(r['peak_backend_hwm_mib'] for r in pg):.0f}, "
          f"cluster PSS {max(r['peak_cluster_pss_mib'] for r in pg):.0f} | {agreement('postgis')} |")
print()
print("shapely's 'overlay' excludes reading the GeoPackages (its 'with loading' includes it);")
print("weipian's figure is the whole command, reading its store included.")
if wp and (s1 or s2):
    w = statistics.median(r["total_s"] for r in wp)
    best = min(statistics.median(r["overlay_s"] for r in rs) for rs in (s1, s2) if rs)
    best_tot = min(statistics.median(r["total_s"] for r in rs) for rs in (s1, s2) if rs)
    ratio = best / w
    print(f"shapely (best of 1/2 workers, loading excluded) / weipian = {ratio:.2f}  "
          f"(issue #3 needs ≥ 5: {'MET' if ratio >= 5 else 'NOT MET'})")
    print(f"shapely (best, loading included) / weipian = {best_tot / w:.2f}")
if wp and pg:
    w = statistics.median(r["total_s"] for r in wp)
    q = statistics.median(r["query_s"] for r in pg)
    print(f"PostGIS queries / weipian = {q / w:.2f}  (issue #3 needs > 1: {'MET' if q > w else 'NOT MET'})")
if not wp:
    print("weipian: not measured (see above)")
PY
