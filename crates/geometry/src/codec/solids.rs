//! Solid primitives: `box`, `sphere`, `cylinder`, `cone`, `torusPipe`, `linearSweep`. JSON in
//! (with the native reader's defaults), the allcg detail structs, and JSON out (with the native
//! writer's choices of keys).

use flatbuffers::FlatBufferBuilder;
use serde_json::{Map, Value};

use super::curves;
use super::error::{GeometryError, PayloadError, PayloadResult};
use super::flatbuf::{self, Doubles, DoublesAndFlag, Source};
use super::json::{self, num, xyz_value, At, Length, Obj};
use super::variant::{self, kind};
use crate::math::{self, *};
use crate::model::*;

type Result<T> = std::result::Result<T, GeometryError>;

pub(crate) const SOLID_KEYS: [&str; 6] = ["box", "sphere", "cylinder", "cone", "torusPipe", "linearSweep"];

/// Parses the value of solid entry `key` (one of [`SOLID_KEYS`]). What reads but cannot be
/// stored (a cone whose ends coincide) is noted in `unstorable`.
pub(crate) fn parse(key: &str, value: &Value, at: &At<'_>, unstorable: &mut Option<GeometryError>) -> Result<Solid> {
    match key {
        "box" => parse_box(value, at),
        "sphere" => parse_sphere(value, at),
        "cylinder" => parse_cylinder(value, at, unstorable),
        "cone" => parse_cone(value, at, unstorable),
        "torusPipe" => parse_torus_pipe(value, at),
        "linearSweep" => parse_linear_sweep(value, at),
        _ => Err(GeometryError::json(at, format!("`{key}` is not a solid"))),
    }
}

/// `own` field names and the axes ones ([`parse_axes`]), on the stack.
fn with_axes<const N: usize>(own: &[&'static str; N]) -> AllowedKeys {
    const { assert!(N + 3 <= 12, "AllowedKeys holds 12 names") };
    let mut keys = AllowedKeys { names: [""; 12], len: N + 3 };
    keys.names[..N].copy_from_slice(own);
    keys.names[N..N + 3].copy_from_slice(&["xyzVectors", "xyVectors", "zxVectors"]);
    keys
}

/// Up to 12 field names.
struct AllowedKeys {
    names: [&'static str; 12],
    len: usize,
}

impl std::ops::Deref for AllowedKeys {
    type Target = [&'static str];

    fn deref(&self) -> &Self::Target {
        &self.names[..self.len]
    }
}

/// The axes of `xyzVectors` (taken as given), `xyVectors` or `zxVectors` (both squared and
/// normalized), in that order of preference as in the native reader; `None` when none is given.
/// Degenerate vectors, which the native reader silently replaces by the identity, are an error.
fn parse_axes(obj: &Obj<'_>) -> Result<Option<Matrix>> {
    let vectors = |key: &str, n: usize| -> Result<Option<Vec<Xyz>>> {
        let Some(value) = obj.get(key) else { return Ok(None) };
        let at = obj.field(key);
        let items = json::array(value, &at)?;
        if items.len() != n {
            return Err(GeometryError::json(&at, format!("expected {n} vectors")));
        }
        items.iter().enumerate().map(|(i, v)| json::xyz(v, &at.item(i))).collect::<Result<_>>().map(Some)
    };
    if let Some(v) = vectors("xyzVectors", 3)? {
        return Ok(Some(from_columns(v[0], v[1], v[2])));
    }
    if let Some(v) = vectors("xyVectors", 2)? {
        let m = from_columns(v[0], v[1], cross(v[0], v[1]));
        return square_and_normalize_columns(&m, 0, 1)
            .map(Some)
            .ok_or_else(|| GeometryError::json(&obj.at("xyVectors"), "vectors are zero or parallel"));
    }
    if let Some(v) = vectors("zxVectors", 2)? {
        let m = from_columns(v[1], cross(v[0], v[1]), v[0]);
        return square_and_normalize_columns(&m, 2, 0)
            .map(Some)
            .ok_or_else(|| GeometryError::json(&obj.at("zxVectors"), "vectors are zero or parallel"));
    }
    Ok(None)
}

const IDENTITY: Matrix = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

fn non_negative(obj: &Obj<'_>, key: &str, x: f64) -> Result<f64> {
    if x < 0.0 {
        return Err(GeometryError::json(&obj.at(key), "must not be negative"));
    }
    Ok(x)
}

fn parse_box(value: &Value, at: &At<'_>) -> Result<Solid> {
    let own = ["origin", "baseOrigin", "topOrigin", "baseX", "baseY", "topX", "topY", "height", "capped"];
    let obj = Obj::new(value, *at, &with_axes(&own))?;
    // Axes are directions: the sizes make the lengths.
    obj.mark(Length::Point, &["origin", "baseOrigin", "topOrigin"]);
    obj.mark(Length::Number, &["baseX", "baseY", "topX", "topY", "height"]);
    // The native reader prefers `origin`; its writer outputs both with the same value.
    let base_origin = match obj.xyz("origin")? {
        Some(origin) => origin,
        None => obj.xyz("baseOrigin")?.ok_or_else(|| GeometryError::json(&obj.at("baseOrigin"), "is required"))?,
    };
    let base_x = obj.required_number("baseX")?;
    let base_y = obj.number("baseY")?.unwrap_or(base_x);
    let top_x = obj.number("topX")?.unwrap_or(base_x);
    let top_y = obj.number("topY")?.unwrap_or(base_y);
    let axes = parse_axes(&obj)?.unwrap_or(IDENTITY);
    let top_origin = match obj.xyz("topOrigin")? {
        Some(top) => top,
        None => {
            let height = obj.number("height")?.unwrap_or(base_x);
            let z = scale(column(&axes, 2), height);
            [base_origin[0] + z[0], base_origin[1] + z[1], base_origin[2] + z[2]]
        }
    };
    Ok(Solid::Box(BoxDetail {
        base_origin,
        top_origin,
        vector_x: column(&axes, 0),
        vector_y: column(&axes, 1),
        base_x,
        base_y,
        top_x,
        top_y,
        capped: obj.bool("capped")?.unwrap_or(false),
    }))
}

fn parse_sphere(value: &Value, at: &At<'_>) -> Result<Solid> {
    let own = ["center", "radius", "radiusX", "radiusY", "radiusZ", "capped", "latitudeStartEnd"];
    let obj = Obj::new(value, *at, &with_axes(&own))?;
    obj.mark(Length::Point, &["center"]);
    obj.mark(Length::Number, &["radius", "radiusX", "radiusY", "radiusZ"]);
    let center = obj.required_xyz("center")?;
    let radius = obj.number("radius")?;
    let radius_x = obj.number("radiusX")?.or(radius);
    let radius_y = obj.number("radiusY")?.or(radius_x);
    let radius_z = obj.number("radiusZ")?.or(radius_y);
    let (Some(rx), Some(ry), Some(rz)) = (radius_x, radius_y, radius_z) else {
        return Err(GeometryError::json(&obj.at("radius"), "is required"));
    };
    if rx <= 0.0 || ry <= 0.0 || rz <= 0.0 {
        return Err(GeometryError::json(&obj.at("radius"), "radii must be positive"));
    }
    let axes = parse_axes(&obj)?.unwrap_or(IDENTITY);
    let mut local_to_world = [[0.0; 4]; 3];
    for (i, row) in local_to_world.iter_mut().enumerate() {
        *row = [axes[i][0] * rx, axes[i][1] * ry, axes[i][2] * rz, center[i]];
    }
    // Without latitudes the native reader keeps the full sphere and ignores `capped`.
    let (start_latitude, latitude_sweep, capped) = match obj.get("latitudeStartEnd") {
        None => (-std::f64::consts::FRAC_PI_2, std::f64::consts::PI, false),
        Some(value) => {
            let at = obj.field("latitudeStartEnd");
            let items = json::array(value, &at)?;
            if items.len() != 2 {
                return Err(GeometryError::json(&at, "expected [startDegrees, endDegrees]"));
            }
            let start = json::angle_radians(&items[0], &at.item(0))?;
            let end = json::angle_radians(&items[1], &at.item(1))?;
            (start, end - start, obj.bool("capped")?.unwrap_or(false))
        }
    };
    Ok(Solid::Sphere(SphereDetail { local_to_world, start_latitude, latitude_sweep, capped }))
}

/// `DgnConeDetail(centerA, centerB, radiusA, radiusB, capped)`: section vectors from the axis
/// (a zero axis counts as z, as in the native library). Coinciding ends make a disc the native
/// library ranges but we do not store.
fn cone_from_axis(
    at: &At<'_>,
    (a, b): (Xyz, Xyz),
    (radius_a, radius_b): (f64, f64),
    capped: bool,
    unstorable: &mut Option<GeometryError>,
) -> ConeDetail {
    if magnitude(sub(b, a)) <= 1.0e-10 * (1.0 + magnitude(a) + magnitude(b)) {
        unstorable.get_or_insert_with(|| GeometryError::json(at, "start and end coincide"));
    }
    let (vector0, vector90, _) = normalized_triad(sub(b, a));
    ConeDetail { center_a: a, center_b: b, vector0, vector90, radius_a, radius_b, capped }
}

fn parse_cylinder(value: &Value, at: &At<'_>, unstorable: &mut Option<GeometryError>) -> Result<Solid> {
    let obj = Obj::new(value, *at, &["start", "end", "radius", "capped"])?;
    obj.mark(Length::Point, &["start", "end"]);
    obj.mark(Length::Number, &["radius"]);
    let radius = obj.required_number("radius")?;
    let radius = non_negative(&obj, "radius", radius)?;
    let (a, b) = (obj.required_xyz("start")?, obj.required_xyz("end")?);
    Ok(Solid::Cone(cone_from_axis(at, (a, b), (radius, radius), obj.bool("capped")?.unwrap_or(false), unstorable)))
}

fn parse_cone(value: &Value, at: &At<'_>, unstorable: &mut Option<GeometryError>) -> Result<Solid> {
    let own = ["start", "end", "radius", "startRadius", "endRadius", "capped"];
    let obj = Obj::new(value, *at, &with_axes(&own))?;
    // The section vectors are directions: the radii make the lengths.
    obj.mark(Length::Point, &["start", "end"]);
    obj.mark(Length::Number, &["radius", "startRadius", "endRadius"]);
    let radius_a = obj.number("startRadius")?.or(obj.number("radius")?);
    let radius_a = radius_a.ok_or_else(|| GeometryError::json(&obj.at("startRadius"), "is required (or `radius`)"))?;
    let radius_a = non_negative(&obj, "startRadius", radius_a)?;
    let radius_b = non_negative(&obj, "endRadius", obj.number("endRadius")?.unwrap_or(radius_a))?;
    let (a, b) = (obj.required_xyz("start")?, obj.required_xyz("end")?);
    let capped = obj.bool("capped")?.unwrap_or(false);
    Ok(Solid::Cone(match parse_axes(&obj)? {
        Some(axes) => ConeDetail {
            center_a: a,
            center_b: b,
            vector0: column(&axes, 0),
            vector90: column(&axes, 1),
            radius_a,
            radius_b,
            capped,
        },
        None => cone_from_axis(at, (a, b), (radius_a, radius_b), capped, unstorable),
    }))
}

fn parse_torus_pipe(value: &Value, at: &At<'_>) -> Result<Solid> {
    let own = ["center", "majorRadius", "minorRadius", "sweepAngle", "capped"];
    let obj = Obj::new(value, *at, &with_axes(&own))?;
    obj.mark(Length::Point, &["center"]);
    obj.mark(Length::Number, &["majorRadius", "minorRadius"]);
    let axes = parse_axes(&obj)?.unwrap_or(IDENTITY);
    let sweep = match obj.get("sweepAngle") {
        Some(value) => json::angle_radians(value, &obj.field("sweepAngle"))?,
        None => 2.0 * std::f64::consts::PI,
    };
    Ok(Solid::TorusPipe(TorusPipeDetail {
        center: obj.required_xyz("center")?,
        vector_x: column(&axes, 0),
        vector_y: column(&axes, 1),
        major_radius: obj.required_number("majorRadius")?,
        minor_radius: obj.required_number("minorRadius")?,
        sweep,
        capped: obj.bool("capped")?.unwrap_or(false),
    }))
}

fn parse_linear_sweep(value: &Value, at: &At<'_>) -> Result<Solid> {
    let obj = Obj::new(value, *at, &["contour", "vector", "capped"])?;
    // The extrusion vector is a displacement.
    obj.mark(Length::Point, &["vector"]);
    let contour_at = obj.field("contour");
    let (key, contour) = curves::single_key(obj.required("contour")?, &contour_at)?;
    if !curves::is_vector_key(key) {
        return Err(GeometryError::json(
            &contour_at,
            format!("`{key}` is not a curve vector (path, loop, parityRegion, unionRegion)"),
        ));
    }
    Ok(Solid::Extrusion(ExtrusionDetail {
        base: curves::parse_vector(key, contour, &contour_at.field(key), 0)?,
        vector: obj.required_xyz("vector")?,
        capped: obj.bool("capped")?.unwrap_or(false),
    }))
}

/// `{"contour": [<path | loop | region>, ...], "capped"}`: the sections of a ruled sweep.
pub(crate) fn parse_ruled_sweep(value: &Value, at: &At<'_>) -> Result<Solid> {
    let obj = Obj::new(value, *at, &["contour", "capped"])?;
    let contour_at = obj.field("contour");
    let items = json::array(obj.required("contour")?, &contour_at)?;
    if items.is_empty() {
        return Err(GeometryError::json(&contour_at, "needs at least one section"));
    }
    let mut sections = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = contour_at.item(i);
        let (key, section) = curves::single_key(item, &at)?;
        if !curves::is_vector_key(key) {
            return Err(GeometryError::json(&at, format!("`{key}` is not a curve vector")));
        }
        sections.push(curves::parse_vector(key, section, &at.field(key), 0)?);
    }
    obj.bool("capped")?;
    Ok(Solid::RuledSweep(sections))
}

/// The SolidPrimitive op payload (`VariantGeometry` behind "bg0001fb"); `None` for a ruled
/// sweep, which the encoder does not write.
pub(crate) fn to_payload(solid: &Solid) -> Option<Vec<u8>> {
    let mut fbb = flatbuf::builder();
    let (member_kind, member) = match solid {
        Solid::Box(d) => {
            let (b, t, x, y) = (d.base_origin, d.top_origin, d.vector_x, d.vector_y);
            let detail = [
                b[0], b[1], b[2], t[0], t[1], t[2], x[0], x[1], x[2], y[0], y[1], y[2], d.base_x, d.base_y, d.top_x,
                d.top_y,
            ];
            (kind::DGN_BOX, detail_table(&mut fbb, DoublesAndFlag(detail, d.capped)))
        }
        Solid::Sphere(d) => {
            let m = d.local_to_world;
            let detail = [
                m[0][0],
                m[0][1],
                m[0][2],
                m[0][3],
                m[1][0],
                m[1][1],
                m[1][2],
                m[1][3],
                m[2][0],
                m[2][1],
                m[2][2],
                m[2][3],
                d.start_latitude,
                d.latitude_sweep,
            ];
            (kind::DGN_SPHERE, detail_table(&mut fbb, DoublesAndFlag(detail, d.capped)))
        }
        Solid::Cone(d) => {
            let (a, b, v0, v90) = (d.center_a, d.center_b, d.vector0, d.vector90);
            let detail = [
                a[0], a[1], a[2], b[0], b[1], b[2], v0[0], v0[1], v0[2], v90[0], v90[1], v90[2], d.radius_a, d.radius_b,
            ];
            (kind::DGN_CONE, detail_table(&mut fbb, DoublesAndFlag(detail, d.capped)))
        }
        Solid::TorusPipe(d) => {
            let (c, x, y) = (d.center, d.vector_x, d.vector_y);
            let detail =
                [c[0], c[1], c[2], x[0], x[1], x[2], y[0], y[1], y[2], d.major_radius, d.minor_radius, d.sweep];
            (kind::DGN_TORUS_PIPE, detail_table(&mut fbb, DoublesAndFlag(detail, d.capped)))
        }
        Solid::Extrusion(d) => {
            // As `CreateDgnExtrusion`: the base curve first, then vector, curve, capped.
            let base = curves::write_vector(&mut fbb, &d.base);
            let start = fbb.start_table();
            fbb.push_slot_always(6, Doubles(d.vector));
            fbb.push_slot_always(4, base);
            fbb.push_slot::<bool>(8, d.capped, false);
            (kind::DGN_EXTRUSION, fbb.end_table(start))
        }
        Solid::RuledSweep(_) => return None,
    };
    let root = variant::create(&mut fbb, member_kind, member.as_union_value());
    Some(flatbuf::finish_bgfb(fbb, root))
}

/// `DgnBox { detail }` and its siblings: one struct field.
fn detail_table<const N: usize>(fbb: &mut FlatBufferBuilder<'_>, detail: DoublesAndFlag<N>) -> flatbuf::TableOffset {
    let start = fbb.start_table();
    fbb.push_slot_always(4, detail);
    fbb.end_table(start)
}

/// Reads a SolidPrimitive op payload.
pub(crate) fn read_payload(data: &[u8]) -> PayloadResult<Solid> {
    let src = Source::new(flatbuf::strip_bgfb(data)?);
    let (member_kind, member) = variant::read(&src.root()?)?;
    let missing = || PayloadError::new(format!("{} without detail", variant::kind_name(member_kind)));
    Ok(match member_kind {
        kind::DGN_BOX => {
            let (d, capped) = member.doubles_and_flag::<16>(4)?.ok_or_else(missing)?;
            Solid::Box(BoxDetail {
                base_origin: [d[0], d[1], d[2]],
                top_origin: [d[3], d[4], d[5]],
                vector_x: [d[6], d[7], d[8]],
                vector_y: [d[9], d[10], d[11]],
                base_x: d[12],
                base_y: d[13],
                top_x: d[14],
                top_y: d[15],
                capped,
            })
        }
        kind::DGN_SPHERE => {
            let (d, capped) = member.doubles_and_flag::<14>(4)?.ok_or_else(missing)?;
            Solid::Sphere(SphereDetail {
                local_to_world: [[d[0], d[1], d[2], d[3]], [d[4], d[5], d[6], d[7]], [d[8], d[9], d[10], d[11]]],
                start_latitude: d[12],
                latitude_sweep: d[13],
                capped,
            })
        }
        kind::DGN_CONE => {
            let (d, capped) = member.doubles_and_flag::<14>(4)?.ok_or_else(missing)?;
            Solid::Cone(ConeDetail {
                center_a: [d[0], d[1], d[2]],
                center_b: [d[3], d[4], d[5]],
                vector0: [d[6], d[7], d[8]],
                vector90: [d[9], d[10], d[11]],
                radius_a: d[12],
                radius_b: d[13],
                capped,
            })
        }
        kind::DGN_TORUS_PIPE => {
            let (d, capped) = member.doubles_and_flag::<12>(4)?.ok_or_else(missing)?;
            Solid::TorusPipe(TorusPipeDetail {
                center: [d[0], d[1], d[2]],
                vector_x: [d[3], d[4], d[5]],
                vector_y: [d[6], d[7], d[8]],
                major_radius: d[9],
                minor_radius: d[10],
                sweep: d[11],
                capped,
            })
        }
        kind::DGN_EXTRUSION => {
            let base = member.table(4)?.ok_or_else(|| PayloadError::new("DgnExtrusion without baseCurve"))?;
            Solid::Extrusion(ExtrusionDetail {
                base: curves::read_vector(&base)?,
                vector: member.doubles::<3>(6)?.ok_or_else(|| PayloadError::new("DgnExtrusion without vector"))?,
                capped: member.u8(8, 0)? != 0,
            })
        }
        other => return Err(PayloadError::new(format!("{} is not supported", variant::kind_name(other)))),
    })
}

/// The JSON entry the native writer makes of a solid. Frames it cannot build (zero or parallel
/// vectors) make it write nothing; we report them instead.
pub(crate) fn to_json(solid: &Solid) -> PayloadResult<Value> {
    let mut out = Map::new();
    let (key, value) = match solid {
        Solid::Box(d) => ("box", box_json(d)?),
        Solid::Sphere(d) => ("sphere", sphere_json(d)?),
        Solid::Cone(d) => cone_json(d),
        Solid::TorusPipe(d) => ("torusPipe", torus_pipe_json(d)?),
        Solid::Extrusion(d) => {
            let mut v = Map::new();
            v.insert("capped".into(), Value::Bool(d.capped));
            v.insert("contour".into(), curves::vector_to_json(&d.base));
            v.insert("vector".into(), xyz_value(d.vector));
            ("linearSweep", v)
        }
        Solid::RuledSweep(sections) => {
            let mut v = Map::new();
            v.insert("contour".into(), Value::Array(sections.iter().map(curves::vector_to_json).collect()));
            ("ruledSweep", v)
        }
    };
    out.insert(key.to_string(), Value::Object(value));
    Ok(Value::Object(out))
}

fn box_json(d: &BoxDetail) -> PayloadResult<Map<String, Value>> {
    let skew = from_columns(d.vector_x, d.vector_y, sub(d.top_origin, d.base_origin));
    let frame = square_and_normalize_columns(&skew, 0, 1).ok_or_else(|| PayloadError::new("DgnBox has no frame"))?;
    let mut v = Map::new();
    v.insert("baseOrigin".into(), xyz_value(d.base_origin));
    v.insert("origin".into(), xyz_value(d.base_origin));
    v.insert("topOrigin".into(), xyz_value(d.top_origin));
    v.insert("baseX".into(), num(d.base_x));
    v.insert("baseY".into(), num(d.base_y));
    if !almost_equal(d.top_x, d.base_x) {
        v.insert("topX".into(), num(d.top_x));
    }
    if !almost_equal(d.top_y, d.base_y) {
        v.insert("topY".into(), num(d.top_y));
    }
    v.insert("capped".into(), Value::Bool(d.capped));
    if !is_identity(&frame) {
        v.insert("xyVectors".into(), Value::Array(vec![xyz_value(column(&frame, 0)), xyz_value(column(&frame, 1))]));
    }
    Ok(v)
}

fn sphere_json(d: &SphereDetail) -> PayloadResult<Map<String, Value>> {
    let m = d.local_to_world;
    let matrix: Matrix = [[m[0][0], m[0][1], m[0][2]], [m[1][0], m[1][1], m[1][2]], [m[2][0], m[2][1], m[2][2]]];
    let (unit_x, rx) = normalize(column(&matrix, 0));
    let (unit_y, ry) = normalize(column(&matrix, 1));
    let (unit_z, rz) = normalize(column(&matrix, 2));
    if rx <= 1.0e-10 || ry <= 1.0e-10 || rz <= 1.0e-10 {
        return Err(PayloadError::new("DgnSphere with a zero radius"));
    }
    let rigid =
        square_and_normalize_columns(&matrix, 0, 1).ok_or_else(|| PayloadError::new("DgnSphere has no frame"))?;
    let skew = product(&transpose(&rigid), &matrix);

    let mut v = Map::new();
    v.insert("center".into(), xyz_value([m[0][3], m[1][3], m[2][3]]));
    if !is_identity(&rigid) {
        v.insert("zxVectors".into(), Value::Array(vec![xyz_value(unit_z), xyz_value(unit_x)]));
    }
    if !is_diagonal(&skew) || determinant(&skew) < 0.0 {
        v.insert("xyzVectors".into(), Value::Array(vec![xyz_value(unit_x), xyz_value(unit_y), xyz_value(unit_z)]));
    }
    let nearly = |a: f64, b: f64| (a - b).abs() < SMALL_ANGLE;
    let full = nearly(d.start_latitude, -std::f64::consts::FRAC_PI_2) && nearly(d.latitude_sweep, std::f64::consts::PI);
    if d.capped && !full {
        v.insert("capped".into(), Value::Bool(true));
    }
    if !full {
        let (start, end) = (d.start_latitude, d.start_latitude + d.latitude_sweep);
        v.insert(
            "latitudeStartEnd".into(),
            Value::Array(vec![num(radians_to_degrees(start)), num(radians_to_degrees(end))]),
        );
    }
    if almost_equal(rx, ry) {
        if almost_equal(rx, rz) {
            v.insert("radius".into(), num(rx));
        } else {
            v.insert("radiusX".into(), num(rx));
            v.insert("radiusZ".into(), num(rz));
        }
    } else {
        v.insert("radiusX".into(), num(rx));
        v.insert("radiusY".into(), num(ry));
        v.insert("radiusZ".into(), num(rz));
    }
    Ok(v)
}

/// A cone reads back as `cylinder` when its sections are circles of one radius square to the
/// axis (`DgnConeDetail::IsCylinder`), else as `cone`.
fn cone_json(d: &ConeDetail) -> (&'static str, Map<String, Value>) {
    let length0 = magnitude(d.vector0);
    let (radius_a, radius_b) = (d.radius_a * length0, d.radius_b * length0);
    let (unit0, unit90, axis) = (normalize(d.vector0).0, normalize(d.vector90).0, sub(d.center_b, d.center_a));
    let mut v = Map::new();
    if is_perpendicular(unit0, unit90)
        && is_perpendicular(unit0, axis)
        && is_perpendicular(unit90, axis)
        && almost_equal(radius_a, radius_b)
    {
        v.insert("start".into(), xyz_value(d.center_a));
        v.insert("end".into(), xyz_value(d.center_b));
        v.insert("capped".into(), Value::Bool(d.capped));
        v.insert("radius".into(), num(radius_a));
        return ("cylinder", v);
    }
    v.insert("capped".into(), Value::Bool(d.capped));
    v.insert("start".into(), xyz_value(d.center_a));
    v.insert("end".into(), xyz_value(d.center_b));
    if almost_equal(d.radius_a, d.radius_b) {
        v.insert("radius".into(), num(d.radius_a));
    } else {
        v.insert("startRadius".into(), num(d.radius_a));
        v.insert("endRadius".into(), num(d.radius_b));
    }
    v.insert("xyVectors".into(), Value::Array(vec![xyz_value(d.vector0), xyz_value(d.vector90)]));
    let same_length = almost_equal(length0, magnitude(d.vector90));
    if !same_length || !is_perpendicular(d.vector0, d.vector90) {
        let vectors = vec![xyz_value(d.vector0), xyz_value(d.vector90), xyz_value(axis)];
        v.insert("xyzVectors".into(), Value::Array(vectors));
    }
    ("cone", v)
}

fn torus_pipe_json(d: &TorusPipeDetail) -> PayloadResult<Map<String, Value>> {
    // `QVNormalizedAxes`: x kept, z from x and y, y completing the frame.
    let unit_x = normalize(d.vector_x).0;
    let unit_z = normalize(cross(unit_x, d.vector_y)).0;
    let unit_y = normalize(cross(unit_z, unit_x)).0;
    if !math::is_orthogonal(&from_columns(unit_x, unit_y, unit_z)) {
        return Err(PayloadError::new("DgnTorusPipe has no frame"));
    }
    let mut v = Map::new();
    v.insert("center".into(), xyz_value(d.center));
    v.insert("majorRadius".into(), num(d.major_radius));
    v.insert("minorRadius".into(), num(d.minor_radius));
    if !is_full_circle(d.sweep) {
        v.insert("sweepAngle".into(), num(radians_to_degrees(d.sweep)));
    }
    if d.capped {
        v.insert("capped".into(), Value::Bool(true));
    }
    v.insert("xyVectors".into(), Value::Array(vec![xyz_value(unit_x), xyz_value(unit_y)]));
    Ok(v)
}
