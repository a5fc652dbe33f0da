//! The platform in a real browser: the demo served by `weipian serve`,
//! Debian's Chromium driven by playwright-core (`tests/browser/walk.js`)
//! through the whole loop — a county fills a 违法 determination with a
//! photo and submits it, the city returns it with a reason, the county
//! fixes and resubmits, city and province pass it, and the province's
//! 快报 (on the page and in the downloaded .xlsx) counts it — plus the
//! sign-in errors, the CSRF refusal and another county's patch "not
//! found". Screenshots of the pages go to `target/screenshots/` for review.
//!
//! A second walk (`tests/browser/walk_more.js`, on its own demo data and
//! server) takes the paths around the loop: a case's illegal-land range
//! uploaded (and a bad one refused), a split by a line that misses the
//! patch refused, bulk answers from the downloaded table as CSV, a city's
//! bulk 退回, and the technical-support unit's desk review from the list.
//!
//! Runs when `node`, Chromium and `tests/browser/node_modules` are there;
//! CI installs them and sets `WEIPIAN_BROWSER_TESTS=1`, which makes their
//! absence a failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ready(addr: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(addr).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The walks run one at a time: each starts a server and a Chromium, and
/// on two cores side by side they would time each other out.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `tests/browser` and the Chromium to drive, or `None` (the walk is
/// skipped) when node, Chromium or playwright-core is missing — a failure
/// when `WEIPIAN_BROWSER_TESTS` is set.
fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let have = chromium.exists()
        && here.join("node_modules/playwright-core").exists()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !have {
        assert!(
            std::env::var_os("WEIPIAN_BROWSER_TESTS").is_none(),
            "WEIPIAN_BROWSER_TESTS is set but node, Chromium or playwright-core is missing"
        );
        eprintln!("skipped: node, Chromium or tests/browser/node_modules missing");
        return None;
    }
    Some((here, chromium))
}

/// Run `node SCRIPT ARGS…` driving `chromium`; what it printed, or a panic
/// with its failures.
fn run_walk(script: &Path, chromium: &Path, args: &[&std::ffi::OsStr]) -> String {
    let walk = Command::new("node")
        .arg(script)
        .args(args)
        .env("CHROMIUM", chromium)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&walk.stdout).into_owned();
    assert!(
        walk.status.success(),
        "browser walk {} failed: {stdout}\n{}",
        script.display(),
        String::from_utf8_lossy(&walk.stderr)
    );
    stdout
}

/// Run `weipian --data DATA ARGS…`; its standard output, or a panic with its errors.
fn weipian(data: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_weipian"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "weipian {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The demo (seed 7) in `data`.
fn demo(data: &Path) {
    weipian(data, &["demo", "--no-serve", "--seed", "7"]);
}

/// `127.0.0.1:PORT` on a port free just now.
fn free_addr() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

fn screenshots() -> PathBuf {
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    shots
}

#[test]
fn the_whole_review_loop_runs_in_chromium() {
    let Some((here, chromium)) = browser_tools() else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let bin = env!("CARGO_BIN_EXE_weipian");
    demo(&data);
    // A small batch for the administrator to upload in the browser: five
    // of the demo's patches, exported with the command line, as 2020Q2.
    let whole = tmp.path().join("whole.geojson");
    let out = Command::new(bin)
        .arg("--data")
        .arg(&data)
        .args([
            "export", "patches", "--batch", "2020Q1", "--format", "geojson", "--out",
        ])
        .arg(&whole)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&whole).unwrap()).unwrap();
    let five: Vec<serde_json::Value> = doc["features"].as_array().unwrap()[..5].to_vec();
    doc["features"] = serde_json::Value::Array(five);
    let upload = tmp.path().join("二季度图斑.geojson");
    std::fs::write(&upload, doc.to_string()).unwrap();
    let addr = free_addr();
    // A tile service standing in for 天地图 and the batch's imagery: the
    // configuration names it, the CSP must admit it, the maps must ask it.
    let (tiles, tile_log) = tile_server();
    let config = tmp.path().join("weipian.toml");
    std::fs::write(
        &config,
        format!(
            "[basemap]\nurl = \"http://{tiles}/base/{{z}}/{{x}}/{{y}}.jpg\"\nattribution = \"测试底图\"\n\n\
             [imagery.\"2020/2020Q1\"]\nbefore = \"http://{tiles}/before/{{z}}/{{x}}/{{y}}.jpg\"\n\
             after = \"http://{tiles}/after/{{z}}/{{x}}/{{y}}.jpg\"\n"
        ),
    )
    .unwrap();
    let _server = Server(
        Command::new(bin)
            .arg("--data")
            .arg(&data)
            .args(["serve", "--addr", &addr, "--config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(ready(&addr), "the server did not start on {addr}");
    let shots = screenshots();
    // A site photo with its EXIF position, time and direction.
    let photo = tmp.path().join("现场照片.jpg");
    std::fs::write(
        &photo,
        weipian_demo::photo::scene_jpeg(104.28, 30.99, "2020:04:02 10:15:00", 135, 7, 1),
    )
    .unwrap();
    let stdout = run_walk(
        &here.join("walk.js"),
        &chromium,
        &[
            format!("http://{addr}").as_ref(),
            shots.as_os_str(),
            photo.as_os_str(),
            upload.as_os_str(),
        ],
    );
    for name in [
        "sign-in.png",
        "desk-province.png",
        "desk-county.png",
        "list-county.png",
        "patch-county.png",
        "not-found.png",
        "review-city.png",
        "patch-province.png",
        "quick-province.png",
        "accountability.png",
        "gate.png",
        "sampling.png",
        "users.png",
        "data.png",
        "snapshot.png",
        "split.png",
        "field-check.png",
        "military.png",
    ] {
        assert!(shots.join(name).metadata().unwrap().len() > 1000, "{name}");
    }
    // The maps asked the configured basemap and both imagery dates.
    let asked = tile_log.lock().unwrap().clone();
    for layer in ["/base/", "/before/", "/after/"] {
        assert!(
            asked.iter().any(|p| p.starts_with(layer)),
            "no {layer} tile asked: {asked:?}"
        );
    }
    // The downloaded 快报 workbook carries the count the page showed.
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let after = seen["seen"]["illegal_after"].as_f64().unwrap();
    let figure = quick_xlsx_figure(&shots.join("quick-province.xlsx"), "土地违法图斑个数");
    assert_eq!(figure, Some(after), "{stdout}");
}

#[test]
fn more_workflows_run_in_chromium() {
    let Some((here, chromium)) = browser_tools() else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    demo(&data);
    // A case of the demo county without an illegal-land range yet, and its
    // patch's shape as the command line exports it (CGCS2000 lon/lat).
    let (case, county, jcbh) = case_without_range(&data);
    let export = tmp.path().join("county.geojson");
    weipian(
        &data,
        &[
            "export",
            "patches",
            "--batch",
            "2020Q1",
            "--region",
            &county,
            "--kind",
            "land",
            "--format",
            "geojson",
            "--out",
            export.to_str().unwrap(),
        ],
    );
    let patch = patch_shape(&export, &jcbh);
    // The range as surveyed: the patch shrunk by half around its centroid.
    let inside = {
        use geo::{Centroid, Scale};
        let c = patch.centroid().expect("the patch has a centroid");
        patch.scale_around_point(0.5, 0.5, c)
    };
    let cgcs2000 = "urn:ogc:def:crs:EPSG::4490";
    let good = tmp.path().join("违法用地范围.geojson");
    write_range(&good, &inside, cgcs2000);
    // Refused: the same shape 0.3° to the east (off the patch and out of
    // the county) …
    let far = tmp.path().join("违法用地范围-偏移.geojson");
    write_range(
        &far,
        &geo::Translate::translate(&inside, 0.3, 0.0),
        cgcs2000,
    );
    // … and the right place in WGS 84 rather than CGCS2000.
    let wgs84 = tmp.path().join("违法用地范围-WGS84.geojson");
    write_range(&wgs84, &inside, "urn:ogc:def:crs:OGC:1.3:CRS84");

    let addr = free_addr();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_weipian"))
            .arg("--data")
            .arg(&data)
            .args(["serve", "--addr", &addr])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(ready(&addr), "the server did not start on {addr}");
    let shots = screenshots();
    let started = Instant::now();
    let stdout = run_walk(
        &here.join("walk_more.js"),
        &chromium,
        &[
            format!("http://{addr}").as_ref(),
            shots.as_os_str(),
            jcbh.as_ref(),
            case.to_string().as_ref(),
            good.as_os_str(),
            far.as_os_str(),
            wgs84.as_os_str(),
        ],
    );
    eprintln!("walk_more.js took {:.0?}", started.elapsed());
    for name in [
        "range-county.png",
        "range-refused.png",
        "split-refused.png",
        "bulk-answers.png",
        "bulk-return.png",
        "desk-run.png",
        "desk-flags.png",
    ] {
        assert!(shots.join(name).metadata().unwrap().len() > 1000, "{name}");
    }
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    // The area the page showed (m², 2 decimals) is the official area of the file sent.
    let expected = weipian_geo::area::ellipsoidal_area(&inside);
    let shown = seen["seen"]["range_m2"].as_f64().unwrap();
    assert!(
        (shown - expected).abs() <= 0.005 + 1e-9,
        "range area shown {shown} m², the file's {expected} m²: {stdout}"
    );
    // The table the page offered to fill lists the county's patches, the
    // walked case's among them, under the upload's headers.
    let rows = xlsx_rows(&shots.join("answers-county.xlsx"));
    let header = &rows[0];
    for h in ["监测编号", "判定类型", "具体情形", "判定依据说明"] {
        assert!(header.iter().any(|c| c == h), "{h} in {header:?}");
    }
    assert!(
        rows.iter().any(|r| r.first() == Some(&jcbh)),
        "{jcbh} in the downloaded table"
    );
}

/// A case of the demo county (as its clerk sees it) with no illegal-land
/// range yet: (case id, county, the JCBH of its first patch).
fn case_without_range(data: &Path) -> (i64, String, String) {
    for id in 1..=20 {
        let id_text = id.to_string();
        let as_clerk = |what: &str| -> serde_json::Value {
            serde_json::from_slice(&weipian(
                data,
                &["--json", "case", what, &id_text, "--as", "demo-county"],
            ))
            .unwrap()
        };
        let range = as_clerk("range");
        if range["features"].as_array().is_some_and(|f| !f.is_empty()) {
            continue;
        }
        let case = as_clerk("show");
        let label = case["patches"][0].as_str().unwrap(); // YEAR/BATCH/JCBH
        let jcbh = label.rsplit('/').next().unwrap().to_string();
        return (id, case["county"].as_str().unwrap().to_string(), jcbh);
    }
    panic!("the demo has no case without a range");
}

/// The shape of patch `jcbh` in an exported GeoJSON file.
fn patch_shape(path: &Path, jcbh: &str) -> geo::MultiPolygon<f64> {
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let feature = doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["JCBH"] == jcbh)
        .unwrap_or_else(|| panic!("{jcbh} not in {}", path.display()));
    let ring = |r: &serde_json::Value| -> geo::LineString<f64> {
        r.as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect::<Vec<_>>()
            .into()
    };
    let polygon = |rings: &serde_json::Value| {
        let rings = rings.as_array().unwrap();
        geo::Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
    };
    let g = &feature["geometry"];
    let coords = g["coordinates"].as_array().unwrap();
    geo::MultiPolygon(match g["type"].as_str() {
        Some("Polygon") => vec![polygon(&g["coordinates"])],
        Some("MultiPolygon") => coords.iter().map(polygon).collect(),
        other => panic!("{jcbh}: geometry {other:?}"),
    })
}

/// A one-feature GeoJSON file of `shape`, its coordinates declared in `crs`.
fn write_range(path: &Path, shape: &geo::MultiPolygon<f64>, crs: &str) {
    let ring =
        |r: &geo::LineString<f64>| -> Vec<[f64; 2]> { r.coords().map(|c| [c.x, c.y]).collect() };
    let coordinates: Vec<Vec<Vec<[f64; 2]>>> = shape
        .0
        .iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(ring)
                .collect()
        })
        .collect();
    let doc = serde_json::json!({
        "type": "FeatureCollection",
        "crs": { "type": "name", "properties": { "name": crs } },
        "features": [{
            "type": "Feature",
            "properties": { "DKMC": "违法占地范围" },
            "geometry": { "type": "MultiPolygon", "coordinates": coordinates },
        }],
    });
    std::fs::write(path, doc.to_string()).unwrap();
}

/// The first sheet of a workbook as text cells.
fn xlsx_rows(path: &Path) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect()
}

/// A tile server on a free port answering every GET with a small JPEG;
/// the paths asked are logged.
fn tile_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = log.clone();
    let tile = weipian_demo::photo::scene_jpeg(104.0, 30.0, "2020:01:01 00:00:00", 0, 1, 0);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_err() {
                continue;
            }
            if let Some(path) = line.split_whitespace().nth(1) {
                seen.lock().unwrap().push(path.to_string());
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                tile.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&tile);
        }
    });
    (addr, log)
}

/// The value under `label` in the first row of the workbook's figures.
fn quick_xlsx_figure(path: &Path, label: &str) -> Option<f64> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook(path).unwrap();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        let mut rows = range.rows();
        let Some(header) = rows.next() else { continue };
        let Some(col) = header.iter().position(|c| *c == label) else {
            continue;
        };
        let first = rows.next()?;
        return first.get(col).and_then(|c| c.to_string().parse().ok());
    }
    None
}
