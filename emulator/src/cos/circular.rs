//! F$RDC/F$WDC: circular-buffer I/O of blocked data. The buffer is described by DSP
//! words 1–4 (FIRST, IN, OUT, LIMIT; addresses in bits 40–63). The system fills it
//! (F$RDC) with the dataset's blocked form (BCWs and RCWs included), from IN up to
//! one word short of OUT, wrapping at LIMIT, and advances IN; it drains it (F$WDC)
//! from OUT to IN and advances OUT. Deblocking is the program's library's business.
//! Written blocked words are deblocked when the dataset is closed.

use super::job::{DPFIRST, DPIN, DPLIMIT, DPOUT};
use super::requests::{address_field, Reply};
use crate::system::{Pid, System};

/// The buffer pointers of a DSP.
struct Circle {
    first: u64,
    input: u64,
    output: u64,
    limit: u64,
}

impl System {
    fn circle(&self, pid: Pid, dsp: u64) -> Option<Circle> {
        let words = self.cos_read(pid, dsp, 5)?;
        let circle = Circle {
            first: address_field(words[DPFIRST as usize]),
            input: address_field(words[DPIN as usize]),
            output: address_field(words[DPOUT as usize]),
            limit: address_field(words[DPLIMIT as usize]),
        };
        let inside = |a: u64| a >= circle.first && a < circle.limit;
        let fits = circle.first < circle.limit
            && inside(circle.input)
            && inside(circle.output)
            && self
                .cos_read(pid, circle.first, circle.limit - circle.first)
                .is_some();
        fits.then_some(circle)
    }

    fn set_pointer(&mut self, pid: Pid, address: u64, value: u64) {
        let old = self.cos_read(pid, address, 1).map_or(0, |w| w[0]);
        self.cos_write(pid, address, &[super::bits::with_field(old, 40, 63, value)]);
    }

    /// F$RDC with S1 = DSP.
    pub(crate) fn cos_read_circular(&mut self, pid: Pid, s1: u64) -> Reply {
        let Some((slot, dsp)) = self.cos_resolve(pid, s1, true) else {
            return Reply::Status(super::local_datasets::STATUS_NO_DATASET);
        };
        let Some(circle) = self.circle(pid, dsp) else {
            return Self::bad_address("F$RDC buffer", dsp);
        };
        // The blocked form is built once, whole: on the terminal it waits for the
        // end of the input.
        if !self.cos_terminal_ready(pid, slot, true) {
            return Reply::WaitForTerminal;
        }
        let Some(dataset) = self.open_dataset(pid, slot) else {
            return Reply::Status(super::local_datasets::STATUS_NO_DATASET);
        };
        if dataset.read_stream.is_none() {
            let stream = super::dataset::block(&dataset.items).unwrap_or_default();
            dataset.read_stream = Some(stream);
        }
        let stream = dataset.read_stream.as_deref().unwrap_or(&[]);
        let size = circle.limit - circle.first;
        let used = (circle.input + size - circle.output) % size;
        let room = (size - 1 - used) as usize;
        let take = room.min(stream.len().saturating_sub(dataset.read_position));
        let words = stream[dataset.read_position..dataset.read_position + take].to_vec();
        dataset.read_position += take;
        let mut input = circle.input;
        for word in words {
            self.cos_write(pid, input, &[word]);
            input += 1;
            if input == circle.limit {
                input = circle.first;
            }
        }
        self.set_pointer(pid, dsp + u64::from(DPIN), input);
        Reply::Status(0)
    }

    /// F$WDC with S1 = DSP.
    pub(crate) fn cos_write_circular(&mut self, pid: Pid, s1: u64) -> Reply {
        let Some((slot, dsp)) = self.cos_resolve(pid, s1, true) else {
            return Reply::Status(super::local_datasets::STATUS_NO_DATASET);
        };
        let Some(circle) = self.circle(pid, dsp) else {
            return Self::bad_address("F$WDC buffer", dsp);
        };
        let mut words = Vec::new();
        let mut output = circle.output;
        while output != circle.input {
            words.extend(self.cos_read(pid, output, 1).unwrap_or_default());
            output += 1;
            if output == circle.limit {
                output = circle.first;
            }
        }
        if let Some(dataset) = self
            .processes
            .get_mut(&pid)
            .and_then(|p| p.cos.as_mut())
            .and_then(|j| j.open.get_mut(&slot))
        {
            dataset.write_stream.extend(words);
        }
        self.set_pointer(pid, dsp + u64::from(DPOUT), output);
        Reply::Status(0)
    }
}
