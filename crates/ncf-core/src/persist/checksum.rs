//! The model file's checksum (format 3 on): CRC-32C over every byte of the file, the 8 hex
//! digits of the checksum itself read as `0`s. It lives in the safetensors metadata under
//! [`CRC_KEY`]; the file is written with `00000000` there and the digits are patched in place
//! afterwards (same length, so no offset moves). Covering the raw bytes, not a re-serialisation,
//! means a flipped bit anywhere (length prefix, header, padding, tensor data) fails the check.
//! Like any 32-bit CRC, CRC-32C detects every single-bit error and every burst of up to 32
//! bits in a file of any size; other damage passes with probability 2⁻³².

use std::ops::Range;

pub(crate) const CRC_KEY: &str = "ncf_native_crc32c";
const PLACEHOLDER: &[u8; 8] = b"00000000";

/// The byte range of the checksum's 8 hex digits, if the header holds the key. The pattern
/// `"ncf_native_crc32c":"` can only be the key: inside a JSON string a `"` is always escaped.
fn digits(bytes: &[u8]) -> Result<Option<Range<usize>>, String> {
    let len = bytes.get(..8).ok_or("shorter than a safetensors header")?;
    let n = u64::from_le_bytes(len.try_into().expect("8 bytes"));
    let end = usize::try_from(n).ok().and_then(|n| n.checked_add(8)).filter(|&e| e <= bytes.len());
    let header = &bytes[8..end.ok_or("the header length runs past the end of the file")?];
    let pattern = format!("\"{CRC_KEY}\":\"");
    let mut found = header.windows(pattern.len()).enumerate().filter(|(_, w)| *w == pattern.as_bytes());
    let Some((at, _)) = found.next() else { return Ok(None) };
    if found.next().is_some() {
        return Err(format!("the header names '{CRC_KEY}' twice"));
    }
    let start = 8 + at + pattern.len();
    if bytes.get(start + 8) != Some(&b'"') {
        return Err(format!("'{CRC_KEY}' is not 8 hex digits"));
    }
    Ok(Some(start..start + 8))
}

fn crc_with_placeholder(bytes: &[u8], at: Range<usize>) -> u32 {
    let crc = crc32c::crc32c(&bytes[..at.start]);
    let crc = crc32c::crc32c_append(crc, PLACEHOLDER);
    crc32c::crc32c_append(crc, &bytes[at.end..])
}

/// The metadata value to write before sealing.
pub(crate) fn placeholder() -> String {
    String::from_utf8(PLACEHOLDER.to_vec()).expect("ASCII")
}

/// Writes the checksum into a file's bytes serialised with [`placeholder`] under [`CRC_KEY`].
pub(crate) fn seal(bytes: &mut [u8]) -> Result<(), String> {
    let at = digits(bytes)?.ok_or("the serialised header lost its checksum field")?;
    if bytes[at.clone()] != PLACEHOLDER[..] {
        return Err("the checksum field is already filled".into());
    }
    let hex = format!("{:08x}", crc_with_placeholder(bytes, at.clone()));
    bytes[at].copy_from_slice(hex.as_bytes());
    Ok(())
}

/// Checks a file's checksum: `Ok(true)` when it holds one and it matches, `Ok(false)` when it
/// holds none (files before format 3), and an error naming both values when it does not match.
pub(crate) fn verify(bytes: &[u8]) -> Result<bool, String> {
    let Some(at) = digits(bytes)? else { return Ok(false) };
    let text = std::str::from_utf8(&bytes[at.clone()]).ok();
    let stored = text
        .filter(|t| t.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)))
        .and_then(|t| u32::from_str_radix(t, 16).ok())
        .ok_or_else(|| format!("'{CRC_KEY}' is not 8 lowercase hex digits"))?;
    let computed = crc_with_placeholder(bytes, at);
    if stored != computed {
        return Err(format!(
            "checksum mismatch (stored {stored:08x}, computed {computed:08x}): the file is corrupted or was modified"
        ));
    }
    Ok(true)
}

/// Re-seals bytes whose checksum field holds any digits (tests forge files, then re-seal them
/// so that the check behind the checksum is what they exercise).
#[cfg(test)]
pub(super) fn reseal(bytes: &mut [u8]) {
    let at = digits(bytes).unwrap().expect("a sealed file");
    bytes[at].copy_from_slice(PLACEHOLDER);
    seal(bytes).unwrap();
}
