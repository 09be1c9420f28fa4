//! A log-scale latency axis.
//!
//! Input: the smallest and largest positive milliseconds to show. Output: a
//! plotters coordinate spec with ticks at 1-2-5 steps, labelled in ms.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use super::text::fmt_ms;
use super::time::map_linear;

/// A base-10 log axis in milliseconds spanning whole decades, ticks on
/// powers of ten (and 2, 5 between them when the range is short).
#[derive(Clone, Debug)]
pub struct LogAxis {
    lo: f64,
    hi: f64,
}

impl LogAxis {
    /// Covers `min..max` (values <= 0 are ignored; defaults to 1..10 ms).
    pub fn new(min: f64, max: f64) -> LogAxis {
        let min = if min.is_finite() && min > 0.0 {
            min
        } else {
            1.0
        };
        let max = if max.is_finite() && max > 0.0 {
            max.max(min)
        } else {
            min * 10.0
        };
        let lo = min.log10().floor().max(-6.0);
        let mut hi = max.log10().ceil().min(12.0);
        if hi <= lo {
            hi = lo + 1.0;
        }
        LogAxis { lo, hi }
    }

    pub fn min(&self) -> f64 {
        10f64.powf(self.lo)
    }

    pub fn max(&self) -> f64 {
        10f64.powf(self.hi)
    }

    /// The smallest value drawn; anything lower (including 0) sits on the floor.
    pub fn floor(&self, v: f64) -> f64 {
        v.max(self.min())
    }

    pub(super) fn ticks(&self, max: usize) -> Vec<f64> {
        let decades = (self.hi - self.lo) as i32;
        let mults: &[f64] = if decades <= 2 && max > 3 * decades as usize {
            &[1.0, 2.0, 5.0]
        } else {
            &[1.0]
        };
        let every = ((decades as usize + 1).div_ceil(max.max(1))).max(1) as i32;
        let mut out = Vec::new();
        for e in self.lo as i32..=self.hi as i32 {
            if (e - self.lo as i32) % every != 0 {
                continue;
            }
            for m in mults {
                let v = m * 10f64.powi(e);
                if v <= self.max() * 1.0001 {
                    out.push(v);
                }
            }
        }
        out
    }
}

impl Ranged for LogAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let l = if *v > 0.0 { v.log10() } else { self.lo };
        map_linear((l - self.lo) / (self.hi - self.lo), limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        self.ticks(hint.max_num_points())
    }

    fn range(&self) -> Range<f64> {
        self.min()..self.max()
    }
}

impl ValueFormatter<f64> for LogAxis {
    fn format_ext(&self, v: &f64) -> String {
        fmt_ms(*v)
    }
}
