//! `minsheng resources bench`: concurrent donors and matchers against the appeals' ledgers and
//! an offer's capacity, through the product's use cases (guarded updates), side by side with the
//! usual read-check-write of an ORM ("load the row, check, save the new totals"). Prints how
//! many entries passed, how fast, and whether every ledger still reconciles and no offer was
//! overdrawn.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, anyhow};
use minsheng_app::registry::ListQuery;
use minsheng_app::resources::{AppealInput, Entry, MatchInput, OfferInput, ProviderInput};
use minsheng_app::{Actor, App, AppError};
use minsheng_store::{Conn, Sql, vals};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What the benchmark is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct BenchOptions {
    pub appeals: usize,
    pub workers: usize,
    pub entries: usize,
    pub matches: usize,
    pub capacity: usize,
}

/// How one way of writing fared.
#[derive(Debug, Default, serde::Serialize)]
pub struct Outcome {
    pub mode: &'static str,
    pub attempts: usize,
    pub accepted: usize,
    pub refused: usize,
    pub errors: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Ledger: appeals whose totals still equal their entries' sums (of all appeals).
    pub reconciled: usize,
    pub of: usize,
    /// Ledger: |totals − entries| summed over the appeals, in yuan.
    pub drift_yuan: f64,
    /// Capacity: matched beyond what the offer had.
    pub overdrawn: f64,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Guarded,
    ReadCheckWrite,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Guarded => "minsheng (guarded update)",
            Mode::ReadCheckWrite => "read-check-write",
        }
    }
}

enum Done {
    Accepted,
    Refused,
    Error,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

/// Runs `attempts` operations on `workers` tasks; (results, latencies in ms, seconds).
async fn run<F, Fut>(workers: usize, attempts: usize, op: F) -> Result<(Vec<Done>, Vec<f64>, f64)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Done> + Send,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut i = w;
            while i < attempts {
                let t = Instant::now();
                let done = op(i).await;
                out.push((done, t.elapsed().as_secs_f64() * 1000.0));
                i += workers;
            }
            out
        }));
    }
    let mut results = Vec::with_capacity(attempts);
    let mut latencies = Vec::with_capacity(attempts);
    for task in tasks {
        for (done, ms) in task.await.map_err(|e| anyhow!("a worker failed: {e}"))? {
            results.push(done);
            latencies.push(ms);
        }
    }
    latencies.sort_by(f64::total_cmp);
    Ok((results, latencies, started.elapsed().as_secs_f64()))
}

fn outcome(mode: Mode, (results, latencies, seconds): (Vec<Done>, Vec<f64>, f64)) -> Outcome {
    let count = |f: fn(&Done) -> bool| results.iter().filter(|d| f(d)).count();
    Outcome {
        mode: mode.name(),
        attempts: results.len(),
        accepted: count(|d| matches!(d, Done::Accepted)),
        refused: count(|d| matches!(d, Done::Refused)),
        errors: count(|d| matches!(d, Done::Error)),
        per_second: results.len() as f64 / seconds.max(1e-9),
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        ..Outcome::default()
    }
}

fn classify<T>(r: Result<T, AppError>) -> Done {
    match r {
        Ok(_) => Done::Accepted,
        Err(AppError::Invalid(_)) => Done::Refused,
        Err(_) => Done::Error,
    }
}

/// The entry an operation makes: pledges, receipts and disbursements in proportion 9:7:4.
fn draw(seed: usize, appeals: usize) -> (usize, Entry, i64) {
    let mut rng = StdRng::seed_from_u64(seed as u64);
    let entry = match rng.random_range(0..20) {
        0..9 => Entry::Pledge,
        9..16 => Entry::Receipt,
        _ => Entry::Disbursement,
    };
    (
        rng.random_range(0..appeals),
        entry,
        rng.random_range(1..=500),
    )
}

/// The ORM way: read the totals, check them here, then save the new totals with the entry.
async fn read_check_write(app: &App, appeal: i64, entry: Entry, yuan: i64) -> Done {
    let fen = yuan * 100;
    let read = minsheng_store::resources::appeal(&mut app.store().reader(), appeal).await;
    let Ok(Some(a)) = read else {
        return Done::Error;
    };
    let (column, new_value, fits) = match entry {
        Entry::Pledge => ("pledged_fen", a.pledged_fen + fen, a.state == "open"),
        Entry::Receipt => (
            "received_fen",
            a.received_fen + fen,
            a.received_fen + fen <= a.pledged_fen,
        ),
        _ => (
            "disbursed_fen",
            a.disbursed_fen + fen,
            a.disbursed_fen + fen <= a.received_fen,
        ),
    };
    if !fits {
        return Done::Refused;
    }
    save(
        app,
        [
            Sql::with(
                &format!("UPDATE appeals SET {column} = $1 WHERE id = $2"),
                vals![new_value, appeal],
            ),
            Sql::with(
                "INSERT INTO appeal_entries (appeal_id, kind, amount_fen, note, at) VALUES ($1, $2, $3, '', 0)",
                vals![appeal, entry.code(), fen],
            ),
        ],
    )
    .await
}

/// Writes the statements in one transaction, as the read-check-write saves its change.
async fn save(app: &App, statements: [Sql; 2]) -> Done {
    let write = async {
        let mut tx = app.store().begin().await?;
        for statement in statements {
            tx.execute(statement).await?;
        }
        tx.commit().await?;
        Ok::<(), minsheng_store::StoreError>(())
    };
    match write.await {
        Ok(()) => Done::Accepted,
        Err(_) => Done::Error,
    }
}

/// The ORM way for capacity: read what is left, check, save the new remainder with the match.
async fn take_read_check_write(app: &App, offer: i64, household: i64, region: i64) -> Done {
    let read = minsheng_store::resources::offer(&mut app.store().reader(), offer).await;
    let Ok(Some(o)) = read else {
        return Done::Error;
    };
    if o.remaining < 1.0 {
        return Done::Refused;
    }
    save(
        app,
        [
            Sql::with(
                "UPDATE resource_offers SET remaining = $1 WHERE id = $2",
                vals![Some(o.remaining - 1.0), offer],
            ),
            Sql::with(
                "INSERT INTO resource_matches (offer_id, household_id, region_code, need, quantity, state, consent_by, \
                 consent_at, created_at) VALUES ($1, $2, $3, 'bench', $4, 'confirmed', 'bench', 0, 0)",
                vals![offer, household, region, Some(1.0)],
            ),
        ],
    )
    .await
}

pub async fn bench(app: &App, actor: &Actor, o: BenchOptions) -> Result<Vec<Outcome>> {
    let error = |e: AppError| anyhow!("{e}");
    let households = app
        .list_households(
            actor,
            &ListQuery {
                per_page: 100,
                ..ListQuery::default()
            },
        )
        .await
        .map_err(error)?
        .items;
    if households.is_empty() {
        return Err(anyhow!(
            "no households: run `minsheng demo --no-serve` on this database first"
        ));
    }
    let donor = app
        .register_provider(
            actor,
            &ProviderInput {
                name: "压力测试捐赠方".into(),
                kind: "charity".into(),
                region: "500000000000".into(),
                contact: String::new(),
                unit_id: None,
            },
        )
        .await
        .map_err(error)?;
    let today = app.today();
    let mut out = Vec::new();
    for mode in [Mode::Guarded, Mode::ReadCheckWrite] {
        // The ledgers: fresh appeals, then concurrent pledges, receipts and disbursements.
        let mut appeals = Vec::new();
        for i in 0..o.appeals {
            let household = &households[i % households.len()];
            let id = app
                .open_appeal(
                    actor,
                    &AppealInput {
                        household_id: household.id,
                        title: format!("压力测试众筹 {i}"),
                        target_yuan: 100_000_000.0,
                        ends_on: (today + time::Duration::days(30)).to_string(),
                        surplus_rule: "转入临时救助备用金".into(),
                    },
                )
                .await
                .map_err(error)?;
            appeals.push(id);
        }
        let shared = Arc::new((app.clone(), actor.clone(), appeals.clone()));
        let count = o.appeals;
        let timed = run(o.workers, o.entries, move |i| {
            let shared = shared.clone();
            async move {
                let (app, actor, appeals) = &*shared;
                let (which, entry, yuan) = draw(i, count);
                match mode {
                    Mode::Guarded => {
                        let donor = (entry != Entry::Disbursement).then_some(donor);
                        classify(
                            app.appeal_entry(actor, appeals[which], entry, donor, yuan as f64, "")
                                .await,
                        )
                    }
                    Mode::ReadCheckWrite => {
                        read_check_write(app, appeals[which], entry, yuan).await
                    }
                }
            }
        })
        .await?;
        let mut ledger = outcome(mode, timed);
        ledger.of = appeals.len();
        for id in &appeals {
            let mut c = app.store().reader();
            let a = minsheng_store::resources::appeal(&mut c, *id)
                .await?
                .ok_or_else(|| anyhow!("appeal {id} vanished"))?;
            let (pledged, received, disbursed, surplus) =
                minsheng_store::resources::ledger_sums(&mut c, *id).await?;
            let drift = (a.pledged_fen - pledged).abs()
                + (a.received_fen - received).abs()
                + (a.disbursed_fen - disbursed - surplus).abs();
            if drift == 0 && a.received_fen <= a.pledged_fen && a.disbursed_fen <= a.received_fen {
                ledger.reconciled += 1;
            }
            ledger.drift_yuan += drift as f64 / 100.0;
        }
        out.push(ledger);

        // The capacity: one offer, more matches asked than it holds.
        let offer = app
            .add_offer(
                actor,
                &OfferInput {
                    provider_id: donor,
                    kind: "goods".into(),
                    what: format!("压力测试物资 {}", mode.name()),
                    description: String::new(),
                    region: "500000000000".into(),
                    capacity: o.capacity as f64,
                    unit: "items".into(),
                    valid_until: None,
                },
            )
            .await
            .map_err(error)?;
        let picks: Vec<(i64, i64)> = households
            .iter()
            .map(|h| {
                let region = h.region_code.parse::<i64>().unwrap_or_default();
                (h.id, region)
            })
            .collect();
        let shared = Arc::new((app.clone(), actor.clone(), picks));
        let timed = run(o.workers, o.matches, move |i| {
            let shared = shared.clone();
            async move {
                let (app, actor, picks) = &*shared;
                let (household, region) = picks[i % picks.len()];
                match mode {
                    Mode::Guarded => classify(
                        app.match_offer(
                            actor,
                            &MatchInput {
                                offer_id: offer,
                                household_id: household,
                                need: "压力测试".into(),
                                quantity: 1.0,
                                consent_by: "户主本人".into(),
                            },
                        )
                        .await,
                    ),
                    Mode::ReadCheckWrite => {
                        take_read_check_write(app, offer, household, region).await
                    }
                }
            }
        })
        .await?;
        let mut capacity = outcome(mode, timed);
        capacity.overdrawn = (capacity.accepted as f64 - o.capacity as f64).max(0.0);
        out.push(capacity);
    }
    Ok(out)
}

pub fn print(outcomes: &[Outcome], o: BenchOptions) {
    say!(
        "ledgers: {} appeals, {} entries on {} workers; capacity: {} matches asked of {}",
        o.appeals,
        o.entries,
        o.workers,
        o.matches,
        o.capacity
    );
    for (i, r) in outcomes.iter().enumerate() {
        let what = if i % 2 == 0 { "ledger  " } else { "capacity" };
        say!(
            "{what} {:<26} {:>6} passed {:>6} refused {:>5} errors  {:>7.0}/s  p50 {:>6.2} ms  p99 {:>7.2} ms  {}",
            r.mode,
            r.accepted,
            r.refused,
            r.errors,
            r.per_second,
            r.p50_ms,
            r.p99_ms,
            if i % 2 == 0 {
                format!(
                    "reconciled {}/{} drift ¥{:.2}",
                    r.reconciled, r.of, r.drift_yuan
                )
            } else {
                format!("overdrawn {}", r.overdrawn)
            }
        );
    }
}
