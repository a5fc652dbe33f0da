//! The platform in a real browser: the demo served by `weipian serve`,
//! Debian's Chromium driven by playwright-core (`tests/browser/walk.js`)
//! through the whole loop — a county fills a 违法 determination with a
//! photo and submits it, the city returns it with a reason, the county
//! fixes and resubmits, city and province pass it, and the province's
//! 快报 (on the page and in the downloaded .xlsx) counts it — plus the
//! sign-in errors, the CSRF refusal and another county's patch "not
//! found". Screenshots of the pages go to `target/screenshots/` for review.
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

#[test]
fn the_whole_review_loop_runs_in_chromium() {
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
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let bin = env!("CARGO_BIN_EXE_weipian");
    let out = Command::new(bin)
        .arg("--data")
        .arg(&data)
        .args(["demo", "--no-serve", "--seed", "7"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
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
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    // A site photo with its EXIF position, time and direction.
    let photo = tmp.path().join("现场照片.jpg");
    std::fs::write(
        &photo,
        weipian_demo::photo::scene_jpeg(104.28, 30.99, "2020:04:02 10:15:00", 135, 7, 1),
    )
    .unwrap();
    let walk = Command::new("node")
        .arg(here.join("walk.js"))
        .arg(format!("http://{addr}"))
        .arg(&shots)
        .arg(&photo)
        .arg(&upload)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&walk.stdout);
    assert!(
        walk.status.success(),
        "browser walk failed: {stdout}\n{}",
        String::from_utf8_lossy(&walk.stderr)
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
