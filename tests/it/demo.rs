//! The demo district: deterministic, valid, exercising every hard constraint of
//! docs/matching.md with a healthy share of needs matched; and the same instance whether
//! it is built straight from the records (the JSON path) or seeded into a database and
//! loaded back as the district's scope (the database path), on every backend.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use cli::demo::{AS_OF, Demo, Seeded, as_of, demo, seed};
use matcher::record::raw_window;
use matcher::validate::RawWindow;
use matcher::{Options, RawInstance, Seconds, Silent};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use serde_json::Value;
use store::StoreError;
use store::entity::{
    agreements, audit_log, declined_pairs, districts, feedback, guardians, match_sessions, matches, openings,
    partners, schools, student_needs, students,
};
use store::records::{District, Kind, MatchStatus, PartnerKind, PartnerStatus, Role};
use store::scope::{Scope, load_scope};
use store::write::{save_district, stored_window, window_rows};

use crate::db::backends;
use crate::oracle::CONSTRAINTS;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 14, 7, 30, 0).unwrap()
}

/// The matcher's result document for `raw`, as bytes (timings are zero: the caller
/// measures none).
fn result_of(raw: &RawInstance) -> String {
    let instance = matcher::parse_instance(raw).unwrap();
    let outcome = matcher::run(&instance, Options::default(), &mut Silent).unwrap();
    serde_json::to_string(&matcher::result_document(&instance, &outcome, false, Seconds::default())).unwrap()
}

/// What a result says about the needs it tried.
struct Explained {
    /// `ruledOutBy` summed over every unmatched need.
    ruled_out: BTreeMap<String, u64>,
    needs: u64,
    matched: u64,
    /// Unmatched with some candidate: the optimal assignment gave the slots away.
    outscored: u64,
    /// Kinds with at least one match.
    matched_kinds: BTreeSet<String>,
}

fn explain(result: &str) -> Explained {
    let result: Value = serde_json::from_str(result).unwrap();
    let mut ruled_out = BTreeMap::new();
    let mut outscored = 0;
    for unmatched in result["unmatched"].as_array().unwrap() {
        outscored += u64::from(unmatched["reason"] == "OUTSCORED");
        for (key, count) in unmatched["ruledOutBy"].as_object().into_iter().flatten() {
            *ruled_out.entry(key.clone()).or_insert(0) += count.as_u64().unwrap();
        }
    }
    let assignments = result["assignments"].as_array().unwrap();
    Explained {
        ruled_out,
        needs: result["stats"]["needs"].as_u64().unwrap(),
        matched: result["stats"]["matched"].as_u64().unwrap(),
        outscored,
        matched_kinds: assignments.iter().map(|a| a["kind"].as_str().unwrap().to_owned()).collect(),
    }
}

fn minutes(clock: &str) -> u32 {
    let (hours, minutes) = clock.split_once(':').unwrap();
    hours.parse::<u32>().unwrap() * 60 + minutes.parse::<u32>().unwrap()
}

/// Merged weekly windows, as the store keeps them.
fn merged(windows: &[RawWindow]) -> Vec<RawWindow> {
    let parsed: Vec<_> = windows.iter().map(|w| matcher::record::parse_window("w", w).unwrap()).collect();
    window_rows(&parsed)
        .into_iter()
        .map(|(day, start, end)| raw_window(&stored_window(day, start, end).unwrap()))
        .collect()
}

fn inside(session: &RawWindow, windows: &[RawWindow]) -> bool {
    merged(windows).iter().any(|w| {
        w.day == session.day
            && minutes(&w.start) <= minutes(&session.start)
            && minutes(&session.end) <= minutes(&w.end)
    })
}

/// The instance with lists whose order means nothing sorted, and each person's or
/// opening's windows merged (the store merges touching windows on write). A student's
/// languages keep their order: the first is preferred.
fn normalised(mut raw: RawInstance) -> Value {
    for student in raw.students.iter_mut().flatten() {
        student.availability = merged(&student.availability);
        if let Some(modes) = &mut student.travel_modes {
            modes.sort();
        }
        for need in &mut student.needs {
            if let Some(subjects) = &mut need.subjects {
                subjects.sort();
                subjects.dedup();
            }
        }
        student.needs.sort_by(|a, b| a.kind.cmp(&b.kind));
    }
    raw.students.iter_mut().for_each(|list| list.sort_by(|a, b| a.id.cmp(&b.id)));
    for opening in raw.openings.iter_mut().flatten() {
        opening.schedule = merged(&opening.schedule);
        opening.subjects.sort();
        opening.subjects.dedup();
        opening.languages.sort();
        opening.languages.dedup();
    }
    raw.openings.iter_mut().for_each(|list| list.sort_by(|a, b| a.id.cmp(&b.id)));
    for partner in raw.partners.iter_mut().flatten() {
        if let Some(list) = &mut partner.agreements {
            list.sort_by(|a, b| (&a.starts_on, &a.ends_on).cmp(&(&b.starts_on, &b.ends_on)));
        }
    }
    raw.partners.iter_mut().for_each(|list| list.sort_by(|a, b| a.id.cmp(&b.id)));
    for existing in raw.existing_matches.iter_mut().flatten() {
        existing.sessions = existing.sessions.as_deref().map(merged);
    }
    raw.existing_matches.iter_mut().for_each(|list| {
        list.sort_by(|a, b| (&a.student_id, &a.opening_id).cmp(&(&b.student_id, &b.opening_id)))
    });
    raw.declined.iter_mut().for_each(|list| {
        list.sort_by(|a, b| (&a.student_id, &a.opening_id).cmp(&(&b.student_id, &b.opening_id)))
    });
    serde_json::to_value(&raw).unwrap()
}

/// Asserts two normalised instances are equal, naming the first record that differs.
fn assert_same_instance(loaded: &Value, built: &Value, backend: &str) {
    for list in ["students", "openings", "partners", "existingMatches", "declined"] {
        let (left, right) = (loaded[list].as_array().unwrap(), built[list].as_array().unwrap());
        for (a, b) in left.iter().zip(right) {
            assert_eq!(a, b, "{backend}: {list} differ");
        }
        assert_eq!(left.len(), right.len(), "{backend}: number of {list}");
    }
    assert_eq!(loaded, built, "{backend}");
}

/// Rows in a table.
macro_rules! count {
    ($conn:expr, $table:ident) => {
        $table::Entity::find().count($conn).await.unwrap()
    };
}

/// Rows of every table the seed writes.
async fn census(conn: &DatabaseConnection) -> Vec<u64> {
    vec![
        count!(conn, districts),
        count!(conn, schools),
        count!(conn, partners),
        count!(conn, agreements),
        count!(conn, openings),
        count!(conn, students),
        count!(conn, student_needs),
        count!(conn, guardians),
        count!(conn, matches),
        count!(conn, match_sessions),
        count!(conn, declined_pairs),
        count!(conn, feedback),
        count!(conn, audit_log),
    ]
}

#[test]
fn the_demo_is_the_same_every_call() {
    let (first, second) = (demo(), demo());
    assert_eq!(format!("{first:?}"), format!("{second:?}"));
    let json = |demo: &Demo| serde_json::to_string(&demo.instance(as_of())).unwrap();
    assert_eq!(json(&first), json(&second));
    assert_eq!(AS_OF.parse::<NaiveDate>().unwrap(), as_of());
}

#[test]
fn the_demo_instance_is_valid_and_exercises_every_hard_constraint() {
    let demo = demo();
    let result = result_of(&demo.instance(as_of()));
    let Explained { ruled_out, needs, matched, outscored, matched_kinds } = explain(&result);
    eprintln!("ruledOutBy over unmatched needs: {ruled_out:?}");
    eprintln!("{matched} of {needs} needs matched, {outscored} more had candidates");
    for key in CONSTRAINTS {
        assert!(ruled_out.get(key).copied().unwrap_or(0) > 0, "no unmatched need is ruled out by {key}");
    }
    assert_eq!(ruled_out.len(), CONSTRAINTS.len());
    // Most needs have a candidate and about half are matched: where a need has a
    // candidate but no match, capacity, not a rule, is short.
    assert!(matched * 100 >= needs * 45, "only {matched} of {needs} needs matched");
    assert!(
        (matched + outscored) * 100 >= needs * 65,
        "only {} of {needs} needs have a candidate",
        matched + outscored
    );
    assert!(matched * 100 <= needs * 90, "{matched} of {needs}: little left to explain");
    assert_eq!(matched_kinds.len(), Kind::MATCH_ORDER.len(), "every kind gets matches");

    // Every kind of record is there.
    let kinds: BTreeSet<&str> = demo.openings.iter().map(|o| o.matching.kind.as_str()).collect();
    assert_eq!(kinds.len(), Kind::MATCH_ORDER.len());
    let partner_kinds: BTreeSet<PartnerKind> = demo.partners.iter().map(|p| p.kind).collect();
    assert_eq!(partner_kinds.len(), PartnerKind::ALL.len());
    let inactive: Vec<&str> =
        demo.partners.iter().filter(|p| p.status == PartnerStatus::Inactive).map(|p| p.id.as_str()).collect();
    assert_eq!(inactive.len(), 1);
    // The inactive partner still has a running match: its opening is in the instance,
    // the partner without agreements.
    let raw = demo.instance(as_of());
    let paused = raw.partners.iter().flatten().find(|p| p.id == inactive[0]).expect("the inactive partner");
    assert!(paused.agreements.as_ref().is_some_and(Vec::is_empty));
    let statuses: BTreeSet<MatchStatus> = demo.matches.iter().map(|m| m.status).collect();
    assert_eq!(statuses.len(), MatchStatus::ALL.len());
    let authors: BTreeSet<Role> = demo.feedback.iter().map(|f| f.author_role).collect();
    assert_eq!(authors, BTreeSet::from([Role::Student, Role::Partner, Role::Counselor]));
    let on = as_of();
    let agreements = &demo.agreements;
    assert!(agreements.iter().any(|a| a.ends_on.is_some_and(|end| end < on)), "an expired MOU");
    assert!(agreements.iter().any(|a| a.starts_on > on), "an MOU not yet in force");
    assert!(
        agreements
            .iter()
            .any(|a| !a.data_sharing && a.starts_on <= on && a.ends_on.is_none_or(|end| on <= end)),
        "an MOU in force without data sharing"
    );
    let (virtual_openings, pickups, min_ages) =
        demo.openings.iter().map(|o| &o.matching).fold((0, 0, 0), |(v, p, a), o| {
            (
                v + usize::from(o.r#virtual),
                p + usize::from(o.pickup_radius_km.is_some()),
                a + usize::from(o.min_age.is_some()),
            )
        });
    assert!(virtual_openings >= 5 && pickups >= 2 && min_ages >= 5);

    // Its size.
    assert_eq!((demo.schools.len(), demo.students.len(), demo.partners.len()), (4, 300, 25));
    assert!((70..=90).contains(&demo.openings.len()), "{} openings", demo.openings.len());
    assert_eq!(demo.matches.len(), 30);
    assert!(demo.feedback.len() >= 10);
}

#[test]
fn demo_students_are_plausible() {
    let demo = demo();
    let september = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let mut languages = BTreeSet::new();
    let mut grades = BTreeSet::new();
    let mut without_consent = 0;
    for student in &demo.students {
        let s = &student.matching.to_raw();
        grades.insert(s.grade);
        languages.extend(s.languages.iter().cloned());
        without_consent += usize::from(s.consent_on_file == Some(false));
        if let Some(birth) = &s.birth_date {
            let birth: NaiveDate = birth.parse().unwrap();
            let age = september.year() - birth.year() - i32::from((9, 1) < (birth.month(), birth.day()));
            let over = i64::from(age) - s.grade;
            assert!(over == 5 || over == 6, "{}: {age} years old in grade {}", s.id, s.grade);
        }
        for value in [s.home.lat, s.home.lon] {
            assert_eq!((value * 1000.0).round() / 1000.0, value, "{}: home to 3 decimals", s.id);
        }
        assert!((44.87..=45.03).contains(&s.home.lat) && (-93.31..=-93.09).contains(&s.home.lon), "{}", s.id);
        assert!((15.0..=60.0).contains(&s.max_travel_minutes));
        assert!(!s.needs.is_empty() && (0..=3).contains(&s.priority.unwrap()));
        assert!((1..=2).contains(&student.guardians.len()), "{}", s.id);
        for guardian in &student.guardians {
            assert!(guardian.email.as_deref().is_none_or(|email| email.ends_with("@example.org")));
        }
    }
    assert_eq!(grades.len(), 13, "every grade 0–12");
    for code in ["en", "es", "zh", "vi", "ar", "so", "ht", "fr", "ru", "tl", "pt"] {
        assert!(languages.contains(code), "nobody speaks {code}");
    }
    assert!((10..=40).contains(&without_consent), "{without_consent} without consent");
    let high_school = demo.students.iter().filter(|s| s.matching.grade.get() >= 6).count();
    assert!(high_school * 100 >= demo.students.len() * 70, "weighted to grades 6–12");
    let modes: BTreeSet<Vec<String>> =
        demo.students.iter().map(|s| s.matching.to_raw().travel_modes.unwrap_or_default()).collect();
    assert!(modes.contains(&Vec::new()) && modes.contains(&vec!["WALK".to_owned()]));
    let touching = demo
        .students
        .iter()
        .filter(|s| merged(&s.matching.to_raw().availability).len() < s.matching.availability.len());
    assert!(touching.count() >= 5, "some availability windows merge");
}

#[test]
fn demo_matches_look_feasible_and_respect_slots() {
    let demo = demo();
    let student = |id: &str| demo.students.iter().find(|s| s.matching.id == id).unwrap();
    let opening = |id: &str| demo.openings.iter().find(|o| o.matching.id == id).unwrap();
    let mut open_pairs = BTreeSet::new();
    let mut open_kinds = BTreeSet::new();
    let mut per_opening: BTreeMap<&str, i64> = BTreeMap::new();
    let mut held: BTreeMap<&str, Vec<RawWindow>> = BTreeMap::new();
    for item in &demo.matches {
        let new = &item.new;
        let (s, o) =
            (&student(&new.student_id).matching.to_raw(), &opening(&new.opening_id).matching.to_raw());
        let sessions: Vec<RawWindow> = new.sessions.iter().map(raw_window).collect();
        assert_eq!(new.kind.as_str(), o.kind, "{}", new.id);
        assert_eq!(i64::from(new.score), new.breakdown.values().sum::<i64>(), "{}", new.id);
        assert_eq!(new.sessions.len() as i64, o.sessions_per_week.unwrap_or(1), "{}", new.id);
        let days: BTreeSet<&str> = sessions.iter().map(|w| w.day.as_str()).collect();
        assert_eq!(days.len(), sessions.len(), "{}: distinct days", new.id);
        for session in &sessions {
            assert_eq!(i64::from(minutes(&session.end) - minutes(&session.start)), o.session_minutes);
            assert!(inside(session, &s.availability), "{}: {session:?} outside the student's time", new.id);
            assert!(inside(session, &o.schedule), "{}: {session:?} outside the opening's schedule", new.id);
        }
        if item.status.is_open() {
            assert!(open_pairs.insert((&new.student_id, &new.opening_id)), "{}", new.id);
            assert!(open_kinds.insert((&new.student_id, new.kind)), "{}: two open of a kind", new.id);
            *per_opening.entry(&new.opening_id).or_default() += 1;
            held.entry(&new.student_id).or_default().extend(sessions);
        }
    }
    for (id, taken) in per_opening {
        assert!(taken <= i64::from(opening(id).matching.capacity), "{id} over capacity");
    }
    for (id, sessions) in held {
        for (at, a) in sessions.iter().enumerate() {
            for b in &sessions[at + 1..] {
                let apart = a.day != b.day
                    || minutes(&a.end) <= minutes(&b.start)
                    || minutes(&b.end) <= minutes(&a.start);
                assert!(apart, "{id}: sessions {a:?} and {b:?} collide");
            }
        }
    }
    let with_feedback: BTreeSet<&str> = demo.feedback.iter().map(|f| f.match_id.as_str()).collect();
    for item in demo.matches.iter().filter(|m| with_feedback.contains(m.new.id.as_str())) {
        assert!(matches!(item.status, MatchStatus::Active | MatchStatus::Completed), "{}", item.new.id);
    }
    assert!(demo.feedback.iter().all(|f| (1..=5).contains(&f.rating)));
}

#[tokio::test]
async fn a_seeded_district_loads_back_as_the_demo_instance() {
    let built = demo().instance(as_of());
    let built_result = result_of(&built);
    let built = normalised(built);
    for db in backends().await {
        let seeded = seed(&db.store, now()).await.unwrap_or_else(|err| panic!("{}: seed: {err:?}", db.name));
        let loaded = load_scope(db.store.db(), &Scope::district(), as_of(), Default::default())
            .await
            .unwrap()
            .to_raw();
        let loaded_result = result_of(&loaded);
        assert_same_instance(&normalised(loaded), &built, db.name);
        assert_eq!(loaded_result, built_result, "{}: the matcher decides differently", db.name);
        assert_eq!(seeded, demo().counts(), "{}", db.name);
    }
}

#[tokio::test]
async fn seeded_counts_are_what_the_database_holds() {
    let demo = demo();
    for db in backends().await {
        let Seeded { schools, partners, openings, students, matches, feedback } =
            seed(&db.store, now()).await.unwrap();
        let conn = db.store.db();
        let held = [
            count!(conn, schools),
            count!(conn, partners),
            count!(conn, openings),
            count!(conn, students),
            count!(conn, matches),
            count!(conn, feedback),
        ];
        let told = [schools, partners, openings, students, matches, feedback].map(|n| n as u64);
        assert_eq!(held, told, "{}", db.name);
        // Every match reached its status, declines are remembered, slots are counted.
        let rows = matches::Entity::find().all(conn).await.unwrap();
        let statuses: BTreeMap<String, String> = rows.into_iter().map(|m| (m.id, m.status)).collect();
        for item in &demo.matches {
            assert_eq!(statuses[&item.new.id], item.status.as_str(), "{}: {}", db.name, item.new.id);
        }
        let declined = demo.matches.iter().filter(|m| m.status == MatchStatus::Declined).count() as u64;
        assert_eq!(count!(conn, declined_pairs), declined, "{}", db.name);
        for row in openings::Entity::find().all(conn).await.unwrap() {
            let open =
                demo.matches.iter().filter(|m| m.status.is_open() && m.new.opening_id == row.id).count()
                    as i32;
            assert_eq!(row.filled, open, "{}: {} slots taken", db.name, row.id);
        }
    }
}

#[tokio::test]
async fn seeding_refuses_a_database_that_holds_a_district() {
    for db in backends().await {
        let conn = db.store.db();
        seed(&db.store, now()).await.unwrap();
        let before = census(conn).await;
        let err = seed(&db.store, now()).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{}: {err:?}", db.name);
        assert_eq!(census(conn).await, before, "{}: the second seed changed something", db.name);
    }
    // Real data is never mixed with the demo's.
    for db in backends().await {
        let conn = db.store.db();
        save_district(conn, &District { id: "d-real".into(), name: "Lakeside Schools".into() })
            .await
            .unwrap();
        let before = census(conn).await;
        let err = seed(&db.store, now()).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{}: {err:?}", db.name);
        assert_eq!(census(conn).await, before, "{}", db.name);
    }
}

#[tokio::test]
async fn racing_seeds_write_one_district() {
    for db in backends().await {
        let (first, second) = tokio::join!(seed(&db.store, now()), seed(&db.store, now()));
        let conflicts =
            [&first, &second].iter().filter(|r| matches!(r, Err(StoreError::Conflict(_)))).count();
        assert!(first.is_ok() != second.is_ok(), "{}: {first:?} / {second:?}", db.name);
        assert_eq!(conflicts, 1, "{}", db.name);
        assert_eq!(count!(db.store.db(), matches), demo().matches.len() as u64, "{}", db.name);
    }
}
