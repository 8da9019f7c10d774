//! Control: exits, undefined instructions, monitor-mode instructions, vector length,
//! semaphores and shared registers (X-MP clusters), the clocks and SR0.

use super::operands::A_MASK;
use super::{Cpu, Flags, Stop};
use crate::isa::{Instruction, Op};

/// Number of semaphores per cluster (SM0..SM37 octal).
const SEMAPHORES: usize = 32;

impl Cpu {
    /// EX (004) and ERR (000): raise the exit flag and request the exchange; P is
    /// already past the instruction, `at` addresses it.
    #[inline]
    pub(crate) fn exit(&mut self, flag: u16, at: u32) -> Result<(), Stop> {
        self.flags.set(flag);
        Err(Stop::Exchange {
            flags: Flags(flag),
            at,
        })
    }

    /// An encoding that is no instruction of the model (including X-MP-only forms on
    /// the Cray-1).
    ///
    /// **Assumption:** the hardware treats unused opcodes as an error exit (our reading
    /// of the X-MP manuals; not verified). We raise ERROR_EXIT and request the exchange
    /// with P left at the undefined instruction, so the monitor sees where it is.
    #[cold]
    pub(crate) fn undefined(&mut self, at: u32) -> Result<(), Stop> {
        self.p = at;
        self.flags.set(Flags::ERROR_EXIT);
        Err(Stop::Exchange {
            flags: Flags(Flags::ERROR_EXIT),
            at,
        })
    }

    /// 001..0014: channel, exchange-address, clock, cluster and inter-processor
    /// instructions. They act only in monitor mode; in user mode they are no-ops.
    /// Channels do not exist here (the system does I/O in Rust), so channel
    /// instructions are no-ops in monitor mode too; so is sending an inter-processor
    /// interrupt, as this CPU has no partner.
    #[cold]
    pub(crate) fn monitor_instruction(&mut self, x: Instruction) {
        if !self.modes.monitor {
            return;
        }
        match x.op {
            Op::SetExchangeAddress => self.exchange_address = (self.aj(x) >> 4) & 0o377,
            Op::SetRealTimeClock => self.rt_offset = self.sj(x).wrapping_sub(self.cycles),
            Op::ClearInterprocessorInterrupt => self.flags.clear(Flags::INTERPROCESSOR),
            Op::SetCluster => self.shared.cluster = x.j() as u8,
            Op::LoadClockInterval => {
                self.clock_interval = self.sj(x) as u32;
                self.clock_countdown = self.clock_interval;
            }
            Op::ClearClockInterrupt => self.flags.clear(Flags::PROGRAMMABLE_CLOCK),
            Op::EnableClockInterrupt => self.modes.clock_interrupts = true,
            Op::DisableClockInterrupt => self.modes.clock_interrupts = false,
            _ => {}
        }
    }

    /// 0020jk `VL Ak`: the low 6 bits of Ak, with 0 meaning 64 (ISA.md 4.9).
    #[inline]
    pub(crate) fn set_vector_length(&mut self, x: Instruction) {
        let length = self.ak(x) & 0o77;
        self.vl = if length == 0 { 64 } else { length };
    }

    /// The semaphore bit selected by jk (SM0 is bit 31). Only 32 semaphores exist;
    /// jk is taken modulo 32 (an assumption for jk >= 040).
    #[inline]
    fn semaphore_bit(x: Instruction) -> u32 {
        1 << (SEMAPHORES - 1 - (x.jk() % SEMAPHORES))
    }

    /// 0034jk test-and-set. Outside a cluster it is a no-op. If the semaphore is set,
    /// issue holds: P stays on the instruction and [`Stop::SemaphoreWait`] lets the
    /// system run another CPU or process (it decides about deadlock, which needs
    /// knowledge of the other CPUs of the cluster).
    #[inline]
    pub(crate) fn semaphore_test_set(&mut self, x: Instruction, at: u32) -> Result<(), Stop> {
        if self.shared.cluster == 0 {
            return Ok(());
        }
        let bit = Self::semaphore_bit(x);
        if self.shared.semaphores & bit != 0 {
            self.p = at;
            self.waiting_on_semaphore = true;
            return Err(Stop::SemaphoreWait);
        }
        self.waiting_on_semaphore = false;
        self.shared.semaphores |= bit;
        Ok(())
    }

    /// 0036jk / 0037jk: clear or set a semaphore (ignored outside a cluster).
    #[inline]
    pub(crate) fn semaphore_write(&mut self, x: Instruction, set: bool) {
        if self.shared.cluster == 0 {
            return;
        }
        let bit = Self::semaphore_bit(x);
        if set {
            self.shared.semaphores |= bit;
        } else {
            self.shared.semaphores &= !bit;
        }
    }

    /// 072i02 `Si SM`: SM0..SM37 in bits 2^63..2^32.
    #[inline]
    pub(crate) fn read_semaphores(&mut self, x: Instruction) {
        let value = if self.shared.cluster == 0 {
            0
        } else {
            u64::from(self.shared.semaphores) << 32
        };
        self.set_si(x, value);
    }

    /// 073i02 `SM Si`.
    #[inline]
    pub(crate) fn write_semaphores(&mut self, x: Instruction) {
        if self.shared.cluster != 0 {
            self.shared.semaphores = (self.s[x.i()] >> 32) as u32;
        }
    }

    /// 072ij3 `Si STj`.
    #[inline]
    pub(crate) fn read_shared_t(&mut self, x: Instruction) {
        let value = if self.shared.cluster == 0 {
            0
        } else {
            self.shared.st[x.j()]
        };
        self.set_si(x, value);
    }

    /// 073ij3 `STj Si`.
    #[inline]
    pub(crate) fn write_shared_t(&mut self, x: Instruction) {
        if self.shared.cluster != 0 {
            self.shared.st[x.j()] = self.s[x.i()];
        }
    }

    /// The real-time clock: clock periods elapsed plus the offset `RT Sj` set.
    #[inline]
    pub fn real_time_clock(&self) -> u64 {
        self.cycles.wrapping_add(self.rt_offset)
    }

    /// Status register SR0 (ISA.md 1.7).
    pub fn status_register(&self) -> u64 {
        let bit = |on: bool, weight: u32| if on { 1u64 << weight } else { 0 };
        bit(self.shared.cluster != 0, 63)
            | bit(self.program_state, 57)
            | bit(self.modes.float_error_status, 51)
            | bit(self.modes.interrupt_on_float, 50)
            | bit(self.modes.interrupt_on_range, 49)
            | bit(self.modes.bidirectional_memory, 48)
            | (u64::from(self.processor_number & 0o37) << 40)
            | (u64::from(self.shared.cluster & 0o77) << 32)
    }

    /// Sets P to a 24-bit parcel address (helper for tests and the system).
    pub fn set_p(&mut self, parcel: u32) {
        self.p = parcel & A_MASK;
    }
}
