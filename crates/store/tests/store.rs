//! Store tests, each run on SQLite and on PostgreSQL (a fresh database per test).

use minsheng_store::regions::{self, RegionRow};
use minsheng_store::registry::{self, ListFilter, NewPerson};
use minsheng_store::testing::fresh_store;
use minsheng_store::{Backend, Conn, Scope, Sql, Store, StoreError, audit};

minsheng_store::on_both_backends!(
    migrations_are_idempotent,
    region_upsert_reports_changes_and_zones_scope_their_towns,
    scoped_reads_never_return_rows_outside_the_scope,
    optimistic_locking_refuses_a_stale_save,
    moves_keep_membership_history,
    audit_log_is_append_only,
    counts_stop_at_the_cap,
    concurrent_read_then_write_transactions_all_succeed,
);

async fn store(backend: Backend) -> Store {
    fresh_store(backend).await.expect("fresh store").0
}

fn region(code: i64, name: &str, parent: Option<i64>, level: &str) -> RegionRow {
    RegionRow {
        code,
        name: name.into(),
        parent_code: parent,
        level: level.into(),
        official: true,
    }
}

const CQ: i64 = 500_000_000_000;
const BANAN: i64 = 500_113_000_000;
const BANAN_TOWN: i64 = 500_113_001_000;
const BANAN_COMMUNITY: i64 = 500_113_001_001;
const YUBEI: i64 = 500_112_000_000;
const YUBEI_TOWN: i64 = 500_112_009_000;
const ZONE: i64 = 509_001_000_000;

fn everything() -> Scope {
    Scope::from_ranges(vec![(CQ, CQ + 99_999_999_999)])
}

async fn seed_regions(s: &Store) {
    let mut tx = s.begin().await.expect("begin");
    for r in [
        region(CQ, "重庆市", None, "province"),
        region(BANAN, "巴南区", Some(CQ), "district"),
        region(BANAN_TOWN, "鱼洞街道", Some(BANAN), "town"),
        region(BANAN_COMMUNITY, "社区一", Some(BANAN_TOWN), "community"),
        region(YUBEI, "渝北区", Some(CQ), "district"),
        region(YUBEI_TOWN, "人和街道", Some(YUBEI), "town"),
        region(ZONE, "两江新区", Some(CQ), "zone"),
    ] {
        regions::upsert(&mut tx, &r).await.expect("upsert");
    }
    regions::set_zone_members(&mut tx, ZONE, &[YUBEI_TOWN])
        .await
        .expect("zone");
    tx.commit().await.expect("commit");
}

async fn add_household(s: &Store, region_code: i64, id_number: &str) -> (i64, i64) {
    let mut tx = s.begin().await.expect("begin");
    let h = registry::insert_household(&mut tx, None, region_code, "某路1号", 1)
        .await
        .expect("household");
    let p = registry::insert_person(
        &mut tx,
        &NewPerson {
            id_number,
            name: "张三",
            sex: "male",
            birth_date: "1980-01-01",
            phone: None,
            region_code,
            now: 1,
        },
    )
    .await
    .expect("person");
    registry::move_person(&mut tx, &everything(), p, Some((h, "02")), 1, "")
        .await
        .expect("move");
    registry::set_head(&mut tx, &everything(), h, Some(p), 1)
        .await
        .expect("head");
    tx.commit().await.expect("commit");
    (h, p)
}

async fn migrations_are_idempotent(backend: Backend) {
    let s = store(backend).await;
    s.migrate().await.expect("second migrate is a no-op");
    assert!(s.ping().await);
}

async fn region_upsert_reports_changes_and_zones_scope_their_towns(backend: Backend) {
    let s = store(backend).await;
    seed_regions(&s).await;
    let mut tx = s.begin().await.expect("begin");
    let same = region(BANAN, "巴南区", Some(CQ), "district");
    assert!(
        !regions::upsert(&mut tx, &same).await.expect("upsert"),
        "unchanged row"
    );
    let renamed = region(BANAN, "巴南", Some(CQ), "district");
    assert!(
        regions::upsert(&mut tx, &renamed).await.expect("upsert"),
        "renamed row"
    );
    tx.commit().await.expect("commit");

    let scope = regions::scope_of(&mut s.reader(), ZONE)
        .await
        .expect("scope");
    assert!(scope.contains(YUBEI_TOWN + 5));
    assert!(!scope.contains(BANAN_COMMUNITY));
    assert!(
        !scope.contains(YUBEI + 1_000),
        "another town of 渝北区 is not in the zone"
    );
    let district = regions::scope_of(&mut s.reader(), BANAN)
        .await
        .expect("scope");
    assert!(district.contains(BANAN_COMMUNITY));
    let missing = regions::scope_of(&mut s.reader(), 500_199_000_000)
        .await
        .expect("scope");
    assert_eq!(missing, Scope::nothing());
}

async fn scoped_reads_never_return_rows_outside_the_scope(backend: Backend) {
    let s = store(backend).await;
    seed_regions(&s).await;
    let (inside, inside_person) = add_household(&s, BANAN_COMMUNITY, "50011319800101001X").await;
    let (outside, outside_person) = add_household(&s, YUBEI_TOWN, "500112198001010025").await;
    let banan = regions::scope_of(&mut s.reader(), BANAN)
        .await
        .expect("scope");
    let mut r = s.reader();
    assert!(
        registry::household(&mut r, &banan, inside)
            .await
            .expect("read")
            .is_some()
    );
    assert!(
        registry::household(&mut r, &banan, outside)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        registry::person(&mut r, &banan, inside_person)
            .await
            .expect("read")
            .is_some()
    );
    assert!(
        registry::person(&mut r, &banan, outside_person)
            .await
            .expect("read")
            .is_none()
    );
    let filter = ListFilter {
        limit: 50,
        ..ListFilter::default()
    };
    let listed = registry::list_households(&mut r, &banan, &filter)
        .await
        .expect("list");
    assert_eq!(
        listed.iter().map(|h| h.id).collect::<Vec<_>>(),
        vec![inside]
    );
    let nothing = registry::list_households(&mut r, &Scope::nothing(), &filter)
        .await
        .expect("list");
    assert!(nothing.is_empty());
    // A search by ID number outside the scope finds nothing.
    let by_id = ListFilter {
        id_number: Some("500112198001010025".into()),
        limit: 50,
        ..ListFilter::default()
    };
    assert!(
        registry::list_households(&mut r, &banan, &by_id)
            .await
            .expect("list")
            .is_empty()
    );
    // LIKE wildcards in a search are literal.
    let wildcard = ListFilter {
        text: Some("%".into()),
        limit: 50,
        ..ListFilter::default()
    };
    assert!(
        registry::list_households(&mut r, &banan, &wildcard)
            .await
            .expect("list")
            .is_empty()
    );
}

async fn optimistic_locking_refuses_a_stale_save(backend: Backend) {
    let s = store(backend).await;
    seed_regions(&s).await;
    let (h, _) = add_household(&s, BANAN_COMMUNITY, "50011319800101001X").await;
    let everything = Scope::from_ranges(vec![(CQ, CQ + 99_999_999_999)]);
    let version = registry::household(&mut s.reader(), &everything, h)
        .await
        .expect("read")
        .expect("exists")
        .version;
    let mut tx = s.begin().await.expect("begin");
    registry::update_household(
        &mut tx,
        &everything,
        h,
        version,
        BANAN_COMMUNITY,
        "新地址",
        2,
    )
    .await
    .expect("first save");
    let second = registry::update_household(
        &mut tx,
        &everything,
        h,
        version,
        BANAN_COMMUNITY,
        "另一个地址",
        3,
    )
    .await;
    assert!(matches!(second, Err(StoreError::Stale)), "{second:?}");
    tx.commit().await.expect("commit");
    let saved = registry::household(&mut s.reader(), &everything, h)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(saved.address, "新地址");
}

async fn moves_keep_membership_history(backend: Backend) {
    let s = store(backend).await;
    seed_regions(&s).await;
    let (first, person) = add_household(&s, BANAN_COMMUNITY, "50011319800101001X").await;
    let (second, _) = add_household(&s, YUBEI_TOWN, "500112198001010025").await;
    let mut tx = s.begin().await.expect("begin");
    // Nobody moves a person across areas: not out of another area, not into one.
    let banan = Scope::from_ranges(vec![(BANAN, BANAN + 999_999)]);
    let yubei = Scope::from_ranges(vec![(YUBEI, YUBEI + 999_999)]);
    for scope in [&banan, &yubei] {
        let refused =
            registry::move_person(&mut tx, scope, person, Some((second, "70")), 5, "taken").await;
        assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    }
    let moved = registry::move_person(
        &mut tx,
        &everything(),
        person,
        Some((second, "70")),
        5,
        "moved",
    )
    .await
    .expect("move")
    .expect("a move");
    assert_eq!(
        (
            moved.from_household,
            moved.from_region,
            moved.to_household,
            moved.to_region
        ),
        (Some(first), BANAN_COMMUNITY, Some(second), YUBEI_TOWN)
    );
    assert!(
        registry::move_person(
            &mut tx,
            &everything(),
            person,
            Some((second, "70")),
            6,
            "again"
        )
        .await
        .expect("no-op")
        .is_none()
    );
    tx.commit().await.expect("commit");
    // Seen from Yubei, the past household in Banan keeps its address to itself.
    let seen_from_yubei = registry::membership_history(&mut s.reader(), &yubei, person)
        .await
        .expect("history");
    assert_eq!(seen_from_yubei.len(), 2);
    assert_eq!(seen_from_yubei[0].address, "");
    assert!(
        registry::membership_history(&mut s.reader(), &banan, person)
            .await
            .expect("history")
            .is_empty(),
        "the person now lives outside Banan"
    );
    let history = registry::membership_history(&mut s.reader(), &everything(), person)
        .await
        .expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].household_id, first);
    assert_eq!(history[0].left_at, Some(5));
    assert_eq!(history[1].household_id, second);
    assert_eq!(history[1].left_at, None);
    let everything = Scope::from_ranges(vec![(CQ, CQ + 99_999_999_999)]);
    let moved = registry::person(&mut s.reader(), &everything, person)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        moved.region_code, YUBEI_TOWN,
        "a person lives where their household lives"
    );
    let old = registry::household(&mut s.reader(), &everything, first)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        old.head_person_id, None,
        "a head who leaves stops being head"
    );
}

async fn audit_log_is_append_only(backend: Backend) {
    let s = store(backend).await;
    let mut tx = s.begin().await.expect("begin");
    audit::append(
        &mut tx,
        &audit::NewAudit {
            at: 1,
            user_id: None,
            username: "tester",
            ip: "127.0.0.1",
            action: "household.read",
            subject_kind: "household",
            subject_id: "1",
            allowed: true,
            detail: "",
        },
    )
    .await
    .expect("append");
    tx.commit().await.expect("commit");
    for statement in [
        "UPDATE audit_log SET username = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let mut tx = s.begin().await.expect("begin");
        let result = tx.execute(Sql::new(statement)).await;
        assert!(result.is_err(), "{statement} must be refused");
    }
    assert_eq!(audit::count(&mut s.reader()).await.expect("count"), 1);
}

async fn counts_stop_at_the_cap(backend: Backend) {
    let s = store(backend).await;
    seed_regions(&s).await;
    let mut tx = s.begin().await.expect("begin");
    let rows = (0..30)
        .map(|i| {
            vec![
                minsheng_store::Value::Int(BANAN_COMMUNITY),
                minsheng_store::Value::Text(format!("{i}号")),
                minsheng_store::Value::Int(1),
                minsheng_store::Value::Int(1),
            ]
        })
        .collect();
    minsheng_store::insert_rows(
        &mut tx,
        "households",
        &["region_code", "address", "created_at", "updated_at"],
        rows,
    )
    .await
    .expect("bulk insert");
    tx.commit().await.expect("commit");
    let scope = regions::scope_of(&mut s.reader(), BANAN)
        .await
        .expect("scope");
    let filter = ListFilter::default();
    assert_eq!(
        registry::count_households(&mut s.reader(), &scope, &filter, 10)
            .await
            .expect("count"),
        10
    );
    assert_eq!(
        registry::count_households(&mut s.reader(), &scope, &filter, 100)
            .await
            .expect("count"),
        30
    );
}

async fn concurrent_read_then_write_transactions_all_succeed(backend: Backend) {
    let s = store(backend).await;
    seed_regions(&s).await;
    let (h, _) = add_household(&s, BANAN_COMMUNITY, "50011319800101001X").await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            // Read, then write, in one transaction: the pattern that hits SQLITE_BUSY without BEGIN IMMEDIATE.
            let mut tx = s.begin().await?;
            let (n,): (i64,) = tx
                .one(Sql::with(
                    "SELECT version FROM households WHERE id = $1",
                    minsheng_store::vals![h],
                ))
                .await?;
            assert!(n >= 2);
            tx.execute(Sql::with(
                "UPDATE households SET version = version + 1, address = $1 WHERE id = $2",
                minsheng_store::vals![format!("{i}"), h],
            ))
            .await?;
            tx.commit().await
        }));
    }
    for t in tasks {
        t.await.expect("join").expect("no busy error");
    }
    let (version,): (i64,) = s
        .reader()
        .one(Sql::with(
            "SELECT version FROM households WHERE id = $1",
            minsheng_store::vals![h],
        ))
        .await
        .expect("read");
    assert_eq!(
        version,
        2 + 40,
        "every increment landed (version 2 after set_head, then 40 writers)"
    );
}
