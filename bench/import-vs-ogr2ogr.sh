#!/usr/bin/env bash
# Import benchmark (issue #2): a 100,000-patch GBK Shapefile (8–60 vertices
# each, ~3.2 M vertices) imported into the store with ellipsoidal areas,
# validation and XZQDM checks, versus GDAL's `ogr2ogr -f GPKG` copying the
# same file (which computes nothing). Both run in this one script, on the
# same file, alternately; medians and the ratio are printed.
#
#   bench/import-vs-ogr2ogr.sh [PATCHES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
RUNS=${2:-5}

if ! command -v ogr2ogr >/dev/null 2>&1; then
  echo "installing gdal-bin (ogr2ogr)…" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gdal-bin >/dev/null
fi

cargo build --release -q -p weipian-cli -p weipian-demo
bin=target/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin/weipian-gen" patches --count "$N" --seed 1 --out "$work/in"
shp="$work/in/patches.shp"
counties="$work/in/counties.geojson"
echo "data: $(du -sh "$work/in" | cut -f1) in $work/in ($N patches)" >&2

now() { date +%s.%N; }
ogr_times=()
wp_times=()
for i in $(seq "$RUNS"); do
  rm -f "$work/ogr.gpkg"
  # PROMOTE_TO_MULTI: the shapefile mixes Polygon and MultiPolygon; without it
  # GDAL writes a non-conformant layer (and warns). It costs GDAL nothing.
  t0=$(now); ogr2ogr -f GPKG -nlt PROMOTE_TO_MULTI "$work/ogr.gpkg" "$shp"; t1=$(now)
  ogr_times+=("$(python3 -c "print(round($t1 - $t0, 4))")")

  rm -rf "$work/wp"
  "$bin/weipian" --data "$work/wp" import regions "$counties" >/dev/null
  t0=$(now)
  "$bin/weipian" --data "$work/wp" import patches "$shp" --year 2020 --batch B --kind land >/dev/null
  t1=$(now)
  wp_times+=("$(python3 -c "print(round($t1 - $t0, 4))")")
  echo "run $i: ogr2ogr ${ogr_times[-1]} s, weipian ${wp_times[-1]} s" >&2
done

python3 - "$N" "${ogr_times[*]}" "${wp_times[*]}" "$(ogr2ogr --version)" <<'PY'
import statistics, sys
n = int(sys.argv[1])
ogr = [float(x) for x in sys.argv[2].split()]
wp = [float(x) for x in sys.argv[3].split()]
mo, mw = statistics.median(ogr), statistics.median(wp)
print(f"| tool | median of {len(ogr)} (s) | min (s) | max (s) |")
print("|---|---|---|---|")
print(f"| {sys.argv[4]}: `ogr2ogr -f GPKG -nlt PROMOTE_TO_MULTI` (copy only) | {mo:.3f} | {min(ogr):.3f} | {max(ogr):.3f} |")
print(f"| weipian `import patches` (areas, validation, checks) | {mw:.3f} | {min(wp):.3f} | {max(wp):.3f} |")
print(f"\n{n} patches; weipian / ogr2ogr = {mw / mo:.2f} (below 1 means weipian is faster)")
PY
