//! The opcode table of the Cray X-MP and Cray-1.
