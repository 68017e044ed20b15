//! Times as mqadmin prints and reads them: `yyyy-MM-dd HH:mm:ss,SSS` in tables, and
//! `resetOffsetByTime -s` as ms, `now`, or `yyyy-MM-dd#HH:mm:ss:SSS`. wasmq reads and writes
//! these in UTC (mqadmin uses the JVM's time zone).

use anyhow::{Context, bail};

const DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count (`civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// `yyyy-MM-dd HH:mm:ss,SSS` (UTC) of a ms timestamp; `-` for 0.
pub fn format_ms(ms: i64) -> String {
    if ms <= 0 {
        return "-".into();
    }
    let (y, mo, d) = civil_from_days(ms.div_euclid(DAY));
    let t = ms.rem_euclid(DAY);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02},{:03}",
        t / 3_600_000,
        t / 60_000 % 60,
        t / 1000 % 60,
        t % 1000
    )
}

/// `resetOffsetByTime -s`: ms since the epoch, `now`, or `yyyy-MM-dd#HH:mm:ss:SSS` (UTC).
pub fn parse_timestamp(s: &str) -> anyhow::Result<i64> {
    let s = s.trim();
    if s == "now" {
        return Ok(wasmq_now_ms());
    }
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let bad = || format!("timestamp {s:?} is neither ms, `now`, nor yyyy-MM-dd#HH:mm:ss:SSS");
    let (date, time) = s.split_once('#').with_context(bad)?;
    let nums = |part: &str, sep: char| -> Option<Vec<i64>> {
        part.split(sep).map(|n| n.parse().ok()).collect()
    };
    let (Some(d), Some(t)) = (nums(date, '-'), nums(time, ':')) else {
        bail!(bad());
    };
    let ([y, mo, dd], [h, mi, sec, ms]) = (d.as_slice(), t.as_slice()) else {
        bail!(bad());
    };
    if !(1..=12).contains(mo)
        || !(1..=31).contains(dd)
        || *h > 23
        || *mi > 59
        || *sec > 59
        || *ms > 999
    {
        bail!(bad());
    }
    Ok(days_from_civil(*y, *mo, *dd) * DAY + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms)
}

fn wasmq_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mqadmin_time_formats_round_trip() {
        let ms = parse_timestamp("2026-11-25#15:21:40:123").unwrap();
        assert_eq!(ms, 1_795_620_100_123);
        assert_eq!(format_ms(ms), "2026-11-25 15:21:40,123");
        assert_eq!(parse_timestamp("1795620100123").unwrap(), ms);
        assert_eq!(format_ms(951_782_400_000), "2000-02-29 00:00:00,000");
        assert!(parse_timestamp("2026-13-01#00:00:00:000").is_err());
        assert!(parse_timestamp("yesterday").is_err());
        assert!(parse_timestamp("now").unwrap() > ms - 1_000_000_000_000);
    }
}
