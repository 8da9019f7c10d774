//! Interpreter speed: emulated instructions per second on a scalar loop and on
//! strip-mined vector loops (Y = a*X + Y, and Y = X / Z), with the timing model off and on
//! (`interpreter/...`), and the same runs counted in emulated clock periods per second
//! (`emulated_cp/...`; a real X-MP does 105 M CP/s, a Cray-1 80 M).
use cray_emulator::cpu::{Cpu, Flags, Stop};
use cray_emulator::isa::Model;
use cray_emulator::memory::Memory;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const EX: u16 = 0o004000;

/// Stores parcels from parcel address 0.
fn load(memory: &mut Memory, parcels: &[u16]) {
    for (n, parcel) in parcels.iter().enumerate() {
        let shift = 48 - 16 * (n % 4);
        let word = &mut memory.words_mut()[n / 4];
        *word = (*word & !(0xFFFF << shift)) | (u64::from(*parcel) << shift);
    }
}

fn expect_exit(stop: Stop) {
    assert!(
        matches!(stop, Stop::Exchange { flags, .. } if flags == Flags(Flags::NORMAL_EXIT)),
        "{stop:?}"
    );
}

/// The timing settings benchmarked: `--timing off` and `--timing approx`.
const TIMINGS: [(&str, bool); 2] = [("off", false), ("approx", true)];

/// Benchmarks `one_run` (which runs the program once on `cpu` and `memory`) as
/// `interpreter/NAME/TIMING` in instructions per second and as `emulated_cp/NAME/TIMING`
/// in emulated clock periods per second.
fn bench_program(
    c: &mut Criterion,
    name: &str,
    mut cpu: Cpu,
    mut memory: Memory,
    one_run: impl Fn(&mut Cpu, &mut Memory) + Copy,
) {
    for (timing, on) in TIMINGS {
        cpu.set_timing(on);
        // Warm the model (buffers, reservations) and measure one run.
        one_run(&mut cpu, &mut memory);
        let (cycles, issued) = (cpu.cycles, cpu.instructions);
        one_run(&mut cpu, &mut memory);
        let cycles = cpu.cycles - cycles;
        let instructions = cpu.instructions - issued;
        for (group, per_run) in [("interpreter", instructions), ("emulated_cp", cycles)] {
            let mut group = c.benchmark_group(group);
            group.throughput(Throughput::Elements(per_run));
            group.bench_function(format!("{name}/{timing}"), |b| {
                b.iter(|| one_run(black_box(&mut cpu), &mut memory))
            });
            group.finish();
        }
    }
}

/// `A1 A1+1; A0 A1-A2; JAN 0` repeated `ITERATIONS` times, then EX.
fn scalar_loop(c: &mut Criterion) {
    const ITERATIONS: u32 = 10_000;
    let program = [0o030110, 0o031012, 0o011000, 0, EX];
    let mut memory = Memory::new(0o1000);
    load(&mut memory, &program);
    let cpu = Cpu::new(Model::XMp, 0o1000);
    bench_program(c, "scalar_loop", cpu, memory, |cpu, memory| {
        cpu.p = 0;
        cpu.a[1] = 0;
        cpu.a[2] = ITERATIONS;
        expect_exit(cpu.run(memory, u64::MAX));
        black_box(cpu.a[1]);
    });
}

/// Y = a*X + Y over `STRIPS` * 64 elements, 64 at a time.
fn vector_loop(c: &mut Criterion) {
    const STRIPS: u32 = 1563; // 100032 elements
    const X: u32 = 0o1000;
    const Y: u32 = X + STRIPS * 64;
    let program = [
        0o030003, // A0 A3
        0o176100, // V1 ,A0,1
        0o030004, // A0 A4
        0o176200, // V2 ,A0,1
        0o160311, // V3 S1*FV1
        0o171432, // V4 V3+FV2
        0o177040, // ,A0,1 V4
        0o030336, // A3 A3+A6
        0o030446, // A4 A4+A6
        0o031550, // A5 A5-1
        0o030005, // A0 A5
        0o011000, 0, // JAN 0
        EX,
    ];
    let words = (Y + STRIPS * 64) as usize;
    let mut memory = Memory::new(words);
    load(&mut memory, &program);
    for n in 0..STRIPS * 64 {
        memory.words_mut()[(X + n) as usize] = 0o0400014000000000000000; // 1.0
    }
    let cpu = Cpu::new(Model::XMp, words as u32);
    bench_program(c, "vector_loop", cpu, memory, |cpu, memory| {
        cpu.p = 0;
        cpu.vl = 64;
        cpu.s[1] = 0o0400004000000000000000; // 0.5
        cpu.a[3] = X;
        cpu.a[4] = Y;
        cpu.a[5] = STRIPS;
        cpu.a[6] = 64;
        expect_exit(cpu.run(memory, u64::MAX));
        black_box(cpu.v[4][0]);
    });
}

/// Y = X / Z over `STRIPS` * 64 elements, 64 at a time, the Cray way: a reciprocal
/// approximation, one Newton step (`*I`), then a full multiply. The operands have full
/// coefficients, so every multiply forms its whole partial-product pyramid.
fn vector_divide(c: &mut Criterion) {
    const STRIPS: u32 = 400; // 25600 elements
    const X: u32 = 0o1000;
    const Z: u32 = X + STRIPS * 64;
    const Y: u32 = Z + STRIPS * 64;
    let program = [
        0o030003, // A0 A3
        0o176100, // V1 ,A0,1
        0o030004, // A0 A4
        0o176200, // V2 ,A0,1
        0o174320, // V3 /HV2
        0o167423, // V4 V2*IV3
        0o161534, // V5 V3*FV4
        0o161615, // V6 V1*FV5
        0o030007, // A0 A7
        0o177060, // ,A0,1 V6
        0o030336, // A3 A3+A6
        0o030446, // A4 A4+A6
        0o030776, // A7 A7+A6
        0o031550, // A5 A5-1
        0o030005, // A0 A5
        0o011000, 0, // JAN 0
        EX,
    ];
    let words = (Y + STRIPS * 64) as usize;
    let mut memory = Memory::new(words);
    load(&mut memory, &program);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for n in 0..STRIPS * 64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // Exponents near 040000, normalized coefficients of every bit pattern.
        let coefficient = (state & ((1 << 47) - 1)) | (1 << 47);
        let exponent = 0o40000 - 4 + (state >> 60);
        memory.words_mut()[(X + n) as usize] = (exponent << 48) | coefficient;
        let divisor = coefficient.rotate_left(7) & ((1 << 48) - 1) | (1 << 47);
        memory.words_mut()[(Z + n) as usize] = (0o40001 << 48) | divisor;
    }
    let cpu = Cpu::new(Model::XMp, words as u32);
    bench_program(c, "vector_divide", cpu, memory, |cpu, memory| {
        cpu.p = 0;
        cpu.vl = 64;
        cpu.a[3] = X;
        cpu.a[4] = Z;
        cpu.a[7] = Y;
        cpu.a[5] = STRIPS;
        cpu.a[6] = 64;
        expect_exit(cpu.run(memory, u64::MAX));
        black_box(cpu.v[6][0]);
    });
}

criterion_group!(benches, scalar_loop, vector_loop, vector_divide);
criterion_main!(benches);
