//! The example programs in images/ assemble, and their a.out and COS binaries read
//! back through the project's own loaders.

use cray_cal::{assemble, Options};
use cray_emulator::aout::AOut;
use cray_emulator::cos::{absolute, dataset};
use std::path::PathBuf;

fn image(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../images")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parcel(words: &[u64], p: u32) -> u16 {
    (words[(p / 4) as usize] >> ((3 - p % 4) * 16)) as u16
}

#[test]
fn hello_assembles_to_an_aout_that_loads() {
    let assembly =
        assemble(&image("hello.cal"), "hello.cal", &Options::aout()).unwrap_or_else(|e| {
            panic!(
                "{}",
                e.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
    assert_eq!(assembly.module, "HELLO");
    assert_eq!(assembly.entry_parcel, 0);
    let words = assembly.to_aout_words();
    let aout = AOut::parse(&words).expect("a.out reads back");
    assert_eq!(aout, assembly.to_aout());
    assert_eq!(aout.entry_parcel, 0);
    // S0 4 (040 form), S1 WARGS (address: 040 form), EX.
    let text = &aout.text;
    assert_eq!(parcel(text, 0), 0o040000);
    assert_eq!(parcel(text, 1), 4);
    assert_eq!(parcel(text, 2), 0o040100);
    assert_eq!(parcel(text, 4), 0o004000);
    // The argument list and the message.
    let wargs = assembly.symbols["WARGS"].value.value as usize;
    let msg = assembly.symbols["MSG"].value.value as u64;
    assert_eq!(u32::from(parcel(text, 3)), wargs as u32);
    assert_eq!(&text[wargs..wargs + 4], &[1, msg, 14, 0]);
    let bytes: Vec<u8> = text[msg as usize..msg as usize + 2]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
    assert_eq!(&bytes[..14], b"Hello, world!\n");
}

#[test]
fn cos_hello_assembles_to_a_cos_absolute_binary() {
    let assembly = assemble(&image("cos_hello.cal"), "cos_hello.cal", &Options::cos())
        .unwrap_or_else(|e| {
            panic!(
                "{}",
                e.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
    assert_eq!(assembly.origin, 0o200);
    assert_eq!(assembly.entry_parcel, 0o200 * 4);
    let raw = assembly.to_cos_raw().expect("COS origin");
    let binary = absolute::parse(&raw).expect("raw absolute reads back");
    assert_eq!(binary.load_address, 0o200);
    assert_eq!(binary.entry_parcel, 0o200 * 4);
    assert_eq!(binary.text, assembly.words);
    let blocked = assembly.to_cos_blocked().expect("COS origin");
    let record = dataset::first_record(&blocked).expect("blocked dataset");
    assert_eq!(
        absolute::parse(&record).expect("record is an absolute"),
        binary
    );
    // S1 = address of the literal, which holds the zero-terminated message.
    let text = &assembly.words;
    assert_eq!(parcel(text, 2), 0o040100);
    let literal = (u32::from(parcel(text, 2) & 0o77) << 16) | u32::from(parcel(text, 3));
    let at = (literal - 0o200) as usize;
    let bytes: Vec<u8> = text[at..].iter().flat_map(|w| w.to_be_bytes()).collect();
    assert_eq!(&bytes[..15], b"Hello from COS\0");
    // An a.out-origin assembly is refused as COS.
    let wrong = assemble(&image("cos_hello.cal"), "cos_hello.cal", &Options::aout()).unwrap();
    assert!(wrong.to_cos_raw().is_err());
}

#[test]
fn formats_write_what_the_loaders_read() {
    use cray_cal::Format;
    for (name, format) in [
        ("aout", Format::Aout),
        ("cos", Format::Cos),
        ("cos-raw", Format::CosRaw),
    ] {
        assert_eq!(Format::from_name(name), Some(format));
        let assembly =
            assemble(&image("cos_hello.cal"), "cos_hello.cal", &format.options()).unwrap();
        let bytes = assembly.output_bytes(format).expect("writes");
        let words = absolute::words_from_bytes(&bytes).expect("whole words");
        match format {
            Format::Aout => assert!(AOut::parse(&words).is_ok()),
            Format::Cos => {
                assert!(absolute::parse(&dataset::first_record(&words).unwrap()).is_ok())
            }
            Format::CosRaw => assert!(absolute::parse(&words).is_ok()),
        }
    }
    let listing = assemble(&image("hello.cal"), "hello.cal", &Options::aout())
        .unwrap()
        .listing_text();
    assert!(
        listing.contains(&format!(" {:<19} W+   3\n", "WARGS")),
        "{listing}"
    );
    assert!(
        listing.contains(&format!(" {:<19} P+   0a\n", "HELLO")),
        "{listing}"
    );
    assert!(
        listing.contains(&format!(" {:<19} V    16\n", "MSGLEN")),
        "{listing}"
    );
}
