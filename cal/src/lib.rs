//! `cray-cal`: the CAL assembler (source -> binary + listing), built on `cray_emulator::isa`.
