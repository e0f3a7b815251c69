//! Storage on every backend: migrations up/down/up, a round trip per record kind,
//! constraint violations as typed errors, scope loading, and racing writers.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use matcher::validate::{RawBackgroundCheck, RawNeed, RawOpening, RawPlace, RawStudent, RawWindow};
use migrations::SchemaManager;
use migrations::{DOMAIN_TABLES, Migrator, MigratorTrait};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait, TransactionTrait};
use store::entity::{audit_log, declined_pairs, feedback, openings, students};
use store::matches::{get, propose, transition};
use store::records::{
    Agreement, District, Feedback, Guardian, Kind, MatchStatus, NewMatch, Opening, Partner, PartnerKind,
    PartnerStatus, Role, School, Student, Visibility, Window,
};
use store::scope::{Scope, load_scope};
use store::write::{
    save_agreements, save_district, save_feedback, save_openings, save_partners, save_schools, save_students,
};
use store::{Conflict, ConstraintKind, Location, Store, StoreError, read};

use crate::db::{TestDb, backends};

pub(crate) fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 14, 12, 0, 0).unwrap()
}

pub(crate) fn raw_window(day: &str, start: &str, end: &str) -> RawWindow {
    RawWindow { day: day.into(), start: start.into(), end: end.into() }
}

pub(crate) fn window(day: &str, start: &str, end: &str) -> Window {
    matcher::record::parse_window("window", &raw_window(day, start, end)).unwrap()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

pub(crate) fn partner(id: &str) -> Partner {
    Partner {
        id: id.into(),
        name: format!("Partner {id}"),
        kind: PartnerKind::Nonprofit,
        status: PartnerStatus::Active,
        contact_name: Some("Ada Okafor".into()),
        contact_email: Some(format!("{id}@example.org")),
        contact_phone: None,
    }
}

pub(crate) fn opening(id: &str, partner: &str, capacity: i64) -> Opening {
    let matching = store::write::parse_opening(&raw_opening(id, partner, capacity)).unwrap();
    Opening { title: Some(format!("Opening {id}")), matching }
}

pub(crate) fn raw_opening(id: &str, partner: &str, capacity: i64) -> RawOpening {
    RawOpening {
        id: id.into(),
        partner_id: partner.into(),
        kind: "TUTORING".into(),
        subjects: strings(&["algebra", "geometry"]),
        languages: strings(&["en", "es"]),
        r#virtual: Some(false),
        place: Some(RawPlace { lat: 41.902, lon: -87.651 }),
        pickup_radius_km: Some(2.5),
        schedule: vec![raw_window("TUE", "16:00", "18:00"), raw_window("THU", "16:00", "18:00")],
        session_minutes: 60,
        sessions_per_week: Some(1),
        capacity,
        min_grade: Some(6),
        max_grade: Some(12),
        min_age: None,
        background_check: Some(RawBackgroundCheck {
            cleared_on: Some("2026-01-10".into()),
            expires_on: Some("2031-01-10".into()),
        }),
    }
}

pub(crate) fn student(id: &str, school: &str) -> Student {
    Student {
        waiting_since: Default::default(),
        school_id: school.into(),
        first_name: "Maria".into(),
        last_name: "Lopez".into(),
        matching: store::write::parse_student(&raw_student(id)).unwrap(),
        guardians: vec![Guardian {
            name: "Rosa Lopez".into(),
            relationship: Some("mother".into()),
            email: Some("rosa@example.org".into()),
            phone: Some("+1 312 555 0100".into()),
            language: None,
        }],
    }
}

pub(crate) fn raw_student(id: &str) -> RawStudent {
    RawStudent {
        id: id.into(),
        grade: 9,
        birth_date: Some("2011-03-02".into()),
        languages: strings(&["es", "en"]),
        home: RawPlace { lat: 41.881, lon: -87.623 },
        travel_modes: Some(strings(&["WALK", "TRANSIT"])),
        max_travel_minutes: 45.0,
        remote_ok: Some(true),
        availability: vec![raw_window("TUE", "15:30", "18:00"), raw_window("THU", "15:30", "18:00")],
        needs: vec![
            RawNeed {
                kind: "MENTORING".into(),
                subjects: Some(strings(&["healthcare"])),
                waiting_days: None,
            },
            RawNeed { kind: "TUTORING".into(), subjects: Some(strings(&["algebra"])), waiting_days: None },
        ],
        priority: Some(2),
        consent_on_file: Some(true),
    }
}

/// A district with one school, one partner with a current agreement, one opening.
pub(crate) async fn base(db: &TestDb, capacity: i64) {
    let conn = db.store.db();
    save_district(conn, &District { id: "d-1".into(), name: "Lakeside".into() }).await.unwrap();
    let school = School { id: "sch-1".into(), district_id: "d-1".into(), name: "Lakeside High".into() };
    save_schools(conn, &[school]).await.unwrap();
    save_partners(conn, &[partner("p-1")], now()).await.unwrap();
    let agreement = Agreement {
        id: "a-1".into(),
        partner_id: "p-1".into(),
        school_id: None,
        starts_on: NaiveDate::from_ymd_opt(2026, 8, 1).unwrap(),
        ends_on: NaiveDate::from_ymd_opt(2027, 7, 31),
        signed_on: NaiveDate::from_ymd_opt(2026, 7, 20),
        data_sharing: true,
        terms: Some("Tutoring at the branch library.".into()),
    };
    save_agreements(conn, &[agreement]).await.unwrap();
    save_openings(conn, &[opening("o-1", "p-1", capacity)], now()).await.unwrap();
}

pub(crate) fn new_match(id: &str, student: &str, opening: &str) -> NewMatch {
    NewMatch {
        id: id.into(),
        run_id: None,
        student_id: student.into(),
        opening_id: opening.into(),
        kind: Kind::Tutoring,
        score: 512,
        breakdown: BTreeMap::from([("field".to_owned(), 300), ("travel".to_owned(), 212)]),
        sessions: vec![window("TUE", "16:00", "17:00")],
        travel_minutes: Some(12.5),
    }
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    for db in backends().await {
        let conn = db.store.db();
        let manager = SchemaManager::new(conn);
        for table in DOMAIN_TABLES {
            assert!(manager.has_table(*table).await.unwrap(), "{}: {table} after up", db.name);
        }
        base(&db, 2).await;
        Migrator::down(conn, None).await.unwrap_or_else(|err| panic!("{}: down: {err}", db.name));
        for table in DOMAIN_TABLES {
            assert!(!manager.has_table(*table).await.unwrap(), "{}: {table} after down", db.name);
        }
        Migrator::up(conn, None).await.unwrap_or_else(|err| panic!("{}: up again: {err}", db.name));
        base(&db, 2).await;
        assert_eq!(openings::Entity::find().count(conn).await.unwrap(), 1, "{}", db.name);
    }
}

#[tokio::test]
async fn reopening_an_existing_sqlite_file_keeps_its_data_and_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::default_in(&dir.path().join("nested"));
    {
        let store = Store::open(&location).await.unwrap();
        save_district(store.db(), &District { id: "d-1".into(), name: "Lakeside".into() }).await.unwrap();
        store.close().await.unwrap();
    }
    let store = Store::open(&location).await.unwrap();
    let conn = store.db();
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(conn.get_database_backend(), "PRAGMA journal_mode"))
        .await;
    let mode: String = row.unwrap().unwrap().try_get_by_index(0).unwrap();
    assert_eq!(mode, "wal");
    // Every pooled connection enforces foreign keys: try from several at once.
    let mut checks = Vec::new();
    for _ in 0..6 {
        let conn = conn.clone();
        checks.push(tokio::spawn(async move {
            let txn = conn.begin().await.unwrap();
            let statement =
                sea_orm::Statement::from_string(txn.get_database_backend(), "PRAGMA foreign_keys");
            let on: i32 = txn.query_one_raw(statement).await.unwrap().unwrap().try_get_by_index(0).unwrap();
            txn.commit().await.unwrap();
            on
        }));
    }
    for check in checks {
        assert_eq!(check.await.unwrap(), 1);
    }
    assert!(matches!(
        Location::parse("mysql://x").unwrap_err(),
        StoreError::Connect(message) if message.contains("unsupported")
    ));
    assert_eq!(Location::parse("sqlite://data/x.db").unwrap(), Location::Sqlite("data/x.db".into()));
    assert!(Location::parse("sqlite::memory:").is_err(), "a pool over :memory: loses tables");
}

/// The bundled SQLite keeps no memory statistics (`.cargo/config.toml`): with them,
/// every allocation takes one process-wide mutex, which the pool's connections
/// fought over under a read load (bench/README.md "Reads against PostGraphile").
#[tokio::test]
async fn bundled_sqlite_keeps_no_memory_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Location::default_in(dir.path())).await.unwrap();
    let conn = store.db();
    let statement = sea_orm::Statement::from_string(conn.get_database_backend(), "PRAGMA compile_options");
    let options: Vec<String> = conn
        .query_all_raw(statement)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index(0).unwrap())
        .collect();
    assert!(options.iter().any(|option| option == "DEFAULT_MEMSTATUS=0"), "{options:?}");
}

#[tokio::test]
async fn every_record_kind_round_trips() {
    for db in backends().await {
        base(&db, 3).await;
        let conn = db.store.db();
        let written = student("s-1", "sch-1");
        save_students(conn, std::slice::from_ref(&written), now()).await.unwrap();
        let back = read::student(conn, "s-1").await.unwrap();
        assert_eq!(back.first_name, "Maria");
        assert_eq!(back.school_id, "sch-1");
        assert_eq!(back.guardians, written.guardians, "{}", db.name);
        // Needs come back in match order (INTERNSHIP, MENTORING, TUTORING) and with
        // every default spelled out; everything else is as written.
        let mut expected = written.matching.clone();
        expected.needs.sort_by_key(|need| need.kind.match_rank());
        assert_eq!(back.matching, expected, "{}", db.name);

        let stored = read::opening(conn, "o-1").await.unwrap();
        assert_eq!(stored.opening.matching, opening("o-1", "p-1", 3).matching, "{}", db.name);
        assert_eq!(stored.opening.title.as_deref(), Some("Opening o-1"));
        assert_eq!((stored.filled, stored.version), (0, 0));

        assert_eq!(read::partner(conn, "p-1").await.unwrap(), partner("p-1"));
        let agreements = read::agreements_of(conn, "p-1").await.unwrap();
        assert_eq!(agreements.len(), 1);
        assert_eq!(agreements[0].ends_on, NaiveDate::from_ymd_opt(2027, 7, 31));
        assert!(agreements[0].data_sharing);
        // Creating never replaces: a taken id is a conflict, even for a racing writer.
        let again = store::write::create_agreements(conn, &agreements).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{}: {again:?}", db.name);

        // Saving again with a known id replaces, children included.
        let mut changed = written.clone();
        changed.matching.languages = strings(&["vi"]);
        changed.matching.availability =
            vec![window("MON", "15:00", "16:00"), window("MON", "16:00", "17:30")];
        changed.guardians.clear();
        save_students(conn, &[changed], now()).await.unwrap();
        let back = read::student(conn, "s-1").await.unwrap();
        assert_eq!(back.matching.languages, strings(&["vi"]));
        assert_eq!(back.matching.availability, vec![window("MON", "15:00", "17:30")], "merged");
        assert!(back.guardians.is_empty());
        assert_eq!(students::Entity::find().count(conn).await.unwrap(), 1);

        // A match, feedback and the audit trail.
        let txn = db.store.write().await.unwrap();
        propose(&txn, &[new_match("m-1", "s-1", "o-1")], "counselor:c-1", now()).await.unwrap();
        txn.commit().await.unwrap();
        let stored = get(conn, "m-1").await.unwrap();
        assert_eq!(stored.status, MatchStatus::Proposed);
        assert_eq!(stored.score, 512);
        assert_eq!(stored.breakdown.get("travel"), Some(&212));
        assert_eq!(stored.sessions, vec![window("TUE", "16:00", "17:00")]);
        let entry = Feedback {
            match_id: "m-1".into(),
            author_role: Role::Student,
            author_id: "s-1".into(),
            rating: 5,
            comment: Some("Great help with proofs".into()),
            sessions_attended: Some(4),
            visibility: Visibility::Parties,
        };
        save_feedback(conn, &entry, now()).await.unwrap();
        let row = feedback::Entity::find().one(conn).await.unwrap().unwrap();
        assert_eq!((row.rating, row.sessions_attended, row.author_role.as_str()), (5, Some(4), "STUDENT"));
        let audit = audit_log::Entity::find().all(conn).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!((audit[0].actor.as_str(), audit[0].entity_id.as_str()), ("counselor:c-1", "m-1"));
    }
}

#[tokio::test]
async fn invalid_records_are_refused_naming_the_field() {
    for db in backends().await {
        base(&db, 1).await;
        let conn = db.store.db();
        // docs/matching.md's rules hold when a record is read, before any write.
        let mut bad = raw_student("s-1");
        bad.availability[1].end = "14:00".into();
        match store::write::parse_student(&bad) {
            Err(StoreError::Invalid { field, message }) => {
                assert_eq!(field, "availability[1]");
                assert!(message.contains("not after"), "{message}");
            }
            other => panic!("{}: {other:?}", db.name),
        }
        let mut bad = raw_opening("o-2", "p-1", 1);
        bad.languages = strings(&["xx"]);
        assert!(matches!(
            store::write::parse_opening(&bad),
            Err(StoreError::Invalid { field, .. }) if field == "languages[0]"
        ));
        // A virtual opening's place must still be a place: the row stores it.
        let mut bad = raw_opening("o-3", "p-1", 1);
        bad.r#virtual = Some(true);
        bad.place = Some(RawPlace { lat: 91.0, lon: 0.0 });
        assert!(matches!(
            store::write::parse_opening(&bad),
            Err(StoreError::Invalid { field, .. }) if field == "place.lat"
        ));
        // The rules of the row itself hold when it is written.
        let bad = opening("o-4", "p-1", i64::from(i32::MAX) + 1);
        assert!(matches!(
            save_openings(conn, &[bad], now()).await,
            Err(StoreError::Invalid { field, .. }) if field == "capacity"
        ));
        let mut raw = raw_opening("o-5", "p-1", 1);
        raw.background_check = Some(RawBackgroundCheck {
            cleared_on: Some("2026-05-01".into()),
            expires_on: Some("2026-04-30".into()),
        });
        let bad = Opening { title: None, matching: store::write::parse_opening(&raw).unwrap() };
        assert!(matches!(
            save_openings(conn, &[bad], now()).await,
            Err(StoreError::Invalid { field, .. }) if field == "backgroundCheck.expiresOn"
        ));
        let mut nameless = student("s-2", "sch-1");
        nameless.first_name = " ".into();
        assert!(matches!(
            save_students(conn, &[nameless], now()).await,
            Err(StoreError::Invalid { field, .. }) if field == "firstName"
        ));
        assert_eq!(students::Entity::find().count(conn).await.unwrap(), 0, "{}", db.name);
    }
}

/// Rows written past validation (as another tool might) still meet the schema's
/// constraints, and each violation comes back typed with the constraint's name.
#[tokio::test]
async fn constraint_violations_come_back_typed() {
    for db in backends().await {
        base(&db, 1).await;
        let conn = db.store.db();
        let mut row = openings::Entity::find_by_id("o-1".to_owned()).one(conn).await.unwrap().unwrap();
        row.id = "o-zero".into();
        row.capacity = 0;
        let err =
            openings::Entity::insert(openings::ActiveModel::from(row.clone())).exec(conn).await.unwrap_err();
        assert_check(&db, StoreError::from(err), "opening_capacity");

        row.capacity = 2;
        row.filled = 3;
        let err =
            openings::Entity::insert(openings::ActiveModel::from(row.clone())).exec(conn).await.unwrap_err();
        assert_check(&db, StoreError::from(err), "opening_filled");

        row.filled = 0;
        row.partner_id = "p-missing".into();
        let err =
            openings::Entity::insert(openings::ActiveModel::from(row.clone())).exec(conn).await.unwrap_err();
        assert!(
            matches!(StoreError::from(err), StoreError::Constraint { kind: ConstraintKind::ForeignKey, .. }),
            "{}",
            db.name
        );

        save_students(conn, &[student("s-1", "sch-1")], now()).await.unwrap();
        let mut pupil = students::Entity::find_by_id("s-1".to_owned()).one(conn).await.unwrap().unwrap();
        pupil.id = "s-13".into();
        pupil.grade = 13;
        let err = students::Entity::insert(students::ActiveModel::from(pupil.clone()))
            .exec(conn)
            .await
            .unwrap_err();
        assert_check(&db, StoreError::from(err), "student_grade");
        pupil.grade = 9;
        pupil.priority = 4;
        let err = students::Entity::insert(students::ActiveModel::from(pupil.clone()))
            .exec(conn)
            .await
            .unwrap_err();
        assert_check(&db, StoreError::from(err), "student_priority");

        // end > start on every weekly window.
        let window = store::entity::student_windows::ActiveModel {
            student_id: Set("s-1".into()),
            day: Set(2),
            start_minute: Set(600),
            end_minute: Set(600),
        };
        let err = store::entity::student_windows::Entity::insert(window)
            .exec_without_returning(conn)
            .await
            .unwrap_err();
        assert_check(&db, StoreError::from(err), "window_bounds");

        // Primary keys: a second row with a known id is a unique violation.
        let err = students::Entity::insert(students::ActiveModel::from(
            students::Entity::find_by_id("s-1".to_owned()).one(conn).await.unwrap().unwrap(),
        ))
        .exec(conn)
        .await
        .unwrap_err();
        assert!(matches!(StoreError::from(err), StoreError::Constraint { kind: ConstraintKind::Unique, .. }));

        // Lowering capacity below the slots taken is refused by the database.
        let txn = db.store.write().await.unwrap();
        propose(&txn, &[new_match("m-1", "s-1", "o-1")], "admin", now()).await.unwrap();
        txn.commit().await.unwrap();
        let mut smaller = opening("o-1", "p-1", 1);
        smaller.matching.capacity = 1;
        save_openings(conn, &[smaller.clone()], now()).await.unwrap();
        let mut row = openings::Entity::find_by_id("o-1".to_owned()).one(conn).await.unwrap().unwrap();
        row.capacity = 0;
        // A zero-capacity opening is not even a record.
        assert!(store::write::parse_opening(&raw_opening("o-1", "p-1", 0)).is_err());
        let err = openings::Entity::update(openings::ActiveModel {
            capacity: Set(0),
            ..openings::ActiveModel::from(row)
        })
        .exec(conn)
        .await
        .unwrap_err();
        assert!(matches!(StoreError::from(err), StoreError::Constraint { kind: ConstraintKind::Check, .. }));
    }
}

fn assert_check(db: &TestDb, err: StoreError, name: &str) {
    match err {
        StoreError::Constraint { kind: ConstraintKind::Check, constraint } => {
            assert_eq!(constraint, name, "{}", db.name)
        }
        other => panic!("{}: expected CHECK {name}, got {other:?}", db.name),
    }
}

#[tokio::test]
async fn slots_and_pairs_are_guarded_and_every_run_is_all_or_nothing() {
    for db in backends().await {
        base(&db, 2).await;
        let conn = db.store.db();
        let pupils: Vec<Student> = (1..=3).map(|i| student(&format!("s-{i}"), "sch-1")).collect();
        save_students(conn, &pupils, now()).await.unwrap();

        // Three matches for two slots: the whole batch is refused, nothing written.
        let txn = db.store.write().await.unwrap();
        let batch: Vec<NewMatch> =
            (1..=3).map(|i| new_match(&format!("m-{i}"), &format!("s-{i}"), "o-1")).collect();
        let err = propose(&txn, &batch, "run", now()).await.unwrap_err();
        txn.rollback().await.unwrap();
        assert!(matches!(err, StoreError::Conflict(_)), "{}: {err:?}", db.name);
        assert_eq!(store::entity::matches::Entity::find().count(conn).await.unwrap(), 0);
        assert_eq!(read::opening(conn, "o-1").await.unwrap().filled, 0);

        let txn = db.store.write().await.unwrap();
        propose(&txn, &batch[..2], "run", now()).await.unwrap();
        txn.commit().await.unwrap();
        assert_eq!(read::opening(conn, "o-1").await.unwrap().filled, 2);

        // The same student and opening again, or the same kind elsewhere: refused.
        save_openings(conn, &[opening("o-2", "p-1", 5)], now()).await.unwrap();
        let txn = db.store.write().await.unwrap();
        let err = propose(&txn, &[new_match("m-9", "s-1", "o-2")], "run", now()).await.unwrap_err();
        txn.rollback().await.unwrap();
        assert!(matches!(err, StoreError::Conflict(_)), "{}: one open TUTORING match per student", db.name);

        // Declining frees the slot and remembers the pair forever.
        let current = get(conn, "m-1").await.unwrap();
        let txn = db.store.write().await.unwrap();
        let declined =
            transition(&txn, &current, MatchStatus::Declined, "student:s-1", Some("too far"), now())
                .await
                .unwrap();
        txn.commit().await.unwrap();
        assert_eq!((declined.status, declined.version), (MatchStatus::Declined, 1));
        let back = get(conn, "m-1").await.unwrap();
        assert_eq!((back.status, back.decline_reason.as_deref()), (MatchStatus::Declined, Some("too far")));
        assert_eq!(read::opening(conn, "o-1").await.unwrap().filled, 1);
        assert_eq!(declined_pairs::Entity::find().count(conn).await.unwrap(), 1);
        let txn = db.store.write().await.unwrap();
        let err = propose(&txn, &[new_match("m-4", "s-1", "o-1")], "run", now()).await.unwrap_err();
        txn.rollback().await.unwrap();
        assert!(matches!(err, StoreError::Conflict(Conflict::Declined { .. })), "{}", db.name);

        // A reused match id is a conflict that says so.
        let txn = db.store.write().await.unwrap();
        let err = propose(&txn, &[new_match("m-2", "s-3", "o-2")], "run", now()).await.unwrap_err();
        txn.rollback().await.unwrap();
        assert!(matches!(err, StoreError::Conflict(Conflict::IdReused { entity: "match" })), "{}", db.name);

        // Transitions outside the lifecycle, or from a stale read, are conflicts.
        let err = transition(conn, &back, MatchStatus::Active, "admin", None, now()).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)));
        let stale = get(conn, "m-2").await.unwrap();
        transition(conn, &stale, MatchStatus::Accepted, "partner:p-1", None, now()).await.unwrap();
        let err = transition(conn, &stale, MatchStatus::Cancelled, "admin", None, now()).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(Conflict::Stale { .. })), "{}", db.name);
        assert_eq!(get(conn, "m-2").await.unwrap().status, MatchStatus::Accepted);
    }
}

/// Two writers race for the last slot, and for the same match: exactly one wins
/// each race, on both backends.
#[tokio::test]
async fn racing_writers_get_one_winner_and_one_conflict() {
    for db in backends().await {
        base(&db, 1).await;
        let conn = db.store.db();
        save_students(conn, &[student("s-1", "sch-1"), student("s-2", "sch-1")], now()).await.unwrap();
        for round in 0..5 {
            let opening_id = format!("o-race-{round}");
            save_openings(conn, &[opening(&opening_id, "p-1", 1)], now()).await.unwrap();
            let mut tasks = Vec::new();
            for who in 1..=2 {
                let store = db.store.clone();
                let item = NewMatch {
                    kind: Kind::Mentoring,
                    ..new_match(&format!("m-{round}-{who}"), &format!("s-{who}"), &opening_id)
                };
                tasks.push(tokio::spawn(async move {
                    let txn = store.write().await?;
                    propose(&txn, &[item], "counselor", now()).await?;
                    tokio::task::yield_now().await;
                    txn.commit().await.map_err(StoreError::from)
                }));
            }
            let mut results = Vec::new();
            for task in tasks {
                results.push(task.await.unwrap());
            }
            let wins = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(wins, 1, "{} round {round}: {results:?}", db.name);
            assert!(results.iter().any(|r| matches!(r, Err(StoreError::Conflict(_)))), "{results:?}");
            assert_eq!(read::opening(conn, &opening_id).await.unwrap().filled, 1);
            // Free both students' MENTORING need for the next round.
            let winner = if results[0].is_ok() { format!("m-{round}-1") } else { format!("m-{round}-2") };
            let current = get(conn, &winner).await.unwrap();
            transition(conn, &current, MatchStatus::Cancelled, "admin", None, now()).await.unwrap();
        }

        // Two status changes from the same read.
        let txn = db.store.write().await.unwrap();
        propose(&txn, &[new_match("m-x", "s-1", "o-1")], "counselor", now()).await.unwrap();
        txn.commit().await.unwrap();
        let read_once = get(conn, "m-x").await.unwrap();
        let mut tasks = Vec::new();
        for next in [MatchStatus::Accepted, MatchStatus::Declined] {
            let store = db.store.clone();
            let current = read_once.clone();
            tasks.push(tokio::spawn(async move {
                let txn = store.write().await?;
                let moved = transition(&txn, &current, next, "someone", None, now()).await?;
                txn.commit().await?;
                Ok::<_, StoreError>(moved.status)
            }));
        }
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{}: {results:?}", db.name);
        let winner = results.iter().find_map(|r| r.as_ref().ok()).copied().unwrap();
        assert_eq!(get(conn, "m-x").await.unwrap().status, winner);
    }
}

#[tokio::test]
async fn a_scope_loads_in_a_fixed_number_of_queries_into_a_valid_instance() {
    for db in backends().await {
        base(&db, 2).await;
        let conn = db.store.db();
        let other = School { id: "sch-2".into(), district_id: "d-1".into(), name: "Riverside".into() };
        save_schools(conn, &[other]).await.unwrap();
        let mut pupils: Vec<Student> = (1..=4).map(|i| student(&format!("s-{i}"), "sch-1")).collect();
        pupils.push(student("s-9", "sch-2"));
        save_students(conn, &pupils, now()).await.unwrap();
        // s-9 (another school) holds one of o-1's two slots; s-1 holds the other.
        let txn = db.store.write().await.unwrap();
        propose(&txn, &[new_match("m-9", "s-9", "o-1"), new_match("m-1", "s-1", "o-1")], "run", now())
            .await
            .unwrap();
        txn.commit().await.unwrap();
        save_partners(conn, &[Partner { status: PartnerStatus::Inactive, ..partner("p-off") }], now())
            .await
            .unwrap();
        save_openings(conn, &[opening("o-off", "p-off", 3)], now()).await.unwrap();

        let as_of = NaiveDate::from_ymd_opt(2026, 9, 14).unwrap();
        let raw =
            load_scope(conn, &Scope::school("sch-1"), as_of, Default::default()).await.unwrap().to_raw();
        let ids =
            |list: &Option<Vec<RawStudent>>| list.iter().flatten().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&raw.students), strings(&["s-1", "s-2", "s-3", "s-4"]), "{}", db.name);
        let openings_seen: Vec<(&str, i64)> =
            raw.openings.iter().flatten().map(|o| (o.id.as_str(), o.capacity)).collect();
        assert_eq!(openings_seen, vec![("o-1", 2)], "{}: its capacity; inactive left out", db.name);
        let held: Vec<(&str, u32)> = raw.held_elsewhere.iter().map(|(id, n)| (id.as_str(), *n)).collect();
        assert_eq!(held, vec![("o-1", 1)], "{}: what s-9, outside the scope, holds", db.name);
        let existing = raw.existing_matches.clone().unwrap();
        assert_eq!(existing.len(), 1);
        assert_eq!((existing[0].student_id.as_str(), existing[0].opening_id.as_str()), ("s-1", "o-1"));
        let instance = matcher::parse_instance(&raw).expect("a loaded scope is a valid instance");
        assert_eq!(instance.students().len(), 4);

        // A TUTORING-only cohort: other kinds' needs are dropped.
        let cohort = Scope {
            school_id: Some("sch-1".into()),
            kinds: vec![Kind::Tutoring],
            student_ids: Some(strings(&["s-2", "s-3"])),
        };
        let raw = load_scope(conn, &cohort, as_of, Default::default()).await.unwrap().to_raw();
        assert_eq!(ids(&raw.students), strings(&["s-2", "s-3"]));
        assert!(raw.students.iter().flatten().all(|s| s.needs.len() == 1 && s.needs[0].kind == "TUTORING"));
        assert_eq!(cohort.key(), "sch-1|TUTORING");
        matcher::parse_instance(&raw).unwrap();

        // The number of statements does not grow with the scope (no query per record).
        let small = count_statements(conn, &Scope::district(), as_of).await;
        let many: Vec<Student> = (10..60).map(|i| student(&format!("s-{i}"), "sch-1")).collect();
        save_students(conn, &many, now()).await.unwrap();
        let txn = db.store.write().await.unwrap();
        let held: Vec<NewMatch> = (10..40)
            .map(|i| NewMatch {
                opening_id: "o-big".into(),
                ..new_match(&format!("m-{i}"), &format!("s-{i}"), "o-big")
            })
            .collect();
        save_openings(&txn, &[opening("o-big", "p-1", 40)], now()).await.unwrap();
        propose(&txn, &held, "run", now()).await.unwrap();
        txn.commit().await.unwrap();
        let large = count_statements(conn, &Scope::district(), as_of).await;
        assert_eq!(small, large, "{}: statements for 5 students vs 55", db.name);
        assert!(large <= 16, "{}: {large} statements", db.name);
        let raw = load_scope(conn, &Scope::district(), as_of, Default::default()).await.unwrap().to_raw();
        assert_eq!(raw.students.as_ref().unwrap().len(), 55);
        assert_eq!(raw.existing_matches.as_ref().unwrap().len(), 32);
        let ids_sorted = {
            let mut v = ids(&raw.students);
            v.sort();
            v
        };
        assert_eq!(ids(&raw.students), ids_sorted, "ordered by id");
        matcher::parse_instance(&raw).unwrap();
    }
}

async fn count_statements(conn: &sea_orm::DatabaseConnection, scope: &Scope, as_of: NaiveDate) -> usize {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut counted = conn.clone();
    let tally = count.clone();
    counted.set_metric_callback(move |_| {
        tally.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    load_scope(&counted, scope, as_of, Default::default()).await.unwrap().to_raw();
    count.load(std::sync::atomic::Ordering::Relaxed)
}

/// A district large enough to be read in two halves (at its middle id, on two
/// connections) loads the same students, in the same order, as its schools loaded
/// one by one, each small enough to be read whole.
#[tokio::test]
async fn a_large_scope_read_in_halves_loses_and_repeats_no_student() {
    for db in backends().await {
        base(&db, 2).await;
        let conn = db.store.db();
        let other = School { id: "sch-2".into(), district_id: "d-1".into(), name: "Riverside".into() };
        save_schools(conn, &[other]).await.unwrap();
        // Schools interleave in id order, so the middle id falls inside both.
        let pupils: Vec<Student> = (0..4_101)
            .map(|i| {
                let id = format!("s-{i:05}");
                let mut raw = raw_student(&id);
                raw.grade = 6 + (i % 7);
                if i % 3 == 0 {
                    raw.needs.truncate(1);
                }
                let school = if i % 2 == 0 { "sch-1" } else { "sch-2" };
                Student { matching: store::write::parse_student(&raw).unwrap(), ..student(&id, school) }
            })
            .collect();
        save_students(conn, &pupils, now()).await.unwrap();
        let as_of = NaiveDate::from_ymd_opt(2026, 9, 14).unwrap();
        let students = |scope: Scope| async move {
            let raw = load_scope(conn, &scope, as_of, Default::default()).await.unwrap().to_raw();
            raw.students
                .unwrap_or_default()
                .iter()
                .map(|s| serde_json::to_value(s).unwrap())
                .collect::<Vec<_>>()
        };
        let district = students(Scope::district()).await;
        let mut by_school = students(Scope::school("sch-1")).await;
        by_school.extend(students(Scope::school("sch-2")).await);
        by_school.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        assert_eq!(district.len(), 4_101, "{}", db.name);
        assert!(district == by_school, "{}: the district's students differ from its schools'", db.name);
        // Read in halves: a statement for the middle id and one for the second half.
        let whole = count_statements(conn, &Scope::school("sch-1"), as_of).await;
        let halves = count_statements(conn, &Scope::district(), as_of).await;
        assert_eq!(halves, whole + 2, "{}", db.name);
    }
}

/// A scope loaded, matched and committed: the run's matches are written together
/// with its status, a dry run writes none, and a commit that cannot complete
/// leaves no match of the run behind.
#[tokio::test]
async fn a_run_result_is_stored_atomically() {
    use store::entity::{match_runs, matches as match_rows};
    use store::runs::{Lease, RunRequest, finish, proposed_matches, start};

    for db in backends().await {
        base(&db, 2).await;
        let conn = db.store.db();
        save_openings(conn, &[opening("o-2", "p-1", 2)], now()).await.unwrap();
        let pupils: Vec<Student> = (1..=5).map(|i| student(&format!("s-{i}"), "sch-1")).collect();
        save_students(conn, &pupils, now()).await.unwrap();
        let as_of = NaiveDate::from_ymd_opt(2026, 9, 14).unwrap();
        let scope = Scope::school("sch-1");
        let lease = Lease { owner: "node-test".into(), duration: chrono::Duration::seconds(30) };
        // The result document and the matches a run of `id` proposes.
        let result_of = |id: &str, raw: &matcher::RawInstance| {
            let instance = matcher::parse_instance(raw).unwrap();
            let outcome = matcher::run(&instance, matcher::Options::default(), &mut matcher::Silent).unwrap();
            let document = serde_json::to_value(matcher::result_document(
                &instance,
                &outcome,
                false,
                Default::default(),
            ))
            .unwrap();
            (document, proposed_matches(id, &instance, &outcome))
        };
        let request = |id: &str, dry_run: bool| RunRequest {
            id: id.into(),
            scope: scope.clone(),
            weights: BTreeMap::new(),
            dry_run,
            requested_by: "counselor:c-1".into(),
        };

        // Dry run: the would-be assignment is kept on the run, nothing else written.
        let (result, proposed) = result_of(
            "run-dry",
            &load_scope(conn, &scope, as_of, Default::default()).await.unwrap().to_raw(),
        );
        let assigned = result["assignments"].as_array().unwrap().len();
        assert_eq!(assigned, 4, "{}: five tutoring needs, four slots: {result}", db.name);
        assert_eq!(proposed.len(), 4);
        assert!(proposed.iter().all(|m| m.travel_minutes.is_some_and(|t| t >= 0.0)));
        start(conn, &request("run-dry", true), &lease, now()).await.unwrap();
        assert_eq!(
            finish(&db.store, &request("run-dry", true), &lease, &proposed, &result, now()).await.unwrap(),
            0
        );
        assert_eq!(match_rows::Entity::find().count(conn).await.unwrap(), 0);
        let run = match_runs::Entity::find_by_id("run-dry".to_owned()).one(conn).await.unwrap().unwrap();
        assert_eq!(run.status, "SUCCEEDED");
        assert_eq!(run.result.unwrap()["assignments"].as_array().unwrap().len(), 4);

        // A commit that meets a slot taken since the scope was read fails whole.
        let (stale, stale_matches) = result_of(
            "run-stale",
            &load_scope(conn, &scope, as_of, Default::default()).await.unwrap().to_raw(),
        );
        let txn = db.store.write().await.unwrap();
        let taker = stale["assignments"][0]["openingId"].as_str().unwrap().to_owned();
        let mut outsider = student("s-out", "sch-1");
        outsider.matching.needs.retain(|need| need.kind == Kind::Mentoring);
        save_students(&txn, &[outsider], now()).await.unwrap();
        let mut item = new_match("m-out", "s-out", &taker);
        item.kind = Kind::Mentoring;
        propose(&txn, &[item], "admin", now()).await.unwrap();
        txn.commit().await.unwrap();
        start(conn, &request("run-stale", false), &lease, now()).await.unwrap();
        let err = finish(&db.store, &request("run-stale", false), &lease, &stale_matches, &stale, now())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{}: {err:?}", db.name);
        assert_eq!(match_rows::Entity::find().count(conn).await.unwrap(), 1, "{}: only m-out", db.name);
        let run = match_runs::Entity::find_by_id("run-stale".to_owned()).one(conn).await.unwrap().unwrap();
        assert_eq!(run.status, "FAILED");
        assert!(run.error.unwrap().contains("no free slot"));

        // A fresh run commits; its matches are existing matches to the next load.
        let (fresh, fresh_matches) =
            result_of("run-1", &load_scope(conn, &scope, as_of, Default::default()).await.unwrap().to_raw());
        let expected = fresh["assignments"].as_array().unwrap().len();
        assert_eq!(expected, 3, "{}: one slot is gone: {fresh}", db.name);
        start(conn, &request("run-1", false), &lease, now()).await.unwrap();
        assert_eq!(
            finish(&db.store, &request("run-1", false), &lease, &fresh_matches, &fresh, now()).await.unwrap(),
            expected
        );
        assert_eq!(match_rows::Entity::find().count(conn).await.unwrap() as usize, expected + 1);
        let filled: i32 =
            [read::opening(conn, "o-1").await.unwrap(), read::opening(conn, "o-2").await.unwrap()]
                .iter()
                .map(|o| o.filled)
                .sum();
        assert_eq!(filled, 4);
        let again = load_scope(conn, &scope, as_of, Default::default()).await.unwrap().to_raw();
        assert_eq!(again.existing_matches.as_ref().unwrap().len(), expected + 1, "the run's and m-out");
        assert!(
            result_of("run-2", &again).0["assignments"].as_array().unwrap().is_empty(),
            "{}: nothing left to match",
            db.name
        );
        let run = match_runs::Entity::find_by_id("run-1".to_owned()).one(conn).await.unwrap().unwrap();
        assert_eq!(
            (run.status.as_str(), run.stats.unwrap()["matched"].as_u64()),
            ("SUCCEEDED", Some(expected as u64))
        );
        // Finishing the same run twice is refused: it is no longer running.
        assert!(matches!(
            finish(&db.store, &request("run-1", false), &lease, &fresh_matches, &fresh, now()).await,
            Err(StoreError::Conflict(_))
        ));
    }
}
