//! The wire-format props of a view's four elements, in the EC property names the generic writer
//! takes (iTwin.js's `ViewDefinition3dProps` names — `categorySelectorId`, `camera` — are
//! translated by its element classes, which our writer does not have), and how to tell whether
//! what is stored already says the same.

use serde_json::{json, Value};

use super::camera::ViewVolume;
use itwin_imodel::id64::format as hex;

/// The ids a view definition refers to.
pub(super) struct ViewParts {
    pub display_style: i64,
    pub model_selector: i64,
    pub category_selector: i64,
}

/// A definition element of `class` named `name` in `model`, with the code spec iTwin.js uses.
pub(super) fn definition(class: &str, spec: &str, model: i64, name: &str) -> Value {
    json!({
        "classFullName": class,
        "model": hex(model),
        "code": { "spec": spec, "scope": hex(model), "value": name },
        // iTwin.js lists views with `IsPrivate = false`, which a NULL does not match.
        "isPrivate": false,
    })
}

/// The display style iTwin.js's `ViewCreator3d` gives a default view: smooth shading with lights,
/// no construction geometry, and the background map only for a geolocated iModel.
pub(super) fn display_style(model: i64, name: &str, geolocated: bool) -> Value {
    let mut props = definition("BisCore:DisplayStyle3d", "bis:DisplayStyle", model, name);
    props["jsonProperties"] = json!({ "styles": { "viewflags": {
        "renderMode": 6, "noSourceLights": false, "noCameraLights": false, "noSolarLight": false,
        "noConstruct": true, "noTransp": false, "visEdges": false, "backgroundMap": geolocated,
    } } });
    props
}

pub(super) fn model_selector(model: i64, name: &str) -> Value {
    definition("BisCore:ModelSelector", "bis:ModelSelector", model, name)
}

pub(super) fn category_selector(model: i64, name: &str) -> Value {
    definition("BisCore:CategorySelector", "bis:CategorySelector", model, name)
}

/// A `SpatialViewDefinition` through `volume`, as `SpatialViewDefinition.createWithCamera` makes
/// it. Its orientation goes in as the class's own `origin`, `yaw`, `pitch` and `roll` properties
/// (iTwin.js's wire format folds the angles into `angles`).
pub(super) fn spatial_view(model: i64, name: &str, parts: &ViewParts, volume: &ViewVolume) -> Value {
    let mut props = definition("BisCore:SpatialViewDefinition", "bis:ViewDefinition", model, name);
    let more = json!({
        "displayStyle": { "id": hex(parts.display_style) },
        "modelSelector": { "id": hex(parts.model_selector) },
        "categorySelector": { "id": hex(parts.category_selector) },
        "origin": volume.origin,
        "yaw": volume.angles[0], "pitch": volume.angles[1], "roll": volume.angles[2],
        "extents": volume.extents,
        "isCameraOn": true, "eyePoint": volume.eye, "focusDistance": volume.focus_distance, "lensAngle": volume.lens_angle,
        "jsonProperties": { "viewDetails": {} },
    });
    props.as_object_mut().expect("an object").extend(more.as_object().expect("an object").clone());
    props
}

/// Whether `stored` (as the reader returns it) already has every value of `desired`: numbers
/// within 1e-9 (relative past 1), points as `[x, y, z]` or `{x, y, z}`, navigation values by id;
/// keys only `stored` has (a `relClassName`, a user's addition to a style) do not count.
pub(super) fn already_stored(desired: &Value, stored: &Value) -> bool {
    match (desired, stored) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap_or(f64::NAN), b.as_f64().unwrap_or(f64::NAN));
            (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
        }
        (Value::Array(point), Value::Object(xyz)) if point.len() == 3 => {
            ["x", "y", "z"].iter().zip(point).all(|(axis, a)| xyz.get(*axis).is_some_and(|b| already_stored(a, b)))
        }
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| already_stored(a, b)),
        (Value::Object(a), Value::Object(b)) => {
            a.iter().all(|(key, value)| b.get(key).is_some_and(|stored| already_stored(value, stored)))
        }
        // Ids read back in canonical form; what we write is canonical too.
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_match_what_we_would_write_in_any_of_their_forms() {
        let desired = json!({ "origin": [1.0, 2.0, 3.0], "yaw": 30.0, "modelSelector": { "id": "0x1a" },
                              "jsonProperties": { "viewDetails": {} }, "isPrivate": false });
        let stored = json!({ "origin": { "x": 1.0, "y": 2.0000000000001, "z": 3.0 }, "yaw": 29.999999999999986,
                             "modelSelector": { "id": "0x1a", "relClassName": "BisCore.SpatialViewDefinitionUsesModelSelector" },
                             "jsonProperties": { "viewDetails": {}, "userAdded": 1 }, "isPrivate": false, "userLabel": "x" });
        assert!(already_stored(&desired, &stored));
        for changed in [
            json!({ "origin": [1.0, 2.1, 3.0] }),
            json!({ "modelSelector": { "id": "0x1b" } }),
            json!({ "isCameraOn": true }),
        ] {
            assert!(!already_stored(&changed, &stored), "{changed}");
        }
    }
}
