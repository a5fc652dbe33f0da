use std::io::Write;
fn main() {
    let d = weipian_demo::demo(2020);
    let mut out = std::io::BufWriter::new(std::fs::File::create("/tmp/demo_dump.txt").unwrap());
    let mut put = |name: &str, ds: &weipian_formats::Dataset| {
        for f in &ds.features {
            for p in &f.geometry.as_ref().unwrap().0 {
                for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                    write!(out, "{name}").unwrap();
                    for c in &r.0 { write!(out, " {:.6} {:.6}", c.x, c.y).unwrap(); }
                    writeln!(out).unwrap();
                }
            }
        }
    };
    put("county", &d.counties);
    put("city", &d.cities);
    for (k, ds) in &d.layers { put(k, ds); }
    put("land", &d.land);
    put("mineral", &d.mineral);
}
