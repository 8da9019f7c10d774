//! Word-addressed memory with base/limit relocation and range errors.
