//! One error type for every handler: JSON for the API, a page (or a redirect to sign-in) for HTML.

use askama::Template;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minsheng_app::{AppError, FieldError};
use serde_json::json;

use crate::auth::RequestInfo;
use crate::i18n::{Lang, Texts};

#[derive(Debug)]
pub struct WebError {
    pub error: AppError,
    /// Boxed: an error travels in every `Result` of the web crate and should stay small.
    pub info: Box<RequestInfo>,
    csrf: bool,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'a Texts,
    lang: &'a str,
    title: &'a str,
    message: String,
    /// (the field's name, what is wrong), in the reader's language.
    fields: Vec<(String, String)>,
}

/// A field error in the reader's language: the field's word and the sentence.
pub fn field_line(f: &FieldError, lang: Lang) -> (String, String) {
    (
        minsheng_i18n::word(lang, "field", &f.field).to_string(),
        f.message.render(lang),
    )
}

impl WebError {
    pub fn new(error: AppError, info: &RequestInfo) -> WebError {
        WebError {
            error,
            info: Box::new(info.clone()),
            csrf: false,
        }
    }

    pub fn csrf(info: &RequestInfo) -> WebError {
        WebError {
            error: AppError::Forbidden,
            info: Box::new(info.clone()),
            csrf: true,
        }
    }

    pub fn status(&self) -> StatusCode {
        status_of(&self.error)
    }

    fn code(&self) -> &'static str {
        if self.csrf {
            return "csrf";
        }
        match &self.error {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Invalid(_) => "invalid",
            AppError::Stale => "stale",
            AppError::Conflict(_) => "conflict",
            AppError::Locked(_) => "locked",
            AppError::RateLimited(_) => "rate_limited",
            AppError::Internal(_) => "internal",
            AppError::Unavailable(_) => "unavailable",
        }
    }

    /// The message a person reads, in their language.
    pub fn message(&self) -> String {
        if self.csrf {
            return self.info.lang.texts().csrf_failed.to_string();
        }
        WebError::message_for(&self.error, self.info.lang)
    }

    /// What a person reads for a use-case error, in their language.
    pub fn message_for(error: &AppError, lang: Lang) -> String {
        let t = lang.texts();
        match error {
            AppError::Unauthenticated => t.login.to_string(),
            AppError::Forbidden => t.forbidden.to_string(),
            AppError::NotFound => t.not_found.to_string(),
            AppError::Invalid(_) => t.invalid.to_string(),
            AppError::Stale => t.stale.to_string(),
            AppError::Locked(seconds) => format!("{}{seconds}", t.locked),
            AppError::RateLimited(seconds) => format!("{}{seconds}", t.rate_limited),
            AppError::Conflict(message) => message.render(lang),
            AppError::Internal(_) => t.error.to_string(),
            AppError::Unavailable(_) => t.unavailable.to_string(),
        }
    }

    pub fn into_response_for(self) -> Response {
        self.into_response()
    }
}

impl From<(AppError, &RequestInfo)> for WebError {
    fn from((error, info): (AppError, &RequestInfo)) -> Self {
        WebError::new(error, info)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let retry_after = match self.error {
            AppError::Locked(seconds) | AppError::RateLimited(seconds) => Some(seconds.max(1)),
            _ => None,
        };
        let mut response = self.response();
        if let Some(seconds) = retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl WebError {
    fn response(self) -> Response {
        let status = self.status();
        if let AppError::Internal(detail) = &self.error {
            tracing::error!(path = %self.info.path, "internal error: {detail}");
        }
        if let AppError::Unavailable(detail) = &self.error {
            tracing::warn!(path = %self.info.path, "unavailable: {detail}");
        }
        let fields: Vec<FieldError> = match &self.error {
            AppError::Invalid(fields) => fields.clone(),
            _ => Vec::new(),
        };
        if self.info.is_api {
            let body = json!({
                "error": self.code(),
                "message": match &self.error {
                    AppError::Internal(_) => "internal error".to_string(),
                    AppError::Unavailable(_) => "the service is unavailable for a moment; try again".to_string(),
                    other => other.to_string(),
                },
                "fields": fields,
            });
            return (status, Json(body)).into_response();
        }
        if matches!(self.error, AppError::Unauthenticated) {
            let next = urlencode(&self.info.path);
            let location = format!("/login?next={next}");
            let mut response = StatusCode::SEE_OTHER.into_response();
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            // htmx follows a redirect inside the page; tell it to load the sign-in page whole.
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert("hx-redirect", value);
            }
            return response;
        }
        let t = self.info.lang.texts();
        let page = ErrorPage {
            t,
            lang: self.info.lang.html_lang(),
            title: t.error,
            message: self.message(),
            fields: fields
                .iter()
                .map(|f| field_line(f, self.info.lang))
                .collect(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.message()).into_response(),
        }
    }
}

/// The HTTP status that answers a use-case error.
pub fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Stale | AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Locked(_) | AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Percent-encodes a path for a query parameter.
pub fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
