//! Embeds every year's policy files: the determination code tables in
//! `data/determination/*.toml`, the schedules in `data/schedule/*.toml` and
//! the report templates in `data/reports/*.toml`.
//! Adding a year is adding files.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Write `OUT_DIR/<out>` holding `const <name>: &[(u16, &str)]` with the
/// (year, text) of every `<dir>/YEAR.toml`, by year.
fn embed(dir: &str, name: &str, out: &str, what: &str) {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dir = manifest.join("../../data").join(dir);
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut years: Vec<(u16, PathBuf)> = std::fs::read_dir(&dir)
        .expect("the data directory exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter_map(|p| {
            let year: u16 = p.file_stem()?.to_str()?.parse().ok()?;
            (p.extension()? == "toml").then_some((year, p))
        })
        .collect();
    years.sort();
    let mut text = format!(
        "/// (year, TOML text) of every embedded {what}, by year.\npub(crate) const {name}: &[(u16, &str)] = &[\n"
    );
    for (year, path) in &years {
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(
            text,
            "    ({year}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    text.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join(out);
    std::fs::write(dest, text).expect("OUT_DIR is writable");
}

fn main() {
    embed(
        "determination",
        "EMBEDDED",
        "determination_tables.rs",
        "code table",
    );
    embed("schedule", "EMBEDDED_SCHEDULES", "schedules.rs", "schedule");
    embed(
        "accountability",
        "EMBEDDED_ACCOUNTABILITY",
        "accountability.rs",
        "accountability policy",
    );
    embed(
        "reports",
        "EMBEDDED_REPORT_TEMPLATES",
        "report_templates.rs",
        "report template file",
    );
}
