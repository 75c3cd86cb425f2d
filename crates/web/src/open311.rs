//! Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) in JSON and XML as the spec
//! writes them: discovery, services, service definitions, requests (POST form-encoded with
//! `attribute[code]` and `attribute[code][]`, GET with filters, a 90-day window and at most
//! 1000 rows), one request, tokens, and the `servicerequestupdates` extension. Errors are
//! `[{code, description}]` with 400, 403 or 404. A citizen's contact never leaves: GET output
//! is built from the public view of a request.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minsheng_app::hotline::{
    MAX_DESCRIPTION, OPEN_STATES, PublicRequest, RequestQuery, RequestSubmission,
};
use minsheng_app::{Actor, AppError};
use minsheng_domain::time_util::CHINA_OFFSET;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::AppState;
use crate::auth::Info;

/// The most values a comma-separated list parameter may hold.
pub const MAX_LISTED: usize = 100;

/// This server's one jurisdiction.
pub const JURISDICTION: &str = "chongqing.12345";
const DAY_MS: i64 = 24 * 3600 * 1000;
/// The longest window of a GET requests query, and its default.
const WINDOW_DAYS: i64 = 90;
const MAX_ROWS: i64 = 1000;
/// The people an attribute `affected` may name.
const AFFECTED: [(&str, &str); 5] = [
    ("elderly", "老年人 older people"),
    ("child", "儿童 children"),
    ("disabled", "残疾人 people with disabilities"),
    ("sick", "病人 sick people"),
    ("pregnant", "孕妇 pregnant women"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// `services.json` → ("services", Json).
fn split_format(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    match ext {
        "json" => Some((name, Format::Json)),
        "xml" => Some((name, Format::Xml)),
        _ => None,
    }
}

/// One Open311 error: its code and description.
struct Open311Error {
    status: StatusCode,
    description: String,
}

impl Open311Error {
    fn new(status: StatusCode, description: impl Into<String>) -> Open311Error {
        Open311Error {
            status,
            description: description.into(),
        }
    }
    fn bad(description: impl Into<String>) -> Open311Error {
        Open311Error::new(StatusCode::BAD_REQUEST, description)
    }
    fn not_found(description: impl Into<String>) -> Open311Error {
        Open311Error::new(StatusCode::NOT_FOUND, description)
    }

    fn from_app(e: AppError) -> Open311Error {
        match e {
            AppError::NotFound => Open311Error::not_found("not found"),
            AppError::Forbidden | AppError::Unauthenticated => {
                Open311Error::new(StatusCode::FORBIDDEN, "Invalid api_key")
            }
            AppError::Invalid(fields) => Open311Error::bad(
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => Open311Error::bad(other.to_string()),
        }
    }

    fn into_response(self, format: Format) -> Response {
        let body = json!([{"code": self.status.as_u16(), "description": self.description}]);
        respond(self.status, format, &body, "errors", "error")
    }
}

/// The XML element name of one item of a list.
fn singular(list: &str) -> &str {
    match list {
        "services" => "service",
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        "errors" => "error",
        "service_request_updates" => "request_update",
        _ => "request",
    }
}

/// The spec's order of an element's children.
fn field_order(element: &str) -> &'static [&'static str] {
    match element {
        "request" => &[
            "service_request_id",
            "token",
            "status",
            "status_notes",
            "service_name",
            "service_code",
            "description",
            "agency_responsible",
            "service_notice",
            "requested_datetime",
            "updated_datetime",
            "expected_datetime",
            "address",
            "address_id",
            "zipcode",
            "lat",
            "long",
            "media_url",
            "account_id",
        ],
        "service" => &[
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ],
        "service_definition" => &["service_code", "attributes"],
        "attribute" => &[
            "variable",
            "code",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
            "values",
        ],
        "value" => &["key", "name"],
        "discovery" => &["changeset", "contact", "key_service", "endpoints"],
        "endpoint" => &["specification", "url", "changeset", "type", "formats"],
        "request_update" => &[
            "update_id",
            "service_request_id",
            "status",
            "updated_datetime",
            "description",
            "media_url",
        ],
        "error" => &["code", "description"],
        _ => &[],
    }
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
}

/// The spec's XML for a JSON value: objects are elements of their fields, lists repeat their
/// item element, null is an empty element.
fn xml_element(name: &str, value: &Value, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => escape(s, out),
        Value::Array(items) => {
            for item in items {
                xml_element(singular(name), item, out);
            }
        }
        Value::Object(fields) => {
            // In the order the spec writes the fields (JSON objects here are sorted by name).
            let order = field_order(name);
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(order.len()));
            for key in keys {
                xml_element(key, &fields[key], out);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// A response in the asked format: JSON as it is; XML under `root`, list items as `item`.
fn respond(status: StatusCode, format: Format, body: &Value, root: &str, item: &str) -> Response {
    let (content_type, text) = match format {
        Format::Json => ("application/json; charset=utf-8", body.to_string()),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            match body {
                Value::Array(items) => {
                    out.push_str(&format!("<{root}>"));
                    for i in items {
                        xml_element(item, i, &mut out);
                    }
                    out.push_str(&format!("</{root}>"));
                }
                other => xml_element(root, other, &mut out),
            }
            ("text/xml; charset=utf-8", out)
        }
    };
    let mut response = (status, text).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn ok(format: Format, body: &Value, root: &str, item: &str) -> Response {
    respond(StatusCode::OK, format, body, root, item)
}

/// Milliseconds as a w3c date-time in China time (`2026-11-29T18:04:05+08:00`).
fn w3c(millis: i64) -> String {
    OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .ok()
        .map(|t| t.to_offset(CHINA_OFFSET))
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

fn parse_w3c(name: &str, text: &str) -> Result<i64, Open311Error> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| {
            Open311Error::bad(format!(
                "{name}: {text:?} is not a w3c date-time with its time zone, e.g. 2026-11-01T00:00:00+08:00"
            ))
        })
}

/// The jurisdiction, when given, must be ours.
fn check_jurisdiction(params: &[(String, String)]) -> Result<(), Open311Error> {
    match param(params, "jurisdiction_id") {
        Some(j) if !j.is_empty() && j != JURISDICTION => Err(Open311Error::not_found(format!(
            "jurisdiction_id {j:?} not found (this server is {JURISDICTION})"
        ))),
        _ => Ok(()),
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
}

/// Where this API is, as the client reached it.
fn base_url(s: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let scheme = if s.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}/open311/v2")
}

fn discovery(s: &AppState, headers: &HeaderMap) -> Value {
    json!({
        "changeset": "2026-11-29 00:00",
        "contact": "重庆市12345政务服务便民热线 · 12345",
        "key_service": "api_key: ask the hotline centre (minsheng hotline open311-key --client NAME)",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": base_url(s, headers),
            "changeset": "2026-11-29 00:00",
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    })
}

fn services(s: &AppState) -> Value {
    let taxonomy = s.app.hotline().taxonomy();
    let list: Vec<Value> = taxonomy
        .categories
        .iter()
        .flat_map(|c| {
            c.sub.iter().map(move |sub| {
                json!({
                    "service_code": sub.code,
                    "service_name": sub.name_zh,
                    "description": format!("{} · {}（{}）", c.name_zh, sub.name_zh, c.name_en),
                    "metadata": true,
                    "type": "realtime",
                    "keywords": format!("{}, {}", c.name_zh, sub.name_zh),
                    "group": c.name_zh,
                })
            })
        })
        .collect();
    Value::Array(list)
}

/// The attributes every service takes: the request's type, and who is affected (a household
/// in difficulty may be handed to social assistance).
fn definition(s: &AppState, code: &str) -> Value {
    let types: Vec<Value> = s
        .app
        .hotline()
        .taxonomy()
        .types
        .iter()
        .map(|t| json!({"key": t.code, "name": format!("{} {}", t.name_zh, t.name_en)}))
        .collect();
    let affected: Vec<Value> = AFFECTED
        .iter()
        .map(|(key, name)| json!({"key": key, "name": name}))
        .collect();
    json!({
        "service_code": code,
        "attributes": [
            {
                "variable": true,
                "code": "request_type",
                "datatype": "singlevaluelist",
                "required": false,
                "datatype_description": null,
                "order": 1,
                "description": "诉求类型 Type of request (classified from the description when left out)",
                "values": types,
            },
            {
                "variable": true,
                "code": "affected",
                "datatype": "multivaluelist",
                "required": false,
                "datatype_description": null,
                "order": 2,
                "description": "受影响的人 Who is affected",
                "values": affected,
            },
        ],
    })
}

fn request_json(s: &AppState, r: &PublicRequest) -> Value {
    let mut m = Map::new();
    m.insert("service_request_id".into(), json!(r.id.to_string()));
    m.insert(
        "status".into(),
        json!(if r.status_open { "open" } else { "closed" }),
    );
    m.insert(
        "status_notes".into(),
        if r.reply.is_empty() {
            Value::Null
        } else {
            json!(r.reply)
        },
    );
    m.insert("service_name".into(), json!(r.service_name));
    m.insert("service_code".into(), json!(r.subcategory));
    m.insert("description".into(), json!(r.description));
    m.insert(
        "agency_responsible".into(),
        json!(
            r.unit_name
                .clone()
                .unwrap_or_else(|| "重庆市12345政务服务便民热线中心".into())
        ),
    );
    m.insert("service_notice".into(), json!(service_notice(s, r)));
    m.insert("requested_datetime".into(), json!(w3c(r.created_at)));
    m.insert("updated_datetime".into(), json!(w3c(r.updated_at)));
    m.insert("expected_datetime".into(), json!(w3c(r.due_at)));
    m.insert(
        "address".into(),
        json!(if r.address.is_empty() {
            r.region_name.clone()
        } else {
            r.address.clone()
        }),
    );
    m.insert("address_id".into(), Value::Null);
    m.insert("zipcode".into(), Value::Null);
    m.insert("lat".into(), json!(r.latitude));
    m.insert("long".into(), json!(r.longitude));
    m.insert("media_url".into(), Value::Null);
    Value::Object(m)
}

fn service_notice(s: &AppState, r: &PublicRequest) -> String {
    let days = s
        .app
        .hotline()
        .taxonomy()
        .request_type(&r.request_type)
        .map_or(5, |t| t.days);
    format!("{days}个工作日内答复 Answered within {days} working days")
}

/// GET `discovery`, `services`, `requests`, `servicerequestupdates`.
pub async fn get_root(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let Some((name, format)) = split_format(&file) else {
        return Open311Error::not_found(format!("{file}: no such resource (use .json or .xml)"))
            .into_response(Format::Json);
    };
    let answer = match name {
        "discovery" => Ok(ok(
            format,
            &discovery(&s, &headers),
            "discovery",
            "discovery",
        )),
        "services" => {
            check_jurisdiction(&params).map(|()| ok(format, &services(&s), "services", "service"))
        }
        "requests" => list_requests(&s, &params, format).await,
        "servicerequestupdates" => list_updates(&s, &params, format).await,
        other => Err(Open311Error::not_found(format!(
            "{other}: no such resource"
        ))),
    };
    answer.unwrap_or_else(|e| e.into_response(format))
}

/// GET `services/{code}.{fmt}`.
pub async fn service_definition(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = split_format(&file) else {
        return Open311Error::not_found("use .json or .xml").into_response(Format::Json);
    };
    if s.app.hotline().taxonomy().subcategory(code).is_none() {
        return Open311Error::not_found(format!("service_code {code:?} not found"))
            .into_response(format);
    }
    ok(format, &definition(&s, code), "service_definition", "")
}

async fn list_requests(
    s: &AppState,
    params: &[(String, String)],
    format: Format,
) -> Result<Response, Open311Error> {
    check_jurisdiction(params)?;
    let mut query = RequestQuery {
        limit: MAX_ROWS,
        ..RequestQuery::default()
    };
    // A list is at most MAX_LISTED values, duplicates dropped: a request of any length costs
    // the same bounded query.
    let listed = |name: &str| -> Result<Vec<String>, Open311Error> {
        let mut values: Vec<String> = param(params, name)
            .map(|v| {
                v.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        // Duplicates dropped, the order kept.
        let mut seen = std::collections::HashSet::new();
        values.retain(|v| seen.insert(v.clone()));
        if values.len() > MAX_LISTED {
            return Err(Open311Error::bad(format!(
                "{name}: at most {MAX_LISTED} values"
            )));
        }
        Ok(values)
    };
    let ids = listed("service_request_id")?;
    if !ids.is_empty() {
        // The spec: service_request_id overrides all other arguments.
        for id in ids {
            query.ids.push(id.parse().map_err(|_| {
                Open311Error::bad(format!(
                    "service_request_id: {id:?} is not a request number"
                ))
            })?);
        }
    } else {
        query.subcategories = listed("service_code")?;
        let start = param(params, "start_date")
            .filter(|v| !v.is_empty())
            .map(|v| parse_w3c("start_date", v))
            .transpose()?;
        let end = param(params, "end_date")
            .filter(|v| !v.is_empty())
            .map(|v| parse_w3c("end_date", v))
            .transpose()?;
        let window = WINDOW_DAYS * DAY_MS;
        let (from, to) = match (start, end) {
            (Some(a), Some(b)) if b < a => {
                return Err(Open311Error::bad("end_date is before start_date"));
            }
            (Some(a), Some(b)) if b - a > window => {
                return Err(Open311Error::bad(
                    "start_date and end_date may not span more than 90 days",
                ));
            }
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => (a, a + window),
            (None, Some(b)) => (b - window, b),
            (None, None) => {
                let now = s.app.now();
                (now - window, now + 1)
            }
        };
        query.created_from = Some(from);
        query.created_to = Some(to + 1);
        for status in listed("status")? {
            match status.as_str() {
                "open" => query
                    .states
                    .extend(OPEN_STATES.iter().map(|s| s.to_string())),
                "closed" => query
                    .states
                    .extend(["replied", "closed", "merged"].map(String::from)),
                other => {
                    return Err(Open311Error::bad(format!(
                        "status: {other:?} is not open or closed"
                    )));
                }
            }
        }
    }
    let rows = s
        .app
        .public_requests(&query)
        .await
        .map_err(Open311Error::from_app)?;
    let body = Value::Array(rows.iter().map(|r| request_json(s, r)).collect());
    Ok(ok(format, &body, "service_requests", "request"))
}

/// GET `requests/{id}.{fmt}`.
pub async fn one_request(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((id, format)) = split_format(&file) else {
        return Open311Error::not_found("use .json or .xml").into_response(Format::Json);
    };
    let Ok(id) = id.parse::<i64>() else {
        return Open311Error::not_found(format!("service_request_id {id:?} not found"))
            .into_response(format);
    };
    match s.app.public_request(id).await {
        Ok(r) => ok(
            format,
            &Value::Array(vec![request_json(&s, &r)]),
            "service_requests",
            "request",
        ),
        Err(AppError::NotFound) => {
            Open311Error::not_found(format!("service_request_id {id} not found"))
                .into_response(format)
        }
        Err(e) => Open311Error::from_app(e).into_response(format),
    }
}

/// GET `tokens/{token}.{fmt}`.
pub async fn token(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((token, format)) = split_format(&file) else {
        return Open311Error::not_found("use .json or .xml").into_response(Format::Json);
    };
    match s.app.request_of_token(token).await {
        Ok(Some(id)) => ok(
            format,
            &json!([{"service_request_id": id.to_string(), "token": token}]),
            "service_requests",
            "request",
        ),
        Ok(None) => Open311Error::not_found("token not found").into_response(format),
        Err(e) => Open311Error::from_app(e).into_response(format),
    }
}

/// POST `requests` and `servicerequestupdates` (form-encoded).
pub async fn post_root(
    State(s): State<AppState>,
    Info(info): Info,
    Path(file): Path<String>,
    body: Bytes,
) -> Response {
    let Some((name, format)) = split_format(&file) else {
        return Open311Error::not_found(format!("{file}: no such resource (use .json or .xml)"))
            .into_response(Format::Json);
    };
    // The body is capped by the route (a request needs a few kilobytes); the key is checked
    // before anything in it is read further.
    let answer = match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
        Err(e) => Err(Open311Error::bad(format!(
            "the body is not application/x-www-form-urlencoded: {e}"
        ))),
        Ok(params) => match client_of(&s, &params, &info.ip).await {
            Err(e) => Err(e),
            Ok(client) => match name {
                "requests" => create_request(&s, &client, &params, format).await,
                "servicerequestupdates" => post_update(&s, &client, &params, format).await,
                other => Err(Open311Error::not_found(format!(
                    "{other}: no such resource"
                ))),
            },
        },
    };
    answer.unwrap_or_else(|e| e.into_response(format))
}

/// The client application of a valid api_key, as the actor it posts as.
async fn client_of(
    s: &AppState,
    params: &[(String, String)],
    ip: &str,
) -> Result<Actor, Open311Error> {
    let key = param(params, "api_key").unwrap_or_default();
    s.app
        .open311_actor(key, ip)
        .await
        .map_err(Open311Error::from_app)?
        .ok_or_else(|| Open311Error::new(StatusCode::FORBIDDEN, "Invalid api_key"))
}

/// `attribute[code]=v` and `attribute[code][]=v` as code → values.
fn attributes(
    params: &[(String, String)],
) -> Result<std::collections::BTreeMap<String, Vec<String>>, Open311Error> {
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (key, value) in params {
        let Some(rest) = key.strip_prefix("attribute[") else {
            continue;
        };
        let (code, multi) = match rest.strip_suffix("][]") {
            Some(code) => (code, true),
            None => (
                rest.strip_suffix(']')
                    .ok_or_else(|| Open311Error::bad(format!("{key}: not attribute[code]")))?,
                false,
            ),
        };
        let values = out.entry(code.to_string()).or_default();
        if !multi && !values.is_empty() {
            return Err(Open311Error::bad(format!(
                "attribute[{code}] given twice (a list is attribute[{code}][])"
            )));
        }
        values.push(value.trim().to_string());
    }
    Ok(out)
}

/// A parameter that must be there and not empty.
fn required<'a>(params: &'a [(String, String)], name: &str) -> Result<&'a str, Open311Error> {
    param(params, name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Open311Error::bad(format!("{name} not provided")))
}

async fn create_request(
    s: &AppState,
    client: &Actor,
    params: &[(String, String)],
    format: Format,
) -> Result<Response, Open311Error> {
    check_jurisdiction(params)?;
    let taxonomy = s.app.hotline().taxonomy();
    let code = required(params, "service_code")?;
    if taxonomy.subcategory(code).is_none() {
        return Err(Open311Error::not_found(format!(
            "service_code {code:?} not found"
        )));
    }
    let number = |name: &str| -> Result<Option<f64>, Open311Error> {
        param(params, name)
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|_| Open311Error::bad(format!("{name}: {v:?} is not a number")))
            })
            .transpose()
    };
    let (lat, long) = (number("lat")?, number("long")?);
    let address = param(params, "address_string").unwrap_or_default();
    let address_id = param(params, "address_id").unwrap_or_default();
    if (lat.is_none() || long.is_none()) && address.is_empty() && address_id.is_empty() {
        return Err(Open311Error::bad(
            "a location is required: lat and long, address_string or address_id",
        ));
    }
    let description = param(params, "description").unwrap_or_default();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(Open311Error::bad(format!(
            "description: at most {MAX_DESCRIPTION} characters"
        )));
    }
    let attrs = attributes(params)?;
    let mut request_type = None;
    for (attr, values) in &attrs {
        match attr.as_str() {
            "request_type" => {
                let value = values.first().map(String::as_str).unwrap_or_default();
                if taxonomy.request_type(value).is_none() {
                    return Err(Open311Error::bad(format!(
                        "attribute[request_type]: {value:?} is not one of the service definition's values"
                    )));
                }
                request_type = Some(value.to_string());
            }
            "affected" => {
                if let Some(v) = values
                    .iter()
                    .find(|v| !AFFECTED.iter().any(|(k, _)| k == v))
                {
                    return Err(Open311Error::bad(format!(
                        "attribute[affected][]: {v:?} is not one of the service definition's values"
                    )));
                }
            }
            other => {
                return Err(Open311Error::bad(format!(
                    "attribute[{other}]: service {code} has no such attribute"
                )));
            }
        }
    }
    let name = [param(params, "last_name"), param(params, "first_name")]
        .into_iter()
        .flatten()
        .collect::<String>();
    // The place the citizen gives is part of what the request is about.
    let text = if description.is_empty() {
        taxonomy
            .subcategory(code)
            .map(|(_, sub)| sub.name_zh.clone())
            .unwrap_or_default()
    } else {
        description.to_string()
    };
    let submission = RequestSubmission {
        channel: "open311".into(),
        description: text,
        address: address.to_string(),
        latitude: lat,
        longitude: long,
        contact_name: name,
        contact_phone: param(params, "phone").unwrap_or_default().to_string(),
        contact_email: param(params, "email").unwrap_or_default().to_string(),
        subcategory: Some(code.to_string()),
        request_type,
        attributes: attrs,
        client_key: None,
    };
    let taken = s
        .app
        .submit_request(client, &submission)
        .await
        .map_err(Open311Error::from_app)?;
    let days = taxonomy
        .request_type(&taken.request_type)
        .map_or(5, |t| t.days);
    let body = json!([{
        "service_request_id": taken.id.to_string(),
        "token": taken.token,
        "service_notice": format!("{days}个工作日内答复 Answered within {days} working days"),
        "account_id": null,
    }]);
    Ok(ok(format, &body, "service_requests", "request"))
}

/// The update statuses of the extension, as its GET writes them.
fn update_status(kind: &str, note: &str) -> &'static str {
    match kind {
        "accepted" | "extension_granted" => "in_progress",
        "replied" if note == "resolved" => "fixed",
        "replied" | "closed" => "closed",
        "rework" => "reopen",
        "merged" => "duplicate",
        _ => "open",
    }
}

async fn list_updates(
    s: &AppState,
    params: &[(String, String)],
    format: Format,
) -> Result<Response, Open311Error> {
    check_jurisdiction(params)?;
    let now = s.app.now();
    let from = match param(params, "start_date").filter(|v| !v.is_empty()) {
        Some(v) => parse_w3c("start_date", v)?,
        None => now - DAY_MS,
    };
    let to = match param(params, "end_date").filter(|v| !v.is_empty()) {
        Some(v) => parse_w3c("end_date", v)?,
        None => now + 1,
    };
    let events = s
        .app
        .public_updates(from, to)
        .await
        .map_err(Open311Error::from_app)?;
    let body: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "update_id": e.id.to_string(),
                "service_request_id": e.request_id.to_string(),
                "status": update_status(&e.kind, &e.note),
                "updated_datetime": w3c(e.at),
                "description": e.public_note,
                "media_url": "",
            })
        })
        .collect();
    Ok(ok(
        format,
        &Value::Array(body),
        "service_request_updates",
        "request_update",
    ))
}

const UPDATE_STATUSES: [&str; 12] = [
    "OPEN",
    "CLOSED",
    "FIXED",
    "IN_PROGRESS",
    "ACTION_SCHEDULED",
    "INVESTIGATING",
    "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY",
    "NO_FURTHER_ACTION",
    "INTERNAL_REFERRAL",
    "REOPEN",
    "FOR_TRIAGE",
];

async fn post_update(
    s: &AppState,
    client: &Actor,
    params: &[(String, String)],
    format: Format,
) -> Result<Response, Open311Error> {
    check_jurisdiction(params)?;
    let required = |name: &str| required(params, name);
    let id = required("service_request_id")?;
    let id: i64 = id
        .parse()
        .map_err(|_| Open311Error::not_found(format!("service_request_id {id:?} not found")))?;
    required("update_id")?;
    let status = required("status")?;
    if !UPDATE_STATUSES.contains(&status) {
        return Err(Open311Error::bad(format!(
            "status: {status:?} is not one of {}",
            UPDATE_STATUSES.join(", ")
        )));
    }
    parse_w3c("updated_datetime", required("updated_datetime")?)?;
    let description = required("description")?;
    let update = s
        .app
        .citizen_update(client, id, &format!("[{status}] {description}"))
        .await
        .map_err(|e| match e {
            AppError::NotFound => {
                Open311Error::not_found(format!("service_request_id {id} not found"))
            }
            other => Open311Error::from_app(other),
        })?;
    Ok(ok(
        format,
        &json!([{"update_id": update.to_string()}]),
        "service_request_updates",
        "request_update",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_follows_the_spec_shapes() {
        let mut out = String::new();
        xml_element(
            "service_definition",
            &json!({"service_code": "x<y", "attributes": [{"code": "a", "values": [{"key": "k", "name": "n"}], "order": 1, "required": false, "datatype_description": null}]}),
            &mut out,
        );
        assert_eq!(
            out,
            "<service_definition><service_code>x&lt;y</service_code><attributes><attribute><code>a</code>\
             <required>false</required><datatype_description></datatype_description><order>1</order>\
             <values><value><key>k</key><name>n</name></value></values></attribute></attributes></service_definition>"
        );
    }

    #[test]
    fn attributes_are_read_single_and_as_lists() {
        let p = |k: &str, v: &str| (k.to_string(), v.to_string());
        let a = attributes(&[
            p("attribute[request_type]", "help"),
            p("attribute[affected][]", "elderly"),
            p("attribute[affected][]", "child"),
            p("description", "x"),
        ])
        .ok()
        .expect("attributes");
        assert_eq!(a["request_type"], vec!["help"]);
        assert_eq!(a["affected"], vec!["elderly", "child"]);
        assert!(attributes(&[p("attribute[x]", "1"), p("attribute[x]", "2")]).is_err());
        assert!(attributes(&[p("attribute[x", "1")]).is_err());
    }

    #[test]
    fn dates_are_w3c_with_a_zone() {
        assert!(parse_w3c("d", "2026-11-01T00:00:00+08:00").is_ok());
        assert!(parse_w3c("d", "2026-11-01T00:00:00Z").is_ok());
        assert!(parse_w3c("d", "2026-11-01T00:00:00").is_err());
        assert_eq!(w3c(0), "1970-01-01T08:00:00+08:00");
    }
}
