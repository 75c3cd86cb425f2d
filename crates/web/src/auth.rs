//! Who is asking: the session cookie or bearer token becomes an [`Actor`] in the request's
//! extensions, and unsafe requests made with a cookie must carry the session's CSRF token
//! (header `X-CSRF-Token`, or form field `csrf_token`).

use std::net::SocketAddr;

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use minsheng_app::{Actor, App, Subject};
use minsheng_domain::Action;

use crate::AppState;
use crate::error::WebError;
use crate::i18n::Lang;
use crate::limits::{MAX_BODY_BYTES, MAX_QUERY_BYTES, MAX_UPLOAD_BYTES};

pub const SESSION_COOKIE: &str = "ms_session";
pub const LOGIN_CSRF_COOKIE: &str = "ms_login_csrf";
pub const LANG_COOKIE: &str = "lang";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Session(String),
    Bearer,
}

/// Per-request context every handler can read.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    pub lang: Lang,
    pub ip: String,
    pub is_api: bool,
    pub is_htmx: bool,
    pub path: String,
    /// The query string, without `?` (empty when none): the language switch comes back to it.
    pub query: String,
    /// Next year, from 1 November while its working-day schedule is not loaded (the banner
    /// administrators see on every page).
    pub calendar_missing: Option<i32>,
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_secs: i64,
    http_only: bool,
    secure: bool,
) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; SameSite=Lax; Max-Age={max_age_secs}");
    if http_only {
        text.push_str("; HttpOnly");
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

fn client_ip(req: &Request, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for && let Some(ip) = forwarded_client(req.headers()) {
        return ip;
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |ci| ci.0.ip().to_string())
}

/// The last address of `X-Forwarded-For`: the one our own proxy appended (earlier entries are
/// whatever the client chose to send).
fn forwarded_client(headers: &HeaderMap) -> Option<String> {
    let last = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|v| !v.is_empty())?;
    last.parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

/// Compares without an early exit, so the time taken says nothing about the token.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Finds a field in a multipart body (`name="field"`, a blank line, the value).
fn multipart_field(body: &[u8], field: &str) -> Option<String> {
    let marker = format!("name=\"{field}\"");
    let start = body
        .windows(marker.len())
        .position(|w| w == marker.as_bytes())?
        + marker.len();
    let rest = &body[start..];
    let value_start = rest.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let value = &rest[value_start..];
    let end = value.windows(2).position(|w| w == b"\r\n")?;
    std::str::from_utf8(&value[..end]).ok().map(str::to_string)
}

/// Finds `csrf_token` in a urlencoded form body.
fn form_field(body: &[u8], field: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == field).then(|| v.replace('+', " "))
    })
}

pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // A query string longer than any page needs is refused before anything reads it.
    if req.uri().query().is_some_and(|q| q.len() > MAX_QUERY_BYTES) {
        return (
            axum::http::StatusCode::URI_TOO_LONG,
            "the query string is too long",
        )
            .into_response();
    }
    let path = req.uri().path().to_string();
    let info = RequestInfo {
        lang: cookie(req.headers(), LANG_COOKIE).map_or(Lang::Zh, Lang::from_code),
        ip: client_ip(&req, state.config.trust_forwarded_for),
        is_api: path.starts_with("/api/"),
        is_htmx: req.headers().contains_key("hx-request"),
        path,
        query: req.uri().query().unwrap_or_default().to_string(),
        calendar_missing: state.app.missing_next_year(),
    };
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let session = cookie(req.headers(), SESSION_COOKIE).map(str::to_string);
    // Files and health checks are the same for everyone: no session is read for them.
    let anonymous =
        info.path.starts_with("/static/") || matches!(info.path.as_str(), "/healthz" | "/readyz");
    let found = match (&bearer, &session) {
        _ if anonymous => Ok(None),
        (Some(token), _) => state
            .app
            .token_actor(token, &info.ip)
            .await
            .map(|a| a.map(|a| (a, Credential::Bearer))),
        (None, Some(token)) => state
            .app
            .session_actor(token, &info.ip)
            .await
            .map(|a| a.map(|a| (a, Credential::Session(token.clone())))),
        (None, None) => Ok(None),
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => return WebError::new(e, &info).into_response_for(),
    };
    if let Some((actor, credential)) = found {
        if let Credential::Session(_) = credential
            && is_unsafe(req.method())
        {
            let header_token = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let token = match header_token {
                Some(t) => Some(t),
                None => {
                    let multipart = req
                        .headers()
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.starts_with("multipart/form-data"));
                    let (parts, body) = req.into_parts();
                    let limit = if multipart && crate::limits::is_upload_path(&info.path) {
                        MAX_UPLOAD_BYTES
                    } else {
                        MAX_BODY_BYTES
                    };
                    let Ok(bytes) = to_bytes(body, limit).await else {
                        return WebError::csrf(&info).into_response_for();
                    };
                    let token = if multipart {
                        multipart_field(&bytes, "csrf_token")
                    } else {
                        form_field(&bytes, "csrf_token")
                    };
                    req = Request::from_parts(parts, Body::from(bytes));
                    token
                }
            };
            if !token.is_some_and(|t| same_token(&t, actor.csrf_token())) {
                return WebError::csrf(&info).into_response_for();
            }
        }
        req.extensions_mut().insert(actor);
        req.extensions_mut().insert(credential);
    }
    req.extensions_mut().insert(info);
    // Shared, not cloned: the router's checkpoint needs the app only to audit a refusal.
    req.extensions_mut().insert(state.shared_app.clone());
    req.extensions_mut().insert(state.limits.clone());
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The one authorisation checkpoint of the web layer: every route's declared action
/// ([`crate::RouteSpec::action`]) is checked here, by the router, before its handler runs, so
/// a handler cannot forget it. Anonymous callers are sent to sign in; a role that does not permit
/// the action is refused, and the refusal is audited. (Use cases check again: defence in depth.)
pub async fn enforce_action(action: Action, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let info = request_info(&parts);
    let Some(actor) = parts.extensions.get::<Actor>() else {
        return WebError::new(minsheng_app::AppError::Unauthenticated, &info).into_response_for();
    };
    if !actor.may(action) {
        let refused = match parts.extensions.get::<std::sync::Arc<App>>() {
            Some(app) => match app
                .authorize(actor, action, Subject::new("route", &info.path))
                .await
            {
                Ok(()) => minsheng_app::AppError::Forbidden,
                Err(e) => e,
            },
            None => minsheng_app::AppError::Forbidden,
        };
        return WebError::new(refused, &info).into_response_for();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// A signed-in user; handlers that take it refuse anonymous requests.
pub struct Authed(pub Actor, pub RequestInfo);

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let info = request_info(parts);
        match parts.extensions.get::<Actor>() {
            Some(actor) => Ok(Authed(actor.clone(), info)),
            None => Err(WebError::new(
                minsheng_app::AppError::Unauthenticated,
                &info,
            )),
        }
    }
}

/// The request context, signed in or not.
pub struct Info(pub RequestInfo);

impl<S: Send + Sync> FromRequestParts<S> for Info {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Info(request_info(parts)))
    }
}

fn request_info(parts: &Parts) -> RequestInfo {
    parts
        .extensions
        .get::<RequestInfo>()
        .cloned()
        .unwrap_or(RequestInfo {
            lang: Lang::Zh,
            ip: "unknown".into(),
            is_api: parts.uri.path().starts_with("/api/"),
            is_htmx: false,
            path: parts.uri.path().to_string(),
            query: parts.uri.query().unwrap_or_default().to_string(),
            calendar_missing: None,
        })
}

/// The session token of the request, when it came with a cookie.
pub struct SessionToken(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SessionToken {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(SessionToken(match parts.extensions.get::<Credential>() {
            Some(Credential::Session(token)) => Some(token.clone()),
            _ => None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies_and_form_fields() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; ms_session=abc; lang=en"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "lang"), Some("en"));
        assert_eq!(cookie(&headers, "none"), None);
        assert_eq!(
            form_field(b"a=1&csrf_token=xyz&b=2", "csrf_token"),
            Some("xyz".into())
        );
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        let mut forwarded = HeaderMap::new();
        forwarded.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 10.1.2.3"),
        );
        assert_eq!(forwarded_client(&forwarded), Some("10.1.2.3".into()));
        forwarded.insert(
            "x-forwarded-for",
            HeaderValue::from_static("not-an-address"),
        );
        assert_eq!(forwarded_client(&forwarded), None);
        let body = b"--x\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok123\r\n--x--\r\n";
        assert_eq!(multipart_field(body, "csrf_token"), Some("tok123".into()));
        assert_eq!(multipart_field(body, "other"), None);
    }
}
