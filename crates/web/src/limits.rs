//! Bounds at the edge: how large a request body each route takes, how long a query string may
//! be, and how often one client may post to the routes anyone can reach (the public 12345 form,
//! Open311) or upload photos. Rate limits are per client (address, or user when signed in) and
//! per process (`governor`'s keyed GCRA limiter): several `serve` processes each apply them.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use minsheng_app::{Actor, AppError};

use crate::auth::RequestInfo;
use crate::error::WebError;

/// The largest body of an ordinary form or JSON request.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// The largest body of a report with photos: four photos of 5 MB and the form around them.
pub const MAX_UPLOAD_BYTES: usize = 24 << 20;
/// The largest body of a public post (the 12345 form, Open311): a 4,000-character request and
/// its attributes, URL-encoded.
pub const MAX_PUBLIC_POST_BYTES: usize = 64 << 10;
/// The largest body of a sign-in.
pub const MAX_SIGN_IN_BYTES: usize = 16 << 10;
/// The longest query string any page takes.
pub const MAX_QUERY_BYTES: usize = 8 << 10;

/// Which limiter a route goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Posts anyone can make: the public 12345 form, Open311.
    Public,
    /// Reports with photos.
    Upload,
    /// Sign-ins: bounds the password hashing one address can ask for, however many requests
    /// it sends at once (the per-name-and-address waits are counted after each attempt).
    SignIn,
}

/// What a route may receive: its largest body and its rate limit, from its method and path.
pub fn boundary(method: &Method, path: &str) -> (usize, Option<Bucket>) {
    if *method != Method::POST {
        return (MAX_BODY_BYTES, None);
    }
    match path {
        "/clues" | "/leads/{id}/visit" => (MAX_UPLOAD_BYTES, Some(Bucket::Upload)),
        "/12345" | "/open311/v2/{file}" => (MAX_PUBLIC_POST_BYTES, Some(Bucket::Public)),
        "/login" | "/api/v1/session" => (MAX_SIGN_IN_BYTES, Some(Bucket::SignIn)),
        _ => (MAX_BODY_BYTES, None),
    }
}

/// Whether a request path is one of the routes that take photos (the only ones read up to
/// [`MAX_UPLOAD_BYTES`] before routing, for their CSRF field).
pub fn is_upload_path(path: &str) -> bool {
    path == "/clues"
        || path
            .strip_prefix("/leads/")
            .and_then(|rest| rest.strip_suffix("/visit"))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// Requests per minute per client, by bucket (0: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSettings {
    pub public_per_minute: u32,
    pub uploads_per_minute: u32,
    pub sign_ins_per_minute: u32,
}

impl Default for RateSettings {
    fn default() -> Self {
        RateSettings {
            public_per_minute: 60,
            uploads_per_minute: 30,
            sign_ins_per_minute: 60,
        }
    }
}

/// The limiters of one process.
pub struct Limits {
    public: Option<DefaultKeyedRateLimiter<String>>,
    uploads: Option<DefaultKeyedRateLimiter<String>>,
    sign_ins: Option<DefaultKeyedRateLimiter<String>>,
    /// When the limiters last forgot idle clients (at most every ten seconds).
    retained: std::sync::Mutex<std::time::Instant>,
}

/// Keys kept before the limiter forgets the clients that are back to a full allowance.
const RETAIN_ABOVE: usize = 50_000;

impl Limits {
    pub fn new(settings: RateSettings) -> Arc<Limits> {
        let limiter = |per_minute: u32| {
            NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
        };
        Arc::new(Limits {
            public: limiter(settings.public_per_minute),
            uploads: limiter(settings.uploads_per_minute),
            sign_ins: limiter(settings.sign_ins_per_minute),
            retained: std::sync::Mutex::new(std::time::Instant::now()),
        })
    }

    /// `Ok` when the client may go on; else how many seconds until it may.
    fn check(&self, bucket: Bucket, key: &str) -> Result<(), u64> {
        let limiter = match bucket {
            Bucket::Public => &self.public,
            Bucket::Upload => &self.uploads,
            Bucket::SignIn => &self.sign_ins,
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        let outcome = limiter.check_key(&key.to_string());
        if limiter.len() > RETAIN_ABOVE
            && let Ok(mut last) = self.retained.lock()
            && last.elapsed() > std::time::Duration::from_secs(10)
        {
            *last = std::time::Instant::now();
            limiter.retain_recent();
        }
        outcome.map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }
}

/// The route layer of a limited route: refuses with 429 and `Retry-After` when the client (the
/// signed-in user, else the address) has used its allowance.
pub async fn limit(bucket: Bucket, req: Request, next: Next) -> Response {
    let Some(limits) = req.extensions().get::<Arc<Limits>>().cloned() else {
        return next.run(req).await;
    };
    let info = req.extensions().get::<RequestInfo>().cloned();
    let key = match (req.extensions().get::<Actor>(), &info) {
        (Some(actor), _) if actor.user_id().is_some() => {
            format!("user:{}", actor.user_id().unwrap_or_default())
        }
        (_, Some(info)) => format!("ip:{}", info.ip),
        _ => "unknown".to_string(),
    };
    match limits.check(bucket, &key) {
        Ok(()) => next.run(req).await,
        Err(seconds) => refused(req.uri().path(), info, seconds),
    }
}

fn refused(path: &str, info: Option<RequestInfo>, seconds: u64) -> Response {
    let seconds_i64 = i64::try_from(seconds).unwrap_or(i64::MAX);
    if path.starts_with("/open311/") {
        // Open311's own error shape.
        let body = serde_json::json!([{
            "code": 429,
            "description": format!("too many requests; try again in {seconds} seconds"),
        }]);
        let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    match info {
        Some(info) => WebError::new(AppError::RateLimited(seconds_i64), &info).into_response(),
        None => (StatusCode::TOO_MANY_REQUESTS, "too many requests").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_limited_and_others_are_not() {
        let limits = Limits::new(RateSettings {
            public_per_minute: 3,
            uploads_per_minute: 0,
            sign_ins_per_minute: 0,
        });
        for _ in 0..3 {
            assert!(limits.check(Bucket::Public, "ip:1.1.1.1").is_ok());
        }
        let wait = limits.check(Bucket::Public, "ip:1.1.1.1");
        assert!(matches!(wait, Err(s) if s >= 1), "{wait:?}");
        assert!(limits.check(Bucket::Public, "ip:2.2.2.2").is_ok());
        // No limit configured: never refused.
        for _ in 0..100 {
            assert!(limits.check(Bucket::Upload, "ip:1.1.1.1").is_ok());
        }
    }

    #[test]
    fn bodies_are_bounded_by_route() {
        assert_eq!(boundary(&Method::POST, "/clues").0, MAX_UPLOAD_BYTES);
        assert_eq!(boundary(&Method::POST, "/12345").1, Some(Bucket::Public));
        assert_eq!(boundary(&Method::POST, "/households").0, MAX_BODY_BYTES);
        assert_eq!(boundary(&Method::GET, "/clues").1, None);
        assert!(is_upload_path("/leads/12/visit"));
        assert!(!is_upload_path("/leads/x/visit"));
        assert!(!is_upload_path("/households"));
    }
}
