//! Column kinds of the tables and the builders that fill one column of a
//! batch from the rows it holds.
//!
//! Input: row indexes and a function from a row to its value. Output: an
//! Arrow array of the kind's type. `None` becomes null, never 0 or "".

use std::fmt::{Display, Write as _};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::ArrayRef;
use arrow_schema::{DataType, Field, TimeUnit};

/// What a column holds, as the README's schema table names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text.
    Str,
    /// A list of UTF-8 texts.
    StrList,
    /// A point in time: µs since the Unix epoch, UTC.
    Time,
    /// Milliseconds (a duration), a 64-bit float.
    Ms,
    /// A 64-bit float that is not a duration (a confidence).
    Float,
    Int32,
    Int64,
    Bool,
}

impl Kind {
    /// The Arrow type the column is written as.
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Str => DataType::Utf8,
            Kind::StrList => DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
            Kind::Time => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Kind::Ms | Kind::Float => DataType::Float64,
            Kind::Int32 => DataType::Int32,
            Kind::Int64 => DataType::Int64,
            Kind::Bool => DataType::Boolean,
        }
    }

    /// The type as the README's schema tables write it.
    pub fn doc_name(self) -> &'static str {
        match self {
            Kind::Str => "string",
            Kind::StrList => "list<string>",
            Kind::Time => "timestamp[µs, UTC]",
            Kind::Ms => "double (ms)",
            Kind::Float => "double",
            Kind::Int32 => "int32",
            Kind::Int64 => "int64",
            Kind::Bool => "bool",
        }
    }
}

/// Texts, null where `f` gives `None`.
pub fn strs<'a>(rows: &[u32], mut f: impl FnMut(u32) -> Option<&'a str>) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 16);
    for &r in rows {
        b.append_option(f(r));
    }
    Arc::new(b.finish())
}

/// Texts formatted in place (no allocation per row), null where `f` gives `None`.
pub fn formatted<T: Display>(rows: &[u32], mut f: impl FnMut(u32) -> Option<T>) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 16);
    for &r in rows {
        match f(r) {
            Some(v) => append_display(&mut b, v),
            None => b.append_null(),
        }
    }
    Arc::new(b.finish())
}

/// Appends `v` as one text value.
pub fn append_display(b: &mut StringBuilder, v: impl Display) {
    let _ = write!(b, "{v}");
    b.append_value("");
}

/// Lists of texts: `f` pushes a row's items into the values builder.
pub fn str_lists(rows: &[u32], mut f: impl FnMut(u32, &mut StringBuilder)) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for &r in rows {
        f(r, b.values());
        b.append(true);
    }
    Arc::new(b.finish())
}

/// UTC times from nanoseconds, cut to microseconds (rounded down, also
/// before 1970).
pub fn times(rows: &[u32], mut f: impl FnMut(u32) -> Option<i64>) -> ArrayRef {
    let mut b = TimestampMicrosecondBuilder::with_capacity(rows.len()).with_timezone("UTC");
    for &r in rows {
        b.append_option(f(r).map(|ns| ns.div_euclid(1_000)));
    }
    Arc::new(b.finish())
}

/// Durations from nanoseconds, in milliseconds with microsecond precision
/// (as `report.json` writes them, so the two agree to the digit).
pub fn millis(rows: &[u32], mut f: impl FnMut(u32) -> Option<i64>) -> ArrayRef {
    floats(rows, |r| f(r).map(crate::analyze::latency::ms))
}

pub fn floats(rows: &[u32], mut f: impl FnMut(u32) -> Option<f64>) -> ArrayRef {
    let mut b = Float64Builder::with_capacity(rows.len());
    for &r in rows {
        b.append_option(f(r));
    }
    Arc::new(b.finish())
}

pub fn int32s(rows: &[u32], mut f: impl FnMut(u32) -> Option<i32>) -> ArrayRef {
    let mut b = Int32Builder::with_capacity(rows.len());
    for &r in rows {
        b.append_option(f(r));
    }
    Arc::new(b.finish())
}

pub fn int64s(rows: &[u32], mut f: impl FnMut(u32) -> Option<i64>) -> ArrayRef {
    let mut b = Int64Builder::with_capacity(rows.len());
    for &r in rows {
        b.append_option(f(r));
    }
    Arc::new(b.finish())
}

pub fn bools(rows: &[u32], mut f: impl FnMut(u32) -> Option<bool>) -> ArrayRef {
    let mut b = BooleanBuilder::with_capacity(rows.len());
    for &r in rows {
        b.append_option(f(r));
    }
    Arc::new(b.finish())
}

/// A 64-bit id as 16 lowercase hex digits.
pub struct Hex64(pub u64);

impl Display for Hex64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A 128-bit id as 32 lowercase hex digits.
pub struct Hex128(pub u128);

impl Display for Hex128 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMicrosecondType;
    use arrow_array::Array;

    #[test]
    fn none_is_null_not_zero() {
        let rows = [0, 1, 2];
        let t = times(&rows, |r| (r != 1).then_some(-1_500));
        let t = t.as_primitive::<TimestampMicrosecondType>();
        assert_eq!((t.value(0), t.is_null(1)), (-2, true));
        let m = millis(&rows, |r| (r == 2).then_some(1_234_567));
        let m = m.as_primitive::<arrow_array::types::Float64Type>();
        assert!(m.is_null(0) && m.is_null(1));
        assert_eq!(m.value(2), 1.235);
        let s = formatted(&rows, |r| (r > 0).then_some(Hex64(u64::from(r))));
        let s = s.as_string::<i32>();
        assert!(s.is_null(0));
        assert_eq!(s.value(2), "0000000000000002");
    }
}
