//! A-register instructions that touch more than the A file: shared B registers
//! (X-MP clusters) and channel status reads.

use super::operands::A_MASK;
use super::Cpu;
use crate::isa::Instruction;

impl Cpu {
    /// 026ij7 `Ai SBj`: 0 when the CPU is in no cluster.
    #[inline]
    pub(crate) fn read_shared_b(&mut self, x: Instruction) {
        let value = if self.shared.cluster == 0 {
            0
        } else {
            self.shared.sb[x.j()]
        };
        self.set_ai(x, value);
    }

    /// 027ij7 `SBj Ai`: ignored when the CPU is in no cluster.
    #[inline]
    pub(crate) fn write_shared_b(&mut self, x: Instruction) {
        if self.shared.cluster != 0 {
            self.shared.sb[x.j()] = self.a[x.i()] & A_MASK;
        }
    }

    /// 033 `Ai CI`, `Ai CA,Aj`, `Ai CE,Aj`: this machine has no I/O channels (the
    /// system does I/O in Rust), so no channel ever interrupts, has an address or an
    /// error: Ai <- 0.
    #[inline]
    pub(crate) fn read_channel(&mut self, x: Instruction) {
        self.set_ai(x, 0);
    }
}
