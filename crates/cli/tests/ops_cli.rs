//! Operations as an IT department runs them: the calendar that never lies, jobs by hand,
//! backups under write load restored whole, a server that drains on SIGTERM and rides out its
//! PostgreSQL restarting, and kills (-9) that leave nothing half-written.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_minsheng")
}

fn minsheng(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("minsheng runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("minsheng-ops-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A demo database in a fresh directory.
fn demo(name: &str, households: &str) -> PathBuf {
    let dir = scratch(name);
    let data = dir.to_str().expect("path");
    ok(&minsheng(&[
        "demo",
        "--households",
        households,
        "--no-serve",
        "--data-dir",
        data,
    ]));
    dir
}

/// Starts a command and kills it (-9) after a while, as a power cut or the OOM killer would.
fn kill_9_after(args: &[&str], after: Duration) {
    let mut child = Command::new(bin())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(after);
    let _ = child.kill();
    let _ = child.wait();
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("dir") {
        let entry = entry.expect("entry");
        match std::fs::copy(entry.path(), to.join(entry.file_name())) {
            Ok(_) => {}
            // SQLite removes a `-wal` or `-shm` file when the last connection to the database
            // closes; one listed a moment ago may be gone (its content is in the database).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("copy {}: {e}", entry.path().display()),
        }
    }
}

/// Counts with a read-only look at a SQLite database.
async fn count(dir: &Path, sql: &str) -> i64 {
    let store = minsheng_store::Store::open(&format!(
        "sqlite://{}",
        dir.join("minsheng.sqlite").display()
    ))
    .await
    .expect("open");
    let (n,): (i64,) =
        minsheng_store::Conn::one(&mut store.reader(), minsheng_store::Sql::new(sql))
            .await
            .expect("count");
    n
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut all = vec!["serve", "--listen", listen.as_str(), "--no-jobs"];
        all.extend_from_slice(args);
        let child = Command::new(bin())
            .args(&all)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve");
        let server = Server { child, port };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if server.get("/healthz").0 == 200 {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the server did not start");
    }

    /// One request: (status, body).
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return (0, String::new());
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        let mut text = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            text.push_str(&format!("{k}: {v}\r\n"));
        }
        text.push_str("\r\n");
        text.push_str(body);
        if stream.write_all(text.as_bytes()).is_err() {
            return (0, String::new());
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.request("GET", path, &[], "")
    }

    /// A bearer token of a demo account.
    fn token(&self, dir: &Path, username: &str) -> String {
        let accounts = std::fs::read_to_string(dir.join("demo-accounts.txt")).expect("accounts");
        let password = accounts
            .lines()
            .find_map(|l| {
                let parts: Vec<&str> = l.split_whitespace().collect();
                (parts.get(1) == Some(&username)).then(|| parts.get(2).map(|p| p.to_string()))?
            })
            .expect("account");
        let body = format!(r#"{{"username":"{username}","password":"{password}"}}"#);
        let (status, answer) = self.request(
            "POST",
            "/api/v1/session",
            &[("Content-Type", "application/json")],
            &body,
        );
        assert_eq!(status, 200, "{answer}");
        let cookie_answer = {
            let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
            let text = format!(
                "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(text.as_bytes()).expect("write");
            let mut a = String::new();
            let _ = stream.read_to_string(&mut a);
            a
        };
        let cookie = cookie_answer
            .lines()
            .find_map(|l| {
                l.strip_prefix("set-cookie: ms_session=")
                    .or_else(|| l.strip_prefix("Set-Cookie: ms_session="))
            })
            .and_then(|rest| rest.split(';').next())
            .expect("cookie")
            .to_string();
        let csrf: serde_json::Value = serde_json::from_str(
            cookie_answer
                .split_once("\r\n\r\n")
                .map(|(_, b)| b)
                .unwrap_or("{}"),
        )
        .expect("json");
        let (status, answer) = self.request(
            "POST",
            "/api/v1/tokens",
            &[
                ("Content-Type", "application/json"),
                ("Cookie", &format!("ms_session={cookie}")),
                ("X-CSRF-Token", csrf["csrf_token"].as_str().unwrap_or("")),
            ],
            r#"{"name":"ops test"}"#,
        );
        assert_eq!(status, 201, "{answer}");
        let token: serde_json::Value = serde_json::from_str(&answer).expect("token");
        token["token"].as_str().expect("token").to_string()
    }

    fn signal(&self, signal: &str) {
        Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
    }

    fn wait(mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A clue through the API: the clue's id when the server said so.
fn file_clue(server: &Server, token: &str, n: usize) -> Option<i64> {
    let body = format!(
        r#"{{"channel":"volunteer","description":"负载测试线索{n}","address":"负载楼{n}号","client_key":"load-{n}"}}"#
    );
    let (status, answer) = server.request(
        "POST",
        "/api/v1/clues",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &format!("Bearer {token}")),
        ],
        &body,
    );
    (status == 201)
        .then(|| serde_json::from_str::<serde_json::Value>(&answer).ok())
        .flatten()
        .and_then(|v| v["clue_id"].as_i64())
}

/// A whole year of holidays (made up for the test, complete).
const YEAR_2027: &str = include_str!("../../../tests/fixtures/calendar-2027.csv");

#[test]
fn the_calendar_says_when_a_year_is_missing_and_imports_whole_years() {
    let out = minsheng(&["calendar", "add-workdays", "2026-12-28", "5"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2027-01-04");
    assert!(String::from_utf8_lossy(&out.stderr).contains("2027"));
    let dir = scratch("calendar");
    let data = dir.to_str().expect("path");
    ok(&minsheng(&["migrate", "--data-dir", data]));
    // A partial year and a bad line are refused whole, with their places.
    let partial = dir.join("partial.csv");
    std::fs::write(
        &partial,
        "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-30,holiday,春节\n",
    )
    .expect("write");
    let out = minsheng(&[
        "calendar",
        "import",
        partial.to_str().expect("path"),
        "--data-dir",
        data,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("partial.csv:3:"), "{stderr}");
    let good = dir.join("2027.csv");
    std::fs::write(&good, YEAR_2027).expect("write");
    let out = minsheng(&[
        "calendar",
        "add-workdays",
        "2026-12-28",
        "5",
        "--data-dir",
        data,
    ]);
    assert_eq!(out.status.code(), Some(3), "nothing was imported");
    ok(&minsheng(&[
        "calendar",
        "import",
        good.to_str().expect("path"),
        "--data-dir",
        data,
    ]));
    let out = minsheng(&[
        "calendar",
        "add-workdays",
        "2026-12-28",
        "5",
        "--data-dir",
        data,
    ]);
    assert_eq!(ok(&out).trim(), "2027-01-05");
    // Jobs by hand: listed, run, recorded.
    let run = ok(&minsheng(&[
        "jobs",
        "run",
        "sessions-cleanup",
        "calendar-coverage",
        "--data-dir",
        data,
    ]));
    assert!(
        run.contains("sessions-cleanup") && run.contains("ok"),
        "{run}"
    );
    let list = ok(&minsheng(&["jobs", "list", "--json", "--data-dir", data]));
    let jobs: serde_json::Value = serde_json::from_str(list.trim()).expect("json");
    let cleanup = jobs
        .as_array()
        .and_then(|a| a.iter().find(|j| j["name"] == "sessions-cleanup"))
        .expect("listed");
    assert_eq!(cleanup["last_outcome"], "ok");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_config_file_is_checked_with_its_places() {
    let dir = scratch("config");
    std::fs::create_dir_all(&dir).expect("dir");
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        "[server]\nlisten = \"127.0.0.1:9000\"\nlog_format = \"json\"\n\n[jobs.every_secs]\nhotline-chase = 600\n\n[smtp]\nhost = \"mail.example.cn\"\nfrom = \"民生 <noreply@example.cn>\"\npassword = \"secret\"\n",
    )
    .expect("write");
    let out = ok(&minsheng(&[
        "config",
        "check",
        "--config",
        good.to_str().expect("path"),
    ]));
    assert!(out.contains("hotline-chase = 600"), "{out}");
    assert!(!out.contains("secret"), "secrets are hidden: {out}");
    // The shipped example is valid, and each of its keys is documented.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let example = format!("{root}/deploy/minsheng.toml");
    ok(&minsheng(&["config", "check", "--config", &example]));
    let docs = std::fs::read_to_string(format!("{root}/docs/operations.md")).expect("docs");
    let mut section = String::new();
    for line in std::fs::read_to_string(&example).expect("example").lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
        } else if let Some((key, _)) = line.split_once('=').filter(|_| !line.starts_with('#')) {
            let key = if section == "jobs.every_secs" {
                "jobs.every_secs.NAME".to_string()
            } else {
                format!("{section}.{}", key.trim())
            };
            assert!(
                docs.contains(&format!("`{key}`")),
                "{key} is not in docs/operations.md"
            );
        }
    }
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[server]\nlisten = \"127.0.0.1:9000\"\nlistne = 1\n").expect("write");
    let out = minsheng(&["config", "check", "--config", bad.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.toml:3:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_every_committed_row_and_nothing_half_written() {
    let dir = demo("backup", "150");
    let data = dir.to_str().expect("path").to_string();
    let server = Server::start(&["--data-dir", &data]);
    let token = server.token(&dir, "banan.volunteer");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(Instant, i64)>::new()));
    let writer = {
        let (stop, acked, token) = (stop.clone(), acked.clone(), token.clone());
        let port = server.port;
        std::thread::spawn(move || {
            let s = Server {
                child: Command::new("true").spawn().expect("placeholder"),
                port,
            };
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(id) = file_clue(&s, &token, n) {
                    acked.lock().expect("lock").push((Instant::now(), id));
                }
                n += 1;
            }
        })
    };
    std::thread::sleep(Duration::from_millis(800));
    let snapshot = dir.with_extension("snapshot.sqlite");
    let _ = std::fs::remove_file(&snapshot);
    let started = Instant::now();
    let out = ok(&minsheng(&[
        "backup",
        "--out",
        snapshot.to_str().expect("path"),
        "--data-dir",
        &data,
    ]));
    assert!(out.contains("integrity ok"), "{out}");
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().expect("writer");
    drop(server);
    let restored = dir.with_extension("restored");
    let _ = std::fs::remove_dir_all(&restored);
    let out = ok(&minsheng(&[
        "restore",
        snapshot.to_str().expect("path"),
        "--data-dir",
        restored.to_str().expect("path"),
    ]));
    assert!(out.contains("clues"), "{out}");
    // Every clue the server had acknowledged before the backup began is in the snapshot.
    let before: Vec<i64> = acked
        .lock()
        .expect("lock")
        .iter()
        .filter(|(at, _)| *at < started)
        .map(|(_, id)| *id)
        .collect();
    assert!(!before.is_empty(), "the load ran before the backup");
    let max_before = before.iter().copied().max().unwrap_or(0);
    let present = count(
        &restored,
        &format!(
            "SELECT COUNT(*) FROM clues WHERE id <= {max_before} AND client_key LIKE '%load-%'"
        ),
    )
    .await;
    assert!(
        present >= before.len() as i64,
        "{present} of {}",
        before.len()
    );
    // Nothing half-written: every clue in the snapshot has its lead and its audit row.
    let orphans = count(
        &restored,
        "SELECT COUNT(*) FROM clues k WHERE k.client_key LIKE '%load-%' AND (NOT EXISTS (SELECT 1 FROM leads l WHERE l.id = k.lead_id) \
         OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'clue.submit' AND a.subject_id = CAST(k.id AS TEXT)))",
    )
    .await;
    assert_eq!(orphans, 0);
    // A restore refuses a directory that holds anything.
    let out = minsheng(&[
        "restore",
        snapshot.to_str().expect("path"),
        "--data-dir",
        &data,
    ]);
    assert!(!out.status.success());
    for path in [&restored, &dir] {
        let _ = std::fs::remove_dir_all(path);
    }
    let _ = std::fs::remove_file(&snapshot);
}

/// With `--log-format json` every answer is one JSON line carrying its request id (the
/// proxy's own when it sent one), its route template, status and time — no path, no query.
#[test]
fn logs_are_json_lines_with_the_request_id() {
    let dir = demo("jsonlog", "20");
    let data = dir.to_str().expect("path").to_string();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let log = dir.with_extension("log");
    let child = Command::new(bin())
        .args([
            "serve",
            "--listen",
            &listen,
            "--data-dir",
            &data,
            "--no-jobs",
            "--log-format",
            "json",
        ])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("serve");
    let server = Server { child, port };
    let started = Instant::now();
    while server.get("/healthz").0 != 200 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, _) = server.request(
        "GET",
        "/persons?q=%E5%BC%A0%E4%B8%89",
        &[("X-Request-Id", "edge-7f3a")],
        "",
    );
    assert!(status == 303 || status == 401, "{status}");
    std::thread::sleep(Duration::from_millis(300));
    drop(server);
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let answer = lines
        .iter()
        .find(|l| l["request_id"] == "edge-7f3a")
        .unwrap_or_else(|| panic!("no line with the request id:\n{text}"));
    assert_eq!(answer["route"], "/persons");
    assert_eq!(answer["status"], status);
    assert!(answer["latency"].is_string(), "{answer}");
    assert!(
        !text.contains("张三") && !text.contains("%E5%BC%A0"),
        "a query reached the log"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&log);
}

#[test]
fn sigterm_answers_the_requests_in_flight_before_the_server_stops() {
    let dir = demo("sigterm", "30");
    let data = dir.to_str().expect("path").to_string();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    // With its jobs: they are let finish too.
    let child = Command::new(bin())
        .args(["serve", "--listen", &listen, "--data-dir", &data])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let server = Server { child, port };
    let started = Instant::now();
    while server.get("/healthz").0 != 200 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    // A request half sent when the signal comes...
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let body = r#"{"username":"nobody","password":"whatever-password"}"#;
    let head = format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("head");
    stream.write_all(&body.as_bytes()[..10]).expect("part");
    std::thread::sleep(Duration::from_millis(300));
    server.signal("-TERM");
    std::thread::sleep(Duration::from_millis(300));
    // ...is still answered.
    stream.write_all(&body.as_bytes()[10..]).expect("rest");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let status = server.wait(Duration::from_secs(30)).expect("stopped");
    assert!(status.success(), "{status:?}");
    // No job run was left marked running.
    let _ = std::fs::remove_dir_all(&dir);
}

/// A persons file of `n` rows with valid ID numbers (households of three).
fn persons_file(path: &Path, n: usize) {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let mut text = String::from("id_number,name,region_code,address,household_key,relation_code\n");
    for i in 0..n {
        let first17 = format!(
            "50011319{:02}{:02}{:02}{:03}",
            50 + (i / 20_000) % 40,
            1 + (i / 28) % 12,
            1 + i % 28,
            (i * 7) % 1000
        );
        let sum: u32 = first17
            .bytes()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        let id = format!("{first17}{}", CHECK[(sum % 11) as usize]);
        let relation = if i % 3 == 0 { "02" } else { "20" };
        text.push_str(&format!(
            "{id},导入{i},500113003002,导入路{}号,kill-{},{relation}\n",
            i / 3,
            i / 3
        ));
    }
    std::fs::write(path, text).expect("write");
}

/// A registry's first load sets its indexes aside inside its transaction: a kill at any
/// moment leaves no person and every index and trigger in place; the load run again completes
/// and its households are found through the full-text index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_first_load_leaves_the_registry_empty_and_indexed() {
    let pristine = scratch("first-load");
    let data = pristine.to_str().expect("path");
    for regions in ["chongqing.csv", "communities.csv"] {
        let path = format!(
            "{}/../../data/regions/{regions}",
            env!("CARGO_MANIFEST_DIR")
        );
        ok(&minsheng(&["import", "regions", &path, "--data-dir", data]));
    }
    let schema = "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('index', 'trigger')";
    let objects = count(&pristine, schema).await;
    let file = pristine.with_extension("first.csv");
    // More than one chunk (20,000 rows) of the pipeline.
    persons_file(&file, 30_000);
    for attempt in 0..4u64 {
        let dir = pristine.with_extension(format!("first-{attempt}"));
        copy_dir(&pristine, &dir);
        kill_9_after(
            &[
                "import",
                "persons",
                file.to_str().expect("path"),
                "--data-dir",
                dir.to_str().expect("path"),
            ],
            Duration::from_millis(200 + attempt * 500),
        );
        let persons = count(&dir, "SELECT COUNT(*) FROM persons").await;
        assert!(
            persons == 0 || persons == 30_000,
            "first load killed at {attempt}: {persons} persons"
        );
        assert_eq!(count(&dir, schema).await, objects, "indexes and triggers");
        let broken = count(
            &dir,
            "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'",
        )
        .await;
        assert_eq!(broken, 0);
        if attempt == 0 {
            ok(&minsheng(&[
                "import",
                "persons",
                file.to_str().expect("path"),
                "--data-dir",
                dir.to_str().expect("path"),
            ]));
            assert_eq!(count(&dir, "SELECT COUNT(*) FROM persons").await, 30_000);
            assert_eq!(count(&dir, schema).await, objects);
            let found = count(
                &dir,
                "SELECT COUNT(*) FROM households_fts WHERE households_fts MATCH '\"导入路9999号\"'",
            )
            .await;
            assert_eq!(found, 1, "the full-text index holds the first load");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir_all(&pristine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_an_import_a_screening_commit_or_a_backup_leaves_nothing_partial() {
    let pristine = demo("kill", "300");
    let file = pristine.with_extension("persons.csv");
    persons_file(&file, 6000);
    // Kills at different moments: each leaves all of the import or none of it.
    for attempt in 0..5u64 {
        let dir = pristine.with_extension(format!("kill-{attempt}"));
        copy_dir(&pristine, &dir);
        let before = count(&dir, "SELECT COUNT(*) FROM persons").await;
        kill_9_after(
            &[
                "import",
                "persons",
                file.to_str().expect("path"),
                "--data-dir",
                dir.to_str().expect("path"),
            ],
            Duration::from_millis(300 + attempt * 400),
        );
        let after = count(&dir, "SELECT COUNT(*) FROM persons").await;
        assert!(
            after == before || after == before + 6000,
            "import killed at {attempt}: {before} → {after}"
        );
        let check = count(
            &dir,
            "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'",
        )
        .await;
        assert_eq!(check, 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
    // A screening commit: the run, its clues and its hits, or nothing.
    let feed = pristine.with_extension("medical.csv");
    {
        let store = minsheng_store::Store::open(&format!(
            "sqlite://{}",
            pristine.join("minsheng.sqlite").display()
        ))
        .await
        .expect("open");
        let ids: Vec<(String,)> = minsheng_store::Conn::all(
            &mut store.reader(),
            minsheng_store::Sql::new(
                "SELECT p.id_number FROM persons p JOIN households h ON h.id = p.household_id ORDER BY p.id LIMIT 400",
            ),
        )
        .await
        .expect("ids");
        let mut text = String::from("id_number,admission_date,total_cost,self_pay,hospital\n");
        for (id,) in ids {
            text.push_str(&format!("{id},2026-06-01,80000,30000,重庆医院\n"));
        }
        std::fs::write(&feed, text).expect("feed");
    }
    let rules = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/rules/warnings.toml"
    );
    let screen = |dir: &Path| {
        Command::new(bin())
            .args([
                "screen",
                "--rules",
                rules,
                "--population",
                "registry",
                "--feed",
                &format!("medical={}", feed.display()),
                "--out",
                dir.join("out").to_str().expect("path"),
                "--commit",
                "--purpose",
                "kill test",
                "--json",
                "--data-dir",
                dir.to_str().expect("path"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("screen")
    };
    let whole = pristine.with_extension("screen-whole");
    copy_dir(&pristine, &whole);
    assert!(screen(&whole).wait().expect("wait").success());
    let filed = count(
        &whole,
        "SELECT COUNT(*) FROM clues WHERE channel = 'screening'",
    )
    .await;
    assert!(filed > 0, "the whole run files clues");
    let _ = std::fs::remove_dir_all(&whole);
    for attempt in 0..5u64 {
        let dir = pristine.with_extension(format!("screen-{attempt}"));
        copy_dir(&pristine, &dir);
        let mut child = screen(&dir);
        std::thread::sleep(Duration::from_millis(200 + attempt * 250));
        let _ = child.kill();
        let _ = child.wait();
        let clues = count(
            &dir,
            "SELECT COUNT(*) FROM clues WHERE channel = 'screening'",
        )
        .await;
        let runs = count(&dir, "SELECT COUNT(*) FROM screen_runs").await;
        assert!(
            (clues, runs) == (0, 0) || (clues, runs) == (filed, 1),
            "screening killed at {attempt}: {clues} clues, {runs} runs"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    // A backup: a checked snapshot under its name, or no file of that name at all.
    for attempt in 0..5u64 {
        let out = pristine.with_extension(format!("snap-{attempt}.sqlite"));
        let _ = std::fs::remove_file(&out);
        kill_9_after(
            &[
                "backup",
                "--out",
                out.to_str().expect("path"),
                "--data-dir",
                pristine.to_str().expect("path"),
            ],
            Duration::from_millis(20 + attempt * 60),
        );
        if out.exists() {
            let restored = pristine.with_extension(format!("restored-{attempt}"));
            let _ = std::fs::remove_dir_all(&restored);
            ok(&minsheng(&[
                "restore",
                out.to_str().expect("path"),
                "--data-dir",
                restored.to_str().expect("path"),
            ]));
            let _ = std::fs::remove_dir_all(&restored);
        }
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_file(out.with_extension("partial"));
    }
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&feed);
    let _ = std::fs::remove_dir_all(&pristine);
}

/// A private PostgreSQL server, started and stopped by the test (Debian's initdb and pg_ctl,
/// as the postgres user when the test runs as root).
struct PrivatePostgres {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
}

impl PrivatePostgres {
    fn start() -> Option<PrivatePostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists())?;
        let dir = scratch("pg");
        std::fs::create_dir_all(&dir).ok()?;
        let port = free_port();
        let as_postgres = |program: &Path, args: &[&str]| -> bool {
            let root = Command::new("id")
                .arg("-u")
                .output()
                .ok()
                .is_some_and(|o| o.stdout.starts_with(b"0"));
            let status = if root {
                Command::new("runuser")
                    .args(["-u", "postgres", "--"])
                    .arg(program)
                    .args(args)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
            } else {
                Command::new(program)
                    .args(args)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
            };
            status.is_ok_and(|s| s.success())
        };
        let _ = Command::new("chown")
            .args(["postgres:postgres", dir.to_str()?])
            .status();
        let data = dir.join("data");
        if !as_postgres(
            &bin.join("initdb"),
            &["-D", data.to_str()?, "-A", "trust", "-U", "postgres"],
        ) {
            return None;
        }
        let pg = PrivatePostgres { dir, port, bin };
        pg.ctl("start").then_some(pg)
    }

    fn ctl(&self, what: &str) -> bool {
        let data = self.dir.join("data");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let root = Command::new("id")
            .arg("-u")
            .output()
            .ok()
            .is_some_and(|o| o.stdout.starts_with(b"0"));
        let mut command = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"));
            c
        } else {
            Command::new(self.bin.join("pg_ctl"))
        };
        command
            .args([
                "-D",
                data.to_str().unwrap_or(""),
                "-w",
                "-m",
                "fast",
                "-o",
                &options,
                what,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.ctl("stop");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn postgres_stopping_under_load_answers_503_and_then_carries_on_losing_nothing() {
    let Some(pg) = PrivatePostgres::start() else {
        eprintln!("no initdb here: skipped");
        return;
    };
    let dir = scratch("pgdemo");
    let data = dir.to_str().expect("path").to_string();
    let url = pg.url();
    ok(&minsheng(&[
        "demo",
        "--households",
        "60",
        "--no-serve",
        "--data-dir",
        &data,
        "--database-url",
        &url,
    ]));
    let server = Server::start(&["--data-dir", &data, "--database-url", &url]);
    let token = server.token(&dir, "banan.volunteer");
    let mut acked = Vec::new();
    for n in 0..20 {
        acked.extend(file_clue(&server, &token, n));
    }
    assert_eq!(acked.len(), 20);
    assert!(pg.ctl("stop"));
    // Down: refused with 503 (not 500), the server stays up.
    let mut statuses = Vec::new();
    for n in 20..26 {
        let body =
            format!(r#"{{"channel":"volunteer","description":"停机期间{n}","address":"停机楼"}}"#);
        let (status, _) = server.request(
            "POST",
            "/api/v1/clues",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &format!("Bearer {token}")),
            ],
            &body,
        );
        statuses.push(status);
    }
    assert!(statuses.iter().all(|s| *s == 503), "{statuses:?}");
    assert_eq!(server.get("/healthz").0, 503);
    assert!(pg.ctl("start"));
    // Back: the same server answers again, and every acknowledged write is there.
    let started = Instant::now();
    let mut again = None;
    while again.is_none() && started.elapsed() < Duration::from_secs(30) {
        again = file_clue(&server, &token, 100);
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(again.is_some(), "the server did not come back");
    // The reporter's clues, page after page.
    let mut body = String::new();
    for page in 1..=50 {
        let (status, text) = server.request(
            "GET",
            &format!("/api/v1/clues/mine?page={page}"),
            &[("Authorization", &format!("Bearer {token}"))],
            "",
        );
        assert_eq!(status, 200, "{text}");
        body.push_str(&text);
        if !text.contains("\"has_next\":true") {
            break;
        }
    }
    for id in &acked {
        assert!(body.contains(&format!("\"id\":{id}")), "clue {id} was lost");
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `screen` reads dates and amounts as departments write them; a row with a cell nobody could
/// read is counted as rejected and listed in `rejected.csv` by file, line, column and reason.
#[test]
fn screening_lists_each_unreadable_cell_by_line_and_column() {
    let dir = scratch("screen-cells");
    ok(&minsheng(&[
        "synth",
        "population",
        "--persons",
        "2000",
        "--seed",
        "5",
        "--out",
        dir.to_str().expect("path"),
    ]));
    let first_id = std::fs::read_to_string(dir.join("population.csv"))
        .expect("population")
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next().map(str::to_string))
        .expect("a person");
    let feed = dir.join("medical.csv");
    std::fs::write(
        &feed,
        format!(
            "id_number,admission_date,total_cost,self_pay,hospital\n\
             {first_id},2026年10月10日,5万,3.8万元,市人民医院\n\
             {first_id},2026-13-40,100,50,区医院\n\
             {first_id},2026-10-10 08:30:00,5万五,50,区医院\n"
        ),
    )
    .expect("feed");
    let out_dir = dir.join("out");
    let out = ok(&minsheng(&[
        "screen",
        "--rules",
        dir.join("rules.toml").to_str().expect("path"),
        "--population",
        dir.join("population.csv").to_str().expect("path"),
        "--feed",
        &format!("medical={}", feed.display()),
        "--out",
        out_dir.to_str().expect("path"),
        "--json",
    ]));
    let summary: serde_json::Value =
        serde_json::from_str(out.lines().last().expect("summary")).expect("JSON");
    let medical = &summary["feeds"]["medical"];
    assert_eq!(
        (&medical["rows"], &medical["matched"], &medical["rejected"]),
        (&3.into(), &1.into(), &2.into()),
        "{summary}"
    );
    let rejected = std::fs::read_to_string(out_dir.join("rejected.csv")).expect("rejected.csv");
    let unquoted = rejected.replace('"', "");
    let lines: Vec<&str> = unquoted.lines().collect();
    assert_eq!(lines[0], "file,line,column,reason");
    assert!(
        lines[1].starts_with("medical,3,admission_date,") && lines[1].contains("2026-13-40"),
        "{rejected}"
    );
    assert!(
        lines[2].starts_with("medical,4,total_cost,") && lines[2].contains("5万五"),
        "{rejected}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
