//! The source format: an asset register, one JSON file (documented in README.md).
//!
//! The structs derive `Serialize` too: an item's checksum is taken over its re-serialised JSON,
//! so whitespace and key order in the file do not count as changes (`properties` is a sorted map).

use std::cell::Cell;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::rc::Rc;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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

/// What a pass over the register's items hands its sink. Assets come in chunks (at most
/// `chunk` of them), as they are read; groups once, after the last asset, since they name assets.
pub trait ItemSink {
    /// `read` is how many bytes of the file were read so far (for progress).
    fn assets(&mut self, chunk: &[Asset], read: u64) -> Result<(), String>;
    fn groups(&mut self, groups: Vec<Group>) -> Result<(), String>;
}

/// The categories of the register at `path`, checked. The file is read up to the end of
/// `categories`: registers list them before the assets, which are then not read at all.
pub fn read_categories(path: &str) -> Result<Vec<Category>, String> {
    let mut found = None;
    let result = serde::Deserializer::deserialize_map(&mut reader(path)?, CategoriesOnly(&mut found));
    // Stopping inside the object is an error to serde_json: what was read before it counts.
    let categories = match (found, result) {
        (Some(categories), _) => categories,
        (None, Ok(())) => Vec::new(),
        (None, Err(e)) => return Err(format!("not an asset register: {e}")),
    };
    unique("category", categories.iter().map(|c| c.id.as_str()))?;
    unique("category name", categories.iter().map(|c| c.name.as_str()))?;
    for category in &categories {
        itwin_connector::props::tbgr(&category.color).map_err(|e| format!("category {}: {e}", category.id))?;
    }
    Ok(categories)
}

/// Reads the register at `path` once, front to back, handing its assets to `sink` in chunks of
/// `chunk` as they are parsed, then its groups: the guest holds one chunk, never the register.
/// Each chunk is checked on its own (asset ids, tags and part ids unique within it); the host
/// refuses a tag that is taken already, and group members are looked up in the iModel.
pub fn stream_items(path: &str, chunk: usize, sink: &mut impl ItemSink) -> Result<(), String> {
    let read = Rc::new(Cell::new(0));
    let file = File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let counted = Counted { inner: file, read: read.clone() };
    let mut json = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 20, counted));
    let mut pass = ItemsPass { chunk, sink, read, failed: None };
    match serde::Deserializer::deserialize_map(&mut json, &mut pass) {
        Ok(groups) => {
            unique("group", groups.iter().map(|g| g.id.as_str()))?;
            for group in &groups {
                unique(&format!("group {}: member", group.id), group.members.iter().map(String::as_str))?;
            }
            pass.sink.groups(groups)
        }
        // The sink's own error, kept apart from serde's (which would append a file position).
        Err(e) => Err(pass.failed.take().unwrap_or_else(|| format!("not an asset register: {e}"))),
    }
}

/// A JSON reader of the file with a large buffer: the register is read in 1 MiB pieces.
fn reader(path: &str) -> Result<serde_json::Deserializer<serde_json::de::IoRead<BufReader<File>>>, String> {
    let file = File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 20, file)))
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Reads the top-level object until `categories` has been read.
struct CategoriesOnly<'a>(&'a mut Option<Vec<Category>>);

impl<'de> Visitor<'de> for CategoriesOnly<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an asset register (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "categories" {
                *self.0 = Some(map.next_value()?);
                break;
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// Reads the top-level object, streaming `assets` to the sink; returns the groups.
struct ItemsPass<'s, S> {
    chunk: usize,
    sink: &'s mut S,
    /// Bytes of the file read so far.
    read: Rc<Cell<u64>>,
    failed: Option<String>,
}

impl<'de, S: ItemSink> Visitor<'de> for &mut ItemsPass<'_, S> {
    type Value = Vec<Group>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an asset register (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Group>, A::Error> {
        let mut groups = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "assets" => map.next_value_seed(AssetChunks(&mut *self))?,
                "groups" => groups = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(groups)
    }
}

/// The `assets` array, handed to the sink a chunk at a time.
struct AssetChunks<'p, 's, S>(&'p mut ItemsPass<'s, S>);

impl<'de, S: ItemSink> DeserializeSeed<'de> for AssetChunks<'_, '_, S> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: ItemSink> Visitor<'de> for AssetChunks<'_, '_, S> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of assets")
    }

    fn visit_seq<Q: SeqAccess<'de>>(self, mut seq: Q) -> Result<(), Q::Error> {
        let pass = self.0;
        let mut chunk: Vec<Asset> = Vec::with_capacity(pass.chunk);
        loop {
            let more = seq.next_element::<Asset>()?.map(|asset| chunk.push(asset)).is_some();
            if chunk.len() == pass.chunk || (!more && !chunk.is_empty()) {
                let checked = check_chunk(&chunk).and_then(|()| pass.sink.assets(&chunk, pass.read.get()));
                if let Err(message) = checked {
                    pass.failed = Some(message);
                    return Err(serde::de::Error::custom("stopped by the connector"));
                }
                chunk.clear();
            }
            if !more {
                return Ok(());
            }
        }
    }
}

/// Asset ids, tags and part ids unique within a chunk.
fn check_chunk(assets: &[Asset]) -> Result<(), String> {
    unique("asset", assets.iter().map(|a| a.id.as_str()))?;
    unique("asset tag", assets.iter().map(|a| a.tag.as_str()))?;
    for asset in assets {
        unique(&format!("asset {}: part", asset.tag), asset.parts.iter().map(|p| p.id.as_str()))?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// An asset's checksum is the SDK's over the asset with its defaults filled in: the same
    /// value the Python and TypeScript examples compute (docs/sdk.md's fourth vector).
    #[test]
    fn an_assets_checksum_is_the_one_every_language_computes() {
        let asset: Asset = serde_json::from_str(
            r#"{"id":"A-0001","tag":"P-101","name":"Raw water pump 1","category":"pumps","version":1,"position":[12.5,4.0,0.0],"yaw":90,"size":[1.6,0.8,1.1],"shape":"horizontal-cylinder","properties":{"manufacturer":"Grundfos","ratedFlowM3h":420},"extra":"ignored"}"#,
        )
        .unwrap();
        assert_eq!(
            itwin_connector::checksum(&asset),
            "6cb76b31c9fb54bc35bab22d00767142eb32936b19bb9d7875ac53a7a983d966"
        );
    }

    /// Collects what a pass hands over, in chunks.
    #[derive(Default)]
    struct Collect {
        chunks: Vec<Vec<String>>,
        groups: Vec<String>,
    }

    impl ItemSink for Collect {
        fn assets(&mut self, chunk: &[Asset], _read: u64) -> Result<(), String> {
            self.chunks.push(chunk.iter().map(|a| a.id.clone()).collect());
            Ok(())
        }
        fn groups(&mut self, groups: Vec<Group>) -> Result<(), String> {
            self.groups = groups.into_iter().map(|g| g.id).collect();
            Ok(())
        }
    }

    fn temp_file(name: &str, text: &str) -> String {
        let path = std::env::temp_dir().join(format!("asset-register-test-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn sample_registers_are_valid() {
        for file in ["site-v1.json", "site-v2.json", "site-b.json"] {
            let path = format!("{}/data/{file}", env!("CARGO_MANIFEST_DIR"));
            read_categories(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
            stream_items(&path, 2, &mut Collect::default()).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    }

    #[test]
    fn assets_arrive_in_chunks_and_groups_after_them() {
        let asset = |id: &str| {
            format!(
                r#"{{"id": "{id}", "tag": "T-{id}", "name": "n", "category": "c", "version": 1, "position": [0, 0, 0], "size": [1, 1, 1]}}"#
            )
        };
        let assets: Vec<String> = ["a", "b", "c", "d", "e"].iter().map(|id| asset(id)).collect();
        let text = format!(
            r##"{{"registerId": "r", "groups": [{{"id": "g", "name": "G", "members": ["a"]}}], "categories": [{{"id": "c", "name": "C", "color": "#102030"}}], "assets": [{}]}}"##,
            assets.join(",")
        );
        let path = temp_file("chunks.json", &text);
        let mut sink = Collect::default();
        stream_items(&path, 2, &mut sink).unwrap();
        assert_eq!(sink.chunks, [vec!["a", "b"], vec!["c", "d"], vec!["e"]]);
        assert_eq!(sink.groups, ["g"]);
        assert_eq!(read_categories(&path).unwrap()[0].name, "C");
    }

    #[test]
    fn a_bad_item_is_named_and_a_broken_file_is_not_a_register() {
        let text = r#"{"assets": [{"id": "a", "tag": "T", "name": "n", "category": "c", "version": 1, "position": [0, 0, 0], "size": [1, 1, 1]},
            {"id": "a", "tag": "U", "name": "n", "category": "c", "version": 1, "position": [0, 0, 0], "size": [1, 1, 1]}]}"#;
        let path = temp_file("twice.json", text);
        assert_eq!(stream_items(&path, 10, &mut Collect::default()).unwrap_err(), "asset \"a\" appears twice");
        let path = temp_file("broken.json", r#"{"assets": [{"id": "a", "tag": }]}"#);
        let error = stream_items(&path, 10, &mut Collect::default()).unwrap_err();
        assert!(error.starts_with("not an asset register: "), "{error}");
    }
}
