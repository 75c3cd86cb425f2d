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

struct Driver(Child);

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

async fn start_driver() -> Option<(Driver, u16)> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_community_worker_uses_the_site_from_a_phone() {
    let Some((_driver, driver_port)) = start_driver().await else {
        return;
    };
    let t = TestApp::new(Backend::Sqlite).await;
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
    let base = format!("http://{addr}");

    let mut options = serde_json::json!({
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=360,800"]
    });
    if std::path::Path::new("/usr/bin/chromium").exists() {
        options["binary"] = "/usr/bin/chromium".into();
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("webdriver session");

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
