//! The security regression suite: one test per attack found at the boundary (issue 16), each
//! on SQLite and PostgreSQL, driven through the real router as an attacker would.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use minsheng_app::Backend;
use minsheng_store::{Conn, Sql, vals};
use minsheng_web::WebConfig;
use minsheng_web::limits::RateSettings;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{TestApp, Who, urlencode};

minsheng_store::on_both_backends!(
    a_visit_never_moves_or_matches_another_areas_person,
    a_household_that_moves_takes_its_records_to_its_new_area,
    lead_details_never_show_full_id_numbers,
    public_pages_carry_nothing_personal_however_written,
    list_parameters_and_free_texts_are_bounded,
    failed_sign_ins_write_bounded_rows,
    csv_exports_never_start_a_formula,
    a_donor_cannot_declare_its_own_payment_received,
    redirects_stay_on_this_site,
    tokens_end_with_the_password_and_their_owner_revokes_them,
    one_address_cannot_lock_anyone_else_out,
    merges_keys_and_client_updates_stay_with_their_owner,
    file_opening_roles_wait_for_a_second_administrator,
    public_posts_and_uploads_are_rate_limited,
);

/// An ID number with its right check digit.
fn valid_id(first17: &str) -> String {
    let mut digits = [0u8; 17];
    for (slot, b) in digits.iter_mut().zip(first17.bytes()) {
        *slot = b - b'0';
    }
    format!(
        "{first17}{}",
        minsheng_domain::id_number::check_digit(&digits)
    )
}

fn json_body(value: Value) -> Option<(&'static str, String)> {
    Some(("application/json", value.to_string()))
}

fn form_body(fields: &[(&str, &str)]) -> Option<(&'static str, String)> {
    let text: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    Some(("application/x-www-form-urlencoded", text.join("&")))
}

/// A household head of 渝中区 (another district than 巴南区): (person, household, ID number).
async fn yuzhong_head(t: &TestApp) -> (i64, i64, String) {
    t.app
        .store()
        .reader()
        .one(Sql::with(
            "SELECT p.id, h.id, p.id_number FROM households h JOIN persons p ON p.id = h.head_person_id \
             WHERE h.region_code BETWEEN $1 AND $2 ORDER BY h.id LIMIT 1",
            vals![500_103_000_000_i64, 500_103_999_999_i64],
        ))
        .await
        .expect("a household in 渝中区")
}

/// A request through the router with extra headers.
async fn send(
    router: &axum::Router,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = match body {
        Some((content_type, bytes)) => {
            builder = builder.header(header::CONTENT_TYPE, content_type);
            Body::from(bytes)
        }
        None => Body::empty(),
    };
    let response = router
        .clone()
        .oneshot(builder.body(body).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 26)
        .await
        .expect("body");
    (status, headers, bytes.to_vec())
}

/// Item 1 (high): A grid worker's visit registers a household with a head whose ID number belongs
/// to a person of another district: refused, audited, and the person stays where they are;
/// a clue naming that person is not matched to them either.
async fn a_visit_never_moves_or_matches_another_areas_person(backend: Backend) {
    let t = TestApp::new(backend).await;
    let grid = t.sign_in("banan.grid").await;
    let (person, household, id_number) = yuzhong_head(&t).await;
    let (status, clue) = t
        .call_json(
            &grid,
            Method::POST,
            "/api/v1/clues",
            json_body(json!({
                "channel": "grid_worker",
                "description": "独居老人，屋顶漏雨",
                "address": "安全测试楼1号",
                "person_name": "某人",
                "id_number": id_number,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{clue}");
    let lead = clue["lead_id"].as_i64().expect("lead");
    let (status, detail) = t
        .call_json(&grid, Method::GET, &format!("/api/v1/leads/{lead}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert!(
        detail["lead"]["household_id"].is_null() && detail["lead"]["person_id"].is_null(),
        "the lead carries another area's household: {detail}"
    );
    let version = detail["lead"]["version"].as_i64().expect("version");
    let (status, answer) = t
        .call_json(
            &grid,
            Method::POST,
            &format!("/api/v1/leads/{lead}/visit"),
            json_body(json!({
                "version": version,
                "findings": "走访核实",
                "outcome": "register",
                "head": {"id_number": id_number, "name": "某人", "relation_code": "02"},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer.to_string().contains("outside your area"), "{answer}");
    // Nothing moved: the person is still the head of their household in 渝中区, which its
    // own district still reads.
    let (still_household, still_region): (Option<i64>, i64) = t
        .app
        .store()
        .reader()
        .one(Sql::with(
            "SELECT household_id, region_code FROM persons WHERE id = $1",
            vals![person],
        ))
        .await
        .expect("person");
    assert_eq!(still_household, Some(household));
    assert!((500_103_000_000..500_104_000_000).contains(&still_region));
    let yuzhong = t.sign_in("yuzhong.district").await;
    let (status, _) = t
        .call_json(
            &yuzhong,
            Method::GET,
            &format!("/api/v1/households/{household}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = t
        .call_json(
            &grid,
            Method::GET,
            &format!("/api/v1/persons/{person}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The refusal is in the audit log, the lead still open.
    let denied: Vec<(String,)> = t
        .app
        .store()
        .reader()
        .all(Sql::with(
            "SELECT detail FROM audit_log WHERE username = 'banan.grid' AND action = 'lead.visit' AND outcome = 'denied'",
            vals![],
        ))
        .await
        .expect("audit");
    assert!(
        denied.iter().any(|(d,)| d.contains("outside")),
        "{denied:?}"
    );
    let (status, detail) = t
        .call_json(&grid, Method::GET, &format!("/api/v1/leads/{lead}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["lead"]["status"], "open");
}

/// Item 1 (the class): a household moved to another community takes its file and records
/// along, so its old community no longer reaches them; the move is audited with both areas and
/// the file's state is counted in its new town.
async fn a_household_that_moves_takes_its_records_to_its_new_area(backend: Backend) {
    let t = TestApp::new(backend).await;
    let (household, file, from, version): (i64, i64, i64, i64) = t
        .app
        .store()
        .reader()
        .one(Sql::with(
            "SELECT h.id, f.id, h.region_code, h.version FROM household_files f \
             JOIN households h ON h.id = f.household_id \
             WHERE h.region_code BETWEEN $1 AND $2 ORDER BY f.id LIMIT 1",
            vals![500_113_000_000_i64, 500_113_999_999_i64],
        ))
        .await
        .expect("a file in 巴南区");
    let (to,): (i64,) = t
        .app
        .store()
        .reader()
        .one(Sql::with(
            "SELECT code FROM regions WHERE level = 'community' AND code BETWEEN $1 AND $2 \
             AND code / 1000 <> $3 / 1000 ORDER BY code LIMIT 1",
            vals![500_113_000_000_i64, 500_113_999_999_i64, from],
        ))
        .await
        .expect("a community of another town in 巴南区");
    let district = t
        .app
        .login("banan.district", &t.password("banan.district"), "10.0.0.12")
        .await
        .expect("sign in")
        .actor;
    t.app
        .update_household(
            &district,
            household,
            version,
            &minsheng_app::registry::HouseholdInput {
                region_code: to.to_string(),
                address: "迁入新社区1号".into(),
            },
        )
        .await
        .expect("move");
    let (file_region,): (i64,) = t
        .app
        .store()
        .reader()
        .one(Sql::with(
            "SELECT region_code FROM household_files WHERE id = $1",
            vals![file],
        ))
        .await
        .expect("file");
    assert_eq!(file_region, to, "the file stayed with the old area");
    let (detail,): (String,) = t
        .app
        .store()
        .reader()
        .one(Sql::with(
            "SELECT detail FROM audit_log WHERE action = 'household.update' AND subject_id = $1 \
             ORDER BY id DESC LIMIT 1",
            vals![household.to_string()],
        ))
        .await
        .expect("audit");
    assert!(
        detail.contains(&from.to_string()) && detail.contains(&to.to_string()),
        "{detail}"
    );
    // The counts behind the figures still agree with the rows, town by town.
    let counted: Vec<(i64, String, i64)> = t
        .app
        .store()
        .reader()
        .all(Sql::new(
            "SELECT town_code, state, n FROM file_state_counts WHERE n <> 0 ORDER BY town_code, state",
        ))
        .await
        .expect("counts");
    let rows: Vec<(i64, String, i64)> = t
        .app
        .store()
        .reader()
        .all(Sql::new(
            "SELECT region_code / 1000 * 1000, state, COUNT(*) FROM household_files \
             GROUP BY region_code / 1000 * 1000, state ORDER BY 1, 2",
        ))
        .await
        .expect("rows");
    assert_eq!(counted, rows);
}

/// Item 2: A lead's clues show ID numbers masked, to every role that may open the lead.
async fn lead_details_never_show_full_id_numbers(backend: Backend) {
    let t = TestApp::new(backend).await;
    let grid = t.sign_in("banan.grid").await;
    let id_number = valid_id("50011319800101001");
    let id_number = id_number.as_str();
    let (status, clue) = t
        .call_json(
            &grid,
            Method::POST,
            "/api/v1/clues",
            json_body(json!({
                "channel": "grid_worker",
                "description": "有人需要帮助",
                "address": "安全测试楼2号",
                "id_number": id_number,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{clue}");
    let lead = clue["lead_id"].as_i64().expect("lead");
    for user in ["banan.grid", "banan.community", "banan.town"] {
        let who = t.sign_in(user).await;
        let (status, bytes) = t.call_bytes(&who, &format!("/api/v1/leads/{lead}")).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(id_number), "{user} sees {text}");
        assert!(
            text.contains("500113"),
            "the masked number keeps its area: {text}"
        );
        let (_, page) = t.call_bytes(&who, &format!("/leads/{lead}")).await;
        assert!(
            !String::from_utf8_lossy(&page).contains(id_number),
            "{user}"
        );
    }
}

/// Item 3: Phones, e-mails, ID numbers and names typed however a citizen likes never reach a public
/// page, the ranking or Open311.
async fn public_pages_carry_nothing_personal_however_written(backend: Backend) {
    let t = TestApp::new(backend).await;
    let secrets = [
        ("138-1234-5678", "12345678"),
        ("１３９ ８７６５ ４３２１", "８７６５"),
        ("zhang.san@example.com", "zhang.san"),
        ("5001 1319 8001 0100 1X", "8001"),
        ("我叫欧阳娜娜", "欧阳娜娜"),
    ];
    let description = format!(
        "渝中区解放碑步行街井盖破损，请尽快修理。电话{}，备用{}，邮箱{}，身份证{}，{}。",
        secrets[0].0, secrets[1].0, secrets[2].0, secrets[3].0, secrets[4].0
    );
    let anonymous = Who::anonymous();
    let status = t
        .call(
            &anonymous,
            Method::POST,
            "/12345",
            form_body(&[("description", &description), ("address", "解放碑")]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (id,): (i64,) = t
        .app
        .store()
        .reader()
        .one(Sql::new(
            "SELECT MAX(id) FROM hotline_requests WHERE channel = 'web'",
        ))
        .await
        .expect("request");
    let week = minsheng_app::hotline::week_or_this(None, t.app.today());
    for path in [
        format!("/12345/requests/{id}"),
        format!("/open311/v2/requests/{id}.json"),
        format!("/open311/v2/requests/{id}.xml"),
        format!("/open311/v2/requests.json?service_request_id={id}"),
        "/open311/v2/requests.json".to_string(),
        format!("/hotline/ranking?week={week}"),
        format!("/api/v1/hotline/ranking?week={week}"),
    ] {
        let (status, bytes) = t.call_bytes(&anonymous, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("井盖"), "{path} does not show the request");
        for (written, secret) in &secrets {
            assert!(
                !text.contains(secret),
                "{path} shows {written}: {}",
                &text[..text.len().min(400)]
            );
        }
    }
}

/// Item 4: Lists and texts of any length cost the same bounded work: a 20,000-value list is refused
/// before any query, a list past its bound says so, a text past its length is refused.
async fn list_parameters_and_free_texts_are_bounded(backend: Backend) {
    let t = TestApp::new(backend).await;
    let anonymous = Who::anonymous();
    let huge = vec!["x"; 20_000].join(",");
    let status = t
        .call(
            &anonymous,
            Method::GET,
            &format!("/open311/v2/requests.json?service_code={huge}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    let many: Vec<String> = (0..150).map(|i| format!("c{i}")).collect();
    let (status, body) = t
        .call_json(
            &anonymous,
            Method::GET,
            &format!("/open311/v2/requests.json?service_code={}", many.join(",")),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("at most 100"), "{body}");
    // A text past its bound is refused (not cut), a body past the route's bound is refused
    // before it is read.
    let status = t
        .call(
            &anonymous,
            Method::POST,
            "/12345",
            form_body(&[("description", &"很".repeat(4001)), ("address", "解放碑")]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let status = t
        .call(
            &anonymous,
            Method::POST,
            "/12345",
            form_body(&[("description", &"x".repeat(200_000))]),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let officer = t.sign_in("banan.district").await;
    let status = t
        .call(
            &officer,
            Method::POST,
            "/api/v1/households",
            json_body(json!({"region_code": "500113", "address": "x".repeat(2 << 20)})),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// Item 5: A failed sign-in with a name of megabytes writes a bounded row: the body is refused past
/// its bound, and a long name leaves keys and audit lines of fixed size.
async fn failed_sign_ins_write_bounded_rows(backend: Backend) {
    let t = TestApp::new(backend).await;
    let anonymous = Who::anonymous();
    let five_mb = "a".repeat(5 << 20);
    let status = t
        .call(
            &anonymous,
            Method::POST,
            "/api/v1/session",
            json_body(json!({"username": five_mb, "password": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let long = "b".repeat(10_000);
    for _ in 0..3 {
        let status = t
            .call(
                &anonymous,
                Method::POST,
                "/api/v1/session",
                json_body(json!({"username": long, "password": "wrong-password"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (longest_key,): (Option<i64>,) = t
        .app
        .store()
        .reader()
        .one(Sql::new(
            "SELECT CAST(MAX(LENGTH(throttle_key)) AS BIGINT) FROM login_throttle",
        ))
        .await
        .expect("keys");
    assert!(longest_key.unwrap_or(0) <= 100, "{longest_key:?}");
    let (longest_name,): (Option<i64>,) = t
        .app
        .store()
        .reader()
        .one(Sql::new(
            "SELECT CAST(MAX(LENGTH(username)) AS BIGINT) FROM audit_log",
        ))
        .await
        .expect("audit");
    assert!(longest_name.unwrap_or(0) <= 64, "{longest_name:?}");
}

/// Item 6: A head's name or an address typed as a formula comes out of the CSV export as text.
async fn csv_exports_never_start_a_formula(backend: Backend) {
    let t = TestApp::new(backend).await;
    let officer = t.sign_in("banan.community").await;
    let (_, me) = t.call_json(&officer, Method::GET, "/api/v1/me", None).await;
    let region = me["region_code"].as_str().expect("region").to_string();
    let (status, created) = t
        .call_json(
            &officer,
            Method::POST,
            "/api/v1/households",
            json_body(json!({
                "region_code": region,
                "address": "=cmd|' /C calc'!A0",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let household = created["id"].as_i64().expect("id");
    let (status, member) = t
        .call_json(
            &officer,
            Method::POST,
            &format!("/api/v1/households/{household}/members"),
            json_body(json!({
                "id_number": valid_id("50011319900101001"),
                "name": "@SUM(1+1)",
                "relation_code": "02",
            })),
        )
        .await;
    assert!(status.is_success(), "{status} {member}");
    let (status, bytes) = t
        .call_bytes(&officer, "/households/export?format=csv")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (text, _, _) = encoding_rs::GB18030.decode(&bytes);
    assert!(text.contains("cmd|"), "the household is exported");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    for record in reader.records() {
        let record = record.expect("record");
        for cell in record.iter() {
            assert!(
                !cell.starts_with(['=', '+', '@', '\t', '\r']) || cell.parse::<f64>().is_ok(),
                "a live cell: {cell}"
            );
        }
    }
}

/// Item 7: A donor's own account cannot mark its payment received (and so close an appeal).
async fn a_donor_cannot_declare_its_own_payment_received(backend: Backend) {
    let t = TestApp::new(backend).await;
    let charity = t.sign_in("charity").await;
    let (appeal, provider): (i64, i64) = t
        .app
        .store()
        .reader()
        .one(Sql::new(
            "SELECT a.id, p.id FROM appeals a, resource_providers p JOIN users u ON u.unit_id = p.unit_id \
             WHERE a.state = 'open' AND u.username = 'charity' ORDER BY a.id, p.id LIMIT 1",
        ))
        .await
        .expect("an open appeal and the charity's provider");
    let before: (i64,) = t
        .app
        .store()
        .reader()
        .one(Sql::with(
            "SELECT received_fen FROM appeals WHERE id = $1",
            vals![appeal],
        ))
        .await
        .expect("appeal");
    let provider = provider.to_string();
    let status = t
        .call(
            &charity,
            Method::POST,
            &format!("/provider/appeals/{appeal}/give"),
            form_body(&[
                ("csrf_token", &charity.csrf),
                ("kind", "receipt"),
                ("provider_id", &provider),
                ("amount_yuan", "100000"),
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let after: (i64, String) = t
        .app
        .store()
        .reader()
        .one(Sql::with(
            "SELECT received_fen, state FROM appeals WHERE id = $1",
            vals![appeal],
        ))
        .await
        .expect("appeal");
    assert_eq!(after.0, before.0, "nothing was received");
    assert_eq!(after.1, "open");
}

/// Item 8: `next` never leaves the site, however it hides a second slash.
async fn redirects_stay_on_this_site(backend: Backend) {
    let t = TestApp::new(backend).await;
    for next in [
        "/%09/evil.example",
        "/%0a/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "https://evil.example",
        "/%20/evil.example",
    ] {
        let (status, headers, _) = send(
            &t.router,
            Method::GET,
            &format!("/lang/zh?next={next}"),
            &[],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{next}");
        assert_eq!(headers[header::LOCATION], "/", "{next}");
    }
    let (_, headers, _) = send(
        &t.router,
        Method::GET,
        "/lang/en?next=/households%3Fq%3D1",
        &[],
        None,
    )
    .await;
    assert_eq!(headers[header::LOCATION], "/households?q=1");
}

/// Item 9: A password change, an administrator's reset and a disabled account end the user's API
/// tokens; the owner lists and revokes tokens; a token cannot mint tokens.
async fn tokens_end_with_the_password_and_their_owner_revokes_them(backend: Backend) {
    let t = TestApp::new(backend).await;
    let issue = |who: Who| {
        let t = &t;
        async move {
            let (status, body) = t
                .call_json(
                    &who,
                    Method::POST,
                    "/api/v1/tokens",
                    json_body(json!({"name": "script"})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            body["token"].as_str().expect("token").to_string()
        }
    };
    let works = |token: String| {
        let t = &t;
        async move {
            t.call(&Who::bearer(&token), Method::GET, "/api/v1/me", None)
                .await
                == StatusCode::OK
        }
    };
    let district = t.sign_in("banan.district").await;
    // Own password change.
    let token = issue(district.clone()).await;
    assert!(works(token.clone()).await);
    let new_password = "Harbour-Lantern-88-Quietly";
    let status = t
        .call(
            &district,
            Method::POST,
            "/account/password",
            form_body(&[
                ("csrf_token", &district.csrf),
                ("old_password", &district.password),
                ("new_password", new_password),
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!works(token).await, "a token outlived the password change");
    // An administrator's reset.
    let town = t.sign_in("banan.town").await;
    let token = issue(town.clone()).await;
    let admin = t.sign_in("admin").await;
    let status = t
        .call(
            &admin,
            Method::POST,
            "/users/password",
            form_body(&[
                ("csrf_token", &admin.csrf),
                ("username", "banan.town"),
                ("password", "Orchard-Ferry-61-Lightly"),
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(!works(token).await, "a token outlived the reset");
    // The owner lists and revokes; a token cannot mint another.
    let community = t.sign_in("banan.community").await;
    let token = issue(community.clone()).await;
    let (status, list) = t
        .call_json(&community, Method::GET, "/api/v1/tokens", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let id = list[0]["id"].as_i64().expect("token id");
    assert!(
        !list.to_string().contains(&token),
        "the list shows no token"
    );
    let (status, _) = t
        .call_json(
            &Who::bearer(&token),
            Method::POST,
            "/api/v1/tokens",
            json_body(json!({"name": "another"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nor through the account page's form.
    let status = t
        .call(
            &Who::bearer(&token),
            Method::POST,
            "/account/tokens",
            form_body(&[("name", "another")]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = t
        .call_json(&community, Method::GET, "/api/v1/tokens", None)
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    // Someone else cannot revoke it; its owner can.
    let status = t
        .call(
            &district,
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            None,
        )
        .await;
    assert!(status == StatusCode::NOT_FOUND || status == StatusCode::UNAUTHORIZED);
    assert!(works(token.clone()).await);
    let status = t
        .call(
            &community,
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!works(token).await, "a revoked token still works");
}

/// Item 10: Five wrong passwords from one address do not lock the account for its owner elsewhere;
/// the guessing address waits, longer each time.
async fn one_address_cannot_lock_anyone_else_out(backend: Backend) {
    let t = TestApp::new(backend).await;
    let router = minsheng_web::router(
        t.app.clone(),
        WebConfig {
            trust_forwarded_for: true,
            ..WebConfig::default()
        },
    );
    let sign_in = |password: String, from: &'static str| {
        let router = router.clone();
        async move {
            let body = json!({"username": "banan.town", "password": password}).to_string();
            send(
                &router,
                Method::POST,
                "/api/v1/session",
                &[("x-forwarded-for", from)],
                Some(("application/json", body.into_bytes())),
            )
            .await
        }
    };
    for _ in 0..5 {
        sign_in("not-the-password".into(), "6.6.6.6").await;
    }
    let right = t.password("banan.town");
    let (status, headers, _) = sign_in(right.clone(), "6.6.6.6").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key(header::RETRY_AFTER));
    let (status, _, _) = sign_in(right, "10.1.2.3").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the owner was locked out by someone else"
    );
}

/// Item 12: What one caller sends stays theirs: a clue never merges into (or reveals) another
/// area's lead; a client key finds only its sender's clue; an Open311 client updates only its
/// own requests.
async fn merges_keys_and_client_updates_stay_with_their_owner(backend: Backend) {
    let t = TestApp::new(backend).await;
    let (_, _, id_number) = yuzhong_head(&t).await;
    // 渝中区 has an open lead about its own household.
    let yuzhong = t.sign_in("yuzhong.district").await;
    let (status, theirs) = t
        .call_json(
            &yuzhong,
            Method::POST,
            "/api/v1/clues",
            json_body(json!({
                "channel": "application",
                "description": "本区核查",
                "id_number": id_number,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    let volunteer = t.sign_in("banan.volunteer").await;
    let (status, mine) = t
        .call_json(
            &volunteer,
            Method::POST,
            "/api/v1/clues",
            json_body(json!({
                "channel": "volunteer",
                "description": "听说这个人有困难",
                "address": "百节社区",
                "id_number": id_number,
                "client_key": "same-key",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    assert_eq!(mine["merged"], false, "{mine}");
    assert_ne!(mine["lead_id"], theirs["lead_id"]);
    // The same client key from another user is another clue.
    let grid = t.sign_in("banan.grid").await;
    let (status, other) = t
        .call_json(
            &grid,
            Method::POST,
            "/api/v1/clues",
            json_body(json!({
                "channel": "grid_worker",
                "description": "另一件事",
                "address": "百节社区2号",
                "client_key": "same-key",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    assert_eq!(other["resent"], false);
    assert_ne!(other["clue_id"], mine["clue_id"]);
    // Open311: a client's update to another client's request is not found.
    let operator = minsheng_app::Actor::command_line(t.app.everything().await.expect("scope"));
    let key_a = t.app.issue_open311_key(&operator, "a").await.expect("key");
    let key_b = t.app.issue_open311_key(&operator, "b").await.expect("key");
    let post = |fields: Vec<(&'static str, String)>| {
        let router = t.router.clone();
        async move {
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{k}={}", urlencode(v)))
                .collect();
            send(
                &router,
                Method::POST,
                "/open311/v2/requests.json",
                &[],
                Some((
                    "application/x-www-form-urlencoded",
                    body.join("&").into_bytes(),
                )),
            )
            .await
        }
    };
    let (status, _, body) = post(vec![
        ("api_key", key_a.clone()),
        ("service_code", "road_damage".into()),
        ("description", "渝中区解放碑路灯不亮".into()),
        ("address_string", "解放碑".into()),
    ])
    .await;
    let created: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created[0]["service_request_id"]
        .as_str()
        .expect("id")
        .to_string();
    let update = |key: String, id: String| {
        let router = t.router.clone();
        async move {
            let fields = [
                ("api_key", key),
                ("service_request_id", id),
                ("update_id", "u-1".into()),
                ("status", "OPEN".into()),
                ("updated_datetime", "2026-12-01T10:00:00+08:00".into()),
                ("description", "还没有修".into()),
            ];
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{k}={}", urlencode(v)))
                .collect();
            send(
                &router,
                Method::POST,
                "/open311/v2/servicerequestupdates.json",
                &[],
                Some((
                    "application/x-www-form-urlencoded",
                    body.join("&").into_bytes(),
                )),
            )
            .await
            .0
        }
    };
    assert_eq!(update(key_b, id.clone()).await, StatusCode::NOT_FOUND);
    assert!(update(key_a, id).await.is_success());
}

/// Item 12: An administrator who creates a district officer does not give them the files: the role
/// waits for a second administrator (the auditors see the request), and weak passwords are
/// refused.
async fn file_opening_roles_wait_for_a_second_administrator(backend: Backend) {
    let t = TestApp::new(backend).await;
    let admin = t.sign_in("admin").await;
    let create = |username: &'static str, password: &'static str| {
        let t = &t;
        let admin = admin.clone();
        async move {
            t.call(
                &admin,
                Method::POST,
                "/users",
                form_body(&[
                    ("csrf_token", &admin.csrf),
                    ("username", username),
                    ("display_name", "新干部"),
                    ("unit", "巴南区民政局"),
                    ("role", "district_officer"),
                    ("password", password),
                ]),
            )
            .await
        }
    };
    assert_eq!(
        create("weak.officer", "12345678").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        create("weak.officer", "woaini1314").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        create("new.officer", "Willow-Bridge-93-Calmly").await,
        StatusCode::SEE_OTHER
    );
    let app = t.app.clone();
    let officer = app
        .login("new.officer", "Willow-Bridge-93-Calmly", "10.0.0.8")
        .await
        .expect("sign in")
        .actor;
    assert!(
        !officer.may(minsheng_domain::Action::ViewHouseholds),
        "the role took effect without a second administrator"
    );
    let (requests,): (i64,) = t
        .app
        .store()
        .reader()
        .one(Sql::new(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user.role_grant.request'",
        ))
        .await
        .expect("audit");
    assert_eq!(requests, 1);
    // Nor can one administrator make another to approve for them: making users waits too.
    let status = t
        .call(
            &admin,
            Method::POST,
            "/users",
            form_body(&[
                ("csrf_token", &admin.csrf),
                ("username", "accomplice"),
                ("display_name", "帮手"),
                ("unit", "巴南区民政局"),
                ("role", "admin"),
                ("password", "Accomplice-Waits-For-Approval-3"),
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let accomplice = app
        .login("accomplice", "Accomplice-Waits-For-Approval-3", "10.0.0.8")
        .await
        .expect("sign in")
        .actor;
    assert!(!accomplice.may(minsheng_domain::Action::ManageUsers));
    let (grant,): (i64,) = t
        .app
        .store()
        .reader()
        .one(Sql::new(
            "SELECT g.id FROM role_grants g JOIN users u ON u.id = g.user_id \
             WHERE g.state = 'pending' AND u.username = 'new.officer'",
        ))
        .await
        .expect("grant");
    // The administrator who asked cannot approve it.
    let status = t
        .call(
            &admin,
            Method::POST,
            &format!("/users/grants/{grant}/approve"),
            form_body(&[("csrf_token", &admin.csrf)]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A second administrator can.
    let operator = minsheng_app::Actor::command_line(t.app.everything().await.expect("scope"));
    t.app
        .add_user(
            &operator,
            &minsheng_app::admin::NewUserInput {
                username: "second.admin".into(),
                display_name: "第二管理员".into(),
                unit: "重庆市民政局".into(),
                roles: vec![minsheng_domain::Role::Admin],
                password: "Second-Admin-Keeps-Watch-7".into(),
            },
        )
        .await
        .expect("second admin");
    let second = app
        .login("second.admin", "Second-Admin-Keeps-Watch-7", "10.0.0.8")
        .await
        .expect("sign in")
        .actor;
    app.decide_role_grant(&second, grant, true)
        .await
        .expect("approve");
    let officer = app
        .login("new.officer", "Willow-Bridge-93-Calmly", "10.0.0.8")
        .await
        .expect("sign in")
        .actor;
    assert!(officer.may(minsheng_domain::Action::ViewHouseholds));
}

/// Item 12: The public form, Open311 posts and photo uploads are limited per client.
async fn public_posts_and_uploads_are_rate_limited(backend: Backend) {
    let t = TestApp::new(backend).await;
    let router = minsheng_web::router(
        t.app.clone(),
        WebConfig {
            trust_forwarded_for: true,
            rates: RateSettings {
                public_per_minute: 2,
                uploads_per_minute: 2,
                sign_ins_per_minute: 2,
            },
            ..WebConfig::default()
        },
    );
    let post = |from: &'static str| {
        let router = router.clone();
        async move {
            let body = format!(
                "description={}&address={}",
                urlencode("渝中区解放碑路灯不亮"),
                urlencode("解放碑")
            );
            send(
                &router,
                Method::POST,
                "/12345",
                &[("x-forwarded-for", from)],
                Some(("application/x-www-form-urlencoded", body.into_bytes())),
            )
            .await
        }
    };
    assert_eq!(post("7.7.7.7").await.0, StatusCode::OK);
    assert_eq!(post("7.7.7.7").await.0, StatusCode::OK);
    let (status, headers, _) = post("7.7.7.7").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert_eq!(
        post("8.8.8.8").await.0,
        StatusCode::OK,
        "another client is not limited"
    );
    // Open311: limited the same way, answered in Open311's error shape; an oversized body is
    // refused before its key is looked at.
    let (status, _, body) = send(
        &router,
        Method::POST,
        "/open311/v2/requests.json",
        &[("x-forwarded-for", "7.7.7.7")],
        Some(("application/x-www-form-urlencoded", b"api_key=x".to_vec())),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(String::from_utf8_lossy(&body).contains("429"));
    let (status, _, _) = send(
        &router,
        Method::POST,
        "/open311/v2/requests.json",
        &[("x-forwarded-for", "9.9.9.9")],
        Some((
            "application/x-www-form-urlencoded",
            format!("api_key=x&description={}", "x".repeat(100_000)).into_bytes(),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // The daily photo quota: a user past it is refused, saying what is used.
    let mut tx = t.app.store().begin().await.expect("begin");
    tx.execute(Sql::with(
        "INSERT INTO photos (clue_id, content_type, size, data, created_at, uploaded_by) \
         SELECT MIN(k.id), 'image/png', $1, $2, $3, u.id FROM clues k, users u WHERE u.username = 'banan.volunteer' \
         GROUP BY u.id",
        vals![
            t.app.settings().upload_bytes_per_user_day,
            vec![0u8; 1],
            minsheng_domain::time_util::now_millis()
        ],
    ))
    .await
    .expect("a day's uploads");
    tx.commit().await.expect("commit");
    let volunteer = t
        .app
        .login(
            "banan.volunteer",
            &t.password("banan.volunteer"),
            "10.0.0.11",
        )
        .await
        .expect("sign in")
        .actor;
    let refused = t
        .app
        .submit_clue(
            &volunteer,
            &minsheng_app::discovery::ClueSubmission {
                channel: "volunteer".into(),
                description: "照片".into(),
                address: "百节社区".into(),
                photos: vec![b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec()],
                ..Default::default()
            },
        )
        .await;
    match refused {
        Err(minsheng_app::AppError::Invalid(fields)) => {
            assert!(fields.iter().any(|f| f.field == "photos"), "{fields:?}")
        }
        other => panic!("past the quota: {other:?}"),
    }
}

/// 11 is `the_database_files_are_its_owners_alone` in the CLI tests (it needs the binary).
#[test]
fn no_handler_builds_an_actor_with_rights() {
    // The web layer gets actors from the app's auth code only: sessions, tokens, Open311 keys
    // and the rightless outside actor for public pages. The operator's all-powerful actor is
    // for the command line.
    for file in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src")).expect("src") {
        let path = file.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("source");
        // Unit tests below `#[cfg(test)]` may play the operator.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        assert!(
            !text.contains("command_line("),
            "{} builds the command line's actor",
            path.display()
        );
    }
}
