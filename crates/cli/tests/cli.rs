//! End-to-end tests of the `weipian` binary: the demo, the command shapes,
//! `--json` summaries, exit codes, and crash safety (kill -9 during import).

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn weipian(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weipian"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("run weipian")
}

fn json_of(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn ok(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    json_of(out)
}

fn batch_count(data: &Path) -> u64 {
    let v = ok(&weipian(data, &["--json", "batches"]));
    v["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum()
}

#[test]
fn demo_builds_layers_and_batches_and_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let v = ok(&weipian(
        &a,
        &["--json", "demo", "--no-serve", "--seed", "7"],
    ));
    assert_eq!(v["regions"], 183);
    let layers = ok(&weipian(&a, &["--json", "layers"]));
    for l in layers["layers"].as_array().unwrap() {
        assert!(
            l["count"].as_u64().unwrap() > 0,
            "layer {} is empty",
            l["kind"]
        );
    }
    let batches = ok(&weipian(&a, &["--json", "batches"]));
    let kinds: Vec<&str> = batches["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "{batches}");
    assert!(kinds.contains(&"land") && kinds.contains(&"mineral"));
    let land = batches["batches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["kind"] == "land")
        .unwrap();
    assert!(land["count"].as_u64().unwrap() >= 1000, "{land}");

    // The county's work: every state there is, made through the service.
    let w = &v["work"];
    let stages: Vec<&str> = w["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        vec!["未立案", "已立案", "已作出处理决定", "已落实到位", "已结案"]
    );
    assert_eq!(
        (
            w["military"].as_u64(),
            w["transfers"].as_u64(),
            w["drafts"].as_u64()
        ),
        (Some(1), Some(2), Some(1))
    );
    assert!(w["complete"].as_u64().unwrap() >= 10, "{w}");
    // The review chain: submitted, passed, returned by the city and the
    // province, one reported to the Ministry.
    assert_eq!(w["reviews"]["reported"], 1, "{w}");
    assert!(w["reviews"]["city_passed"].as_u64().unwrap() >= 5, "{w}");
    let q = ok(&weipian(
        &a,
        &[
            "--json",
            "review",
            "queue",
            "--batch",
            "2020Q1",
            "--as",
            "demo-county",
        ],
    ));
    let returned: Vec<&str> = q["queue"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["last_return"]["reason"].as_str())
        .collect();
    // Returned: by the city, by the province, and for an upheld desk flag.
    assert_eq!(returned.len(), 3, "{q}");
    assert!(
        returned.iter().any(|r| r.contains("内业审核疑点属实")),
        "{q}"
    );
    // A city reviewer cannot report; the refusal names the reason and exits 1.
    let some = w["split"][0].as_str().unwrap();
    let out = weipian(
        &a,
        &[
            "review",
            "report",
            some,
            "--batch",
            "2020Q1",
            "--as",
            "demo-city",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("省级审核用户"),
        "{out:?}"
    );
    // Statistics by city: every patch issued, the verified split by legality.
    let st = ok(&weipian(
        &a,
        &[
            "--json",
            "report",
            "stats",
            "--batch",
            "2020Q1",
            "--level",
            "province",
            "--as",
            "demo-province",
        ],
    ));
    let land = st["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "land")
        .unwrap()
        .clone();
    assert!(land["issued"]["count"].as_u64().unwrap() >= 1000, "{land}");
    assert!(land["illegal"]["count"].as_u64().unwrap() >= 5, "{land}");
    let sum = ["legal", "illegal", "other"]
        .iter()
        .map(|k| land[k]["area_m2"].as_f64().unwrap())
        .sum::<f64>();
    // Equal up to the 地块 partition tolerance (the split patch's parts).
    let verified = land["verified"]["area_m2"].as_f64().unwrap();
    assert!((sum - verified).abs() < 0.1, "{sum} vs {verified}");
    // Cases by stage: the five demo land cases, each counted in every stage it reached.
    let cs = ok(&weipian(
        &a,
        &[
            "--json",
            "report",
            "cases",
            "--batch",
            "2020Q1",
            "--level",
            "province",
            "--as",
            "demo-province",
        ],
    ));
    let land_cases = cs["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "land")
        .unwrap()
        .clone();
    let n = |k: &str| land_cases[k]["count"].as_u64().unwrap();
    assert_eq!(
        (
            n("found"),
            n("filed"),
            n("decided"),
            n("enforced"),
            n("eliminated"),
            n("closed")
        ),
        (5, 4, 3, 2, 2, 1),
        "{land_cases}"
    );
    // The 季度快报 for the province agrees with the statistics, and comes
    // out as a document (the cut-off of the demo's quarter is long past:
    // counted from the current data when asked).
    let docx = a.join("快报.docx");
    let q = ok(&weipian(
        &a,
        &[
            "--json",
            "report",
            "quick",
            "--region",
            "510000",
            "--year",
            "2020",
            "--quarter",
            "1",
            "--current",
            "--out",
            docx.to_str().unwrap(),
            "--as",
            "demo-province",
        ],
    ));
    let blank = |expr: &str| {
        q["blanks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["expr"] == expr)
            .unwrap_or_else(|| panic!("no blank {expr}: {q}"))
            .clone()
    };
    assert_eq!(
        blank("land.issued")["text"],
        land["issued"]["count"].to_string(),
        "{q}"
    );
    assert_eq!(
        blank("land.illegal")["text"],
        land["illegal"]["count"].to_string(),
        "{q}"
    );
    assert_eq!(blank("land.found")["text"], "5");
    assert_eq!(blank("land.eliminated")["text"], "2");
    let bytes = std::fs::read(&docx).unwrap();
    assert_eq!(&bytes[..2], b"PK");
    assert_eq!(q["title"], "四川省第一季度卫片执法工作情况快报");
    // Markdown to standard output; a city cannot report on the province.
    let md = weipian(
        &a,
        &[
            "report",
            "quick",
            "--region",
            "510100",
            "--year",
            "2020",
            "--quarter",
            "1",
            "--as",
            "demo-city",
        ],
    );
    assert!(md.status.success());
    let text = String::from_utf8_lossy(&md.stdout);
    assert!(
        text.starts_with("# 四川省成都市第一季度卫片执法工作情况快报"),
        "{text}"
    );
    let refused = weipian(
        &a,
        &[
            "report",
            "quick",
            "--region",
            "510000",
            "--year",
            "2020",
            "--quarter",
            "1",
            "--as",
            "demo-city",
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("只能生成本辖区"));

    // 问责核算: the demo county's illegal answers, one claiming 一户一宅,
    // two eliminated within 2020; the documents are written.
    let proposal = a.join("问责建议.docx");
    let acc = ok(&weipian(
        &a,
        &[
            "--json",
            "accountability",
            "--year",
            "2020",
            "--current",
            "--proposal",
            proposal.to_str().unwrap(),
            "--as",
            "demo-province",
        ],
    ));
    let county = acc["report"]["counties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["region"] == "510116")
        .unwrap_or_else(|| panic!("{acc}"))
        .clone();
    let step = |code: &str| {
        county["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == code)
            .unwrap()["numerator"]["items"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!((step("annual"), step("yhyz")), (2, 1), "{county}");
    assert!(std::fs::read(&proposal).unwrap().starts_with(b"PK"));
    // 审批前核查: an eliminated violation lets the approval through; an
    // unfiled one stops it.
    let gate = |code: &str| {
        ok(&weipian(
            &a,
            &["--json", "gate", "--code", code, "--as", "demo-city"],
        ))["gate"]["clear"]
            .as_bool()
            .unwrap()
    };
    let eliminated = county["steps"][0]["numerator"]["items"][0]
        .as_str()
        .unwrap();
    assert!(gate(eliminated), "{eliminated}");
    let unresolved: Vec<&str> = county["unresolved"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(unresolved.iter().any(|j| !gate(j)), "{unresolved:?}");
    // The blacklist: the company in two cases, the person whose decision
    // is not carried out; searchable.
    let bl = ok(&weipian(
        &a,
        &[
            "--json",
            "blacklist",
            "--year",
            "2020",
            "--as",
            "demo-province",
        ],
    ));
    let names: Vec<&str> = bl["blacklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["某建材有限公司", "张某"], "{bl}");
    let found = ok(&weipian(
        &a,
        &[
            "--json",
            "blacklist",
            "--year",
            "2020",
            "--search",
            "张",
            "--as",
            "demo-province",
        ],
    ));
    assert_eq!(found["blacklist"].as_array().unwrap().len(), 1);
    // Signals: the upheld desk flag is listed as 填报不实.
    let sg = ok(&weipian(
        &a,
        &["--json", "signals", "--year", "2020", "--as", "demo-city"],
    ));
    let county = &sg["signals"][0];
    assert_eq!(county["region"], "510116", "{sg}");
    assert!(!county["concealed"].as_array().unwrap().is_empty(), "{sg}");
    assert!(!county["no_case"].as_array().unwrap().is_empty(), "{sg}");

    // A field check done, a sample drawn.
    assert_eq!(w["field_checks"], 1, "{w}");
    let sample = w["samples"][0].as_i64().unwrap().to_string();
    let sv = ok(&weipian(
        &a,
        &["--json", "sample", "show", &sample, "--as", "demo-city"],
    ));
    assert!(!sv["items"].as_array().unwrap().is_empty(), "{sv}");
    // A filed case with its surveyed illegal-land range.
    let case_id = w["ranges"][0].as_i64().unwrap().to_string();
    let r = ok(&weipian(
        &a,
        &["--json", "case", "range", &case_id, "--as", "demo-province"],
    ));
    assert_eq!(r["features"].as_array().unwrap().len(), 1, "{r}");
    assert!(r["total_area_m2"].as_f64().unwrap() > 0.0, "{r}");
    // A patch split into two 地块, each answered, figures summed.
    let split = w["split"][0].as_str().unwrap();
    let parts = ok(&weipian(
        &a,
        &[
            "--json",
            "parcels",
            "show",
            split,
            "--batch",
            "2020Q1",
            "--as",
            "demo-city",
        ],
    ));
    let list = parts["parcels"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{parts}");
    assert_eq!(list[0]["answer"]["answer"]["PDLX"], "WF", "{parts}");
    assert_eq!(list[1]["answer"]["answer"]["PDLX"], "QT", "{parts}");
    let (total, whole) = (
        parts["total_area_m2"].as_f64().unwrap(),
        parts["patch_area_m2"].as_f64().unwrap(),
    );
    assert!((total - whole).abs() < 0.1, "{total} vs {whole}");
    assert!(
        parts["totals"]["layers"]
            .as_object()
            .is_some_and(|m| !m.is_empty()),
        "{parts}"
    );
    let roles: Vec<&str> = w["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u[1].as_str().unwrap())
        .collect();
    for role in [
        "admin", "province", "city", "county", "desk", "military", "ministry",
    ] {
        assert!(roles.contains(&role), "{role}: {w}");
    }
    ok(&weipian(&a, &["--json", "audit", "verify"]));
    let county = w["county"].as_str().unwrap();
    let tr = ok(&weipian(
        &a,
        &[
            "--json",
            "answer",
            "transfers",
            "--batch",
            "2020Q1",
            "--as",
            "demo-county",
        ],
    ));
    assert_eq!(tr["transfers"].as_array().unwrap().len(), 1, "{tr}");
    let mil = ok(&weipian(
        &a,
        &[
            "--json",
            "military",
            "list",
            "--batch",
            "2020Q1",
            "--as",
            "demo-military",
        ],
    ));
    assert_eq!(mil["register"].as_array().unwrap().len(), 1);
    assert_eq!(mil["register"][0]["xzqdm"], county);
    let denied = weipian(
        &a,
        &[
            "military",
            "list",
            "--batch",
            "2020Q1",
            "--as",
            "demo-county",
        ],
    );
    assert!(!denied.status.success());
    assert!(String::from_utf8_lossy(&denied.stderr).contains("无权操作"));

    // Same seed, same data: the exports are byte-identical.
    let b = tmp.path().join("b");
    ok(&weipian(
        &b,
        &["--json", "demo", "--no-serve", "--seed", "7"],
    ));
    let ea = tmp.path().join("a.geojson");
    let eb = tmp.path().join("b.geojson");
    ok(&weipian(
        &a,
        &[
            "--json",
            "export",
            "patches",
            "--batch",
            "2020Q1",
            "--format",
            "geojson",
            "--out",
            ea.to_str().unwrap(),
        ],
    ));
    ok(&weipian(
        &b,
        &[
            "--json",
            "export",
            "patches",
            "--batch",
            "2020Q1",
            "--format",
            "geojson",
            "--out",
            eb.to_str().unwrap(),
        ],
    ));
    let load = |p: &Path| {
        let mut v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("name"); // the file's own name
        v
    };
    let (ja, jb) = (load(&ea), load(&eb));
    assert!(ja["features"].as_array().unwrap().len() > 3000);
    // The demo is analysed: every flag occurs, figures are filled in.
    let props: Vec<&Value> = ja["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["properties"])
        .collect();
    for flag in ["ZDHC", "BMDTB", "ZYKZ"] {
        assert!(
            props.iter().any(|p| p[flag] == "是"),
            "no patch flagged {flag}"
        );
    }
    assert!(props
        .iter()
        .all(|p| p["JCGDMJ"].is_number() && p["PZYDMJ"].is_number()));
    assert!(props
        .iter()
        .any(|p| p["PZWH"].as_str().is_some_and(|s| s.contains("〔"))));
    assert!(props
        .iter()
        .any(|p| p["XZQFB"].as_str().is_some_and(|s| s.contains(':'))));
    // Analysing again recomputes nothing; --force recomputes everything.
    let again = ok(&weipian(&a, &["--json", "analyze", "--batch", "2020Q1"]));
    let recomputed = |v: &Value| {
        v["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["recomputed"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(recomputed(&again), 0, "{again}");
    let forced = ok(&weipian(
        &a,
        &["--json", "analyze", "--batch", "2020Q1", "--force"],
    ));
    assert!(recomputed(&forced) >= 8 * 3000, "{forced}");
    assert!(ja == jb, "the same seed gave different exports");

    // A demo may replace a demo, never real data.
    ok(&weipian(
        &a,
        &["--json", "demo", "--no-serve", "--seed", "7"],
    ));
    let real = tmp.path().join("real");
    ok(&weipian(&real, &["--json", "layers"])); // creates an empty store
    let out = weipian(&real, &["demo", "--no-serve"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("不会覆盖"));

    // Export of one county, each format; the summary counts agree.
    for fmt in ["geojson", "shp", "gpkg", "xlsx"] {
        let out = tmp.path().join(format!("county.{fmt}"));
        let v = ok(&weipian(
            &a,
            &[
                "--json",
                "export",
                "patches",
                "--batch",
                "2020Q1",
                "--format",
                fmt,
                "--region",
                "510100",
                "--out",
                out.to_str().unwrap(),
            ],
        ));
        assert!(v["patches"].as_u64().unwrap() > 0);
        assert!(out.exists());
    }
}

#[test]
fn errors_exit_non_zero_with_the_file_named() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    let bad = tmp.path().join("not-json.geojson");
    std::fs::write(&bad, "{ this is not json").unwrap();
    let out = weipian(
        &data,
        &[
            "--json",
            "import",
            "patches",
            bad.to_str().unwrap(),
            "--year",
            "2020",
            "--batch",
            "2020Q1",
            "--kind",
            "land",
        ],
    );
    assert!(!out.status.success());
    let v = json_of(&out);
    assert_eq!(v["ok"], false);
    let msg = v["error"].as_str().unwrap();
    assert!(
        msg.contains("not-json.geojson") && msg.contains("JSON"),
        "{msg}"
    );
    // Usage errors are refused before touching anything.
    let out = weipian(
        &data,
        &[
            "import",
            "patches",
            bad.to_str().unwrap(),
            "--year",
            "2020",
            "--batch",
            "2020Q1",
            "--kind",
            "forest",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("land"));
    let out = weipian(&data, &["import", "layer", "xyz", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("未知的图层类型"));
}

/// `kill -9` at many points of an import leaves the store either exactly as
/// before or with the whole batch — never a part of it.
#[test]
fn kill_9_during_import_leaves_the_store_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    ok(&weipian(
        &data,
        &["--json", "demo", "--no-serve", "--seed", "1"],
    ));
    let before = batch_count(&data);
    let land = data.join("demo-input").join("land-2020Q1");
    let args = [
        "import",
        "patches",
        land.to_str().unwrap(),
        "--year",
        "2021",
        "--batch",
        "K",
        "--kind",
        "land",
    ];

    // Time one full import into a copy, to spread the kills over it.
    let probe = tmp.path().join("probe");
    ok(&weipian(
        &probe,
        &["--json", "demo", "--no-serve", "--seed", "1"],
    ));
    let t0 = Instant::now();
    ok(&weipian(&probe, &{
        let mut a = vec!["--json"];
        a.extend_from_slice(&args);
        a
    }));
    let full = t0.elapsed();
    let added = batch_count(&probe) - before;
    assert!(added > 0);

    let mut killed_midway = 0;
    for i in 1..=8u32 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weipian"))
            .arg("--data")
            .arg(&data)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full * i / 9);
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let now = batch_count(&data);
        assert!(
            now == before || now == before + added,
            "after a kill at {i}/9 the store holds {now} patches (before {before}, full {})",
            before + added
        );
        if now == before && !finished {
            killed_midway += 1;
        }
        if now != before {
            break; // the batch landed whole; later kills would only hit re-imports
        }
    }
    assert!(
        killed_midway > 0,
        "no kill landed during an import (full run took {full:?})"
    );
}

/// A 2 GB upload is refused up front, by size, without reading it.
#[test]
fn a_two_gigabyte_file_is_refused_by_size() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("huge.geojson");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(2 * 1024 * 1024 * 1024).unwrap(); // sparse: costs no disk
    drop(f);
    let data = tmp.path().join("d");
    let started = Instant::now();
    let out = weipian(
        &data,
        &[
            "import",
            "patches",
            big.to_str().unwrap(),
            "--year",
            "2020",
            "--batch",
            "B",
            "--kind",
            "land",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("huge.geojson") && err.contains("文件过大"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the size check must not read the file"
    );
    assert_eq!(batch_count(&data), 0);
}

#[test]
fn users_are_created_with_fitting_roles_and_get_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("d");
    // A generated password is shown once.
    let v = ok(&weipian(
        &d,
        &[
            "--json", "user", "add", "sc-admin", "--region", "510000", "--role", "admin",
        ],
    ));
    assert_eq!(v["region_name"], "四川省");
    assert_eq!(v["password"].as_str().unwrap().len(), 16);
    // A password from stdin.
    let mut child = Command::new(env!("CARGO_BIN_EXE_weipian"))
        .args([
            "--data",
            d.to_str().unwrap(),
            "--json",
            "user",
            "add",
            "锦江填报",
        ])
        .args([
            "--region",
            "510104",
            "--role",
            "县级填报",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"a-long-enough-password\n").unwrap();
    }
    let v = ok(&child.wait_with_output().unwrap());
    assert_eq!(v["role"], "county");
    assert!(v.get("password").is_none());
    // A role that does not fit the level, an unknown role, a taken name: exit 1, Chinese message.
    for (args, msg) in [
        (
            vec![
                "user", "add", "x1", "--region", "510100", "--role", "county",
            ],
            "不能属于市级行政区",
        ),
        (
            vec!["user", "add", "x2", "--region", "510104", "--role", "mayor"],
            "未知角色",
        ),
        (
            vec![
                "user",
                "add",
                "锦江填报",
                "--region",
                "510104",
                "--role",
                "county",
            ],
            "已存在",
        ),
        (vec!["user", "token", "nobody"], "未找到"),
    ] {
        let out = weipian(&d, &args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(msg), "{args:?}: {err}");
    }
    let t = ok(&weipian(&d, &["--json", "user", "token", "锦江填报"]));
    let token = t["token"].as_str().unwrap();
    assert!(token.starts_with("wp_") && token.len() == 67);
    let list = ok(&weipian(&d, &["--json", "user", "list"]));
    let names: Vec<&str> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["sc-admin", "锦江填报"]);
    // Neither the password nor the token is stored in the clear.
    let mut bytes = std::fs::read(d.join("weipian.gpkg")).unwrap();
    bytes.extend(std::fs::read(d.join("weipian.gpkg-wal")).unwrap_or_default());
    let hay = String::from_utf8_lossy(&bytes);
    assert!(!hay.contains("a-long-enough-password"));
    assert!(!hay.contains(&token[3..]));
    assert!(hay.contains("$argon2id$"));
}
