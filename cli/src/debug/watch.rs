//! Watchpoints and breakpoint conditions: what the debugger reads of a process
//! (registers by name, memory words) and the comparisons `break PARCEL if ...` makes.

use crate::dis::parse_parcel;
use cray_emulator::cpu::Cpu;
use cray_emulator::memory::Memory;
use std::fmt;

/// A register the debugger can name: `A0`..`A7`, `S0`..`S7`, `B00`..`B77` and
/// `T00`..`T77` (octal numbers, as CAL writes them), `VL` and `P`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Register {
    A(usize),
    S(usize),
    B(usize),
    T(usize),
    Vl,
    P,
}

impl Register {
    /// The register `text` names (any case), if it names one.
    pub fn parse(text: &str) -> Option<Register> {
        let upper = text.to_ascii_uppercase();
        match upper.as_str() {
            "VL" => return Some(Register::Vl),
            "P" => return Some(Register::P),
            _ => {}
        }
        let mut chars = upper.chars();
        let kind = chars.next()?;
        let number = chars.as_str();
        let octal = |most: usize| {
            usize::from_str_radix(number, 8)
                .ok()
                .filter(|&n| n < most && !number.is_empty() && !number.starts_with('+'))
        };
        match kind {
            'A' => octal(8).map(Register::A),
            'S' => octal(8).map(Register::S),
            'B' => octal(64).map(Register::B),
            'T' => octal(64).map(Register::T),
            _ => None,
        }
    }

    /// Its value in `cpu`.
    pub fn read(self, cpu: &Cpu) -> u64 {
        match self {
            Register::A(i) => u64::from(cpu.a[i]),
            Register::S(i) => cpu.s[i],
            Register::B(i) => u64::from(cpu.b[i]),
            Register::T(i) => cpu.t[i],
            Register::Vl => u64::from(cpu.vl),
            Register::P => u64::from(cpu.p),
        }
    }

    /// Its width in bits (a negative number compared with it is taken in this width).
    fn bits(self) -> u32 {
        match self {
            Register::A(_) | Register::B(_) | Register::P => 24,
            Register::S(_) | Register::T(_) => 64,
            Register::Vl => 7,
        }
    }
}

impl fmt::Display for Register {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Register::A(i) => write!(f, "A{i}"),
            Register::S(i) => write!(f, "S{i}"),
            Register::B(i) => write!(f, "B{i:02o}"),
            Register::T(i) => write!(f, "T{i:02o}"),
            Register::Vl => write!(f, "VL"),
            Register::P => write!(f, "P"),
        }
    }
}

/// A value as the debugger shows it: registers and words in octal with a leading 0
/// (so that it reads back as octal), P as a parcel address.
pub fn show_value(register: Option<Register>, value: u64) -> String {
    match register {
        Some(Register::P) => crate::dis::parcel_label(value as u32),
        _ if value == 0 => "0".to_string(),
        _ => format!("0{value:o}"),
    }
}

/// Reads a number in any form the debugger prints: decimal, octal with a leading 0
/// (`00000005`, `0000000000000000000012`), hex with 0x, a register or word printed
/// as 22 octal digits (`1000000000000000000000`, the sign bit), or a negative decimal
/// (two's complement, in the width of what it is compared with).
pub fn parse_value(text: &str) -> Result<Value, String> {
    let bad =
        || format!("`{text}` is not a number (decimal, octal with a leading 0, or hex with 0x)");
    if let Some(magnitude) = text.strip_prefix('-') {
        let Value::Literal(n) = parse_value(magnitude)? else {
            return Err(bad());
        };
        return Ok(Value::Negative(n));
    }
    let octal_digits = !text.is_empty() && text.bytes().all(|b| (b'0'..=b'7').contains(&b));
    let parsed = if let Some(hex) = text.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()
    } else if octal_digits && (text.starts_with('0') || text.len() == 22) {
        u64::from_str_radix(text, 8).ok()
    } else {
        text.parse::<u64>().ok()
    };
    parsed.map(Value::Literal).ok_or_else(bad)
}

/// A number written in a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// As written.
    Literal(u64),
    /// `-N`: two's complement in the width of the other side.
    Negative(u64),
}

/// One side of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    Register(Register),
    /// `[ADDRESS]`: the data word at ADDRESS of the process shown.
    Word(u32),
    Number(Value),
}

impl Operand {
    fn parse(text: &str) -> Result<Operand, String> {
        if let Some(register) = Register::parse(text) {
            return Ok(Operand::Register(register));
        }
        if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            return crate::parse_number(inner).map(Operand::Word);
        }
        if let Some(register) = parcel_form(text) {
            return Ok(register);
        }
        parse_value(text).map(Operand::Number)
    }

    /// Its value in a process (`cpu`, `memory`) and its width in bits (`None`: a
    /// number, or a word beyond the process's memory).
    fn read(&self, cpu: &Cpu, memory: &Memory) -> Option<(u64, u32)> {
        match self {
            Operand::Register(r) => Some((r.read(cpu), r.bits())),
            Operand::Word(address) => {
                let at = cpu.data_base.checked_add(*address)?;
                Some((memory.read(at)?, 64))
            }
            Operand::Number(_) => None,
        }
    }
}

/// A parcel address written as `dis` prints it (`1d`), which only a comparison with
/// P can mean.
fn parcel_form(text: &str) -> Option<Operand> {
    if !text.ends_with(['a', 'b', 'c', 'd']) || text.starts_with("0x") {
        return None;
    }
    let parcel = parse_parcel(text).ok()?;
    Some(Operand::Number(Value::Literal(u64::from(parcel))))
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Operand::Register(r) => write!(f, "{r}"),
            Operand::Word(address) => write!(f, "[0{address:o}]"),
            Operand::Number(Value::Literal(n)) => write!(f, "{n}"),
            Operand::Number(Value::Negative(n)) => write!(f, "-{n}"),
        }
    }
}

/// The comparisons a condition may make.
const COMPARISONS: [&str; 6] = ["==", "!=", "<=", ">=", "<", ">"];

/// `LEFT OP RIGHT`: registers, memory words and numbers compared as unsigned words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    left: Operand,
    comparison: &'static str,
    right: Operand,
}

impl Condition {
    /// Reads `A1 == 5`, `[0100] != 0`, `S2>=-1` (spaces optional).
    pub fn parse(text: &str) -> Result<Condition, String> {
        let usage =
            "a condition is LEFT OP RIGHT with OP one of == != < > <= >= (A1 == 5, [0100] != 0)";
        let (at, comparison) = COMPARISONS
            .iter()
            .filter_map(|op| text.find(op).map(|at| (at, *op)))
            .min_by_key(|&(at, op)| (at, std::cmp::Reverse(op.len())))
            .ok_or(usage)?;
        let left = Operand::parse(text[..at].trim())?;
        let right = Operand::parse(text[at + comparison.len()..].trim())?;
        if matches!((&left, &right), (Operand::Number(_), Operand::Number(_))) {
            return Err(format!("`{text}` compares two numbers: {usage}"));
        }
        Ok(Condition {
            left,
            comparison,
            right,
        })
    }

    /// Whether it holds in a process (`cpu`, `memory`); false when a word it reads
    /// is beyond memory.
    pub fn holds(&self, cpu: &Cpu, memory: &Memory) -> bool {
        let left = self.left.read(cpu, memory);
        let right = self.right.read(cpu, memory);
        let width = left.or(right).map_or(64, |(_, bits)| bits);
        let value = |operand: &Operand, read: Option<(u64, u32)>| match (operand, read) {
            (_, Some((value, _))) => Some(value),
            (Operand::Number(Value::Literal(n)), None) => Some(*n),
            (Operand::Number(Value::Negative(n)), None) => Some(negate(*n, width)),
            _ => None,
        };
        let (Some(a), Some(b)) = (value(&self.left, left), value(&self.right, right)) else {
            return false;
        };
        match self.comparison {
            "==" => a == b,
            "!=" => a != b,
            "<" => a < b,
            ">" => a > b,
            "<=" => a <= b,
            _ => a >= b,
        }
    }
}

/// `-n` in two's complement of `bits` bits.
fn negate(n: u64, bits: u32) -> u64 {
    let negated = n.wrapping_neg();
    if bits >= 64 {
        negated
    } else {
        negated & ((1 << bits) - 1)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} {} {}", self.left, self.comparison, self.right)
    }
}

/// What a watchpoint watches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Watched {
    /// `count` data words from `address` of the process shown.
    Words {
        address: u32,
        count: u32,
    },
    Register(Register),
}

/// Most words one watchpoint may watch (each is compared after every instruction).
pub const MOST_WATCHED_WORDS: u32 = 4096;

impl Watched {
    /// Reads `watch A1`, `watch 0100`, `watch 0100 4`.
    pub fn parse(arguments: &[&str]) -> Result<Watched, String> {
        let usage = "watch ADDRESS [COUNT] or watch REGISTER";
        let first = arguments.first().ok_or(usage)?;
        if let Some(register) = Register::parse(first) {
            if arguments.len() > 1 {
                return Err(format!("watch {first} takes no count"));
            }
            return Ok(Watched::Register(register));
        }
        let address = super::word_address(Some(first))?;
        let count = match arguments.get(1) {
            Some(text) => crate::parse_number(text)?,
            None => 1,
        };
        if count == 0 || count > MOST_WATCHED_WORDS {
            return Err(format!(
                "watch: COUNT is {count}; give 1 to {MOST_WATCHED_WORDS} words"
            ));
        }
        Ok(Watched::Words { address, count })
    }

    /// What it holds in a process (`cpu`, `memory`) now (empty when the words are
    /// beyond its memory).
    pub fn read(&self, cpu: &Cpu, memory: &Memory) -> Vec<u64> {
        match self {
            Watched::Register(r) => vec![r.read(cpu)],
            Watched::Words { address, count } => (*address..address.saturating_add(*count))
                .map_while(|a| memory.read(cpu.data_base.checked_add(a)?))
                .collect(),
        }
    }

    /// Whether it still holds `last` (what [`Watched::read`] gave): checked after
    /// every instruction, so it reads in place rather than into a new vector.
    pub fn holds_still(&self, cpu: &Cpu, memory: &Memory, last: &[u64]) -> bool {
        match self {
            Watched::Register(r) => last == [r.read(cpu)],
            Watched::Words { address, .. } => last.iter().enumerate().all(|(i, &was)| {
                let at = cpu.data_base.checked_add(address.saturating_add(i as u32));
                at.and_then(|at| memory.read(at)) == Some(was)
            }),
        }
    }

    /// The register watched, if it is one.
    pub fn register(&self) -> Option<Register> {
        match self {
            Watched::Register(r) => Some(*r),
            Watched::Words { .. } => None,
        }
    }

    /// The name of the element `index` of it (for a change report).
    pub fn element(&self, index: usize) -> String {
        match self {
            Watched::Register(r) => r.to_string(),
            Watched::Words { address, .. } => format!("[0{:o}]", *address as usize + index),
        }
    }
}

impl fmt::Display for Watched {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Watched::Register(r) => write!(f, "{r}"),
            Watched::Words { address, count: 1 } => write!(f, "[0{address:o}]"),
            Watched::Words { address, count } => write!(f, "[0{address:o}] {count} words"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cray_emulator::cpu::Cpu;
    use cray_emulator::isa::Model;
    use cray_emulator::memory::Memory;
    use cray_emulator::system::Personality;
    use cray_emulator::Process;

    fn process() -> Process {
        let mut words = vec![0; 64];
        words[0o25] = 5;
        let mut process = Process::new(
            Cpu::new(Model::XMp, 64),
            Memory::from_words(words),
            0,
            Personality::Unicos,
            "test".to_string(),
        );
        process.cpu.a[1] = 3;
        process.cpu.a[0] = 0xFF_FFFE; // -2 in 24 bits
        process.cpu.s[3] = 1 << 63;
        process.cpu.p = 7;
        process
    }

    fn holds(text: &str) -> bool {
        let process = process();
        Condition::parse(text)
            .unwrap()
            .holds(&process.cpu, &process.memory)
    }

    #[test]
    fn numbers_are_read_in_every_form_the_debugger_prints() {
        assert_eq!(parse_value("12"), Ok(Value::Literal(12)));
        assert_eq!(parse_value("012"), Ok(Value::Literal(10)));
        assert_eq!(parse_value("00000003"), Ok(Value::Literal(3)));
        assert_eq!(parse_value("0x1f"), Ok(Value::Literal(31)));
        assert_eq!(
            parse_value("1000000000000000000000"),
            Ok(Value::Literal(1 << 63))
        );
        assert_eq!(parse_value("-2"), Ok(Value::Negative(2)));
        assert!(parse_value("09x").is_err());
        assert!(parse_value("99999999999999999999999").is_err());
    }

    #[test]
    fn conditions_compare_registers_words_and_numbers() {
        assert!(holds("A1 == 3"));
        assert!(holds("A1==00000003"));
        assert!(!holds("A1 != 3"));
        assert!(holds("A1 < 4") && holds("A1 <= 3") && holds("A1 > 2") && holds("A1 >= 3"));
        assert!(holds("A0 == -2"), "a negative number in the width of A");
        assert!(holds("S3 == 1000000000000000000000"));
        assert!(holds("[025] == 5") && holds("[025] > A1"));
        assert!(holds("P == 1d"), "a parcel address as dis prints it");
        assert!(!holds("[077777] == 0"), "a word beyond memory never holds");
        for bad in ["A1 = 3", "3 == 3", "Q1 == 3", "A1 ==", "[zz] == 1"] {
            assert!(Condition::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Condition::parse("S3>=-1").unwrap().to_string(), "S3 >= -1");
    }

    #[test]
    fn registers_are_named_as_cal_writes_them() {
        assert_eq!(Register::parse("a7"), Some(Register::A(7)));
        assert_eq!(Register::parse("B77"), Some(Register::B(63)));
        assert_eq!(Register::parse("T00"), Some(Register::T(0)));
        assert_eq!(Register::parse("A8"), None);
        assert_eq!(Register::parse("B100"), None);
        assert_eq!(Register::parse("vl"), Some(Register::Vl));
        assert_eq!(Register::parse(""), None);
        assert_eq!(Register::parse("é1"), None);
    }
}
