//! A small, forgiving reader for WKT coordinate system definitions (ESRI
//! `.prj`, OGC WKT1, WKT2): just enough structure to read names, authority
//! codes and projection parameters. No semantics live here.

/// One value inside a WKT node's brackets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A quoted string, unescaped.
    Str(String),
    /// A number.
    Num(f64),
    /// A bare word (WKT2 enumerations such as `north`, `Cartesian`).
    Word(String),
    /// A nested node.
    Node(Node),
}

/// `KEYWORD[arg, arg, …]`; the keyword is upper-cased.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub keyword: String,
    pub args: Vec<Value>,
}

/// Nesting deeper than this is refused (real definitions nest about 6 deep).
const MAX_DEPTH: usize = 32;

impl Node {
    /// The first quoted string argument: the object's name.
    pub fn name(&self) -> Option<&str> {
        self.args.iter().find_map(|v| match v {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// The numeric arguments, in order.
    pub fn numbers(&self) -> impl Iterator<Item = f64> + '_ {
        self.args.iter().filter_map(|v| match v {
            Value::Num(x) => Some(*x),
            _ => None,
        })
    }

    /// Direct child nodes.
    pub fn children(&self) -> impl Iterator<Item = &Node> + '_ {
        self.args.iter().filter_map(|v| match v {
            Value::Node(n) => Some(n),
            _ => None,
        })
    }

    /// Direct child nodes with one of the given keywords.
    pub fn children_named<'a>(
        &'a self,
        keywords: &'a [&'a str],
    ) -> impl Iterator<Item = &'a Node> + 'a {
        self.children()
            .filter(move |n| keywords.contains(&n.keyword.as_str()))
    }

    /// Every node below this one (depth first, pre-order) with one of the
    /// given keywords.
    pub fn descendants_named<'a>(&'a self, keywords: &[&str]) -> Vec<&'a Node> {
        let mut out = Vec::new();
        let mut stack: Vec<&Node> = self.children().collect();
        stack.reverse();
        while let Some(n) = stack.pop() {
            if keywords.contains(&n.keyword.as_str()) {
                out.push(n);
            }
            let before = stack.len();
            stack.extend(n.children());
            stack[before..].reverse();
        }
        out
    }

    /// The first descendant with one of the given keywords.
    pub fn find<'a>(&'a self, keywords: &[&str]) -> Option<&'a Node> {
        self.descendants_named(keywords).into_iter().next()
    }

    /// An `AUTHORITY["EPSG","4526"]` (WKT1) or `ID["EPSG",4526]` (WKT2)
    /// directly on this node: (authority, code).
    pub fn authority(&self) -> Option<(String, u32)> {
        self.children_named(&["AUTHORITY", "ID"]).find_map(|n| {
            let auth = n.name()?.to_owned();
            let code = n.args.iter().skip(1).find_map(|v| match v {
                Value::Str(s) => s.trim().parse::<u32>().ok(),
                Value::Num(x) if x.fract() == 0.0 && *x >= 0.0 && *x <= f64::from(u32::MAX) => {
                    // Range checked just above, so the cast is exact.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    Some(*x as u32)
                }
                _ => None,
            })?;
            Some((auth, code))
        })
    }
}

/// Parses WKT text. Returns `None` for anything that is not one well-formed
/// node (trailing whitespace is allowed).
pub(crate) fn parse(text: &str) -> Option<Node> {
    let mut p = Parser {
        s: text.trim_start_matches('\u{feff}').as_bytes(),
        i: 0,
    };
    p.skip_ws();
    let node = p.node(0)?;
    p.skip_ws();
    // Some writers append a newline or a NUL; accept trailing NULs too.
    if p.s[p.i..]
        .iter()
        .all(|&b| b == 0 || b.is_ascii_whitespace())
    {
        Some(node)
    } else {
        None
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn word(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(|b| {
            b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-' || b == b'+'
        }) {
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()
            .map(str::to_owned)
    }

    fn node(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let keyword = self.word()?;
        self.skip_ws();
        let close = match self.peek()? {
            b'[' => b']',
            b'(' => b')',
            _ => return None,
        };
        self.i += 1;
        let mut args = Vec::new();
        loop {
            self.skip_ws();
            match self.peek()? {
                c if c == close => {
                    self.i += 1;
                    break;
                }
                b',' => {
                    self.i += 1;
                }
                b'"' => args.push(Value::Str(self.string()?)),
                _ => {
                    let save = self.i;
                    let w = self.word()?;
                    self.skip_ws();
                    if matches!(self.peek(), Some(b'[' | b'(')) {
                        self.i = save;
                        args.push(Value::Node(self.node(depth + 1)?));
                    } else if let Ok(x) = w.parse::<f64>() {
                        args.push(Value::Num(x));
                    } else {
                        args.push(Value::Word(w));
                    }
                }
            }
        }
        Some(Node {
            keyword: keyword.to_ascii_uppercase(),
            args,
        })
    }

    /// A double-quoted string; `""` inside is one quote.
    fn string(&mut self) -> Option<String> {
        self.i += 1; // opening quote
        let mut bytes = Vec::new();
        loop {
            let b = self.peek()?;
            self.i += 1;
            if b == b'"' {
                if self.peek() == Some(b'"') {
                    bytes.push(b'"');
                    self.i += 1;
                } else {
                    break;
                }
            } else {
                bytes.push(b);
            }
        }
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_esri_prj() {
        let t = r#"PROJCS["CGCS2000_3_Degree_GK_Zone_38",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",38500000.0],PARAMETER["Central_Meridian",114.0],UNIT["Meter",1.0]]"#;
        let n = parse(t).expect("parses");
        assert_eq!(n.keyword, "PROJCS");
        assert_eq!(n.name(), Some("CGCS2000_3_Degree_GK_Zone_38"));
        let sph = n.find(&["SPHEROID"]).expect("spheroid");
        assert_eq!(
            sph.numbers().collect::<Vec<_>>(),
            vec![6_378_137.0, 298.257_222_101]
        );
        assert_eq!(n.descendants_named(&["PARAMETER"]).len(), 2);
        assert_eq!(n.authority(), None);
    }

    #[test]
    fn parses_wkt2_ids_words_and_round_brackets() {
        let t = r#"PROJCRS("X",CS[Cartesian,2],AXIS["northing (X)",north],ID["EPSG",4547])"#;
        let n = parse(t).expect("parses");
        assert_eq!(n.authority(), Some(("EPSG".to_owned(), 4547)));
        let cs = n.find(&["CS"]).expect("cs");
        assert_eq!(cs.args[0], Value::Word("Cartesian".to_owned()));
    }

    #[test]
    fn refuses_garbage_and_deep_nesting() {
        assert!(parse("").is_none());
        assert!(parse("hello").is_none());
        assert!(parse(r#"GEOGCS["unterminated"#).is_none());
        assert!(parse(r#"GEOGCS["a"] trailing"#).is_none());
        let deep = "A[".repeat(100) + &"]".repeat(100);
        assert!(parse(&deep).is_none());
        assert!(parse(r#"GEOGCS["say ""hi"""]"#).is_some_and(|n| n.name() == Some("say \"hi\"")));
    }
}
