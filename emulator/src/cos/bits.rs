//! Fields of a 64-bit word addressed the way Cray manuals number bits: bit 0 is the
//! most significant bit and bit 63 the least, so Cray bit `n` has weight 2^(63−n).

/// The field at Cray bits `first..=last` of `word`, right-justified.
///
/// `first <= last <= 63` is the caller's contract; it is checked in debug builds.
pub const fn field(word: u64, first: u32, last: u32) -> u64 {
    debug_assert!(first <= last && last <= 63);
    let width = last - first + 1;
    let shift = 63 - last;
    (word >> shift) & mask(width)
}

/// `word` with Cray bits `first..=last` replaced by `value` (excess high bits of
/// `value` are dropped, so a caller cannot spill into neighbouring fields).
pub const fn with_field(word: u64, first: u32, last: u32, value: u64) -> u64 {
    debug_assert!(first <= last && last <= 63);
    let width = last - first + 1;
    let shift = 63 - last;
    let m = mask(width) << shift;
    (word & !m) | ((value << shift) & m)
}

/// The largest value a field of `width` bits holds.
pub const fn field_max(width: u32) -> u64 {
    mask(width)
}

const fn mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

/// Eight ASCII characters, left-justified and NUL-padded, as COS stores names.
/// Characters past the eighth are dropped; callers validate lengths first.
pub fn ascii_word(text: &str) -> u64 {
    let mut bytes = [0u8; 8];
    for (slot, b) in bytes.iter_mut().zip(text.bytes()) {
        *slot = b;
    }
    u64::from_be_bytes(bytes)
}

/// The characters of a left-justified name word, up to the first NUL, with trailing
/// blanks removed. Bytes that are not printable ASCII come out as `?` so a damaged
/// word still displays.
pub fn word_ascii(word: u64) -> String {
    let text: String = word
        .to_be_bytes()
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '?'
            }
        })
        .collect();
    text.trim_end_matches(' ').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cray_bit_numbering_is_msb_first() {
        assert_eq!(field(0x8000_0000_0000_0000, 0, 0), 1);
        assert_eq!(field(1, 63, 63), 1);
        assert_eq!(field(0xf000_0250_0000_0302, 0, 3), 0o17);
        assert_eq!(field(0xf000_0250_0000_0302, 4, 27), 37);
        assert_eq!(field(0xf000_0250_0000_0302, 42, 55), 3);
        assert_eq!(field(0xf000_0250_0000_0302, 56, 63), 2);
        assert_eq!(field(u64::MAX, 0, 63), u64::MAX);
    }

    #[test]
    fn with_field_replaces_only_its_bits() {
        let w = with_field(u64::MAX, 16, 39, 0);
        assert_eq!(w, 0xffff_0000_00ff_ffff);
        assert_eq!(with_field(0, 40, 63, 0x1_ffff_ffff), 0x00ff_ffff);
        assert_eq!(with_field(0, 0, 3, 0o10), 0x8000_0000_0000_0000);
    }

    #[test]
    fn ascii_words_round_trip() {
        assert_eq!(ascii_word("CRAY-XMP"), 0x4352_4159_2d58_4d50);
        assert_eq!(word_ascii(0x4143_4354_4445_4600), "ACCTDEF");
        assert_eq!(word_ascii(0x5345_474c_4452_2020), "SEGLDR");
        assert_eq!(word_ascii(0x01), "");
        assert_eq!(word_ascii(0x4101_0000_0000_0000), "A?");
    }
}
