//! Kubernetes resource quantities (`1000m`, `0.5`, `2Gi`, `512Mi`), read the way the API
//! server reads them, for the few places gen needs the number behind one: the alert
//! expressions compare usage against the container's limits.

/// CPU as millicores: `1000m` → 1000, `1` → 1000, `0.5` → 500. `None` when the text is not
/// a CPU quantity or asks for less than a millicore.
pub fn cpu_millicores(text: &str) -> Option<u64> {
    if let Some(millis) = text.strip_suffix('m') {
        return whole_number(millis);
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || (whole.is_empty() && fraction.is_empty()) {
        return None;
    }
    let whole = if whole.is_empty() {
        0
    } else {
        whole_number(whole)?
    };
    let fraction = if fraction.is_empty() {
        0
    } else {
        whole_number(fraction)? * 10u64.pow(3 - fraction.len() as u32)
    };
    whole.checked_mul(1000)?.checked_add(fraction)
}

/// Memory or storage as bytes: `2Gi` → 2147483648, `512Mi`, `1G`, `1500k`, `1024`. Binary
/// (`Ki`..`Ei`) and decimal (`k`..`E`) suffixes; whole numbers only, which is how sizes are
/// written in practice.
pub fn bytes(text: &str) -> Option<u64> {
    const SUFFIXES: [(&str, u64); 12] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("Pi", 1 << 50),
        ("Ei", 1 << 60),
        ("k", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
        ("P", 1_000_000_000_000_000),
        ("E", 1_000_000_000_000_000_000),
    ];
    for (suffix, factor) in SUFFIXES {
        if let Some(number) = text.strip_suffix(suffix) {
            return whole_number(number)?.checked_mul(factor);
        }
    }
    whole_number(text)
}

/// Millicores as cores in the shortest decimal form: 1000 → `1`, 250 → `0.25`.
pub fn cores_text(millicores: u64) -> String {
    let whole = millicores / 1000;
    let fraction = millicores % 1000;
    if fraction == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{}", format!("{fraction:03}").trim_end_matches('0'))
    }
}

fn whole_number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_reads_millicores_cores_and_fractions() {
        assert_eq!(cpu_millicores("1000m"), Some(1000));
        assert_eq!(cpu_millicores("250m"), Some(250));
        assert_eq!(cpu_millicores("1"), Some(1000));
        assert_eq!(cpu_millicores("0.5"), Some(500));
        assert_eq!(cpu_millicores(".5"), Some(500));
        assert_eq!(cpu_millicores("1.25"), Some(1250));
        for bad in ["", "m", "1.0001", "-1", "1 m", "1Gi", "one", "."] {
            assert_eq!(cpu_millicores(bad), None, "{bad}");
        }
    }

    #[test]
    fn bytes_read_binary_and_decimal_suffixes() {
        assert_eq!(bytes("2Gi"), Some(2_147_483_648));
        assert_eq!(bytes("512Mi"), Some(536_870_912));
        assert_eq!(bytes("1G"), Some(1_000_000_000));
        assert_eq!(bytes("1500k"), Some(1_500_000));
        assert_eq!(bytes("1024"), Some(1024));
        for bad in ["", "Gi", "2GB", "1.5Gi", "-1Mi", "2gi", "99999999999Ei"] {
            assert_eq!(bytes(bad), None, "{bad}");
        }
    }

    #[test]
    fn cores_are_written_shortest() {
        assert_eq!(cores_text(1000), "1");
        assert_eq!(cores_text(250), "0.25");
        assert_eq!(cores_text(1500), "1.5");
        assert_eq!(cores_text(5), "0.005");
    }
}
