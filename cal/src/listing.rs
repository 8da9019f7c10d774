//! The listing in the COS-Tools CAL layout: parcel address (`15c`), octal code
//! (`022310`, `0212 00000010`, `006  00000006a+`), then the source line from
//! column 45.

use cray_emulator::isa::instruction_length;

/// One line of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingLine {
    /// Source line number (the call's line for macro expansions).
    pub line: usize,
    /// Parcel address of the code, if the line generated any.
    pub address: Option<u32>,
    /// The code column (empty if none).
    pub code: String,
    /// The value column of `=`, SET and BSS lines (octal).
    pub value: Option<String>,
    /// The source text.
    pub source: String,
}

/// A parcel address as the listing prints it: octal word and parcel letter.
pub fn parcel_address(parcel: u32) -> String {
    let letter = (b'a' + (parcel % 4) as u8) as char;
    format!("{:o}{letter}", parcel / 4)
}

/// An octal value, negative values with a minus sign.
pub fn signed_octal(value: i64) -> String {
    if value < 0 {
        format!("-{:o}", value.unsigned_abs())
    } else {
        format!("{value:o}")
    }
}

/// The code column of an instruction.
pub fn instruction_code(parcels: &[u16], relocatable: bool) -> String {
    let mark = if relocatable { "+" } else { "" };
    let p1 = parcels[0];
    if instruction_length(p1) == 1 || parcels.len() < 2 {
        return format!("{p1:06o}");
    }
    let p2 = u32::from(parcels[1]);
    let gh = p1 >> 9;
    if matches!(gh, 0o006..=0o017) {
        let target = (u32::from(p1 & 0o777) << 16) | p2;
        let letter = (b'a' + (target % 4) as u8) as char;
        format!("{gh:03o}  {:08o}{letter}{mark}", target / 4)
    } else {
        let jkm = (u32::from(p1 & 0o77) << 16) | p2;
        format!("{:04o} {jkm:08o}{mark}", p1 >> 6)
    }
}

/// Formats one listing line.
pub fn format_line(line: &ListingLine) -> String {
    let address = line.address.map(parcel_address).unwrap_or_default();
    let text = match &line.value {
        Some(value) => format!("{address:>18}{value:>23}   {}", line.source),
        None => format!("{address:>18} {:<25}{}", line.code, line.source),
    };
    text.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_column_forms() {
        assert_eq!(instruction_code(&[0o022310], false), "022310");
        assert_eq!(instruction_code(&[0o021200, 0o10], false), "0212 00000010");
        assert_eq!(instruction_code(&[0o006000, 0o30], true), "006  00000006a+");
        assert_eq!(parcel_address(0o15 * 4 + 2), "15c");
    }
}
