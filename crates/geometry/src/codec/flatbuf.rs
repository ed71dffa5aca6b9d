//! FlatBuffers plumbing without generated code: struct values for the builder, the "bg0001fb"
//! prefix of the allcg (BGFB) payloads, and a bounds-checked table reader.
//!
//! Reading does not use `flatbuffers::Table`: its accessors are `unsafe` and trust a separate
//! verification pass to have covered every field they touch. Payloads here come from files, so
//! every read below checks its own bounds instead, and shared budgets stop offset graphs that
//! revisit the same bytes (a DAG can make a small buffer look exponentially large).

use std::cell::{Cell, RefCell};

use flatbuffers::{FlatBufferBuilder, Push, PushAlignment, TableFinishedWIPOffset, WIPOffset};

use super::error::{PayloadError, PayloadResult};

/// Prefix of every allcg payload (`s_prefixBuffer` in FixedStructs.cpp).
pub(crate) const BGFB_PREFIX: &[u8; 8] = b"bg0001fb";

/// A finished table, as the builder hands it back.
pub(crate) type TableOffset = WIPOffset<TableFinishedWIPOffset>;

/// Nested tables deeper than this are refused (curve vectors nest).
const MAX_DEPTH: u32 = 64;

/// A struct of `N` doubles (DPoint3d, DSegment3d, DEllipse3d, DTransform3d...), 8-aligned.
pub(crate) struct Doubles<const N: usize>(pub [f64; N]);

impl<const N: usize> Push for Doubles<N> {
    type Output = Doubles<N>;

    unsafe fn push(&self, dst: &mut [u8], _written_len: usize) {
        for (value, out) in self.0.iter().zip(dst.chunks_exact_mut(8)) {
            out.copy_from_slice(&value.to_le_bytes());
        }
    }

    fn size() -> usize {
        8 * N
    }

    fn alignment() -> PushAlignment {
        PushAlignment::new(8)
    }
}

/// A struct of `N` doubles followed by one `bool` (the solid details' `capped`) and 7 bytes of
/// padding, which we write as zeros.
pub(crate) struct DoublesAndFlag<const N: usize>(pub [f64; N], pub bool);

impl<const N: usize> Push for DoublesAndFlag<N> {
    type Output = DoublesAndFlag<N>;

    unsafe fn push(&self, dst: &mut [u8], _written_len: usize) {
        for (value, out) in self.0.iter().zip(dst.chunks_exact_mut(8)) {
            out.copy_from_slice(&value.to_le_bytes());
        }
        dst[8 * N..8 * N + 8].copy_from_slice(&[u8::from(self.1), 0, 0, 0, 0, 0, 0, 0]);
    }

    fn size() -> usize {
        8 * N + 8
    }

    fn alignment() -> PushAlignment {
        PushAlignment::new(8)
    }
}

/// Builders larger than this are dropped rather than kept for the next op.
const MAX_KEPT_BUILDER_BYTES: usize = 1 << 20;

thread_local! {
    /// The builder of the previous op, reset. A fresh builder starts with no buffer and grows
    /// it by doubling, moving its contents each time: most of an op's cost for small ops.
    static SPARE_BUILDER: RefCell<Option<FlatBufferBuilder<'static>>> = const { RefCell::new(None) };
}

/// A builder for one payload; give it back through [`finish`] or [`finish_bgfb`]. Output does
/// not depend on the buffer's size (flatbuffers align from the end).
pub(crate) fn builder() -> FlatBufferBuilder<'static> {
    SPARE_BUILDER.with(|spare| spare.borrow_mut().take()).unwrap_or_else(|| FlatBufferBuilder::with_capacity(1024))
}

/// Keeps a finished builder for the next payload.
fn keep(mut fbb: FlatBufferBuilder<'static>) {
    if fbb.mut_finished_buffer().0.len() <= MAX_KEPT_BUILDER_BYTES {
        fbb.reset();
        SPARE_BUILDER.with(|spare| *spare.borrow_mut() = Some(fbb));
    }
}

/// Finishes `root` and returns the buffer (ElementGraphics payloads have no prefix).
pub(crate) fn finish<T>(mut fbb: FlatBufferBuilder<'static>, root: WIPOffset<T>) -> Vec<u8> {
    fbb.finish_minimal(root);
    let out = fbb.finished_data().to_vec();
    keep(fbb);
    out
}

/// Finishes `root` and returns it behind the "bg0001fb" prefix.
pub(crate) fn finish_bgfb<T>(mut fbb: FlatBufferBuilder<'static>, root: WIPOffset<T>) -> Vec<u8> {
    fbb.finish_minimal(root);
    let mut out = Vec::with_capacity(BGFB_PREFIX.len() + fbb.finished_data().len());
    out.extend_from_slice(BGFB_PREFIX);
    out.extend_from_slice(fbb.finished_data());
    keep(fbb);
    out
}

/// The flatbuffer behind the "bg0001fb" prefix.
pub(crate) fn strip_bgfb(data: &[u8]) -> PayloadResult<&[u8]> {
    data.strip_prefix(BGFB_PREFIX.as_slice())
        .filter(|rest| !rest.is_empty())
        .ok_or_else(|| PayloadError::new("payload does not start with \"bg0001fb\""))
}

/// A buffer being read, with the budgets shared by all its tables.
pub(crate) struct Source<'a> {
    buf: &'a [u8],
    tables_left: Cell<usize>,
    bytes_left: Cell<usize>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        // An honest buffer reads each table and each vector element once; allow twice that.
        Source { buf, tables_left: Cell::new(buf.len() / 4 + 1), bytes_left: Cell::new(2 * buf.len() + 64) }
    }

    /// The root table.
    pub(crate) fn root(&'a self) -> PayloadResult<Table<'a>> {
        let at = read_u32(self.buf, 0)? as usize;
        Table::at(self, at, 0)
    }

    fn spend_bytes(&self, n: usize) -> PayloadResult<()> {
        let left = self.bytes_left.get();
        if n > left {
            return Err(PayloadError::new("offsets revisit the same data too often"));
        }
        self.bytes_left.set(left - n);
        Ok(())
    }
}

/// A table inside a [`Source`].
#[derive(Clone, Copy)]
pub(crate) struct Table<'a> {
    src: &'a Source<'a>,
    pos: usize,
    vtable: usize,
    vtable_len: usize,
    inline_len: usize,
    depth: u32,
}

impl<'a> Table<'a> {
    fn at(src: &'a Source<'a>, pos: usize, depth: u32) -> PayloadResult<Table<'a>> {
        if depth > MAX_DEPTH {
            return Err(PayloadError::new("tables nested too deeply"));
        }
        let tables_left = src.tables_left.get();
        if tables_left == 0 {
            return Err(PayloadError::new("too many tables"));
        }
        src.tables_left.set(tables_left - 1);
        if pos % 4 != 0 {
            return Err(PayloadError::new(format!("table at {pos} is not 4-aligned")));
        }
        let soffset = read_u32(src.buf, pos)? as i32 as i64;
        let vtable = usize::try_from(pos as i64 - soffset)
            .map_err(|_| PayloadError::new(format!("vtable of table at {pos} is outside the buffer")))?;
        let vtable_len = read_u16(src.buf, vtable)? as usize;
        let inline_len = read_u16(src.buf, vtable + 2)? as usize;
        if vtable_len < 4 || vtable_len % 2 != 0 || vtable.checked_add(vtable_len).is_none_or(|e| e > src.buf.len()) {
            return Err(PayloadError::new(format!("bad vtable at {vtable}")));
        }
        if inline_len < 4 || pos.checked_add(inline_len).is_none_or(|e| e > src.buf.len()) {
            return Err(PayloadError::new(format!("table at {pos} runs past the buffer")));
        }
        src.spend_bytes(inline_len)?;
        Ok(Table { src, pos, vtable, vtable_len, inline_len, depth })
    }

    /// Where field `slot` (the vtable offset: 4, 6, 8, ...) is stored, if present; the field's
    /// `size` bytes are checked to lie inside the table.
    fn field(&self, slot: u16, size: usize) -> PayloadResult<Option<usize>> {
        let slot = slot as usize;
        if slot + 2 > self.vtable_len {
            return Ok(None);
        }
        let offset = read_u16(self.src.buf, self.vtable + slot)? as usize;
        if offset == 0 {
            return Ok(None);
        }
        if offset < 4 || offset + size > self.inline_len {
            return Err(PayloadError::new(format!("field {slot} lies outside its table")));
        }
        Ok(Some(self.pos + offset))
    }

    pub(crate) fn has(&self, slot: u16) -> PayloadResult<bool> {
        Ok(self.field(slot, 1)?.is_some())
    }

    pub(crate) fn u8(&self, slot: u16, default: u8) -> PayloadResult<u8> {
        Ok(match self.field(slot, 1)? {
            Some(at) => self.src.buf[at],
            None => default,
        })
    }

    pub(crate) fn u32(&self, slot: u16, default: u32) -> PayloadResult<u32> {
        Ok(match self.field(slot, 4)? {
            Some(at) => read_u32(self.src.buf, at)?,
            None => default,
        })
    }

    pub(crate) fn i32(&self, slot: u16, default: i32) -> PayloadResult<i32> {
        Ok(self.u32(slot, default as u32)? as i32)
    }

    pub(crate) fn i64(&self, slot: u16, default: i64) -> PayloadResult<i64> {
        Ok(match self.field(slot, 8)? {
            Some(at) => read_u64(self.src.buf, at)? as i64,
            None => default,
        })
    }

    pub(crate) fn f64(&self, slot: u16, default: f64) -> PayloadResult<f64> {
        Ok(match self.field(slot, 8)? {
            Some(at) => f64::from_bits(read_u64(self.src.buf, at)?),
            None => default,
        })
    }

    /// An inline struct of `N` doubles.
    pub(crate) fn doubles<const N: usize>(&self, slot: u16) -> PayloadResult<Option<[f64; N]>> {
        let Some(at) = self.field(slot, 8 * N)? else { return Ok(None) };
        let mut out = [0.0; N];
        for (i, value) in out.iter_mut().enumerate() {
            *value = f64::from_bits(read_u64(self.src.buf, at + 8 * i)?);
        }
        Ok(Some(out))
    }

    /// An inline struct of `N` doubles and a trailing bool.
    pub(crate) fn doubles_and_flag<const N: usize>(&self, slot: u16) -> PayloadResult<Option<([f64; N], bool)>> {
        let Some(at) = self.field(slot, 8 * N + 1)? else { return Ok(None) };
        let mut out = [0.0; N];
        for (i, value) in out.iter_mut().enumerate() {
            *value = f64::from_bits(read_u64(self.src.buf, at + 8 * i)?);
        }
        Ok(Some((out, self.src.buf[at + 8 * N] != 0)))
    }

    /// The table an offset field points to.
    pub(crate) fn table(&self, slot: u16) -> PayloadResult<Option<Table<'a>>> {
        let Some(at) = self.field(slot, 4)? else { return Ok(None) };
        let target = follow(self.src.buf, at)?;
        Table::at(self.src, target, self.depth + 1).map(Some)
    }

    /// Position and length of a vector field whose elements are `elem_size` bytes.
    fn vector(&self, slot: u16, elem_size: usize) -> PayloadResult<Option<(usize, usize)>> {
        let Some(at) = self.field(slot, 4)? else { return Ok(None) };
        let pos = follow(self.src.buf, at)?;
        let len = read_u32(self.src.buf, pos)? as usize;
        let start = pos + 4;
        let bytes = len
            .checked_mul(elem_size)
            .filter(|bytes| start.checked_add(*bytes).is_some_and(|end| end <= self.src.buf.len()))
            .ok_or_else(|| PayloadError::new(format!("vector of {len} elements runs past the buffer")))?;
        self.src.spend_bytes(bytes)?;
        Ok(Some((start, len)))
    }

    pub(crate) fn f64s(&self, slot: u16) -> PayloadResult<Option<Vec<f64>>> {
        self.struct_doubles(slot, 1)
    }

    /// A vector of structs of `per_struct` doubles (DPoint3d: 3), flattened.
    pub(crate) fn struct_doubles(&self, slot: u16, per_struct: usize) -> PayloadResult<Option<Vec<f64>>> {
        let Some((start, len)) = self.vector(slot, 8 * per_struct)? else { return Ok(None) };
        let bytes = &self.src.buf[start..start + 8 * per_struct * len];
        Ok(Some(bytes.chunks_exact(8).map(|b| f64::from_le_bytes(array8(b))).collect()))
    }

    pub(crate) fn i32s(&self, slot: u16) -> PayloadResult<Option<Vec<i32>>> {
        let Some((start, len)) = self.vector(slot, 4)? else { return Ok(None) };
        let buf = self.src.buf;
        Ok(Some(buf[start..start + 4 * len].chunks_exact(4).map(|b| i32::from_le_bytes(array4(b))).collect()))
    }

    pub(crate) fn u32s(&self, slot: u16) -> PayloadResult<Option<Vec<u32>>> {
        Ok(self.i32s(slot)?.map(|v| v.into_iter().map(|x| x as u32).collect()))
    }

    /// A vector of tables.
    pub(crate) fn tables(&self, slot: u16) -> PayloadResult<Option<Vec<Table<'a>>>> {
        let Some((start, len)) = self.vector(slot, 4)? else { return Ok(None) };
        let mut out = Vec::with_capacity(len);
        for i in 0..len {
            let target = follow(self.src.buf, start + 4 * i)?;
            out.push(Table::at(self.src, target, self.depth + 1)?);
        }
        Ok(Some(out))
    }
}

/// Follows the uoffset stored at `at`.
fn follow(buf: &[u8], at: usize) -> PayloadResult<usize> {
    let offset = read_u32(buf, at)? as usize;
    at.checked_add(offset)
        .filter(|target| *target < buf.len())
        .ok_or_else(|| PayloadError::new(format!("offset at {at} points outside the buffer")))
}

fn read_u16(buf: &[u8], at: usize) -> PayloadResult<u16> {
    match buf.get(at..at.saturating_add(2)) {
        Some([a, b]) => Ok(u16::from_le_bytes([*a, *b])),
        _ => Err(PayloadError::new(format!("read at {at} runs past the buffer"))),
    }
}

fn read_u32(buf: &[u8], at: usize) -> PayloadResult<u32> {
    match buf.get(at..at.saturating_add(4)) {
        Some(b) if b.len() == 4 => Ok(u32::from_le_bytes(array4(b))),
        _ => Err(PayloadError::new(format!("read at {at} runs past the buffer"))),
    }
}

fn read_u64(buf: &[u8], at: usize) -> PayloadResult<u64> {
    match buf.get(at..at.saturating_add(8)) {
        Some(b) if b.len() == 8 => Ok(u64::from_le_bytes(array8(b))),
        _ => Err(PayloadError::new(format!("read at {at} runs past the buffer"))),
    }
}

fn array4(b: &[u8]) -> [u8; 4] {
    [b[0], b[1], b[2], b[3]]
}

fn array8(b: &[u8]) -> [u8; 8] {
    [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_the_builder_wrote() {
        let mut fbb = FlatBufferBuilder::new();
        let values = fbb.create_vector(&[1.5f64, -2.0]);
        let start = fbb.start_table();
        fbb.push_slot_always(4, values);
        fbb.push_slot_always(6, Doubles([1.0, 2.0, 3.0]));
        fbb.push_slot::<i32>(8, 7, 0);
        fbb.push_slot::<u8>(10, 0, 0);
        let root = fbb.end_table(start);
        let bytes = finish(fbb, root);

        let src = Source::new(&bytes);
        let t = src.root().unwrap();
        assert_eq!(t.f64s(4).unwrap(), Some(vec![1.5, -2.0]));
        assert_eq!(t.doubles::<3>(6).unwrap(), Some([1.0, 2.0, 3.0]));
        assert_eq!(t.i32(8, 0).unwrap(), 7);
        assert!(!t.has(10).unwrap());
        assert_eq!(t.u8(10, 9).unwrap(), 9);
        assert!(t.table(12).unwrap().is_none());
    }

    #[test]
    fn damaged_buffers_give_errors() {
        let mut fbb = FlatBufferBuilder::new();
        let values = fbb.create_vector(&[1.5f64, -2.0]);
        let start = fbb.start_table();
        fbb.push_slot_always(4, values);
        let root = fbb.end_table(start);
        let bytes = finish(fbb, root);
        for cut in 0..bytes.len() {
            let src = Source::new(&bytes[..cut]);
            let _ = src.root().and_then(|t| t.f64s(4));
        }
        for i in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut bad = bytes.clone();
                bad[i] ^= flip;
                let src = Source::new(&bad);
                let _ = src.root().and_then(|t| t.f64s(4));
            }
        }
    }
}
