//! Operations on both databases: jobs (runs, leases, two instances), the notification outbox
//! against local receivers (an HTTP server that fails and recovers, an SMTP server), the
//! calendar that never lies, and snapshots taken under write load.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use minsheng_app::hotline::RequestSubmission;
use minsheng_app::notify::{ChannelInput, dingtalk_sign, webhook_signature};
use minsheng_app::{Actor, App, Backend, Settings};
use minsheng_domain::time_util::Clock;
use minsheng_store::{Conn, Sql, Store, vals};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::World;

minsheng_store::on_both_backends!(
    a_job_runs_once_at_a_time_and_records_its_runs,
    two_instances_never_run_a_job_at_once,
    two_instances_run_a_scheduled_job_once_an_interval_between_them,
    an_overdue_ticket_reaches_its_units_webhook_once_after_a_failure,
    robots_and_email_get_their_messages,
    deadlines_past_the_loaded_years_are_provisional_until_the_year_is_imported,
);

const DAY: i64 = 86_400_000;

/// What a local receiver saw: the request line's target, headers, body.
#[derive(Debug, Clone)]
struct Received {
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A local HTTP server that records what it is sent and answers from a script (then 200 with
/// `{"errcode":0}`).
struct HttpReceiver {
    url: String,
    seen: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<(u16, String)>>>,
}

impl HttpReceiver {
    async fn start() -> HttpReceiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Mutex<VecDeque<(u16, String)>>> = Arc::new(Mutex::new(VecDeque::new()));
        let (s, sc) = (seen.clone(), script.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (seen, script) = (s.clone(), sc.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let header_end = loop {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
                    let mut lines = head.split("\r\n");
                    let target = lines
                        .next()
                        .and_then(|l| l.split(' ').nth(1))
                        .unwrap_or("")
                        .to_string();
                    let headers: Vec<(String, String)> = lines
                        .filter_map(|l| l.split_once(": "))
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    let length = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    while buf.len() < header_end + length {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let body = String::from_utf8_lossy(&buf[header_end..]).to_string();
                    seen.lock().expect("lock").push(Received {
                        target,
                        headers,
                        body,
                    });
                    let (status, answer) = script
                        .lock()
                        .expect("lock")
                        .pop_front()
                        .unwrap_or((200, r#"{"errcode":0,"errmsg":"ok"}"#.into()));
                    let response = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        HttpReceiver { url, seen, script }
    }

    fn fail_next(&self, status: u16) {
        self.script
            .lock()
            .expect("lock")
            .push_back((status, "{}".into()));
    }

    fn seen(&self) -> Vec<Received> {
        self.seen.lock().expect("lock").clone()
    }
}

/// A local SMTP server that takes every message and keeps it.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let kept = messages.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = tokio::io::BufReader::new(read);
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut data = false;
                let mut message = String::new();
                loop {
                    let mut line = String::new();
                    match tokio::io::AsyncBufReadExt::read_line(&mut lines, &mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if data {
                        if line == ".\r\n" {
                            data = false;
                            kept.lock()
                                .expect("lock")
                                .push(std::mem::take(&mut message));
                            let _ = write.write_all(b"250 kept\r\n").await;
                        } else {
                            message.push_str(&line);
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                        "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
                        "DATA" => {
                            data = true;
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"502 no\r\n",
                    };
                    let _ = write.write_all(answer).await;
                }
            });
        }
    });
    (port, messages)
}

async fn operator(app: &App) -> Actor {
    Actor::command_line(app.everything().await.expect("scope"))
}

async fn a_job_runs_once_at_a_time_and_records_its_runs(backend: Backend) {
    let w = World::new(backend).await;
    let first = w.app.run_job("sessions-cleanup", "a").await.expect("run");
    assert_eq!(first.outcome, "ok", "{first:?}");
    assert!(first.detail.contains("sessions="), "{first:?}");
    // A job another instance holds is skipped, not run twice.
    let mut tx = w.app.store().begin().await.expect("begin");
    assert!(
        minsheng_store::ops::take_lease(
            &mut tx,
            "hotline-chase",
            "b",
            w.app.now(),
            w.app.now() + 60_000,
            None
        )
        .await
        .expect("lease")
    );
    tx.commit().await.expect("commit");
    let skipped = w.app.run_job("hotline-chase", "a").await.expect("run");
    assert_eq!(skipped.outcome, "skipped");
    let status = w.app.job_status().await.expect("status");
    let cleanup = status
        .iter()
        .find(|s| s.name == "sessions-cleanup")
        .expect("listed");
    assert_eq!(cleanup.last_outcome.as_deref(), Some("ok"));
    assert!(cleanup.last_success_at.is_some());
    assert_eq!(status.len(), minsheng_app::jobs::JOBS.len());
    // Every job runs (here, on an empty outbox and a quiet grid) and says what it did.
    for spec in minsheng_app::jobs::JOBS {
        if spec.name == "hotline-chase" {
            continue;
        }
        let report = w.app.run_job(spec.name, "a").await.expect("run");
        assert_eq!(report.outcome, "ok", "{report:?}");
    }
    let unknown = w.app.run_job("no-such-job", "a").await;
    assert!(unknown.is_err());
}

async fn two_instances_never_run_a_job_at_once(backend: Backend) {
    let w = World::new(backend).await;
    let second = App::new(
        Store::open(&w.url).await.expect("second store"),
        Settings::default(),
    )
    .expect("second app");
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let (a, b) = tokio::join!(
            w.app.run_job("overdue-scan", "instance-1"),
            second.run_job("overdue-scan", "instance-2"),
        );
        outcomes.push((a.expect("run").outcome, b.expect("run").outcome));
    }
    // Each round, each instance ran the job or found it held by the other.
    for (a, b) in &outcomes {
        assert!(
            ["ok", "skipped"].contains(&a.as_str()) && ["ok", "skipped"].contains(&b.as_str()),
            "{outcomes:?}"
        );
    }
    let runs: Vec<(String, i64, Option<i64>)> = w
        .app
        .store()
        .reader()
        .all(Sql::new(
            "SELECT instance, started_at, finished_at FROM job_runs WHERE job = 'overdue-scan' ORDER BY started_at",
        ))
        .await
        .expect("runs");
    // No two runs overlap in time.
    for pair in runs.windows(2) {
        let (_, _, finished) = &pair[0];
        let (_, started, _) = &pair[1];
        assert!(finished.is_some_and(|f| f <= *started), "{runs:?}");
    }
}

async fn two_instances_run_a_scheduled_job_once_an_interval_between_them(backend: Backend) {
    let clock = Clock::system();
    let w = World::with_clock(backend, Settings::default(), clock.clone()).await;
    let second = App::with_clock(
        Store::open(&w.url).await.expect("second store"),
        Settings::default(),
        clock.clone(),
    )
    .expect("second app");
    let first = w
        .app
        .run_due_job("overdue-scan", "instance-1")
        .await
        .expect("run");
    assert_eq!(first.outcome, "ok", "{first:?}");
    // The other instance's scheduler finds it run this interval, however soon it asks.
    let again = second
        .run_due_job("overdue-scan", "instance-2")
        .await
        .expect("run");
    assert_eq!(again.outcome, "skipped", "{again:?}");
    // An operator's `jobs run` is not held back by the schedule.
    let by_hand = second
        .run_job("overdue-scan", "instance-2")
        .await
        .expect("run");
    assert_eq!(by_hand.outcome, "ok", "{by_hand:?}");
    // An interval later it is due again, for whichever instance asks first.
    clock.advance(301_000);
    let due = second
        .run_due_job("overdue-scan", "instance-2")
        .await
        .expect("run");
    assert_eq!(due.outcome, "ok", "{due:?}");
    let late = w
        .app
        .run_due_job("overdue-scan", "instance-1")
        .await
        .expect("run");
    assert_eq!(late.outcome, "skipped", "{late:?}");
}

async fn an_overdue_ticket_reaches_its_units_webhook_once_after_a_failure(backend: Backend) {
    let clock = Clock::system();
    let w = World::with_clock(backend, Settings::default(), clock.clone()).await;
    let receiver = HttpReceiver::start().await;
    let agent = w.actor("hotline").await;
    let taken = w
        .app
        .submit_request(
            &agent,
            &RequestSubmission {
                channel: "phone".into(),
                description: "渝中区解放碑步行街井盖破损，行人容易摔倒".into(),
                ..RequestSubmission::default()
            },
        )
        .await
        .expect("taken");
    let (unit,): (String,) = w
        .app
        .store()
        .reader()
        .one(Sql::with(
            "SELECT u.name FROM hotline_requests r JOIN units u ON u.id = r.unit_id WHERE r.id = $1",
            vals![taken.id],
        ))
        .await
        .expect("dispatched to a unit");
    let admin = w.actor("admin").await;
    w.app
        .add_channel(
            &admin,
            &ChannelInput {
                unit: unit.clone(),
                kind: "webhook".into(),
                target: format!("{}/minsheng", receiver.url),
                secret: "whsec-test".into(),
                events: "hotline_overdue".into(),
            },
        )
        .await
        .expect("channel");
    // Ten days on, the ticket is overdue: the chase tells the unit, in the chase's transaction.
    clock.advance(10 * DAY);
    let chase = w.app.run_job("hotline-chase", "test").await.expect("chase");
    assert_eq!(chase.outcome, "ok", "{chase:?}");
    assert!(chase.detail.starts_with("chased=1"), "{chase:?}");
    // The receiver fails first: the delivery is retried later, not lost.
    receiver.fail_next(503);
    let first = w.app.deliver_notifications(100).await.expect("deliver");
    assert_eq!((first.sent, first.retried, first.failed), (0, 1, 0));
    // Not yet due again.
    let early = w.app.deliver_notifications(100).await.expect("deliver");
    assert_eq!(early.sent + early.retried, 0);
    clock.advance(60_000);
    let second = w.app.deliver_notifications(100).await.expect("deliver");
    assert_eq!(second.sent, 1, "{second:?}");
    // Answered 2xx: never sent again.
    clock.advance(DAY);
    let third = w.app.deliver_notifications(100).await.expect("deliver");
    assert_eq!(third.sent + third.retried + third.failed, 0);
    let seen = receiver.seen();
    assert_eq!(seen.len(), 2, "one failed attempt, one delivery");
    let delivered = &seen[1];
    assert_eq!(delivered.target, "/minsheng");
    let timestamp: i64 = delivered
        .header("x-minsheng-timestamp")
        .and_then(|t| t.parse().ok())
        .expect("timestamp");
    assert_eq!(
        delivered.header("x-minsheng-signature"),
        Some(webhook_signature("whsec-test", timestamp, delivered.body.as_bytes()).as_str()),
        "the body is signed with the channel's secret"
    );
    let payload: serde_json::Value = serde_json::from_str(&delivered.body).expect("JSON");
    assert_eq!(payload["kind"], "hotline_overdue");
    assert!(
        payload["title"]
            .as_str()
            .unwrap_or("")
            .contains(&taken.id.to_string())
    );
    // The outbox is empty now, and the delivery's record says so.
    let (state, attempts): (String, i64) = w
        .app
        .store()
        .reader()
        .one(Sql::new("SELECT state, attempts FROM deliveries"))
        .await
        .expect("delivery");
    assert_eq!((state.as_str(), attempts), ("sent", 2));
}

async fn robots_and_email_get_their_messages(backend: Backend) {
    let (smtp_port, mails) = smtp_sink().await;
    let settings = Settings {
        smtp: Some(minsheng_app::notify::SmtpSettings {
            host: "127.0.0.1".into(),
            port: smtp_port,
            tls: "none".into(),
            username: String::new(),
            password: String::new(),
            from: "民生平台 <noreply@minsheng.test>".into(),
        }),
        ..Settings::default()
    };
    let clock = Clock::system();
    let w = World::with_clock(backend, settings, clock.clone()).await;
    let receiver = HttpReceiver::start().await;
    let admin = w.actor("admin").await;
    // The administrators' unit hears of a missing calendar year on every channel kind.
    let (unit,): (String,) = w
        .app
        .store()
        .reader()
        .one(Sql::new(
            "SELECT n.name FROM users u JOIN units n ON n.id = u.unit_id WHERE u.username = 'admin'",
        ))
        .await
        .expect("admin's unit");
    for (kind, target, secret) in [
        (
            "wecom",
            format!("{}/cgi-bin/webhook/send?key=K", receiver.url),
            "",
        ),
        (
            "dingtalk",
            format!("{}/robot/send?access_token=T", receiver.url),
            "SEC0123456789abcdef",
        ),
        ("email", "office@minsheng.test".to_string(), ""),
    ] {
        w.app
            .add_channel(
                &admin,
                &ChannelInput {
                    unit: unit.clone(),
                    kind: kind.into(),
                    target,
                    secret: secret.into(),
                    events: "calendar_missing".into(),
                },
            )
            .await
            .expect("channel");
    }
    // From 1 November, while next year's schedule is missing, the coverage job warns.
    let today = w.app.today();
    if today.month() < time::Month::November {
        let november =
            time::Date::from_calendar_date(today.year(), time::Month::November, 2).expect("date");
        clock.advance((november - today).whole_days() * DAY);
    }
    let next = w.app.today().year() + 1;
    let calendar = w
        .app
        .run_job("calendar-coverage", "test")
        .await
        .expect("run");
    assert!(
        calendar.detail.contains(&format!("missing={next}")),
        "{calendar:?}"
    );
    let done = w.app.deliver_notifications(100).await.expect("deliver");
    assert_eq!(done.sent, 3, "{done:?}");
    let seen = receiver.seen();
    let wecom = seen
        .iter()
        .find(|r| r.target.starts_with("/cgi-bin/webhook/send"))
        .expect("wecom");
    let body: serde_json::Value = serde_json::from_str(&wecom.body).expect("JSON");
    assert_eq!(body["msgtype"], "text");
    assert!(
        body["text"]["content"]
            .as_str()
            .unwrap_or("")
            .contains(&next.to_string())
    );
    let dingtalk = seen
        .iter()
        .find(|r| r.target.starts_with("/robot/send"))
        .expect("dingtalk");
    let query: std::collections::HashMap<String, String> = dingtalk
        .target
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect();
    let timestamp: i64 = query["timestamp"].parse().expect("timestamp");
    assert_eq!(
        query["sign"],
        dingtalk_sign("SEC0123456789abcdef", timestamp)
    );
    let mails = mails.lock().expect("lock").clone();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("office@minsheng.test"), "{}", mails[0]);
    // Told once a year: a second run tells nobody again.
    w.app
        .run_job("calendar-coverage", "test")
        .await
        .expect("run");
    let again = w.app.deliver_notifications(100).await.expect("deliver");
    assert_eq!(again.sent, 0);
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 3 <= bytes.len()
            && let Ok(b) =
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

/// A whole year of holidays, as the State Council publishes one (dates made up for the test).
const YEAR_2027: &str = include_str!("../../../../tests/fixtures/calendar-2027.csv");

async fn deadlines_past_the_loaded_years_are_provisional_until_the_year_is_imported(
    backend: Backend,
) {
    let w = World::new(backend).await;
    let operator = operator(&w.app).await;
    let start = time::macros::date!(2026 - 12 - 28);
    let before = w.app.deadline_after(start, 5);
    assert!(before.provisional(), "{before:?}");
    assert_eq!(before.missing_years, vec![2027]);
    assert_eq!(before.date, time::macros::date!(2027 - 01 - 04));
    // A partial year is refused whole, naming what it lacks.
    let partial = "date,kind,name\n2027-01-01,holiday,元旦\n";
    match w.app.import_calendar(&operator, partial).await {
        Err(minsheng_app::calendar::CalendarImportError::File(errors)) => {
            assert!(errors[0].message.contains("2027 is partial"), "{errors:?}")
        }
        other => panic!("{other:?}"),
    }
    // A mistake names its line.
    let wrong = format!("{YEAR_2027}2027-13-40,holiday,元旦\n");
    match w.app.import_calendar(&operator, &wrong).await {
        Err(minsheng_app::calendar::CalendarImportError::File(errors)) => {
            assert_eq!(errors[0].line, 19, "{errors:?}")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        w.app.deadline_after(start, 5).provisional(),
        "nothing was loaded"
    );
    // The whole year loads, and counts at once.
    let done = w
        .app
        .import_calendar(&operator, YEAR_2027)
        .await
        .expect("import");
    assert_eq!(done.years, vec![2027]);
    let after = w.app.deadline_after(start, 5);
    assert!(!after.provisional(), "{after:?}");
    assert_eq!(after.date, time::macros::date!(2027 - 01 - 05));
    // Another process on the same database sees it before its next deadline.
    let other = App::new(
        Store::open(&w.url).await.expect("store"),
        Settings::default(),
    )
    .expect("app");
    other.current_calendar().await.expect("reload");
    assert_eq!(
        other.deadline_after(start, 5).date,
        time::macros::date!(2027 - 01 - 05)
    );
    assert!(
        !w.app
            .provisional(time::macros::datetime!(2027-01-05 12:00 +8).unix_timestamp() * 1000)
    );
}
