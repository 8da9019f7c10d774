//! The CPU: register file and execution of every instruction.
