//! Reader of the COS-Tools assembler listing `allinst.snapshot`: the parcels of every
//! instruction line and its source text.

/// One instruction line of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingLine {
    /// 1-based line number in the listing file.
    pub line_number: usize,
    /// Parcel address of the instruction (word * 4 + parcel letter).
    pub parcel_address: u32,
    /// The instruction's parcels.
    pub parcels: Vec<u16>,
    /// The code column as printed (`022310`, `0212 00000010`, `006  00000006a+`).
    pub code: String,
    /// The source statement (label, result, operand, comment), as printed.
    pub source: String,
}

fn parcel_letter(c: char) -> Option<u32> {
    match c {
        'a' => Some(0),
        'b' => Some(1),
        'c' => Some(2),
        'd' => Some(3),
        _ => None,
    }
}

/// Parses the code column into parcels.
pub fn parse_code(code: &str) -> Option<Vec<u16>> {
    let code = code.trim_end_matches('+');
    let fields: Vec<&str> = code.split_whitespace().collect();
    match fields.as_slice() {
        [one] if one.len() == 6 => Some(vec![u16::from_str_radix(one, 8).ok()?]),
        [ghi, jkm] if ghi.len() == 4 && jkm.len() == 8 => {
            let ghi = u32::from_str_radix(ghi, 8).ok()?;
            let jkm = u32::from_str_radix(jkm, 8).ok()? & 0o17777777;
            Some(vec![
                ((ghi << 6) | (jkm >> 16)) as u16,
                (jkm & 0xFFFF) as u16,
            ])
        }
        [gh, target] if gh.len() == 3 && target.len() == 9 => {
            let gh = u32::from_str_radix(gh, 8).ok()?;
            let word = u32::from_str_radix(&target[..8], 8).ok()?;
            let parcel = word * 4 + parcel_letter(target.chars().nth(8)?)?;
            Some(vec![
                ((gh << 9) | (parcel >> 16)) as u16,
                (parcel & 0xFFFF) as u16,
            ])
        }
        _ => None,
    }
}

/// Every instruction line of a listing.
pub fn instruction_lines(listing: &str) -> Vec<ListingLine> {
    let mut lines = Vec::new();
    for (index, line) in listing.lines().enumerate() {
        // Address column ends at column 19, code column runs to column 53.
        if line.len() < 53 || !line.is_char_boundary(53) {
            continue;
        }
        let address = line[..19].trim();
        let code = line[19..53].trim();
        let Some(letter) = address.chars().last().and_then(parcel_letter) else {
            continue;
        };
        let Ok(word) = u32::from_str_radix(&address[..address.len() - 1], 8) else {
            continue;
        };
        if code.is_empty() {
            continue;
        }
        let Some(parcels) = parse_code(code) else {
            continue;
        };
        lines.push(ListingLine {
            line_number: index + 1,
            parcel_address: word * 4 + letter,
            parcels,
            code: code.to_string(),
            source: line[53..].trim_end().to_string(),
        });
    }
    lines
}
