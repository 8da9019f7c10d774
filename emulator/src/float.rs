//! Bit-exact Cray floating point (ISA.md section 5).
