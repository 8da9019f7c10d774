//! Operand fetch with the "register 0" rules of ISA.md 1.2, and the conditions under
//! which a raised flag becomes an exchange.

use super::{Cpu, Flags, Stop};
use crate::isa::Instruction;

/// A, B and SB registers are 24 bits wide.
pub(crate) const A_MASK: u32 = 0xFF_FFFF;

/// Sign-extends a 24-bit A value to 64 bits.
#[inline(always)]
pub(crate) fn sign_extend_24(value: u32) -> u64 {
    (((value as i32) << 8) >> 8) as i64 as u64
}

impl Cpu {
    /// Aj as an operand: j = 0 reads 0.
    #[inline(always)]
    pub(crate) fn aj(&self, instruction: Instruction) -> u32 {
        let j = instruction.j();
        if j == 0 {
            0
        } else {
            self.a[j]
        }
    }

    /// Ak as an operand: k = 0 reads 1.
    #[inline(always)]
    pub(crate) fn ak(&self, instruction: Instruction) -> u32 {
        let k = instruction.k();
        if k == 0 {
            1
        } else {
            self.a[k]
        }
    }

    /// Ah as the index of 10h..13h: h = 0 reads 0.
    #[inline(always)]
    pub(crate) fn ah(&self, instruction: Instruction) -> u32 {
        let h = instruction.h();
        if h == 0 {
            0
        } else {
            self.a[h]
        }
    }

    /// Sj as an operand: j = 0 reads 0.
    #[inline(always)]
    pub(crate) fn sj(&self, instruction: Instruction) -> u64 {
        let j = instruction.j();
        if j == 0 {
            0
        } else {
            self.s[j]
        }
    }

    /// Sk as an operand: k = 0 reads 2^63 (SB, the sign bit).
    #[inline(always)]
    pub(crate) fn sk(&self, instruction: Instruction) -> u64 {
        let k = instruction.k();
        if k == 0 {
            1 << 63
        } else {
            self.s[k]
        }
    }

    /// Writes Ai, keeping 24 bits.
    #[inline(always)]
    pub(crate) fn set_ai(&mut self, instruction: Instruction, value: u32) {
        self.a[instruction.i()] = value & A_MASK;
    }

    /// Writes Si.
    #[inline(always)]
    pub(crate) fn set_si(&mut self, instruction: Instruction, value: u64) {
        self.s[instruction.i()] = value;
    }

    /// Whether raising `flag` now requests an exchange (ISA.md 1.5). Exits and the
    /// program range error always do (there is nothing to continue with); operand
    /// range and floating-point errors only when their interrupt mode is set and, in
    /// monitor mode, interrupt-monitor mode is set too; the programmable clock only
    /// when enabled and outside monitor mode.
    #[inline]
    pub(crate) fn exchange_enabled(&self, flag: u16) -> bool {
        let outside_monitor = !self.modes.monitor || self.modes.interrupt_monitor;
        match flag {
            Flags::OPERAND_RANGE => self.modes.interrupt_on_range && outside_monitor,
            Flags::FLOATING_POINT => self.modes.interrupt_on_float && outside_monitor,
            Flags::PROGRAMMABLE_CLOCK => self.modes.clock_interrupts && !self.modes.monitor,
            _ => true,
        }
    }

    /// Records a floating-point error of the instruction at `at` (already completed,
    /// P past it): sets the error status mode bit and the flag, and requests the
    /// exchange when floating-point interrupts are enabled.
    #[cold]
    pub(crate) fn float_error(&mut self, at: u32) -> Result<(), Stop> {
        self.modes.float_error_status = true;
        self.flags.set(Flags::FLOATING_POINT);
        if self.exchange_enabled(Flags::FLOATING_POINT) {
            Err(Stop::Exchange {
                flags: Flags(Flags::FLOATING_POINT),
                at,
            })
        } else {
            Ok(())
        }
    }

    /// Counts the programmable clock down by `periods`; at zero it raises its flag,
    /// reloads, and requests an exchange when clock interrupts are enabled.
    #[cold]
    pub(crate) fn tick_programmable_clock(&mut self, periods: u64) -> Result<(), Stop> {
        let periods = u32::try_from(periods).unwrap_or(u32::MAX);
        if self.clock_countdown > periods {
            self.clock_countdown -= periods;
            return Ok(());
        }
        self.clock_countdown = self.clock_interval;
        self.flags.set(Flags::PROGRAMMABLE_CLOCK);
        if self.exchange_enabled(Flags::PROGRAMMABLE_CLOCK) {
            Err(Stop::Exchange {
                flags: Flags(Flags::PROGRAMMABLE_CLOCK),
                at: self.p,
            })
        } else {
            Ok(())
        }
    }
}
