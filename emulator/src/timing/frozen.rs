//! The timing model to and from its frozen saved form ([`TimingModelV1`]), beside the
//! private fields it reads. Only the model's state is saved: its caches and the
//! timeline it records are not, and a restored model starts without them.

use super::banks::BankTimes;
use super::times::Times;
use super::{BufferCursor, TimingModel};
use crate::saved::convert::{convert_by_from, Convert};
use crate::saved::v1::TimingModelV1;

impl From<TimingModel> for TimingModelV1 {
    fn from(t: TimingModel) -> TimingModelV1 {
        let (bank_free, bank_window) = t.banks.saved_words();
        TimingModelV1 {
            model: t.model.into(),
            next_issue: t.next_issue,
            ready: t.ready.to_array(),
            chain_slot: t.chain_slot,
            read_end: t.read_end,
            unit_free: t.unit_free.to_array(),
            port_free: t.port_free,
            bank_free,
            bank_window,
            a_results: t.a_results,
            s_results: t.s_results,
            buffers: t.buffers,
            cursor: t.cursor.0,
            quiescent: t.quiescent,
            counters: t.counters.into(),
        }
    }
}

impl From<TimingModelV1> for TimingModel {
    fn from(t: TimingModelV1) -> TimingModel {
        let mut model = TimingModel::new(t.model.convert());
        model.next_issue = t.next_issue;
        model.ready = Times::from_array(t.ready);
        model.chain_slot = t.chain_slot;
        model.read_end = t.read_end;
        model.unit_free = Times::from_array(t.unit_free);
        model.port_free = t.port_free;
        model.banks = BankTimes::from_saved_words(t.bank_free, t.bank_window);
        model.a_results = t.a_results;
        model.s_results = t.s_results;
        model.buffers = t.buffers;
        model.cursor = BufferCursor(t.cursor);
        model.quiescent = t.quiescent;
        model.counters = t.counters.into();
        model
    }
}

convert_by_from!(TimingModel, TimingModelV1);
