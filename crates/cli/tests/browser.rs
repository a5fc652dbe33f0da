//! The platform in a real browser: the demo served by `weipian serve`,
//! Debian's Chromium driven by playwright-core (`tests/browser/walk.js`)
//! through sign-in, the 工作台, a report download, the CSRF refusal, another
//! county's patch, sign-out and a second role. Screenshots of the pages go
//! to `target/screenshots/` for review.
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
fn a_county_and_a_city_use_the_platform_in_chromium() {
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
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let _server = Server(
        Command::new(bin)
            .arg("--data")
            .arg(&data)
            .args(["serve", "--addr", &addr])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(ready(&addr), "the server did not start on {addr}");
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let walk = Command::new("node")
        .arg(here.join("walk.js"))
        .arg(format!("http://{addr}"))
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&walk.stdout);
    assert!(
        walk.status.success(),
        "browser walk failed: {stdout}\n{}",
        String::from_utf8_lossy(&walk.stderr)
    );
    for name in ["sign-in.png", "desk-county.png", "desk-city.png"] {
        assert!(shots.join(name).metadata().unwrap().len() > 1000, "{name}");
    }
}
