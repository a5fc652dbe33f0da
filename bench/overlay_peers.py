#!/usr/bin/env python3
"""The overlay benchmark's shapely 2 (GEOS) + pyproj peer (issue #3).

Reads the GeoPackages written by `weipian-gen overlay` (patches, gd, jbnt,
zrbhd; EPSG:4490) with sqlite3 — the GeoPackage binary header is stripped and
the WKB decoded by shapely.from_wkb, no GDAL — and computes for every patch
the area of its intersection with each reference layer, union-correct (a
layer's features may overlap each other; overlapping parts count once):

  gd_0101, gd_0102, gd_0103  patch ∩ ∪(耕地 parcels of that DLBM class)
  gd                         patch ∩ ∪(all 耕地 parcels)
  jbnt                       patch ∩ ∪(永久基本农田 blocks)
  zrbhd                      patch ∩ ∪(自然保护地)

Method, per layer: STRtree bulk query (bounding boxes; for the 50 large
reserves the reserves are queried against a tree of the patches instead, so
each is prepared once), prepared-geometry `intersects` on the candidate
pairs, `contains_properly` to skip the overlay where a feature lies wholly
inside its patch (or a patch inside a reserve), vectorised
`shapely.intersection` for the rest. The pieces of one patch (and DLBM class)
are unioned along the rows of a None-padded 2-D array, so GEOS does the
grouping loop: `coverage_union_all` for rows that GEOS' CoverageValidator
accepts (no overlap, matching edges), `union_all` for the others; a single
piece is its own union. Areas are geodesic (GeographicLib through
pyproj.Geod on the CGCS2000 ellipsoid, a = 6378137, f = 1/298.257222101):
`Geod.polygon_area_perimeter` per ring, exterior minus holes (the same sum
`Geod.geometry_area_perimeter` makes, without its per-geometry overhead).

With --workers 2 the patches are split into chunks that a fork()ed process
pool works through; the layers and their trees are built once in the parent
and shared copy-on-write.

Writes a CSV keyed by JCBH (m², unrounded) and prints phase timings,
candidate pairs, real intersections and peak RSS.

    overlay_peers.py DIR [--workers 1|2] [--out FILE.csv]
"""

import argparse
import csv
import multiprocessing as mp
import os
import resource
import sqlite3
import sys
import time

import numpy as np
import pyproj
import shapely
from shapely import STRtree

GEOD = pyproj.Geod(a=6378137.0, f=1 / 298.257222101)
CLASSES = ("0101", "0102", "0103")
COLUMNS = ("gd_0101", "gd_0102", "gd_0103", "gd", "jbnt", "zrbhd")

# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def gpkg_to_wkb(blob):
    """Strip the GeoPackage binary header (magic, version, flags, srs_id,
    envelope) and return the WKB that follows."""
    if blob[0:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    return blob[8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 0x07]:]


def read_layer(path, table, columns):
    """Geometries (shapely array) and the requested attribute columns."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (geom_col,) = con.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
        ).fetchone()
        cols = ", ".join(f'"{c}"' for c in columns)
        sel = f'"{geom_col}"' + (", " + cols if columns else "")
        rows = con.execute(f'SELECT {sel} FROM "{table}" ORDER BY fid').fetchall()
    finally:
        con.close()
    wkb = [gpkg_to_wkb(r[0]) for r in rows]
    geoms = shapely.from_wkb(wkb)
    attrs = [np.array([r[i + 1] for r in rows], dtype=object) for i in range(len(columns))]
    return geoms, attrs


# ---------------------------------------------------------------------------
# Geometry helpers
# ---------------------------------------------------------------------------


def polygons_of(geoms):
    """Explode into single polygons; the index says which input each came from."""
    idx = np.arange(len(geoms))
    parts = geoms
    # Multi-geometries and collections, possibly nested (union of collections).
    while True:
        parts, sub = shapely.get_parts(parts, return_index=True)
        idx = idx[sub]
        types = shapely.get_type_id(parts)
        if not np.isin(types, (4, 5, 6, 7)).any():
            break
    keep = shapely.get_type_id(parts) == 3  # Polygon; lines and points have no area
    return parts[keep], idx[keep]


def geodesic_areas(geoms):
    """Geodesic area of each geometry, m² (polygonal parts only)."""
    out = np.zeros(len(geoms))
    polys, pidx = polygons_of(geoms)
    if len(polys) == 0:
        return out
    rings, ridx = shapely.get_rings(polys, return_index=True)
    coords, cidx = shapely.get_coordinates(rings, return_index=True)
    # The first ring of each polygon is its exterior.
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = ridx[1:] != ridx[:-1]
    bounds = np.searchsorted(cidx, np.arange(len(rings) + 1))
    lon, lat = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])
    ring_area = np.empty(len(rings))
    area_perimeter = GEOD.polygon_area_perimeter
    for r in range(len(rings)):
        a, b = bounds[r], bounds[r + 1]
        ring_area[r] = abs(area_perimeter(lon[a:b], lat[a:b])[0])
    ring_area[~exterior] *= -1.0
    poly_area = np.bincount(ridx, weights=ring_area, minlength=len(polys))
    np.add.at(out, pidx, poly_area)
    return out


def polygonal(pieces):
    """Keep the polygonal part of each intersection result: a pair that only
    touches gives a line or a point (None here), a collection its polygons."""
    out = pieces.copy()
    types = shapely.get_type_id(out)
    out[~np.isin(types, (3, 6, 7))] = None
    coll = np.flatnonzero(types == 7)
    if len(coll):
        parts, idx = shapely.get_parts(out[coll], return_index=True)
        # Nested collections do not come out of a pairwise intersection.
        keep = shapely.get_type_id(parts) == 3
        out[coll] = None
        if keep.any():
            which = np.unique(idx[keep])
            out[coll[which]] = shapely.multipolygons(parts[keep], indices=np.searchsorted(which, idx[keep]))
    out[shapely.is_empty(out)] = None
    return out


# Coverage fast path in grouped_union (off: see the note there). --coverage turns it on.
USE_COVERAGE = False


def grouped_union(keys, pieces):
    """Union of the pieces sharing a key. Returns (unique keys, geometries).

    One piece is its own union. Larger groups go to GEOS as the rows of a
    None-padded 2-D array, bucketed by size (2, 4, 8, …) so the padding stays
    small. A row whose pieces form a valid coverage (no overlaps, matching
    edges — what clipping a clean layer gives; checked by GEOS'
    CoverageValidator, which rejects duplicates and containment) is merged by
    the cheap coverage union; any other row by the full overlay union.
    """
    order = np.argsort(keys, kind="stable")
    keys, pieces = keys[order], pieces[order]
    ukeys, start, count = np.unique(keys, return_index=True, return_counts=True)
    result = np.empty(len(ukeys), dtype=object)
    single = count == 1
    result[single] = pieces[start[single]]
    multi = np.flatnonzero(~single)
    if len(multi):
        width = 1 << np.ceil(np.log2(count[multi])).astype(int)
        for w in np.unique(width):
            groups = multi[width == w]
            grid = np.full((len(groups), w), None, dtype=object)
            col = np.arange(w)
            mask = col[None, :] < count[groups][:, None]
            grid[mask] = pieces[(start[groups][:, None] + col[None, :])[mask]]
            if not USE_COVERAGE:
                # GEOS 3.14's CoverageValidator crashed (SIGSEGV) on rows of
                # the dense benchmark data: the full overlay union is the
                # robust choice and what a careful user would run.
                STATS["overlay_rows"] += len(groups)
                result[groups] = shapely.union_all(grid, axis=1)
                continue
            # shapely.coverage_is_valid ravels its input into one coverage;
            # the underlying generalised ufunc checks each row on its own.
            valid = shapely.lib.coverage_is_valid(grid, 0.0)
            STATS["coverage_rows"] += int(valid.sum())
            STATS["overlay_rows"] += int((~valid).sum())
            if valid.any():
                result[groups[valid]] = shapely.coverage_union_all(grid[valid], axis=1)
            if (~valid).any():
                result[groups[~valid]] = shapely.union_all(grid[~valid], axis=1)
    return ukeys, result


# ---------------------------------------------------------------------------
# The overlay
# ---------------------------------------------------------------------------

# Set in the parent before the pool forks; the workers read them.
STATE = {}
# Counters of grouped_union, per process.
STATS = {"coverage_rows": 0, "overlay_rows": 0}


def pss_kib():
    """Proportional set size of this process (shared pages split between
    the processes sharing them), KiB; 0 where /proc does not tell."""
    try:
        with open("/proc/self/smaps_rollup", encoding="utf-8") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_chunk(bounds):
    """Overlay of patches [lo, hi) with every layer; per-phase timings."""
    lo, hi = bounds
    STATS.update(coverage_rows=0, overlay_rows=0)
    patches = STATE["patches"][lo:hi]
    n = hi - lo
    t = {"query": 0.0, "intersection": 0.0, "union": 0.0, "area": 0.0}
    res = {c: np.zeros(n) for c in COLUMNS}
    stats = {"candidates": 0, "intersections": 0}
    for name in ("gd", "jbnt", "zrbhd"):
        stats[f"{name}_pairs"] = 0
        stats[f"{name}_hits"] = 0
        stats[f"{name}_s"] = 0.0

    for name in ("gd", "jbnt", "zrbhd"):
        tree, feats, cls = STATE["layers"][name]
        t0 = time.perf_counter()
        # Few large features (nature reserves): query them against a tree of
        # the patches, so each reserve is prepared once; otherwise the
        # patches against the layer's tree, the patches prepared.
        reverse = name == "zrbhd"
        if reverse:
            ptree = STRtree(patches)
            cf, cp = ptree.query(feats)
            shapely.prepare(feats)
            hit = shapely.intersects(feats[cf], patches[cp])
        else:
            cp, cf = tree.query(patches)
            shapely.prepare(patches)
            hit = shapely.intersects(patches[cp], feats[cf])
        stats["candidates"] += len(cp)
        stats[f"{name}_pairs"] += len(cp)
        cp, cf = cp[hit], cf[hit]
        stats["intersections"] += len(cp)
        stats[f"{name}_hits"] += len(cp)
        # Containment needs no overlay: a feature wholly inside its patch is
        # its own piece, so is a patch wholly inside a (prepared) reserve.
        if reverse:
            inside = shapely.contains_properly(feats[cf], patches[cp])
        else:
            inside = shapely.contains_properly(patches[cp], feats[cf])
        t1 = time.perf_counter()
        pieces = np.empty(len(cp), dtype=object)
        pieces[inside] = patches[cp[inside]] if reverse else feats[cf[inside]]
        rest = ~inside
        pieces[rest] = polygonal(shapely.intersection(patches[cp[rest]], feats[cf[rest]]))
        real = ~shapely.is_missing(pieces)
        cp, cf, pieces = cp[real], cf[real], pieces[real]
        stats["pieces"] = stats.get("pieces", 0) + len(cp)
        t2 = time.perf_counter()
        if cls is None:
            keys, geoms = grouped_union(cp, pieces)
            t3 = time.perf_counter()
            res[name][keys] = geodesic_areas(geoms)
            t4 = time.perf_counter()
        else:
            # Per DLBM class, then the whole layer as the union of the class
            # unions (classes may overlap in real data).
            code = cls[cf]
            keys, geoms = grouped_union(cp * 4 + code, pieces)
            kp, kc = keys // 4, keys % 4
            kpatch, total = grouped_union(kp, geoms)
            t3 = time.perf_counter()
            areas = geodesic_areas(geoms)
            for c in range(3):
                sel = kc == c
                res[f"gd_{CLASSES[c]}"][kp[sel]] = areas[sel]
            # A patch on one class: its total is that class's area.
            one = np.bincount(kp, minlength=n)[kpatch] == 1
            totals = np.empty(len(kpatch))
            first = np.searchsorted(kp, kpatch)
            totals[one] = areas[first[one]]
            totals[~one] = geodesic_areas(total[~one])
            res["gd"][kpatch] = totals
            t4 = time.perf_counter()
        t["query"] += t1 - t0
        t["intersection"] += t2 - t1
        t["union"] += t3 - t2
        t["area"] += t4 - t3
        stats[f"{name}_s"] += t4 - t0
    stats.update(STATS)
    return lo, res, t, stats, (os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, pss_kib())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", help="folder with patches.gpkg, gd.gpkg, jbnt.gpkg, zrbhd.gpkg")
    ap.add_argument("--workers", type=int, default=1, choices=(1, 2))
    ap.add_argument("--chunks", type=int, default=0, help="patch chunks (default: 1 for 1 worker, 16 for 2)")
    ap.add_argument("--out", help="CSV of per-patch areas (m²)")
    ap.add_argument("--coverage", action="store_true", help="try GEOS coverage union for clean groups (crashed GEOS 3.14 on dense data)")
    args = ap.parse_args()
    global USE_COVERAGE
    USE_COVERAGE = args.coverage

    t_start = time.perf_counter()
    patches, (jcbh,) = read_layer(os.path.join(args.dir, "patches.gpkg"), "patches", ["JCBH"])
    gd, (dlbm,) = read_layer(os.path.join(args.dir, "gd.gpkg"), "gd", ["DLBM"])
    jbnt, _ = read_layer(os.path.join(args.dir, "jbnt.gpkg"), "jbnt", [])
    zrbhd, _ = read_layer(os.path.join(args.dir, "zrbhd.gpkg"), "zrbhd", [])
    t_loaded = time.perf_counter()

    # DLBM → class index 0..2; parcels of another class are not 耕地 here.
    cls = np.full(len(gd), -1, dtype=np.int64)
    for i, c in enumerate(CLASSES):
        cls[dlbm == c] = i
    keep = cls >= 0
    if not keep.all():
        gd, cls = gd[keep], cls[keep]
    STATE["patches"] = patches
    STATE["layers"] = {
        "gd": (STRtree(gd), gd, cls),
        "jbnt": (STRtree(jbnt), jbnt, None),
        "zrbhd": (None, zrbhd, None),
    }
    t_trees = time.perf_counter()

    n = len(patches)
    chunks = args.chunks or (1 if args.workers == 1 else 16)
    edges = np.linspace(0, n, chunks + 1).astype(int)
    bounds = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    res = {c: np.zeros(n) for c in COLUMNS}
    phases = {"query": 0.0, "intersection": 0.0, "union": 0.0, "area": 0.0}
    stats = {}
    worker_rss = 0
    worker_pss = {}

    def collect(out):
        nonlocal worker_rss
        lo, r, t, s, (pid, rss, pss) = out
        for c in COLUMNS:
            res[c][lo:lo + len(r[c])] = r[c]
        for k in phases:
            phases[k] += t[k]
        for k in s:
            stats[k] = stats.get(k, 0) + s[k]
        worker_rss = max(worker_rss, rss)
        worker_pss[pid] = max(worker_pss.get(pid, 0), pss)

    if args.workers == 1:
        for b in bounds:
            collect(run_chunk(b))
    else:
        with mp.get_context("fork").Pool(args.workers) as pool:
            for out in pool.imap_unordered(run_chunk, bounds):
                collect(out)
    t_end = time.perf_counter()

    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(("JCBH",) + COLUMNS)
            for i in range(n):
                w.writerow([jcbh[i]] + [repr(float(res[c][i])) for c in COLUMNS])

    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # With workers: the parent's PSS now plus each worker's largest PSS at
    # the end of a chunk — about the peak of the memory the run held in all.
    pss_total = pss_kib() + sum(worker_pss.values()) if args.workers > 1 else 0
    rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    overlay = t_end - t_loaded
    total = t_end - t_start
    nonzero = {c: int((res[c] > 0).sum()) for c in COLUMNS}
    summary = {
        "tool": "shapely",
        "workers": args.workers,
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "pyproj": pyproj.__version__,
        "patches": n,
        "gd": len(gd),
        "jbnt": len(jbnt),
        "zrbhd": len(zrbhd),
        "load_s": round(t_loaded - t_start, 3),
        "trees_s": round(t_trees - t_loaded, 3),
        "overlay_s": round(overlay, 3),
        "total_s": round(total, 3),
        "candidates": stats["candidates"],
        "intersections": stats["intersections"],
        "peak_rss_mib": round(max(rss_self, worker_rss) / 1024, 1),
        "peak_rss_children_mib": round(rss_children / 1024, 1),
        "peak_pss_sum_mib": round(pss_total / 1024, 1) if pss_total else None,
    }
    print(
        f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}) + pyproj {pyproj.__version__}"
        f", {args.workers} worker(s), {len(bounds)} chunk(s)",
        file=sys.stderr,
    )
    print(
        f"  data: {n} patches; gd {len(gd)}, jbnt {len(jbnt)}, zrbhd {len(zrbhd)} features",
        file=sys.stderr,
    )
    print(f"  load (sqlite3 + from_wkb)       {t_loaded - t_start:8.3f} s", file=sys.stderr)
    print(f"  STRtrees                        {t_trees - t_loaded:8.3f} s", file=sys.stderr)
    per = "  (CPU time summed over the workers)" if args.workers > 1 else ""
    labels = {
        "query": "query + prepared predicates",
        "intersection": "intersection",
        "union": "union per patch (and class)",
        "area": "geodesic area",
    }
    for k, v in phases.items():
        print(f"  {labels[k]:<31} {v:8.3f} s{per}", file=sys.stderr)
    print(f"  OVERLAY, load excluded          {overlay:8.3f} s  (trees + query … area)", file=sys.stderr)
    print(f"  TOTAL, load included            {total:8.3f} s", file=sys.stderr)
    print(
        f"  candidate pairs {stats['candidates']}, real intersections {stats['intersections']}",
        file=sys.stderr,
    )
    for name in ("gd", "jbnt", "zrbhd"):
        print(
            f"    {name:<6} {stats[name + '_pairs']:>8} pairs {stats[name + '_hits']:>8} intersecting"
            f" {stats[name + '_s']:8.3f} s",
            file=sys.stderr,
        )
    print(
        f"  pieces with area {stats['pieces']}; grouped unions: {stats['coverage_rows']} coverage"
        f" (validated), {stats['overlay_rows']} full overlay",
        file=sys.stderr,
    )
    print(f"  patches with area > 0: {nonzero}", file=sys.stderr)
    print(f"  peak RSS: this process {rss_self / 1024:.0f} MiB", file=sys.stderr)
    if args.workers > 1:
        print(
            f"  peak RSS of the largest worker {rss_children / 1024:.0f} MiB (pages shared with the parent"
            f" counted in both); PSS of parent + workers, summed: {pss_total / 1024:.0f} MiB",
            file=sys.stderr,
        )
    import json

    print(json.dumps(summary))


if __name__ == "__main__":
    main()
