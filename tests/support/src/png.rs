//! Reading 8-bit RGB PNGs (what tests/compat/render.js writes), every chunk's CRC checked.

use crate::inflate::zlib_decompress;

/// An RGB image, rows top to bottom.
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

impl Image {
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let at = 3 * (y * self.width + x);
        [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]]
    }

    pub fn pixels(&self) -> impl Iterator<Item = [u8; 3]> + '_ {
        self.rgb.chunks_exact(3).map(|p| [p[0], p[1], p[2]])
    }
}

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

pub fn decode(bytes: &[u8]) -> Result<Image, String> {
    let mut rest = bytes.strip_prefix(&SIGNATURE).ok_or("no PNG signature")?;
    let (mut header, mut data) = (None, Vec::new());
    loop {
        let len = u32::from_be_bytes(rest.get(..4).ok_or("truncated chunk")?.try_into().unwrap()) as usize;
        let typed = rest.get(4..8 + len).ok_or("truncated chunk")?;
        let crc = u32::from_be_bytes(rest.get(8 + len..12 + len).ok_or("chunk without CRC")?.try_into().unwrap());
        if crc32(typed) != crc {
            return Err(format!("CRC of chunk {} does not match", String::from_utf8_lossy(&typed[..4])));
        }
        let (kind, body) = typed.split_at(4);
        match kind {
            b"IHDR" => header = Some(body.to_vec()),
            b"IDAT" => data.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        rest = &rest[12 + len..];
    }
    let header = header.ok_or("no IHDR")?;
    let width = u32::from_be_bytes(header[0..4].try_into().unwrap()) as usize;
    let height = u32::from_be_bytes(header[4..8].try_into().unwrap()) as usize;
    if header[8..13] != [8, 2, 0, 0, 0] {
        return Err(format!("not 8-bit RGB, non-interlaced: {:?}", &header[8..13]));
    }
    let filtered = zlib_decompress(&data)?;
    Ok(Image { width, height, rgb: unfilter(&filtered, width, height)? })
}

/// Undoes the per-row filters (none, sub, up, average, Paeth) with 3 bytes per pixel.
fn unfilter(filtered: &[u8], width: usize, height: usize) -> Result<Vec<u8>, String> {
    let stride = 3 * width;
    if filtered.len() != height * (stride + 1) {
        return Err(format!("{} bytes of scanlines, expected {}", filtered.len(), height * (stride + 1)));
    }
    let mut out = vec![0u8; height * stride];
    for y in 0..height {
        let kind = filtered[y * (stride + 1)];
        let row = &filtered[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
        for i in 0..stride {
            let a = if i >= 3 { out[y * stride + i - 3] } else { 0 };
            let b = if y > 0 { out[(y - 1) * stride + i] } else { 0 };
            let c = if i >= 3 && y > 0 { out[(y - 1) * stride + i - 3] } else { 0 };
            let predicted = match kind {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => paeth(a, b, c),
                other => return Err(format!("row {y}: filter type {other}")),
            };
            out[y * stride + i] = row[i].wrapping_add(predicted);
        }
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { 0xedb8_8320 ^ (crc >> 1) } else { crc >> 1 };
        }
    }
    !crc
}
