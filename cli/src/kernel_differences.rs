//! What differs in the kernel state of two images, field by field, for `cray diff`:
//! a process's descriptors, signals and scheduling state, the open descriptions,
//! pipes and terminal input, the scheduler's fields, COS job state.
//!
//! Both states are compared as the JSON their serde derives give, so a field added to
//! the kernel is compared without a line here. Registers and memory are compared
//! elsewhere (the register table, memory ranges) and left out.

use cray_emulator::memory::Memory;
use cray_emulator::{Process, System};
use serde_json::Value;

/// Differences listed per process or for the kernel before the rest are counted.
const LINES_SHOWN: usize = 32;

/// The kernel fields of process `x` that differ from `y`'s: `signals.pending 0 -> 4`.
pub fn process_differences(x: &Process, y: &Process) -> Vec<String> {
    shown(differences(&process_fields(x), &process_fields(y)))
}

/// The kernel-wide fields that differ between `x` and `y`, processes aside.
pub fn system_differences(x: &System, y: &System) -> Vec<String> {
    let mut found = differences(&system_fields(x), &system_fields(y));
    let decks = |s: &System| serde_json::to_value(&s.cos_decks).unwrap_or(Value::Null);
    found.extend(
        differences(&decks(x), &decks(y))
            .into_iter()
            .map(|line| format!("COS deck job {line}")),
    );
    shown(found)
}

/// `lines`, cut to [`LINES_SHOWN`] with a count of the rest.
fn shown(mut lines: Vec<String>) -> Vec<String> {
    if lines.len() > LINES_SHOWN {
        let more = lines.len() - LINES_SHOWN;
        lines.truncate(LINES_SHOWN);
        lines.push(format!("and {more} more fields differ"));
    }
    lines
}

/// A process's fields as JSON, without its registers and memory.
fn process_fields(process: &Process) -> Value {
    let mut bare = process.clone();
    bare.memory = Memory::default();
    let mut value = serde_json::to_value(&bare).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut value {
        fields.remove("cpu");
        fields.remove("memory");
    }
    value
}

/// The system's fields as JSON, without its processes (compared one by one; their
/// memory would make a JSON value of millions of nodes).
fn system_fields(system: &System) -> Value {
    let mut bare = system.clone();
    bare.processes.clear();
    let mut value = serde_json::to_value(&bare).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut value {
        fields.remove("processes");
    }
    value
}

/// Every leaf where `x` and `y` differ, as `path old -> new` lines, paths named the
/// way people say them (`pipe 3 buffer`, `description 5 offset`).
fn differences(x: &Value, y: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    walk(&mut Vec::new(), x, y, &mut lines);
    lines
}

/// Compares `x` and `y` below `path`, appending a line per differing leaf.
fn walk(path: &mut Vec<String>, x: &Value, y: &Value, lines: &mut Vec<String>) {
    match (x, y) {
        _ if x == y => {}
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                path.push(key.clone());
                let missing = Value::Null;
                walk(
                    path,
                    a.get(key).unwrap_or(&missing),
                    b.get(key).unwrap_or(&missing),
                    lines,
                );
                path.pop();
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (index, (a, b)) in a.iter().zip(b).enumerate() {
                path.push(index.to_string());
                walk(path, a, b, lines);
                path.pop();
            }
        }
        _ => lines.push(format!("{} {} -> {}", spoken(path), brief(x), brief(y))),
    }
}

/// A JSON path as people name the thing: `files.pipes.3.buffer` is `pipe 3 buffer`.
fn spoken(path: &[String]) -> String {
    const NAMES: [(&[&str], &str); 5] = [
        (&["files", "open"], "description"),
        (&["files", "pipes"], "pipe"),
        (&["files", "terminal"], "terminal input"),
        (&["fds"], "descriptor"),
        (&["signals", "handlers"], "signal handler"),
    ];
    for (prefix, name) in NAMES {
        if path.len() >= prefix.len() && path.iter().zip(prefix).all(|(a, b)| a == b) {
            let rest = &path[prefix.len()..];
            return std::iter::once(name.to_string())
                .chain(rest.iter().cloned())
                .collect::<Vec<_>>()
                .join(" ");
        }
    }
    if path.is_empty() {
        "state".to_string()
    } else {
        path.join(".")
    }
}

/// A value in at most 60 characters (a pipe's buffer can be long).
fn brief(value: &Value) -> String {
    let text = match value {
        Value::Null => "(none)".to_string(),
        Value::Array(items) if items.len() > 8 => format!("[{} items]", items.len()),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(59).collect::<String>())
    } else {
        text
    }
}
