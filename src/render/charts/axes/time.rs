//! A UTC time axis with ticks on round times.
//!
//! Input: a range in epoch seconds ([`crate::render::view::Time::seconds`]) and
//! the axis length in pixels. Output: a plotters coordinate spec whose ticks
//! fall on whole seconds, minutes, hours or days, at most as many as fit.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use super::text::text_width;
use super::LABEL_PX;

const STEPS: [u64; 21] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    172800, 604800, 2419200,
];

/// A UTC time axis (values in epoch seconds) with ticks on round times:
/// whole seconds, minutes, hours or days, at most as many as fit.
#[derive(Clone, Debug)]
pub struct TimeAxis {
    pub start: f64,
    pub end: f64,
    step: u64,
}

impl TimeAxis {
    /// An axis over `start..end` seconds drawn `width_px` wide.
    pub fn new(start: f64, end: f64, width_px: f64) -> TimeAxis {
        let (start, end) = if start.is_finite() && end.is_finite() && end > start {
            (start, end)
        } else if start.is_finite() {
            (start, start + 60.0)
        } else {
            (0.0, 60.0)
        };
        let span = end - start;
        let mut step = *STEPS.last().unwrap_or(&86400);
        for s in STEPS {
            let label = if span > 86400.0 && s < 86400 {
                "Mar 05 12:00"
            } else if s < 60 {
                "12:00:00"
            } else {
                "12:00"
            };
            let max_ticks = (width_px / (text_width(label, LABEL_PX) + 30.0)).max(2.0);
            if span / s as f64 <= max_ticks {
                step = s;
                break;
            }
        }
        TimeAxis { start, end, step }
    }

    /// Seconds between ticks.
    pub fn step_seconds(&self) -> u64 {
        self.step
    }

    /// The tick times: multiples of the step (in UTC) inside the range.
    pub fn ticks(&self) -> Vec<f64> {
        let step = self.step as f64;
        let mut t = (self.start / step).ceil() * step;
        let mut out = Vec::new();
        while t <= self.end + 1e-6 && out.len() < 1000 {
            out.push(t);
            t += step;
        }
        out
    }

    /// A tick label: `12:05:30`, `12:05`, `Mar 05 12:00` or `Mar 05`.
    pub fn label(&self, t: f64) -> String {
        let Ok(ts) = jiff::Timestamp::from_second(t.round() as i64) else {
            return String::new();
        };
        let fmt = if self.step >= 86400 {
            "%b %d"
        } else if self.end - self.start > 86400.0 {
            "%b %d %H:%M"
        } else if self.step < 60 {
            "%H:%M:%S"
        } else {
            "%H:%M"
        };
        ts.strftime(fmt).to_string()
    }

    /// The axis description: `time (UTC)`, with the date when all ticks share it.
    pub fn desc(&self) -> String {
        let day = |t: f64| {
            jiff::Timestamp::from_second(t.floor() as i64)
                .map(|ts| ts.strftime("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        let (a, b) = (day(self.start), day(self.end - 1e-3));
        if a == b {
            format!("time (UTC), {a}")
        } else {
            format!("time (UTC), {a} to {b}")
        }
    }
}

pub(super) fn map_linear(r: f64, limit: (i32, i32)) -> i32 {
    // Clamped so a stray value cannot overflow the pixel type.
    let r = if r.is_finite() {
        r.clamp(-1.0, 2.0)
    } else {
        0.0
    };
    (limit.0 as f64 + r * (limit.1 - limit.0) as f64).round() as i32
}

impl Ranged for TimeAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        map_linear((v - self.start) / (self.end - self.start), limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        let ticks = self.ticks();
        let max = hint.max_num_points().max(1);
        if ticks.len() <= max {
            return ticks;
        }
        let every = ticks.len().div_ceil(max);
        ticks.into_iter().step_by(every).collect()
    }

    fn range(&self) -> Range<f64> {
        self.start..self.end
    }
}

impl ValueFormatter<f64> for TimeAxis {
    fn format_ext(&self, v: &f64) -> String {
        self.label(*v)
    }
}
