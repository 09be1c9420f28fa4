//! Numbers as people read them: counts with thousands separators, bytes,
//! milliseconds, percentages. A leaf: any module may use it, it uses none.

/// `12345678` -> `12,345,678`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes as `512 B`, `12.3 KB`, `4.5 MB`, `1.2 GB`.
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1e3 {
        format!("{n} B")
    } else if n < 1e6 {
        format!("{:.1} KB", n / 1e3)
    } else if n < 1e9 {
        format!("{:.1} MB", n / 1e6)
    } else {
        format!("{:.2} GB", n / 1e9)
    }
}

/// A percentage with one decimal; `n/a` for an empty whole (a share of
/// nothing is unknown, not 0%).
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "n/a".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// Milliseconds for a table: `0.42`, `12.3`, `812`, `12,345`.
pub fn ms(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a < 10.0 {
        format!("{v:.2}")
    } else if a < 100.0 {
        format!("{v:.1}")
    } else if a < 1e15 {
        let s = thousands(a.round() as u64);
        if v < 0.0 {
            format!("-{s}")
        } else {
            s
        }
    } else {
        format!("{v:.3e}")
    }
}

/// A share (0..=1) as a percentage with one decimal.
pub fn rate(r: f64) -> String {
    if !r.is_finite() {
        return "-".into();
    }
    format!("{:.1}%", r * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_read_well() {
        assert_eq!(ms(0.4249), "0.42");
        assert_eq!(ms(12.34), "12.3");
        assert_eq!(ms(12345.6), "12,346");
        assert_eq!(ms(-250.0), "-250");
        assert_eq!(ms(f64::NAN), "-");
        assert_eq!(rate(0.0812), "8.1%");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(bytes(1_500_000), "1.5 MB");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(0, 0), "n/a");
    }
}
