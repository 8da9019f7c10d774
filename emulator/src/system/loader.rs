//! The a.out loader: an executable, its arguments and environment -> a memory field.
//!
//! Layout of a new field (word addresses):
//!
//! ```text
//! 0                 text, then data, then bss (zeroed)
//! image             argv: argc character pointers, then 0
//! image+argc+1      envp: pointers, then 0
//! ...               the strings, each starting on a word boundary, NUL-terminated
//! break floor       heap: `heap_words` zero words; brk moves the end of the field
//! ```
//!
//! The new process starts at the entry parcel with S1 = argc, S2 = address of argv and
//! S3 = address of envp.

use crate::aout::AOut;
use crate::cpu::Cpu;
use crate::isa::Model;
use crate::memory::Memory;
use thiserror::Error;

/// Most arguments plus environment strings accepted.
pub const MAX_ARGS: usize = 4096;
/// Most bytes of argument and environment strings accepted.
pub const MAX_ARG_BYTES: usize = 256 * 1024;

/// Why a program image could not be built.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LoadError {
    /// The field would exceed the words allowed.
    #[error("program needs a memory field of {needed} words (octal {needed:o}); only {available} are available")]
    NoMemory {
        /// Words the field needs.
        needed: u64,
        /// Words still available.
        available: u64,
    },
    /// Too many or too long arguments.
    #[error("{count} argument and environment strings of {bytes} bytes exceed the limit ({MAX_ARGS} strings, {MAX_ARG_BYTES} bytes)")]
    ArgumentsTooLong {
        /// Number of strings.
        count: usize,
        /// Their total length.
        bytes: usize,
    },
}

/// A loaded program, ready to become a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// The memory field.
    pub memory: Memory,
    /// Entry parcel address.
    pub entry: u32,
    /// Number of arguments.
    pub argc: u64,
    /// Word address of argv.
    pub argv: u64,
    /// Word address of envp.
    pub envp: u64,
    /// First word above the arguments: brk may not go lower.
    pub break_floor: u32,
}

impl Image {
    /// The CPU of a process starting this image: P at the entry, S1 = argc, S2 = argv,
    /// S3 = envp, field limits = the field, and operand range errors interrupting (so
    /// a reference outside the field ends the process instead of reading zero).
    pub fn cpu(&self, model: Model) -> Cpu {
        let mut cpu = Cpu::new(model, self.memory.len() as u32);
        cpu.p = self.entry;
        cpu.s[1] = self.argc;
        cpu.s[2] = self.argv;
        cpu.s[3] = self.envp;
        cpu.modes.interrupt_on_range = true;
        cpu
    }
}

fn string_words(s: &[u8]) -> u64 {
    s.len() as u64 / 8 + 1
}

/// Builds the field of `program` with `argv` and `envp`, `heap_words` of heap, in at
/// most `max_words` words.
pub fn load_aout(
    program: &AOut,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    heap_words: u64,
    max_words: u64,
) -> Result<Image, LoadError> {
    let count = argv.len() + envp.len();
    let bytes: usize = argv.iter().chain(envp).map(|s| s.len() + 1).sum();
    if count > MAX_ARGS || bytes > MAX_ARG_BYTES {
        return Err(LoadError::ArgumentsTooLong { count, bytes });
    }
    // Saturating: a header may claim any bss size.
    let image = (program.text.len() as u64)
        .saturating_add(program.data.len() as u64)
        .saturating_add(program.bss_words);
    let pointers = argv.len() as u64 + 1 + envp.len() as u64 + 1;
    let strings: u64 = argv.iter().chain(envp).map(|s| string_words(s)).sum();
    let floor = image.saturating_add(pointers).saturating_add(strings);
    let needed = floor.saturating_add(heap_words);
    let limit = max_words.min(u64::from(u32::MAX >> 8));
    if needed > limit {
        return Err(LoadError::NoMemory {
            needed,
            available: max_words,
        });
    }
    let mut words = Vec::with_capacity(needed as usize);
    words.extend_from_slice(&program.text);
    words.extend_from_slice(&program.data);
    words.resize(image as usize, 0);
    let argv_address = image;
    let envp_address = image + argv.len() as u64 + 1;
    let mut string_address = envp_address + envp.len() as u64 + 1;
    let mut string_block = Vec::new();
    let mut pointer_list = |list: &[Vec<u8>], out: &mut Vec<u64>| {
        for s in list {
            out.push(string_address);
            let mut padded = s.clone();
            padded.resize((string_words(s) * 8) as usize, 0);
            for chunk in padded.chunks(8) {
                string_block.push(u64::from_be_bytes(chunk.try_into().unwrap_or([0; 8])));
            }
            string_address += string_words(s);
        }
        out.push(0);
    };
    let mut pointer_words = Vec::new();
    pointer_list(argv, &mut pointer_words);
    pointer_list(envp, &mut pointer_words);
    words.extend_from_slice(&pointer_words);
    words.extend_from_slice(&string_block);
    words.resize(needed as usize, 0);
    Ok(Image {
        memory: Memory::from_words(words),
        entry: program.entry_parcel,
        argc: argv.len() as u64,
        argv: argv_address,
        envp: envp_address,
        break_floor: floor as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::guest::{read_string, read_string_list};

    fn program() -> AOut {
        AOut {
            text: vec![0o004000 << 48],
            data: vec![5],
            bss_words: 2,
            symbols: vec![],
            entry_parcel: 0,
        }
    }

    #[test]
    fn arguments_follow_the_image() {
        let argv = vec![b"prog".to_vec(), b"eight-ch".to_vec()];
        let envp = vec![b"A=1".to_vec()];
        let image = load_aout(&program(), &argv, &envp, 10, 1000).unwrap();
        assert_eq!(image.argc, 2);
        assert_eq!(image.argv, 4);
        assert_eq!(image.envp, 7);
        let m = &image.memory;
        assert_eq!(m.read(1), Some(5));
        assert_eq!(read_string_list(m, image.argv, 10, 100).unwrap(), argv);
        assert_eq!(read_string_list(m, image.envp, 10, 100).unwrap(), envp);
        let first = m.read(4).unwrap();
        assert_eq!(read_string(m, first, 10).unwrap(), b"prog");
        // 9 pointer/string words: prog (1), eight-ch (2), A=1 (1) + 5 pointers.
        assert_eq!(image.break_floor, 4 + 5 + 4);
        assert_eq!(m.len(), 13 + 10);
    }

    #[test]
    fn refuses_fields_beyond_the_limit() {
        let mut huge = program();
        huge.bss_words = u64::MAX;
        assert!(matches!(
            load_aout(&huge, &[], &[], 0, 1 << 20),
            Err(LoadError::NoMemory { .. })
        ));
        assert!(matches!(
            load_aout(&program(), &[], &[], 100, 50),
            Err(LoadError::NoMemory { .. })
        ));
    }
}
