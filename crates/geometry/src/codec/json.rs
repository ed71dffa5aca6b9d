//! Reading GeometryStreamProps JSON strictly: every value checked, every error naming where it
//! is (`geom[3].cone.start[1]`), unknown fields refused rather than silently dropped the way the
//! native reader drops them. These are the helpers of the crate's one JSON reader
//! (`parse.rs` and the entry modules).
//!
//! Locations are [`At`] chains, formatted only when an error names them: formatting one per
//! value was most of the encoder's time. The same chains tell scaling where the lengths are
//! ([`Lengths`]): the reader marks them, so no other module keeps lists of field names.

use std::cell::RefCell;
use std::fmt::{self, Display};

use serde_json::{Map, Value};

use super::error::GeometryError;
use crate::math::{degrees_to_radians, Xyz};

/// Longest array we accept anywhere (points, indices, colors): a guard against allocating for
/// absurd input, far above what one element's geometry needs.
pub(crate) const MAX_ITEMS: usize = 10_000_000;

type Result<T> = std::result::Result<T, GeometryError>;

/// Where a value sits in a stream's JSON (`geom[3].cone.start[1]`): a chain of fields and
/// items on the stack, formatted only when an error names it.
#[derive(Clone, Copy)]
pub(crate) enum At<'a> {
    /// A root, or a location already formatted.
    Name(&'a str),
    /// The root of a stream read for scaling: where its lengths are gets recorded.
    Root(&'a str, &'a Lengths),
    Field(&'a At<'a>, &'a str),
    Item(&'a At<'a>, usize),
}

/// What kind of length a JSON value is: the reader knows which values are lengths (points,
/// radii, sizes) and which are not (directions, angles, normals, parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Length {
    /// A number.
    Number,
    /// A point: `[x, y, z?]` or `{x, y, z?}`.
    Point,
    /// An array of points.
    Points,
}

/// One step of a path into a stream's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// The lengths of a stream, as paths from the stream's array, recorded while reading it (see
/// [`At::Root`]): what scaling changes, known from the one reader rather than from lists of its
/// own.
#[derive(Debug, Default)]
pub(crate) struct Lengths(RefCell<Vec<(Vec<Step>, Length)>>);

impl Lengths {
    pub(crate) fn into_inner(self) -> Vec<(Vec<Step>, Length)> {
        self.0.into_inner()
    }
}

impl<'a> At<'a> {
    /// `self.key`
    pub(crate) fn field<'s>(&'s self, key: &'s str) -> At<'s> {
        At::Field(self, key)
    }

    /// `self[index]`
    pub(crate) fn item(&'a self, index: usize) -> At<'a> {
        At::Item(self, index)
    }

    /// Records that the value here is a length, when the stream is read for scaling.
    pub(crate) fn mark(&self, length: Length) {
        if let Some(lengths) = self.lengths() {
            let mut steps = Vec::new();
            self.steps(&mut steps);
            lengths.0.borrow_mut().push((steps, length));
        }
    }

    fn lengths(&self) -> Option<&Lengths> {
        match self {
            At::Name(_) => None,
            At::Root(_, lengths) => Some(lengths),
            At::Field(parent, _) | At::Item(parent, _) => parent.lengths(),
        }
    }

    fn steps(&self, out: &mut Vec<Step>) {
        match self {
            At::Name(_) | At::Root(..) => {}
            At::Field(parent, key) => {
                parent.steps(out);
                out.push(Step::Key((*key).to_owned()));
            }
            At::Item(parent, index) => {
                parent.steps(out);
                out.push(Step::Index(*index));
            }
        }
    }
}

impl Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Name(name) | At::Root(name, _) => f.write_str(name),
            At::Field(parent, key) => write!(f, "{parent}.{key}"),
            At::Item(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// A JSON object being read, with its location for error messages.
pub(crate) struct Obj<'a> {
    pub at: At<'a>,
    map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    /// `value` must be an object whose keys are all in `allowed`.
    pub(crate) fn new(value: &'a Value, at: At<'a>, allowed: &[&str]) -> Result<Obj<'a>> {
        let map = value.as_object().ok_or_else(|| GeometryError::json(&at, "expected an object"))?;
        if let Some(key) = map.keys().find(|key| !allowed.contains(&key.as_str())) {
            return Err(GeometryError::json(
                &at,
                format!("unknown field `{key}` (expected one of {})", allowed.join(", ")),
            ));
        }
        Ok(Obj { at, map })
    }

    /// Records the fields of `keys` that are present as lengths of kind `length`.
    pub(crate) fn mark(&self, length: Length, keys: &[&str]) {
        for key in keys {
            if self.get(key).is_some() {
                self.field(key).mark(length);
            }
        }
    }

    /// The location of field `key`, formatted (for error messages).
    pub(crate) fn at(&self, key: &str) -> String {
        self.field(key).to_string()
    }

    /// The location of field `key`, formatted only if an error needs it.
    pub(crate) fn field<'s>(&'s self, key: &'s str) -> At<'s> {
        self.at.field(key)
    }

    /// Field `key`; JSON null counts as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        // Geometry objects have a handful of fields: comparing their names is cheaper than
        // hashing the key (SipHash).
        let value = if self.map.len() <= 12 {
            self.map.iter().find(|(name, _)| name.as_str() == key).map(|(_, value)| value)
        } else {
            self.map.get(key)
        };
        value.filter(|v| !v.is_null())
    }

    pub(crate) fn required(&self, key: &str) -> Result<&'a Value> {
        self.get(key).ok_or_else(|| GeometryError::json(&self.field(key), "is required"))
    }

    pub(crate) fn number(&self, key: &str) -> Result<Option<f64>> {
        self.get(key).map(|v| number(v, &self.field(key))).transpose()
    }

    pub(crate) fn required_number(&self, key: &str) -> Result<f64> {
        number(self.required(key)?, &self.field(key))
    }

    pub(crate) fn xyz(&self, key: &str) -> Result<Option<Xyz>> {
        self.get(key).map(|v| xyz(v, &self.field(key))).transpose()
    }

    pub(crate) fn required_xyz(&self, key: &str) -> Result<Xyz> {
        xyz(self.required(key)?, &self.field(key))
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>> {
        self.get(key)
            .map(|v| v.as_bool().ok_or_else(|| GeometryError::json(&self.field(key), "expected true or false")))
            .transpose()
    }
}

/// `parent[index]` of any location (an [`At`] when the parent is one, or a `&str`).
struct ItemOf<'a, P: ?Sized>(&'a P, usize);

impl<P: Display + ?Sized> Display for ItemOf<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}

/// A finite number.
pub(crate) fn number(value: &Value, at: &(impl Display + ?Sized)) -> Result<f64> {
    value.as_f64().filter(|x| x.is_finite()).ok_or_else(|| GeometryError::json(at, "not a finite number"))
}

/// An integer within `min..=max`.
pub(crate) fn integer(value: &Value, at: &(impl Display + ?Sized), min: i64, max: i64) -> Result<i64> {
    let x = number(value, at)?;
    if x.fract() != 0.0 || x < min as f64 || x > max as f64 {
        return Err(GeometryError::json(at, format!("expected an integer from {min} to {max}")));
    }
    Ok(x as i64)
}

/// A point or vector: `[x, y]`, `[x, y, z]` or `{"x":..,"y":..,"z":..}` (z defaults to 0, as
/// the native reader has it).
pub(crate) fn xyz(value: &Value, at: &(impl Display + ?Sized)) -> Result<Xyz> {
    match value {
        Value::Array(items) => {
            if !(2..=3).contains(&items.len()) {
                return Err(GeometryError::json(at, format!("expected 2 or 3 coordinates, got {}", items.len())));
            }
            let mut out = [0.0; 3];
            for (i, item) in items.iter().enumerate() {
                out[i] = number(item, &ItemOf(at, i))?;
            }
            Ok(out)
        }
        Value::Object(_) => {
            let at = at.to_string();
            let obj = Obj::new(value, At::Name(&at), &["x", "y", "z"])?;
            Ok([obj.required_number("x")?, obj.required_number("y")?, obj.number("z")?.unwrap_or(0.0)])
        }
        _ => Err(GeometryError::json(at, "expected a point: [x, y, z] or {\"x\", \"y\", \"z\"}")),
    }
}

/// An array of at most [`MAX_ITEMS`] items.
pub(crate) fn array<'a>(value: &'a Value, at: &(impl Display + ?Sized)) -> Result<&'a [Value]> {
    let items = value.as_array().ok_or_else(|| GeometryError::json(at, "expected an array"))?;
    check_len(items.len(), at)?;
    Ok(items)
}

/// Refuses more than [`MAX_ITEMS`] items.
pub(crate) fn check_len(len: usize, at: &(impl Display + ?Sized)) -> Result<()> {
    if len > MAX_ITEMS {
        return Err(GeometryError::json(at, format!("{len} items, at most {MAX_ITEMS} allowed")));
    }
    Ok(())
}

/// An array of points, at least `min` of them.
pub(crate) fn points(value: &Value, at: &(impl Display + ?Sized), min: usize) -> Result<Vec<Xyz>> {
    let items = array(value, at)?;
    if items.len() < min {
        return Err(GeometryError::json(at, format!("needs at least {min} point{}", if min == 1 { "" } else { "s" })));
    }
    let mut points = Vec::with_capacity(items.len());
    for (i, p) in items.iter().enumerate() {
        points.push(xyz(p, &ItemOf(at, i))?);
    }
    Ok(points)
}

/// An array of integers within `min..=max`.
pub(crate) fn integers(value: &Value, at: &(impl Display + ?Sized), min: i64, max: i64) -> Result<Vec<i64>> {
    let items = array(value, at)?;
    let mut values = Vec::with_capacity(items.len());
    for (i, x) in items.iter().enumerate() {
        values.push(integer(x, &ItemOf(at, i), min, max)?);
    }
    Ok(values)
}

/// An Id64 string ("0x1a"), not zero; as i64 like every id of the workspace (the stream
/// stores them as the same 64 bits).
pub(crate) fn id64(value: &Value, at: &(impl Display + ?Sized)) -> Result<i64> {
    let text = value.as_str().ok_or_else(|| GeometryError::json(at, "expected an id string such as \"0x1a\""))?;
    let hex = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"));
    match hex.and_then(|h| u64::from_str_radix(h, 16).ok()) {
        Some(id) if id != 0 => Ok(id as i64),
        _ => Err(GeometryError::json(at, format!("`{text}` is not a valid id"))),
    }
}

/// An id ([`id64`]) where the stream may be read for scaling: there ids are not checked, as they
/// are not lengths and a writer may fill them in after scaling (placeholders such as `@1`); the
/// codec checks them when encoding.
pub(crate) fn element_id(value: &Value, at: &At<'_>) -> Result<i64> {
    match id64(value, at) {
        Err(_) if at.lengths().is_some() => Ok(0),
        read => read,
    }
}

/// How ids are written back: lowercase hex without leading zeros, as iTwin.js does.
pub(crate) fn id64_string(id: i64) -> String {
    format!("{:#x}", id as u64)
}

/// An angle in degrees: a number, `{"degrees": d}` or `{"radians": r}`; returned in radians.
pub(crate) fn angle_radians(value: &Value, at: &At<'_>) -> Result<f64> {
    if value.is_object() {
        let obj = Obj::new(value, *at, &["degrees", "radians"])?;
        return match (obj.number("degrees")?, obj.number("radians")?) {
            (Some(d), None) => Ok(degrees_to_radians(d)),
            (None, Some(r)) => Ok(r),
            _ => Err(GeometryError::json(&obj.at, "expected one of `degrees`, `radians`")),
        };
    }
    Ok(degrees_to_radians(number(value, at)?))
}

/// JSON for a point.
pub(crate) fn xyz_value(p: Xyz) -> Value {
    Value::Array(p.iter().map(|x| num(*x)).collect())
}

/// JSON for a double. Non-finite values cannot be JSON; blobs with them are refused before.
pub(crate) fn num(x: f64) -> Value {
    serde_json::Number::from_f64(x).map(Value::Number).unwrap_or(Value::Null)
}
