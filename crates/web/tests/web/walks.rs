//! Every role's main day, walked in headless Chromium as its person would — through the menu
//! (folded on a phone), in Chinese and then again in English — checking at each step what the
//! person sees. The deeper flows (a clue to a file, a survey offline, a call to the ranking, a
//! fault replayed, a need matched) have their own tests in `browser.rs`; these walks make sure
//! each role's day is reachable in few clicks and reads in both languages.

use fantoccini::Locator;
use minsheng_app::Backend;
use minsheng_web::i18n::{Lang, Texts};

use crate::browser::{
    browser, click_when_ready, desktop_browser, serve, shot, sign_in, start_driver, type_when_ready,
};
use crate::support::TestApp;

/// A catalog text the page must show, in the walk's language.
type Says = fn(&Texts) -> &'static str;

enum Step {
    /// Opens a menu entry (by its address), then waits for an element and a text.
    Menu(&'static str, &'static str, Says),
    /// Clicks the first element matching a selector, then waits for an element and a text.
    Click(&'static str, &'static str, Says),
    /// Types into a field.
    Type(&'static str, &'static str),
    /// Waits for an element (a chart drawn, an answer swapped in).
    See(&'static str),
}

use Step::{Click, Menu, See, Type};

struct Walk {
    user: &'static str,
    phone: bool,
    steps: Vec<Step>,
}

/// Opens a menu entry as a person would: on a phone the menu is folded behind its button.
async fn open_menu_entry(
    client: &fantoccini::Client,
    href: &str,
) -> Result<(), fantoccini::error::CmdError> {
    let button = client.find(Locator::Id("menu-button")).await?;
    if button.is_displayed().await.unwrap_or(false) {
        button.click().await?;
    }
    click_when_ready(client, Locator::Css(&format!("#menu a[href=\"{href}\"]"))).await
}

/// Waits until the page shows `css` and says `text` (20 s under CI load); returns what it saw.
async fn sees(
    client: &fantoccini::Client,
    css: &str,
    text: &str,
) -> Result<String, fantoccini::error::CmdError> {
    let mut body = String::new();
    for _ in 0..200 {
        if client.find(Locator::Css(css)).await.is_ok() {
            body = client
                .find(Locator::Css("body"))
                .await?
                .text()
                .await
                .unwrap_or_default();
            if body.contains(text) {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(body)
}

async fn walk(walk: Walk) {
    let Some((_driver, driver_port)) = start_driver().await else {
        return;
    };
    let t = TestApp::new(Backend::Sqlite).await;
    let base = serve(&t).await;
    let client = if walk.phone {
        browser(driver_port).await
    } else {
        desktop_browser(driver_port).await
    };
    let result = async {
        for lang in [Lang::Zh, Lang::En] {
            let texts = lang.texts();
            sign_in(&client, &base, walk.user, t.password(walk.user)).await?;
            if lang == Lang::En {
                click_when_ready(&client, Locator::Id("lang-switch")).await?;
                sees(&client, "header.top", texts.logout).await?;
            }
            for (n, step) in walk.steps.iter().enumerate() {
                let (css, says) = match step {
                    Menu(href, css, says) => {
                        open_menu_entry(&client, href).await?;
                        (*css, *says)
                    }
                    Click(target, css, says) => {
                        click_when_ready(&client, Locator::Css(target)).await?;
                        (*css, *says)
                    }
                    Type(field, text) => {
                        type_when_ready(&client, Locator::Css(field), text).await?;
                        continue;
                    }
                    See(css) => {
                        client.wait().for_element(Locator::Css(css)).await?;
                        continue;
                    }
                };
                let expected = says(texts);
                let body = sees(&client, css, expected).await?;
                let at = client.current_url().await?;
                assert!(
                    body.contains(expected),
                    "{} step {n} ({lang:?}) at {at}: {expected:?} not in\n{body}",
                    walk.user
                );
                assert!(
                    client.find(Locator::Id("error-message")).await.is_err(),
                    "{} step {n} ({lang:?}) at {at} is an error page:\n{body}",
                    walk.user
                );
                shot(&client, &format!("walk-{}-{}-{n}", walk.user, lang.code())).await;
                if lang == Lang::Zh {
                    let english = says(Lang::En.texts());
                    assert!(
                        english == expected || !body.contains(english),
                        "{} step {n} at {at}: English {english:?} on a Chinese page",
                        walk.user
                    );
                }
            }
        }
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.expect("browser steps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volunteer_reports_a_clue_from_a_phone_and_finds_it_in_their_list() {
    walk(Walk {
        user: "banan.volunteer",
        phone: true,
        steps: vec![
            Menu("/clues/new", "#clue-form", |t| t.report_hint),
            Type("#description", "楼下独居老人三天没有出门，敲门没人应。"),
            Type("#clue-address", "龙洲湾街道 8 号"),
            Click("#clue-submit", "#sent", |t| t.report_sent),
            Menu("/clues/mine", "#my-clues", |t| t.my_clues),
        ],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_community_worker_goes_from_the_inbox_to_a_lead_households_and_follow_ups() {
    walk(Walk {
        user: "banan.community",
        phone: true,
        steps: vec![
            Menu("/inbox", "#inbox-table", |t| t.inbox),
            Click("#inbox-table tbody a", "#lead-title", |t| t.record_visit),
            Menu("/households", "#results", |t| t.households),
            Menu("/followups", "#followups-due", |t| t.followups),
        ],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_town_officer_reviews_assessments_and_reads_the_reserve_fund() {
    walk(Walk {
        user: "banan.town",
        phone: false,
        steps: vec![
            Menu("/assessments", "#assessment-table", |t| t.assessments),
            Menu("/funds", "#funds", |t| t.reserve_funds),
            Click("#funds a", "#fund-balance", |t| t.balance),
            Menu("/figures", "#figure-tiles", |t| t.fig_registered),
        ],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_officer_reads_the_figures_as_charts_with_tables_and_the_models() {
    walk(Walk {
        user: "banan.district",
        phone: false,
        steps: vec![
            Menu("/figures", "#by-state", |t| t.fig_by_state),
            // ECharts drew the chart beside its table.
            See("#by-state[data-drawn] canvas"),
            Click("#help-figures-link", "#amount-chart", |t| {
                t.fig_amount_by_category
            }),
            See("#amount-chart[data-drawn] canvas"),
            Menu("/models", "#model-table", |t| t.models),
        ],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assessor_opens_an_assigned_survey_on_a_phone() {
    walk(Walk {
        user: "assessor",
        phone: true,
        steps: vec![
            Menu("/assessments", "#assessment-table", |t| t.assessments),
            Click(
                "#assessment-table tbody a.assessment-link",
                "#assessment-state",
                |t| t.survey,
            ),
        ],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hotline_agent_types_a_call_and_sees_it_classified() {
    walk(Walk {
        user: "hotline",
        phone: false,
        steps: vec![
            Menu("/hotline", "#call-form", |t| t.hotline_desk),
            Type("#description", "小区门口的路灯坏了一个星期，晚上很黑。"),
            See("#preview-category"),
        ],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_handler_reads_the_referrals_sent_to_their_unit() {
    walk(Walk {
        user: "banan.health",
        phone: false,
        steps: vec![Menu("/referrals", "main h1", |t| t.referral_inbox)],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_department_reads_its_hotline_tickets() {
    walk(Walk {
        user: "yuzhong.cityadmin",
        phone: false,
        steps: vec![Menu("/hotline/tickets", "main h1", |t| t.hotline_tickets)],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_operator_sees_the_network_and_the_station_alarm() {
    walk(Walk {
        user: "gridop",
        phone: false,
        steps: vec![
            Menu("/grid", "svg#network", |t| t.grid_network),
            Menu("/grid/alarms", "#open-alarms tbody tr", |t| t.grid_alarms),
        ],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charity_reads_its_offers_matches_and_open_appeals() {
    walk(Walk {
        user: "charity",
        phone: false,
        steps: vec![Menu("/provider", "#provider-offers", |t| {
            t.res_provider_nav
        })],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reads_the_audit_trail() {
    walk(Walk {
        user: "auditor",
        phone: false,
        steps: vec![Menu("/audit", "#audit-table tbody tr", |t| t.audit)],
    })
    .await;
}
