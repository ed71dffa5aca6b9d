//! tests/compat/render.js end to end: our writer writes an iModel with coloured solids, iTwin.js
//! tessellates them (`exportGraphics`) for the script to render, and the PNG it wrote is decoded
//! here and looked at: size, how much is drawn, which colours and where.

use std::path::Path;

use itwin_imodel::id64::format as hex;
use itwin_imodel::{Briefcase, RootSubject};
use itwin_test_support::compat;
use itwin_test_support::png::{self, Image};
use serde_json::{json, Value};

/// A red box, a green sphere and a blue cylinder spread along x + y (the screen's x axis of the
/// isometric view, seen from x+, y-, z+), a black frame of lines, a half-transparent box.
fn scene() -> Value {
    json!([
        [{"appearance": {"color": 0x0000ff}}, {"box": {"baseOrigin": [0, 0, 0], "baseX": 2, "baseY": 2, "height": 2, "capped": true}}],
        [{"appearance": {"color": 0x00ff00}}, {"sphere": {"center": [6, 0, 1], "radius": 1.2}}],
        [{"appearance": {"color": 0xff0000}}, {"cylinder": {"start": [10, 9, 0], "end": [10, 9, 3], "radius": 1, "capped": true}}],
        [{"appearance": {"color": 0}}, {"lineString": [[-1, -1, 0], [12, -1, 0], [12, 11, 0], [-1, 11, 0], [-1, -1, 0]]}],
        [{"appearance": {"color": 0x808080, "transparency": 0.5}}, {"box": {"baseOrigin": [2, 7, 0], "baseX": 2, "capped": true}}]
    ])
}

/// The scene as PhysicalObjects in a new iModel, written by our writer (encoder and ranges).
fn write_scene(path: &Path) {
    let mut bim = Briefcase::create(path, &RootSubject::named("render")).unwrap();
    bim.transaction(|b| {
        let partition = b.insert_element(&json!({
            "classFullName": "BisCore:PhysicalPartition", "model": "0x1", "parent": { "id": "0x1" },
            "code": { "spec": "bis:InformationPartitionElement", "scope": "0x1", "value": "Scene" } }))?;
        let model = b.insert_model(
            &json!({ "classFullName": "BisCore:PhysicalModel", "modeledElement": { "id": hex(partition) } }),
        )?;
        let category = b.insert_element(&json!({ "classFullName": "BisCore:SpatialCategory", "model": "0x10",
            "code": { "spec": "bis:SpatialCategory", "scope": "0x10", "value": "Solids" } }))?;
        for geom in scene().as_array().unwrap() {
            b.insert_element(&json!({ "classFullName": "Generic:PhysicalObject", "model": hex(model),
                "category": hex(category), "placement": { "origin": [0, 0, 0] }, "geom": geom }))?;
        }
        Ok::<_, itwin_imodel::WriteError>(())
    })
    .unwrap();
    bim.close().unwrap();
}

/// A colour family: the channel that dominates a pixel clearly.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Family {
    Red,
    Green,
    Blue,
}

fn family([r, g, b]: [u8; 3]) -> Option<Family> {
    let dominant = |c: u8, o1: u8, o2: u8| c > 80 && u16::from(c) > 3 * u16::from(o1.max(o2));
    if dominant(r, g, b) {
        Some(Family::Red)
    } else if dominant(g, r, b) {
        Some(Family::Green)
    } else if dominant(b, r, g) {
        Some(Family::Blue)
    } else {
        None
    }
}

/// How many pixels of a family, and their mean x.
fn census(image: &Image, wanted: Family) -> (usize, f64) {
    let (mut count, mut sum_x) = (0, 0.0);
    for y in 0..image.height {
        for x in 0..image.width {
            if family(image.pixel(x, y)) == Some(wanted) {
                count += 1;
                sum_x += x as f64;
            }
        }
    }
    (count, if count > 0 { sum_x / count as f64 } else { f64::NAN })
}

#[test]
fn itwinjs_draws_the_geometry_we_wrote_in_its_colours() {
    let dir = tempfile::tempdir().unwrap();
    let (bim, picture, glb) = (dir.path().join("s.bim"), dir.path().join("s.png"), dir.path().join("s.glb"));
    write_scene(&bim);
    let out = compat::node(
        "render.js",
        &[&bim, &picture, Path::new("--size"), Path::new("320x240"), Path::new("--gltf"), &glb],
    );
    let summary: Value = serde_json::from_str(out.lines().last().unwrap()).expect("render.js prints JSON");
    assert_eq!(summary["elements"], 5, "{summary}");
    assert!(summary["triangles"].as_u64().unwrap() > 100, "{summary}");
    assert_eq!(summary["lineSegments"], 4, "{summary}");

    let image = png::decode(&std::fs::read(&picture).unwrap()).unwrap();
    assert_eq!((image.width, image.height), (320, 240));
    let total = image.width * image.height;
    let drawn = image.pixels().filter(|p| p.iter().any(|&c| c < 235)).count();
    assert!(drawn > total / 20, "only {drawn} of {total} pixels are drawn");
    for corner in [(0, 0), (319, 0), (0, 239), (319, 239)] {
        assert_eq!(image.pixel(corner.0, corner.1), [255, 255, 255], "the view leaves a white margin");
    }

    let (red, green, blue) = (census(&image, Family::Red), census(&image, Family::Green), census(&image, Family::Blue));
    for (name, (count, _)) in [("red box", red), ("green sphere", green), ("blue cylinder", blue)] {
        assert!(count > total / 200, "{name}: {count} pixels");
    }
    assert!(red.1 < green.1 && green.1 < blue.1, "left to right: red, green, blue; mean x {red:?} {green:?} {blue:?}");

    let glb = std::fs::read(&glb).unwrap();
    assert_eq!(&glb[..4], b"glTF");
    assert_eq!(u32::from_le_bytes(glb[8..12].try_into().unwrap()) as usize, glb.len());
    let json_len = u32::from_le_bytes(glb[12..16].try_into().unwrap()) as usize;
    let gltf: Value = serde_json::from_slice(&glb[20..20 + json_len]).unwrap();
    assert_eq!(gltf["meshes"].as_array().unwrap().len(), 4, "box, sphere, cylinder, transparent box");
    let colors: Vec<&Value> =
        gltf["materials"].as_array().unwrap().iter().map(|m| &m["pbrMetallicRoughness"]["baseColorFactor"]).collect();
    assert!(colors.contains(&&json!([1, 0, 0, 1])), "{colors:?}");
}
