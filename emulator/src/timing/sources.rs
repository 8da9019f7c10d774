//! Every timing figure the model uses, per machine model, with where it comes from.
//!
//! Source tags (as in ISA.md section 6):
//! - **\[HRM\]**: CRAY-1 Hardware Reference Manual 2240004 (page cited);
//! - **\[WEB\]**: a public web page (Edinburgh comp-arch Cray notes, Gordon Bell's
//!   *Computer Structures* Cray-1 chapter);
//! - **\[UNVERIFIED\]**: recalled from the published manuals, listed in ISA.md but not
//!   checked against a page;
//! - **\[SECONDARY\]**: a manual's figure as transcribed, with its page, by another
//!   project: the timing tests of a MiSTer Cray X-MP FPGA core
//!   (`tests/rtl_only/gen_timing.py`, "against the numbers of the X-MP's manual
//!   (CSM-0111000 section 5)") and its notes, for the X-MP Model 14 manual
//!   CSM-0111000-B;
//! - **\[GUESS\]**: chosen here because no source gives it; the reason is stated.
//!
//! # Rules the model applies (and their sources)
//!
//! - At most one instruction issues per clock period (CP) [WEB Edinburgh cray1-iss].
//! - An instruction holds issue while a source register is reserved, its destination
//!   register is reserved, its functional unit is busy, or its result would reach the
//!   A (or S) register file in the same CP as an earlier result [WEB Edinburgh
//!   cray1-iss, ISA.md 6.3]. The model also holds a scalar memory reference while its
//!   memory port or its bank is busy [GUESS: the hardware holds or queues; holding is
//!   the simplest deterministic choice].
//! - A destination register stays reserved until its result arrives; a new writer of a
//!   register waits for that arrival (and, for a V register, until earlier vector
//!   instructions have finished reading it) [WEB Edinburgh; ISA.md 6.3].
//! - Scalar functional units are fully segmented: a new operation can enter every CP
//!   [ISA.md 6.1]. The floating add, multiply and reciprocal units are shared by scalar
//!   and vector instructions [HRM easymanua p24], so a scalar floating operation waits
//!   while a vector one occupies the unit.
//! - A vector instruction streams one element pair per CP into its unit. Its first
//!   result reaches the V register `unit time + VECTOR_TRANSIT` CP after its stream
//!   starts, the rest one per CP [WEB Edinburgh: "+ ~2 CP register transit"]. The unit
//!   is busy for VL CP from the stream start [GUESS: the segmented unit accepts the next
//!   vector's first pair right after the previous vector's last pair].
//! - Chaining. Cray-1: a consumer of a V register that is still being written may
//!   start only in the chain slot, the CP in which the producer's first element arrives;
//!   if it cannot issue then, it waits until the producer has written all VL elements
//!   [WEB Edinburgh cray-xmp-ch]. X-MP (flexible chaining): it may start any time after
//!   the first element arrives [same source]. When the producer's elements arrive
//!   unevenly (bank conflicts), the slot is the earliest CP from which a reader taking
//!   one element per CP never overtakes the writer.
//! - Cray-1 vector stores do not chain from functional units; they wait for the
//!   whole register [ISA.md 6.4, UNVERIFIED]. X-MP stores chain.
//! - Cray-1: a V register may be the operand register of only one vector
//!   instruction at a time [HRM 2240004 "V register reservations": "A V register may
//!   serve only one vector operation as the source of one or both operands"; WEB
//!   Edinburgh cray1-iss gives the reason, one 4-bit slice of 16 elements readable per
//!   CP]: a vector instruction (stores included) that reads a V register another
//!   vector instruction is still reading waits until that read ends. X-MP: two vector
//!   instructions may read the same V register at once \[GUESS\].
//! - A vector load's first element reaches its V register (its chain slot)
//!   `vector_load` CP after its stream starts, the rest one per CP as the stream
//!   delivers them. Cray-1 7 CP [WEB Edinburgh cray1-ch: "after a start-up delay of
//!   seven clock periods, the first element of the vector from store becomes available
//!   for delivery to V0"]; X-MP 16 CP \[GUESS: its 14 CP memory time + 2 CP transit\].
//! - Memory: word address `a` is in bank `a mod banks` [WEB Gordon Bell CSP p.745]. A
//!   bank stays busy `bank_busy` CP after a reference. A vector (or block) stream offers
//!   one reference per CP; an element whose bank is busy waits, and the elements after
//!   it follow it (the stream stays in order) [GUESS: in-order streams are what the
//!   hardware's single address generator per port implies].
//! - A scalar (A or S) reference keeps its path busy `scalar_transfer` CP: Cray-1 2
//!   [WEB Gordon Bell CSP p.745: "1 word per 2 clock periods transfer rate for A and S
//!   registers", against one word per CP for B, T and V], X-MP 1 \[GUESS\].
//! - Ports. Cray-1: one path to memory for all references [WEB Gordon Bell]. X-MP: two
//!   load ports and one store port per CPU [WEB Edinburgh cray-xmp-ch]; a load takes the
//!   load port that frees first; scalar, block and vector references all use ports the
//!   same way \[GUESS\]. Gather and scatter (X-MP) go as a stream does, one element a
//!   CP in order, each element to the bank of its own address (the CPU notes them for
//!   the model) \[GUESS: the bank rule above, applied to whatever gave the address\].
//! - Instruction buffers: 4 buffers [WEB Edinburgh cray1-iss]; each holds an aligned
//!   block of `buffer_parcels` parcels; a parcel address outside all buffers loads the
//!   oldest buffer (round-robin) and costs `buffer_miss` CP [UNVERIFIED ISA.md 6.3:
//!   "≈ 14-16 CP on Cray-1"]. An instruction that follows the one before it in
//!   sequence but comes from another buffer issues `buffer_change` CP later: 2 CP
//!   [WEB Edinburgh Ibuff/cray1: a parcel is selected "immediately, if the buffer
//!   concerned is the same as the one which supplied the previous parcel, or after a
//!   two clock period delay if a change of buffers is involved"; X-MP \[SECONDARY\]:
//!   "2-CP delay" for running on into another buffer]. A taken branch costs its
//!   `branch_taken` CP whichever buffer its target is in [X-MP \[SECONDARY\]: "a
//!   branch that is taken costs its 5 CPs whichever buffer its address is in";
//!   Cray-1 \[GUESS\]: as the X-MP]; a miss costs the fill alone.
//!   Only the first parcel of an instruction is checked
//!   [GUESS: two-parcel instructions straddling buffers are rare; on the X-MP one
//!   whose second parcel is in another buffer takes 2 CP more \[SECONDARY\], which the
//!   model leaves out].
//! - Branches: a taken branch occupies the issue stage `branch_taken` CP, a conditional
//!   branch that falls through `branch_not_taken` CP [UNVERIFIED ISA.md 6.3: "≈ 5 CP",
//!   "≈ 2-3 CP"]; out-of-buffer targets add the miss above.
//! - `EX`, `ERR` and `CMR` wait until every issued instruction has finished (all
//!   results arrived, all memory streams done) [GUESS: an exchange must save finished
//!   registers; CMR waits for memory by definition].
//! - Every instruction issues in 1 CP, whether one or two parcels \[GUESS\].

/// The timing figures of one machine model (clock periods unless stated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Figures {
    /// Clock period in picoseconds.
    pub clock_period_ps: u64,
    /// Address add 030, 031.
    pub address_add: u64,
    /// Address multiply 032.
    pub address_multiply: u64,
    /// Scalar add 060, 061.
    pub scalar_add: u64,
    /// Scalar logical 042..051.
    pub scalar_logical: u64,
    /// Scalar single shift 052..055.
    pub scalar_shift: u64,
    /// Scalar double shift 056, 057.
    pub scalar_double_shift: u64,
    /// Population count and parity 026.
    pub scalar_population: u64,
    /// Leading-zero count 027.
    pub scalar_leading_zero: u64,
    /// Floating add (scalar and vector).
    pub float_add: u64,
    /// Floating multiply and reciprocal iteration (scalar and vector).
    pub float_multiply: u64,
    /// Reciprocal approximation (scalar and vector).
    pub reciprocal: u64,
    /// Vector integer add 154..157.
    pub vector_add: u64,
    /// Vector logical 140..147, 175.
    pub vector_logical: u64,
    /// Vector single shift 150, 151.
    pub vector_shift: u64,
    /// Vector double shift 152, 153.
    pub vector_double_shift: u64,
    /// Vector population count and parity 174 k=1,2.
    pub vector_population: u64,
    /// Register transfers and constants (020..025, 071..075, 077, VL, VM).
    pub transfer: u64,
    /// 076: Si <- element of Vj.
    pub vector_element_read: u64,
    /// Memory read: CP from the reference to the word in an A, S, B or T register, or
    /// (plus `vector_transit`) in a V register.
    pub memory_load: u64,
    /// CP from a vector unit's output to the V register (added to the unit time).
    pub vector_transit: u64,
    /// Vector load: CP from the start of its memory stream to its first element in
    /// the V register (the load's chain slot).
    pub vector_load: u64,
    /// True when two vector instructions may read one V register at once (X-MP);
    /// false when a V register serves one vector operation at a time (Cray-1).
    pub shared_vector_reads: bool,
    /// CP a scalar (A or S register) reference keeps its memory path busy: the
    /// path's scalar transfer rate is one word per this many CP.
    pub scalar_transfer: u64,
    /// Number of memory banks.
    pub banks: u64,
    /// CP a bank stays busy after a reference.
    pub bank_busy: u64,
    /// Number of memory load ports (the Cray-1's single port serves loads and stores).
    pub load_ports: usize,
    /// True when stores have their own port (X-MP).
    pub store_port: bool,
    /// Number of instruction buffers.
    pub instruction_buffers: usize,
    /// Parcels per instruction buffer.
    pub buffer_parcels: u32,
    /// CP to load an instruction buffer on a miss.
    pub buffer_miss: u64,
    /// CP of delay when an instruction comes from another buffer than the one before
    /// it (the buffer is in place: no miss).
    pub buffer_change: u64,
    /// CP a taken branch occupies the issue stage.
    pub branch_taken: u64,
    /// CP a conditional branch that falls through occupies the issue stage.
    pub branch_not_taken: u64,
    /// True for flexible chaining (X-MP); false for the Cray-1 chain slot.
    pub flexible_chaining: bool,
    /// True when vector stores chain from functional units (X-MP).
    pub store_chaining: bool,
}

/// Cray-1 figures.
///
/// | figure | value | source |
/// |---|---|---|
/// | clock period | 12.5 ns | [WEB Gordon Bell CSP ch.44] |
/// | address add | 2 | [HRM p3-11] |
/// | address multiply | 6 | [HRM p3-11] |
/// | scalar add | 3 | [WEB Edinburgh cray1-units] |
/// | scalar shift single / double | 2 / 3 | [WEB Edinburgh] |
/// | scalar logical | 1 | \[UNVERIFIED\] |
/// | population / leading zero | 4 / 3 | \[UNVERIFIED\] |
/// | floating add / multiply / reciprocal | 6 / 7 / 14 | \[UNVERIFIED\]; the 29-CP divide [HRM p3-30] is reproduced with 14 + 1 + 7 + 7 |
/// | vector add / logical / shift / pop | 3 / 2 / 4 / 6 | \[UNVERIFIED\] |
/// | transfers | 1 | \[UNVERIFIED\] |
/// | 076 element read | 5 | \[UNVERIFIED\] |
/// | memory load | 11 | \[UNVERIFIED\] |
/// | vector transit | 2 | [WEB Edinburgh "~2 CP"]; [HRM 2240004: chain slot = unit time + 2] |
/// | vector load to chain slot | 7 | [WEB Edinburgh cray1-ch "start-up delay of seven clock periods"] |
/// | V register read by one vector instruction at a time | yes | [HRM 2240004 "V register reservations"] |
/// | banks / bank busy | 16 / 4 | [WEB Gordon Bell CSP p.745] |
/// | scalar transfer: one word to A or S per | 2 CP | [WEB Gordon Bell CSP p.745, Table 1: "1 word per 2 clock periods transfer rate for A and S registers"] |
/// | ports | 1 shared | [WEB Gordon Bell] |
/// | buffers | 4 × 64 parcels | [WEB Edinburgh cray1-iss] |
/// | buffer miss | 14 | [UNVERIFIED "14-16"]: 11 CP memory access + 16 words at 4 words/CP, overlapped by one CP \[GUESS\] |
/// | change of buffers in sequence | 2 | [WEB Edinburgh Ibuff/cray1 "after a two clock period delay"]; none after a taken branch \[GUESS\]: as the X-MP |
/// | branch taken / not taken | 5 / 2 | \[UNVERIFIED\] |
pub const CRAY1: Figures = Figures {
    clock_period_ps: 12_500,
    address_add: 2,
    address_multiply: 6,
    scalar_add: 3,
    scalar_logical: 1,
    scalar_shift: 2,
    scalar_double_shift: 3,
    scalar_population: 4,
    scalar_leading_zero: 3,
    float_add: 6,
    float_multiply: 7,
    reciprocal: 14,
    vector_add: 3,
    vector_logical: 2,
    vector_shift: 4,
    vector_double_shift: 4,
    vector_population: 6,
    transfer: 1,
    vector_element_read: 5,
    memory_load: 11,
    vector_transit: 2,
    vector_load: 7,
    shared_vector_reads: false,
    scalar_transfer: 2,
    banks: 16,
    bank_busy: 4,
    load_ports: 1,
    store_port: false,
    instruction_buffers: 4,
    buffer_parcels: 64,
    buffer_miss: 14,
    buffer_change: 2,
    branch_taken: 5,
    branch_not_taken: 2,
    flexible_chaining: false,
    store_chaining: false,
};

/// X-MP figures.
///
/// | figure | value | source |
/// |---|---|---|
/// | clock period | 9.5 ns | [WEB Edinburgh cray-xmp-ch] (early machines; later 8.5 ns) |
/// | address add / multiply | 2 / 4 | \[UNVERIFIED\] |
/// | scalar units | as the Cray-1 | \[UNVERIFIED\] |
/// | floating add / multiply / reciprocal | 6 / 7 / 14 | \[UNVERIFIED\] |
/// | vector add / logical / shift single, double / pop | 3 / 2 / 3, 4 / 5 | \[UNVERIFIED\] |
/// | memory load | 14 | \[UNVERIFIED\] |
/// | vector transit | 2 | [GUESS: as the Cray-1] |
/// | vector load to chain slot | 16 | [GUESS: memory 14 + transit 2] |
/// | V register read by one vector instruction at a time | no | \[GUESS\] |
/// | banks / bank busy | 32 / 4 | ISA.md 6.2 \[UNVERIFIED\]: 32 banks is the X-MP/2x; 4 CP is bipolar memory |
/// | scalar transfer: one word to A or S per | 1 CP | \[GUESS\]: no X-MP figure found |
/// | ports | 2 load + 1 store | [WEB Edinburgh cray-xmp-ch] |
/// | buffers | 4 × 128 parcels | [WEB Edinburgh cray-xmp-ch "doubling"] |
/// | buffer miss | 14 | \[SECONDARY\] CSM-0111000-B section 5: "19 clock periods for a branch to an address that is in no instruction buffer" = branch 5 + 14 |
/// | change of buffers in sequence | 2 | \[SECONDARY\] CSM-0111000-B section 5: "2-CP delay"; none after a taken branch, same source |
/// | branch taken / not taken | 5 / 2 | \[SECONDARY\] CSM-0111000-B pages 5-19 to 5-26: "5 CPs taken with the address in a buffer, 2 CPs not taken" |
/// | 076 element read | 4 | \[SECONDARY\] CSM-0111000-B page 5-63: "076: Si ready in 4 CPs" |
pub const XMP: Figures = Figures {
    clock_period_ps: 9_500,
    address_add: 2,
    address_multiply: 4,
    scalar_add: 3,
    scalar_logical: 1,
    scalar_shift: 2,
    scalar_double_shift: 3,
    scalar_population: 4,
    scalar_leading_zero: 3,
    float_add: 6,
    float_multiply: 7,
    reciprocal: 14,
    vector_add: 3,
    vector_logical: 2,
    vector_shift: 3,
    vector_double_shift: 4,
    vector_population: 5,
    transfer: 1,
    vector_element_read: 4,
    memory_load: 14,
    vector_transit: 2,
    vector_load: 16,
    shared_vector_reads: true,
    scalar_transfer: 1,
    banks: 32,
    bank_busy: 4,
    load_ports: 2,
    store_port: true,
    instruction_buffers: 4,
    buffer_parcels: 128,
    buffer_miss: 14,
    buffer_change: 2,
    branch_taken: 5,
    branch_not_taken: 2,
    flexible_chaining: true,
    store_chaining: true,
};

/// The figures of `model`.
#[inline]
pub fn figures(model: crate::isa::Model) -> &'static Figures {
    match model {
        crate::isa::Model::Cray1 => &CRAY1,
        crate::isa::Model::XMp => &XMP,
    }
}
