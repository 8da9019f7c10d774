//! The memory banks as the timing model keeps them: for each bank the end of its last
//! reservation and the gap before it, how a reference finds its bank free, in its gap
//! or busy ([`bank_start`], [`claim_bank`]), and the stride-one shortcut that claims a
//! whole round of banks at once when they form a ramp ([`BankRamp`]).

use std::ops::Range;

/// When set, every bank in use holds the ramp (see [`BankRamp`]) that starts at the
/// given bank and wraps round them all, as a stride-one stream of a whole number of
/// rounds leaves them. Any other claim of a bank clears it. A stream starting at that
/// bank then needs not read the banks to find the ramp: it is there. Derived from the
/// banks, so kept as [`NotState`](crate::not_state::NotState): never saved, and a clone starts without one.
#[derive(Debug, Default)]
pub(super) struct RampHint(pub(super) Option<(usize, BankRamp)>);

impl RampHint {
    /// The ramp of the banks from `first`, when the hint knows it.
    #[inline]
    fn from(&self, first: usize) -> Option<BankRamp> {
        match self.0 {
            Some((bank, ramp)) if bank == first && ramp.readable() => Some(ramp),
            _ => None,
        }
    }
}

/// Banks of the largest machine (the X-MP's 32). Two arrays of 32 are written exactly
/// as the one array of 64 that images of format 1.0 hold (postcard writes arrays as
/// tuples), whose upper half no model ever used: those images read with no gaps.
pub(super) const BANK_SLOTS: usize = 32;

/// The first CP from `at` at which a bank can take a reference that holds it `busy`
/// CP: `at` itself once the bank is past its last reservation (`free`), a CP in its
/// gap before that reservation when the whole reference fits there, else `free`.
#[inline(always)]
pub(super) fn bank_start(free: u64, gap: u64, at: u64, busy: u64) -> u64 {
    if at >= free {
        return at;
    }
    let last = free.saturating_sub(busy);
    let start = at.max(gap);
    if gap != 0 && start.saturating_add(busy) <= last {
        start
    } else {
        free
    }
}

/// Records a reference from `start` for `busy` CP in a bank (see [`bank_start`]): after
/// its last reservation it becomes the last, leaving the CP between them as the gap; in
/// the gap, what is left of the gap after it stays free (what came before is forgotten,
/// which only ever delays a later reference).
#[inline(always)]
pub(super) fn claim_bank(free: &mut u64, gap: &mut u64, start: u64, busy: u64) {
    if start >= *free {
        *gap = if start > *free { *free } else { 0 };
        *free = start.saturating_add(busy);
    } else {
        *gap = start.saturating_add(busy);
    }
}

/// Which banks a stream visits: `bank` first, then every `step` banks, masked by
/// `mask` (the model's bank count less one).
#[derive(Clone, Copy)]
pub(super) struct Stride {
    pub(super) bank: u64,
    pub(super) step: u64,
    pub(super) mask: u64,
}

/// How far a stream's claims have gone: the CP at which its next element is offered,
/// the latest start less element index (the lag a chained reader of a loaded register
/// must keep), and how many elements found their bank busy.
#[derive(Clone, Copy)]
pub(super) struct Claims {
    pub(super) at: u64,
    pub(super) lag: u64,
    pub(super) conflicts: u64,
}

/// The bank times of a model, for one stream's claims.
pub(super) struct Banks<'a> {
    pub(super) free: &'a mut [u64; BANK_SLOTS],
    pub(super) gaps: &'a mut [u64; BANK_SLOTS],
    pub(super) hint: &'a mut RampHint,
    /// Banks in use (a power of two, at most `BANK_SLOTS`).
    pub(super) count: usize,
    /// CP a reference holds its bank.
    pub(super) busy: u64,
}

impl Banks<'_> {
    /// Claims the banks of `elements` of a stream one at a time, in order: an element
    /// waits for its bank unless the bank is free or has room for the whole reference
    /// in the gap before its last reservation (where a stream on another port has not
    /// come back yet).
    #[inline]
    pub(super) fn claim_each(&mut self, stride: Stride, elements: Range<u64>, claims: &mut Claims) {
        let Stride {
            mut bank,
            step,
            mask,
        } = stride;
        let busy = self.busy;
        for n in elements {
            let b = bank as usize;
            let start = bank_start(self.free[b], self.gaps[b], claims.at, busy);
            claims.conflicts += u64::from(start > claims.at);
            claim_bank(&mut self.free[b], &mut self.gaps[b], start, busy);
            claims.lag = claims.lag.max(start - n);
            claims.at = start + 1;
            bank = (bank + step) & mask;
        }
    }

    /// `elements` of a stride-one stream, the first of them at bank `first` (of the
    /// banks `mask` selects): by the ramp shortcut when it applies, else one at a time
    /// by the rules.
    pub(super) fn stride_one(
        &mut self,
        first: u64,
        mask: u64,
        elements: Range<u64>,
        claims: &mut Claims,
    ) {
        if elements.is_empty() {
            return;
        }
        let end = elements.end;
        let done = self.ramp_rounds(first as usize, elements, claims);
        if done < end {
            self.hint.0 = None;
            let stride = Stride {
                bank: first,
                step: 1,
                mask,
            };
            self.claim_each(stride, done..end, claims);
        }
    }

    /// The stride-one shortcut for `elements` of a stream whose next element is at
    /// bank `first`: when the banks from it form a ramp (as a stride-one stream
    /// leaves them), each round's first element decides for all of it (see
    /// [`BankRamp::round`]), and the banks are written once. Returns the end of
    /// `elements` when it applied, else their start (and nothing changed).
    pub(super) fn ramp_rounds(
        &mut self,
        first: usize,
        elements: Range<u64>,
        claims: &mut Claims,
    ) -> u64 {
        let Range { start: from, end } = elements;
        let banks = self.count;
        let first_len = (end - from).min(banks as u64) as usize;
        let known = self.hint.from(first);
        debug_assert!(known.is_none_or(|ramp| {
            BankRamp::read(self.free, self.gaps, banks, first, first_len, claims.at) == Some(ramp)
        }));
        let ramp = known
            .or_else(|| BankRamp::read(self.free, self.gaps, banks, first, first_len, claims.at));
        let Some(mut ramp) = ramp else {
            return from;
        };
        let mut before_last = ramp;
        let mut last_len = 0;
        let mut done = from;
        while done < end {
            let len = (end - done).min(banks as u64);
            let (start, next) = ramp.round(claims.at, self.busy);
            claims.conflicts += u64::from(start > claims.at);
            claims.lag = claims.lag.max(start - done);
            claims.at = start + len;
            done += len;
            before_last = ramp;
            ramp = next;
            last_len = len as usize;
        }
        // A short last round leaves the banks after it as the round before.
        if last_len < first_len {
            before_last.write(self.free, self.gaps, banks, first, first_len);
        }
        ramp.write(self.free, self.gaps, banks, first, last_len);
        // Whole rounds over every bank leave one ramp round them all.
        self.hint.0 = (first_len == banks && last_len == banks).then_some((first, ramp));
        end
    }
}

/// The bank times a stride-one stream leaves: bank `k` of a round (in the stream's
/// order) ends its last reservation at `free + k` and has its gap from `gap + k` (no
/// gaps when `gap` is 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct BankRamp {
    free: u64,
    gap: u64,
}

impl BankRamp {
    /// The ramp of the `len` banks from `first` (wrapping round the `banks` in use),
    /// if they form one, for a round offered from `at`.
    fn read(
        free: &[u64; BANK_SLOTS],
        gaps: &[u64; BANK_SLOTS],
        banks: usize,
        first: usize,
        len: usize,
        at: u64,
    ) -> Option<BankRamp> {
        let free = ramp_from(&free[..banks], first, len)?;
        let gap = if all_zero(&gaps[..banks], first, len) {
            0
        } else if let Some(gap) = ramp_from(&gaps[..banks], first, len).filter(|&g| g != 0) {
            gap
        } else if at >= free {
            // The round offered from `at` finds every bank past its last reservation,
            // where the gaps play no part (see `round`), and leaves them a ramp: any
            // gap will do.
            0
        } else {
            return None;
        };
        Some(BankRamp { free, gap })
    }

    /// False for times so near the top of the range that `read` refuses them.
    fn readable(self) -> bool {
        self.free <= u64::MAX - 128 && self.gap <= u64::MAX - 128
    }

    /// A round offered from `at`, one element per CP: its first element's start, and
    /// the ramp after it. The first element finds its bank past its last reservation,
    /// in its gap, or waits for it; every later element meets its own bank one CP later
    /// in the same state, so it goes at the first's start + its index, without waiting.
    fn round(self, at: u64, busy: u64) -> (u64, BankRamp) {
        let start = bank_start(self.free, self.gap, at, busy);
        let after = if start >= self.free {
            // Past the last reservations: each reference becomes its bank's last.
            BankRamp {
                free: start + busy,
                gap: if start > self.free { self.free } else { 0 },
            }
        } else {
            // In the gaps: what is left of each gap starts after its reference.
            BankRamp {
                free: self.free,
                gap: start + busy,
            }
        };
        (start, after)
    }

    /// Writes the ramp into the `len` banks from `first`.
    fn write(
        self,
        free: &mut [u64; BANK_SLOTS],
        gaps: &mut [u64; BANK_SLOTS],
        banks: usize,
        first: usize,
        len: usize,
    ) {
        fill_ramp(&mut free[..banks], first, len, self.free, 1);
        let slope = u64::from(self.gap != 0);
        fill_ramp(&mut gaps[..banks], first, len, self.gap, slope);
    }
}

/// When the `len` values from `first` (wrapping round the slice) are `v`, `v + 1`,
/// ...: `Some(v)`. Or-ed differences, no early exit, so the loop has no branch.
fn ramp_from(values: &[u64], first: usize, len: usize) -> Option<u64> {
    let v = values[first];
    // Times near the top of the range would wrap; they never occur in a run.
    if v > u64::MAX - 128 {
        return None;
    }
    // The value after the first decides most refusals (a bank claimed out of the
    // stream's order, often the first) without the whole scan.
    let second = if first + 1 < values.len() {
        first + 1
    } else {
        0
    };
    if len > 1 && values[second] != v + 1 {
        return None;
    }
    let (wrapped, from_first) = values.split_at(first);
    let upper = len.min(from_first.len());
    let mut off = 0;
    for (n, &x) in from_first[..upper].iter().enumerate() {
        off |= x ^ (v + n as u64);
    }
    for (n, &x) in wrapped[..len - upper].iter().enumerate() {
        off |= x ^ (v + (upper + n) as u64);
    }
    (off == 0).then_some(v)
}

/// Whether the `len` values from `first` (wrapping round the slice) are all 0.
fn all_zero(values: &[u64], first: usize, len: usize) -> bool {
    let (wrapped, from_first) = values.split_at(first);
    let upper = len.min(from_first.len());
    from_first[..upper]
        .iter()
        .chain(&wrapped[..len - upper])
        .fold(0, |acc, &x| acc | x)
        == 0
}

/// Sets the `len` values from `first` (wrapping round the slice) to `value`,
/// `value + slope`, `value + 2 * slope`, ...
fn fill_ramp(values: &mut [u64], first: usize, len: usize, value: u64, slope: u64) {
    let (wrapped, from_first) = values.split_at_mut(first);
    let upper = len.min(from_first.len());
    for (n, slot) in from_first[..upper].iter_mut().enumerate() {
        *slot = value + slope * n as u64;
    }
    for (n, slot) in wrapped[..len - upper].iter_mut().enumerate() {
        *slot = value + slope * (upper + n) as u64;
    }
}
