//! The source format: an asset register, one JSON file (documented in README.md).
//!
//! The structs derive `Serialize` too: an item's checksum is taken over its re-serialised JSON,
//! so whitespace and key order in the file do not count as changes (`properties` is a sorted map).

use std::collections::HashSet;

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

/// The register's identity and revision, read without building its items: enough to record
/// the document, and all an unchanged register needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub register_id: String,
    /// The RepositoryLink's label and description.
    pub name: String,
    /// Revision of the whole register; equal revisions mean the file is unchanged.
    pub revision: String,
}

impl Header {
    pub fn parse(bytes: &[u8]) -> Result<Header, String> {
        let header: Header = serde_json::from_slice(bytes).map_err(|e| format!("not an asset register: {e}"))?;
        if header.register_id.trim().is_empty() {
            return Err("registerId is empty".into());
        }
        Ok(header)
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
