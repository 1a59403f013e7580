//! The retry schedule: exponential backoff with ±10 % jitter over about three days.
//!
//! | attempt failed | next try after |
//! |---|---|
//! | 1 | 5 s |
//! | 2 | 5 min |
//! | 3 | 30 min |
//! | 4 | 2 h |
//! | 5 | 5 h |
//! | 6 | 10 h |
//! | 7 | 14 h |
//! | 8 | 20 h |
//! | 9 | 20 h |
//!
//! After the tenth failed attempt (about 71.6 hours after the first) the delivery is given up.

const DELAYS_SECONDS: [i64; 9] = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 72_000];

/// Attempts in all, the first included.
pub const MAX_ATTEMPTS: i64 = DELAYS_SECONDS.len() as i64 + 1;

/// The delay before the next attempt after `attempts` failed ones, or `None` to give up.
/// `jitter` is a number in `[-1, 1]` scaling ±10 %.
pub fn next_delay_ms(attempts: i64, jitter: f64) -> Option<i64> {
    let base = *DELAYS_SECONDS.get(usize::try_from(attempts - 1).ok()?)? * 1000;
    let jitter = jitter.clamp(-1.0, 1.0);
    Some(base + (base as f64 * 0.1 * jitter) as i64)
}

/// A `Retry-After` value (seconds or an HTTP date is not supported: seconds only), capped at 24 h.
pub fn retry_after_ms(header: Option<&str>) -> Option<i64> {
    let secs: i64 = header?.trim().parse().ok()?;
    Some(secs.clamp(0, 86_400) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_spans_about_three_days_then_gives_up() {
        let total: i64 = (1..MAX_ATTEMPTS).map(|a| next_delay_ms(a, 0.0).unwrap()).sum();
        assert_eq!(total, 257_705_000);
        assert!((70.0..73.0).contains(&(total as f64 / 3_600_000.0)));
        assert_eq!(next_delay_ms(MAX_ATTEMPTS, 0.0), None);
        assert_eq!(next_delay_ms(0, 0.0), None);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        assert_eq!(next_delay_ms(1, 1.0), Some(5500));
        assert_eq!(next_delay_ms(1, -1.0), Some(4500));
        assert_eq!(next_delay_ms(2, 7.0), Some(330_000));
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_capped() {
        assert_eq!(retry_after_ms(Some("120")), Some(120_000));
        assert_eq!(retry_after_ms(Some("999999")), Some(86_400_000));
        assert_eq!(retry_after_ms(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after_ms(None), None);
    }
}
