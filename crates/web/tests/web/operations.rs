//! Operations seen through the web (issue 17): deadlines past the loaded working-day schedule
//! marked provisional on pages and in the API until the year is imported, the administrators'
//! banner, request ids and metrics by route template, readiness, and notification channels.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use minsheng_app::{Actor, Backend};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::TestApp;

minsheng_store::on_both_backends!(
    deadlines_into_a_year_without_its_schedule_say_provisional_until_it_is_imported,
    requests_carry_an_id_and_are_counted_by_their_route_template,
    administrators_set_their_units_channels_and_see_deliveries,
);

/// A whole year of holidays (made up for the test, complete).
const YEAR_2027: &str = include_str!("../../../../tests/fixtures/calendar-2027.csv");

/// Every `due_at_provisional` flag anywhere in an answer.
fn provisional_flags(value: &Value, out: &mut Vec<bool>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| provisional_flags(v, out)),
        Value::Object(map) => {
            if let Some(flag) = map.get("due_at_provisional").and_then(Value::as_bool) {
                out.push(flag);
            }
            map.values().for_each(|v| provisional_flags(v, out));
        }
        _ => {}
    }
}

fn json_body(value: Value) -> Option<(&'static str, String)> {
    Some(("application/json", value.to_string()))
}

/// Item 3: on 30 December, before next year's schedule is published, a lead's visit deadline
/// falls in January: pages say 暂定, the API says `due_at_provisional`, administrators see a
/// banner; once the year is imported the same deadline is plain and the banner is gone.
async fn deadlines_into_a_year_without_its_schedule_say_provisional_until_it_is_imported(
    backend: Backend,
) {
    let t = TestApp::new(backend).await;
    // 2026-12-30 10:00 in China, wherever the test runs.
    let target = time::macros::datetime!(2026-12-30 10:00 +08:00).unix_timestamp() * 1000;
    t.app.clock().advance(target - t.app.now());
    assert!(t.app.calendar().covers(2026) && !t.app.calendar().covers(2027));

    let volunteer = t.sign_in("banan.volunteer").await;
    let (status, filed) = t
        .call_json(
            &volunteer,
            Method::POST,
            "/api/v1/clues",
            json_body(json!({
                "channel": "volunteer",
                "description": "独居老人年底无人照看",
                "address": "百节社区8栋",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let lead = filed["lead_id"].as_i64().expect("lead id");
    let district = t.sign_in("banan.district").await;
    let lead_path = format!("/api/v1/leads/{lead}");
    let (status, detail) = t.call_json(&district, Method::GET, &lead_path, None).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let mut flags = Vec::new();
    provisional_flags(&detail, &mut flags);
    assert_eq!(flags, vec![true], "{detail}");
    let community = t.sign_in("banan.community").await;
    let (status, inbox) = t
        .call_json(&community, Method::GET, "/api/v1/inbox", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut flags = Vec::new();
    provisional_flags(&inbox, &mut flags);
    assert!(flags.contains(&true), "{inbox}");
    let page = |path: String| {
        let district = &district;
        let t = &t;
        async move {
            let (status, bytes) = t.call_bytes(district, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            String::from_utf8(bytes).expect("utf-8")
        }
    };
    let html = page(format!("/leads/{lead}")).await;
    assert!(
        html.contains("（暂定）"),
        "the lead page marks its deadline"
    );
    // Administrators see the banner; others do not.
    let admin = t.sign_in("admin").await;
    let (_, admin_home) = t.call_bytes(&admin, "/").await;
    let admin_home = String::from_utf8(admin_home).expect("utf-8");
    assert!(
        admin_home.contains("calendar-banner") && admin_home.contains("2027年的节假日安排尚未导入")
    );
    assert!(!page("/".into()).await.contains("calendar-banner"));

    // The year is imported: at once, everywhere.
    let operator = Actor::command_line(t.app.everything().await.expect("scope"));
    t.app
        .import_calendar(&operator, YEAR_2027)
        .await
        .expect("import");
    let (_, detail) = t.call_json(&district, Method::GET, &lead_path, None).await;
    let mut flags = Vec::new();
    provisional_flags(&detail, &mut flags);
    assert_eq!(flags, vec![false], "{detail}");
    assert!(!page(format!("/leads/{lead}")).await.contains("（暂定）"));
    let (_, admin_home) = t.call_bytes(&admin, "/").await;
    assert!(
        !String::from_utf8(admin_home)
            .expect("utf-8")
            .contains("calendar-banner")
    );
}

/// Item 4: every answer carries an `X-Request-Id` (the caller's own when it sent one), and the
/// metrics count requests by route template, never by raw path.
async fn requests_carry_an_id_and_are_counted_by_their_route_template(backend: Backend) {
    let t = TestApp::new(backend).await;
    let metrics = minsheng_web::metrics::Metrics::new();
    let router = minsheng_web::router_with_metrics(
        t.app.clone(),
        minsheng_web::WebConfig::default(),
        metrics.clone(),
    );
    let district = t.sign_in("banan.district").await;
    let session = district.session.clone().expect("session");
    let call = |path: &str, id: Option<&str>| {
        let mut builder = Request::builder()
            .uri(path)
            .header("cookie", format!("ms_session={session}"));
        if let Some(id) = id {
            builder = builder.header("x-request-id", id);
        }
        let request = builder.body(Body::empty()).expect("request");
        let router = router.clone();
        async move { router.oneshot(request).await.expect("response") }
    };
    let response = call("/healthz", None).await;
    let generated = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("a request id")
        .to_string();
    assert!(generated.len() >= 16, "{generated}");
    let response = call("/healthz", Some("trace-from-nginx-1")).await;
    assert_eq!(
        response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("trace-from-nginx-1")
    );
    let (_, households) = t
        .call_json(&district, Method::GET, "/api/v1/households?limit=2", None)
        .await;
    let ids: Vec<i64> = households
        .as_array()
        .or(households["items"].as_array())
        .expect("households")
        .iter()
        .filter_map(|h| h["id"].as_i64())
        .collect();
    assert!(!ids.is_empty(), "{households}");
    for id in &ids {
        let response = call(&format!("/households/{id}"), None).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = call("/readyz", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = metrics.render(&t.app).await.expect("metrics");
    let line = format!(
        "minsheng_http_requests_total{{route=\"/households/{{id}}\",method=\"GET\",status=\"200\"}} {}",
        ids.len()
    );
    assert!(text.contains(&line), "{line}\n{text}");
    for id in &ids {
        assert!(
            !text.contains(&format!("/households/{id}\"")),
            "a raw path became a series"
        );
    }
    for needle in [
        "minsheng_http_request_duration_seconds_bucket{",
        "minsheng_outbox_pending ",
        "minsheng_db_pool_connections{state=\"open\"}",
        "minsheng_overdue{what=\"leads\"}",
        "minsheng_overdue{what=\"referrals\"}",
        "minsheng_overdue{what=\"hotline_tickets\"}",
    ] {
        assert!(text.contains(needle), "{needle}\n{text}");
    }
}

/// Item 2: an administrator gives a unit a DingTalk robot through the API; the page lists it
/// without the robot's access token; an event for that unit is queued for it and shows among
/// the deliveries; a channel of a unit outside the area cannot be switched.
async fn administrators_set_their_units_channels_and_see_deliveries(backend: Backend) {
    let t = TestApp::new(backend).await;
    let admin = t.sign_in("admin").await;
    let (status, made) = t
        .call_json(
            &admin,
            Method::POST,
            "/api/v1/channels",
            json_body(json!({
                "unit": "巴南区民政局",
                "kind": "dingtalk",
                "target": "https://oapi.dingtalk.com/robot/send?access_token=SECRET-TOKEN-123",
                "secret": "SECabc",
                "events": "referral_overdue, emergency_unpaid",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (status, refused) = t
        .call_json(
            &admin,
            Method::POST,
            "/api/v1/channels",
            json_body(json!({
                "unit": "巴南区民政局",
                "kind": "pager",
                "target": "https://example.invalid",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("kind"), "{refused}");
    let (_, page) = t.call_bytes(&admin, "/units/channels").await;
    let page = String::from_utf8(page).expect("utf-8");
    assert!(
        page.contains("钉钉群机器人") && page.contains("https://oapi.dingtalk.com/robot/send?…")
    );
    assert!(!page.contains("SECRET-TOKEN-123") && !page.contains("SECabc"));
    let (_, listed) = t
        .call_json(&admin, Method::GET, "/api/v1/channels", None)
        .await;
    assert!(
        !listed.to_string().contains("SECRET-TOKEN-123") && !listed.to_string().contains("SECabc")
    );
    // A referral of that unit's area goes overdue and is chased: its delivery is queued.
    let unit: (i64,) = minsheng_store::Conn::one(
        &mut t.app.store().reader(),
        minsheng_store::Sql::with(
            "SELECT id FROM units WHERE name = $1",
            minsheng_store::vals!["巴南区民政局"],
        ),
    )
    .await
    .expect("unit");
    let mut tx = t.app.store().begin().await.expect("begin");
    let told = |key, kind, title| minsheng_store::ops::NewNotification {
        event_key: key,
        kind,
        unit_id: unit.0,
        title,
        body: "",
        link: "",
        now: t.app.now(),
    };
    minsheng_store::ops::notify(
        &mut tx,
        &told("test:referral:1", "referral_overdue", "转介逾期：低保审核"),
    )
    .await
    .expect("tell");
    // An event the channel did not ask for is not queued for it.
    minsheng_store::ops::notify(&mut tx, &told("test:alarm:1", "station_alarm", "站点告警"))
        .await
        .expect("tell");
    tx.commit().await.expect("commit");
    let (_, listed) = t
        .call_json(&admin, Method::GET, "/api/v1/channels", None)
        .await;
    let deliveries = listed["deliveries"].as_array().expect("deliveries");
    assert_eq!(deliveries.len(), 1, "{listed}");
    assert_eq!(deliveries[0]["state"], "pending");
    assert_eq!(deliveries[0]["kind"], "referral_overdue");
    // A district officer may not manage channels at all.
    let officer = t.sign_in("banan.district").await;
    let id = made["id"].as_i64().expect("id");
    let status = t
        .call(
            &officer,
            Method::POST,
            &format!("/units/channels/{id}/disable"),
            Some((
                "application/x-www-form-urlencoded",
                format!("csrf_token={}", officer.csrf),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
