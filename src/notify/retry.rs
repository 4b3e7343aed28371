//! When to try a delivery again: exponential backoff with full jitter
//! (AWS's "full jitter": a random wait up to the exponential cap, so that
//! many failed deliveries do not retry in step), a server's `Retry-After`
//! honoured when it asks for longer, and which answers are worth a retry.

use std::time::Duration;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
    /// Attempts in all, the first included; then the delivery is dead-lettered.
    pub attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(300),
            attempts: 10,
        }
    }
}

/// What to do after an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Delivered,
    /// Try again after this long.
    Retry(Duration),
    /// Stop: dead-letter with this reason.
    GiveUp(String),
    /// HTTP 410: the receiver is gone for good; disable the endpoint.
    Gone,
}

/// `status` is the HTTP status, or `None` when the request failed (timeout,
/// refused connection). `unit` is a uniform random number in 0..1.
pub fn verdict(
    policy: &RetryPolicy,
    attempt: u32,
    status: Option<u16>,
    retry_after: Option<Duration>,
    unit: f64,
) -> Verdict {
    match status {
        Some(s) if (200..300).contains(&s) => return Verdict::Delivered,
        Some(410) => return Verdict::Gone,
        // The request itself is wrong; sending it again will not help.
        Some(s) if (400..500).contains(&s) && s != 408 && s != 429 => {
            return Verdict::GiveUp(format!("HTTP {s}"))
        }
        _ => {}
    }
    if attempt >= policy.attempts {
        let last = status.map_or("no answer".to_string(), |s| format!("HTTP {s}"));
        return Verdict::GiveUp(format!("{attempt} attempts failed, the last with {last}"));
    }
    let cap = policy
        .initial
        .saturating_mul(1u32 << (attempt - 1).min(20))
        .min(policy.max);
    let jittered = cap.mul_f64(unit.clamp(0.0, 1.0));
    Verdict::Retry(match retry_after {
        Some(asked) => asked.max(jittered).min(policy.max.max(asked)),
        None => jittered,
    })
}

/// Reads `Retry-After`: delay-seconds, or an HTTP date (RFC 9110).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    (at - now).to_std().ok().or(Some(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn p() -> RetryPolicy {
        RetryPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            attempts: 5,
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitters_below_it() {
        // attempt k waits up to initial × 2^(k-1), capped at max.
        assert_eq!(
            verdict(&p(), 1, Some(500), None, 1.0),
            Verdict::Retry(Duration::from_secs(1))
        );
        assert_eq!(
            verdict(&p(), 3, Some(503), None, 1.0),
            Verdict::Retry(Duration::from_secs(4))
        );
        assert_eq!(
            verdict(&p(), 3, None, None, 0.5),
            Verdict::Retry(Duration::from_secs(2))
        );
        let p10 = RetryPolicy {
            attempts: 20,
            ..p()
        };
        assert_eq!(
            verdict(&p10, 10, Some(500), None, 1.0),
            Verdict::Retry(Duration::from_secs(60))
        );
    }

    #[test]
    fn retry_after_wins_when_longer() {
        let v = verdict(&p(), 1, Some(429), Some(Duration::from_secs(30)), 1.0);
        assert_eq!(v, Verdict::Retry(Duration::from_secs(30)));
        let v = verdict(&p(), 4, Some(503), Some(Duration::from_secs(2)), 1.0);
        assert_eq!(v, Verdict::Retry(Duration::from_secs(8)));
    }

    #[test]
    fn final_answers() {
        assert_eq!(verdict(&p(), 1, Some(204), None, 0.3), Verdict::Delivered);
        assert_eq!(verdict(&p(), 1, Some(410), None, 0.3), Verdict::Gone);
        assert_eq!(
            verdict(&p(), 1, Some(400), None, 0.3),
            Verdict::GiveUp("HTTP 400".into())
        );
        assert_eq!(
            verdict(&p(), 5, Some(500), None, 0.3),
            Verdict::GiveUp("5 attempts failed, the last with HTTP 500".into())
        );
        assert_eq!(
            verdict(&p(), 5, None, None, 0.3),
            Verdict::GiveUp("5 attempts failed, the last with no answer".into())
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Fri, 27 Nov 2026 08:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Fri, 27 Nov 2026 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
