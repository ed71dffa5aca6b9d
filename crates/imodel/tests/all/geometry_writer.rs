//! The briefcase writer's geometry end to end: elements and parts written with `geom` are judged
//! by iTwin.js (tests/compat/check-briefcase.js inserts the same `geom` itself and compares the
//! geometry it reads and the boxes it computes), bad geometry is refused without a trace, and
//! geometry iTwin.js wrote reads back through our reader as iTwin.js reports it.

use std::path::{Path, PathBuf};

use itwin_imodel::id64::format as hex;
use itwin_imodel::{Briefcase, ReadOptions, RootSubject, WriteError};
use itwin_test_support::{compat, snapshot};
use serde_json::{json, Value};

/// How errors name an element being inserted.
const NEW_OBJECT: &str = "new `Generic:PhysicalObject`";

const WITH_GEOMETRY: ReadOptions = ReadOptions { want_geometry: true };

/// A physical model, a definition model for parts, and two categories with a sub-category each.
struct Site {
    path: PathBuf,
    physical: i64,
    definitions: i64,
    category: i64,
    edges: i64,
    other_category: i64,
    elsewhere: i64,
}

fn new_site(dir: &Path, name: &str) -> (Briefcase, Site) {
    let path = dir.join(name);
    let mut bim = Briefcase::create(&path, &RootSubject::named("Geometry")).unwrap();
    let partition_spec = hex(bim.code_spec_by_name("bis:InformationPartitionElement").unwrap().unwrap());
    let category_spec = hex(bim.code_spec_by_name("bis:SpatialCategory").unwrap().unwrap());
    let sub_spec = hex(bim.code_spec_by_name("bis:SubCategory").unwrap().unwrap());
    bim.begin().unwrap();
    let partition = |bim: &mut Briefcase, class: &str, value: &str| {
        bim.insert_element(&json!({
            "classFullName": class, "model": "0x1", "parent": { "id": "0x1" },
            "code": { "spec": partition_spec, "scope": "0x1", "value": value },
        }))
        .unwrap()
    };
    let physical_partition = partition(&mut bim, "BisCore:PhysicalPartition", "Shapes");
    let definition_partition = partition(&mut bim, "BisCore:DefinitionPartition", "Parts");
    let physical = bim
        .insert_model(
            &json!({ "classFullName": "BisCore:PhysicalModel", "modeledElement": { "id": hex(physical_partition) } }),
        )
        .unwrap();
    let definitions = bim
        .insert_model(&json!({ "classFullName": "BisCore:DefinitionModel", "modeledElement": { "id": hex(definition_partition) } }))
        .unwrap();
    let category_with_sub = |bim: &mut Briefcase, name: &str, sub: &str| {
        let category = bim
            .insert_element(&json!({
                "classFullName": "BisCore:SpatialCategory", "model": hex(definitions),
                "code": { "spec": category_spec, "scope": hex(definitions), "value": name },
            }))
            .unwrap();
        let sub = bim
            .insert_element(&json!({
                "classFullName": "BisCore:SubCategory", "model": hex(definitions), "parent": { "id": hex(category) },
                "code": { "spec": sub_spec, "scope": hex(category), "value": sub }, "appearance": { "color": 255 },
            }))
            .unwrap();
        (category, sub)
    };
    let (category, edges) = category_with_sub(&mut bim, "Shapes", "Edges");
    let (other_category, elsewhere) = category_with_sub(&mut bim, "Other", "Elsewhere");
    bim.commit().unwrap();
    (bim, Site { path, physical, definitions, category, edges, other_category, elsewhere })
}

impl Site {
    fn object(&self, label: &str, placement: Option<Value>, geom: Value) -> Value {
        let mut props = json!({
            "classFullName": "Generic:PhysicalObject", "model": hex(self.physical), "category": hex(self.category),
            "userLabel": label, "geom": geom,
        });
        if let Some(placement) = placement {
            props["placement"] = placement;
        }
        props
    }

    fn part(&self, bim: &Briefcase, name: &str, geom: Value) -> Value {
        let spec = bim.code_spec_by_name("bis:GeometryPart").unwrap().unwrap();
        json!({
            "classFullName": "BisCore:GeometryPart", "model": hex(self.definitions),
            "code": { "spec": hex(spec), "scope": hex(self.definitions), "value": name }, "geom": geom,
        })
    }
}

fn at(origin: [f64; 3], yaw: f64) -> Value {
    json!({ "origin": origin, "angles": { "yaw": yaw } })
}

fn arc(center: [f64; 3], x: [f64; 3], y: [f64; 3], sweep: [f64; 2]) -> Value {
    json!({ "arc": { "center": center, "vectorX": x, "vectorY": y, "sweepStartEnd": sweep } })
}

/// One stream per primitive kind the codec writes, and the appearance and part cases.
fn element_streams(site: &Site, bolt: i64, ring: i64) -> Vec<(&'static str, Value)> {
    let square = json!([[0, 0, 0], [4, 0, 0], [4, 4, 0], [0, 4, 0], [0, 0, 0]]);
    let hole = json!([[1, 1, 0], [2, 1, 0], [2, 2, 0], [1, 2, 0], [1, 1, 0]]);
    let circle = arc([0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 360.0]);
    vec![
        ("lineSegment", json!([{ "lineSegment": [[0, 0, 0], [1, 2, 3]] }])),
        ("lineString", json!([{ "lineString": [[0, 0, 0], [1, -2, 0.5], [3, 1, 4]] }])),
        ("pointString", json!([{ "pointString": [[1, 1, 1], [-2, 0, 5], [3, 7, -1]] }])),
        ("arc", json!([arc([1.0, 2.0, 3.0], [2.0, 0.0, 0.0], [0.0, 1.0, 1.0], [30.0, 200.0])])),
        (
            "path",
            json!([{ "path": [{ "lineSegment": [[0, 0, 0], [1, 0, 0]] }, arc([1.0, 1.0, 0.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 90.0])] }]),
        ),
        ("loop", json!([{ "loop": [{ "lineString": square }] }])),
        (
            "parityRegion",
            json!([{ "parityRegion": [{ "loop": [{ "lineString": square }] }, { "loop": [{ "lineString": hole }] }] }]),
        ),
        (
            "unionRegion",
            json!([{ "unionRegion": [{ "loop": [{ "lineString": square }] }, { "loop": [{ "lineString": [[5, 0, 0], [6, 0, 0], [6, 1, 0], [5, 0, 0]] }] }] }]),
        ),
        ("bagOfCurves", json!([{ "bagOfCurves": [{ "lineString": [[0, 0, 0], [1, 0, 0]] }, circle.clone()] }])),
        (
            "box",
            json!([{ "box": { "baseOrigin": [1, 2, 3], "baseX": 2, "baseY": 3, "topOrigin": [1, 2, 7], "capped": true } }]),
        ),
        ("sphere", json!([{ "sphere": { "center": [1, 2, 3], "radius": 2 } }])),
        (
            "cylinder",
            json!([{ "cylinder": { "start": [1, 2, 3], "end": [4, -2, 8], "radius": 0.75, "capped": true } }]),
        ),
        (
            "cone",
            json!([{ "cone": { "start": [0, 0, 0], "end": [1, 1, 1], "startRadius": 1, "endRadius": 0.5, "capped": true } }]),
        ),
        (
            "torusPipe",
            json!([{ "torusPipe": { "center": [1, 2, 3], "majorRadius": 5, "minorRadius": 1, "sweepAngle": 90, "capped": true } }]),
        ),
        (
            "linearSweep",
            json!([{ "linearSweep": { "contour": { "loop": [circle] }, "vector": [-2, 1, 4], "capped": true } }]),
        ),
        (
            "indexedMesh",
            json!([{ "indexedMesh": { "point": [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0.5, 0.5, 1]],
                                      "pointIndex": [1, 2, 5, 0, 2, 3, 5, 0, 3, 4, 5, 0, 4, 1, 5, 0] } }]),
        ),
        (
            "two bolts and a ring",
            json!([
                { "geomPart": { "part": hex(bolt), "origin": [-3, 0, 0], "rotation": { "pitch": 90 } } },
                { "geomPart": { "part": hex(bolt), "origin": [3, 0, 0], "rotation": { "yaw": 60 }, "scale": 0.5 } },
                { "geomPart": { "part": hex(ring), "origin": [0, 5, 0] } },
            ]),
        ),
        (
            "appearances with sub-categories of the category",
            json!([
                { "appearance": { "subCategory": hex(site.edges), "color": 65280, "weight": 2 } },
                { "lineString": [[0, 0, 0], [1, 0, 0]] },
                { "appearance": { "subCategory": hex(site.category + 1), "transparency": 0.5 } },
                { "sphere": { "center": [3, 3, 3], "radius": 1 } },
            ]),
        ),
        ("header flags", json!([{ "header": { "flags": 1 } }, { "lineString": [[0, 0, 0], [0, 0, 1]] }])),
    ]
}

/// What check-briefcase.js compares for each element and part we wrote: its props as our reader
/// gives them, and its geometry against what iTwin.js makes of `input`.
fn expect_written(bim: &mut Briefcase, written: &[(i64, Value)]) -> (Vec<Value>, Vec<Value>) {
    let mut elements = Vec::new();
    let mut geometry = Vec::new();
    for (id, input) in written {
        let mut props = bim.element_props(*id).unwrap().expect("written");
        props.as_object_mut().unwrap().remove("id");
        elements.push(json!({ "id": hex(*id), "props": props }));
        let ours = bim.element_props_with(*id, WITH_GEOMETRY).unwrap().unwrap();
        let mut entry = json!({ "id": hex(*id), "input": input });
        if let Some(geom) = ours.get("geom") {
            entry["geom"] = geom.clone();
        }
        geometry.push(entry);
    }
    (elements, geometry)
}

fn spatial_index_row(bim: &Briefcase, id: i64) -> Option<[f64; 6]> {
    use rusqlite::OptionalExtension;
    bim.connection()
        .query_row("SELECT MinX, MinY, MinZ, MaxX, MaxY, MaxZ FROM dgn_SpatialIndex WHERE ElementId = ?1", [id], |r| {
            Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?])
        })
        .optional()
        .unwrap()
}

/// A model's GeometryGuid, found through the class map (it lives in a shared column).
fn geometry_guid(bim: &Briefcase, model: i64) -> Option<Vec<u8>> {
    let column: String = bim
        .connection()
        .query_row(
            "SELECT c.Name FROM ec_PropertyMap pm JOIN ec_PropertyPath pp ON pp.Id = pm.PropertyPathId \
             JOIN ec_Column c ON c.Id = pm.ColumnId JOIN ec_Class cl ON cl.Id = pm.ClassId \
             WHERE cl.Name = 'PhysicalModel' AND pp.AccessString = 'GeometryGuid'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    bim.connection()
        .query_row(&format!("SELECT [{column}] FROM bis_Model WHERE Id = ?1"), [model], |r| r.get(0))
        .unwrap()
}

/// JSON equality with numbers equal within 1e-9 (relative beyond 1), and integers equal to floats.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn itwinjs_reads_every_kind_of_geometry_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bim, site) = new_site(dir.path(), "kinds.bim");
    let mut written: Vec<(i64, Value)> = Vec::new();
    bim.begin().unwrap();
    let bolt_geom =
        json!([{ "box": { "baseOrigin": [0, 0, 0], "baseX": 1, "baseY": 2, "topOrigin": [0, 0, 3], "capped": true } }]);
    let mut bolt_props = site.part(&bim, "bolt", bolt_geom.clone());
    // A part's box follows its geometry, whatever is given.
    bolt_props["bbox"] = json!({ "low": [-9, -9, -9], "high": [9, 9, 9] });
    let bolt = bim.insert_element(&bolt_props).unwrap();
    let ring_geom = json!([
        { "appearance": { "color": 255 } },
        { "sphere": { "center": [1, 0, 0], "radius": 0.5 } },
        arc([0.0; 3], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 270.0]),
    ]);
    let ring = bim.insert_element(&site.part(&bim, "ring", ring_geom.clone())).unwrap();
    written.push((bolt, bolt_geom));
    written.push((ring, ring_geom));

    let streams = element_streams(&site, bolt, ring);
    for (i, (label, geom)) in streams.iter().enumerate() {
        let placement = at([10.0 * i as f64, -5.0, 1.5], 15.0 * i as f64);
        let id = bim.insert_element(&site.object(label, Some(placement), geom.clone())).unwrap();
        written.push((id, geom.clone()));
    }
    // No placement: iTwin.js puts the element at the origin.
    let unplaced_geom = json!([{ "sphere": { "center": [0, 0, 0], "radius": 3 } }]);
    let unplaced = bim.insert_element(&site.object("unplaced", None, unplaced_geom.clone())).unwrap();
    written.push((unplaced, unplaced_geom));
    // A given box is replaced by the computed one.
    let mut boxed = at([1.0, 2.0, 3.0], 0.0);
    boxed["bbox"] = json!({ "low": [-100, -100, -100], "high": [100, 100, 100] });
    let boxed_geom = json!([{ "lineString": [[0, 0, 0], [1, 1, 0]] }]);
    let replaced = bim.insert_element(&site.object("bbox replaced", Some(boxed), boxed_geom.clone())).unwrap();
    written.push((replaced, boxed_geom));
    // Streams without geometry store neither stream nor placement, as iTwin.js does.
    let mut empty = Vec::new();
    for (label, geom) in [
        ("empty", json!([])),
        ("header and appearance only", json!([{ "header": { "flags": 0 } }, { "appearance": { "color": 255 } }])),
    ] {
        let id = bim.insert_element(&site.object(label, Some(at([5.0, 5.0, 5.0], 0.0)), geom.clone())).unwrap();
        written.push((id, geom));
        empty.push(id);
    }
    bim.commit().unwrap();

    let bbox_of = |bim: &mut Briefcase, id: i64| bim.element_props(id).unwrap().unwrap()["placement"]["bbox"].clone();
    assert_eq!(bbox_of(&mut bim, replaced), json!({ "low": [0.0, 0.0, 0.0], "high": [1.0, 1.0, 0.0] }));
    assert_eq!(
        bim.element_props(bolt).unwrap().unwrap()["bbox"],
        json!({ "low": [0.0, 0.0, 0.0], "high": [1.0, 2.0, 3.0] })
    );
    for &id in &empty {
        let props = bim.element_props_with(id, WITH_GEOMETRY).unwrap().unwrap();
        assert!(props.get("placement").is_none() && props.get("geom").is_none(), "{props}");
        assert!(spatial_index_row(&bim, id).is_none());
    }
    // Geometry is read only when asked for, as by iTwin.js.
    assert!(bim.element_props(unplaced).unwrap().unwrap().get("geom").is_none());
    let read = bim.element_props_with(unplaced, WITH_GEOMETRY).unwrap().unwrap();
    assert_eq!(
        read["geom"],
        json!([{ "header": { "flags": 0 } }, { "sphere": { "center": [0.0, 0.0, 0.0], "radius": 3.0 } }])
    );
    assert_eq!(read["placement"]["origin"], json!([0.0, 0.0, 0.0]));

    let (elements, geometry) = expect_written(&mut bim, &written);
    bim.close().unwrap();
    let expected = json!({
        "counts": { "Generic.PhysicalObject": streams.len() + 4, "BisCore.GeometryPart": 2 },
        "elements": elements,
        "geometry": geometry,
        "checkExtents": true,
    });
    let report = compat::check_with_itwinjs(&site.path, &expected);
    assert!(report.contains("0 failed"), "{report}");
    assert_eq!(report.matches("ok geometry 0x").count(), written.len(), "{report}");
    // Every element placed with geometry was compared with the range iTwin.js computes for it.
    assert_eq!(report.matches("ok spatial index").count(), streams.len() + 2, "{report}");
}

#[test]
fn updating_geometry_moves_the_box_and_the_spatial_index() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bim, site) = new_site(dir.path(), "updates.bim");
    let box_geom =
        json!([{ "box": { "baseOrigin": [0, 0, 0], "baseX": 1, "baseY": 1, "topOrigin": [0, 0, 1], "capped": true } }]);
    bim.begin().unwrap();
    let moved = bim.insert_element(&site.object("moved", Some(at([10.0, 0.0, 0.0], 0.0)), box_geom.clone())).unwrap();
    let emptied =
        bim.insert_element(&site.object("emptied", Some(at([0.0, 10.0, 0.0], 0.0)), box_geom.clone())).unwrap();
    let mut bare = site.object("bare", None, Value::Null);
    bare.as_object_mut().unwrap().remove("geom");
    let gains = bim.insert_element(&bare).unwrap();
    let part = bim.insert_element(&site.part(&bim, "reshaped", box_geom.clone())).unwrap();
    bim.commit().unwrap();
    let first_guid = geometry_guid(&bim, site.physical);
    let first_row = spatial_index_row(&bim, moved).unwrap();

    // Only `geom`: the box and the spatial index follow, the model gets a new GeometryGuid.
    let sphere = json!([{ "sphere": { "center": [0, 0, 0], "radius": 5 } }]);
    bim.update_element(&json!({ "id": hex(moved), "geom": sphere })).unwrap();
    let props = bim.element_props(moved).unwrap().unwrap();
    assert_eq!(props["placement"]["bbox"], json!({ "low": [-5.0, -5.0, -5.0], "high": [5.0, 5.0, 5.0] }));
    assert_eq!(props["placement"]["origin"], json!([10.0, 0.0, 0.0]));
    let row = spatial_index_row(&bim, moved).unwrap();
    assert_ne!(row, first_row);
    assert_eq!((row[0], row[5]), (5.0, 5.0));
    let second_guid = geometry_guid(&bim, site.physical);
    assert!(second_guid.is_some() && second_guid != first_guid, "a geometry update gets a new GeometryGuid");

    // Only `placement` (even with another box): stream and box stay, the index row moves.
    bim.update_element(&json!({ "id": hex(moved), "placement": {
        "origin": [20.0, 0.0, 0.0], "angles": { "roll": 90.0 }, "bbox": { "low": [0, 0, 0], "high": [1, 1, 1] } } }))
        .unwrap();
    let props = bim.element_props_with(moved, WITH_GEOMETRY).unwrap().unwrap();
    assert_eq!(props["placement"]["bbox"], json!({ "low": [-5.0, -5.0, -5.0], "high": [5.0, 5.0, 5.0] }));
    assert_eq!(props["geom"][1]["sphere"]["radius"], json!(5.0));
    assert_eq!(spatial_index_row(&bim, moved).unwrap()[0], 15.0);
    assert_ne!(geometry_guid(&bim, site.physical), second_guid);

    // A stream without geometry takes the element out of the index.
    bim.update_element(&json!({ "id": hex(emptied), "geom": [] })).unwrap();
    let props = bim.element_props_with(emptied, WITH_GEOMETRY).unwrap().unwrap();
    assert!(props.get("placement").is_none() && props.get("geom").is_none(), "{props}");
    assert!(spatial_index_row(&bim, emptied).is_none());

    // An element without placement gains geometry at the origin.
    bim.update_element(&json!({ "id": hex(gains), "geom": box_geom })).unwrap();
    assert!(spatial_index_row(&bim, gains).is_some());

    // A part's geometry and box change together (no instance uses it: iTwin.js would not
    // refresh their boxes either).
    bim.update_element(&json!({ "id": hex(part), "geom": sphere, "userLabel": "now round" })).unwrap();
    assert_eq!(
        bim.element_props(part).unwrap().unwrap()["bbox"],
        json!({ "low": [-5.0, -5.0, -5.0], "high": [5.0, 5.0, 5.0] })
    );
    // Updates without `geom` leave a part's stream alone.
    bim.update_element(
        &json!({ "id": hex(part), "userLabel": "still round", "bbox": { "low": [0, 0, 0], "high": [0, 0, 0] } }),
    )
    .unwrap();
    assert_eq!(
        bim.element_props_with(part, WITH_GEOMETRY).unwrap().unwrap()["geom"][1]["sphere"]["radius"],
        json!(5.0)
    );

    let written = [(moved, sphere.clone()), (emptied, json!([])), (gains, box_geom), (part, sphere)];
    let (elements, geometry) = expect_written(&mut bim, &written);
    bim.close().unwrap();
    let expected = json!({ "elements": elements, "geometry": geometry, "checkExtents": true });
    let report = compat::check_with_itwinjs(&site.path, &expected);
    assert!(report.contains("0 failed"), "{report}");
    assert_eq!(report.matches("ok geometry 0x").count(), written.len(), "{report}");
}

/// Each bad `geom` is refused with an error naming the element and the field, and leaves the
/// file exactly as it was.
#[test]
fn bad_geometry_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bim, site) = new_site(dir.path(), "bad.bim");
    let line = json!({ "lineString": [[0, 0, 0], [1, 0, 0]] });
    bim.begin().unwrap();
    let part = bim.insert_element(&site.part(&bim, "good part", json!([line]))).unwrap();
    let existing = bim.insert_element(&site.object("P-1", Some(at([0.0; 3], 0.0)), json!([line]))).unwrap();
    bim.commit().unwrap();
    bim.close().unwrap();
    let before = snapshot::content(&site.path);
    let mut bim = Briefcase::open(&site.path).unwrap();

    let huge_sphere = json!({ "sphere": { "center": [0, 0, 0], "radius": 1e300, "xyzVectors": [[1e300, 0, 0], [0, 1, 0], [0, 0, 1]] } });
    let far_index =
        json!({ "indexedMesh": { "point": [[0, 0, 0], [1, 0, 0], [0, 1, 0]], "pointIndex": [1, 2, 999_999_999, 0] } });
    let element = |geom: Value| site.object("bad", Some(at([0.0; 3], 0.0)), geom);
    let cases: Vec<BadInsert> = vec![
        (
            "unknown primitive",
            element(json!([line, { "frobnicate": {} }])),
            &[NEW_OBJECT, "`geom[1]`", "unknown geometry entry `frobnicate`"],
            is_invalid,
        ),
        (
            "NaN coordinate",
            element(json!([{ "lineString": [[0, 0, 0], ["NaN", 0, 0]] }])),
            &[NEW_OBJECT, "`geom[0].lineString[1][0]`", "not a finite number"],
            is_invalid,
        ),
        (
            "null coordinate",
            element(json!([{ "box": { "baseOrigin": [0, 0, null], "baseX": 1 } }])),
            &["`geom[0].box.baseOrigin[2]`"],
            is_invalid,
        ),
        (
            "empty line string",
            element(json!([{ "lineString": [] }])),
            &[NEW_OBJECT, "`geom[0].lineString`", "needs at least 2 points"],
            is_invalid,
        ),
        ("index far beyond the points", element(json!([far_index])), &["`geom[0].indexedMesh.pointIndex"], is_invalid),
        ("range beyond doubles", element(json!([huge_sphere])), &["`geom[0]`", "not finite"], is_invalid),
        (
            "not an array",
            element(json!({ "lineString": [[0, 0, 0], [1, 0, 0]] })),
            &["`geom`", "expected an array"],
            is_invalid,
        ),
        (
            "sub-category of another category",
            element(json!([{ "appearance": { "subCategory": hex(site.elsewhere) } }, line])),
            &[NEW_OBJECT, "`geom[0].appearance.subCategory`", "belongs to category"],
            is_invalid,
        ),
        (
            "sub-category that does not exist",
            element(json!([{ "appearance": { "subCategory": "0xfffff" } }, line])),
            &["`geom[0].appearance.subCategory`", "0xfffff does not exist"],
            |e| matches!(e, WriteError::NotFound { .. }),
        ),
        (
            "sub-category that is a category",
            element(json!([{ "appearance": { "subCategory": hex(site.other_category) } }, line])),
            &["`geom[0].appearance.subCategory`", "BisCore:SubCategory"],
            |e| matches!(e, WriteError::WrongClass { .. }),
        ),
        (
            "missing part",
            element(json!([line, { "geomPart": { "part": "0xfffff" } }])),
            &[NEW_OBJECT, "`geom[1].geomPart.part`", "0xfffff does not exist"],
            |e| matches!(e, WriteError::NotFound { .. }),
        ),
        (
            "part that is an element",
            element(json!([{ "geomPart": { "part": hex(existing) } }])),
            &["`geom[0].geomPart.part`", "BisCore:GeometryPart"],
            |e| matches!(e, WriteError::WrongClass { .. }),
        ),
        (
            "geometry without its placement",
            json!({ "classFullName": "Generic:PhysicalObject", "model": hex(site.physical), "category": hex(site.category), "placement": null, "geom": [line] }),
            &[NEW_OBJECT, "`placement`"],
            is_invalid,
        ),
        (
            "geometry on a class without any",
            json!({ "classFullName": "BisCore:Subject", "model": "0x1", "parent": { "id": "0x1" }, "geom": [line] }),
            &["`geom`", "BisCore:Subject"],
            is_invalid,
        ),
        (
            "part instancing a part",
            site.part(&bim, "nested", json!([{ "geomPart": { "part": hex(part) } }])),
            &["new `BisCore:GeometryPart` \"nested\"", "`geom[0]`", "cannot instance another part"],
            is_invalid,
        ),
        (
            "part without geometry",
            site.part(&bim, "hollow", json!([])),
            &["\"hollow\"", "`geom`", "needs geometry"],
            is_invalid,
        ),
        (
            "part without geom",
            json!({ "classFullName": "BisCore:GeometryPart", "model": hex(site.definitions) }),
            &["`geom`"],
            |e| matches!(e, WriteError::MissingProperty { .. }),
        ),
    ];
    for (what, props, words, kind) in &cases {
        let err = bim.insert_element(props).expect_err(what);
        check_error(what, &err, words, *kind);
        // Inside a group: the failed write leaves no trace, the group goes on.
        bim.begin().unwrap();
        let good = bim.insert_element(&site.object("good", None, json!([line]))).unwrap();
        assert!(bim.insert_element(props).is_err(), "{what}");
        assert!(bim.element_props(good).unwrap().is_some());
        bim.rollback().unwrap();
    }
    let updates: Vec<(&str, Value, &[&str])> = vec![
        (
            "update with an empty line string",
            json!({ "id": hex(existing), "geom": [{ "lineString": [] }] }),
            &["element 0x", "`geom[0].lineString`"],
        ),
        (
            "update into another category's sub-category",
            json!({ "id": hex(existing), "geom": [{ "appearance": { "subCategory": hex(site.elsewhere) } }, line] }),
            &["element 0x", "belongs to category"],
        ),
        (
            "update to another category keeping a sub-category of the old one",
            json!({ "id": hex(existing), "category": hex(site.other_category), "geom": [{ "appearance": { "subCategory": hex(site.edges) } }, line] }),
            &["`geom[0].appearance.subCategory`"],
        ),
        (
            "update clearing the placement of geometry",
            json!({ "id": hex(existing), "placement": null }),
            &["`placement`", "needs a placement"],
        ),
        (
            "update of a part to nothing",
            json!({ "id": hex(part), "geom": [] }),
            &["`BisCore:GeometryPart`", "needs geometry"],
        ),
    ];
    for (what, props, words) in &updates {
        let err = bim.update_element(props).expect_err(what);
        check_error(what, &err, words, |_| true);
    }
    bim.close().unwrap();
    assert!(snapshot::content(&site.path) == before, "a refused write changed the file");
}

/// What is refused, the props, words its error must contain, and the kind of error.
type BadInsert = (&'static str, Value, &'static [&'static str], fn(&WriteError) -> bool);

fn is_invalid(e: &WriteError) -> bool {
    matches!(e, WriteError::Invalid(_))
}

fn check_error(what: &str, err: &WriteError, words: &[&str], kind: fn(&WriteError) -> bool) {
    let message = err.to_string();
    assert!(kind(err), "{what}: unexpected kind of error: {message}");
    for word in words {
        assert!(message.contains(word), "{what}: {message:?} does not say {word:?}");
    }
    assert!(!message.contains('\n'), "{what}: error is not one line: {message}");
}

/// Nothing but the streams links elements to their parts; a part still instanced stays (as
/// iTwin.js `deleteDefinitionElements` keeps it), with the error the synchronizer's deletion
/// recognises as "still used".
#[test]
fn a_part_still_instanced_is_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bim, site) = new_site(dir.path(), "parts.bim");
    let cube = json!([{ "box": { "baseOrigin": [0, 0, 0], "baseX": 1, "capped": true } }]);
    bim.begin().unwrap();
    let part = bim.insert_element(&site.part(&bim, "cube", cube)).unwrap();
    let user = bim
        .insert_element(&site.object("user", None, json!([{ "geomPart": { "part": hex(part), "origin": [2, 0, 0] } }])))
        .unwrap();
    bim.commit().unwrap();
    let err = bim.delete_element(part).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("is still used by other elements") && message.contains(&hex(user)), "{message}");
    assert!(bim.element_props(part).unwrap().is_some());
    bim.delete_element(user).unwrap();
    assert_eq!(bim.delete_element(part).unwrap(), 1);
    bim.close().unwrap();
}

/// The other direction: elements and parts iTwin.js wrote with geometry read back through our
/// reader as iTwin.js `getElementProps({ wantGeometry: true })` reports them.
#[test]
fn our_reader_gives_the_geometry_itwinjs_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("streams.json");
    let bim_path = dir.path().join("itwinjs.bim");
    let streams = json!({
        "parts": [
            [{ "box": { "baseOrigin": [0, 0, 0], "baseX": 1, "baseY": 2, "capped": true } }],
            [{ "appearance": { "color": 255 } }, { "sphere": { "center": [0, 0, 0], "radius": 0.5 } }],
        ],
        "streams": [
            [{ "lineSegment": [[0, 0, 0], [1, 2, 3]] }],
            [arc([1.0, 2.0, 3.0], [2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 90.0])],
            [{ "cone": { "start": [0, 0, 0], "end": [0, 0, 5], "startRadius": 1, "endRadius": 0.2, "capped": true } }],
            [{ "indexedMesh": { "point": [[0, 0, 0], [1, 0, 0], [1, 1, 0]], "pointIndex": [1, 2, 3, 0] } }],
            [
                { "appearance": { "subCategory": "$subCategory", "color": 255 } },
                { "lineString": [[0, 0, 0], [1, 0, 0]] },
                { "appearance": { "subCategory": "$defaultSubCategory", "weight": 3 } },
                { "geomPart": { "part": "$part0", "origin": [1, 2, 3], "rotation": { "yaw": 30 }, "scale": 2 } },
                { "geomPart": { "part": "$part1" } },
            ],
        ],
    });
    std::fs::write(&input, serde_json::to_vec(&streams).unwrap()).unwrap();
    let made: Value =
        serde_json::from_str(&compat::node("geometry-fixtures.js", &["make".as_ref(), &input, &bim_path])).unwrap();
    let mut bim = Briefcase::open(&bim_path).unwrap();
    let rows = made["parts"].as_array().unwrap().iter().chain(made["elements"].as_array().unwrap());
    let mut compared = 0;
    for row in rows {
        assert!(row.get("error").is_none(), "iTwin.js refused a stream: {row}");
        let id = itwin_imodel::id64::parse(row["id"].as_str().unwrap(), "id").unwrap();
        let ours = bim.element_props_with(id, WITH_GEOMETRY).unwrap().unwrap();
        assert!(
            same_json(&ours["geom"], &row["geom"]),
            "element {}: ours {}, iTwin.js {}",
            hex(id),
            ours["geom"],
            row["geom"]
        );
        compared += 1;
    }
    assert_eq!(compared, 7);
    bim.close().unwrap();
}
