//! Cost of the timing model per emulated instruction: the same pre-decoded stream of
//! scalar, vector, memory and branch instructions, with the model called for every
//! instruction (`--timing approx`) and skipped (`--timing off`).

use cray_emulator::isa::{decode, form_of, Model};
use cray_emulator::timing::{Issue, MemoryAccess, TimingModel};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

/// 1024 issues of a loop mixing the instruction kinds the model distinguishes.
fn stream(model: Model) -> Vec<Issue> {
    let body: [(u16, u16, MemoryAccess); 8] = [
        (0o030123, 0, MemoryAccess::None),
        (0o064123, 0, MemoryAccess::None),
        (0o120100, 0o40, MemoryAccess::Scalar { address: 0o40 }),
        (
            0o176100,
            0,
            MemoryAccess::Vector {
                first: 0o1000,
                stride: 1,
            },
        ),
        (0o171201, 0, MemoryAccess::None),
        (0o161423, 0, MemoryAccess::None),
        (
            0o177040,
            0,
            MemoryAccess::Vector {
                first: 0o2000,
                stride: 1,
            },
        ),
        (0o011000, 0, MemoryAccess::None),
    ];
    let mut issues = Vec::new();
    for _ in 0..128 {
        // Every pass starts again at parcel 0, as a loop does: each instruction keeps
        // its parcel address (and so its slot in the model's per-address caches).
        let mut p = 0;
        for &(p1, p2, memory) in &body {
            let instruction = decode(p1, p2, model);
            issues.push(Issue {
                instruction,
                parcel_address: p,
                vl: 64,
                memory,
                branch_taken: true,
                unit: form_of(p1, model).map_or(cray_emulator::isa::Unit::None, |f| f.unit),
            });
            p += instruction.len();
        }
    }
    issues
}

fn timing(c: &mut Criterion) {
    for model in [Model::XMp, Model::Cray1] {
        let issues = stream(model);
        let mut group = c.benchmark_group(format!("timing/{}", model.name()));
        group.throughput(Throughput::Elements(issues.len() as u64));
        group.bench_function("approx", |b| {
            let mut timing = TimingModel::new(model);
            b.iter(|| {
                for issue in &issues {
                    black_box(timing.issue(black_box(issue)));
                }
            })
        });
        group.bench_function("off", |b| {
            b.iter(|| {
                for issue in &issues {
                    black_box(black_box(issue).vl);
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, timing);
criterion_main!(benches);
