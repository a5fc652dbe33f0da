//! Embeds every year's determination code table found in
//! `data/determination/*.toml`: adding a year is adding a file.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dir = manifest.join("../../data/determination");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut years: Vec<(u16, PathBuf)> = std::fs::read_dir(&dir)
        .expect("data/determination exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter_map(|p| {
            let year: u16 = p.file_stem()?.to_str()?.parse().ok()?;
            (p.extension()? == "toml").then_some((year, p))
        })
        .collect();
    years.sort();
    let mut out = String::from("/// (year, TOML text) of every embedded code table, by year.\npub(crate) const EMBEDDED: &[(u16, &str)] = &[\n");
    for (year, path) in &years {
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(
            out,
            "    ({year}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"))
        .join("determination_tables.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
