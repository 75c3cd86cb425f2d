//! Every role's day in few clicks (issue 18): lists that open on what a person works on, funds
//! reachable and named, actions shown only to those who may take them.

use axum::http::StatusCode;
use minsheng_app::{Actor, Backend};

use crate::support::TestApp;

minsheng_store::on_both_backends!(
    a_community_worker_opens_the_assessment_list_on_their_area,
    the_towns_reserve_funds_are_reachable_named_and_funded,
    paying_from_the_fund_is_offered_only_to_those_who_pay,
    the_language_switch_comes_back_to_the_same_list,
    readings_take_rfc3339_times_as_well_as_milliseconds,
    a_households_timeline_links_back_to_the_clue_it_came_from,
    manual_dispatch_offers_the_responsible_units_and_chooses_none,
    a_volunteers_own_clues_come_a_page_at_a_time,
);

async fn page(t: &TestApp, user: &str, path: &str) -> (StatusCode, String) {
    let who = t.sign_in(user).await;
    let (status, bytes) = t.call_bytes(&who, path).await;
    (status, String::from_utf8(bytes).expect("utf-8"))
}

/// Item 8: a community worker with no assessment of their own sees their area's assessments, and
/// the tab that is highlighted is the one shown; an assessor starts on their own.
async fn a_community_worker_opens_the_assessment_list_on_their_area(backend: Backend) {
    let t = TestApp::new(backend).await;
    let (status, html) = page(&t, "banan.community", "/assessments").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("class=\"assessment-link\""),
        "the area's assessments are listed"
    );
    let scope = &html[html.find("id=\"assessment-scope\"").expect("scope tabs")..];
    let current = &scope[..scope.find("</nav>").expect("end")];
    let whole = current
        .split("<a ")
        .find(|a| a.contains("aria-current"))
        .expect("one tab is current");
    assert!(
        whole.contains("mine=0"),
        "the whole-area tab is the current one: {whole}"
    );
    // Asked for explicitly, "mine" is empty for them and says so by its tab.
    let (_, mine) = page(&t, "banan.community", "/assessments?mine=1").await;
    assert!(!mine.contains("class=\"assessment-link\""));
}

/// Item 5: the reserve funds are one click from the menu, named by their town, funded in the
/// demo, and a code that is no town is not a fund.
async fn the_towns_reserve_funds_are_reachable_named_and_funded(backend: Backend) {
    let t = TestApp::new(backend).await;
    let (status, home) = page(&t, "banan.town", "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        home.contains("href=\"/funds\""),
        "the menu leads to the funds"
    );
    let (status, list) = page(&t, "banan.town", "/funds").await;
    assert_eq!(status, StatusCode::OK);
    let link = list
        .split("class=\"fund-link\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a fund is listed")
        .to_string();
    let (status, fund) = page(&t, "banan.town", &link).await;
    assert_eq!(status, StatusCode::OK);
    let town = &fund[fund.find("id=\"fund-town\">").expect("town") + 15..];
    let town = &town[..town.find('<').expect("end")];
    assert!(
        !town.chars().any(|c| c.is_ascii_digit()),
        "the town by name, not code: {town}"
    );
    let balance = &fund[fund.find("id=\"fund-balance\">").expect("balance") + 18..];
    let balance = &balance[..balance.find('<').expect("end")];
    assert!(
        balance.contains('¥') && !balance.ends_with("¥0.00"),
        "the demo funds its towns: {balance}"
    );
    for missing in ["/funds/500113003999", "/funds/500113000000", "/funds/abc"] {
        let (status, _) = page(&t, "banan.town", missing).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    }
}

/// Item 3: a community worker opens an emergency case but does not see 从备用金先行发放 (the town
/// pays); the town officer does, with its fund one click away.
async fn paying_from_the_fund_is_offered_only_to_those_who_pay(backend: Backend) {
    let t = TestApp::new(backend).await;
    let household = t
        .fresh_household_in(500_113_003_002)
        .expect("a household of 百节社区");
    let operator = Actor::command_line(t.app.everything().await.expect("scope"));
    t.app
        .open_emergency(&operator, household, "temporary_emergency", "火灾")
        .await
        .expect("open a case");
    let path = format!("/households/{household}/help");
    let (status, worker) = page(&t, "banan.community", &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !worker.contains("class=\"inline pay-form\""),
        "no pay button for a community worker"
    );
    assert!(worker.contains("awaiting-payment"), "it says who pays");
    let (_, town) = page(&t, "banan.town", &path).await;
    assert!(town.contains("class=\"inline pay-form\""), "the town pays");
    assert!(
        town.contains("href=\"/funds/500113003000\""),
        "the town's fund is one click away"
    );
}

/// Item 2: switching the language comes back to the same page with its query (the search, the
/// page of the list), not to the list's first page.
async fn the_language_switch_comes_back_to_the_same_list(backend: Backend) {
    let t = TestApp::new(backend).await;
    let (_, html) = page(&t, "banan.town", "/households?q=%E5%BC%A0&page=2").await;
    let href = html
        .split("id=\"lang-switch\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the switch")
        .replace("&amp;", "&");
    let who = t.sign_in("banan.town").await;
    let response = t.raw(&who, axum::http::Method::GET, &href, None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{href}");
    assert_eq!(
        response.headers()[axum::http::header::LOCATION],
        "/households?q=%E5%BC%A0&page=2",
        "{href}"
    );
}

/// Also: a station's readings carry their time as epoch milliseconds or RFC 3339; anything else
/// is named.
async fn readings_take_rfc3339_times_as_well_as_milliseconds(backend: Backend) {
    let t = TestApp::new(backend).await;
    let network = t.grid_network().await;
    let operator = t.sign_in("gridop").await;
    let path = format!("/api/v1/grid/networks/{network}/readings");
    let post = |body: serde_json::Value| {
        let (t, operator, path) = (&t, &operator, &path);
        async move {
            t.call_json(
                operator,
                axum::http::Method::POST,
                path,
                Some(("application/json", body.to_string())),
            )
            .await
        }
    };
    let (status, answer) = post(serde_json::json!([
        {"sensor": "K1-T", "value": 24.5, "at": "2026-12-07T08:00:00+08:00"},
        {"sensor": "K1-T", "value": 24.6, "at": 1_765_065_660_000_i64}
    ]))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let response = t
        .raw(
            &operator,
            axum::http::Method::POST,
            &path,
            Some((
                "application/json",
                serde_json::json!([{"sensor": "K1-T", "value": 24.5, "at": "yesterday"}])
                    .to_string(),
            )),
        )
        .await;
    let status = response.status();
    let text = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&text);
    assert!(status.is_client_error(), "{status} {text}");
    assert!(
        text.contains("RFC 3339") && text.contains("[0].at"),
        "{text}"
    );
}

/// Item 7: a household registered from a volunteer's clue shows that clue in its timeline, by
/// the volunteer's name (not login), linked to the lead, with words for its kind and states.
async fn a_households_timeline_links_back_to_the_clue_it_came_from(backend: Backend) {
    let t = TestApp::new(backend).await;
    let volunteer = t.sign_in("banan.volunteer").await;
    let json = |v: serde_json::Value| Some(("application/json", v.to_string()));
    let (status, clue) = t
        .call_json(
            &volunteer,
            axum::http::Method::POST,
            "/api/v1/clues",
            json(serde_json::json!({
                "channel": "volunteer",
                "description": "独居老人冬天没有取暖",
                "address": "百节社区时间线测试楼3号",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{clue}");
    let lead = clue["lead_id"].as_i64().expect("lead");
    let community = t.sign_in("banan.community").await;
    let (_, detail) = t
        .call_json(
            &community,
            axum::http::Method::GET,
            &format!("/api/v1/leads/{lead}"),
            None,
        )
        .await;
    let version = detail["lead"]["version"].as_i64().expect("version");
    let mut digits = [0u8; 17];
    for (slot, b) in digits.iter_mut().zip("50011319460315002".bytes()) {
        *slot = b - b'0';
    }
    let id_number = format!(
        "50011319460315002{}",
        minsheng_domain::id_number::check_digit(&digits)
    );
    let (status, visit) = t
        .call_json(
            &community,
            axum::http::Method::POST,
            &format!("/api/v1/leads/{lead}/visit"),
            json(serde_json::json!({
                "version": version,
                "findings": "老人独居，需取暖设备",
                "outcome": "register",
                "head": {"id_number": id_number, "name": "时间线", "relation_code": "02"},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{visit}");
    let household = visit["household_id"].as_i64().expect("household");
    let (_, html) = page(&t, "banan.community", &format!("/households/{household}")).await;
    let timeline = &html[html.find("id=\"timeline\"").expect("timeline")..];
    let timeline = &timeline[..timeline.find("</ul>").expect("end")];
    assert!(
        timeline.contains(&format!("href=\"/leads/{lead}\"")),
        "the clue links to its lead: {timeline}"
    );
    assert!(
        timeline.contains("独居老人冬天没有取暖"),
        "the clue is there: {timeline}"
    );
    assert!(
        timeline.contains("眼线志愿者"),
        "by the volunteer's name: {timeline}"
    );
    assert!(
        !timeline.contains("banan.volunteer") && !timeline.contains("banan.community"),
        "no login names: {timeline}"
    );
    assert!(
        timeline.contains("线索") && timeline.contains("走访"),
        "{timeline}"
    );
}

/// Item 6: a request the centre dispatches by hand (no place given) offers first the units its
/// subcategory names (卫生健康委员会 for a hospital complaint), and nothing is chosen for the
/// agent.
async fn manual_dispatch_offers_the_responsible_units_and_chooses_none(backend: Backend) {
    let t = TestApp::new(backend).await;
    let agent = t.sign_in("hotline").await;
    let (status, taken) = t
        .call_json(
            &agent,
            axum::http::Method::POST,
            "/api/v1/hotline/requests",
            Some((
                "application/json",
                serde_json::json!({
                    "description": "医院挂号排队三个多小时也看不上病",
                    "subcategory": "hospital_service",
                    "request_type": "complaint",
                })
                .to_string(),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    let id = taken["id"].as_i64().expect("id");
    let (status, html) = page(&t, "hotline", &format!("/hotline/requests/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let select = &html[html
        .find("id=\"dispatch-unit\"")
        .expect("the dispatch list")..];
    let select = &select[..select.find("</select>").expect("end")];
    assert_eq!(
        select.matches(" selected").count(),
        1,
        "only the placeholder"
    );
    assert!(
        select.contains("<option value=\"\" disabled selected>"),
        "{select}"
    );
    let suggested = select
        .split("<optgroup")
        .nth(1)
        .expect("the responsible units come first");
    let names: Vec<&str> = suggested
        .split("\">")
        .skip(2)
        .filter_map(|o| o.split('（').next())
        .collect();
    assert!(!names.is_empty(), "{suggested}");
    assert!(
        names.iter().all(|n| n.ends_with("卫生健康委员会")),
        "{names:?}"
    );
}

/// Item 9: "我的线索" pages (20 a page) instead of growing into one long page.
async fn a_volunteers_own_clues_come_a_page_at_a_time(backend: Backend) {
    let t = TestApp::new(backend).await;
    let volunteer = t.sign_in("banan.volunteer").await;
    for i in 0..21 {
        let (status, answer) = t
            .call_json(
                &volunteer,
                axum::http::Method::POST,
                "/api/v1/clues",
                Some((
                    "application/json",
                    serde_json::json!({
                        "channel": "volunteer",
                        "description": format!("分页测试线索{i}"),
                        "address": format!("百节社区分页楼{i}号"),
                    })
                    .to_string(),
                )),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let (_, first) = page(&t, "banan.volunteer", "/clues/mine").await;
    let cards = |html: &str| html.matches("<li class=\"card\">").count();
    assert_eq!(cards(&first), 20, "one page");
    assert!(first.contains("id=\"next-page\""));
    assert!(first.contains("分页测试线索20"), "newest first");
    let (_, second) = page(&t, "banan.volunteer", "/clues/mine?page=2").await;
    assert!(
        cards(&second) >= 1 && !second.contains("分页测试线索20"),
        "the rest"
    );
    let (_, api) = t
        .call_json(
            &volunteer,
            axum::http::Method::GET,
            "/api/v1/clues/mine?page=2",
            None,
        )
        .await;
    assert_eq!(api["page"], 2, "{api}");
}
