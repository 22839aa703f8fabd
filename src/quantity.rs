//! Kubernetes resource quantities (`1000m`, `0.5`, `2Gi`, `512Mi`, `1.5Gi`), read the way the
//! API server reads them. Validation uses them to compare requests, limits and
//! `shared_buffers`; the alert expressions compare usage against the container's limits.

/// A Kubernetes quantity in its base unit (cores or bytes): a decimal number with an
/// optional suffix (`m`, `k`, `M`, `G`, `T`, `P`, `E`, `Ki`, `Mi`, `Gi`, `Ti`, `Pi`, `Ei`).
pub fn parse(text: &str) -> Option<f64> {
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("Ei", 1152921504606846976.0),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    let (number, factor) = SUFFIXES
        .iter()
        .find_map(|(suffix, factor)| text.strip_suffix(suffix).map(|n| (n, *factor)))
        .unwrap_or((text, 1.0));
    let digits_ok = !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && number.bytes().filter(|b| *b == b'.').count() <= 1
        && number.bytes().any(|b| b.is_ascii_digit());
    digits_ok
        .then(|| number.parse::<f64>().ok())
        .flatten()
        .map(|n| n * factor)
}

/// Memory or storage in whole bytes.
pub fn bytes(text: &str) -> Option<u64> {
    parse(text).map(|b| b.round() as u64)
}

/// CPU cores (`1000m` → 1, `250m` → 0.25).
pub fn cores(text: &str) -> Option<f64> {
    parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_like_the_api_server() {
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(parse("1"), Some(1.0));
        assert_eq!(parse("0.5"), Some(0.5));
        assert_eq!(parse("1Gi"), Some(1073741824.0));
        assert_eq!(parse("1G"), Some(1e9));
        assert_eq!(bytes("1.5Gi"), Some(1610612736));
        assert_eq!(cores("1000m"), Some(1.0));
        for bad in ["", "Gi", "1..5", "1GB", "-1", "1 Gi", "x"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
