//! The HTTP(S) transport: a registry served by any static web server.
//!
//! One [`ureq::Agent`] per source, so connections are pooled and kept alive
//! across every file of a session. Each read is capped exactly as a
//! directory read is; a transient failure (connection reset, timeout, a
//! response cut off midway, 429, 5xx) is retried with exponential backoff
//! and full jitter, honouring `Retry-After`, a bounded number of times. A
//! 4xx other than 404/410/408/429 is never retried, and neither is anything
//! the caller refuses afterwards (a bad digest is not this module's to see).

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::Timestamp;

use crate::error::ErrorKind;
use crate::source::{Revalidated, Source, Validators};

/// How patiently to retry transient failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (so 1 means never retry).
    pub max_attempts: u32,
    /// The backoff before the first retry; it doubles each retry.
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a server asking for longer gets
    /// this much.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// Four attempts, 250 ms doubling to at most 8 s, `Retry-After` up to
    /// 60 s.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(250),
        max_delay: Duration::from_secs(8),
        max_retry_after: Duration::from_secs(60),
    };

    /// The wait before retry number `retry` (1 for the first retry):
    /// "full jitter" — `unit` (in `[0, 1]`, random in use) times the capped
    /// exponential backoff — but never less than the server's
    /// `Retry-After` (itself capped at [`max_retry_after`](Self::max_retry_after)).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let backoff = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let jittered = backoff.mul_f64(unit.clamp(0.0, 1.0));
        match retry_after {
            Some(asked) => jittered.max(asked.min(self.max_retry_after)),
            None => jittered,
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy::DEFAULT
    }
}

/// Settings of the HTTP transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpConfig {
    /// Longest wait to open a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Longest wait for a response's headers, and separately for its body.
    pub read_timeout: Duration,
    /// The `User-Agent` sent.
    pub user_agent: String,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
}

impl Default for HttpConfig {
    /// 10 s to connect, 30 s to read, `stencil/<version>`, [`RetryPolicy::DEFAULT`].
    fn default() -> HttpConfig {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            user_agent: format!("stencil/{}", env!("CARGO_PKG_VERSION")),
            retry: RetryPolicy::DEFAULT,
        }
    }
}

/// A registry at an `http://` or `https://` URL.
pub struct HttpSource {
    location: String,
    base: String,
    agent: ureq::Agent,
    retry: RetryPolicy,
    requests: AtomicU64,
}

impl std::fmt::Debug for HttpSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSource")
            .field("location", &self.location)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Why one attempt failed.
enum Attempt {
    /// Worth another try, after at least `retry_after` if the server said.
    Transient {
        status: Option<u16>,
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Final.
    Fatal(ErrorKind),
}

impl HttpSource {
    /// A source for the registry whose files live under `url` (`http://` or
    /// `https://`; a trailing `/` is optional).
    pub fn new(url: &str, config: &HttpConfig) -> Result<HttpSource, ErrorKind> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ErrorKind::UnsupportedLocation(url.to_owned()));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            .timeout_recv_response(Some(config.read_timeout))
            .timeout_recv_body(Some(config.read_timeout))
            .user_agent(config.user_agent.as_str())
            // Statuses are ours to classify (404 is "absent", 304 "unchanged").
            .http_status_as_error(false)
            .build()
            .into();
        Ok(HttpSource {
            location: url.to_owned(),
            base: url.trim_end_matches('/').to_owned(),
            agent,
            retry: config.retry,
            requests: AtomicU64::new(0),
        })
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn get(&self, path: &str, limit: u64, known: &Validators) -> Result<Revalidated, ErrorKind> {
        let url = format!("{}/{}", self.base, path);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            match self.attempt(&url, limit, known) {
                Ok(outcome) => return Ok(outcome),
                Err(Attempt::Fatal(kind)) => return Err(kind),
                Err(Attempt::Transient {
                    status,
                    reason,
                    retry_after,
                }) => {
                    if attempt >= self.retry.max_attempts.max(1) {
                        return Err(match status {
                            Some(status) => ErrorKind::HttpStatus {
                                status,
                                attempts: attempt,
                            },
                            None => ErrorKind::Network {
                                reason,
                                attempts: attempt,
                            },
                        });
                    }
                    std::thread::sleep(self.retry.delay(attempt, retry_after, jitter_unit()));
                }
            }
        }
    }

    fn attempt(&self, url: &str, limit: u64, known: &Validators) -> Result<Revalidated, Attempt> {
        let mut request = self.agent.get(url);
        if let Some(etag) = &known.etag {
            request = request.header("If-None-Match", etag.as_str());
        }
        if let Some(modified) = &known.last_modified {
            request = request.header("If-Modified-Since", modified.as_str());
        }
        let mut response = request.call().map_err(classify)?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        match status {
            200 => {
                let validators = Validators {
                    etag: header("etag"),
                    last_modified: header("last-modified")
                        .filter(|m| strong_date(m, header("date").as_deref())),
                };
                // A declared length over the cap is refused before reading.
                if let Some(length) = header("content-length").and_then(|v| v.parse::<u64>().ok())
                    && length > limit
                {
                    return Err(Attempt::Fatal(ErrorKind::TooLarge { limit }));
                }
                let reader = response.body_mut().as_reader();
                let bytes = read_body(reader, limit)?;
                Ok(Revalidated::Changed { bytes, validators })
            }
            304 if known.etag.is_some() || known.last_modified.is_some() => {
                Ok(Revalidated::NotModified)
            }
            404 | 410 => Ok(Revalidated::Missing),
            408 | 429 | 500..=599 => Err(Attempt::Transient {
                status: Some(status),
                reason: format!("HTTP {status}"),
                retry_after: header("retry-after").and_then(|v| parse_retry_after(&v)),
            }),
            _ => Err(Attempt::Fatal(ErrorKind::HttpStatus {
                status,
                attempts: 1,
            })),
        }
    }
}

/// Whether a `Last-Modified` can validate: only if it is at least a second
/// before the response's `Date` (RFC 9110, 8.8.2.2). Dates have one-second
/// resolution, so a file served in the second it was written may change
/// again within that second and keep its date: sent back, such a date would
/// get a stale 304 (`python3 -m http.server` validates by this date alone).
/// A date that does not parse, or a response without `Date`, cannot be
/// judged and is not used either.
fn strong_date(last_modified: &str, date: Option<&str>) -> bool {
    let parse = |v: &str| jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(v);
    match (parse(last_modified), date.map(parse)) {
        (Ok(modified), Some(Ok(date))) => date.as_second() - modified.as_second() >= 1,
        _ => false,
    }
}

/// Reads at most `limit + 1` bytes of a body. More than `limit` is refused;
/// an I/O error midway (a connection cut, a body shorter than its
/// `Content-Length`) is transient: the next attempt starts over.
fn read_body(reader: impl Read, limit: u64) -> Result<Vec<u8>, Attempt> {
    let mut out = Vec::new();
    match reader.take(limit.saturating_add(1)).read_to_end(&mut out) {
        Ok(_) if out.len() as u64 > limit => Err(Attempt::Fatal(ErrorKind::TooLarge { limit })),
        Ok(_) => Ok(out),
        Err(e) => Err(Attempt::Transient {
            status: None,
            reason: format!("response cut off after {} bytes: {e}", out.len()),
            retry_after: None,
        }),
    }
}

fn classify(error: ureq::Error) -> Attempt {
    let transient = matches!(
        error,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::Protocol(_)
            | ureq::Error::BodyStalled
    );
    let reason = error.to_string();
    if transient {
        Attempt::Transient {
            status: None,
            reason,
            retry_after: None,
        }
    } else {
        Attempt::Fatal(ErrorKind::Network {
            reason,
            attempts: 1,
        })
    }
}

/// `Retry-After`: delay-seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let wait = at.duration_since(Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// A uniform random number in `[0, 1]` for jitter; without randomness the
/// full backoff is used (jitter only spreads clients out).
fn jitter_unit() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
        Err(_) => 1.0,
    }
}

impl Source for HttpSource {
    fn location(&self) -> &str {
        &self.location
    }

    fn fetch(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, ErrorKind> {
        match self.get(path, limit, &Validators::default())? {
            Revalidated::Changed { bytes, .. } => Ok(Some(bytes)),
            Revalidated::Missing => Ok(None),
            // Not asked for: no validators were sent.
            Revalidated::NotModified => Err(ErrorKind::Malformed(String::from(
                "304 Not Modified to an unconditional request",
            ))),
        }
    }

    fn fetch_revalidate(
        &self,
        path: &str,
        limit: u64,
        known: &Validators,
    ) -> Result<Revalidated, ErrorKind> {
        self.get(path, limit, known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_honours_retry_after() {
        let policy = RetryPolicy::DEFAULT;
        assert_eq!(policy.delay(1, None, 1.0), Duration::from_millis(250));
        assert_eq!(policy.delay(2, None, 1.0), Duration::from_millis(500));
        assert_eq!(policy.delay(3, None, 1.0), Duration::from_secs(1));
        assert_eq!(policy.delay(20, None, 1.0), Duration::from_secs(8));
        assert_eq!(policy.delay(100, None, 1.0), Duration::from_secs(8));
        // Full jitter: anywhere between zero and the backoff.
        assert_eq!(policy.delay(2, None, 0.0), Duration::ZERO);
        assert_eq!(policy.delay(2, None, 0.5), Duration::from_millis(250));
        // Retry-After is a floor, capped.
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(5)), 0.0),
            Duration::from_secs(5)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600)), 1.0),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn only_http_urls() {
        assert!(HttpSource::new("ftp://x", &HttpConfig::default()).is_err());
        assert!(HttpSource::new("https://example.org/r/", &HttpConfig::default()).is_ok());
    }
}
