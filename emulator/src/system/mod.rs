//! The UNICOS-like kernel: processes, jobs, system calls, files, signals.
