//! Reading and writing guest memory as bytes, strings and argument words.
//!
//! A character pointer is a word address in its low 32 bits with a byte offset 0-7 in
//! its top 3 bits; bytes are packed 8 to a word, the first byte most significant.

use super::errno::{Errno, SysResult};
use crate::memory::Memory;

/// Byte address (word * 8 + byte) of a character pointer.
pub fn byte_address(pointer: u64) -> u64 {
    (pointer & 0xFFFF_FFFF) * 8 + (pointer >> 61)
}

/// The character pointer of byte address `byte`.
pub fn char_pointer(byte: u64) -> u64 {
    ((byte & 7) << 61) | (byte / 8)
}

fn check_range(memory: &Memory, start: u64, len: u64) -> SysResult<()> {
    let end = start.checked_add(len).ok_or(Errno::EFAULT)?;
    if end > memory.len() as u64 * 8 {
        return Err(Errno::EFAULT);
    }
    Ok(())
}

/// Reads `len` bytes at character pointer `pointer`.
pub fn read_bytes(memory: &Memory, pointer: u64, len: u64) -> SysResult<Vec<u8>> {
    let start = byte_address(pointer);
    check_range(memory, start, len)?;
    let words = memory.words();
    Ok((start..start + len)
        .map(|b| (words[(b / 8) as usize] >> (56 - 8 * (b % 8))) as u8)
        .collect())
}

/// Writes `bytes` at character pointer `pointer`.
pub fn write_bytes(memory: &mut Memory, pointer: u64, bytes: &[u8]) -> SysResult<()> {
    let start = byte_address(pointer);
    check_range(memory, start, bytes.len() as u64)?;
    // Only the words written are marked as changed (the CPU keeps its decoded
    // instructions elsewhere).
    let first = start / 8;
    let end = (start + bytes.len() as u64).div_ceil(8);
    let words = memory
        .words_mut_in(first as usize..end as usize)
        .ok_or(Errno::EFAULT)?;
    for (i, &byte) in bytes.iter().enumerate() {
        let b = start + i as u64;
        let shift = 56 - 8 * (b % 8);
        let word = &mut words[(b / 8 - first) as usize];
        *word = (*word & !(0xFF << shift)) | (u64::from(byte) << shift);
    }
    Ok(())
}

/// Reads a NUL-terminated string of at most `max` bytes (E2BIG beyond, EFAULT when it
/// runs off the field).
pub fn read_string(memory: &Memory, pointer: u64, max: usize) -> SysResult<Vec<u8>> {
    let mut b = byte_address(pointer);
    let mut out = Vec::new();
    loop {
        let word = memory.read((b / 8) as u32).ok_or(Errno::EFAULT)?;
        if b / 8 > u64::from(u32::MAX) {
            return Err(Errno::EFAULT);
        }
        let byte = (word >> (56 - 8 * (b % 8))) as u8;
        if byte == 0 {
            return Ok(out);
        }
        if out.len() >= max {
            return Err(Errno::E2BIG);
        }
        out.push(byte);
        b += 1;
    }
}

/// Reads a word at a word address (EFAULT outside the field).
pub fn read_word(memory: &Memory, address: u64) -> SysResult<u64> {
    u32::try_from(address)
        .ok()
        .and_then(|a| memory.read(a))
        .ok_or(Errno::EFAULT)
}

/// Writes a word at a word address (EFAULT outside the field).
pub fn write_word(memory: &mut Memory, address: u64, value: u64) -> SysResult<()> {
    let a = u32::try_from(address).map_err(|_| Errno::EFAULT)?;
    if memory.write(a, value) {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

/// Reads a list of character pointers ending in 0 and the strings they point to.
pub fn read_string_list(
    memory: &Memory,
    address: u64,
    max_count: usize,
    max_bytes: usize,
) -> SysResult<Vec<Vec<u8>>> {
    let mut list = Vec::new();
    let mut total = 0usize;
    if address == 0 {
        return Ok(list);
    }
    for i in 0.. {
        let pointer = read_word(memory, address + i)?;
        if pointer == 0 {
            break;
        }
        if list.len() >= max_count {
            return Err(Errno::E2BIG);
        }
        let s = read_string(memory, pointer, max_bytes.saturating_sub(total))?;
        total += s.len() + 1;
        list.push(s);
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_pack_most_significant_first() {
        let mut m = Memory::new(3);
        write_bytes(&mut m, char_pointer(6), b"hi!\0").unwrap();
        assert_eq!(
            m.read(0),
            Some(u64::from_be_bytes([0, 0, 0, 0, 0, 0, b'h', b'i']))
        );
        assert_eq!(read_bytes(&m, char_pointer(7), 2).unwrap(), b"i!");
        assert_eq!(read_string(&m, char_pointer(6), 10).unwrap(), b"hi!");
        assert_eq!(read_string(&m, char_pointer(6), 2), Err(Errno::E2BIG));
        assert_eq!(read_bytes(&m, 2, 9), Err(Errno::EFAULT));
        assert_eq!(
            write_bytes(&mut m, char_pointer(23), b"ab"),
            Err(Errno::EFAULT)
        );
        assert_eq!(read_word(&m, 3), Err(Errno::EFAULT));
    }

    #[test]
    fn string_lists_end_in_zero() {
        let mut m = Memory::new(8);
        write_bytes(&mut m, 4, b"ab\0").unwrap();
        write_bytes(&mut m, 5, b"c\0").unwrap();
        m.write(1, 4);
        m.write(2, 5);
        let list = read_string_list(&m, 1, 10, 100).unwrap();
        assert_eq!(list, vec![b"ab".to_vec(), b"c".to_vec()]);
        assert_eq!(read_string_list(&m, 1, 1, 100), Err(Errno::E2BIG));
        assert_eq!(read_string_list(&m, 0, 1, 100), Ok(vec![]));
    }
}
