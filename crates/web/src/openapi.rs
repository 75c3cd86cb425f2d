//! The OpenAPI 3 document of `/api/v1`, built from the route registry so it lists every route.

use std::sync::OnceLock;

use axum::Json;
use axum::http::Method;
use serde_json::{Map, Value, json};

use crate::routes::route_specs;

fn schemas() -> Value {
    json!({
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "enum": ["unauthenticated", "forbidden", "not_found", "invalid", "stale", "conflict", "locked", "internal", "csrf"]},
                "message": {"type": "string"},
                "fields": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}
            }
        },
        "Household": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "region_code": {"type": "string", "example": "500113001001"},
                "region_name": {"type": "string"},
                "address": {"type": "string"},
                "head_person_id": {"type": ["integer", "null"]},
                "head_name": {"type": ["string", "null"]},
                "head_id_number": {"type": ["string", "null"], "description": "Masked: 500113********123X"},
                "members": {"type": "integer"},
                "version": {"type": "integer", "description": "Send back when saving (optimistic locking)"},
                "updated_at": {"type": "integer", "description": "Milliseconds since the Unix epoch"}
            }
        },
        "Person": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "id_number": {"type": "string", "description": "Masked unless revealed"},
                "name": {"type": "string"},
                "sex": {"type": "string", "enum": ["male", "female"]},
                "birth_date": {"type": "string", "format": "date"},
                "phone": {"type": ["string", "null"], "description": "Masked"},
                "household_id": {"type": ["integer", "null"]},
                "relation_code": {"type": ["string", "null"], "description": "GB/T 4761"},
                "region_code": {"type": "string"},
                "region_name": {"type": "string"},
                "version": {"type": "integer"}
            }
        },
        "Page": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {}},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": "integer"},
                "total_capped": {"type": "boolean", "description": "True when there are more than `total` matches"}
            }
        }
    })
}

fn operation(method: &Method, path: &str, summary: &str, public: bool) -> Value {
    let mut parameters: Vec<Value> = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    if *method == Method::GET && (path.ends_with("/households") || path.ends_with("/persons")) {
        for (name, description) in [
            (
                "q",
                "Name or address contains; an ID number matches exactly",
            ),
            ("region", "Region code to narrow to (inside your area)"),
            ("page", "Page number from 1"),
            ("per_page", "Rows per page, at most 100"),
        ] {
            parameters.push(json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "string"}}));
        }
    }
    let error = json!({"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let mut op = json!({
        "summary": summary,
        "parameters": parameters,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
            "401": error.clone(),
            "403": error.clone(),
            "404": error.clone(),
            "409": error.clone(),
            "422": error
        }
    });
    if matches!(*method, Method::POST | Method::PUT) {
        op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}}}});
    }
    if public {
        op["security"] = json!([]);
    }
    op
}

fn build() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for spec in route_specs().into_iter().filter(|s| s.is_api()) {
        let entry = paths
            .entry(spec.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        let method = spec.method.as_str().to_lowercase();
        entry[method] = operation(&spec.method, spec.path, spec.summary, spec.action.is_none());
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "minsheng API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Proactive social assistance. Every read is scoped to the caller's area and audited. Cookie sessions need the X-CSRF-Token header on changes; bearer tokens do not."
        },
        "servers": [{"url": "/"}],
        "security": [{"cookieAuth": []}, {"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "ms_session"},
                "bearerAuth": {"type": "http", "scheme": "bearer"}
            },
            "schemas": schemas()
        }
    })
}

pub async fn document() -> Json<Value> {
    static DOC: OnceLock<Value> = OnceLock::new();
    Json(DOC.get_or_init(build).clone())
}
