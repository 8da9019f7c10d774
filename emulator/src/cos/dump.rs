//! F$DJA (044), "dump job area" (the name and number are COS-Tools' `systxt.cal`):
//! the job's state is written to the dataset the block at S1 names in its word 0.
//!
//! The one caller at hand is RECIO (COS 1.17, not in the corpus): on its way to
//! abort (after `PD690 - IJC ERROR`, since no other job answers its inter-job
//! requests here) its library routine at 73066d–73100c names `$DUMP` in the block
//! at 073022 and makes the request (EX at 73074c), then returns to its abort, which
//! lists a traceback (ADMABORT, REPRIEVE, ABORT) and makes F$ABT. It reads nothing
//! back. What COS wrote into `$DUMP` for its DUMP utility is not known here, so the
//! dataset holds the job area in this emulator's own layout, stated here and in
//! `docs/src/cos-jobs.md`:
//!
//! 1. a record of the exchange package (16 words, `Cpu::exchange_package`);
//! 2. a record of the job's field, word 0 (the JCB) to FL − 1;
//! 3. a record of the vector registers, which the package does not hold: V0
//!    elements 0–63, then V1, ... V7 (512 words), then VM;
//!
//! then an EOF and the EOD. The dataset starts anew: a job's earlier `$DUMP` is
//! replaced. A deck's DUMPJOB statement writes the same records (`deck::dumpjob`).

use super::dataset::DatasetItem;
use super::local_datasets::{MAX_DATASET_BYTES, STATUS_NO_DATASET};
use super::requests::{dataset_name, Reply};
use crate::cos::System;
use crate::system::Pid;

impl System {
    /// F$DJA with S1 = the address of a block naming the dataset in word 0.
    pub(crate) fn cos_dump_job_area(&mut self, pid: Pid, s1: u64) -> Reply {
        let address = s1 & 0xFF_FFFF;
        let Some(block) = self.cos_read(pid, address, 1) else {
            return Self::bad_address("F$DJA", address);
        };
        let name = dataset_name(block[0]);
        let written = if name.is_empty() {
            Err(format!(
                "no dataset name in word 0 of the block at {address:o}"
            ))
        } else {
            self.write_dump(pid, &name)
        };
        match written {
            Ok(()) => Reply::Status(0),
            Err(why) => {
                let line = format!("cray: pid {pid}: F$DJA: {why}\n");
                self.console_mut().message(line.as_bytes());
                Reply::Status(STATUS_NO_DATASET)
            }
        }
    }

    /// Writes the dump of `pid`'s job area into its dataset `name`, from the start.
    fn write_dump(&mut self, pid: Pid, name: &str) -> Result<(), String> {
        let items = self.dump_items(pid)?;
        self.cos_close_name(pid, name)?;
        if let Some(deck) = self.deck_of_mut(pid) {
            deck.datasets.remove(name);
        }
        let slot = self.cos_open_name(pid, name)?;
        let dataset = self
            .open_dataset(pid, slot)
            .ok_or_else(|| format!("{name}: not open"))?;
        dataset.items = items;
        dataset.written = true;
        self.cos_close_slot(pid, slot)
    }

    /// The dump's records: the exchange package, the field, the vector registers.
    pub(crate) fn dump_items(&self, pid: Pid) -> Result<Vec<DatasetItem>, String> {
        let process = self.processes.get(&pid).ok_or("no process")?;
        let field = process.memory.words();
        // Two control words a block of 511 data words, and the package's record.
        let bytes = (field.len() as u64 + 16 + VECTOR_WORDS as u64) * 8 * 512 / 511;
        if bytes > MAX_DATASET_BYTES {
            return Err(format!(
                "a field of {:o} words makes a dump larger than a dataset may be \
                 ({MAX_DATASET_BYTES} bytes)",
                field.len()
            ));
        }
        Ok(vec![
            DatasetItem::Record {
                words: process.cpu.exchange_package().to_vec(),
                unused_bits: 0,
            },
            DatasetItem::Record {
                words: field.to_vec(),
                unused_bits: 0,
            },
            DatasetItem::Record {
                words: vector_words(&process.cpu),
                unused_bits: 0,
            },
            DatasetItem::EndOfFile,
            DatasetItem::EndOfData,
        ])
    }
}

/// Words of the dump's vector record: the eight registers' 64 elements, then VM.
pub const VECTOR_WORDS: usize = 8 * 64 + 1;

/// The dump's vector record of `cpu`.
fn vector_words(cpu: &crate::cpu::Cpu) -> Vec<u64> {
    let mut words: Vec<u64> = cpu.v.iter().flatten().copied().collect();
    words.push(cpu.vm);
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cos::bits::ascii_word;
    use crate::cos::requests::code;

    #[test]
    fn the_dump_holds_the_exchange_package_then_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        assert!(system.cos_write(pid, 0o3000, &[ascii_word("$DUMP")]));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = code::F_DJA;
        cpu.s[1] = 0o3000;
        cpu.s[5] = 0o12345;
        cpu.v[1][2] = 0o777;
        cpu.vm = 1 << 63;
        let package = cpu.exchange_package().to_vec();
        let mut vectors = vec![0; VECTOR_WORDS];
        vectors[64 + 2] = 0o777;
        vectors[512] = 1 << 63;
        let field = system.processes[&pid].memory.words().to_vec();
        system.cos_request(pid, 0o1000);
        assert_eq!(system.processes[&pid].cpu.s[0], 0, "done");
        // Outside a deck a dataset is a host file of the root: blocked.
        let bytes = std::fs::read(dir.path().join("$DUMP")).unwrap();
        let (items, _) = crate::cos::local_datasets::items_from_host(&bytes).unwrap();
        let records: Vec<&Vec<u64>> = items
            .iter()
            .filter_map(|item| match item {
                DatasetItem::Record { words, .. } => Some(words),
                _ => None,
            })
            .collect();
        assert_eq!(records, [&package, &field, &vectors]);
        // A block naming nothing is refused with a status; the job lives.
        assert!(system.cos_write(pid, 0o3000, &[0]));
        let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
        cpu.s[0] = code::F_DJA;
        system.cos_request(pid, 0o1000);
        assert_eq!(system.processes[&pid].cpu.s[0], STATUS_NO_DATASET);
        assert!(system.processes[&pid].is_alive());
    }
}
