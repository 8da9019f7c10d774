//! Cycle-approximate timing model and hardware performance monitor.
