//! F$SYM (request 056): a program reads a JCL symbol of its job.
//!
//! No manual at hand describes the request; its layout is read from its one
//! caller, the same library routine in every corpus utility (AUDIT's EX at
//! 66563b, ACCTDEF's at 51251b, DMP10's at 60325b, PLD10's at 32347b; `cray dis`).
//! The routine cracks the program's control statement and, when it holds the
//! keyword `TEXT`, asks for the symbol `NOTEXT`:
//!
//! - S1 = the address of a block, S2 = 0 (`S2 +0` right before the EX; no caller
//!   makes the request with another S2, so no other function is known);
//! - block word 1 = the symbol's name, ASCII, left-justified and zero-filled (the
//!   word `NOTEXT` the routine loads and stores there);
//! - block word 3 bits 40–63 = the address of the result word (block word 4 in
//!   every utility), and bits 12–35 = 1, which the routine sets before each request
//!   (read here as the result's length, one word; not checked);
//! - words 0 and 2 stay as the binary holds them, zero.
//!
//! After the EX the routine loads the result word and takes zero as "no value"
//! (`JSZ`); any other value marks the statement's TEXT keyword. So for S2 = 0 the
//! emulator writes the symbol's value, as SET made it (a 64-bit integer, the only
//! form the deck's symbols have), into the result word; a symbol the job never set
//! (and any job that runs no deck) leaves the word as the program left it. How COS
//! encoded a symbol's value in the word is not known here; the caller tells only
//! zero from the rest, which the integer keeps. Another S2 is answered as before,
//! done and nothing stored. Nothing the deck keeps changes, so checkpoints are as
//! they were.

use super::bits::word_ascii;
use super::requests::Reply;
use super::System;
use crate::system::Pid;

/// Block word holding the symbol's name.
const NAME_WORD: u64 = 1;
/// Block word whose bits 40–63 hold the result word's address.
const RESULT_POINTER_WORD: u64 = 3;
/// The only function the library asks for: read a symbol.
const READ: u64 = 0;

/// The symbol name in `word`: its characters up to the first zero byte
/// ([`word_ascii`]), blanks dropped, in capitals.
fn symbol_name(word: u64) -> String {
    word_ascii(word).replace(' ', "").to_ascii_uppercase()
}

impl System {
    /// F$SYM with S1 = the block, S2 = the function.
    pub(crate) fn cos_symbol(&mut self, pid: Pid, s1: u64, s2: u64) -> Reply {
        if s2 != READ {
            return Reply::Status(0);
        }
        let block = s1 & 0xFF_FFFF;
        let Some(words) = self.cos_read(pid, block, RESULT_POINTER_WORD + 1) else {
            return System::bad_address("F$SYM", block);
        };
        let name = symbol_name(words[NAME_WORD as usize]);
        let result = words[RESULT_POINTER_WORD as usize] & 0xFF_FFFF;
        let value = self
            .deck_of(pid)
            .and_then(|deck| super::deck::symbol_value(&deck.symbols, &name));
        match value {
            Some(value) if !self.cos_write(pid, result, &[value as u64]) => {
                System::bad_address("F$SYM", result)
            }
            _ => Reply::Status(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_the_words_characters_up_to_a_zero_byte() {
        assert_eq!(symbol_name(u64::from_be_bytes(*b"NOTEXT\0\0")), "NOTEXT");
        assert_eq!(symbol_name(u64::from_be_bytes(*b"j1      ")), "J1");
        assert_eq!(symbol_name(0), "");
    }
}
