//! GeometryStreamProps JSON into the model ([`GeometryStream`]), entry by entry, as
//! `GeometryBuilder::FromJson` reads them: the one place the crate reads geometry JSON.

use serde_json::Value;

use super::error::GeometryError;
use super::json::{self, At, Lengths, Obj};
use super::{curves, polyface, solids, symbology};
use crate::model::{Entry, Geometry, GeometryStream};

/// Reads a GeometryStreamProps array; what reads but cannot be stored is noted in
/// [`GeometryStream::unstorable`] for the encoder. With `lengths`, where the stream's lengths
/// are is recorded there (for scaling).
pub(crate) fn parse_stream(geom: &Value, lengths: Option<&Lengths>) -> Result<GeometryStream, GeometryError> {
    let items = json::array(geom, "geom")?;
    let mut entries = Vec::with_capacity(items.len());
    let mut unstorable = None;
    let root = match lengths {
        Some(lengths) => At::Root("geom", lengths),
        None => At::Name("geom"),
    };
    for (i, item) in items.iter().enumerate() {
        let at = root.item(i);
        let (key, value) = curves::single_key(item, &at)?;
        let value_at = at.field(key);
        entries.push(match key {
            "header" => {
                if i != 0 {
                    return Err(GeometryError::json(&at, "header must be the first entry"));
                }
                let header = Obj::new(value, value_at, &["flags"])?;
                // GeometryStreamFlags: None = 0, ViewIndependent = 1.
                let flags = match header.get("flags") {
                    Some(f) => json::integer(f, &header.at("flags"), 0, 1)? as u32,
                    None => 0,
                };
                Entry::Header { flags }
            }
            "appearance" => Entry::Appearance(symbology::parse_appearance(value, &value_at)?),
            "geomPart" => Entry::Part(symbology::parse_part_instance(value, &value_at, &mut unstorable)?),
            _ => Entry::Geometry(parse_geometry(key, value, &at, &value_at, &mut unstorable)?),
        });
    }
    Ok(GeometryStream { entries, unstorable })
}

fn parse_geometry(
    key: &str,
    value: &Value,
    at: &At<'_>,
    value_at: &At<'_>,
    unstorable: &mut Option<GeometryError>,
) -> Result<Geometry, GeometryError> {
    if curves::is_curve_key(key) {
        return Ok(Geometry::Curve(curves::parse(key, value, value_at)?));
    }
    if solids::SOLID_KEYS.contains(&key) {
        return Ok(Geometry::Solid(solids::parse(key, value, value_at, unstorable)?));
    }
    if key == "ruledSweep" {
        // iTwin.js stores these and ranges them; the encoder does not write DgnRuledSweep.
        unstorable.get_or_insert_with(|| GeometryError::json(at, "`ruledSweep` entries are not supported"));
        return Ok(Geometry::Solid(solids::parse_ruled_sweep(value, value_at)?));
    }
    if key == "indexedMesh" {
        return Ok(Geometry::Mesh(polyface::parse(value, value_at)?));
    }
    if key == "indexedPolyface" {
        return Err(GeometryError::json(at, "unknown geometry entry `indexedPolyface` (meshes are `indexedMesh`)"));
    }
    let known_unsupported =
        ["subRange", "styleMod", "fill", "pattern", "material", "textString", "brep", "image", "bcurve", "bsurf"];
    if known_unsupported.contains(&key) {
        return Err(GeometryError::json(at, format!("`{key}` entries are not supported")));
    }
    Err(GeometryError::json(at, format!("unknown geometry entry `{key}`")))
}
