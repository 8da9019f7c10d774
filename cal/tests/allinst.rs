//! Rebuilds the source of the COS-Tools `allinst` listing from its source column,
//! assembles it, and requires every instruction line's address and code column to
//! come out exactly as the listing prints them.

use cray_cal::{assemble, Options};
use isa_tests::listing::instruction_lines;

/// Column where the listing prints the source statement.
const SOURCE_COLUMN: usize = 44;

fn snapshot() -> String {
    String::from_utf8(isa_tests::read_corpus("allinst.snapshot")).expect("listing is ASCII")
}

/// One source line per listing line (so line numbers agree); page headers and the
/// symbol table become blank lines.
fn source_of(listing: &str) -> String {
    let mut out = String::new();
    for line in listing.lines() {
        if line.contains("SYMBOL TABLE") {
            break;
        }
        let header = line.starts_with('1') || line.contains("SECTION:");
        if !header && line.len() > SOURCE_COLUMN && line.is_char_boundary(SOURCE_COLUMN) {
            out.push_str(line[SOURCE_COLUMN..].trim_end());
        }
        out.push('\n');
    }
    out
}

#[test]
fn every_instruction_line_matches_the_listing() {
    let listing = snapshot();
    let source = source_of(&listing);
    let assembly = match assemble(&source, "allinst.cal", &Options::aout()) {
        Ok(a) => a,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            panic!("{} errors assembling allinst", errors.len());
        }
    };
    let expected = instruction_lines(&listing);
    assert_eq!(expected.len(), 314, "instruction lines in the snapshot");
    let mut failures = Vec::new();
    for line in &expected {
        let mine = assembly
            .listing
            .iter()
            .find(|l| l.line == line.line_number && l.address.is_some());
        let got = mine.map(|l| (l.address.unwrap_or(0), l.code.clone()));
        let want = (line.parcel_address, line.code.clone());
        if got.as_ref() != Some(&want) {
            failures.push(format!(
                "line {}: `{}`: want {:?}, got {:?}",
                line.line_number, line.source, want, got
            ));
        }
        // The parcels in the image agree with the code column.
        for (offset, parcel) in line.parcels.iter().enumerate() {
            let p = line.parcel_address as usize + offset;
            let word = assembly.words.get(p / 4).copied().unwrap_or(0);
            let got = (word >> ((3 - p % 4) * 16)) as u16;
            if got != *parcel {
                failures.push(format!(
                    "line {}: parcel {p:o} is {got:06o}, want {parcel:06o}",
                    line.line_number
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn listing_text_reproduces_the_code_column() {
    let listing = snapshot();
    let assembly =
        assemble(&source_of(&listing), "allinst.cal", &Options::aout()).expect("assembles");
    let text = assembly.listing_text();
    let reread = instruction_lines(&text);
    assert_eq!(reread.len(), 314);
    let expected = instruction_lines(&listing);
    for (a, b) in reread.iter().zip(&expected) {
        assert_eq!(
            (a.parcel_address, &a.code, &a.source),
            (b.parcel_address, &b.code, &b.source)
        );
    }
}

#[test]
fn symbol_table_values_match_the_listing() {
    let listing = snapshot();
    let assembly =
        assemble(&source_of(&listing), "allinst.cal", &Options::aout()).expect("assembles");
    // The listing's symbol table: name, attribute, octal value (words for labels).
    let table = listing.split("SYMBOL TABLE").nth(1).expect("symbol table");
    let mut checked = 0;
    for row in table.lines().skip(1) {
        let fields: Vec<&str> = row.split_whitespace().collect();
        let [name, attribute, value] = fields.as_slice() else {
            continue;
        };
        let symbol = &assembly.symbols[*name];
        let want = u64::from_str_radix(value, 8).expect("octal");
        let got = symbol.value.value as u64;
        if attribute.starts_with('R') {
            // SET symbols: the listing shows the last value.
            assert_eq!(got, want, "{name}");
        } else if attribute.starts_with('W') {
            assert_eq!(
                (symbol.value.attr, got),
                (cray_cal::Attr::Word, want),
                "{name}"
            );
        } else {
            assert_eq!(got, want, "{name}");
        }
        checked += 1;
    }
    assert_eq!(checked, 25);
}
