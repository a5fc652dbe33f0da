#!/usr/bin/env python3
"""The overlay benchmark's PostGIS peer (issue #3).

Starts a throwaway PostgreSQL 15 + PostGIS 3 cluster in a temporary folder
(unix socket only, no TCP), loads the GeoPackages written by
`weipian-gen overlay` with ogr2ogr, builds GiST indexes, ANALYZEs, then
times the overlay: for every patch the area of its intersection with each
reference layer, union-correct (overlapping features of one layer count
once), 耕地 split by DLBM:

  gd_0101, gd_0102, gd_0103, gd (all 耕地), jbnt, zrbhd   — m², geodesic

The SQL (one statement per layer): an index join on ST_Intersects; the
piece is the feature itself where ST_ContainsProperly says it lies wholly
inside the patch (or, for reserves, the patch itself), else
ST_CollectionExtract(ST_Intersection(…), 3); groups of one piece take its
area directly, larger groups ST_Union first; area = ST_Area(geom::geography)
(spheroid, GeographicLib). The geometries keep SRID 4490: a geography takes
its spheroid from its SRID's CRS — EPSG:4490 is CGCS2000 (a = 6378137,
f = 1/298.257222101); PostGIS 3.3's spatial_ref_sys text for it says
`+ellps=GRS80` (f = 1/298.257222100882711, 4e-13 apart in f). Either way the
difference is far below anything measured here; even WGS 84
(f = 1/298.257223563, Δf ≈ 1.6e-11) changes these areas by ~1e-11
relative (measured on 10,000 patches, SRID 4490 vs ST_SetSRID(…, 4326): the
sums differ by 5e-11, single patches by at most 0.0003 m², rounding noise),
so no ST_Transform to 4326 is needed.

Reported: load (ogr2ogr) / index / ANALYZE times separately, each layer's
query time and their sum, peak memory: the largest VmHWM of one PostgreSQL
process (the query's backend; it includes the shared buffers it touched) and
the peak of the summed PSS of all the cluster's processes (sampled every
0.1 s). Writes a long CSV: JCBH, layer, area_m2.

Needs root to install postgresql-15-postgis-3 and gdal-bin if missing (it
does so with apt-get) and to run the server as the `postgres` user; as an
ordinary user with both installed it runs the server as that user.

    overlay_postgis.py DIR [--out FILE.csv] [--parallel N] [--keep]
"""

import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import time

PGBIN = "/usr/lib/postgresql/15/bin"
PORT = 5439  # only names the socket file inside the temporary folder

LAYERS_SQL = {
    "gd": """
WITH pieces AS MATERIALIZED (
  SELECT p.jcbh, g.dlbm,
         CASE WHEN ST_ContainsProperly(p.geom, g.geom) THEN g.geom
              ELSE ST_CollectionExtract(ST_Intersection(p.geom, g.geom), 3) END AS piece
  FROM patches p JOIN gd g ON ST_Intersects(p.geom, g.geom)
  WHERE g.dlbm IN ('0101', '0102', '0103')
), counted AS (
  SELECT jcbh, dlbm, piece, count(*) OVER (PARTITION BY jcbh, dlbm) AS n
  FROM pieces WHERE NOT ST_IsEmpty(piece)
), cls AS MATERIALIZED (
  SELECT jcbh, dlbm, piece AS geom FROM counted WHERE n = 1
  UNION ALL
  SELECT jcbh, dlbm, ST_Union(piece) FROM counted WHERE n > 1 GROUP BY jcbh, dlbm
), cls_area AS MATERIALIZED (
  SELECT jcbh, dlbm, geom, ST_Area(geom::geography) AS area,
         count(*) OVER (PARTITION BY jcbh) AS nc
  FROM cls
)
SELECT jcbh, 'gd_' || dlbm, area FROM cls_area
UNION ALL
SELECT jcbh, 'gd', area FROM cls_area WHERE nc = 1
UNION ALL
SELECT jcbh, 'gd', ST_Area(ST_Union(geom)::geography) FROM cls_area WHERE nc > 1 GROUP BY jcbh
""",
    "jbnt": """
WITH pieces AS MATERIALIZED (
  SELECT p.jcbh,
         CASE WHEN ST_ContainsProperly(p.geom, j.geom) THEN j.geom
              ELSE ST_CollectionExtract(ST_Intersection(p.geom, j.geom), 3) END AS piece
  FROM patches p JOIN jbnt j ON ST_Intersects(p.geom, j.geom)
), counted AS (
  SELECT jcbh, piece, count(*) OVER (PARTITION BY jcbh) AS n
  FROM pieces WHERE NOT ST_IsEmpty(piece)
)
SELECT jcbh, 'jbnt', ST_Area(piece::geography) FROM counted WHERE n = 1
UNION ALL
SELECT jcbh, 'jbnt', ST_Area(ST_Union(piece)::geography) FROM counted WHERE n > 1 GROUP BY jcbh
""",
    # Few, large reserves: the reserve is the repeated argument, so PostGIS'
    # prepared-geometry cache prepares each reserve once.
    "zrbhd": """
WITH pieces AS MATERIALIZED (
  SELECT p.jcbh,
         CASE WHEN ST_ContainsProperly(z.geom, p.geom) THEN p.geom
              ELSE ST_CollectionExtract(ST_Intersection(p.geom, z.geom), 3) END AS piece
  FROM zrbhd z JOIN patches p ON ST_Intersects(z.geom, p.geom)
), counted AS (
  SELECT jcbh, piece, count(*) OVER (PARTITION BY jcbh) AS n
  FROM pieces WHERE NOT ST_IsEmpty(piece)
)
SELECT jcbh, 'zrbhd', ST_Area(piece::geography) FROM counted WHERE n = 1
UNION ALL
SELECT jcbh, 'zrbhd', ST_Area(ST_Union(piece)::geography) FROM counted WHERE n > 1 GROUP BY jcbh
""",
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def ensure_packages():
    need = []
    if not os.path.exists("/usr/share/postgresql/15/extension/postgis.control"):
        need.append("postgresql-15-postgis-3")
    if not os.path.exists(f"{PGBIN}/initdb"):
        need.append("postgresql-15")
    if shutil.which("ogr2ogr") is None:
        need.append("gdal-bin")
    if not need:
        return
    if os.geteuid() != 0:
        sys.exit(f"missing {' '.join(need)}: install them (apt-get) or run as root")
    log(f"installing {' '.join(need)} (apt-get)…")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *need],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


class Cluster:
    """A throwaway cluster in `root`, reached through a socket in `root`."""

    def __init__(self, root, parallel):
        self.root = root
        self.data = os.path.join(root, "data")
        self.as_root = os.geteuid() == 0
        self.user = "postgres" if self.as_root else pwd.getpwuid(os.geteuid()).pw_name
        self.parallel = parallel
        self.started = False

    def server_cmd(self, *cmd):
        if self.as_root:
            return ["runuser", "-u", "postgres", "--", *cmd]
        return list(cmd)

    def start(self):
        if self.as_root:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            self.server_cmd(
                f"{PGBIN}/initdb", "-D", self.data, "-A", "trust", "-U", self.user,
                "-E", "UTF8", "--locale=C", "--no-sync",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # A throwaway database tuned as a competent user would for a bulk
        # analytical job on this machine (2 cores, 24 GiB): generous memory,
        # no durability, JIT off (it only adds compile time to PostGIS-bound
        # queries), parallel workers as asked (default 2 = both cores).
        conf = f"""
listen_addresses = ''
unix_socket_directories = '{self.root}'
port = {PORT}
shared_buffers = '2GB'
work_mem = '256MB'
maintenance_work_mem = '1GB'
effective_cache_size = '8GB'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = '8GB'
jit = off
max_worker_processes = 8
max_parallel_workers = {max(self.parallel, 0)}
max_parallel_workers_per_gather = {max(self.parallel, 0)}
max_parallel_maintenance_workers = {max(self.parallel, 0)}
random_page_cost = 1.1
"""
        with open(os.path.join(self.data, "postgresql.conf"), "a", encoding="utf-8") as f:
            f.write(conf)
        subprocess.run(
            self.server_cmd(
                f"{PGBIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.root, "server.log"),
                "-w", "-t", "60", "start",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.started = True

    def stop(self):
        if self.started:
            subprocess.run(
                self.server_cmd(f"{PGBIN}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"),
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.started = False

    def postmaster_pid(self):
        with open(os.path.join(self.data, "postmaster.pid"), encoding="utf-8") as f:
            return int(f.readline())

    def conninfo(self, db="postgres"):
        return f"host={self.root} port={PORT} user={self.user} dbname={db}"

    def psql(self, sql, db="bench", capture=False):
        r = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", self.conninfo(db)],
            input=sql,
            text=True,
            check=True,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        )
        return r.stdout if capture else None


class MemorySampler(threading.Thread):
    """Peak memory of a cluster: every `interval` s, the PSS of the
    postmaster and all its children, summed; and each process's VmHWM."""

    def __init__(self, postmaster, interval=0.1):
        super().__init__(daemon=True)
        self.postmaster = postmaster
        self.interval = interval
        self.peak_pss_kib = 0
        self.hwm_kib = {}
        self.stop_event = threading.Event()

    def pids(self):
        out = [self.postmaster]
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat", encoding="utf-8") as f:
                    stat = f.read()
                ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.postmaster:
                out.append(int(d))
        return out

    def sample(self):
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1])
                            break
                with open(f"/proc/{pid}/status", encoding="utf-8") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            hwm = int(line.split()[1])
                            self.hwm_kib[pid] = max(self.hwm_kib.get(pid, 0), hwm)
                            break
            except OSError:
                continue
        self.peak_pss_kib = max(self.peak_pss_kib, total)

    def run(self):
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(self.interval)

    def stop(self):
        self.stop_event.set()
        self.join()
        self.sample()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", help="folder with patches.gpkg, gd.gpkg, jbnt.gpkg, zrbhd.gpkg")
    ap.add_argument("--out", help="long CSV: JCBH, layer, area_m2")
    ap.add_argument("--parallel", type=int, default=2, help="max_parallel_workers_per_gather (default 2)")
    ap.add_argument("--keep", action="store_true", help="leave the cluster running and its folder in place")
    args = ap.parse_args()
    src = os.path.abspath(args.dir)

    ensure_packages()
    root = tempfile.mkdtemp(prefix="wp-postgis-")
    os.chmod(root, 0o755)
    cluster = Cluster(root, args.parallel)
    try:
        t0 = time.perf_counter()
        cluster.start()
        cluster.psql("CREATE DATABASE bench", db="postgres")
        cluster.psql("CREATE EXTENSION postgis")
        version = cluster.psql("SELECT split_part(version(), ' ', 2) || ' / PostGIS ' || postgis_lib_version() || ' / GEOS ' || postgis_geos_version()", capture=True).strip()
        t_started = time.perf_counter()
        log(f"{version}; cluster in {root} (started in {t_started - t0:.1f} s)")

        # Load. ogr2ogr streams COPY; the GiST indexes and statistics are
        # made afterwards, each timed on its own.
        timings = {}
        t = time.perf_counter()
        for name in ("patches", "gd", "jbnt", "zrbhd"):
            subprocess.run(
                [
                    "ogr2ogr", "-f", "PostgreSQL", f"PG:{cluster.conninfo('bench')}",
                    os.path.join(src, f"{name}.gpkg"), name,
                    "-nln", name, "-nlt", "MULTIPOLYGON",
                    "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=NONE", "-lco", "FID=fid",
                    "--config", "PG_USE_COPY", "YES",
                ],
                check=True,
            )
        timings["load_s"] = time.perf_counter() - t
        t = time.perf_counter()
        cluster.psql(
            "CREATE INDEX ON patches USING gist (geom);\n"
            "CREATE INDEX ON gd USING gist (geom);\n"
            "CREATE INDEX ON jbnt USING gist (geom);\n"
            "CREATE INDEX ON zrbhd USING gist (geom);\n"
        )
        timings["index_s"] = time.perf_counter() - t
        t = time.perf_counter()
        cluster.psql("VACUUM ANALYZE patches; VACUUM ANALYZE gd; VACUUM ANALYZE jbnt; VACUUM ANALYZE zrbhd;")
        timings["analyze_s"] = time.perf_counter() - t
        counts = cluster.psql(
            "SELECT (SELECT count(*) FROM patches), (SELECT count(*) FROM gd), "
            "(SELECT count(*) FROM jbnt), (SELECT count(*) FROM zrbhd), "
            "(SELECT Find_SRID('public', 'patches', 'geom'))",
            capture=True,
        ).strip().split("|")
        log(
            f"loaded {counts[0]} patches, {counts[1]} gd, {counts[2]} jbnt, {counts[3]} zrbhd (SRID {counts[4]}): "
            f"ogr2ogr {timings['load_s']:.1f} s, GiST {timings['index_s']:.1f} s, VACUUM ANALYZE {timings['analyze_s']:.1f} s"
        )

        # The overlay, one session per layer, the result streamed to a file.
        sampler = MemorySampler(cluster.postmaster_pid())
        sampler.start()
        outdir = tempfile.mkdtemp(prefix="wp-postgis-out-")
        query_s = {}
        try:
            for name, sql in LAYERS_SQL.items():
                path = os.path.join(outdir, f"{name}.csv")
                body = " ".join(line.strip() for line in sql.strip().splitlines())
                t = time.perf_counter()
                cluster.psql(f"\\copy ({body}) TO '{path}' WITH (FORMAT csv)\n")
                query_s[name] = time.perf_counter() - t
                log(f"  {name:<6} query {query_s[name]:8.2f} s")
        finally:
            sampler.stop()
        timings["query_s"] = sum(query_s.values())

        rows = 0
        out = open(args.out, "w", encoding="utf-8") if args.out else None
        try:
            if out:
                out.write("JCBH,layer,area_m2\n")
            for name in LAYERS_SQL:
                with open(os.path.join(outdir, f"{name}.csv"), encoding="utf-8") as f:
                    for line in f:
                        rows += 1
                        if out:
                            out.write(line)
        finally:
            if out:
                out.close()
        shutil.rmtree(outdir, ignore_errors=True)

        backend_hwm = max(sampler.hwm_kib.values()) if sampler.hwm_kib else 0
        summary = {
            "tool": "postgis",
            "version": version,
            "parallel": args.parallel,
            "load_s": round(timings["load_s"], 3),
            "index_s": round(timings["index_s"], 3),
            "analyze_s": round(timings["analyze_s"], 3),
            "query_s": round(timings["query_s"], 3),
            **{f"query_{k}_s": round(v, 3) for k, v in query_s.items()},
            "rows": rows,
            "peak_backend_hwm_mib": round(backend_hwm / 1024, 1),
            "peak_cluster_pss_mib": round(sampler.peak_pss_kib / 1024, 1),
        }
        log(
            f"  QUERIES {timings['query_s']:.2f} s; load+index+analyze "
            f"{timings['load_s'] + timings['index_s'] + timings['analyze_s']:.2f} s; "
            f"{rows} result rows"
        )
        log(
            f"  peak memory: largest process VmHWM {backend_hwm / 1024:.0f} MiB, "
            f"cluster PSS sum {sampler.peak_pss_kib / 1024:.0f} MiB (sampled every 0.1 s)"
        )
        print(json.dumps(summary))
    finally:
        if args.keep:
            log(f"kept: psql -d '{cluster.conninfo('bench')}'")
        else:
            cluster.stop()
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
