//! The memory banks as the timing model keeps them: for each bank the end of its last
//! reservation and which periods before it are free (its window), how a reference
//! finds its bank free, free in its window, or busy ([`bank_start`], [`claim_bank`]), and the stride-one shortcut that claims a
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
/// tuples), whose upper half no model ever used: those images read with no free
/// periods before any bank's last reservation.
pub(super) const BANK_SLOTS: usize = 32;

/// Clock periods a bank's window covers: the periods just before its last
/// reservation, one bit each.
const WINDOW: u64 = 63;

/// The bits of a window.
const WINDOW_BITS: u64 = (1 << WINDOW) - 1;

/// Marks a window word written by this version (bit 63, above every window bit).
/// Images written before it hold, in the same word, the start of the one gap that
/// version kept (a clock period, far below 2^63; 0 for none).
const SAVED_WINDOW: u64 = 1 << WINDOW;

/// The CP a bank stays busy in every model that images written before the windows
/// could come from (both models' `bank_busy`): the end of a legacy gap is the last
/// reservation's start, `free - LEGACY_BUSY`.
pub(super) const LEGACY_BUSY: u64 = 4;

/// Every bank's reservations, as far as a reference can still meet them: `free`, the
/// end of its last reservation, and `window`, which of the [`WINDOW`] clock periods
/// before that reservation are free (bit `i`: the period `free - busy - 1 - i`).
/// Periods before the window count as busy; they lie so far behind the last
/// reservation that only a reference offered that early could use them.
///
/// A window is relative to its bank's last reservation, so the banks a stride-one
/// stream leaves hold equal windows (see [`BankRamp`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct BankTimes {
    pub(super) free: [u64; BANK_SLOTS],
    pub(super) window: [u64; BANK_SLOTS],
}

impl BankTimes {
    pub(super) const NONE: BankTimes = BankTimes {
        free: [0; BANK_SLOTS],
        window: [0; BANK_SLOTS],
    };
}

impl BankTimes {
    /// The banks as saved: each bank's `free`, and its window word marked as one this
    /// version wrote.
    pub(super) fn saved_words(&self) -> ([u64; BANK_SLOTS], [u64; BANK_SLOTS]) {
        (self.free, self.window.map(|w| w | SAVED_WINDOW))
    }

    /// The banks from the words an image holds (see [`window_of_saved`]).
    pub(super) fn from_saved_words(free: [u64; BANK_SLOTS], words: [u64; BANK_SLOTS]) -> Self {
        let mut window = [0; BANK_SLOTS];
        for ((w, &word), &f) in window.iter_mut().zip(&words).zip(&free) {
            *w = window_of_saved(f, word);
        }
        BankTimes { free, window }
    }
}

impl serde::Serialize for BankTimes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.saved_words().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for BankTimes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (free, words) = <([u64; BANK_SLOTS], [u64; BANK_SLOTS])>::deserialize(deserializer)?;
        Ok(BankTimes::from_saved_words(free, words))
    }
}

/// The window of a bank whose last reservation ends at `free`, from the word an image
/// holds: a window saved by this version, or the gap start of an older image (the
/// periods from it up to the last reservation were free; 0: none).
pub(super) fn window_of_saved(free: u64, word: u64) -> u64 {
    if word & SAVED_WINDOW != 0 {
        return word & WINDOW_BITS;
    }
    if word == 0 {
        return 0;
    }
    low_ones(free.saturating_sub(LEGACY_BUSY).saturating_sub(word))
}

/// The `n` lowest window bits (all of them from [`WINDOW`] on).
#[inline(always)]
fn low_ones(n: u64) -> u64 {
    if n >= WINDOW {
        WINDOW_BITS
    } else {
        (1 << n) - 1
    }
}

/// The bits `j` of `window` from which `busy` bits in a row are set: the free periods
/// at which a whole reference fits.
#[inline(always)]
fn room(window: u64, busy: u64) -> u64 {
    let mut fits = window;
    for shift in 1..busy {
        fits &= window >> shift;
    }
    fits
}

/// The first CP from `at` at which a bank can take a reference that holds it `busy`
/// CP: `at` itself once the bank is past its last reservation (`free`), the first
/// period of its window at or after `at` where the whole reference fits, else `free`.
#[inline(always)]
pub(super) fn bank_start(free: u64, window: u64, at: u64, busy: u64) -> u64 {
    if at >= free {
        return at;
    }
    // A reference fitting from bit j starts at free - 2 busy - j (its last period is
    // bit j, just before the last reservation when j = 0), so starting at or after
    // `at` means j <= free - 2 busy - at; the earliest start is the highest such j.
    let Some(limit) = free
        .checked_sub(2 * busy)
        .and_then(|last| last.checked_sub(at))
    else {
        return free;
    };
    let mut fits = room(window, busy);
    if limit < WINDOW {
        fits &= (2 << limit) - 1;
    }
    if fits == 0 {
        return free;
    }
    free - 2 * busy - u64::from(63 - fits.leading_zeros())
}

/// Records a reference from `start` for `busy` CP in a bank (a start [`bank_start`]
/// gave): after its last reservation it becomes the last, the window moving with it
/// (the periods between the two are free); in the window, its periods are taken.
#[inline(always)]
pub(super) fn claim_bank(free: &mut u64, window: &mut u64, start: u64, busy: u64) {
    if start >= *free {
        *window = window_after(*window, start - *free, busy);
        *free = start.saturating_add(busy);
    } else {
        // Its periods are the bits from free - 2 busy - start up (see bank_start).
        let low = free.saturating_sub(2 * busy).saturating_sub(start);
        if low < WINDOW {
            *window &= !(low_ones(busy) << low);
        }
    }
}

/// The window of a bank after a reference from `gap` periods past its last
/// reservation, holding it `busy` periods, becomes its last (see [`claim_bank`]): the
/// old window moved up by `gap + busy` bits (each bit is a period before the last
/// reservation, which moved on by as much), and below it the `gap` free periods
/// between the two reservations.
///
/// In a form that spares the two tests of a shift past the window: moved up first
/// by `busy` with a one below (a window's low `busy` bits are then 0), then by the
/// gap (at most 63: the 63 low bits are then all free periods whatever was above), a
/// one less is the same bits as the moved window and the gap's ones together.
#[inline(always)]
pub(super) fn window_after(window: u64, gap: u64, busy: u64) -> u64 {
    debug_assert!((1..WINDOW).contains(&busy));
    (((window << busy) | 1) << gap.min(WINDOW)).wrapping_sub(1) & WINDOW_BITS
}

/// Which banks a stream visits: `bank` first, then every `step` banks, masked by
/// `mask` (the model's bank count less one).
#[derive(Clone, Copy)]
pub(super) struct Stride {
    pub(super) bank: u64,
    pub(super) step: u64,
    pub(super) mask: u64,
}

/// The word addresses of the elements of a gather or scatter, in order, as the CPU
/// notes them while it executes one (only it knows them: they come from a V
/// register, which the gather may overwrite) and its memory stream takes them. Held
/// for one instruction only, so kept as [`NotState`](crate::not_state::NotState).
#[derive(Debug)]
pub(super) struct IndexedAddresses {
    len: usize,
    words: [u64; 64],
}

impl Default for IndexedAddresses {
    fn default() -> IndexedAddresses {
        IndexedAddresses {
            len: 0,
            words: [0; 64],
        }
    }
}

impl IndexedAddresses {
    /// Notes `addresses` (at most 64: a V register's elements).
    pub(super) fn note(&mut self, addresses: impl Iterator<Item = u64>) {
        self.len = 0;
        for (slot, address) in self.words.iter_mut().zip(addresses) {
            *slot = address;
            self.len += 1;
        }
    }

    /// The addresses noted, if there are `count` of them; none are left noted.
    pub(super) fn take(&mut self, count: u64) -> Option<&[u64]> {
        let len = std::mem::take(&mut self.len);
        (len as u64 == count).then(|| &self.words[..len])
    }
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
    pub(super) windows: &'a mut [u64; BANK_SLOTS],
    pub(super) hint: &'a mut RampHint,
    /// Banks in use (a power of two, at most `BANK_SLOTS`).
    pub(super) count: usize,
    /// CP a reference holds its bank.
    pub(super) busy: u64,
}

impl Banks<'_> {
    /// Claims the banks of `elements` of a stream one at a time, in order: an element
    /// waits for its bank unless the bank is free or has room for the whole reference
    /// in its window before its last reservation (where a stream on another port has not
    /// come back yet).
    #[inline]
    pub(super) fn claim_each(&mut self, stride: Stride, elements: Range<u64>, claims: &mut Claims) {
        let Stride {
            mut bank,
            step,
            mask,
        } = stride;
        for n in elements {
            self.claim_one(bank as usize, n, claims);
            bank = (bank + step) & mask;
        }
    }

    /// Claims the banks of the elements of an indexed stream (a gather or scatter)
    /// at word `addresses`, one at a time, in order, as [`Banks::claim_each`] claims
    /// a strided stream's: a word's bank is its address modulo the banks, whatever
    /// gave the address.
    pub(super) fn claim_indexed(&mut self, addresses: &[u64], claims: &mut Claims) {
        let mask = self.count as u64 - 1;
        for (n, address) in (0..).zip(addresses) {
            self.claim_one((address & mask) as usize, n, claims);
        }
    }

    /// Claims bank `b` for element `n` of a stream: the element waits for its bank
    /// unless the bank is free or has room for the whole reference in its window.
    #[inline(always)]
    fn claim_one(&mut self, b: usize, n: u64, claims: &mut Claims) {
        let busy = self.busy;
        let start = bank_start(self.free[b], self.windows[b], claims.at, busy);
        claims.conflicts += u64::from(start > claims.at);
        claim_bank(&mut self.free[b], &mut self.windows[b], start, busy);
        claims.lag = claims.lag.max(start - n);
        claims.at = start + 1;
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
            BankRamp::read(self.free, self.windows, banks, first, first_len, claims.at)
                == Some(ramp)
        }));
        let ramp = known.or_else(|| {
            BankRamp::read(self.free, self.windows, banks, first, first_len, claims.at)
        });
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
            before_last.write(self.free, self.windows, banks, first, first_len);
        }
        ramp.write(self.free, self.windows, banks, first, last_len);
        // Whole rounds over every bank leave one ramp round them all.
        self.hint.0 = (first_len == banks && last_len == banks).then_some((first, ramp));
        end
    }
}

/// The bank times a stride-one stream leaves: bank `k` of a round (in the stream's
/// order) ends its last reservation at `free + k`, and every one holds the same
/// `window` (windows are relative to the last reservation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct BankRamp {
    free: u64,
    window: u64,
}

impl BankRamp {
    /// The ramp of the `len` banks from `first` (wrapping round the `banks` in use),
    /// if they form one, for a round offered from `at`.
    fn read(
        free: &[u64; BANK_SLOTS],
        windows: &[u64; BANK_SLOTS],
        banks: usize,
        first: usize,
        len: usize,
        at: u64,
    ) -> Option<BankRamp> {
        let free = ramp_from(&free[..banks], first, len)?;
        let window = windows[first];
        if all_equal(&windows[..banks], first, len, window) {
            return Some(BankRamp { free, window });
        }
        // The round offered from `at` finds every bank past its last reservation, so
        // far past that their windows move out of sight (see `claim_bank`), and
        // leaves them a ramp: any window will do.
        (at >= free && at - free >= WINDOW).then_some(BankRamp { free, window: 0 })
    }

    /// False for times so near the top of the range that `read` refuses them.
    fn readable(self) -> bool {
        self.free <= u64::MAX - 128
    }

    /// A round offered from `at`, one element per CP: its first element's start, and
    /// the ramp after it. The first element finds its bank past its last reservation,
    /// in its window, or waits for it; every later element meets its own bank one CP
    /// later in the same state, so it goes at the first's start + its index, without
    /// waiting.
    fn round(self, at: u64, busy: u64) -> (u64, BankRamp) {
        let start = bank_start(self.free, self.window, at, busy);
        let mut after = self;
        claim_bank(&mut after.free, &mut after.window, start, busy);
        (start, after)
    }

    /// Writes the ramp into the `len` banks from `first`.
    fn write(
        self,
        free: &mut [u64; BANK_SLOTS],
        windows: &mut [u64; BANK_SLOTS],
        banks: usize,
        first: usize,
        len: usize,
    ) {
        if banks == BANK_SLOTS && len == BANK_SLOTS {
            // A whole round of all the slots (the X-MP's banks), the usual case: bank
            // k is (k - first) mod 32 into the round, a distance read from a table,
            // and every window is the same word.
            let distances = &ROUND_DISTANCES[BANK_SLOTS - first..][..BANK_SLOTS];
            for (slot, &distance) in free.iter_mut().zip(distances) {
                *slot = self.free + distance;
            }
            windows.fill(self.window);
            return;
        }
        fill_ramp(&mut free[..banks], first, len, self.free, 1);
        fill_ramp(&mut windows[..banks], first, len, self.window, 0);
    }
}

/// `ROUND_DISTANCES[BANK_SLOTS - first + k]` is bank `k`'s distance from bank `first`
/// round all the slots, `(k - first) mod BANK_SLOTS`, for `first` below `BANK_SLOTS`.
const ROUND_DISTANCES: [u64; 2 * BANK_SLOTS] = {
    let mut table = [0; 2 * BANK_SLOTS];
    let mut i = 0;
    while i < table.len() {
        table[i] = (i % BANK_SLOTS) as u64;
        i += 1;
    }
    table
};

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

/// Whether the `len` values from `first` (wrapping round the slice) all equal `value`.
fn all_equal(values: &[u64], first: usize, len: usize, value: u64) -> bool {
    let (wrapped, from_first) = values.split_at(first);
    let upper = len.min(from_first.len());
    from_first[..upper]
        .iter()
        .chain(&wrapped[..len - upper])
        .fold(0, |acc, &x| acc | (x ^ value))
        == 0
}

/// Sets the `len` values from `first` (wrapping round the slice, as long as the banks
/// in use: a power of two) to `value`, `value + slope`, `value + 2 * slope`, ...
///
/// Inlined so that each caller's `slope` (1 for the times, 0 for the windows) folds
/// into its loop. A whole round, the usual case, is one pass with no wrap to split
/// at: each value from its distance to `first`, which the compiler vectorises.
#[inline(always)]
fn fill_ramp(values: &mut [u64], first: usize, len: usize, value: u64, slope: u64) {
    if len == values.len() {
        debug_assert!(len.is_power_of_two());
        let mask = len - 1;
        for (k, slot) in values.iter_mut().enumerate() {
            *slot = value + slope * (k.wrapping_sub(first) & mask) as u64;
        }
        return;
    }
    let (wrapped, from_first) = values.split_at_mut(first);
    let upper = len.min(from_first.len());
    for (n, slot) in from_first[..upper].iter_mut().enumerate() {
        *slot = value + slope * n as u64;
    }
    for (n, slot) in wrapped[..len - upper].iter_mut().enumerate() {
        *slot = value + slope * (upper + n) as u64;
    }
}
