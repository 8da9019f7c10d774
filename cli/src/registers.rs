//! The CPU's register table as `cray` shows it: differences for `diff`, rows for
//! `debug`'s `regs`, and the `registers` object of `inspect --json`. Every register
//! comes from [`REGISTERS`], so one added there appears in all three.

use cray_emulator::cpu::registers::{register_file, RegisterFile, Shown, REGISTERS};
use cray_emulator::cpu::Cpu;
use serde_json::{json, Value};

/// Differing elements of one vector register shown one by one; the rest are counted.
const ELEMENTS_SHOWN: usize = 4;

/// One line per register (or vector element) whose value differs between `x` and `y`,
/// named as the table names it: `A1 00000005 -> 00000007`.
pub fn register_differences(x: &Cpu, y: &Cpu) -> Vec<String> {
    let mut lines = Vec::new();
    for row in REGISTERS {
        for index in 0..row.count {
            lines.extend(register_file_differences(row, index, x, y));
        }
    }
    lines
}

/// The differing elements of register `index` of `row`.
fn register_file_differences(row: &RegisterFile, index: usize, x: &Cpu, y: &Cpu) -> Vec<String> {
    let differing: Vec<(usize, u64, u64)> = (0..row.elements)
        .map(|element| {
            let read = |cpu| (row.read)(cpu, index, element);
            (element, read(x), read(y))
        })
        .filter(|(_, a, b)| a != b)
        .collect();
    let mut lines: Vec<String> = differing
        .iter()
        .take(ELEMENTS_SHOWN)
        .map(|&(element, a, b)| {
            let name = row.element_name(index, element);
            format!("{name} {} -> {}", row.show(a), row.show(b))
        })
        .collect();
    if differing.len() > ELEMENTS_SHOWN {
        lines.push(format!(
            "{}: {} more elements differ",
            row.register_name(index),
            differing.len() - ELEMENTS_SHOWN
        ));
    }
    lines
}

/// `names` registers of `cpu` as `NAME VALUE` pairs (`A3 00000017`), file by file,
/// `per_line` to a line; a name of a file of several registers stands for them all.
pub fn register_lines(cpu: &Cpu, names: &[&str]) -> Vec<String> {
    let mut cells = Vec::new();
    let mut lines = Vec::new();
    for row in names.iter().filter_map(|name| register_file(name)) {
        let per_line = if row.count == 1 {
            names.len()
        } else if row.width <= 32 {
            4
        } else {
            2
        };
        for index in 0..row.count {
            let value = (row.read)(cpu, index, 0);
            cells.push(format!("{} {}", row.register_name(index), row.show(value)));
            if cells.len() == per_line || (row.count > 1 && index + 1 == row.count) {
                lines.push(std::mem::take(&mut cells).join("  "));
            }
        }
    }
    if !cells.is_empty() {
        lines.push(cells.join("  "));
    }
    lines
}

/// Every register of `cpu` as a JSON object, keyed by the table's names: a number for
/// a register shown in decimal, a string otherwise; an array for a file of several
/// registers, an array of arrays for vector registers.
pub fn registers_json(cpu: &Cpu) -> Value {
    let mut object = serde_json::Map::new();
    for row in REGISTERS {
        let registers: Vec<Value> = row
            .values(cpu)
            .into_iter()
            .map(|elements| {
                let mut elements: Vec<Value> =
                    elements.into_iter().map(|v| value_json(row, v)).collect();
                if elements.len() == 1 {
                    elements.remove(0)
                } else {
                    Value::Array(elements)
                }
            })
            .collect();
        let value = match <[Value; 1]>::try_from(registers) {
            Ok([one]) => one,
            Err(many) => Value::Array(many),
        };
        object.insert(row.name.to_string(), value);
    }
    Value::Object(object)
}

/// One value of `row` in JSON.
fn value_json(row: &RegisterFile, value: u64) -> Value {
    match row.shown {
        Shown::Decimal => json!(value),
        _ => json!(row.show(value)),
    }
}
