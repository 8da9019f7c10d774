//! The register table: every field of a CPU's saved state described once (SIMH's REG
//! tables are the model), in the order the state is saved and hashed.
//!
//! Each row names a register file, its width, how many registers it holds, how to
//! read one and how to show it. `cray diff`, `cray debug`'s `regs`, `cray inspect
//! --json` and [`Cpu`]'s `Serialize` (hence the image's State section and the state
//! hash) all walk this table, so a register added here appears in every one of them.
//! A row whose saved field holds several register files (the cluster's shared
//! registers) saves it once, with its first row.

use super::state::{Cpu, Flags, Modes, SharedRegisters};
use crate::isa::Model;
use crate::timing::TimingModel;
use serde::ser::{Serialize, SerializeStruct, Serializer};
#[cfg(test)]
use serde::Deserialize;

/// How a register's value is written for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// Octal, zero-padded to the register's width (as Cray listings show registers).
    Octal,
    /// Decimal (lengths, counts, clock periods).
    Decimal,
    /// The names of the bits that are set (bit n is `names[n]`), or `none`.
    Bits(&'static [&'static str]),
    /// The machine model's command-line name.
    Model,
    /// A state too large to show: its xxh3 hash in hexadecimal.
    Hash,
}

/// A reference to one saved field of a [`Cpu`], which serializes exactly as the field
/// itself does in the State section.
pub enum SavedField<'a> {
    /// The machine model.
    Model(&'a Model),
    /// A one-bit field.
    Bool(bool),
    /// An 8-bit field.
    Byte(u8),
    /// A field of up to 32 bits.
    Half(u32),
    /// A 64-bit field.
    Word(u64),
    /// Eight 24-bit registers (A).
    Addresses(&'a [u32; 8]),
    /// Eight 64-bit registers (S).
    Scalars(&'a [u64; 8]),
    /// The eight vector registers, element by element.
    Vectors(&'a [[u64; 64]; 8]),
    /// The 64 B registers.
    Intermediate24(&'a [u32; 64]),
    /// The 64 T registers.
    Intermediate64(&'a [u64; 64]),
    /// The exchange flags.
    Flags(Flags),
    /// The mode bits.
    Modes(&'a Modes),
    /// The cluster's shared registers and semaphores.
    Shared(&'a SharedRegisters),
    /// The timing model, if any.
    Timing(&'a Option<Box<TimingModel>>),
}

impl Serialize for SavedField<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SavedField::Model(model) => model.serialize(serializer),
            SavedField::Bool(bit) => bit.serialize(serializer),
            SavedField::Byte(byte) => byte.serialize(serializer),
            SavedField::Half(half) => half.serialize(serializer),
            SavedField::Word(word) => word.serialize(serializer),
            SavedField::Addresses(a) => a.serialize(serializer),
            SavedField::Scalars(s) => s.serialize(serializer),
            SavedField::Vectors(v) => {
                crate::serde_arrays::vector_registers::serialize(v, serializer)
            }
            SavedField::Intermediate24(b) => crate::serde_arrays::serialize(b, serializer),
            SavedField::Intermediate64(t) => crate::serde_arrays::serialize(t, serializer),
            SavedField::Flags(flags) => flags.serialize(serializer),
            SavedField::Modes(modes) => modes.serialize(serializer),
            SavedField::Shared(shared) => shared.serialize(serializer),
            SavedField::Timing(timing) => timing.serialize(serializer),
        }
    }
}

/// The saved field a row is stored in: its name in the State section and how to take it.
#[derive(Clone, Copy)]
pub struct Saved {
    /// The field's name (serde's; postcard stores no names, JSON does).
    pub field: &'static str,
    /// The field of a CPU.
    pub take: for<'a> fn(&'a Cpu) -> SavedField<'a>,
}

/// One register file of the CPU: one row of the register table.
#[derive(Clone, Copy)]
pub struct RegisterFile {
    /// The name people use (`A`, `VL`, `flags`); registers of a file of more than one
    /// are named by [`RegisterFile::register_name`].
    pub name: &'static str,
    /// What it is, for help texts.
    pub about: &'static str,
    /// Bits per register (or element).
    pub width: u32,
    /// Registers in the file.
    pub count: usize,
    /// Elements per register (64 for V, 1 otherwise).
    pub elements: usize,
    /// How a value is shown.
    pub shown: Shown,
    /// The value of register `index`, element `element`.
    pub read: fn(&Cpu, usize, usize) -> u64,
    /// The saved field this row is stored in, when it is the field's first row.
    pub saved: Option<Saved>,
}

impl RegisterFile {
    /// The name of register `index` of this file: `VL`, `A3`, `B07` (octal, as the
    /// B and T registers are numbered in Cray listings).
    pub fn register_name(&self, index: usize) -> String {
        match self.count {
            1 => self.name.to_string(),
            64 => format!("{}{index:02o}", self.name),
            _ => format!("{}{index}", self.name),
        }
    }

    /// The name of one element: the register's name, with the element when the
    /// registers have more than one (`V3 element 17`).
    pub fn element_name(&self, index: usize, element: usize) -> String {
        if self.elements == 1 {
            self.register_name(index)
        } else {
            format!("{} element {element}", self.register_name(index))
        }
    }

    /// `value` as people read this register.
    pub fn show(&self, value: u64) -> String {
        match self.shown {
            Shown::Octal => format!(
                "{value:0digits$o}",
                digits = self.width.div_ceil(3) as usize
            ),
            Shown::Decimal => value.to_string(),
            Shown::Bits(names) => bit_names(names, value),
            Shown::Model => model_of(value).name().to_string(),
            Shown::Hash => format!("xxh3 {value:016x}"),
        }
    }

    /// Every value of this file in `cpu`, register by register, element by element.
    pub fn values(&self, cpu: &Cpu) -> Vec<Vec<u64>> {
        (0..self.count)
            .map(|index| {
                (0..self.elements)
                    .map(|element| (self.read)(cpu, index, element))
                    .collect()
            })
            .collect()
    }
}

/// The names of the bits set in `value`; a bit without a name shows as `bit N`.
fn bit_names(names: &[&str], value: u64) -> String {
    let set: Vec<String> = (0..64)
        .filter(|bit| value >> bit & 1 == 1)
        .map(|bit| match names.get(bit) {
            Some(name) => name.to_string(),
            None => format!("bit {bit}"),
        })
        .collect();
    if set.is_empty() {
        "none".to_string()
    } else {
        set.join(",")
    }
}

/// The model a [`Shown::Model`] row reads as a number.
fn model_of(value: u64) -> Model {
    if value == 1 {
        Model::Cray1
    } else {
        Model::XMp
    }
}

/// The number a [`Shown::Model`] row reads for `model`.
fn model_number(model: Model) -> u64 {
    match model {
        Model::XMp => 0,
        Model::Cray1 => 1,
    }
}

/// The row named `name`, if there is one.
pub fn register_file(name: &str) -> Option<&'static RegisterFile> {
    REGISTERS.iter().find(|row| row.name == name)
}

/// A row of one register and one saved field of its own.
const fn single(
    name: &'static str,
    about: &'static str,
    width: u32,
    shown: Shown,
    read: fn(&Cpu, usize, usize) -> u64,
    field: &'static str,
    take: for<'a> fn(&'a Cpu) -> SavedField<'a>,
) -> RegisterFile {
    RegisterFile {
        name,
        about,
        width,
        count: 1,
        elements: 1,
        shown,
        read,
        saved: Some(Saved { field, take }),
    }
}

/// Every register file of the CPU, in the order the state is saved and hashed.
#[rustfmt::skip]
pub const REGISTERS: &[RegisterFile] = &[
    single("model", "machine model", 1, Shown::Model, |c, _, _| model_number(c.model), "model", |c| SavedField::Model(&c.model)),
    single("P", "program address (parcels)", 24, Shown::Octal, |c, _, _| c.p.into(), "p", |c| SavedField::Half(c.p)),
    RegisterFile {
        name: "A",
        about: "address registers",
        width: 24,
        count: 8,
        elements: 1,
        shown: Shown::Octal,
        read: |c, i, _| c.a[i].into(),
        saved: Some(Saved { field: "a", take: |c| SavedField::Addresses(&c.a) }),
    },
    RegisterFile {
        name: "S",
        about: "scalar registers",
        width: 64,
        count: 8,
        elements: 1,
        shown: Shown::Octal,
        read: |c, i, _| c.s[i],
        saved: Some(Saved { field: "s", take: |c| SavedField::Scalars(&c.s) }),
    },
    RegisterFile {
        name: "V",
        about: "vector registers",
        width: 64,
        count: 8,
        elements: 64,
        shown: Shown::Octal,
        read: |c, i, e| c.v[i][e],
        saved: Some(Saved { field: "v", take: |c| SavedField::Vectors(&c.v) }),
    },
    RegisterFile {
        name: "B",
        about: "intermediate address registers",
        width: 24,
        count: 64,
        elements: 1,
        shown: Shown::Octal,
        read: |c, i, _| c.b[i].into(),
        saved: Some(Saved { field: "b", take: |c| SavedField::Intermediate24(&c.b) }),
    },
    RegisterFile {
        name: "T",
        about: "intermediate scalar registers",
        width: 64,
        count: 64,
        elements: 1,
        shown: Shown::Octal,
        read: |c, i, _| c.t[i],
        saved: Some(Saved { field: "t", take: |c| SavedField::Intermediate64(&c.t) }),
    },
    single("VL", "vector length", 7, Shown::Decimal, |c, _, _| c.vl.into(), "vl", |c| SavedField::Half(c.vl)),
    single("VM", "vector mask", 64, Shown::Octal, |c, _, _| c.vm, "vm", |c| SavedField::Word(c.vm)),
    single("flags", "exchange flags", 11, Shown::Bits(&Flags::NAMES), |c, _, _| c.flags.0.into(), "flags", |c| SavedField::Flags(c.flags)),
    single("modes", "mode bits", 8, Shown::Bits(&Modes::NAMES), |c, _, _| c.modes.bits(), "modes", |c| SavedField::Modes(&c.modes)),
    single("IBA", "instruction base address", 24, Shown::Octal, |c, _, _| c.instruction_base.into(), "instruction_base", |c| SavedField::Half(c.instruction_base)),
    single("ILA", "instruction limit address", 24, Shown::Octal, |c, _, _| c.instruction_limit.into(), "instruction_limit", |c| SavedField::Half(c.instruction_limit)),
    single("DBA", "data base address", 24, Shown::Octal, |c, _, _| c.data_base.into(), "data_base", |c| SavedField::Half(c.data_base)),
    single("DLA", "data limit address", 24, Shown::Octal, |c, _, _| c.data_limit.into(), "data_limit", |c| SavedField::Half(c.data_limit)),
    single("XA", "exchange address", 24, Shown::Octal, |c, _, _| c.exchange_address.into(), "exchange_address", |c| SavedField::Half(c.exchange_address)),
    single("VNU", "vector not used", 1, Shown::Decimal, |c, _, _| c.vector_not_used.into(), "vector_not_used", |c| SavedField::Bool(c.vector_not_used)),
    single("clock interval", "programmable clock interval", 32, Shown::Decimal, |c, _, _| c.clock_interval.into(), "clock_interval", |c| SavedField::Half(c.clock_interval)),
    single("clock countdown", "programmable clock countdown", 32, Shown::Decimal, |c, _, _| c.clock_countdown.into(), "clock_countdown", |c| SavedField::Half(c.clock_countdown)),
    single("cluster", "cluster number", 8, Shown::Decimal, |c, _, _| c.shared.cluster.into(), "shared", |c| SavedField::Shared(&c.shared)),
    RegisterFile {
        name: "SB",
        about: "shared address registers",
        width: 24,
        count: 8,
        elements: 1,
        shown: Shown::Octal,
        read: |c, i, _| c.shared.sb[i].into(),
        saved: None,
    },
    RegisterFile {
        name: "ST",
        about: "shared scalar registers",
        width: 64,
        count: 8,
        elements: 1,
        shown: Shown::Octal,
        read: |c, i, _| c.shared.st[i],
        saved: None,
    },
    RegisterFile {
        name: "SM",
        about: "semaphores (SM0 is bit 31)",
        width: 32,
        count: 1,
        elements: 1,
        shown: Shown::Octal,
        read: |c, _, _| c.shared.semaphores.into(),
        saved: None,
    },
    single("cycles", "clock periods elapsed", 64, Shown::Decimal, |c, _, _| c.cycles, "cycles", |c| SavedField::Word(c.cycles)),
    single("instructions", "instructions issued", 64, Shown::Decimal, |c, _, _| c.instructions, "instructions", |c| SavedField::Word(c.instructions)),
    single("RT offset", "real-time clock offset", 64, Shown::Decimal, |c, _, _| c.rt_offset, "rt_offset", |c| SavedField::Word(c.rt_offset)),
    single("PS", "program state", 1, Shown::Decimal, |c, _, _| c.program_state.into(), "program_state", |c| SavedField::Bool(c.program_state)),
    single("WS", "waiting on semaphore", 1, Shown::Decimal, |c, _, _| c.waiting_on_semaphore.into(), "waiting_on_semaphore", |c| SavedField::Bool(c.waiting_on_semaphore)),
    single("SEI", "selected for external interrupts", 1, Shown::Decimal, |c, _, _| c.external_interrupts.into(), "external_interrupts", |c| SavedField::Bool(c.external_interrupts)),
    single("ESVL", "second vector logical unit enabled", 1, Shown::Decimal, |c, _, _| c.second_vector_logical.into(), "second_vector_logical", |c| SavedField::Bool(c.second_vector_logical)),
    single("PN", "processor number", 2, Shown::Decimal, |c, _, _| c.processor_number.into(), "processor_number", |c| SavedField::Byte(c.processor_number)),
    single("timing", "timing model state", 64, Shown::Hash, |c, _, _| crate::snapshot::state_hash(&c.timing), "timing", |c| SavedField::Timing(&c.timing)),
];

/// The fields of the State section, in table order.
fn saved_fields() -> impl Iterator<Item = &'static Saved> {
    REGISTERS.iter().filter_map(|row| row.saved.as_ref())
}

impl Serialize for Cpu {
    /// The CPU's saved fields in table order. `Deserialize` is derived and reads the
    /// fields in declaration order; `saved_order_is_declaration_order` keeps the two
    /// the same.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Cpu", saved_fields().count())?;
        for saved in saved_fields() {
            state.serialize_field(saved.field, &(saved.take)(self))?;
        }
        state.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CPU with a different value in every field, so a field saved twice or out of
    /// place shows.
    fn busy_cpu() -> Cpu {
        let mut cpu = Cpu::new(Model::Cray1, 0o1000);
        cpu.p = 0o17;
        cpu.a[3] = 0o7654321;
        cpu.s[5] = u64::MAX - 3;
        cpu.v[7][63] = 0o1234;
        cpu.b[0o77] = 9;
        cpu.t[0o41] = 10;
        cpu.vl = 17;
        cpu.vm = 1 << 63;
        cpu.flags = Flags(Flags::ERROR_EXIT | Flags::DEADLOCK);
        cpu.modes.monitor = true;
        cpu.modes.clock_interrupts = true;
        cpu.instruction_base = 0o100;
        cpu.data_limit = 0o777;
        cpu.data_base = 0o40;
        cpu.exchange_address = 3;
        cpu.clock_interval = 12;
        cpu.clock_countdown = 11;
        cpu.shared = SharedRegisters {
            cluster: 2,
            sb: [4; 8],
            st: [5; 8],
            semaphores: 6,
        };
        cpu.cycles = 123;
        cpu.rt_offset = 7;
        cpu.waiting_on_semaphore = true;
        cpu.processor_number = 3;
        cpu
    }

    #[test]
    fn saved_order_is_declaration_order() {
        // The derived Deserialize reads fields in declaration order; postcard has no
        // field names, so a table out of that order would restore garbage.
        let cpu = busy_cpu();
        let bytes = postcard::to_allocvec(&cpu).unwrap();
        let back: Cpu = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, cpu);
        let mut declared = Vec::new();
        let _ = Cpu::deserialize(FieldNames(&mut declared));
        let table: Vec<&str> = saved_fields().map(|s| s.field).collect();
        assert_eq!(table, declared);
    }

    #[test]
    fn every_row_reads_and_shows_every_register() {
        let cpu = busy_cpu();
        let a = register_file("A").unwrap();
        assert_eq!(a.register_name(3), "A3");
        assert_eq!(a.show((a.read)(&cpu, 3, 0)), "07654321");
        let b = register_file("B").unwrap();
        assert_eq!(b.register_name(0o77), "B77");
        let v = register_file("V").unwrap();
        assert_eq!(v.element_name(7, 63), "V7 element 63");
        assert_eq!((v.read)(&cpu, 7, 63), 0o1234);
        let flags = register_file("flags").unwrap();
        assert_eq!(flags.show((flags.read)(&cpu, 0, 0)), "error exit,deadlock");
        let modes = register_file("modes").unwrap();
        assert_eq!(
            modes.show((modes.read)(&cpu, 0, 0)),
            "monitor,clock interrupts"
        );
        let model = register_file("model").unwrap();
        assert_eq!(model.show((model.read)(&cpu, 0, 0)), "cray1");
        assert_eq!((register_file("SM").unwrap().read)(&cpu, 0, 0), 6);
        let names: std::collections::BTreeSet<&str> = REGISTERS.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), REGISTERS.len(), "two rows share a name");
    }

    /// A deserializer that records the field names a derived `Deserialize` asks for.
    struct FieldNames<'a>(&'a mut Vec<&'static str>);

    impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
        type Error = serde::de::value::Error;

        fn deserialize_any<V: serde::de::Visitor<'de>>(
            self,
            _: V,
        ) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("only a struct is expected"))
        }

        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0.extend(fields);
            Err(serde::de::Error::custom("names recorded"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            enum identifier ignored_any
        }
    }
}
