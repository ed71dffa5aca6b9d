//! iTwin.js `Id64String`: a lowercase hex string such as `"0x1a"`; `"0"` is the invalid id.

use crate::error::WriteError;

/// Formats a row id the way iTwin.js does (`"0x1a"`, or `"0"` for no id).
pub fn format(id: i64) -> String {
    if id == 0 {
        "0".to_owned()
    } else {
        format!("{:#x}", id as u64)
    }
}

/// Parses an `Id64String` (`"0x1a"`, also accepts decimal digits). `field` names the property for the error.
pub fn parse(text: &str, field: &str) -> Result<i64, WriteError> {
    let bad = || WriteError::WrongType {
        property: field.to_owned(),
        expected: "an id like \"0x1a\"",
        found: format!("{text:?}"),
    };
    let value = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).map_err(|_| bad())?
    } else {
        text.parse::<u64>().map_err(|_| bad())?
    };
    i64::try_from(value).map_err(|_| bad())
}

/// Reads an id from JSON: a string id, or an object `{ "id": "0x1a", ... }` (the wire form of navigation properties).
pub fn from_json(value: &serde_json::Value, field: &str) -> Result<i64, WriteError> {
    match value {
        serde_json::Value::String(s) => parse(s, field),
        serde_json::Value::Object(map) => match map.get("id") {
            Some(serde_json::Value::String(s)) => parse(s, field),
            _ => Err(WriteError::WrongType {
                property: field.to_owned(),
                expected: "an object with an \"id\" string",
                found: value.to_string(),
            }),
        },
        other => Err(WriteError::WrongType {
            property: field.to_owned(),
            expected: "an id string or { \"id\": … }",
            found: other.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_hex_ids() {
        assert_eq!(format(0x1a), "0x1a");
        assert_eq!(format(0), "0");
        assert_eq!(parse("0x1A", "x").unwrap(), 0x1a);
        assert_eq!(parse("17", "x").unwrap(), 17);
        assert!(parse("0xzz", "x").is_err());
        assert!(parse("", "x").is_err());
    }

    #[test]
    fn reads_navigation_objects() {
        let v = serde_json::json!({"id": "0x10", "relClassName": "BisCore:ModelContainsElements"});
        assert_eq!(from_json(&v, "model").unwrap(), 0x10);
        assert!(from_json(&serde_json::json!(5), "model").is_err());
    }
}
