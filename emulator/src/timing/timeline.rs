//! A record of which functional unit, memory port and V register is busy in each
//! clock period of a window, drawn as an SVG chart (`cray run --timeline`).
//!
//! Recording keeps busy intervals, not per-period bitmaps: an interval that touches or
//! overlaps the previous one of the same row extends it, and at most
//! [`MAX_INTERVALS`] are kept (the rest are counted in `dropped`).

use crate::isa::Unit;
use std::fmt::Write;

/// Most intervals a timeline keeps.
pub const MAX_INTERVALS: usize = 200_000;

/// Names of the chart rows, top to bottom.
pub const ROWS: [&str; 26] = [
    "address add",
    "address multiply",
    "scalar add",
    "scalar logical",
    "scalar shift",
    "scalar double shift",
    "population",
    "leading zero",
    "floating add",
    "floating multiply",
    "reciprocal",
    "vector add",
    "vector logical",
    "vector shift",
    "vector population",
    "memory port A",
    "memory port B",
    "memory port C",
    "V0",
    "V1",
    "V2",
    "V3",
    "V4",
    "V5",
    "V6",
    "V7",
];

/// Number of rows drawn.
const ROW_COUNT: usize = ROWS.len();

/// First memory-port row.
const PORT_ROW: u8 = 15;
/// First V-register row.
const VECTOR_ROW: u8 = 18;

/// The row of a functional unit (None for no unit, branches and memory).
pub fn unit_row(unit: Unit) -> Option<u8> {
    Some(match unit {
        Unit::AddressAdd => 0,
        Unit::AddressMultiply => 1,
        Unit::ScalarAdd => 2,
        Unit::ScalarLogical => 3,
        Unit::ScalarShift => 4,
        Unit::ScalarDoubleShift => 5,
        Unit::ScalarPopulation => 6,
        Unit::ScalarLeadingZero => 7,
        Unit::FloatAdd => 8,
        Unit::FloatMultiply => 9,
        Unit::Reciprocal => 10,
        Unit::VectorAdd => 11,
        Unit::VectorLogical => 12,
        Unit::VectorShift => 13,
        Unit::VectorPopulation => 14,
        Unit::None | Unit::Branch | Unit::Memory => return None,
    })
}

/// The row of memory port `port` (0..3).
pub fn port_row(port: usize) -> u8 {
    PORT_ROW + port as u8
}

/// The row of V register `v` (0..8).
pub fn vector_row(v: usize) -> u8 {
    VECTOR_ROW + v as u8
}

/// One busy interval [start, end) of one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// Row index into [`ROWS`].
    pub row: u8,
    /// First busy clock period.
    pub start: u64,
    /// First clock period after the interval.
    pub end: u64,
}

/// Busy intervals recorded inside a window of clock periods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    start: u64,
    len: u64,
    intervals: Vec<Interval>,
    last: [Option<usize>; ROW_COUNT],
    /// Intervals not kept because the cap was reached.
    pub dropped: u64,
}

impl Timeline {
    /// An empty timeline recording clock periods [start, start + len).
    pub fn new(start: u64, len: u64) -> Timeline {
        Timeline {
            start,
            len: len.max(1),
            intervals: Vec::new(),
            last: [None; ROW_COUNT],
            dropped: 0,
        }
    }

    /// First clock period of the window.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// Length of the window in clock periods.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }

    /// The recorded intervals, clipped to the window.
    pub fn intervals(&self) -> &[Interval] {
        &self.intervals
    }

    /// Records that `row` is busy in [start, end); ignores what lies outside the window.
    pub fn record(&mut self, row: u8, start: u64, end: u64) {
        let window_end = self.start + self.len;
        let (start, end) = (start.max(self.start), end.min(window_end));
        if start >= end || row as usize >= ROW_COUNT {
            return;
        }
        if let Some(index) = self.last[row as usize] {
            let last = &mut self.intervals[index];
            if start <= last.end && end >= last.start {
                last.start = last.start.min(start);
                last.end = last.end.max(end);
                return;
            }
        }
        if self.intervals.len() >= MAX_INTERVALS {
            self.dropped += 1;
            return;
        }
        self.last[row as usize] = Some(self.intervals.len());
        self.intervals.push(Interval { row, start, end });
    }

    /// The chart: one row per functional unit, memory port and V register, a rectangle
    /// per busy interval, and a time axis in clock periods.
    pub fn to_svg(&self) -> String {
        const LEFT: f64 = 140.0;
        const TOP: f64 = 30.0;
        const ROW_HEIGHT: f64 = 18.0;
        const PLOT_WIDTH: f64 = 1200.0;
        let scale = PLOT_WIDTH / self.len as f64;
        let height = TOP + ROW_HEIGHT * ROW_COUNT as f64 + 40.0;
        let width = LEFT + PLOT_WIDTH + 20.0;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace" font-size="11">"#
        );
        let _ = writeln!(
            svg,
            r#"<text x="4" y="16">clock periods {} to {}{}</text>"#,
            self.start,
            self.start + self.len,
            if self.dropped > 0 {
                format!(" ({} intervals not drawn)", self.dropped)
            } else {
                String::new()
            }
        );
        for (row, name) in ROWS.iter().enumerate() {
            let y = TOP + ROW_HEIGHT * row as f64;
            let fill = if row % 2 == 0 { "#f4f4f4" } else { "#ffffff" };
            let _ = writeln!(
                svg,
                r#"<rect x="{LEFT}" y="{y}" width="{PLOT_WIDTH}" height="{ROW_HEIGHT}" fill="{fill}"/><text x="4" y="{:.1}">{name}</text>"#,
                y + ROW_HEIGHT - 5.0
            );
        }
        for interval in &self.intervals {
            let row = interval.row as usize;
            let x = LEFT + (interval.start - self.start) as f64 * scale;
            let w = ((interval.end - interval.start) as f64 * scale).max(0.5);
            let y = TOP + ROW_HEIGHT * row as f64 + 2.0;
            let colour = match interval.row {
                r if r >= VECTOR_ROW => "#c0504d",
                r if r >= PORT_ROW => "#9bbb59",
                _ => "#4f81bd",
            };
            let _ = writeln!(
                svg,
                r#"<rect x="{x:.2}" y="{y}" width="{w:.2}" height="{:.1}" fill="{colour}"><title>{} {}..{}</title></rect>"#,
                ROW_HEIGHT - 4.0,
                ROWS[row],
                interval.start,
                interval.end
            );
        }
        let axis_y = TOP + ROW_HEIGHT * ROW_COUNT as f64;
        let _ = writeln!(
            svg,
            r#"<line x1="{LEFT}" y1="{axis_y}" x2="{}" y2="{axis_y}" stroke="black"/>"#,
            LEFT + PLOT_WIDTH
        );
        let step = tick_step(self.len);
        let mut tick = self.start.div_ceil(step) * step;
        while tick <= self.start + self.len {
            let x = LEFT + (tick - self.start) as f64 * scale;
            let _ = writeln!(
                svg,
                r#"<line x1="{x:.2}" y1="{axis_y}" x2="{x:.2}" y2="{:.1}" stroke="black"/><text x="{x:.2}" y="{:.1}" text-anchor="middle">{tick}</text>"#,
                axis_y + 5.0,
                axis_y + 18.0
            );
            tick += step;
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// A round tick spacing giving about ten ticks over `len` clock periods.
fn tick_step(len: u64) -> u64 {
    let rough = (len / 10).max(1);
    let mut step = 1;
    while step * 10 <= rough {
        step *= 10;
    }
    if step * 5 <= rough {
        step * 5
    } else if step * 2 <= rough {
        step * 2
    } else {
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_merge_clip_and_draw() {
        let mut timeline = Timeline::new(100, 50);
        timeline.record(0, 90, 105); // clipped to 100..105
        timeline.record(0, 104, 110); // merges: 100..110
        timeline.record(vector_row(3), 140, 400); // clipped to 140..150
        timeline.record(1, 10, 20); // outside: ignored
        assert_eq!(
            timeline.intervals(),
            &[
                Interval {
                    row: 0,
                    start: 100,
                    end: 110
                },
                Interval {
                    row: vector_row(3),
                    start: 140,
                    end: 150
                }
            ]
        );
        let svg = timeline.to_svg();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("V3 140..150"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn tick_steps_are_round() {
        assert_eq!(tick_step(5), 1);
        assert_eq!(tick_step(100), 10);
        assert_eq!(tick_step(1000), 100);
        assert_eq!(tick_step(250), 20);
    }
}
