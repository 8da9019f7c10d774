//! CAL's value-driven encoding choices (ISA.md section 7.5) and alternative
//! spellings that the opcode table does not list as rows.
//!
//! * `Ai exp`: −1 → `031i00`; 0..63 → `022ijk`; other positive → `020i jkm`;
//!   negative → `021i jkm` with jkm = ¬value. Addresses, externals and forward
//!   references always take `020`.
//! * `Si exp`: 0 → `043i00`; 1 → `042i77`; −1 → `042i00`; other positive → `040`;
//!   negative → `041` with jkm = ¬value; addresses and externals → `040`.
//! * Extension (written by the disassembler): a leading unary `+` (`A2 +5`,
//!   `S1 +1`, `A2 +#0`) forces the two-parcel form, `020`/`040` for a value ≥ 0 and
//!   `021`/`041` for a negative one.
//! * `Si <n` → `042` with jk = 64−n, except `<0` → `043i00`; `Si >n` → `043` with
//!   jk = n, except `>64` → `042i00`; `Si #<n` ≡ `Si >64−n`; `Si #>n` ≡ `Si <64−n`.
//! * `S0 Si>0` → `052000`, as the COS-Tools listing shows (an assembler quirk kept
//!   for byte-exactness); `Si Si>0` → `054i00` (shift by zero).
//! * `Vi 0` → `145iii`; `IP 1` → `001401`, `IP 0` → `001402`.
//! * Spellings: `0,A0` for `,A0`; `exp,0` for `exp,` (h = 0); `SB&Sj`, `SB!Sj`,
//!   `SB\Sj`, `SB+Sj`, `#SB\Sj` for the commuted rows.

use crate::error::{PResult, Problem};
use crate::expr::{self, Env};
use crate::matcher::{match_syntax, register_number, Capture, Encoded, Src};

/// Largest jkm constant.
const JKM_MAX: i64 = (1 << 22) - 1;

fn one(p1: u16) -> Encoded {
    Encoded {
        parcels: vec![p1],
        relocatable: false,
        forward: false,
    }
}

fn capture_of(captures: &[Capture], field: cray_emulator::isa::syntax::Placeholder) -> &Capture {
    captures
        .iter()
        .find(|c| c.field == field)
        .expect("syntax string has the placeholder")
}

fn count(capture: &Capture, env: &dyn Env) -> PResult<i64> {
    let v = expr::evaluate(&capture.text, capture.column, env, false)?;
    if v.is_relocatable() {
        return Err(Problem::new(
            capture.column,
            "a shift or mask count cannot be an address",
        ));
    }
    Ok(if v.undefined { 1 } else { v.value })
}

/// Special forms tried before the table rows. `None` when none applies.
pub fn special(result: Src<'_>, operand: Src<'_>, env: &dyn Env) -> Option<PResult<Encoded>> {
    use cray_emulator::isa::syntax::Placeholder::*;
    let r = result.text.to_ascii_uppercase();
    let o = operand.text.to_ascii_uppercase();
    if r == "IP" && (o == "1" || o == "0") {
        return Some(Ok(one(if o == "1" { 0o001401 } else { 0o001402 })));
    }
    if let Some(c) = match_syntax("V{i} 0", result, operand) {
        return Some(register_number(&c[0], env).map(|i| {
            let i = i as u16;
            one(0o145000 | (i << 6) | (i << 3) | i)
        }));
    }
    for (syntax, right, complement) in [
        ("S{i} >{jk#}", false, false),
        ("S{i} <{jk#}", true, false),
        ("S{i} #<{jk#}", false, true),
        ("S{i} #>{jk#}", true, true),
    ] {
        if let Some(c) = match_syntax(syntax, result, operand) {
            return Some((|| {
                let i = register_number(capture_of(&c, RegI), env)? as u16;
                let n_capture = capture_of(&c, ConstJk);
                let n = count(n_capture, env)?;
                if !(0..=64).contains(&n) {
                    return Err(Problem::new(
                        n_capture.column,
                        "mask count out of range; expected 0..100 (octal)",
                    ));
                }
                // `#<n` is `>64-n` and `#>n` is `<64-n`.
                let n = if complement { 64 - n } else { n };
                Ok(one(mask_parcel(i, right, n as u16)))
            })());
        }
    }
    for (syntax, base) in [
        ("S0 S{i}>{jk#}", 0o052000u16),
        ("S{i} S{i}>{jk#}", 0o054000),
    ] {
        if let Some(c) = match_syntax(syntax, result, operand) {
            match count(capture_of(&c, ConstJk), env) {
                Ok(0) => {
                    let i = match register_number(capture_of(&c, RegI), env) {
                        Ok(i) => i as u16,
                        Err(e) => return Some(Err(e)),
                    };
                    // The listing shows `S0 S1>0` as 052000: i is dropped.
                    let i = if base == 0o052000 { 0 } else { i };
                    return Some(Ok(one(base | (i << 6))));
                }
                // Anything else (including `Ak` counts) is for the table rows.
                _ => return None,
            }
        }
    }
    None
}

/// The parcel of a mask of `n` ones (0..=64), right-justified (`<n`, 042 with
/// jk = 64−n) or left-justified (`>n`, 043 with jk = n); no ones is `043i00` and
/// 64 ones is `042i00` either way.
fn mask_parcel(i: u16, right: bool, n: u16) -> u16 {
    match (right, n) {
        (_, 0) => 0o043000 | (i << 6),
        (_, 64) => 0o042000 | (i << 6),
        (true, n) => 0o042000 | (i << 6) | (64 - n),
        (false, n) => 0o043000 | (i << 6) | n,
    }
}

/// Alternative spellings of a field, tried when the field as written matches no
/// row: `0,A0...` for `,A0...`, a trailing `,0` for `,`, and commuted `SB` operands.
pub fn respellings(text: &str) -> Vec<String> {
    let upper = text.to_ascii_uppercase();
    let mut out = Vec::new();
    if upper.starts_with("0,A0") {
        out.push(text[1..].to_string());
    }
    if upper.ends_with(",0") && !upper.ends_with(",A0") {
        out.push(text[..text.len() - 1].to_string());
    }
    if let Some(rest) = upper.strip_prefix("#SB\\") {
        out.push(format!("#{rest}\\SB"));
    }
    for op in ["&", "!", "\\", "+"] {
        if let Some(rest) = upper.strip_prefix(&format!("SB{op}")) {
            out.push(format!("{rest}{op}SB"));
        }
    }
    out
}

/// `Ai exp` and `Si exp`, tried after the table rows. `force_long` keeps the
/// two-parcel form chosen in the first pass for a forward reference.
pub fn constant(
    result: Src<'_>,
    operand: Src<'_>,
    env: &dyn Env,
    force_long: bool,
) -> Option<PResult<Encoded>> {
    use cray_emulator::isa::syntax::Placeholder::*;
    for (syntax, scalar) in [("A{i} {jkm#}", false), ("S{i} {jkm#}", true)] {
        let Some(c) = match_syntax(syntax, result, operand) else {
            continue;
        };
        return Some((|| {
            let i = register_number(capture_of(&c, RegI), env)? as u16;
            let capture = capture_of(&c, ConstJkm);
            let plus = capture.text.starts_with('+');
            let v = expr::evaluate(&capture.text, capture.column, env, false)?;
            let relocatable = v.is_relocatable();
            let long = plus || relocatable || v.undefined || force_long;
            let value = v.value;
            let g: u16 = if scalar { 0o040000 } else { 0o020000 };
            let two = |complement: bool, jkm: i64| -> Encoded {
                let jkm = (jkm as u64 & JKM_MAX as u64) as u32;
                let p1 = g | if complement { 0o1000 } else { 0 } | (i << 6) | (jkm >> 16) as u16;
                Encoded {
                    parcels: vec![p1, jkm as u16],
                    relocatable,
                    forward: v.undefined,
                }
            };
            let too_wide = || {
                let shown = crate::listing::signed_octal(value);
                Problem::new(
                    capture.column,
                    format!(
                        "value {shown} (octal) does not fit a 22-bit constant (or its complement); use a literal `=...` and a memory load"
                    ),
                )
            };
            if relocatable || v.undefined {
                return Ok(two(false, value));
            }
            if long {
                return if (0..=JKM_MAX).contains(&value) {
                    Ok(two(false, value))
                } else if (0..=JKM_MAX).contains(&!value) {
                    Ok(two(true, !value))
                } else {
                    Err(too_wide())
                };
            }
            if scalar {
                match value {
                    0 => return Ok(one(0o043000 | (i << 6))),
                    1 => return Ok(one(0o042077 | (i << 6))),
                    -1 => return Ok(one(0o042000 | (i << 6))),
                    _ => {}
                }
            } else {
                match value {
                    -1 => return Ok(one(0o031000 | (i << 6))),
                    0..=63 => return Ok(one(0o022000 | (i << 6) | value as u16)),
                    _ => {}
                }
            }
            if (0..=JKM_MAX).contains(&value) {
                Ok(two(false, value))
            } else if (0..=JKM_MAX).contains(&!value) {
                Ok(two(true, !value))
            } else if !scalar && (0o30000000..=0o77777777).contains(&value) {
                // A 24-bit A-register value with its top two bits set is a
                // complemented 22-bit constant.
                Ok(two(true, !value))
            } else {
                Err(too_wide())
            }
        })());
    }
    None
}
