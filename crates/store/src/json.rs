//! Attribute values as JSON text, exactly.
//!
//! Issued attributes are stored per patch as a JSON array aligned with the
//! batch's field schema. The encoding is deterministic (re-importing the
//! same values yields the same text, which is how unchanged patches are
//! recognised) and lossless: integers stay integers, reals keep every bit
//! (shortest round-trip form, always with a `.` or exponent so they never
//! read back as integers; non-finite reals as `{"real":"NaN"}`), text stays
//! text.

use std::fmt::Write as _;

use serde_json::Value;
use weipian_domain::AttrValue;

use crate::StoreError;

/// Append the JSON array of `values` to `out`.
pub(crate) fn write_attrs(values: &[AttrValue], out: &mut String) {
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_value(v, out);
    }
    out.push(']');
}

/// The JSON array of `values`.
pub(crate) fn attrs_json(values: &[AttrValue]) -> String {
    let mut s = String::new();
    write_attrs(values, &mut s);
    s
}

fn write_value(v: &AttrValue, out: &mut String) {
    match v {
        AttrValue::Null => out.push_str("null"),
        AttrValue::Bool(true) => out.push_str("true"),
        AttrValue::Bool(false) => out.push_str("false"),
        AttrValue::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        AttrValue::Real(r) if r.is_nan() => out.push_str(r#"{"real":"NaN"}"#),
        AttrValue::Real(r) if r.is_infinite() => {
            out.push_str(if *r > 0.0 {
                r#"{"real":"inf"}"#
            } else {
                r#"{"real":"-inf"}"#
            });
        }
        AttrValue::Real(r) => match serde_json::Number::from_f64(*r) {
            // serde_json prints the shortest text that reads back to the same
            // bits, always with a "." or an exponent (5.0, 1e300), so it never
            // reads back as an integer; and it is several times faster than Debug.
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => out.push_str("null"), // unreachable: non-finite handled above
        },
        AttrValue::Text(s) => write_string(s, out),
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parse a JSON array written by [`write_attrs`].
pub(crate) fn read_attrs(text: &str) -> Result<Vec<AttrValue>, StoreError> {
    let bad =
        |why: &str| StoreError::Corrupt(format!("属性 JSON 无法解析（{why}）：{}", truncate(text)));
    let value: Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    let Value::Array(items) = value else {
        return Err(bad("不是数组"));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Null => Ok(AttrValue::Null),
            Value::Bool(b) => Ok(AttrValue::Bool(b)),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    if !n.is_f64() {
                        return Ok(AttrValue::Integer(i));
                    }
                }
                n.as_f64()
                    .map(AttrValue::Real)
                    .ok_or_else(|| bad("数值超出范围"))
            }
            Value::String(s) => Ok(AttrValue::Text(s)),
            Value::Object(o) => match o.get("real").and_then(Value::as_str) {
                Some("NaN") => Ok(AttrValue::Real(f64::NAN)),
                Some("inf") => Ok(AttrValue::Real(f64::INFINITY)),
                Some("-inf") => Ok(AttrValue::Real(f64::NEG_INFINITY)),
                _ => Err(bad("未知对象")),
            },
            Value::Array(_) => Err(bad("嵌套数组")),
        })
        .collect()
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = AttrValue> {
        prop_oneof![
            Just(AttrValue::Null),
            any::<bool>().prop_map(AttrValue::Bool),
            any::<i64>().prop_map(AttrValue::Integer),
            any::<f64>().prop_map(AttrValue::Real),
            any::<String>().prop_map(AttrValue::Text),
        ]
    }

    fn same(a: &AttrValue, b: &AttrValue) -> bool {
        match (a, b) {
            (AttrValue::Real(x), AttrValue::Real(y)) => {
                x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
            }
            _ => a == b,
        }
    }

    #[test]
    fn examples() {
        let v = vec![
            AttrValue::Real(5.0),
            AttrValue::Integer(5),
            AttrValue::Text("0012".into()),
            AttrValue::Real(1e300),
            AttrValue::Real(-0.0),
            AttrValue::Text("引号\"\\\n\u{1}".into()),
        ];
        let s = attrs_json(&v);
        assert_eq!(s, r#"[5.0,5,"0012",1e+300,-0.0,"引号\"\\\n\u0001"]"#);
        let back = read_attrs(&s).unwrap();
        assert!(v.iter().zip(&back).all(|(a, b)| same(a, b)), "{back:?}");
    }

    proptest! {
        #[test]
        fn round_trip_is_exact(values in proptest::collection::vec(value(), 0..12)) {
            let s = attrs_json(&values);
            let back = read_attrs(&s).unwrap();
            prop_assert_eq!(back.len(), values.len());
            for (a, b) in values.iter().zip(&back) {
                prop_assert!(same(a, b), "{:?} != {:?} via {}", a, b, s);
            }
        }
    }
}
