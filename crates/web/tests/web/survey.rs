//! The assessor's survey page (issue 18.1): its own autosaves never make its submission stale,
//! the submission carries what is on the page, and another page's save shows both versions.

use axum::http::{Method, StatusCode};
use minsheng_app::Backend;

use crate::support::TestApp;

minsheng_store::on_both_backends!(
    a_survey_page_autosaves_then_submits_what_is_on_it,
    another_pages_save_shows_both_versions_and_loses_nothing,
    the_districts_questions_are_asked_kept_and_published,
);

/// The value of a hidden input on a page (`name="form_key" value="…"`).
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" ");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} on the page"));
    let rest = &html[at..];
    let value = rest.find("value=\"").expect("value") + 7;
    rest[value..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The survey fields of a small household: the head, aged `age`, and their wages.
fn facts(age: &str, wages: &str) -> Vec<(&'static str, String)> {
    vec![
        ("members.0.relation", "self".into()),
        ("members.0.age", age.into()),
        ("members.0.sex", "female".into()),
        ("income.wages", wages.into()),
        ("income.pensions", "2400".into()),
    ]
}

fn with<'a>(
    fixed: &'a [(&'static str, String)],
    page: &'a [(&'static str, String)],
) -> Vec<(&'a str, &'a str)> {
    fixed
        .iter()
        .chain(page.iter())
        .map(|(k, v)| (*k, v.as_str()))
        .collect()
}

async fn a_survey_page_autosaves_then_submits_what_is_on_it(backend: Backend) {
    let t = TestApp::new(backend).await;
    let id = t.assigned_to_assessor().await;
    let assessor = t.sign_in("assessor").await;
    let path = format!("/assessments/{id}");
    let (status, page) = t.call_bytes(&assessor, &path).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(page).expect("utf-8");
    assert!(
        page.contains("id=\"prefilled\""),
        "the members come from the register"
    );
    let fixed = vec![
        ("form_key", hidden(&page, "form_key")),
        ("version", hidden(&page, "version")),
    ];
    // Two autosaves (htmx) from the page; each answers with the new version for the form.
    for wages in ["0", "100"] {
        let (status, fragment) = t
            .send_form(
                &assessor,
                &format!("{path}/draft"),
                &with(&fixed, &facts("67", wages)),
                true,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{fragment}");
        assert!(fragment.contains("id=\"survey-version\""), "{fragment}");
        assert!(fragment.contains("hx-swap-oob"), "{fragment}");
    }
    // 提交 from the same page, still carrying the version it was opened at, and a fact changed
    // since the last autosave: submitted, with that fact.
    let (status, answer) = t
        .send_form(
            &assessor,
            &format!("{path}/submit"),
            &with(&fixed, &facts("67", "250")),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{answer}");
    let (_, detail) = t
        .call_json(
            &assessor,
            Method::GET,
            &format!("/api/v1/assessments/{id}"),
            None,
        )
        .await;
    assert_eq!(detail["row"]["state"], "submitted", "{detail}");
    assert_eq!(detail["survey"]["income"]["wages"], 250, "{detail}");
    // The phone sends it again: the same submission, answered as done.
    let (status, _) = t
        .send_form(
            &assessor,
            &format!("{path}/submit"),
            &with(&fixed, &facts("67", "250")),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

async fn another_pages_save_shows_both_versions_and_loses_nothing(backend: Backend) {
    let t = TestApp::new(backend).await;
    let id = t.assigned_to_assessor().await;
    let assessor = t.sign_in("assessor").await;
    let path = format!("/assessments/{id}");
    let open = || async {
        let (_, page) = t.call_bytes(&assessor, &path).await;
        let page = String::from_utf8(page).expect("utf-8");
        vec![
            ("form_key", hidden(&page, "form_key")),
            ("version", hidden(&page, "version")),
        ]
    };
    let phone = open().await;
    let tablet = open().await;
    assert_ne!(phone[0].1, tablet[0].1, "each opened page has its own key");
    let (status, _) = t
        .send_form(
            &assessor,
            &format!("{path}/draft"),
            &with(&phone, &facts("67", "1111")),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The tablet, opened before the phone's save, submits: refused, and the page shows both
    // versions, the tablet's own facts still in its form.
    let (status, page) = t
        .send_form(
            &assessor,
            &format!("{path}/submit"),
            &with(&tablet, &facts("68", "2222")),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("id=\"conflict\""), "{page}");
    let conflict = &page[page.find("id=\"conflict\"").expect("conflict")..];
    assert!(
        conflict.contains("1111") && conflict.contains("2222"),
        "{conflict}"
    );
    assert!(
        conflict.contains("年龄"),
        "facts are named in words: {conflict}"
    );
    assert!(
        page.contains("name=\"income.wages\" value=\"2222\""),
        "the form keeps what the tablet had"
    );
    // Nothing of the tablet's was written; the phone's save stands.
    let (_, detail) = t
        .call_json(
            &assessor,
            Method::GET,
            &format!("/api/v1/assessments/{id}"),
            None,
        )
        .await;
    assert_eq!(detail["survey"]["income"]["wages"], 1111, "{detail}");
    assert_eq!(detail["row"]["state"], "draft");
    // Submitting again from the conflict page (it carries the current version) keeps the
    // tablet's facts.
    let again = vec![
        ("form_key", hidden(&page, "form_key")),
        ("version", hidden(&page, "version")),
    ];
    let (status, answer) = t
        .send_form(
            &assessor,
            &format!("{path}/submit"),
            &with(&again, &facts("68", "2222")),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{answer}");
}

/// The district's own questions (data/survey/questions.toml, issue 19.5): on the form (a
/// member's inside the member's block), kept when submitted, and in the API's JSON Schema.
async fn the_districts_questions_are_asked_kept_and_published(backend: Backend) {
    let t = TestApp::new(backend).await;
    let id = t.assigned_to_assessor().await;
    let assessor = t.sign_in("assessor").await;
    let path = format!("/assessments/{id}");
    let (_, page) = t.call_bytes(&assessor, &path).await;
    let page = String::from_utf8(page).expect("utf-8");
    assert!(
        page.contains("name=\"local.relapse_monitoring\""),
        "household question"
    );
    assert!(page.contains("防止返贫监测对象"), "its label");
    assert!(
        page.contains("name=\"members.0.local.left_behind\""),
        "a member's question in the member's block"
    );
    let fixed = vec![
        ("form_key", hidden(&page, "form_key")),
        ("version", hidden(&page, "version")),
    ];
    let mut answers = facts("71", "0");
    answers.push(("local.relapse_monitoring", "true".into()));
    answers.push(("members.0.local.left_behind", "elderly".into()));
    let (status, answer) = t
        .send_form(
            &assessor,
            &format!("{path}/submit"),
            &with(&fixed, &answers),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{answer}");
    let (_, detail) = t
        .call_json(
            &assessor,
            Method::GET,
            &format!("/api/v1/assessments/{id}"),
            None,
        )
        .await;
    assert_eq!(
        detail["survey"]["local"]["relapse_monitoring"], true,
        "{detail}"
    );
    assert_eq!(
        detail["survey"]["members"][0]["local"]["left_behind"], "elderly",
        "{detail}"
    );
    let (status, schema) = t
        .call_json(&assessor, Method::GET, "/api/v1/survey/schema", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        schema["properties"]["members"]["items"]["properties"]["local"]["properties"]["left_behind"]
            ["enum"],
        serde_json::json!(["none", "child", "elderly", "woman"])
    );
}
