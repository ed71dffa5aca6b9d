//! Checksums that agree across languages: SHA-256 of RFC 8785 (JCS) canonical JSON.
//!
//! Change detection compares an item's checksum with the one stored by the previous run. The
//! Rust SDK computes it with this crate, the Python SDK the same function in Python, and the host
//! with this crate for TypeScript connectors (`host.checksums-json`), so the same source item gets
//! the same checksum — and the same ExternalSourceAspect — whichever language wrote it.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// SHA-256, lower-case hex, of `value` as canonical JSON (RFC 8785): keys sorted by UTF-16 code
/// units, no whitespace, numbers as ECMAScript prints them (`90.0` → `90`, `1e21` → `1e+21`).
///
/// `value` is serialised with serde first: a struct's fields count with their defaults filled
/// in, and a not-finite float becomes `null` (serde_json's rule; JSON has no NaN).
///
/// ```
/// assert_eq!(
///     itwin_checksum::checksum(&serde_json::json!({})),
///     "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
/// );
/// ```
pub fn checksum<T: Serialize + ?Sized>(value: &T) -> String {
    let value = serde_json::to_value(value).expect("a Serialize value has a JSON form");
    let mut text = String::with_capacity(256);
    canonical(&value, &mut text);
    sha256_hex(text.as_bytes())
}

/// SHA-256 of `data` as 64 lower-case hex digits.
pub fn sha256_hex(data: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(data).iter().fold(String::with_capacity(64), |mut hex, byte| {
        write!(hex, "{byte:02x}").expect("writing to a String cannot fail");
        hex
    })
}

/// Appends the RFC 8785 form of `value` to `out`.
pub fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => out.push_str(&u.to_string()),
            (_, Some(i), _) => out.push_str(&i.to_string()),
            (_, _, Some(f)) => out.push_str(ryu_js::Buffer::new().format(f)),
            _ => out.push_str("null"),
        },
        // serde_json escapes exactly as JCS does: `"`, `\` and control characters (\b \t \n \f
        // \r short, the others \u00xx in lower case); everything else is written as is.
        Value::String(s) => out.push_str(&serde_json::to_string(s).expect("strings serialise")),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // UTF-16 code units, as JavaScript compares strings (UTF-8 byte order differs above
            // the basic multilingual plane).
            entries.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key).expect("strings serialise"));
                out.push(':');
                canonical(item, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// docs/sdk.md's vectors, shared by every SDK's tests.
    #[test]
    fn the_shared_vectors() {
        let vectors = [
            (json!({}), "{}", "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"),
            (
                json!({"b": 1, "a": [1.5, "x", true, null], "c": 90.0, "é": "ü\n\u{1f}\"\\"}),
                "{\"a\":[1.5,\"x\",true,null],\"b\":1,\"c\":90,\"é\":\"ü\\n\\u001f\\\"\\\\\"}",
                "bba879fdb8817c8f5b7c53632cc5d26aac7f95d9f0abbc60235abaf5237b5ba5",
            ),
            (
                json!([0.30000000000000004, 1e21, 1e-7, -0.0, 123456789012u64, 1e20, 0.000001, 2.5e-8, -12.75]),
                "[0.30000000000000004,1e+21,1e-7,0,123456789012,100000000000000000000,0.000001,2.5e-8,-12.75]",
                "5515bf0340d62eebc5f4473506a7e6c5af60ec0871c7bee7c960919e7c7bb7b3",
            ),
            (
                json!({"id":"A-0001","tag":"P-101","name":"Raw water pump 1","category":"pumps","version":1,"position":[12.5,4.0,0.0],"yaw":90,"size":[1.6,0.8,1.1],"shape":"horizontal-cylinder","properties":{"manufacturer":"Grundfos","ratedFlowM3h":420},"parts":[]}),
                "{\"category\":\"pumps\",\"id\":\"A-0001\",\"name\":\"Raw water pump 1\",\"parts\":[],\"position\":[12.5,4,0],\"properties\":{\"manufacturer\":\"Grundfos\",\"ratedFlowM3h\":420},\"shape\":\"horizontal-cylinder\",\"size\":[1.6,0.8,1.1],\"tag\":\"P-101\",\"version\":1,\"yaw\":90}",
                "6cb76b31c9fb54bc35bab22d00767142eb32936b19bb9d7875ac53a7a983d966",
            ),
        ];
        for (value, text, hash) in vectors {
            let mut out = String::new();
            canonical(&value, &mut out);
            assert_eq!(out, text);
            assert_eq!(checksum(&value), hash, "{text}");
        }
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+FF61 is one UTF-16 unit above the surrogates of U+1F600, but sorts after it in UTF-8.
        let mut out = String::new();
        canonical(&json!({"\u{ff61}": 1, "\u{1f600}": 2}), &mut out);
        assert_eq!(out, "{\"\u{1f600}\":2,\"\u{ff61}\":1}");
    }
}
