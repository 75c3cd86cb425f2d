//! A person at a phone: headless Chromium (through chromedriver) signs in, lists households,
//! opens one, reveals an ID number and switches to English, on a 360-px-wide window.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Set
//! `MINSHENG_SKIP_BROWSER=1` only on a machine that cannot have them.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use minsheng_app::Backend;

use crate::support::TestApp;

pub(crate) struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub(crate) async fn start_driver() -> Option<(Driver, u16)> {
    let program = std::env::var("MINSHENG_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = free_port();
    let child = Command::new(&program)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) if std::env::var("MINSHENG_SKIP_BROWSER").is_ok_and(|v| v == "1") => {
            eprintln!("skipping the browser test: {program}: {e}");
            return None;
        }
        Err(e) => {
            panic!("cannot start {program} ({e}); install Debian's chromium and chromium-driver")
        }
    };
    let driver = Driver(child);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some((driver, port));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start listening on port {port}");
}

/// Serves the test app on a free loopback port; returns its base URL.
pub(crate) async fn serve(t: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = t.router.clone();
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    format!("http://{addr}")
}

/// A WebDriver session of headless Chromium at a desktop's width (1280 × 900).
pub(crate) async fn desktop_browser(driver_port: u16) -> fantoccini::Client {
    session(driver_port, None).await
}

/// A WebDriver session of headless Chromium emulating a 360-px-wide phone.
pub(crate) async fn browser(driver_port: u16) -> fantoccini::Client {
    // Headless Chromium keeps a window at least 500 px wide; the phone's 360-px viewport comes
    // from its device emulation (touch, a 360 × 740 screen at 3 dots a pixel).
    let phone = serde_json::json!({"deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 3.0, "touch": true}});
    session(driver_port, Some(phone)).await
}

async fn session(driver_port: u16, phone: Option<serde_json::Value>) -> fantoccini::Client {
    let window = if phone.is_some() {
        "--window-size=360,800"
    } else {
        "--window-size=1280,900"
    };
    let mut options = serde_json::json!({
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", window],
    });
    if let Some(phone) = phone {
        options["mobileEmulation"] = phone;
    }
    if std::path::Path::new("/usr/bin/chromium").exists() {
        options["binary"] = "/usr/bin/chromium".into();
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("webdriver session")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_community_worker_uses_the_site_from_a_phone() {
    let Some((_driver, driver_port)) = start_driver().await else {
        return;
    };
    let t = TestApp::new(Backend::Sqlite).await;
    let base = serve(&t).await;

    let client = browser(driver_port).await;

    let result = async {
        client.goto(&format!("{base}/households")).await?;
        // Not signed in: sent to the sign-in page, which comes back after.
        client
            .wait()
            .for_element(Locator::Id("login-submit"))
            .await?;
        assert!(
            client
                .current_url()
                .await?
                .as_str()
                .contains("/login?next=/households")
        );
        client
            .find(Locator::Id("username"))
            .await?
            .send_keys("banan.community")
            .await?;
        client
            .find(Locator::Id("password"))
            .await?
            .send_keys(&t.password("banan.community"))
            .await?;
        client
            .find(Locator::Id("login-submit"))
            .await?
            .click()
            .await?;

        client
            .wait()
            .for_element(Locator::Id("household-table"))
            .await?;
        let rows = client
            .find_all(Locator::Css("#household-table tbody tr"))
            .await?;
        assert!(
            !rows.is_empty(),
            "the community worker sees households of their community"
        );
        let page = client.source().await?;
        assert!(page.contains("家庭户"), "Chinese first");
        assert!(page.contains("********"), "ID numbers are masked in lists");
        let overflow: serde_json::Value = client
            .execute(
                "return document.documentElement.scrollWidth - window.innerWidth;",
                vec![],
            )
            .await?;
        assert!(
            overflow.as_i64().unwrap_or(99) <= 1,
            "the page fits a 360-px phone: overflow {overflow}"
        );

        client
            .find(Locator::Css(".household-link"))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::Id("household-title"))
            .await?;
        let members = client
            .find_all(Locator::Css("#member-table tbody tr"))
            .await?;
        assert!(!members.is_empty());

        // Revealing a number goes through htmx and swaps the masked text for the full one.
        client
            .find(Locator::Css("#member-table button"))
            .await?
            .click()
            .await?;
        let revealed = client.wait().for_element(Locator::Css(".revealed")).await?;
        let full = revealed.text().await?;
        assert_eq!(full.len(), 18, "full number shown: {full}");
        assert!(!full.contains('*'));

        client
            .find(Locator::Id("lang-switch"))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::Id("household-title"))
            .await?;
        let english = client.source().await?;
        assert!(
            english.contains("Members") && english.contains("Sign out"),
            "switched to English"
        );
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.expect("browser steps");

    let reads = t.audit_count("banan.community").await;
    assert!(
        reads >= 4,
        "sign-in, list, detail and reveal were audited ({reads} rows)"
    );
}

/// The discovery path on a phone: a volunteer reports, the community worker finds it in the
/// inbox, visits and registers a household file, the town's figures count it, and the
/// volunteer still cannot open the household.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clue_goes_from_a_volunteer_to_a_household_file() {
    let Some((_driver, driver_port)) = start_driver().await else {
        return;
    };
    let t = TestApp::new(Backend::Sqlite).await;
    let base = serve(&t).await;
    let client = browser(driver_port).await;
    let result = async {
        let sign_in = |user: &'static str| sign_in(&client, &base, user, t.password(user));
        let registered = |client: fantoccini::Client, base: String| async move {
            client.goto(&format!("{base}/figures")).await?;
            let text = client
                .find(Locator::Id("fig-registered"))
                .await?
                .text()
                .await?;
            Ok::<i64, fantoccini::error::CmdError>(text.trim().parse().unwrap_or(-1))
        };
        sign_in("banan.town").await?;
        let before = registered(client.clone(), base.clone()).await?;

        sign_in("banan.volunteer").await?;
        client.goto(&format!("{base}/clues/new")).await?;
        client
            .find(Locator::Id("description"))
            .await?
            .send_keys("独居老人摔倒后行动不便，家里没人")
            .await?;
        client
            .find(Locator::Id("clue-address"))
            .await?
            .send_keys("百节社区浏览器测试楼1单元101")
            .await?;
        client
            .find(Locator::Id("clue-submit"))
            .await?
            .click()
            .await?;
        client.wait().for_element(Locator::Id("sent")).await?;
        let mine = client.find(Locator::Id("my-clues")).await?.text().await?;
        assert!(
            mine.contains("浏览器测试楼") && mine.contains("已收到"),
            "{mine}"
        );

        sign_in("banan.community").await?;
        client.goto(&format!("{base}/inbox")).await?;
        let link = client
            .find(Locator::XPath(
                "//a[contains(@class, 'lead-link') and contains(., '浏览器测试楼')]",
            ))
            .await?;
        link.click().await?;
        client.wait().for_element(Locator::Id("visit-form")).await?;
        client
            .find(Locator::Id("findings"))
            .await?
            .send_keys("老人独居，腿部骨折，无人照料")
            .await?;
        client
            .find(Locator::Id("head-id"))
            .await?
            .send_keys("500113194501010017")
            .await?;
        client
            .find(Locator::Id("head-name"))
            .await?
            .send_keys("钱大爷")
            .await?;
        client
            .find(Locator::Id("visit-submit"))
            .await?
            .click()
            .await?;
        client.wait().for_element(Locator::Id("file-state")).await?;
        let household_url = client.current_url().await?.to_string();
        assert!(household_url.contains("/households/"), "{household_url}");
        let timeline = client.find(Locator::Id("timeline")).await?.text().await?;
        assert!(timeline.contains("建档"), "{timeline}");

        sign_in("banan.town").await?;
        let after = registered(client.clone(), base.clone()).await?;
        assert_eq!(after, before + 1, "the town's figures count the new file");

        sign_in("banan.volunteer").await?;
        client.goto(&household_url).await?;
        let page = client.source().await?;
        assert!(
            page.contains("error-message"),
            "the volunteer is refused the household page"
        );
        assert!(!page.contains("钱大爷"));
        client.goto(&format!("{base}/clues/mine")).await?;
        let mine = client.find(Locator::Id("my-clues")).await?.text().await?;
        assert!(
            mine.contains("已走访"),
            "the volunteer sees the clue was visited: {mine}"
        );
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.expect("browser steps");
}

/// Signs in through the page, as a person would.
pub(crate) async fn sign_in(
    client: &fantoccini::Client,
    base: &str,
    user: &str,
    password: String,
) -> Result<(), fantoccini::error::CmdError> {
    client.delete_all_cookies().await?;
    client.goto(&format!("{base}/login")).await?;
    client
        .find(Locator::Id("username"))
        .await?
        .send_keys(user)
        .await?;
    client
        .find(Locator::Id("password"))
        .await?
        .send_keys(&password)
        .await?;
    client
        .find(Locator::Id("login-submit"))
        .await?
        .click()
        .await?;
    client
        .wait()
        .for_element(Locator::Css("header.top"))
        .await?;
    Ok(())
}

/// The text of an element once it contains `needle`. After a form is sent the page before it,
/// with the same element, may still be there (reading it then fails as stale): this polls for
/// up to 20 s (CI runs the browser tests beside the rest on two cores) and returns the last
/// text seen.
async fn text_with(
    client: &fantoccini::Client,
    locator: Locator<'_>,
    needle: &str,
) -> Result<String, fantoccini::error::CmdError> {
    let mut seen = String::new();
    for _ in 0..200 {
        if let Ok(found) = client.find(locator).await {
            seen = found.text().await.unwrap_or_default();
            if seen.contains(needle) {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(seen)
}

/// Does `act` on the element once it is on the page and can take it. A page being replaced
/// by the answer to a form, or still being shown, can hand out an element that is stale or not
/// yet interactable: find it again and retry for up to 20 s rather than fail on the race.
async fn when_ready(
    client: &fantoccini::Client,
    locator: Locator<'_>,
    act: impl AsyncFn(fantoccini::elements::Element) -> Result<(), fantoccini::error::CmdError>,
) -> Result<(), fantoccini::error::CmdError> {
    let mut last = None;
    for _ in 0..200 {
        match client.find(locator).await {
            Ok(found) => match act(found).await {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            },
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    last.map_or(Ok(()), Err)
}

pub(crate) async fn click_when_ready(
    client: &fantoccini::Client,
    locator: Locator<'_>,
) -> Result<(), fantoccini::error::CmdError> {
    when_ready(client, locator, async |e| e.click().await).await
}

pub(crate) async fn type_when_ready(
    client: &fantoccini::Client,
    locator: Locator<'_>,
    text: &str,
) -> Result<(), fantoccini::error::CmdError> {
    when_ready(client, locator, async |e| e.send_keys(text).await).await
}

/// Saves a screenshot when MINSHENG_SCREENSHOTS names a directory (for looking at pages).
pub(crate) async fn shot(client: &fantoccini::Client, name: &str) {
    if let Ok(dir) = std::env::var("MINSHENG_SCREENSHOTS")
        && let Ok(png) = client.screenshot().await
    {
        let _ = std::fs::write(format!("{dir}/{name}.png"), png);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assessment_is_assigned_surveyed_on_a_phone_recognised_and_printed() {
    let Some((_driver, driver_port)) = start_driver().await else {
        return;
    };
    let t = TestApp::new(Backend::Sqlite).await;
    let base = serve(&t).await;
    let household = t
        .fresh_household_in(500_113_003_000)
        .expect("a 巴南 household");
    let client = browser(driver_port).await;
    let result = async {
        let sign_in = |user: &'static str| sign_in(&client, &base, user, t.password(user));
        // The town assigns the household to the assessor.
        sign_in("banan.town").await?;
        client
            .goto(&format!("{base}/households/{household}/assess"))
            .await?;
        client
            .find(Locator::Css("#assign-form input[name='assessor']"))
            .await?
            .send_keys("assessor")
            .await?;
        client
            .find(Locator::Css("#assign-form button[type='submit']"))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::Id("assessment-state"))
            .await?;
        let assessment_url = client.current_url().await?.to_string();
        assert!(assessment_url.contains("/assessments/"), "{assessment_url}");

        // The assessor fills the survey on a phone; it saves itself.
        sign_in("assessor").await?;
        client.goto(&assessment_url).await?;
        client
            .wait()
            .for_element(Locator::Id("survey-form"))
            .await?;
        shot(&client, "survey-phone").await;
        client
            .find(Locator::Css(
                "select[name='members.0.relation'] option[value='self']",
            ))
            .await?
            .click()
            .await?;
        let age = client
            .find(Locator::Css("input[name='members.0.age']"))
            .await?;
        assert!(
            !age.prop("value").await?.unwrap_or_default().is_empty(),
            "the head's age comes from the register"
        );
        age.clear().await?;
        age.send_keys("72").await?;
        client
            .find(Locator::Css("input[name='income.pensions']"))
            .await?
            .send_keys("14400")
            .await?;
        client
            .find(Locator::Css(
                "select[name='members.0.serious_illness'] option[value='true']",
            ))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::Id("autosave-status"))
            .await?;
        client.goto(&assessment_url).await?;
        let age = client
            .find(Locator::Css("input[name='members.0.age']"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        assert_eq!(age, "72", "the autosaved draft comes back after a reload");
        // Another change autosaves, and 提交 right after (no reload) is not refused as stale.
        let wages = client
            .find(Locator::Css("input[name='income.wages']"))
            .await?;
        wages.send_keys("600").await?;
        client
            .find(Locator::Css(
                "select[name='members.0.sex'] option[value='male']",
            ))
            .await?
            .click()
            .await?;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        client
            .find(Locator::Id("submit-assessment"))
            .await?
            .click()
            .await?;
        client.wait().for_element(Locator::Id("conclusion")).await?;
        let missing = client.find(Locator::Id("missing")).await?.text().await?;
        assert!(
            !missing.is_empty(),
            "a partial survey lists what was not recorded"
        );

        // The town recognises it; the household page shows the result to everyone in the area.
        sign_in("banan.town").await?;
        client.goto(&assessment_url).await?;
        client.find(Locator::Id("approve")).await?.click().await?;
        client
            .wait()
            .for_element(Locator::Id("valid-until"))
            .await?;
        client
            .goto(&format!("{base}/households/{household}"))
            .await?;
        let box_text = client
            .find(Locator::Id("household-assessment"))
            .await?
            .text()
            .await?;
        assert!(box_text.contains("当前认定结果"), "{box_text}");

        // The A4 report: conclusion, score and the dimension chart.
        client.goto(&format!("{assessment_url}/report")).await?;
        let conclusion = client
            .find(Locator::Id("report-conclusion"))
            .await?
            .text()
            .await?;
        assert!(!conclusion.is_empty());
        client.find(Locator::Css("svg.dim-chart")).await?;
        shot(&client, "report").await;
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.expect("browser steps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_goes_from_recommendations_to_a_completed_referral_and_the_figures() {
    let Some((_driver, driver_port)) = start_driver().await else {
        return;
    };
    let t = TestApp::new(Backend::Sqlite).await;
    let base = serve(&t).await;
    let household = t
        .assessed_in(500_113_000_000)
        .expect("an assessed 巴南 household");
    let client = browser(driver_port).await;
    let result = async {
        let sign_in = |user: &'static str| sign_in(&client, &base, user, t.password(user));
        // The district officer sees the recommendations, makes a plan and adds a work-study job.
        sign_in("banan.district").await?;
        client.goto(&format!("{base}/households/{household}/help")).await?;
        let recommended = client.find(Locator::Id("recommendations")).await?.text().await?;
        assert!(!recommended.is_empty());
        // The household may have a plan already: wait for the answer to replace the page, or
        // the item below would be added to the page before it and lost.
        let before = client.find(Locator::Css("main")).await?;
        click_when_ready(&client, Locator::Id("create-plan")).await?;
        for _ in 0..200 {
            if before.tag_name().await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        client.wait().for_element(Locator::Id("plan-items")).await?;
        client
            .execute("document.querySelector('#add-item').closest('details').open = true", vec![])
            .await?;
        click_when_ready(&client, Locator::Css("#add-item select[name='item_code'] option[value='education_work_study']")).await?;
        type_when_ready(&client, Locator::Css("#add-item input[name='reason']"), "孙子在读大学").await?;
        client.execute("document.querySelector('#add-item').submit()", vec![]).await?;
        // The plan is on the page before and after: wait for the added item.
        text_with(&client, Locator::Css("#plan-items tbody tr:last-child"), "孙子在读大学").await?;
        // The row of the added item, by its reason: rows reorder as items change state.
        let ours = "//table[@id='plan-items']/tbody/tr[contains(., '孙子在读大学')]";
        click_when_ready(&client, Locator::XPath(&format!("{ours}//button[@value='accept']"))).await?;
        // The page before the answer has the same row: wait for the accepted one.
        text_with(&client, Locator::XPath(ours), "已采纳").await?;
        // Only the accepted row's approve form carries the version the approval needs.
        click_when_ready(&client, Locator::XPath(&format!("{ours}[contains(., '已采纳')]//form[contains(@class, 'item-approve')]//button"))).await?;
        let referrals = text_with(&client, Locator::Id("household-referrals"), "勤工助学").await?;
        assert!(referrals.contains("勤工助学"), "{referrals}");
        shot(&client, "help-plan").await;

        // The education department accepts and completes it.
        sign_in("banan.education").await?;
        client.goto(&format!("{base}/referrals")).await?;
        click_when_ready(&client, Locator::Css(".referral-form button[value='accept']")).await?;
        // The answer to the form has replaced the page once the referral shows as accepted.
        client.wait().for_element(Locator::Css(".referral .badge.accepted")).await?;
        client.wait().for_element(Locator::Css(".referral-form input[name='service']")).await?;
        type_when_ready(&client, Locator::Css(".referral-form input[name='service']"), "图书馆勤工助学岗位").await?;
        client
            .execute("document.querySelector(\".referral-form input[name='date']\").value = '2026-11-20'", vec![])
            .await?;
        click_when_ready(&client, Locator::Css(".referral-form button[value='complete']")).await?;
        client.wait().for_element(Locator::Css(".referral .badge.completed")).await?;

        // The district's figures count it.
        sign_in("banan.district").await?;
        client.goto(&format!("{base}/figures/help")).await?;
        let table = client.find(Locator::Id("referral-figures")).await?.text().await?;
        assert!(table.contains("专项救助") && table.contains("已办结"), "{table}");
        shot(&client, "help-figures").await;
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.expect("browser steps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_taken_answered_by_the_unit_and_counted_in_the_ranking() {
    let Some((_driver, driver_port)) = start_driver().await else {
        return;
    };
    let t = TestApp::new(Backend::Sqlite).await;
    let base = serve(&t).await;
    let client = browser(driver_port).await;
    let result = async {
        let sign_in = |user: &'static str| sign_in(&client, &base, user, t.password(user));
        let number = |text: String| text.trim().parse::<i64>().unwrap_or(-1);
        client.goto(&format!("{base}/hotline/ranking")).await?;
        let before = number(
            client
                .find(Locator::Id("ranking-total"))
                .await?
                .text()
                .await?,
        );
        assert!(before >= 0);

        // The agent types the call; the classification appears while typing.
        sign_in("hotline").await?;
        client.goto(&format!("{base}/hotline")).await?;
        let description = "渝中区解放碑步行街有流动摊贩占道经营，晚上堵住了消防通道";
        client
            .find(Locator::Id("description"))
            .await?
            .send_keys(description)
            .await?;
        client
            .find(Locator::Id("contact_phone"))
            .await?
            .send_keys("13800002222")
            .await?;
        // htmx may swap the preview again while the last keys arrive: read it until it holds.
        let mut preview = String::new();
        for _ in 0..50 {
            let found = client
                .wait()
                .for_element(Locator::Id("preview-unit"))
                .await?;
            match found.text().await {
                Ok(text) if text.contains("渝中区") => {
                    preview = text;
                    break;
                }
                _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        assert!(preview.contains("渝中区"), "{preview}");
        shot(&client, "hotline-desk").await;
        client
            .find(Locator::Css("#subcategory option[value='street_vending']"))
            .await?
            .click()
            .await?;
        client
            .find(Locator::Id("create-ticket"))
            .await?
            .click()
            .await?;
        let unit = client
            .wait()
            .for_element(Locator::Id("request-unit"))
            .await?
            .text()
            .await?;
        assert_eq!(unit, "渝中区城市管理局");
        let url = client.current_url().await?;
        let id: i64 = url
            .path()
            .rsplit('/')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("request id in the address");

        // The unit accepts and replies that the problem is solved.
        sign_in("yuzhong.cityadmin").await?;
        client.goto(&format!("{base}/hotline/tickets")).await?;
        client
            .find(Locator::Css(&format!("#ticket-{id} a")))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::Id("accept"))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::Id("reply"))
            .await?
            .send_keys("已安排城管队员现场清理占道摊点，消防通道已恢复畅通。")
            .await?;
        client.find(Locator::Id("resolved")).await?.click().await?;
        client
            .find(Locator::Id("send-reply"))
            .await?
            .click()
            .await?;
        // The reply is on the next page only: wait for it, not for the old page's state.
        client
            .wait()
            .for_element(Locator::Id("request-reply"))
            .await?;
        let state = client
            .find(Locator::Id("request-state"))
            .await?
            .text()
            .await?;
        assert_eq!(state, "已答复待回访");
        // Nobody but the centre and this unit sees the caller's number.
        let page = client.source().await?;
        assert!(page.contains("13800002222"));

        // The centre calls back: satisfied, closed.
        sign_in("hotline").await?;
        client
            .goto(&format!("{base}/hotline/requests/{id}"))
            .await?;
        client
            .find(Locator::Id("record-callback"))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::Id("reopen-form"))
            .await?;
        let state = client
            .find(Locator::Id("request-state"))
            .await?
            .text()
            .await?;
        assert_eq!(state, "已办结");

        // The public ranking counts it among the solved ones, without the caller's number.
        client.goto(&format!("{base}/hotline/ranking")).await?;
        let after = number(
            client
                .find(Locator::Id("ranking-total"))
                .await?
                .text()
                .await?,
        );
        assert_eq!(after, before + 1);
        let solved = client.find(Locator::Id("solved")).await?.text().await?;
        assert!(solved.contains("消防通道已恢复畅通"), "{solved}");
        assert!(!client.source().await?.contains("13800002222"));
        shot(&client, "hotline-ranking").await;
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.expect("browser steps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_cable_channel_is_replayed_and_alerts_the_community_of_a_power_dependent_household()
{
    let Some((_driver, driver_port)) = start_driver().await else {
        return;
    };
    let t = TestApp::new(Backend::Sqlite).await;
    let base = serve(&t).await;
    let client = browser(driver_port).await;
    let worker = t
        .app
        .login(
            "banan.community",
            &t.password("banan.community"),
            "10.0.0.9",
        )
        .await
        .expect("login")
        .actor;
    let household = t
        .app
        .list_households(
            &worker,
            &minsheng_app::registry::ListQuery {
                per_page: 1,
                ..Default::default()
            },
        )
        .await
        .expect("households")
        .items[0]
        .id;
    let result = async {
        let sign_in = |user: &'static str| sign_in(&client, &base, user, t.password(user));
        // The community worker links the household to 4号配电房's load, with consent.
        sign_in("banan.community").await?;
        client.goto(&format!("{base}/grid/dependents")).await?;
        client
            .find(Locator::Css(
                "#link-form select[name='load_id'] option[value='D-P4']",
            ))
            .await?
            .click()
            .await?;
        let form = client.find(Locator::Id("link-form")).await?;
        form.find(Locator::Css("input[name='household_id']"))
            .await?
            .send_keys(&household.to_string())
            .await?;
        form.find(Locator::Css("input[name='consent_by']"))
            .await?
            .send_keys("户主本人")
            .await?;
        form.find(Locator::Css("input[name='need']"))
            .await?
            .send_keys("家庭透析")
            .await?;
        form.find(Locator::Css("button[type='submit']"))
            .await?
            .click()
            .await?;
        // The demo's own links are there already: wait for this one's load.
        let links = text_with(&client, Locator::Id("links"), "D-P4").await?;
        assert!(
            links.contains("D-P4") && links.contains("户主本人"),
            "{links}"
        );

        // The operator replays the west channel lost: feeder B's rooms go dark, P3 comes back
        // through the tie, P4 waits for the repair.
        sign_in("gridop").await?;
        client
            .goto(&format!(
                "{base}/grid?channel={}",
                crate::support::urlencode("西通道")
            ))
            .await?;
        client
            .wait()
            .for_element(Locator::Id("frame-label"))
            .await?;
        let steps = client.find_all(Locator::Css("#steps li")).await?.len();
        for _ in 1..steps {
            client.find(Locator::Id("next")).await?.click().await?;
        }
        let label = client
            .find(Locator::Id("frame-label"))
            .await?
            .text()
            .await?;
        assert!(label.starts_with(&format!("{steps}/{steps}")), "{label}");
        let class = |css: &'static str| {
            let client = &client;
            async move {
                client
                    .find(Locator::Css(css))
                    .await?
                    .attr("class")
                    .await
                    .map(Option::unwrap_or_default)
            }
        };
        assert!(class("rect[data-switch='P2-2']").await?.contains("closed"));
        assert!(!class("circle[data-bus='P3']").await?.contains("dark"));
        assert!(class("circle[data-bus='P4']").await?.contains("dark"));
        shot(&client, "grid-replay").await;
        client
            .find(Locator::Id("raise-fault"))
            .await?
            .click()
            .await?;
        let notice = client
            .wait()
            .for_element(Locator::Css("p.notice"))
            .await?
            .text()
            .await?;
        assert!(notice.contains('1'), "{notice}");

        // The community worker sees the alert for the household and acknowledges it.
        sign_in("banan.community").await?;
        client.goto(&format!("{base}/grid/dependents")).await?;
        let alerts = client.find(Locator::Id("alerts")).await?.text().await?;
        assert!(
            alerts.contains("西通道") && alerts.contains("家庭透析"),
            "{alerts}"
        );
        client
            .find(Locator::Css("#alerts form button"))
            .await?
            .click()
            .await?;
        client.wait().for_element(Locator::Id("links")).await?;
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.expect("browser steps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmet_need_is_matched_with_consent_delivered_by_a_charity_and_counted() {
    let Some((_driver, driver_port)) = start_driver().await else {
        return;
    };
    let t = TestApp::new(Backend::Sqlite).await;
    let base = serve(&t).await;
    let client = browser(driver_port).await;
    let result = async {
        let sign_in = |user: &'static str| sign_in(&client, &base, user, t.password(user));
        // The community worker takes the first need of the worklist to its household's offers.
        sign_in("banan.community").await?;
        client.goto(&format!("{base}/resources")).await?;
        let need_link = client.find(Locator::Css("#needs a.need-match")).await?;
        need_link.click().await?;
        let offer = "//li[contains(., '居家照护上门服务')]";
        client
            .wait()
            .for_element(Locator::Id("household-offers"))
            .await?;
        let address = client.find(Locator::Css("h1 a")).await?.text().await?;
        shot(&client, "resources-household").await;
        client
            .find(Locator::XPath(&format!("{offer}//summary")))
            .await?
            .click()
            .await?;
        let form = client
            .find(Locator::XPath(&format!("{offer}//form")))
            .await?;
        let need = form
            .find(Locator::Css("input[name='need']"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        assert!(!need.is_empty(), "the need comes from the worklist");
        let quantity = form.find(Locator::Css("input[name='quantity']")).await?;
        quantity.clear().await?;
        quantity.send_keys("2").await?;
        // Without consent nothing is shared: the form comes back with the reason.
        form.find(Locator::Css("button[type='submit']"))
            .await?
            .click()
            .await?;
        let notice = client
            .wait()
            .for_element(Locator::Css("p.notice"))
            .await?
            .text()
            .await?;
        // Said in Chinese, naming the field: 同意人 … 未经同意不得对接.
        assert!(
            notice.contains("同意人") && notice.contains("未经同意"),
            "{notice}"
        );
        client
            .find(Locator::XPath(&format!("{offer}//summary")))
            .await?
            .click()
            .await?;
        let form = client
            .find(Locator::XPath(&format!("{offer}//form")))
            .await?;
        form.find(Locator::Css("input[name='consent_by']"))
            .await?
            .send_keys("户主本人")
            .await?;
        form.find(Locator::Css("button[type='submit']"))
            .await?
            .click()
            .await?;
        let matches = client
            .wait()
            .for_element(Locator::Id("matches"))
            .await?
            .text()
            .await?;
        assert!(
            matches.contains(&address) && matches.contains("户主本人"),
            "{matches}"
        );

        // The charity sees the household's address and need, no ID number, and delivers.
        sign_in("charity").await?;
        client.goto(&format!("{base}/provider")).await?;
        let card = format!("//ul[@id='provider-matches']/li[contains(., '{address}')]");
        let text = client.find(Locator::XPath(&card)).await?.text().await?;
        assert!(text.contains(&need), "{text}");
        let longest_number = text
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(
            longest_number < 15,
            "no ID number reaches the provider: {text}"
        );
        shot(&client, "provider-matches").await;
        client
            .find(Locator::XPath(&format!("{card}//summary")))
            .await?
            .click()
            .await?;
        let form = client
            .find(Locator::XPath(&format!("{card}//form")))
            .await?;
        for (field, value) in [
            ("value_yuan", "300"),
            ("delivered_by", "慈善总会护理员"),
            ("feedback", "老人很满意"),
        ] {
            form.find(Locator::Css(&format!("input[name='{field}']")))
                .await?
                .send_keys(value)
                .await?;
        }
        form.find(Locator::Css("button[type='submit']"))
            .await?
            .click()
            .await?;
        let after = text_with(&client, Locator::XPath(&card), "已送达").await?;
        assert!(after.contains("已送达"), "{after}");

        // The district sees it among the resources linked by charities.
        sign_in("banan.district").await?;
        client.goto(&format!("{base}/figures/help")).await?;
        let by_kind = client
            .find(Locator::Id("res-by-kind"))
            .await?
            .text()
            .await?;
        assert!(
            by_kind.contains("慈善组织") && by_kind.contains("¥300.00"),
            "{by_kind}"
        );
        shot(&client, "resource-figures").await;
        // The demo volunteer's missed week is flagged; the demo appeal and contract show.
        client.goto(&format!("{base}/volunteers")).await?;
        let missed = client
            .find(Locator::Css("#assignments .missed"))
            .await?
            .text()
            .await?;
        assert!(missed.contains("漏访"), "{missed}");
        shot(&client, "volunteers").await;
        client.goto(&format!("{base}/appeals")).await?;
        let appeals = client.find(Locator::Id("appeals")).await?.text().await?;
        assert!(appeals.contains("¥8000.00"), "{appeals}");
        shot(&client, "appeals").await;
        client.goto(&format!("{base}/contracts")).await?;
        client.find(Locator::Id("contracts")).await?;
        shot(&client, "contracts").await;
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.expect("browser steps");
}

/// Chromium's WebDriver extension that takes the browser off the network and back.
#[derive(Debug)]
struct NetworkConditions {
    offline: bool,
}

impl fantoccini::wd::WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/chromium/network_conditions",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = serde_json::json!({
            "network_conditions": {
                "offline": self.offline, "latency": 0,
                "download_throughput": -1, "upload_throughput": -1
            }
        });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

/// Issue 18.1: a village assessor fills and submits the survey with no network: it is kept on
/// the phone, sent when the network is back, and submitted once although it was sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_survey_submitted_without_network_is_sent_once_when_it_is_back() {
    let Some((_driver, driver_port)) = start_driver().await else {
        return;
    };
    let t = TestApp::new(Backend::Sqlite).await;
    let base = serve(&t).await;
    let id = t.assigned_to_assessor().await;
    let operator = minsheng_app::Actor::command_line(t.app.everything().await.expect("scope"));
    let client = browser(driver_port).await;
    let result = async {
        sign_in(&client, &base, "assessor", t.password("assessor")).await?;
        let url = format!("{base}/assessments/{id}");
        client.goto(&url).await?;
        client.wait().for_element(Locator::Id("survey-form")).await?;
        client.issue_cmd(NetworkConditions { offline: true }).await?;
        client
            .find(Locator::Css("input[name='income.wages']"))
            .await?
            .send_keys("800")
            .await?;
        client
            .find(Locator::Css("input[name='income.pensions']"))
            .await?
            .send_keys("2400")
            .await?;
        // Sent twice with no network (an impatient tap): both wait on the phone.
        for _ in 0..2 {
            client
                .find(Locator::Id("submit-assessment"))
                .await?
                .click()
                .await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let note = client.find(Locator::Id("survey-offline")).await?;
        assert!(note.is_displayed().await?, "the page says it is kept");
        let queued = client
            .execute(
                "return JSON.parse(localStorage.getItem('minsheng.pending-surveys') || '[]').length",
                vec![],
            )
            .await?;
        assert_eq!(queued, serde_json::json!(2), "both sends are queued");
        shot(&client, "survey-offline").await;
        // The network comes back: the queue is sent and the page shows the submitted result.
        client.issue_cmd(NetworkConditions { offline: false }).await?;
        client
            .execute("window.dispatchEvent(new Event('online'))", vec![])
            .await?;
        client.wait().for_element(Locator::Id("conclusion")).await?;
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.expect("browser steps");
    let detail = t
        .app
        .assessment_detail(&operator, id)
        .await
        .expect("detail");
    assert_eq!(detail.row.state, "submitted");
    assert_eq!(
        detail.survey.as_ref().expect("survey")["income"]["wages"],
        800
    );
    assert_eq!(
        detail
            .events
            .iter()
            .filter(|e| e.kind == "submitted")
            .count(),
        1,
        "sent twice, submitted once"
    );
}

/// Issue 18.9: on a 360-px phone the menu folds behind one button, tables read as cards (no name
/// wrapped a character a line), and every button and field is at least 44 px high.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_fit_a_phone_the_menu_folds_tables_are_cards_and_targets_are_big() {
    let Some((_driver, driver_port)) = start_driver().await else {
        return;
    };
    let t = TestApp::new(Backend::Sqlite).await;
    let base = serve(&t).await;
    let household = t
        .assessed_in(500_113_003_000)
        .expect("an assessed household with a plan");
    let client = browser(driver_port).await;
    let number = |v: serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let result = async {
        sign_in(&client, &base, "banan.town", t.password("banan.town")).await?;
        for path in [
            format!("/households/{household}/help"),
            "/assessments".to_string(),
            "/funds".to_string(),
            format!("/households/{household}"),
        ] {
            client.goto(&format!("{base}{path}")).await?;
            client.wait().for_element(Locator::Css("main h1")).await?;
            let header = client
                .execute(
                    "return document.querySelector('header.top').getBoundingClientRect().height",
                    vec![],
                )
                .await?;
            assert!(number(header.clone()) < 140.0, "{path}: the menu folds, header {header}");
            let small = client
                .execute(
                    "var s = []; document.querySelectorAll('main button, main select, main .button, \
                     main input:not([type=hidden]):not([type=checkbox]):not([type=radio])')\
                     .forEach(function (e) { var r = e.getBoundingClientRect(); \
                     if (r.height > 0 && r.height < 43.5) { s.push(e.outerHTML.slice(0, 90)); } }); \
                     return s;",
                    vec![],
                )
                .await?;
            assert_eq!(small, serde_json::json!([]), "{path}: tap targets under 44 px");
            let narrowest = client
                .execute(
                    "var w = 1e9, which = ''; document.querySelectorAll('.table-wrap tbody td').forEach(function (td) \
                     { if (td.offsetWidth > 0 && td.offsetWidth < w) { w = td.offsetWidth; which = td.outerHTML.slice(0, 120); } }); \
                     return [w, which, window.innerWidth];",
                    vec![],
                )
                .await?;
            assert!(number(narrowest[0].clone()) > 250.0, "{path}: a cell {narrowest} px wide");
            shot(&client, &format!("phone{}", path.replace('/', "-"))).await;
        }
        // The menu opens from its button.
        let closed = client
            .execute("return document.getElementById('menu').offsetHeight", vec![])
            .await?;
        assert_eq!(number(closed), 0.0);
        client.find(Locator::Id("menu-button")).await?.click().await?;
        let open = client
            .execute("return document.getElementById('menu').offsetHeight", vec![])
            .await?;
        assert!(number(open.clone()) > 100.0, "the menu opens: {open}");
        client
            .find(Locator::Css("#menu a[href='/funds']"))
            .await?
            .click()
            .await?;
        client.wait().for_element(Locator::Id("funds")).await?;
        // Plan items read as cards: each value under its heading.
        client
            .goto(&format!("{base}/households/{household}/help"))
            .await?;
        let labelled = client
            .execute(
                "return document.querySelectorAll('#plan-items td[data-label]').length",
                vec![],
            )
            .await?;
        assert!(number(labelled) > 0.0, "cells carry their headings");
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.expect("browser steps");
}
