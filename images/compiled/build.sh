#!/bin/sh
# Rebuilds the COS binaries of this directory from their sources with the public COS
# cross toolchain (ACK's C compiler for COS, COS-Tools' kftc, cal and ldr), and, when
# gcc and gfortran are on PATH, the expected outputs (*.host.txt) from host builds of
# the same sources. README.md beside this script says how to build the toolchain.
#
#   COS_TOOLCHAIN=/path/to/prefix COS_TOOLS=/path/to/COS-Tools images/compiled/build.sh
#
# COS_TOOLCHAIN  the prefix the toolchain was installed into (bin/ack, bin/kftc,
#                bin/cal, bin/ldr, share/ack/cos/...)
# COS_TOOLS      a COS-Tools checkout: LISPF4 is built from its lisp/ directory, and
#                its system files LISPSYS and LISPINI are copied from there
#
# Only the build date and time in each binary's header (its PDT) differ from one build
# to the next; a program never reads them, and runs to the same state hash.
set -eu

: "${COS_TOOLCHAIN:?set COS_TOOLCHAIN to the prefix of the COS cross toolchain (see README.md)}"
: "${COS_TOOLS:?set COS_TOOLS to a COS-Tools checkout (LISPF4 is built from its lisp/)}"

here=$(cd "$(dirname "$0")" && pwd)
bin=$COS_TOOLCHAIN/bin
libc=$COS_TOOLCHAIN/share/ack/cos
libf=$libc/fortran
for tool in ack kftc cal ldr; do
    [ -x "$bin/$tool" ] || { echo "build.sh: $bin/$tool is missing (COS_TOOLCHAIN=$COS_TOOLCHAIN)" >&2; exit 2; }
done
[ -f "$COS_TOOLS/lisp/HEART.FOR" ] || { echo "build.sh: $COS_TOOLS/lisp/HEART.FOR is missing (COS_TOOLS=$COS_TOOLS)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One FORTRAN source to a relocatable object, as COS-Tools' lisp/Makefile does it.
fortran_object() {
    "$bin/kftc" -o "$1.cal" -w -s "$1"
    "$bin/cal" -x -o "$2" -l 0 -i "$1.cal"
}

# Objects to an absolute binary, with kftc's run-time libraries and ACK's C library
# (kftc's I/O library is written on top of it).
link_fortran() {
    out=$1
    shift
    "$bin/ldr" -o "$out" "$@" "$libf/libio.lib" "$libf/librt.lib" "$libf/libintf.lib" \
        "$libc/libem.a" "$libc/libsys.a" "$libc/libc.a"
}

# C: wordfreq reads standard input. (ack leaves its object file in the current
# directory.)
cp "$here/wordfreq.c" "$work/"
(cd "$work" && PATH=$bin:$PATH "$bin/ack" -mcos -o "$here/wordfreq.abs" wordfreq.c)

# C: bigheap allocates a megabyte (run with --mfl: cli/tests/compiled.rs).
cp "$here/bigheap.c" "$work/"
(cd "$work" && PATH=$bin:$PATH "$bin/ack" -mcos -o "$here/bigheap.abs" bigheap.c)

# FORTRAN 77: grades reads and writes named datasets.
cp "$here/grades.f" "$work/"
(cd "$work" && fortran_object grades.f grades.o && link_fortran "$here/grades.abs" grades.o)

# FORTRAN 77 with a CAL routine: rollout checkpoints itself (F$UROLL) half-way.
cp "$here/rollout.f" "$here/rollout.cal" "$work/"
(cd "$work" && fortran_object rollout.f rollout.o &&
    "$bin/cal" -x -o rollout-cal.o -l 0 -i rollout.cal &&
    link_fortran "$here/rollout.abs" rollout.o rollout-cal.o)

# LISPF4: the InterLisp interpreter in FORTRAN, and its system files.
mkdir "$work/lisp"
cp "$COS_TOOLS"/lisp/*.FOR "$work/lisp/"
(cd "$work/lisp" &&
    for source in HEART FLOSOR COS; do fortran_object "$source.FOR" "$source.o"; done &&
    link_fortran "$here/lispf4.abs" HEART.o FLOSOR.o COS.o)
cp "$COS_TOOLS/lisp/LISPSYS" "$COS_TOOLS/lisp/LISPINI" "$here/"
cp "$COS_TOOLS/lisp/LICENSE.txt" "$here/LISPF4-LICENSE.txt"
cp "$COS_TOOLS/LICENSE" "$here/COS-Tools-LICENSE.txt"
if git -C "$COS_TOOLS" rev-parse HEAD >/dev/null 2>&1; then
    echo "build.sh: LISPF4 from COS-Tools $(git -C "$COS_TOOLS" rev-parse HEAD)"
fi

# The expected outputs, from host builds of the same sources.
if command -v gcc >/dev/null; then
    gcc -O2 -o "$work/wordfreq" "$here/wordfreq.c"
    "$work/wordfreq" <"$here/wordfreq.in" >"$here/wordfreq.host.txt"
    gcc -O2 -o "$work/bigheap" "$here/bigheap.c"
    "$work/bigheap" >"$here/bigheap.host.txt"
else
    echo "build.sh: no gcc; wordfreq.host.txt and bigheap.host.txt left as they were" >&2
fi
if command -v gfortran >/dev/null; then
    mkdir "$work/host"
    gfortran -std=legacy -o "$work/host/grades" "$here/grades.f"
    cp "$here/grades.in" "$work/host/SCORES"
    (cd "$work/host" && ./grades >"$here/grades.host.txt")
    cp "$work/host/REPORT" "$here/grades.report.host.txt"
    cp "$work/host/BYMARK" "$here/grades.bymark.host.txt"
else
    echo "build.sh: no gfortran; grades.*host.txt left as they were" >&2
fi
echo "build.sh: rebuilt $(cd "$here" && echo *.abs)"
