//! zlib (RFC 1950) and DEFLATE (RFC 1951) decompression, after zlib's `puff.c`: enough to read
//! the PNGs the render script writes without a crate.

/// The data of a zlib stream, its Adler-32 checked.
pub fn zlib_decompress(data: &[u8]) -> Result<Vec<u8>, String> {
    let [cmf, flg, ..] = *data else { return Err("zlib stream shorter than its header".into()) };
    if cmf & 0x0f != 8 || (u16::from(cmf) << 8 | u16::from(flg)) % 31 != 0 || flg & 0x20 != 0 {
        return Err(format!("not a zlib deflate header: {cmf:#04x} {flg:#04x}"));
    }
    let mut bits = Bits { data, pos: 2, buffer: 0, count: 0 };
    let out = inflate(&mut bits)?;
    let trailer = data.get(bits.pos..bits.pos + 4).ok_or("zlib stream without its Adler-32")?;
    let expected = u32::from_be_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    if adler32(&out) != expected {
        return Err("zlib Adler-32 does not match the data".into());
    }
    Ok(out)
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    b << 16 | a
}

/// Bits taken least significant first, bytes loaded only when needed (so that at most 7 bits
/// are buffered after a read, and dropping them aligns to the next byte).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buffer: u32,
    count: u32,
}

impl Bits<'_> {
    fn take(&mut self, n: u32) -> Result<u32, String> {
        while self.count < n {
            let byte = *self.data.get(self.pos).ok_or("deflate stream ends early")?;
            self.buffer |= u32::from(byte) << self.count;
            self.pos += 1;
            self.count += 8;
        }
        let value = self.buffer & ((1u32 << n) - 1);
        self.buffer >>= n;
        self.count -= n;
        Ok(value)
    }
}

/// A canonical Huffman code: how many codes of each length, symbols ordered by code.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Huffman {
        let mut counts = [0u16; 16];
        for &len in lengths {
            counts[len as usize] += 1;
        }
        counts[0] = 0;
        let mut offsets = [0u16; 16];
        for len in 1..15 {
            offsets[len + 1] = offsets[len] + counts[len];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (symbol, &len) in lengths.iter().enumerate() {
            if len != 0 {
                symbols[offsets[len as usize] as usize] = symbol as u16;
                offsets[len as usize] += 1;
            }
        }
        Huffman { counts, symbols }
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16, String> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.take(1)? as i32;
            let count = i32::from(self.counts[len]);
            if code < first + count {
                return self.symbols.get((index + code - first) as usize).copied().ok_or("bad Huffman code".into());
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("Huffman code longer than 15 bits".into())
    }
}

const LENGTH_BASE: [u16; 29] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; 30] =
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/// The order in which code length code lengths are stored.
const CODE_LENGTH_ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

fn inflate(bits: &mut Bits<'_>) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let last = bits.take(1)? == 1;
        match bits.take(2)? {
            0 => stored(bits, &mut out)?,
            1 => {
                let mut lengths = [0u8; 288];
                lengths[..144].fill(8);
                lengths[144..256].fill(9);
                lengths[256..280].fill(7);
                lengths[280..].fill(8);
                codes(bits, &mut out, &Huffman::new(&lengths), &Huffman::new(&[5; 30]))?;
            }
            2 => {
                let (literals, distances) = dynamic_tables(bits)?;
                codes(bits, &mut out, &literals, &distances)?;
            }
            _ => return Err("deflate block type 3".into()),
        }
        if last {
            return Ok(out);
        }
    }
}

fn stored(bits: &mut Bits<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    bits.buffer = 0;
    bits.count = 0;
    let header = bits.data.get(bits.pos..bits.pos + 4).ok_or("stored block ends early")?;
    let len = u16::from_le_bytes([header[0], header[1]]);
    if len != !u16::from_le_bytes([header[2], header[3]]) {
        return Err("stored block length and its complement differ".into());
    }
    let start = bits.pos + 4;
    out.extend_from_slice(bits.data.get(start..start + len as usize).ok_or("stored block ends early")?);
    bits.pos = start + len as usize;
    Ok(())
}

fn dynamic_tables(bits: &mut Bits<'_>) -> Result<(Huffman, Huffman), String> {
    let literal_count = bits.take(5)? as usize + 257;
    let distance_count = bits.take(5)? as usize + 1;
    let code_count = bits.take(4)? as usize + 4;
    let mut code_lengths = [0u8; 19];
    for &symbol in &CODE_LENGTH_ORDER[..code_count] {
        code_lengths[symbol] = bits.take(3)? as u8;
    }
    let code_lengths = Huffman::new(&code_lengths);
    let mut lengths = vec![0u8; literal_count + distance_count];
    let mut i = 0;
    while i < lengths.len() {
        let symbol = code_lengths.decode(bits)?;
        let (value, repeat) = match symbol {
            0..=15 => (symbol as u8, 1),
            16 => (*lengths.get(i.wrapping_sub(1)).ok_or("repeat with no length before")?, 3 + bits.take(2)?),
            17 => (0, 3 + bits.take(3)?),
            _ => (0, 11 + bits.take(7)?),
        };
        let end = i + repeat as usize;
        lengths.get_mut(i..end).ok_or("code lengths overflow their table")?.fill(value);
        i = end;
    }
    Ok((Huffman::new(&lengths[..literal_count]), Huffman::new(&lengths[literal_count..])))
}

fn codes(bits: &mut Bits<'_>, out: &mut Vec<u8>, literals: &Huffman, distances: &Huffman) -> Result<(), String> {
    loop {
        let symbol = literals.decode(bits)? as usize;
        match symbol {
            0..=255 => out.push(symbol as u8),
            256 => return Ok(()),
            _ => {
                let k = symbol - 257;
                let len = *LENGTH_BASE.get(k).ok_or("bad length symbol")? as usize
                    + bits.take(u32::from(LENGTH_EXTRA[k]))? as usize;
                let d = distances.decode(bits)? as usize;
                let distance = *DISTANCE_BASE.get(d).ok_or("bad distance symbol")? as usize
                    + bits.take(u32::from(DISTANCE_EXTRA[d]))? as usize;
                if distance > out.len() {
                    return Err("distance reaches before the start of the output".into());
                }
                for _ in 0..len {
                    out.push(out[out.len() - distance]);
                }
            }
        }
    }
}
