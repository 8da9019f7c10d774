#!/bin/sh
# Rebuilds the compiled benchmark programs from their sources with the public COS
# cross toolchain (ACK for C, COS-Tools' kftc, cal and ldr for FORTRAN 77), installed
# under $PREFIX as ../shared/TOOLCHAIN.md describes. The .abs files are committed
# beside the sources so that the benchmarks run without the toolchain.
#
#   PREFIX=/path/to/prefix benches/programs/build.sh
set -eu
: "${PREFIX:?set PREFIX to the toolchain prefix (its bin/ holds ack, kftc, cal, ldr)}"
cd "$(dirname "$0")"
PATH="$PREFIX/bin:$PATH"
C="$PREFIX/share/ack/cos"
F="$C/fortran"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# linsolve: FORTRAN 77 (kftc -> CAL -> object -> absolute, with the run-time libraries).
kftc -o "$work/linsolve.cal" -s linsolve.f
cal -x -o "$work/linsolve.o" -l 0 -i "$work/linsolve.cal"
ldr -o linsolve.abs "$work/linsolve.o" "$F/libio.lib" "$F/librt.lib" "$F/libintf.lib" \
    "$C/libem.a" "$C/libsys.a" "$C/libc.a"

# wordfreq: ACK C, optimised.
ack -mcos -O -o wordfreq.abs wordfreq.c
