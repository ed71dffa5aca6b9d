//! The column blob around the op stream: snappy chunks, the blob header and op framing
//! (BeSQLite `SnappyToBlob`, `GeometryStreamIO::Writer::Append(Operation)`).

use super::error::GeometryError;

/// Largest uncompressed piece per chunk: the native reader inflates each chunk into a fixed
/// 32 KiB buffer.
const CHUNK_RAW_BYTES: usize = 32 * 1024;
/// `GeomBlobHeader::m_signature`.
const BLOB_SIGNATURE: u32 = 0x0600;
/// Refuse streams above this size (encoded or decoded) rather than allocate without bound.
pub(crate) const MAX_STREAM_BYTES: usize = 1 << 30;

/// GeometryStream opcodes (`GeometryStreamIO::OpCode`) that this codec reads or writes.
pub(crate) mod opcode {
    pub const HEADER: u32 = 1;
    pub const SUB_GRAPHIC_RANGE: u32 = 2;
    pub const GEOMETRY_PART_INSTANCE: u32 = 3;
    pub const BASIC_SYMBOLOGY: u32 = 4;
    pub const POINT_PRIMITIVE: u32 = 5;
    pub const POINT_PRIMITIVE_2D: u32 = 6;
    pub const ARC_PRIMITIVE: u32 = 7;
    pub const CURVE_VECTOR: u32 = 8;
    pub const POLYFACE: u32 = 9;
    pub const CURVE_PRIMITIVE: u32 = 10;
    pub const SOLID_PRIMITIVE: u32 = 11;
    pub const BSPLINE_SURFACE: u32 = 12;
    pub const AREA_FILL: u32 = 19;
    pub const PATTERN: u32 = 20;
    pub const MATERIAL: u32 = 21;
    pub const TEXT_STRING: u32 = 22;
    pub const LINE_STYLE_MODIFIERS: u32 = 23;
    pub const PARASOLID_BREP: u32 = 25;
    pub const IMAGE: u32 = 28;
}

/// A readable name for error messages.
pub(crate) fn opcode_name(code: u32) -> String {
    use opcode::*;
    let name = match code {
        HEADER => "Header",
        SUB_GRAPHIC_RANGE => "SubGraphicRange",
        GEOMETRY_PART_INSTANCE => "GeometryPartInstance",
        BASIC_SYMBOLOGY => "BasicSymbology",
        POINT_PRIMITIVE => "PointPrimitive",
        POINT_PRIMITIVE_2D => "PointPrimitive2d",
        ARC_PRIMITIVE => "ArcPrimitive",
        CURVE_VECTOR => "CurveVector",
        POLYFACE => "Polyface",
        CURVE_PRIMITIVE => "CurvePrimitive",
        SOLID_PRIMITIVE => "SolidPrimitive",
        BSPLINE_SURFACE => "BsplineSurface",
        AREA_FILL => "AreaFill",
        PATTERN => "Pattern",
        MATERIAL => "Material",
        TEXT_STRING => "TextString",
        LINE_STYLE_MODIFIERS => "LineStyleModifiers",
        PARASOLID_BREP => "ParasolidBRep",
        IMAGE => "Image",
        _ => return format!("opcode {code}"),
    };
    name.to_string()
}

/// One op of the stream, payload without its padding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Op<'a> {
    pub code: u32,
    pub data: &'a [u8],
}

/// Appends one op: opcode, padded size, payload zero-padded to a multiple of 8.
pub(crate) fn append_op(stream: &mut Vec<u8>, code: u32, data: &[u8]) {
    let padded = (data.len() + 7) & !7;
    stream.extend_from_slice(&code.to_le_bytes());
    stream.extend_from_slice(&(padded as u32).to_le_bytes());
    stream.extend_from_slice(data);
    stream.resize(stream.len() + (padded - data.len()), 0);
}

/// The Header op's payload: version 1 and the stream flags.
pub(crate) fn header_payload(flags: u32) -> [u8; 8] {
    let mut data = [0u8; 8];
    data[..4].copy_from_slice(&1u32.to_le_bytes());
    data[4..].copy_from_slice(&flags.to_le_bytes());
    data
}

/// Splits an op stream into ops. The payload of each op keeps its padding (the native writer
/// stores only the padded size).
pub(crate) fn split_ops(stream: &[u8]) -> Result<Vec<Op<'_>>, GeometryError> {
    let mut ops = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let index = ops.len();
        let (code, size) = match (read_u32(rest, 0), read_u32(rest, 4)) {
            (Some(code), Some(size)) => (code, size as usize),
            _ => return Err(GeometryError::blob(format!("op {index}: truncated op header"))),
        };
        let data = rest
            .get(8..8usize.saturating_add(size))
            .ok_or_else(|| GeometryError::blob(format!("op {index}: {size} payload bytes announced, fewer present")))?;
        ops.push(Op { code, data });
        rest = &rest[8 + size..];
    }
    Ok(ops)
}

/// Wraps an op stream into the column blob: blob header, then ≤32 KiB pieces, each raw-snappy
/// compressed behind a u16 length that counts itself.
pub(crate) fn pack(stream: &[u8]) -> Result<Vec<u8>, GeometryError> {
    if stream.len() > MAX_STREAM_BYTES {
        return Err(GeometryError::blob(format!("stream of {} bytes is too large", stream.len())));
    }
    let mut raw = Vec::with_capacity(stream.len() + 8);
    raw.extend_from_slice(&BLOB_SIGNATURE.to_le_bytes());
    raw.extend_from_slice(&(stream.len() as u32).to_le_bytes());
    raw.extend_from_slice(stream);

    let mut encoder = snap::raw::Encoder::new();
    let mut blob = Vec::with_capacity(2 + snap::raw::max_compress_len(raw.len().min(CHUNK_RAW_BYTES)));
    for piece in raw.chunks(CHUNK_RAW_BYTES) {
        // Compressed straight into the blob, behind room for its length.
        let at = blob.len();
        blob.resize(at + 2 + snap::raw::max_compress_len(piece.len()), 0);
        let written =
            encoder.compress(piece, &mut blob[at + 2..]).map_err(|e| GeometryError::blob(format!("snappy: {e}")))?;
        // Snappy never grows 32 KiB past 64 KiB, but the length field is only 16 bits.
        let len = u16::try_from(written + 2)
            .map_err(|_| GeometryError::blob("compressed chunk does not fit its 16-bit length"))?;
        blob[at..at + 2].copy_from_slice(&len.to_le_bytes());
        blob.truncate(at + 2 + written);
    }
    Ok(blob)
}

/// Undoes [`pack`]: inflates every chunk and checks the blob header; returns the op stream.
pub(crate) fn unpack(blob: &[u8]) -> Result<Vec<u8>, GeometryError> {
    let mut decoder = snap::raw::Decoder::new();
    let mut raw = Vec::new();
    let mut rest = blob;
    let mut chunk_index = 0;
    while !rest.is_empty() {
        let len = match rest {
            [lo, hi, ..] => u16::from_le_bytes([*lo, *hi]) as usize,
            _ => return Err(GeometryError::blob(format!("chunk {chunk_index}: truncated length"))),
        };
        let compressed = rest.get(2..len).filter(|_| len > 2).ok_or_else(|| {
            GeometryError::blob(format!("chunk {chunk_index}: length {len} does not fit the {} bytes left", rest.len()))
        })?;
        let size = snap::raw::decompress_len(compressed)
            .map_err(|e| GeometryError::blob(format!("chunk {chunk_index}: {e}")))?;
        if size == 0 || size > CHUNK_RAW_BYTES {
            return Err(GeometryError::blob(format!(
                "chunk {chunk_index}: inflates to {size} bytes (1..=32768 allowed)"
            )));
        }
        if raw.len() + size > MAX_STREAM_BYTES {
            return Err(GeometryError::blob("stream is too large"));
        }
        let start = raw.len();
        raw.resize(start + size, 0);
        let written = decoder
            .decompress(compressed, &mut raw[start..])
            .map_err(|e| GeometryError::blob(format!("chunk {chunk_index}: {e}")))?;
        raw.truncate(start + written);
        rest = &rest[len..];
        chunk_index += 1;
    }

    let (signature, size) = match (read_u32(&raw, 0), read_u32(&raw, 4)) {
        (Some(signature), Some(size)) => (signature, size as usize),
        _ => return Err(GeometryError::blob("shorter than its 8-byte header")),
    };
    if signature != BLOB_SIGNATURE {
        return Err(GeometryError::blob(format!("signature {signature:#06x}, expected 0x0600")));
    }
    if size != raw.len() - 8 {
        return Err(GeometryError::blob(format!("header announces {size} stream bytes, {} present", raw.len() - 8)));
    }
    raw.drain(..8);
    Ok(raw)
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_are_padded_to_eight_bytes() {
        let mut stream = Vec::new();
        append_op(&mut stream, 1, &header_payload(0));
        append_op(&mut stream, 4, &[1, 2, 3]);
        assert_eq!(stream.len(), 16 + 16);
        let ops = split_ops(&stream).unwrap();
        assert_eq!(ops[1], Op { code: 4, data: &[1, 2, 3, 0, 0, 0, 0, 0] });
    }

    #[test]
    fn pack_splits_at_32_kib_of_raw_bytes() {
        let stream: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let blob = pack(&stream).unwrap();
        assert_eq!(unpack(&blob).unwrap(), stream);
        let first = u16::from_le_bytes([blob[0], blob[1]]) as usize;
        assert_eq!(snap::raw::decompress_len(&blob[2..first]).unwrap(), CHUNK_RAW_BYTES);
    }

    #[test]
    fn unpack_rejects_damage_without_panicking() {
        let blob = pack(&[1, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        for cut in 0..blob.len() {
            assert!(unpack(&blob[..cut]).is_err());
        }
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0xff;
            let _ = unpack(&bad);
        }
        assert!(split_ops(&[1, 0, 0, 0, 200, 0, 0, 0]).is_err());
    }
}
