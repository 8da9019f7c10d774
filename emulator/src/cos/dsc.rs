//! The Dataset Catalog (DSC) as COS 1.16's utilities read it: pages of 512 words,
//! an 8-word page header, then 8 entries of 077 words.
//!
//! No manual at hand gives the layout (the searches of SM-0045 and SR-0011 made for
//! `cos::pdm` did not show it). It is read from AUDIT itself: audit.bin carries the
//! accessor functions its Fortran uses for every field of the catalogue's tables,
//! each under its own name (`DCPDN1`, `DCED`, `PGNUM`, ...; `cray dis` of the binary
//! from load address 025575 on, the names at file words 025443–027600, loaded 0132
//! words higher). Each loads one word of the entry at an offset and masks a field:
//! `DCED` is `S6 017,A1`, `S7 <014`, `S1 S6&S7`, so the edition is word 017 bits
//! 52–63. The table below is those functions, bit 0 being the word's leftmost bit as
//! everywhere in this crate. That READDSC takes an entry only when `DCC` is 0 and
//! `DCS` is 1 is its code at P=014372–014400 (calls of DCC and DCS, each result
//! compared with 1); DMP10 passes over an entry whose bit 0 is set or whose bits
//! 56–63 are 0 (`docs/src/cos-jobs.md`), the same test. DCFPE is the key AUDIT's
//! READDSC keeps for an entry (its call at P=014712) and GETDSC reads back as page
//! (key / 16) and entry (key mod 16, P=023366–023373), the entry at word
//! 8 + 077 × entry of the page (the two constants at 0312506–0312507); so DCDCP
//! and DCDCE, the same 28 bits split as a page and an entry, are taken as the link
//! to a continuation entry (DCC marks one), which the emulator never needs.
//!
//! | field | word | bits | what the emulator stores |
//! |---|---|---|---|
//! | PGIOL | page 0 | 0 | 0 |
//! | PGTYP | page 0 | 1–4 | [`PAGE_TYPE_DSC`] |
//! | PGOFF | page 0 | 5–20 | 0 |
//! | PGNUM | page 0 | 40–63 | the page's number, from 1 |
//! | PGTS | page 1 | 0–63 | 0 |
//! | DCC | 0 | 0 | 0 |
//! | DCS | 0 | 61 | 1: the entry is in use |
//! | DCO, DCI | 0 | 62, 63 | 0 |
//! | DCPDN1, DCPDN2 | 2, 3 | 0–63, 0–55 | the PDN, 15 characters |
//! | DCOWN1, DCOWN2 | 011, 012 | 0–63, 0–55 | the owner |
//! | DCTRA, DCPAM | 013 | 15, 16–23 | 0, the public access |
//! | DCID | 014 | 0–63 | the ID |
//! | DCUSR1, DCUSR2 | 015, 016 | 0–63, 0–55 | the owner (the user who saved it) |
//! | DCTXL, DCRT, DCED | 017 | 21–23, 24–35, 52–63 | 0, the retention, the edition |
//! | DCACS | 024 | 0–15 | the number of accesses |
//! | DCCRT, DCACT, DCTDM, DCMFT | 025–030 | 0–63 | created, accessed, dumped (0 if never), modified |
//! | DCACN1, DCACN2 | 034, 035 | | blank |
//! | DCFDX, DCLDX | 036 | 8–35, 36–63 | 0 |
//! | DALDV | 037 | 0–63 | 0 (the emulator has no devices) |
//! | DABPB, DANPA, DANAI | 040 | 16–31, 32–47, 48–63 | 0 |
//! | DADSZ | 041 | 32–63 | the dataset's size in words, the store's `words` |
//! | DCFPE | 076 | 8–35 | the entry's own address: page × 16 + entry |
//! | DCDCP, DCDCE | 076 | 36–59, 60–63 | 0 (no continuation entry) |
//!
//! The allocation fields are AUDIT's accessors `DALDV`, `DABPB`, `DANPA`, `DANAI`
//! and `DADSZ` (file words 026202–026266), which take the address of an allocation
//! sub-entry of 017 words. AUDIT's DATSTUF (P=04466–05022) walks them from word
//! 037 of an entry (two of them, to word 074) and from word 3 of each continuation
//! entry (four), and returns the first one's DADSZ as the dataset's size: REPORT
//! prints it under `SZ` and adds it up as the `WORDS` of its totals, whose
//! `BLOCKS` are each dataset's words rounded up to 512-word blocks, added up
//! (AUDIT's own sum; with DADSZ 1000 it prints `2 BLOCKS, 1000 WORDS`). DADSZ is the dataset's words as
//! they are on disk: the blocked form of a blocked dataset (control words
//! included) and the words of an unblocked one, the same measure for both. The
//! rest of the sub-entry describes where the dataset lies on the system's disks,
//! which the emulator does not have, and stays 0: DATSTUF reads it too (DANAI and
//! DABPB multiplied at P=04607d–04622b), but the listing does not show it (with
//! DABPB 2, DANPA 5 and DANAI 3 it was the same). The DXT (extension table, `$DXT`,
//! F$PDM 0232) stays empty and DCFDX 0: AUDIT does not need it for the size.
//!
//! Times are COS timestamps (units of 1.024 ns since 1973-01-01, [`super::clock`]'s
//! conversion; F$DTT in `docs/src/cos-jobs.md`), from the times the store recorded.

use super::bits::{ascii_word, with_field};
use super::deck::catalogue::{Access, Contents, Entry};

/// Words of a catalogue page.
pub const PAGE_WORDS: usize = 0o1000;
/// Words of the page header.
pub const HEADER_WORDS: usize = 8;
/// Words of a DSC entry.
pub const ENTRY_WORDS: usize = 0o77;
/// Entries of a page.
pub const ENTRIES_PER_PAGE: usize = (PAGE_WORDS - HEADER_WORDS) / ENTRY_WORDS;
/// Where an entry's first allocation sub-entry starts (DALDV, DABPB, DANPA, DANAI,
/// DADSZ; see the module notes).
const ALLOCATION: usize = 0o37;
/// PGTYP of a DSC page (the emulator's value: what COS stored is not known here).
pub const PAGE_TYPE_DSC: u64 = 1;

/// The COS timestamp of `seconds` since 1970, as F$DTT gives it (negative before
/// 1973, two's complement; saturated beyond 64 bits).
pub fn timestamp(seconds: u64) -> u64 {
    super::clock::timestamp_of_unix_seconds(seconds) as u64
}

/// A 15-character name as two words: the first 8 characters, then 7 in bits 0–55.
fn name_words(name: &str) -> (u64, u64) {
    let first: String = name.chars().take(8).collect();
    let rest: String = name.chars().skip(8).take(7).collect();
    (ascii_word(&first), ascii_word(&rest))
}

/// DCPAM: the public access mode. The bits are AUDIT's PAM2ASC (P=0111742 on): 1
/// is E, 2 R, 4 W, and 0 N; M is taken as all three (the emulator's choice: its
/// mask is not known).
fn pam_bits(access: Access) -> u64 {
    match access {
        Access::None => 0,
        Access::Execute => 1,
        Access::Read => 2,
        Access::Write => 2 | 4,
        Access::Maintenance => 1 | 2 | 4,
    }
}

/// The 077 words of `entry`, at entry `index` of page `page`.
pub fn entry_words(entry: &Entry, page: u64, index: u64) -> [u64; ENTRY_WORDS] {
    let mut w = [0u64; ENTRY_WORDS];
    w[0] = with_field(0, 61, 61, 1);
    (w[2], w[3]) = name_words(&entry.pdn);
    (w[0o11], w[0o12]) = name_words(&entry.own);
    (w[0o15], w[0o16]) = name_words(&entry.own);
    w[0o13] = with_field(0, 16, 23, pam_bits(entry.public));
    w[0o14] = ascii_word(&entry.id);
    let retention = u64::from(entry.retention.min(0o7777));
    w[0o17] = with_field(
        with_field(0, 24, 35, retention),
        52,
        63,
        u64::from(entry.edition),
    );
    w[0o24] = with_field(0, 0, 15, entry.accesses.min(0xFFFF));
    w[0o25] = timestamp(entry.created);
    w[0o26] = timestamp(entry.accessed);
    if entry.dumped != 0 {
        w[0o27] = timestamp(entry.dumped);
    }
    w[0o30] = timestamp(entry.modified);
    w[0o76] = with_field(0, 8, 35, page << 4 | index);
    w[ALLOCATION + 2] = with_field(0, 32, 63, entry.words.min(0xFFFF_FFFF));
    w
}

/// The DSC of `contents`: its entries in order, 8 to a page, pages numbered from 1.
/// An empty catalogue is one page with no entry in use, not none: a COS system's
/// DSC is allocated when the system is installed and always has its pages. GENCAT
/// (COS 1.17) reads it so: over no page at all it stops with `GC006 - Error
/// reading Dataset Catalog`, over one empty page it builds its catalogues of no
/// dataset and ends normally (`GC012 - GENCAT complete.`).
pub fn pages(contents: &Contents) -> Vec<Vec<u64>> {
    let chunks: Vec<&[Entry]> = if contents.entries.is_empty() {
        vec![&[]]
    } else {
        contents.entries.chunks(ENTRIES_PER_PAGE).collect()
    };
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let number = i as u64 + 1;
            let mut page = vec![0u64; PAGE_WORDS];
            page[0] = with_field(with_field(0, 1, 4, PAGE_TYPE_DSC), 40, 63, number);
            for (k, entry) in chunk.iter().enumerate() {
                let at = HEADER_WORDS + k * ENTRY_WORDS;
                page[at..at + ENTRY_WORDS].copy_from_slice(&entry_words(entry, number, k as u64));
            }
            page
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::bits::field;
    use crate::cos::deck::catalogue::Entry;

    fn entry(pdn: &str, edition: u32) -> Entry {
        Entry {
            pdn: pdn.to_string(),
            id: "XID".to_string(),
            own: "SYSTEM".to_string(),
            edition,
            read: String::new(),
            write: String::new(),
            maintenance: String::new(),
            public: Access::Read,
            permits: Vec::new(),
            text: String::new(),
            notes: String::new(),
            retention: 30,
            created: 604_672_496,
            modified: 604_672_500,
            accessed: 604_672_510,
            accesses: 3,
            dumped: 604_672_520,
            unblocked: false,
            words: 9,
            file: "00000001.ds".to_string(),
        }
    }

    #[test]
    fn an_entry_has_the_fields_where_audit_reads_them() {
        let w = entry_words(&entry("LONGERNAME12345", 7), 2, 5);
        assert_eq!(field(w[0], 61, 61), 1, "DCS: in use");
        assert_eq!(field(w[0], 0, 0), 0, "DCC: not a continuation");
        assert_eq!(w[2], ascii_word("LONGERNA"));
        assert_eq!(
            w[3],
            ascii_word("ME12345"),
            "DCPDN2: 7 characters, bits 0-55"
        );
        assert_eq!(w[0o11], ascii_word("SYSTEM"));
        assert_eq!(w[0o14], ascii_word("XID"));
        assert_eq!(field(w[0o17], 52, 63), 7, "DCED");
        assert_eq!(field(w[0o17], 24, 35), 30, "DCRT");
        assert_eq!(field(w[0o13], 16, 23), 2, "DCPAM: R");
        assert_eq!(field(w[0o24], 0, 15), 3, "DCACS");
        assert_eq!(field(w[0o76], 8, 35), 2 * 16 + 5, "DCFPE: page 2, entry 5");
        assert_eq!(field(w[0o41], 32, 63), 9, "DADSZ: the dataset's words");
        assert_eq!(
            w[0o37..0o41],
            [0, 0],
            "DALDV, DABPB, DANPA, DANAI: no device"
        );
        // 1989-02-28 12:34:56 is 16 years and 58 days after 1973-01-01.
        let seconds = 604_672_496u64 - 1096 * 86_400;
        assert_eq!(w[0o25], seconds * 976_562_500, "DCCRT");
        assert_eq!(w[0o30], (seconds + 4) * 976_562_500, "DCMFT");
        assert_eq!(w[0o26], (seconds + 14) * 976_562_500, "DCACT");
        assert_eq!(w[0o27], (seconds + 24) * 976_562_500, "DCTDM");
        let never = Entry {
            dumped: 0,
            ..entry("D", 1)
        };
        assert_eq!(entry_words(&never, 1, 0)[0o27], 0, "DCTDM: never dumped");
    }

    #[test]
    fn pages_hold_eight_entries_after_a_header() {
        let mut contents = Contents::default();
        for k in 0..9 {
            contents.entries.push(entry(&format!("D{k}"), 1));
        }
        let pages = pages(&contents);
        assert_eq!(pages.len(), 2);
        assert!(pages.iter().all(|p| p.len() == PAGE_WORDS));
        assert_eq!(field(pages[1][0], 40, 63), 2, "PGNUM");
        assert_eq!(field(pages[1][0], 1, 4), PAGE_TYPE_DSC, "PGTYP");
        let last = HEADER_WORDS + 7 * ENTRY_WORDS;
        assert_eq!(pages[0][last + 2], ascii_word("D7"));
        assert_eq!(pages[1][HEADER_WORDS + 2], ascii_word("D8"));
        assert_eq!(
            pages[1][HEADER_WORDS + ENTRY_WORDS],
            0,
            "a free slot is zero"
        );
        let empty = super::pages(&Contents::default());
        assert_eq!(empty.len(), 1, "an empty catalogue is one page");
        assert_eq!(field(empty[0][0], 40, 63), 1, "PGNUM");
        assert!(
            empty[0][HEADER_WORDS..].iter().all(|&w| w == 0),
            "no entry in use"
        );
        assert_eq!(timestamp(0) as i64, -1096 * 86_400 * 976_562_500);
    }
}
