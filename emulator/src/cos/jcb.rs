//! The Job Communication Block (`COS.md` §1.4): words 0–0177 of the user field,
//! filled by the loader before a COS program starts. Only the fields the startup
//! code we have reads (COS-Tools libcos, ACK `boot.s`, COS utilities) are modelled;
//! all other words are zero.
//!
//! Control statement (JCCCI, words 005–017): the command line in ASCII, 8 characters
//! per word, left-justified. COS statements end with a terminator `.` or `)`; libcos
//! `$PARGS` stops at the terminator or at a NUL byte. We append `.` when the line has
//! no terminator, limit the statement to 80 characters (a card image), and fill the
//! rest of the 11-word area with zero bytes, so at least one zero word follows the
//! statement and NUL-terminated readers stop too.

use super::absolute::AbsoluteBinary;
use super::bits::{ascii_word, field, with_field, word_ascii};
use super::error::CosFormatError;

/// Words in the JCB (0–0177).
pub const JCB_WORDS: usize = 0o200;
/// First word of JCCCI, the control-statement image.
pub const JCCCI: usize = 0o5;
/// First word of JCCPR, the parsed parameters (end of JCCCI).
pub const JCCPR: usize = 0o20;
/// Job name.
pub const JCJN: usize = 0o100;
/// JCHLM (bits 16–39) and JCFL (bits 40–63).
pub const JCHLM: usize = 0o101;
/// JCNPF (bits 0–15), JCBFB (bits 16–39), JCDSP (bits 40–63).
pub const JCDSP: usize = 0o102;
/// JCNLE (bits 0–15), JCMFL (bits 16–39), JCLFT (bits 40–63).
pub const JCLFT: usize = 0o103;
/// COS revision level, ASCII.
pub const JCCRL: usize = 0o106;
/// Date the absolute binary was made, ASCII `mm/dd/yy`.
pub const JCBDAT: usize = 0o166;
/// Time the absolute binary was made, ASCII `hh:mm:ss`.
pub const JCBTIM: usize = 0o167;
/// Longest control statement accepted, terminator included: one card image.
pub const MAX_STATEMENT: usize = 80;
/// Revision the emulated COS reports in JCCRL: the corpus disk is COS 1.17.
pub const DEFAULT_COS_REVISION: &str = "COS 1.17";

/// The JCB fields the loader fills. Addresses and lengths are in words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobCommunicationBlock {
    /// JCCCI: the control statement, terminator included (see the module notes).
    pub control_statement: String,
    /// JCJN: job name, at most 7 characters (bits 0–55).
    pub job_name: String,
    /// JCHLM: high limit of user code; the heap starts here.
    pub hlm: u32,
    /// JCFL: field length.
    pub fl: u32,
    /// JCNPF: number of open datasets (16 bits).
    pub npf: u16,
    /// JCBFB: base of the I/O buffers.
    pub bfb: u32,
    /// JCDSP: base of the DSP area; libcos addresses DSPs at negative offsets from it.
    pub dsp: u32,
    /// JCNLE: number of LFT entries (16 bits).
    pub nle: u16,
    /// JCMFL: maximum field length.
    pub mfl: u32,
    /// JCLFT: base of the LFT; ACK puts the stack top at JCLFT − 40.
    pub lft: u32,
    /// JCCRL: COS revision, ASCII, at most 8 characters.
    pub cos_revision: String,
    /// JCBDAT: absolute-binary date, at most 8 characters.
    pub binary_date: String,
    /// JCBTIM: absolute-binary time, at most 8 characters.
    pub binary_time: String,
}

fn too_long(what: &'static str, text: &str, max: usize) -> CosFormatError {
    CosFormatError::Unrepresentable {
        what,
        detail: format!(
            "{:?} has {} characters, at most {max} fit",
            text,
            text.len()
        ),
    }
}

impl JobCommunicationBlock {
    /// The JCB for `binary` started by control statement `command` in a field of
    /// `fl` words: HLM from the PDT, no datasets open (BFB, DSP and LFT at the top of
    /// the field, so their tables are empty), MFL = FL, job name = program name,
    /// binary date and time from the PDT trailer.
    pub fn for_program(
        binary: &AbsoluteBinary,
        command: &str,
        fl: u32,
    ) -> Result<Self, CosFormatError> {
        if fl < binary.hlm {
            return Err(CosFormatError::Unrepresentable {
                what: "JCFL",
                detail: format!("field length {fl:o} is below HLM {:o}", binary.hlm),
            });
        }
        let trailer_word = |i: usize| {
            binary
                .trailer_words
                .get(i)
                .map_or(String::new(), |&w| word_ascii(w))
        };
        let jcb = JobCommunicationBlock {
            control_statement: terminate_statement(command),
            job_name: binary.name.chars().take(7).collect(),
            hlm: binary.hlm,
            fl,
            npf: 0,
            bfb: fl,
            dsp: fl,
            nle: 0,
            mfl: fl,
            lft: fl,
            cos_revision: DEFAULT_COS_REVISION.to_string(),
            binary_date: trailer_word(0),
            binary_time: trailer_word(1),
        };
        jcb.validate()?;
        Ok(jcb)
    }

    /// Checks that every field fits its place in the JCB.
    pub fn validate(&self) -> Result<(), CosFormatError> {
        let ascii = |what: &'static str, s: &str| {
            if s.is_ascii() {
                Ok(())
            } else {
                Err(CosFormatError::Unrepresentable {
                    what,
                    detail: format!("{s:?} is not ASCII"),
                })
            }
        };
        ascii("JCCCI", &self.control_statement)?;
        ascii("JCJN", &self.job_name)?;
        ascii("JCCRL", &self.cos_revision)?;
        if self.control_statement.len() > MAX_STATEMENT {
            return Err(too_long("JCCCI", &self.control_statement, MAX_STATEMENT));
        }
        if self.job_name.len() > 7 {
            return Err(too_long("JCJN", &self.job_name, 7));
        }
        for (what, s) in [
            ("JCCRL", &self.cos_revision),
            ("JCBDAT", &self.binary_date),
            ("JCBTIM", &self.binary_time),
        ] {
            if s.len() > 8 {
                return Err(too_long(what, s, 8));
            }
        }
        for (what, v) in [
            ("JCHLM", self.hlm),
            ("JCFL", self.fl),
            ("JCBFB", self.bfb),
            ("JCDSP", self.dsp),
            ("JCMFL", self.mfl),
            ("JCLFT", self.lft),
        ] {
            if v >= 1 << 24 {
                return Err(CosFormatError::Unrepresentable {
                    what,
                    detail: format!("{v:o} does not fit 24 bits"),
                });
            }
        }
        Ok(())
    }

    /// The 0200 JCB words. Fields are cut to their width; call
    /// [`validate`](Self::validate) (done by [`for_program`](Self::for_program)) to
    /// reject values that do not fit instead.
    pub fn to_words(&self) -> [u64; JCB_WORDS] {
        let mut w = [0u64; JCB_WORDS];
        let statement = self.control_statement.as_bytes();
        let statement = &statement[..statement.len().min((JCCPR - JCCCI) * 8)];
        for (i, chunk) in statement.chunks(8).enumerate() {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            w[JCCCI + i] = u64::from_be_bytes(b);
        }
        let name: String = self.job_name.chars().take(7).collect();
        w[JCJN] = ascii_word(&name);
        w[JCHLM] = with_field(
            with_field(0, 16, 39, self.hlm.into()),
            40,
            63,
            self.fl.into(),
        );
        let mut dsp = with_field(0, 0, 15, self.npf.into());
        dsp = with_field(dsp, 16, 39, self.bfb.into());
        w[JCDSP] = with_field(dsp, 40, 63, self.dsp.into());
        let mut lft = with_field(0, 0, 15, self.nle.into());
        lft = with_field(lft, 16, 39, self.mfl.into());
        w[JCLFT] = with_field(lft, 40, 63, self.lft.into());
        w[JCCRL] = ascii_word(&self.cos_revision);
        w[JCBDAT] = ascii_word(&self.binary_date);
        w[JCBTIM] = ascii_word(&self.binary_time);
        w
    }

    /// Reads the modelled fields back from JCB words (other words are ignored).
    pub fn from_words(words: &[u64; JCB_WORDS]) -> Self {
        let statement: Vec<u8> = words[JCCCI..JCCPR]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .take_while(|&b| b != 0)
            .collect();
        JobCommunicationBlock {
            control_statement: statement.into_iter().map(char::from).collect(),
            job_name: word_ascii(words[JCJN] & !0xff),
            hlm: field(words[JCHLM], 16, 39) as u32,
            fl: field(words[JCHLM], 40, 63) as u32,
            npf: field(words[JCDSP], 0, 15) as u16,
            bfb: field(words[JCDSP], 16, 39) as u32,
            dsp: field(words[JCDSP], 40, 63) as u32,
            nle: field(words[JCLFT], 0, 15) as u16,
            mfl: field(words[JCLFT], 16, 39) as u32,
            lft: field(words[JCLFT], 40, 63) as u32,
            cos_revision: word_ascii(words[JCCRL]),
            binary_date: word_ascii(words[JCBDAT]),
            binary_time: word_ascii(words[JCBTIM]),
        }
    }
}

/// The statement with COS's terminator: unchanged when it already ends in `.` or
/// `)`, otherwise with `.` appended. Surrounding blanks and line ends are removed.
pub fn terminate_statement(command: &str) -> String {
    let trimmed = command.trim();
    if trimmed.ends_with('.') || trimmed.ends_with(')') {
        trimmed.to_string()
    } else {
        format!("{trimmed}.")
    }
}

/// The control statement that runs `program` with `args` the way a COS job deck would
/// name it: `NAME,ARG1,ARG2.`, NAME being the file name without its extension, in
/// capitals.
pub fn statement_for(program: &str, args: &[String]) -> String {
    let stem = std::path::Path::new(program)
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().to_uppercase());
    let mut parts = vec![stem];
    parts.extend(args.iter().cloned());
    format!("{}.", parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_name_the_program_in_capitals() {
        assert_eq!(statement_for("dir/hello.abs", &[]), "HELLO.");
        assert_eq!(
            statement_for("copy", &["IN".to_string(), "OUT".to_string()]),
            "COPY,IN,OUT."
        );
    }

    fn program() -> AbsoluteBinary {
        let mut bin = AbsoluteBinary::new("HELLO", vec![0; 0o100], 0o1000);
        bin.hlm = 0o1000;
        bin.set_trailer(&crate::cos::absolute::TrailerFields {
            date: "02/28/89".into(),
            time: "12:00:00".into(),
            os: "COS 1.17".into(),
            ..Default::default()
        });
        bin
    }

    #[test]
    fn fields_sit_at_their_cray_bits() {
        let jcb = JobCommunicationBlock::for_program(&program(), "HELLO,A=1", 0o4000).unwrap();
        let w = jcb.to_words();
        assert_eq!(w[JCCCI], u64::from_be_bytes(*b"HELLO,A="));
        assert_eq!(w[JCCCI + 1], u64::from_be_bytes(*b"1.\0\0\0\0\0\0"));
        assert!(w[JCCCI + 2..JCCPR].iter().all(|&x| x == 0));
        assert_eq!(w[JCJN], u64::from_be_bytes(*b"HELLO\0\0\0"));
        assert_eq!(w[JCHLM], 0o1000 << 24 | 0o4000);
        assert_eq!(w[JCDSP], 0o4000 << 24 | 0o4000);
        assert_eq!(w[JCLFT], 0o4000 << 24 | 0o4000);
        assert_eq!(w[JCCRL], u64::from_be_bytes(*b"COS 1.17"));
        assert_eq!(w[JCBDAT], u64::from_be_bytes(*b"02/28/89"));
        assert_eq!(w[JCBTIM], u64::from_be_bytes(*b"12:00:00"));
        assert_eq!(JobCommunicationBlock::from_words(&w), jcb);
        assert_eq!(w.iter().filter(|&&x| x != 0).count(), 9);
    }

    #[test]
    fn round_trip_with_all_fields() {
        let jcb = JobCommunicationBlock {
            control_statement: "COPYD,I=A,O=B)".into(),
            job_name: "JOBNAME".into(),
            hlm: 0o123456,
            fl: 0o7654321,
            npf: 3,
            bfb: 0o7000000,
            dsp: 0o7100000,
            nle: 0o17,
            mfl: 0o7777777,
            lft: 0o7200000,
            cos_revision: "COS 1.16".into(),
            binary_date: "07/07/88".into(),
            binary_time: "19:42:34".into(),
        };
        jcb.validate().unwrap();
        let w = jcb.to_words();
        assert_eq!(field(w[JCDSP], 0, 15), 3);
        assert_eq!(JobCommunicationBlock::from_words(&w), jcb);
    }

    #[test]
    fn terminator_and_limits() {
        assert_eq!(terminate_statement("ACCTDEF"), "ACCTDEF.");
        assert_eq!(terminate_statement(" ACCTDEF. \n"), "ACCTDEF.");
        assert_eq!(terminate_statement("X(A)"), "X(A)");
        let long = "A".repeat(80);
        assert!(JobCommunicationBlock::for_program(&program(), &long, 0o4000).is_err());
        assert!(JobCommunicationBlock::for_program(&program(), &"A".repeat(79), 0o4000).is_ok());
        assert!(JobCommunicationBlock::for_program(&program(), "X", 0o777).is_err());
        assert!(JobCommunicationBlock::for_program(&program(), "É", 0o4000).is_err());
    }
}
