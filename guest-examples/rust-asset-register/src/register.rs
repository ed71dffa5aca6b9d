//! The source format: an asset register, one JSON file (documented in README.md).
//!
//! The structs derive `Serialize` too: an item's checksum is taken over its re-serialised JSON,
//! so whitespace and key order in the file do not count as changes (`properties` is a sorted map).

use std::collections::HashSet;

use std::io::Read;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Register {
    /// Stable identifier of the register: the RepositoryLink's code, so never change it. Its
    /// `name` and `revision` are read with the [`Header`].
    pub register_id: String,
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default)]
    pub assets: Vec<Asset>,
    #[serde(default)]
    pub groups: Vec<Group>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Category {
    pub id: String,
    pub name: String,
    /// `#RRGGBB`.
    pub color: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Asset {
    pub id: String,
    /// Plant tag, e.g. `P-101`: the element's code, unique within the register.
    pub tag: String,
    pub name: String,
    /// A category's `id`.
    pub category: String,
    /// Bumped by the register's editors whenever the asset changes.
    pub version: u32,
    /// Metres, site coordinates.
    pub position: [f64; 3],
    /// Degrees about the vertical axis.
    #[serde(default)]
    pub yaw: f64,
    /// Width (local x), depth (local y), height (z) in metres.
    pub size: [f64; 3],
    /// What the asset looks like within its size.
    #[serde(default)]
    pub shape: Shape,
    #[serde(default)]
    pub properties: Map<String, Value>,
    #[serde(default)]
    pub parts: Vec<Part>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Part {
    /// Unique within its asset.
    pub id: String,
    pub name: String,
    /// Metres, relative to the asset's origin, in the asset's rotated axes.
    pub offset: [f64; 3],
    pub size: [f64; 3],
    #[serde(default)]
    pub shape: Shape,
}

/// The solid drawn for an asset or part, fitted to its size box (standing on its origin,
/// centred on it in plan).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// The size box itself: cabinets, baseplates, valve bodies.
    #[default]
    Box,
    /// A vertical cylinder: tanks, columns.
    Cylinder,
    /// A cylinder along the local x axis: pump casings, motors, pipes.
    HorizontalCylinder,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    /// Asset `id`s, in priority order.
    pub members: Vec<String>,
}

/// The register's identity and revision: enough to record the document, and all an unchanged
/// register needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub register_id: String,
    /// The RepositoryLink's label and description.
    pub name: String,
    /// Revision of the whole register; equal revisions mean the file is unchanged.
    pub revision: String,
}

/// How much of the file is read first, looking for the header: registers start with it.
const HEADER_PREFIX: u64 = 64 * 1024;

impl Header {
    /// Reads the header from the beginning of the file, without reading (let alone parsing)
    /// the items behind it; only a file whose header is not at its top is read whole.
    pub fn read(path: &str) -> Result<Header, String> {
        let mut prefix = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(HEADER_PREFIX).read_to_end(&mut prefix))
            .map_err(|e| format!("cannot read {path}: {e}"))?;
        if let Some(header) = HeaderFields::scan(&prefix).complete() {
            return header.checked();
        }
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        Self::parse(&bytes)
    }

    /// The header of a whole register file.
    pub fn parse(bytes: &[u8]) -> Result<Header, String> {
        match HeaderFields::scan(bytes).complete() {
            Some(header) => header.checked(),
            // Not all there: let serde say what is wrong (a missing key, or not JSON at all).
            None => serde_json::from_slice::<Header>(bytes)
                .map_err(|e| format!("not an asset register: {e}"))
                .and_then(Header::checked),
        }
    }

    fn checked(self) -> Result<Header, String> {
        if self.register_id.trim().is_empty() {
            return Err("registerId is empty".into());
        }
        Ok(self)
    }
}

/// The header keys found so far, read by a visitor that stops at the last of them.
#[derive(Default)]
struct HeaderFields {
    register_id: Option<String>,
    name: Option<String>,
    revision: Option<String>,
}

impl HeaderFields {
    fn scan(bytes: &[u8]) -> HeaderFields {
        let mut fields = HeaderFields::default();
        let mut json = serde_json::Deserializer::from_slice(bytes);
        // Stopping inside the object (or a prefix that ends there) is an error to serde_json;
        // what was read before it is kept either way.
        let _ = serde::Deserializer::deserialize_map(&mut json, HeaderVisitor(&mut fields));
        fields
    }

    fn complete(self) -> Option<Header> {
        Some(Header { register_id: self.register_id?, name: self.name?, revision: self.revision? })
    }
}

struct HeaderVisitor<'a>(&'a mut HeaderFields);

impl<'de> Visitor<'de> for HeaderVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an asset register (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let fields = self.0;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "registerId" => fields.register_id = Some(map.next_value()?),
                "name" => fields.name = Some(map.next_value()?),
                "revision" => fields.revision = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if fields.register_id.is_some() && fields.name.is_some() && fields.revision.is_some() {
                break;
            }
        }
        Ok(())
    }
}

impl Register {
    pub fn parse(bytes: &[u8]) -> Result<Register, String> {
        let register: Register = serde_json::from_slice(bytes).map_err(|e| format!("not an asset register: {e}"))?;
        register.check()?;
        Ok(register)
    }

    /// Catches mistakes in the file before anything is written, with a message naming the item.
    fn check(&self) -> Result<(), String> {
        if self.register_id.trim().is_empty() {
            return Err("registerId is empty".into());
        }
        unique("category", self.categories.iter().map(|c| c.id.as_str()))?;
        unique("asset", self.assets.iter().map(|a| a.id.as_str()))?;
        unique("asset tag", self.assets.iter().map(|a| a.tag.as_str()))?;
        unique("group", self.groups.iter().map(|g| g.id.as_str()))?;
        for category in &self.categories {
            tbgr_color(&category.color).map_err(|e| format!("category {}: {e}", category.id))?;
        }
        let categories: HashSet<&str> = self.categories.iter().map(|c| c.id.as_str()).collect();
        for asset in &self.assets {
            if !categories.contains(asset.category.as_str()) {
                return Err(format!("asset {}: unknown category {:?}", asset.tag, asset.category));
            }
            unique(&format!("asset {}: part", asset.tag), asset.parts.iter().map(|p| p.id.as_str()))?;
        }
        let assets: HashSet<&str> = self.assets.iter().map(|a| a.id.as_str()).collect();
        for group in &self.groups {
            if let Some(m) = group.members.iter().find(|m| !assets.contains(m.as_str())) {
                return Err(format!("group {}: unknown member {m:?}", group.id));
            }
            unique(&format!("group {}: member", group.id), group.members.iter().map(String::as_str))?;
        }
        Ok(())
    }
}

fn unique<'a>(what: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), String> {
    let mut seen = HashSet::new();
    for id in ids {
        if id.is_empty() {
            return Err(format!("{what} with an empty id"));
        }
        if !seen.insert(id) {
            return Err(format!("{what} {id:?} appears twice"));
        }
    }
    Ok(())
}

/// `#RRGGBB` as an iTwin.js `ColorDef` number (0xTTBBGGRR, opaque).
pub fn tbgr_color(hex: &str) -> Result<u32, String> {
    let digits =
        hex.strip_prefix('#').filter(|d| d.len() == 6).ok_or_else(|| format!("color {hex:?} is not #RRGGBB"))?;
    let rgb = u32::from_str_radix(digits, 16).map_err(|_| format!("color {hex:?} is not #RRGGBB"))?;
    let (r, g, b) = (rgb >> 16, (rgb >> 8) & 0xff, rgb & 0xff);
    Ok(b << 16 | g << 8 | r)
}

/// XXH3 (64-bit) as 16 hex digits: enough to notice a change, and fast enough that hashing a
/// whole register on every run costs milliseconds.
pub fn checksum(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// Checksum of an item's content as JSON.
pub fn checksum_of(item: &impl Serialize) -> String {
    checksum(&serde_json::to_vec(item).expect("register items serialise"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_xxh3() {
        // The XXH3-64 of no bytes, from the reference implementation's test vectors.
        assert_eq!(checksum(b""), "2d06800538d394c2");
        assert_ne!(checksum(b"a"), checksum(b"b"));
    }

    #[test]
    fn the_header_is_read_without_the_items() {
        let text = r#"{"registerId": "r-1", "name": "Site", "revision": "7", "assets": [ this is not JSON"#;
        let header = Header::parse(text.as_bytes()).unwrap();
        assert_eq!((header.register_id.as_str(), header.name.as_str(), header.revision.as_str()), ("r-1", "Site", "7"));
        // Keys after the items are found too; missing ones are named.
        let late = r#"{"assets": [{"id": "a"}], "revision": "2", "name": "N", "registerId": "r-2"}"#;
        assert_eq!(Header::parse(late.as_bytes()).unwrap().register_id, "r-2");
        let missing = Header::parse(br#"{"registerId": "r-3", "name": "N"}"#).unwrap_err();
        assert!(missing.contains("revision"), "{missing}");
        assert!(Header::parse(b"not json").unwrap_err().starts_with("not an asset register"));
    }

    #[test]
    fn colors_become_tbgr() {
        assert_eq!(tbgr_color("#ff0000"), Ok(0x0000ff));
        assert_eq!(tbgr_color("#0000ff"), Ok(0xff0000));
        assert!(tbgr_color("red").is_err());
    }

    #[test]
    fn sample_registers_are_valid() {
        for file in ["site-v1.json", "site-v2.json", "site-b.json"] {
            let path = format!("{}/data/{file}", env!("CARGO_MANIFEST_DIR"));
            Register::parse(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    }
}
