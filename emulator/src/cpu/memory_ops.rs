//! Data references: relocation by the data base, the operand range check against the
//! data limit and memory (ISA.md 1.4), and the scalar (10h..13h), block (034..037)
//! and vector (176, 177) transfers.
//!
//! An out-of-range reference raises OPERAND_RANGE. With range interrupts enabled the
//! instruction is abandoned (words already moved by a block or vector transfer stay
//! moved), P is put back on it and the exchange is requested. Otherwise the reference
//! reads 0 or its store is dropped, and execution continues.

use super::operands::A_MASK;
use super::{Cpu, Flags, Stop};
use crate::isa::Instruction;
use crate::memory::Memory;

/// Scalar addresses are 22 bits unless enhanced addressing is on.
const SHORT_ADDRESS_MASK: u32 = 0x3F_FFFF;

/// Address of element `e` of a strided transfer: A0 + e*stride, 24-bit arithmetic.
#[inline(always)]
fn stride_address(base: u32, stride: u32, e: usize) -> u32 {
    base.wrapping_add((e as u32).wrapping_mul(stride)) & A_MASK
}

/// Address of an element of a gather or scatter: A0 + its index word, 24-bit arithmetic.
#[inline(always)]
fn index_address(base: u32, index: u64) -> u32 {
    base.wrapping_add(index as u32) & A_MASK
}

impl Cpu {
    /// Physical word index of data address `address`, if inside the data field and
    /// memory.
    #[inline(always)]
    fn data_index(&self, address: u32, memory: &Memory) -> Option<usize> {
        let physical = u64::from(address) + u64::from(self.data_base);
        (physical < u64::from(self.data_limit) && physical < memory.len() as u64)
            .then_some(physical as usize)
    }

    /// Raises an operand range error for the instruction at `at`.
    #[cold]
    fn operand_range(&mut self, at: u32) -> Result<(), Stop> {
        self.flags.set(Flags::OPERAND_RANGE);
        if self.exchange_enabled(Flags::OPERAND_RANGE) {
            self.p = at;
            return Err(Stop::Exchange {
                flags: Flags(Flags::OPERAND_RANGE),
                at,
            });
        }
        Ok(())
    }

    /// Reads the data word at `address` (relative to the data base).
    #[inline(always)]
    pub(crate) fn read_word(
        &mut self,
        address: u32,
        at: u32,
        memory: &Memory,
    ) -> Result<u64, Stop> {
        match self.data_index(address, memory) {
            Some(index) => Ok(memory.words().get(index).copied().unwrap_or(0)),
            None => self.operand_range(at).map(|()| 0),
        }
    }

    /// Writes the data word at `address`: the one function every data store of the
    /// CPU goes through (the contiguous vector store does the same for its whole
    /// range). A store invalidates the decoded instructions it overlaps.
    #[inline(always)]
    pub(crate) fn write_word(
        &mut self,
        address: u32,
        value: u64,
        at: u32,
        memory: &mut Memory,
    ) -> Result<(), Stop> {
        match self.data_index(address, memory) {
            Some(index) => {
                if let Some(word) = memory.words_mut_by_cpu().get_mut(index) {
                    *word = value;
                    self.decoded.word_written(index);
                }
                Ok(())
            }
            None => self.operand_range(at),
        }
    }

    /// The mask of a scalar reference's address: 24 bits with enhanced addressing,
    /// else 22 (the decode cache keeps it for a run: `scalar_address_mask`).
    pub(crate) fn scalar_address_mask(&self) -> u32 {
        if self.modes.enhanced_addressing {
            A_MASK
        } else {
            SHORT_ADDRESS_MASK
        }
    }

    /// Effective address of 10h..13h: Ah + signed 22-bit displacement, 24-bit
    /// arithmetic, truncated to 22 bits unless enhanced addressing is on.
    #[inline(always)]
    fn scalar_address(&self, x: Instruction) -> u32 {
        debug_assert_eq!(self.decoded.scalar_address_mask, self.scalar_address_mask());
        self.ah(x).wrapping_add(x.displacement()) & self.decoded.scalar_address_mask
    }

    /// 10hi `Ai exp,Ah`: the low 24 bits of the word.
    #[inline]
    pub(crate) fn load_a<const TRACE: bool>(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &Memory,
    ) -> Result<(), Stop> {
        let address = self.scalar_address(x);
        if TRACE {
            self.trace_scalar(address);
        }
        let word = self.read_word(address, at, memory)?;
        self.set_ai(x, word as u32);
        Ok(())
    }

    /// 11hi `exp,Ah Ai`: Ai zero-extended.
    #[inline]
    pub(crate) fn store_a<const TRACE: bool>(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &mut Memory,
    ) -> Result<(), Stop> {
        let value = u64::from(self.a[x.i()]);
        let address = self.scalar_address(x);
        if TRACE {
            self.trace_scalar(address);
        }
        self.write_word(address, value, at, memory)
    }

    /// 12hi `Si exp,Ah`.
    #[inline]
    pub(crate) fn load_s<const TRACE: bool>(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &Memory,
    ) -> Result<(), Stop> {
        let address = self.scalar_address(x);
        if TRACE {
            self.trace_scalar(address);
        }
        let word = self.read_word(address, at, memory)?;
        self.set_si(x, word);
        Ok(())
    }

    /// 13hi `exp,Ah Si`.
    #[inline]
    pub(crate) fn store_s<const TRACE: bool>(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &mut Memory,
    ) -> Result<(), Stop> {
        let value = self.s[x.i()];
        let address = self.scalar_address(x);
        if TRACE {
            self.trace_scalar(address);
        }
        self.write_word(address, value, at, memory)
    }

    /// Block transfer count: the low 7 bits of Ai (0 moves nothing; counts above 64
    /// wrap through the register file).
    #[inline]
    fn block_count(&self, x: Instruction) -> u32 {
        self.a[x.i()] & 0o177
    }

    /// Address of word `n` of a block transfer: A0 + n, 24-bit arithmetic.
    #[inline]
    fn block_address(&self, n: u32) -> u32 {
        self.a[0].wrapping_add(n) & A_MASK
    }

    /// 034 `Bjk,Ai ,A0`.
    #[inline(never)]
    pub(crate) fn block_load_b(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &Memory,
    ) -> Result<(), Stop> {
        self.trace_block(self.a[0], self.block_count(x));
        for n in 0..self.block_count(x) {
            let word = self.read_word(self.block_address(n), at, memory)?;
            self.b[(x.jk() + n as usize) & 0o77] = word as u32 & A_MASK;
        }
        Ok(())
    }

    /// 035 `,A0 Bjk,Ai`.
    #[inline(never)]
    pub(crate) fn block_store_b(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &mut Memory,
    ) -> Result<(), Stop> {
        self.trace_block(self.a[0], self.block_count(x));
        for n in 0..self.block_count(x) {
            let value = u64::from(self.b[(x.jk() + n as usize) & 0o77]);
            self.write_word(self.block_address(n), value, at, memory)?;
        }
        Ok(())
    }

    /// 036 `Tjk,Ai ,A0`.
    #[inline(never)]
    pub(crate) fn block_load_t(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &Memory,
    ) -> Result<(), Stop> {
        self.trace_block(self.a[0], self.block_count(x));
        for n in 0..self.block_count(x) {
            let word = self.read_word(self.block_address(n), at, memory)?;
            self.t[(x.jk() + n as usize) & 0o77] = word;
        }
        Ok(())
    }

    /// 037 `,A0 Tjk,Ai`.
    #[inline(never)]
    pub(crate) fn block_store_t(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &mut Memory,
    ) -> Result<(), Stop> {
        self.trace_block(self.a[0], self.block_count(x));
        for n in 0..self.block_count(x) {
            let value = self.t[(x.jk() + n as usize) & 0o77];
            self.write_word(self.block_address(n), value, at, memory)?;
        }
        Ok(())
    }

    /// The whole-register fast path of a stride-1 transfer: the physical word range,
    /// if every element is inside the data field and memory and A0 + VL does not wrap.
    #[inline(always)]
    fn contiguous_range(&self, stride: u32, n: usize, memory: &Memory) -> Option<usize> {
        if stride != 1 || self.a[0] as usize + n > A_MASK as usize + 1 {
            return None;
        }
        let first = self.data_index(self.a[0], memory)?;
        self.data_index(self.a[0] + n as u32 - 1, memory)?;
        Some(first)
    }

    /// 176i0k `Vi ,A0,Ak`: `Vi[n] <- memory[A0 + n*Ak]` (Ak sign-extended 24-bit; k = 0
    /// gives stride 1).
    #[inline(never)]
    pub(crate) fn vector_load(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &Memory,
    ) -> Result<(), Stop> {
        self.vector_not_used = false;
        let n = self.vector_length();
        let stride = self.ak(x);
        self.trace_vector(self.a[0], stride);
        if let Some(first) = self.contiguous_range(stride, n, memory) {
            if let Some(words) = memory.words().get(first..first + n) {
                self.v[x.i()][..n].copy_from_slice(words);
                return Ok(());
            }
        }
        let base = self.a[0];
        self.load_elements(x, at, memory, |e| stride_address(base, stride, e))
    }

    /// 176i1k `Vi ,A0,Vk` (X-MP gather): `Vi[n] <- memory[A0 + Vk[n]]`, 24-bit address.
    #[inline(never)]
    pub(crate) fn vector_gather(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &Memory,
    ) -> Result<(), Stop> {
        self.vector_not_used = false;
        let (base, index) = (self.a[0], self.v[x.k()]);
        let n = self.vector_length();
        self.trace_indexed(index[..n].iter().map(|&i| index_address(base, i)));
        self.load_elements(x, at, memory, |e| index_address(base, index[e]))
    }

    /// 1770jk `,A0,Ak Vj`: `memory[A0 + n*Ak] <- Vj[n]`.
    #[inline(never)]
    pub(crate) fn vector_store(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &mut Memory,
    ) -> Result<(), Stop> {
        self.vector_not_used = false;
        let n = self.vector_length();
        let stride = self.ak(x);
        self.trace_vector(self.a[0], stride);
        if let Some(first) = self.contiguous_range(stride, n, memory) {
            if let Some(words) = memory.words_mut_by_cpu().get_mut(first..first + n) {
                words.copy_from_slice(&self.v[x.j()][..n]);
                self.decoded.words_written(first, n);
                return Ok(());
            }
        }
        let base = self.a[0];
        self.store_elements(x, at, memory, |e| stride_address(base, stride, e))
    }

    /// 1771jk `,A0,Vk Vj` (X-MP scatter): `memory[A0 + Vk[n]] <- Vj[n]`.
    #[inline(never)]
    pub(crate) fn vector_scatter(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &mut Memory,
    ) -> Result<(), Stop> {
        self.vector_not_used = false;
        let (base, index) = (self.a[0], self.v[x.k()]);
        let n = self.vector_length();
        self.trace_indexed(index[..n].iter().map(|&i| index_address(base, i)));
        self.store_elements(x, at, memory, |e| index_address(base, index[e]))
    }

    /// The element loop of 176: `Vi[n]` <- the data word at `address(n)` for n < VL,
    /// stopping at the first range error that exchanges.
    #[inline(always)]
    fn load_elements(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &Memory,
        address: impl Fn(usize) -> u32,
    ) -> Result<(), Stop> {
        for e in 0..self.vector_length() {
            let word = self.read_word(address(e), at, memory)?;
            self.v[x.i()][e] = word;
        }
        Ok(())
    }

    /// The element loop of 177: the data word at `address(n)` <- `Vj[n]` for n < VL,
    /// stopping at the first range error that exchanges. Element stores need the whole
    /// CPU (range checks, the cache), so the loop works on a copy of the operand.
    #[inline(always)]
    fn store_elements(
        &mut self,
        x: Instruction,
        at: u32,
        memory: &mut Memory,
        address: impl Fn(usize) -> u32,
    ) -> Result<(), Stop> {
        let source = self.v[x.j()];
        for (e, value) in source[..self.vector_length()].iter().enumerate() {
            self.write_word(address(e), *value, at, memory)?;
        }
        Ok(())
    }
}
