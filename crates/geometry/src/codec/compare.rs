//! What two writers' blobs for the same geometry must agree on.
//!
//! Snappy output may differ between encoders, and the native writer leaves the 7 bytes after
//! `capped` in the DgnBox, DgnSphere, DgnCone and DgnTorusPipe detail structs uninitialised
//! (they hold whatever was on its stack, e.g. `08ac19…`); we write zeros there.

use super::error::GeometryError;
use super::stream;

const SOLID_PRIMITIVE: u32 = 11;
/// allcg union types whose detail struct ends in `capped` + 7 padding bytes: DgnCone,
/// DgnSphere, DgnTorusPipe, DgnBox.
const DETAIL_STRUCT_KINDS: [u8; 4] = [6, 7, 8, 9];
/// "bg0001fb", in front of every allcg payload.
const ALLCG_PREFIX: usize = 8;

/// The uncompressed op stream of `blob` with the detail structs' padding zeroed.
pub fn comparable_ops(blob: &[u8]) -> Result<Vec<u8>, GeometryError> {
    let mut ops = stream::unpack(blob)?;
    let malformed = || GeometryError::blob("an op runs past the end of the stream");
    let mut at = 0;
    while at < ops.len() {
        let code = u32_at(&ops, at).ok_or_else(malformed)?;
        let size = u32_at(&ops, at + 4).ok_or_else(malformed)? as usize;
        let end = (at + 8).checked_add(size).filter(|&end| end <= ops.len()).ok_or_else(malformed)?;
        if code == SOLID_PRIMITIVE && solid_kind(&ops[at + 8..end]).is_some_and(|k| DETAIL_STRUCT_KINDS.contains(&k)) {
            // The detail table is written first, so its struct ends the buffer.
            ops[end.saturating_sub(7).max(at + 8)..end].fill(0);
        }
        at = end;
    }
    Ok(ops)
}

/// The union type of a SolidPrimitive payload's VariantGeometry root (its first field).
fn solid_kind(payload: &[u8]) -> Option<u8> {
    let fb = payload.get(ALLCG_PREFIX..)?;
    let table = u32_at(fb, 0)? as usize;
    let soffset = i32::from_le_bytes(fb.get(table..table + 4)?.try_into().ok()?);
    let vtable = usize::try_from(table as i64 - i64::from(soffset)).ok()?;
    let field = u16::from_le_bytes(fb.get(vtable + 4..vtable + 6)?.try_into().ok()?) as usize;
    fb.get(table + field).copied()
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?))
}
