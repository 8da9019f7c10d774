//! The symbols of a COS loader's load map (`ldr -m FILE`, `LDR,M=FILE`): each module's
//! table of entry points, `NAME SECTION ADDRESS`, with ADDRESS the octal word and the
//! parcel letter (`    1234b`). `break DGEFA` and `dis DGEFA` take them; stops and
//! `where` say `SYMBOL+offset` with them.

use crate::dis::parse_parcel;
use crate::CliError;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Most bytes of a map file read (a map is a few lines per module).
const MOST_MAP_BYTES: u64 = 16 << 20;

/// The table of a load map a line is in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    None,
    /// A module's sections: name, type, index, address, length.
    Sections,
    /// A module's entry points: name, section, address.
    Entries,
}

/// The entry points of a load map, by name and by parcel address.
#[derive(Debug, Default)]
pub struct Symbols {
    by_name: BTreeMap<String, u32>,
    by_parcel: BTreeMap<u32, String>,
}

impl Symbols {
    /// Reads the load map `file`; a file without one entry table is refused.
    pub fn read(file: &Path) -> Result<Symbols, CliError> {
        let length = std::fs::metadata(file)
            .map_err(|e| CliError::io(file, e))?
            .len();
        if length > MOST_MAP_BYTES {
            return Err(CliError::invalid(
                file,
                format!("{length} bytes is too long for a load map (at most {MOST_MAP_BYTES})"),
            ));
        }
        let bytes = std::fs::read(file).map_err(|e| CliError::io(file, e))?;
        let text = String::from_utf8_lossy(&bytes);
        let symbols = Symbols::parse(&text).map_err(|e| CliError::invalid(file, e))?;
        if symbols.by_name.is_empty() {
            return Err(CliError::invalid(
                file,
                "no entry table (`Entry Section Address`): not a load map of ldr -m".to_string(),
            ));
        }
        Ok(symbols)
    }

    /// The symbols of the entry tables of `text` that lie in code sections (a data
    /// symbol is no place to break, and would name the code after it).
    fn parse(text: &str) -> Result<Symbols, String> {
        let mut symbols = Symbols::default();
        let mut table = Table::None;
        let mut code_sections = BTreeSet::new();
        for (number, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                ["Module:", ..] => code_sections.clear(),
                ["Section", "Type", ..] => table = Table::Sections,
                ["Entry", "Section", "Address"] => table = Table::Entries,
                [] | ["External", ..] => table = Table::None,
                [dashes, ..] if dashes.starts_with("--") => {}
                [section, "Code", ..] if table == Table::Sections => {
                    code_sections.insert(section.to_string());
                }
                [name, section, address]
                    if table == Table::Entries && code_sections.contains(*section) =>
                {
                    let parcel = parse_parcel(address)
                        .map_err(|e| format!("line {}: {name}: {e}", number + 1))?;
                    symbols.add(name, parcel);
                }
                _ => {}
            }
        }
        Ok(symbols)
    }

    /// Adds `name` at `parcel` (the first name given to a parcel is the one shown).
    fn add(&mut self, name: &str, parcel: u32) {
        self.by_name.insert(name.to_string(), parcel);
        self.by_parcel
            .entry(parcel)
            .or_insert_with(|| name.to_string());
    }

    /// The parcel address of symbol `name`, if the map has it; the FORTRAN
    /// compiler's `@` before a routine's name may be left out (`SQUARE`, `@SQUARE`).
    pub fn parcel_of(&self, name: &str) -> Option<u32> {
        self.by_name
            .get(name)
            .or_else(|| self.by_name.get(&format!("@{name}")))
            .copied()
    }

    /// Whether there are none (no map given).
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// `SYMBOL+offset` for `parcel` (offset in parcels, octal as addresses are shown),
    /// from the nearest symbol at or before it; `None` without a map.
    pub fn describe(&self, parcel: u32) -> Option<String> {
        let (&at, name) = self.by_parcel.range(..=parcel).next_back()?;
        Some(match parcel - at {
            0 => name.clone(),
            offset => format!("{name}+{offset:o}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = "\
1Load Map                                                         Cray X-MP kLDR 1.0
 \n       Program: MAIN
 \n Module: DGEFA
   Section   Type     Idx  Address    Length
   --------  -------  ---  ---------  ------
   DGEFA     Code       1       200a     120
   DATA      Data       2       600a      10

   Entry     Section   Address
   --------  --------  ---------
   @DGEFA    DGEFA          200b
   TABLE     DATA           600a

   External  Module    Address
   --------  --------  ---------
   IDAMAX    IDAMAX         400a
";

    #[test]
    fn entries_are_read_and_parcels_described_from_the_nearest_before() {
        let symbols = Symbols::parse(MAP).unwrap();
        assert_eq!(symbols.parcel_of("DGEFA"), Some(0o200 * 4 + 1));
        assert_eq!(symbols.parcel_of("@DGEFA"), Some(0o200 * 4 + 1));
        // Data is no place to break.
        assert_eq!(symbols.parcel_of("TABLE"), None);
        // Externals are another module's entries, not read from this table.
        assert_eq!(symbols.parcel_of("IDAMAX"), None);
        assert_eq!(symbols.describe(0o200 * 4 + 1).as_deref(), Some("@DGEFA"));
        assert_eq!(
            symbols.describe(0o200 * 4 + 11).as_deref(),
            Some("@DGEFA+12")
        );
        assert_eq!(symbols.describe(0o200 * 4), None);
    }

    #[test]
    fn a_bad_address_names_its_line() {
        let bad = MAP.replace("200b", "2x9b");
        let error = Symbols::parse(&bad).unwrap_err();
        assert!(error.starts_with("line 13: @DGEFA:"), "{error}");
    }
}
