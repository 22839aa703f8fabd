//! Alert durations (`for: 5m`): how they are written in inputs, and the forms Azure and
//! Prometheus take; and the session timeouts of roles (`statementTimeout: 30s`).

/// A whole number of minutes, written `<n>m`, `<n>h` or `<n>d` in inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration {
    minutes: u32,
}

/// How a duration is written in inputs, for messages.
pub const DURATION_FORMS: &str =
    "a whole number of minutes, hours or days, such as `5m`, `1h` or `1d`";

/// The windows an Azure metric alert accepts, in minutes, with their input spelling.
pub const AZURE_WINDOWS: [(u32, &str); 8] = [
    (1, "1m"),
    (5, "5m"),
    (15, "15m"),
    (30, "30m"),
    (60, "1h"),
    (360, "6h"),
    (720, "12h"),
    (1440, "1d"),
];

impl Duration {
    /// Reads `5m`, `1h`, `1d`; `None` for anything else, zero included.
    pub fn parse(text: &str) -> Option<Duration> {
        let unit = text.chars().last()?;
        let factor = match unit {
            'm' => 1,
            'h' => 60,
            'd' => 1440,
            _ => return None,
        };
        let number = &text[..text.len() - 1];
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let minutes = number.parse::<u32>().ok()?.checked_mul(factor)?;
        (minutes > 0).then_some(Duration { minutes })
    }

    /// Length in minutes.
    pub fn minutes(self) -> u32 {
        self.minutes
    }

    /// ISO 8601, as Azure writes it: `PT5M`, `PT1H`, `P1D`.
    pub fn iso8601(self) -> String {
        let m = self.minutes;
        if m.is_multiple_of(1440) {
            format!("P{}D", m / 1440)
        } else if m.is_multiple_of(60) {
            format!("PT{}H", m / 60)
        } else {
            format!("PT{m}M")
        }
    }

    /// Whether an Azure metric alert accepts this as its window.
    pub fn is_azure_window(self) -> bool {
        AZURE_WINDOWS.iter().any(|(m, _)| *m == self.minutes)
    }

    /// The accepted Azure windows just below and just above this one, for hints.
    pub fn azure_neighbours(self) -> (Option<&'static str>, Option<&'static str>) {
        let below = AZURE_WINDOWS
            .iter()
            .rev()
            .find(|(m, _)| *m < self.minutes)
            .map(|(_, t)| *t);
        let above = AZURE_WINDOWS
            .iter()
            .find(|(m, _)| *m > self.minutes)
            .map(|(_, t)| *t);
        (below, above)
    }

    /// How often Azure evaluates a metric alert over this window: every minute up to an
    /// hour, which slides like a Prometheus rule; hourly for longer windows. Both are
    /// allowed values and never longer than the window.
    pub fn azure_evaluation_frequency(self) -> &'static str {
        if self.minutes <= 60 { "PT1M" } else { "PT1H" }
    }
}

/// How a session timeout is written in inputs, for messages.
pub const TIMEOUT_FORMS: &str = "a whole number of milliseconds, seconds, minutes or hours, such as `500ms`, `30s`, `5m` or `1h`, or `0` for no limit";

/// The longest timeout PostgreSQL accepts: its timeouts are `int` milliseconds.
const MAX_TIMEOUT_MS: u64 = i32::MAX as u64;

/// Reads a session timeout (`500ms`, `30s`, `5m`, `1h`, `0`) as milliseconds; `None`
/// for anything else or for more than PostgreSQL's limit (about 24 days).
pub fn parse_timeout_ms(text: &str) -> Option<u32> {
    if text == "0" {
        return Some(0);
    }
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let factor: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    if number.is_empty() {
        return None;
    }
    let ms = number.parse::<u64>().ok()?.checked_mul(factor)?;
    if ms > MAX_TIMEOUT_MS {
        return None;
    }
    u32::try_from(ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_minutes_hours_and_days() {
        assert_eq!(Duration::parse("5m").map(Duration::minutes), Some(5));
        assert_eq!(Duration::parse("1h").map(Duration::minutes), Some(60));
        assert_eq!(Duration::parse("1d").map(Duration::minutes), Some(1440));
        for bad in [
            "",
            "m",
            "5",
            "0m",
            "5s",
            "1.5h",
            "-5m",
            "5 m",
            "5M",
            "99999999d",
        ] {
            assert_eq!(Duration::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn iso_forms_use_the_largest_whole_unit() {
        let iso = |t| Duration::parse(t).unwrap().iso8601();
        assert_eq!(iso("1m"), "PT1M");
        assert_eq!(iso("90m"), "PT90M");
        assert_eq!(iso("60m"), "PT1H");
        assert_eq!(iso("12h"), "PT12H");
        assert_eq!(iso("1d"), "P1D");
    }

    #[test]
    fn azure_windows_are_exactly_the_accepted_ones() {
        let ok: Vec<&str> = AZURE_WINDOWS.iter().map(|(_, t)| *t).collect();
        for text in ok.iter().chain(&["60m", "24h"]) {
            assert!(Duration::parse(text).unwrap().is_azure_window(), "{text}");
        }
        for text in ["2m", "3m", "10m", "2h", "2d"] {
            assert!(!Duration::parse(text).unwrap().is_azure_window(), "{text}");
        }
        assert_eq!(
            Duration::parse("3m").unwrap().azure_neighbours(),
            (Some("1m"), Some("5m"))
        );
        assert_eq!(
            Duration::parse("2d").unwrap().azure_neighbours(),
            (Some("1d"), None)
        );
    }

    #[test]
    fn evaluation_is_never_longer_than_the_window() {
        for (minutes, text) in AZURE_WINDOWS {
            let d = Duration::parse(text).unwrap();
            let every = if d.azure_evaluation_frequency() == "PT1M" {
                1
            } else {
                60
            };
            assert!(every <= minutes, "{text}");
        }
    }

    #[test]
    fn timeouts_read_as_milliseconds() {
        assert_eq!(parse_timeout_ms("0"), Some(0));
        assert_eq!(parse_timeout_ms("500ms"), Some(500));
        assert_eq!(parse_timeout_ms("30s"), Some(30_000));
        assert_eq!(parse_timeout_ms("5m"), Some(300_000));
        assert_eq!(parse_timeout_ms("2h"), Some(7_200_000));
    }

    #[test]
    fn other_spellings_and_overflows_are_refused() {
        for bad in [
            "", "s", "30", "30 s", "1.5s", "-1s", "1d", "30S", "600h", "0s0",
        ] {
            assert_eq!(parse_timeout_ms(bad), None, "{bad}");
        }
    }
}
