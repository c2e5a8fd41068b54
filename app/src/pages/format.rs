//! Small display helpers shared by the pages.

/// `2 GB` from megabytes (`512 MB` below 1 GB).
pub fn ram(mb: Option<u32>) -> String {
    match mb {
        None => "–".into(),
        Some(mb) if mb < 1024 => format!("{mb} MB"),
        Some(mb) if mb % 1024 == 0 => format!("{} GB", mb / 1024),
        Some(mb) => format!("{:.1} GB", f64::from(mb) / 1024.0),
    }
}

pub fn opt<T: std::fmt::Display>(v: Option<T>, unit: &str) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v}{unit}"))
}

/// `1.4 GB` from bytes (binary units, one decimal; `–` when unknown).
pub fn bytes(n: Option<u64>) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let Some(n) = n else {
        return "–".into();
    };
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// `$12.34` (two decimals; four below a cent).
pub fn usd(v: f64) -> String {
    if v != 0.0 && v.abs() < 0.01 {
        format!("${v:.4}")
    } else {
        format!("${v:.2}")
    }
}

/// `+$3.50` / `−$1.20` / `±$0.00` for a monthly difference.
pub fn usd_delta(v: f64) -> String {
    if v > 0.005 {
        format!("+{}", usd(v))
    } else if v < -0.005 {
        format!("−{}", usd(-v))
    } else {
        "±$0.00".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(ram(Some(512)), "512 MB");
        assert_eq!(ram(Some(2048)), "2 GB");
        assert_eq!(ram(Some(1536)), "1.5 GB");
        assert_eq!(ram(None), "–");
        assert_eq!(usd(3.5), "$3.50");
        assert_eq!(usd(0.0048), "$0.0048");
        assert_eq!(usd_delta(3.5), "+$3.50");
        assert_eq!(usd_delta(-1.2), "−$1.20");
        assert_eq!(usd_delta(0.0), "±$0.00");
        assert_eq!(bytes(Some(512)), "512 bytes");
        assert_eq!(bytes(Some(305_135_616)), "291.0 MB");
        assert_eq!(bytes(Some(2_361_393_152)), "2.2 GB");
        assert_eq!(bytes(None), "–");
    }
}
