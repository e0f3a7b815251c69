//! CSV import (docs/csv.md) on every backend: the example files import and read
//! back as written, re-imports update, every bad row is reported with its row and
//! column and nothing is written, and no input bytes make the importer panic.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use matcher::validate::{RawBackgroundCheck, RawNeed, RawOpening, RawPlace, RawStudent, RawWindow};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder};
use store::entity::{audit_log, openings, partners, students};
use store::import::{Imported, RowError, Table, import_csv};
use store::records::{
    District, Grade, Guardian, Opening, Partner, PartnerKind, PartnerStatus, School, Student,
};
use store::{StoreError, read, write};

use crate::db::{TestDb, backends};

const PARTNERS_CSV: &str = include_str!("../../examples/partners.csv");
const OPENINGS_CSV: &str = include_str!("../../examples/openings.csv");
const STUDENTS_CSV: &str = include_str!("../../examples/students.csv");

fn now() -> DateTime<Utc> {
    "2026-09-01T12:00:00Z".parse().unwrap()
}

/// District `d-1` with schools `sch-1` and `sch-2`.
async fn with_schools(db: &TestDb) -> &DatabaseConnection {
    let conn = db.store.db();
    let district = District { id: "d-1".into(), name: "Lakeview District".into() };
    write::save_district(conn, &district).await.unwrap();
    let school =
        |id: &str, name: &str| School { id: id.into(), district_id: "d-1".into(), name: name.into() };
    write::save_schools(conn, &[school("sch-1", "Lakeview High"), school("sch-2", "Northside Middle")])
        .await
        .unwrap();
    conn
}

async fn import(
    conn: &DatabaseConnection,
    table: Table,
    csv: impl AsRef<[u8]>,
    school_id: Option<&str>,
) -> Result<Imported, StoreError> {
    import_csv(conn, table, csv.as_ref(), school_id, "admin-1", (now(), now().date_naive())).await
}

/// The example partners and openings, imported.
async fn with_examples(db: &TestDb) -> &DatabaseConnection {
    let conn = with_schools(db).await;
    import(conn, Table::Partners, PARTNERS_CSV, None).await.unwrap();
    import(conn, Table::Openings, OPENINGS_CSV, None).await.unwrap();
    conn
}

/// The errors of a refused import, as (row, column).
fn row_errors(db: &TestDb, result: Result<Imported, StoreError>) -> Vec<RowError> {
    match result {
        Err(StoreError::Rows(errors)) => errors,
        other => panic!("{}: expected row errors, got {other:?}", db.name),
    }
}

fn assert_rows(db: &TestDb, result: Result<Imported, StoreError>, expected: &[(usize, Option<&str>)]) {
    let errors = row_errors(db, result);
    let cells: Vec<(usize, Option<&str>)> = errors.iter().map(|e| (e.row, e.column.as_deref())).collect();
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(cells, expected, "{}: {messages:#?}", db.name);
}

async fn counts(conn: &DatabaseConnection) -> (u64, u64, u64) {
    (
        partners::Entity::find().count(conn).await.unwrap(),
        openings::Entity::find().count(conn).await.unwrap(),
        students::Entity::find().count(conn).await.unwrap(),
    )
}

// ---------------------------------------------------------------------------------
// An independent reading of the example files: what each row says, by docs/matching.md.

/// Column → cell maps of a small CSV file (quoted cells, no line breaks inside).
fn rows_of(text: &str) -> Vec<HashMap<String, String>> {
    let mut lines = text.lines();
    let header = split_line(lines.next().unwrap());
    lines
        .filter(|line| !line.is_empty())
        .map(|line| header.iter().cloned().zip(split_line(line)).collect())
        .collect()
}

fn split_line(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let (mut quoted, mut chars) = (false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

fn list(cell: &str) -> Vec<String> {
    cell.split(';').filter(|item| !item.is_empty()).map(String::from).collect()
}

fn optional(cell: &str) -> Option<String> {
    (!cell.is_empty()).then(|| cell.to_owned())
}

fn flag(cell: &str, default: bool) -> bool {
    match cell {
        "" => default,
        "true" | "yes" => true,
        "false" | "no" => false,
        other => panic!("not a flag in the examples: {other}"),
    }
}

fn windows(cell: &str) -> Vec<RawWindow> {
    list(cell)
        .iter()
        .map(|item| {
            let (day, times) = item.split_once(' ').unwrap();
            let (start, end) = times.split_once('-').unwrap();
            RawWindow { day: day.into(), start: start.into(), end: end.into() }
        })
        .collect()
}

fn expected_student(row: &HashMap<String, String>) -> Student {
    let cell = |column: &str| row[column].as_str();
    let needs = list(cell("needs"))
        .iter()
        .map(|need| match need.split_once(':') {
            Some((kind, subjects)) => RawNeed {
                kind: kind.into(),
                subjects: Some(subjects.split('|').map(String::from).collect()),
                waiting_days: None,
            },
            None => RawNeed { kind: need.clone(), subjects: Some(Vec::new()), waiting_days: None },
        })
        .collect();
    let guardians = optional(cell("guardianName"))
        .map(|name| Guardian {
            name,
            relationship: optional(cell("guardianRelationship")),
            email: optional(cell("guardianEmail")),
            phone: optional(cell("guardianPhone")),
            language: optional(cell("guardianLanguage")),
        })
        .into_iter()
        .collect();
    Student {
        waiting_since: Default::default(),
        school_id: cell("schoolId").into(),
        first_name: cell("firstName").into(),
        last_name: cell("lastName").into(),
        matching: write::parse_student(&RawStudent {
            id: cell("id").into(),
            grade: cell("grade").parse().unwrap(),
            birth_date: optional(cell("birthDate")),
            languages: list(cell("languages")),
            home: RawPlace { lat: cell("homeLat").parse().unwrap(), lon: cell("homeLon").parse().unwrap() },
            travel_modes: Some(list(cell("travelModes"))),
            max_travel_minutes: cell("maxTravelMinutes").parse().unwrap(),
            remote_ok: Some(flag(cell("remoteOk"), true)),
            availability: windows(cell("availability")),
            needs,
            priority: Some(optional(cell("priority")).map_or(0, |p| p.parse().unwrap())),
            consent_on_file: Some(flag(cell("consentOnFile"), false)),
        })
        .unwrap(),
        guardians,
    }
}

fn expected_opening(row: &HashMap<String, String>) -> Opening {
    let cell = |column: &str| row[column].as_str();
    let number = |column: &str| optional(cell(column)).map(|v| v.parse::<f64>().unwrap());
    let integer =
        |column: &str, default: Option<i64>| optional(cell(column)).map(|v| v.parse().unwrap()).or(default);
    let place = number("lat").zip(number("lon")).map(|(lat, lon)| RawPlace { lat, lon });
    let check = RawBackgroundCheck {
        cleared_on: optional(cell("backgroundClearedOn")),
        expires_on: optional(cell("backgroundExpiresOn")),
    };
    Opening {
        title: optional(cell("title")),
        matching: write::parse_opening(&RawOpening {
            id: cell("id").into(),
            partner_id: cell("partnerId").into(),
            kind: cell("kind").into(),
            subjects: list(cell("subjects")),
            languages: list(cell("languages")),
            r#virtual: Some(flag(cell("virtual"), false)),
            place,
            pickup_radius_km: number("pickupRadiusKm"),
            schedule: windows(cell("schedule")),
            session_minutes: cell("sessionMinutes").parse().unwrap(),
            sessions_per_week: integer("sessionsPerWeek", Some(1)),
            capacity: cell("capacity").parse().unwrap(),
            min_grade: integer("minGrade", Some(0)),
            max_grade: integer("maxGrade", Some(12)),
            min_age: integer("minAge", None),
            background_check: (check.cleared_on.is_some() || check.expires_on.is_some()).then_some(check),
        })
        .unwrap(),
    }
}

fn expected_partner(row: &HashMap<String, String>) -> Partner {
    let cell = |column: &str| row[column].as_str();
    Partner {
        id: cell("id").into(),
        name: cell("name").into(),
        kind: PartnerKind::parse(cell("kind")).unwrap(),
        status: PartnerStatus::parse(cell("status")).unwrap_or(PartnerStatus::Active),
        contact_name: optional(cell("contactName")),
        contact_email: optional(cell("contactEmail")),
        contact_phone: optional(cell("contactPhone")),
    }
}

// ---------------------------------------------------------------------------------

#[tokio::test]
async fn examples_import_in_order_and_read_back_as_written() {
    for db in backends().await {
        let conn = with_schools(&db).await;
        let (partner_rows, opening_rows, student_rows) =
            (rows_of(PARTNERS_CSV), rows_of(OPENINGS_CSV), rows_of(STUDENTS_CSV));

        let imported = import(conn, Table::Partners, PARTNERS_CSV, None).await.unwrap();
        assert_eq!(imported, Imported { created: partner_rows.len(), updated: 0 }, "{}", db.name);
        let imported = import(conn, Table::Openings, OPENINGS_CSV, None).await.unwrap();
        assert_eq!(imported, Imported { created: opening_rows.len(), updated: 0 }, "{}", db.name);
        let imported = import(conn, Table::Students, STUDENTS_CSV, None).await.unwrap();
        assert_eq!(imported, Imported { created: student_rows.len(), updated: 0 }, "{}", db.name);
        assert!(partner_rows.len() >= 5 && opening_rows.len() >= 5 && student_rows.len() >= 5);

        for row in &partner_rows {
            let stored = read::partner(conn, &row["id"]).await.unwrap();
            assert_eq!(stored, expected_partner(row), "{}", db.name);
        }
        for row in &opening_rows {
            let expected = expected_opening(row);
            let stored = read::opening(conn, &expected.matching.id).await.unwrap().opening;
            assert_eq!(stored.title, expected.title, "{}", db.name);
            assert_eq!(stored.matching, expected.matching, "{}", db.name);
        }
        for row in &student_rows {
            let expected = expected_student(row);
            let stored = read::student(conn, &expected.matching.id).await.unwrap();
            let who = format!("{} {}", db.name, expected.matching.id);
            assert_eq!(stored.school_id, expected.school_id, "{who}");
            assert_eq!((&stored.first_name, &stored.last_name), (&expected.first_name, &expected.last_name));
            assert_eq!(stored.guardians, expected.guardians, "{who}");
            assert_eq!(stored.matching, expected.matching, "{who}");
        }
    }
}

#[tokio::test]
async fn reimporting_updates_known_ids_and_creates_new_ones() {
    for db in backends().await {
        let conn = with_examples(&db).await;
        import(conn, Table::Students, STUDENTS_CSV, None).await.unwrap();
        let n_students = rows_of(STUDENTS_CSV).len();

        // s-1003 moves up a grade and gains a need; s-1099 is new.
        let before = "s-1003,Linh,Nguyen,sch-1,7,2013-05-20,vi;en,41.94,-87.66,WALK,20,false,\
                      MON 15:00-17:00;TUE 15:00-17:00;THU 15:00-17:00,TUTORING:reading|writing,";
        let after = "s-1003,Linh,Nguyen,sch-1,8,2013-05-20,vi;en,41.94,-87.66,WALK,20,false,\
                     MON 15:00-17:00;TUE 15:00-17:00;THU 15:00-17:00,MENTORING:art;TUTORING:reading|writing,";
        assert!(STUDENTS_CSV.contains(before));
        let changed = format!(
            "{}s-1099,Zoe,Park,sch-1,9,,ko;en,41.95,-87.64,WALK,30,,WED 15:00-17:00,TUTORING:algebra,,true,,,,,\n",
            STUDENTS_CSV.replace(before, after)
        );
        let imported = import(conn, Table::Students, &changed, None).await.unwrap();
        assert_eq!(imported, Imported { created: 1, updated: n_students }, "{}", db.name);

        let linh = read::student(conn, "s-1003").await.unwrap();
        assert_eq!(linh.matching.grade, Grade::new(8).unwrap(), "{}", db.name);
        let kinds: Vec<&str> = linh.matching.needs.iter().map(|need| need.kind.as_str()).collect();
        assert_eq!(kinds, ["MENTORING", "TUTORING"], "{}", db.name);
        let zoe = read::student(conn, "s-1099").await.unwrap();
        assert_eq!((zoe.matching.remote_ok, zoe.matching.priority), (true, 0), "{}", db.name);
        assert!(zoe.guardians.is_empty());

        // Partners: a renamed partner is updated, not duplicated.
        let renamed = PARTNERS_CSV.replace("Northside Youth Mentors", "Northside Youth Mentoring Network");
        let imported = import(conn, Table::Partners, &renamed, None).await.unwrap();
        assert_eq!(imported, Imported { created: 0, updated: rows_of(PARTNERS_CSV).len() });
        assert_eq!(read::partner(conn, "p-3").await.unwrap().name, "Northside Youth Mentoring Network");
        let (n_partners, _, n_stored) = counts(conn).await;
        assert_eq!((n_partners as usize, n_stored as usize), (rows_of(PARTNERS_CSV).len(), n_students + 1));

        // Openings: a changed capacity is written.
        let more = OPENINGS_CSV.replace("SAT 09:00-13:00,240,1,3,", "SAT 09:00-13:00,240,1,6,");
        let imported = import(conn, Table::Openings, &more, None).await.unwrap();
        assert_eq!(imported, Imported { created: 0, updated: rows_of(OPENINGS_CSV).len() });
        assert_eq!(read::opening(conn, "o-5").await.unwrap().opening.matching.capacity, 6, "{}", db.name);

        // One audit entry per import, naming the table and the row count.
        let audit = audit_log::Entity::find().order_by_asc(audit_log::Column::Id).all(conn).await.unwrap();
        let entries: Vec<(&str, &str, &str, Option<i64>)> = audit
            .iter()
            .map(|entry| {
                let rows = entry.detail.as_ref().and_then(|detail| detail["rows"].as_i64());
                (entry.action.as_str(), entry.entity.as_str(), entry.entity_id.as_str(), rows)
            })
            .collect();
        let n = |text: &str| Some(rows_of(text).len() as i64);
        assert_eq!(
            entries,
            [
                ("import", "partners", "csv", n(PARTNERS_CSV)),
                ("import", "openings", "csv", n(OPENINGS_CSV)),
                ("import", "students", "csv", n(STUDENTS_CSV)),
                ("import", "students", "csv", Some(n_students as i64 + 1)),
                ("import", "partners", "csv", n(PARTNERS_CSV)),
                ("import", "openings", "csv", n(OPENINGS_CSV)),
            ],
            "{}",
            db.name
        );
        assert!(audit.iter().all(|entry| entry.actor == "admin-1"));
    }
}

// ---------------------------------------------------------------------------------
// Files written cell by cell.

const STUDENT_COLUMNS: &[&str] = &[
    "id",
    "firstName",
    "lastName",
    "schoolId",
    "grade",
    "birthDate",
    "languages",
    "homeLat",
    "homeLon",
    "travelModes",
    "maxTravelMinutes",
    "remoteOk",
    "availability",
    "needs",
    "priority",
    "consentOnFile",
];

const A_STUDENT: &[(&str, &str)] = &[
    ("firstName", "Ana"),
    ("lastName", "Diaz"),
    ("schoolId", "sch-1"),
    ("grade", "9"),
    ("birthDate", "2011-04-01"),
    ("languages", "es;en"),
    ("homeLat", "41.9"),
    ("homeLon", "-87.65"),
    ("travelModes", "WALK;TRANSIT"),
    ("maxTravelMinutes", "45"),
    ("remoteOk", "true"),
    ("availability", "TUE 15:30-18:00"),
    ("needs", "TUTORING:algebra"),
    ("priority", "1"),
    ("consentOnFile", "true"),
];

const OPENING_COLUMNS: &[&str] = &[
    "id",
    "partnerId",
    "kind",
    "subjects",
    "languages",
    "virtual",
    "lat",
    "lon",
    "pickupRadiusKm",
    "schedule",
    "sessionMinutes",
    "sessionsPerWeek",
    "capacity",
    "minGrade",
    "maxGrade",
    "minAge",
    "backgroundClearedOn",
    "backgroundExpiresOn",
];

const AN_OPENING: &[(&str, &str)] = &[
    ("partnerId", "p-1"),
    ("kind", "TUTORING"),
    ("subjects", "algebra"),
    ("languages", "en"),
    ("virtual", "false"),
    ("lat", "41.94"),
    ("lon", "-87.65"),
    ("pickupRadiusKm", ""),
    ("schedule", "TUE 15:00-17:00"),
    ("sessionMinutes", "60"),
    ("sessionsPerWeek", "1"),
    ("capacity", "3"),
    ("minGrade", "6"),
    ("maxGrade", "12"),
    ("minAge", ""),
    ("backgroundClearedOn", "2026-01-10"),
    ("backgroundExpiresOn", "2027-01-10"),
];

/// A CSV file of `columns`: each row is an id and its changes to `base`.
fn sheet(columns: &[&str], base: &[(&str, &str)], rows: &[(&str, &[(&str, &str)])]) -> String {
    let mut text = columns.join(",") + "\n";
    for (id, changes) in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|column| {
                let value = changes.iter().chain(base).find(|(name, _)| name == column).map(|(_, v)| *v);
                let value = if *column == "id" { value.unwrap_or(id) } else { value.unwrap_or("") };
                if value.contains([',', '"', '\n']) {
                    format!("\"{}\"", value.replace('"', "\"\""))
                } else {
                    value.to_owned()
                }
            })
            .collect();
        text += &(cells.join(",") + "\n");
    }
    text
}

fn students_sheet(rows: &[(&str, &[(&str, &str)])]) -> String {
    sheet(STUDENT_COLUMNS, A_STUDENT, rows)
}

fn openings_sheet(rows: &[(&str, &[(&str, &str)])]) -> String {
    sheet(OPENING_COLUMNS, AN_OPENING, rows)
}

#[tokio::test]
async fn every_bad_student_row_is_reported_and_nothing_is_written() {
    for db in backends().await {
        let conn = with_examples(&db).await;
        let csv = students_sheet(&[
            ("s-2001", &[]),
            ("s-2002", &[("grade", "13")]),
            ("s-2003", &[("availability", "TUE 18:00-15:30")]),
            ("s-2004", &[("availability", "Tuesday afternoons")]),
            ("s-2005", &[("languages", "en;xx")]),
            ("s-2006", &[("lastName", "")]),
            ("s-2001", &[("firstName", "Bea")]),
            ("s-2008", &[("schoolId", "sch-9")]),
            ("s-2009", &[("homeLat", "95")]),
            ("s-2010", &[("needs", "TUTORING:algebra;TUTORING:geometry")]),
            ("s-2011", &[("consentOnFile", "maybe")]),
            ("s-2012", &[("grade", "nine"), ("maxTravelMinutes", "")]),
            ("s-2013", &[("travelModes", "WALK;SKATEBOARD")]),
            ("s-2014", &[("birthDate", "14/02/2011")]),
            ("s-2015", &[("priority", "4")]),
            ("s-2016", &[]),
        ]);
        let result = import(conn, Table::Students, &csv, None).await;
        assert_rows(
            &db,
            result,
            &[
                (3, Some("grade")),
                (4, Some("availability")),
                (5, Some("availability")),
                (6, Some("languages")),
                (7, Some("lastName")),
                (8, Some("id")),
                (9, Some("schoolId")),
                (10, Some("homeLat")),
                (11, Some("needs")),
                (12, Some("consentOnFile")),
                (13, Some("grade")),
                (13, Some("maxTravelMinutes")),
                (14, Some("travelModes")),
                (15, Some("birthDate")),
                (16, Some("priority")),
            ],
        );
        let (_, _, n_students) = counts(conn).await;
        assert_eq!(n_students, 0, "{}", db.name);
        assert!(matches!(read::student(conn, "s-2001").await, Err(StoreError::NotFound { .. })));
        let audit = audit_log::Entity::find().all(conn).await.unwrap();
        assert!(audit.iter().all(|entry| entry.entity != "students"), "{}", db.name);
    }
}

#[tokio::test]
async fn every_bad_opening_row_is_reported_and_nothing_is_written() {
    for db in backends().await {
        let conn = with_examples(&db).await;
        let (_, n_openings, _) = counts(conn).await;
        let csv = openings_sheet(&[
            ("o-9001", &[]),
            ("o-9002", &[("partnerId", "p-404")]),
            ("o-9003", &[("lat", ""), ("lon", "")]),
            ("o-9004", &[("backgroundExpiresOn", "2025-01-10")]),
            ("o-9005", &[("capacity", "0")]),
            ("o-9006", &[("schedule", "FRI 25:00-26:00")]),
            ("o-9007", &[("kind", "WORKSHOP")]),
            ("o-9008", &[("lon", "")]),
            ("o-9009", &[("languages", "english")]),
            ("o-9010", &[("minAge", "twelve")]),
            ("o-9011", &[("backgroundClearedOn", "soon")]),
            ("o-9012", &[("capacity", "3000000000")]),
            ("o-9013", &[("virtual", "true"), ("lat", ""), ("lon", ""), ("maxGrade", "13")]),
            ("o-9014", &[("virtual", "true"), ("lat", ""), ("lon", "")]),
        ]);
        let result = import(conn, Table::Openings, &csv, None).await;
        assert_rows(
            &db,
            result,
            &[
                (3, Some("partnerId")),
                (4, Some("lat")),
                (5, Some("backgroundExpiresOn")),
                (6, Some("capacity")),
                (7, Some("schedule")),
                (8, Some("kind")),
                (9, Some("lon")),
                (10, Some("languages")),
                (11, Some("minAge")),
                (12, Some("backgroundClearedOn")),
                (13, Some("capacity")),
                (14, Some("maxGrade")),
            ],
        );
        assert_eq!(counts(conn).await.1, n_openings, "{}", db.name);
        assert!(matches!(read::opening(conn, "o-9001").await, Err(StoreError::NotFound { .. })));

        // The good rows alone import, virtual ones without a place.
        let good =
            openings_sheet(&[("o-9001", &[]), ("o-9014", &[("virtual", "true"), ("lat", ""), ("lon", "")])]);
        let imported = import(conn, Table::Openings, &good, None).await.unwrap();
        assert_eq!(imported, Imported { created: 2, updated: 0 }, "{}", db.name);
        assert!(read::opening(conn, "o-9014").await.unwrap().opening.matching.place.is_none());
    }
}

#[tokio::test]
async fn every_bad_partner_row_is_reported_and_nothing_is_written() {
    for db in backends().await {
        let conn = with_schools(&db).await;
        let csv = "id,name,kind,contactEmail,status\n\
                   p-1,Lakeview Public Library,GOVERNMENT,teens@lakeviewlibrary.org,\n\
                   p-2,Helping Hands,CHARITY,info@helpinghands.org,ACTIVE\n\
                   p-3,Rivera Dental,BUSINESS,not-an-email,ACTIVE\n\
                   p-4,,NONPROFIT,a@b.org,ACTIVE\n\
                   p-5,Tom Becker,community_member,tom@example.com,PAUSED\n\
                   ,Nameless,FAMILY,,\n";
        let result = import(conn, Table::Partners, csv, None).await;
        assert_rows(
            &db,
            result,
            &[
                (3, Some("kind")),
                (4, Some("contactEmail")),
                (5, Some("name")),
                (6, Some("status")),
                (7, Some("id")),
            ],
        );
        assert_eq!(counts(conn).await.0, 0, "{}", db.name);
    }
}

#[tokio::test]
async fn header_problems_refuse_the_file_at_row_1() {
    for db in backends().await {
        let conn = with_examples(&db).await;
        let good = students_sheet(&[("s-1", &[])]);
        let (header, rows) = good.split_once('\n').unwrap();

        let unknown = format!("{header},colour\n{}", rows.replace('\n', ",blue\n"));
        assert_rows(&db, import(conn, Table::Students, &unknown, None).await, &[(1, Some("colour"))]);

        let missing = sheet(&STUDENT_COLUMNS[..STUDENT_COLUMNS.len() - 1], A_STUDENT, &[("s-1", &[])]);
        assert_rows(&db, import(conn, Table::Students, &missing, None).await, &[(1, Some("consentOnFile"))]);

        let twice = format!("{header},grade\n{}", rows.replace('\n', ",9\n"));
        assert_rows(&db, import(conn, Table::Students, &twice, None).await, &[(1, Some("grade"))]);

        let misspelt = good.replacen("homeLat", "homelat", 1);
        assert_rows(
            &db,
            import(conn, Table::Students, &misspelt, None).await,
            &[(1, Some("homeLat")), (1, Some("homelat"))],
        );

        let partners = "id,name,kind\np-9,Somebody,FAMILY\n";
        assert_rows(&db, import(conn, Table::Partners, partners, None).await, &[(1, Some("contactEmail"))]);

        let openings = openings_sheet(&[("o-1", &[])]).replacen("kind", "Kind", 1);
        assert_rows(
            &db,
            import(conn, Table::Openings, &openings, None).await,
            &[(1, Some("Kind")), (1, Some("kind"))],
        );

        for empty in ["", "\n\n", "\u{feff}"] {
            assert_rows(&db, import(conn, Table::Students, empty, None).await, &[(1, None)]);
        }
        assert_eq!(counts(conn).await.2, 0, "{}", db.name);

        // A header alone is an empty import, not an error.
        let imported = import(conn, Table::Students, format!("{header}\n"), None).await.unwrap();
        assert_eq!(imported, Imported::default(), "{}", db.name);
    }
}

#[tokio::test]
async fn a_school_import_fills_in_and_guards_the_school() {
    for db in backends().await {
        let conn = with_examples(&db).await;
        let no_school_column: Vec<&str> =
            STUDENT_COLUMNS.iter().copied().filter(|c| *c != "schoolId").collect();

        // The caller names the school; the file need not.
        let csv = sheet(&no_school_column, A_STUDENT, &[("s-1", &[]), ("s-2", &[])]);
        let imported = import(conn, Table::Students, &csv, Some("sch-2")).await.unwrap();
        assert_eq!(imported, Imported { created: 2, updated: 0 }, "{}", db.name);
        assert_eq!(read::student(conn, "s-1").await.unwrap().school_id, "sch-2", "{}", db.name);

        // Where the file names it too, they must agree; an empty cell takes the caller's.
        let csv = students_sheet(&[
            ("s-3", &[("schoolId", "sch-1")]),
            ("s-4", &[("schoolId", "sch-2")]),
            ("s-5", &[("schoolId", "")]),
        ]);
        assert_rows(&db, import(conn, Table::Students, &csv, Some("sch-1")).await, &[(3, Some("schoolId"))]);

        // A school's import may not take over another school's student…
        let csv = sheet(&no_school_column, A_STUDENT, &[("s-6", &[]), ("s-1", &[])]);
        assert_rows(&db, import(conn, Table::Students, &csv, Some("sch-1")).await, &[(3, Some("id"))]);
        assert_eq!(read::student(conn, "s-1").await.unwrap().school_id, "sch-2", "{}", db.name);

        // …and the school must exist.
        let csv = sheet(&no_school_column, A_STUDENT, &[("s-7", &[]), ("s-8", &[])]);
        assert_rows(
            &db,
            import(conn, Table::Students, &csv, Some("sch-404")).await,
            &[(2, Some("schoolId")), (3, Some("schoolId"))],
        );

        // Without a caller's school, the column is required, cell by cell.
        let csv = sheet(&no_school_column, A_STUDENT, &[("s-9", &[])]);
        assert_rows(&db, import(conn, Table::Students, &csv, None).await, &[(1, Some("schoolId"))]);
        let csv = students_sheet(&[("s-9", &[("schoolId", "")])]);
        assert_rows(&db, import(conn, Table::Students, &csv, None).await, &[(2, Some("schoolId"))]);
        assert_eq!(counts(conn).await.2, 2, "{}", db.name);

        // A district-wide import may move a student between schools.
        let csv = students_sheet(&[("s-1", &[("schoolId", "sch-1")])]);
        let imported = import(conn, Table::Students, &csv, None).await.unwrap();
        assert_eq!(imported, Imported { created: 0, updated: 1 }, "{}", db.name);
        assert_eq!(read::student(conn, "s-1").await.unwrap().school_id, "sch-1", "{}", db.name);
    }
}

#[tokio::test]
async fn spreadsheet_exports_import_bom_crlf_quotes_and_any_column_order() {
    for db in backends().await {
        let conn = with_examples(&db).await;
        // Excel's "CSV UTF-8": a byte order mark, CRLF line ends, quoted cells, a
        // trailing row of empty cells; columns in the spreadsheet's own order.
        let mut columns: Vec<&str> = STUDENT_COLUMNS.to_vec();
        columns.reverse();
        let csv = sheet(
            &columns,
            A_STUDENT,
            &[("s-1", &[("firstName", "José \"Pepe\""), ("lastName", "Núñez, Jr.")])],
        );
        let blank_row = ",".repeat(columns.len() - 1);
        let csv = format!("\u{feff}{}{blank_row}\n", csv).replace('\n', "\r\n");
        let imported = import(conn, Table::Students, &csv, None).await.unwrap();
        assert_eq!(imported, Imported { created: 1, updated: 0 }, "{}", db.name);
        let stored = read::student(conn, "s-1").await.unwrap();
        assert_eq!((stored.first_name.as_str(), stored.last_name.as_str()), ("José \"Pepe\"", "Núñez, Jr."));

        // A quoted cell may span lines and is still one row.
        let csv = "id,name,kind,contactEmail\n\
                   p-20,\"Line one\nline two\",FAMILY,a@b.org\n\
                   p-21,Helping Hands,CHARITY,info@helpinghands.org\n";
        assert_rows(&db, import(conn, Table::Partners, csv, None).await, &[(3, Some("kind"))]);
    }
}

#[tokio::test]
async fn broken_bytes_are_row_errors_not_panics() {
    for db in backends().await {
        let conn = with_examples(&db).await;
        let good = students_sheet(&[("s-1", &[]), ("s-2", &[])]);

        // Invalid UTF-8 in a cell names its row and column.
        let bad = good.replacen("Diaz", "D\u{1}az", 1).into_bytes();
        let bad: Vec<u8> = bad.into_iter().map(|b| if b == 1 { 0xff } else { b }).collect();
        assert_rows(&db, import(conn, Table::Students, &bad, None).await, &[(2, Some("lastName"))]);

        // So does a NUL character (PostgreSQL text cannot hold one).
        let nul = good.replacen("Diaz", "Di\0az", 1);
        assert_rows(&db, import(conn, Table::Students, &nul, None).await, &[(2, Some("lastName"))]);
        // And any other control character but tab, newline and return (the API's rule too).
        let bell = good.replacen("Diaz", "Di\u{7}az", 1);
        assert_rows(&db, import(conn, Table::Students, &bell, None).await, &[(2, Some("lastName"))]);
        let escape = good.replacen("Diaz", "Di\u{1b}az", 1);
        assert_rows(&db, import(conn, Table::Students, &escape, None).await, &[(2, Some("lastName"))]);

        // A ragged row is one error; the rows after it are still read.
        let (header, rows) = good.split_once('\n').unwrap();
        let ragged = format!(
            "{header}\ns-0,Ana,Diaz\n{rows}{}\n",
            rows.lines().next().unwrap().replace("s-1", "s-9") + ",extra"
        );
        assert_rows(&db, import(conn, Table::Students, &ragged, None).await, &[(2, None), (5, None)]);

        // Invalid UTF-8 in the header.
        let header_bytes = [b"id,first\xffName\n".as_slice(), b"s-1,Ana\n"].concat();
        let errors = row_errors(&db, import(conn, Table::Students, &header_bytes, None).await);
        assert!(errors.iter().all(|e| e.row == 1) && errors.iter().any(|e| e.column.is_none()), "{errors:?}");

        // Garbage of every kind is refused with errors, for every table.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for length in [1, 2, 3, 17, 300, 5000] {
            let garbage: Vec<u8> = (0..length).map(|_| next(&mut state) as u8).collect();
            for table in Table::ALL {
                let errors = row_errors(&db, import(conn, table, &garbage, None).await);
                assert!(!errors.is_empty());
            }
        }
        for odd in ["\"", "\"\"\"", "id\n\"unterminated", ",,,\n,,,", "\r\r\r", "id;name;kind"] {
            for table in Table::ALL {
                assert!(import(conn, table, odd, None).await.is_err(), "{} {table} {odd:?}", db.name);
            }
        }
        assert_eq!(counts(conn).await.2, 0, "{}", db.name);
    }
}

/// xorshift64: a fixed, reproducible stream of pseudo-random numbers.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Bytes a CSV file is made of, and a few that break UTF-8 or PostgreSQL.
const INTERESTING: &[u8] = b",;\"\n\r:|- 0123456789.eE+TUEWALKtrue\x00\xff\xc3\xa9\x80";

/// Cells that are valid somewhere and wrong elsewhere: edges of every rule.
const CELLS: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "1",
    "3",
    "4",
    "12",
    "13",
    "150",
    "151",
    "1440",
    "1441",
    "2147483648",
    "99999999999999999999",
    "1e308",
    "-1e308",
    "NaN",
    "inf",
    "90.0001",
    "-180.5",
    "41.9",
    "yes",
    "no",
    "maybe",
    "TRUE",
    "EN",
    "xx",
    "en;en",
    "es;EN",
    "MON 00:00-24:00",
    "TUE 25:00-26:00",
    "WED 10:00-09:00",
    "SUN 9:00-9:30",
    "FUNDAY 10:00-11:00",
    "MON 10:00-11:00;MON 10:30-12:00",
    "TUTORING:",
    "TUTORING;TUTORING",
    "MENTORING:a|b;INTERNSHIP",
    ":",
    "WORKSHOP",
    "2026-02-30",
    "2026-02-28",
    "0000-01-01",
    "9999-12-31",
    "sch-1",
    "sch-2",
    "sch-9",
    "p-1",
    "p-404",
    "o-1",
    "s-1001",
    "a@b",
    "@",
    "ACTIVE",
    "INACTIVE",
    "BUSINESS",
    "CAR",
    "WALK;WALK",
    "\"a,b\"",
    "\"\"\"\"",
    "é",
    "\u{200b}",
];

fn mutate(bytes: &mut Vec<u8>, state: &mut u64) {
    for _ in 0..=next(state) % 4 {
        let at = if bytes.is_empty() { 0 } else { (next(state) % bytes.len() as u64) as usize };
        let byte = INTERESTING[(next(state) % INTERESTING.len() as u64) as usize];
        match next(state) % 9 {
            0 if !bytes.is_empty() => bytes[at] ^= 1 << (next(state) % 8),
            1 if !bytes.is_empty() => bytes[at] = byte,
            2 => bytes.insert(at, byte),
            3 if !bytes.is_empty() => {
                let end = (at + (next(state) % 40) as usize).min(bytes.len());
                bytes.drain(at..end);
            }
            4 => {
                let end = (at + (next(state) % 200) as usize).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                let to = (next(state) % (bytes.len() as u64 + 1)) as usize;
                bytes.splice(to..to, copy);
            }
            5 => bytes.truncate(at),
            6 | 7 => {
                // Replace the whole cell around `at`.
                let is_edge = |b: &u8| matches!(b, b',' | b'\n');
                let start = bytes[..at].iter().rposition(is_edge).map_or(0, |edge| edge + 1);
                let end = bytes[at..].iter().position(is_edge).map_or(bytes.len(), |edge| at + edge);
                let cell = CELLS[(next(state) % CELLS.len() as u64) as usize];
                bytes.splice(start..end, cell.bytes());
            }
            _ => bytes.insert(at, next(state) as u8),
        }
    }
}

#[tokio::test]
async fn mutated_files_never_panic_and_never_reach_the_database_unchecked() {
    for db in backends().await {
        let conn = with_examples(&db).await;
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let (mut n_ok, mut n_refused) = (0, 0);
        for round in 0..600 {
            let (table, source) = match round % 3 {
                0 => (Table::Students, STUDENTS_CSV),
                1 => (Table::Openings, OPENINGS_CSV),
                _ => (Table::Partners, PARTNERS_CSV),
            };
            let mut bytes = source.as_bytes().to_vec();
            mutate(&mut bytes, &mut state);
            let school = (round % 2 == 0).then_some("sch-1");
            match import(conn, table, &bytes, school).await {
                Ok(_) => n_ok += 1,
                Err(StoreError::Rows(errors)) => {
                    n_refused += 1;
                    assert!(!errors.is_empty());
                    assert!(errors.iter().all(|e| e.row >= 1 && !e.message.is_empty()), "{errors:?}");
                    let keys: Vec<_> = errors.iter().map(|e| (e.row, e.column.clone())).collect();
                    assert!(keys.is_sorted(), "{keys:?}");
                }
                Err(err) => panic!(
                    "{}: a database error slipped past the checks: {err:?}\n{}",
                    db.name,
                    String::from_utf8_lossy(&bytes)
                ),
            }
        }
        assert!(n_ok > 0 && n_refused > 0, "{}: {n_ok} imported, {n_refused} refused", db.name);
    }
}

#[tokio::test]
async fn ten_thousand_students_import_in_one_transaction() {
    const N: usize = 10_000;
    let mut csv = STUDENT_COLUMNS.join(",") + ",guardianName,guardianEmail\n";
    let days = ["MON", "TUE", "WED", "THU", "FRI"];
    for i in 0..N {
        let (day, other) = (days[i % 5], days[(i + 2) % 5]);
        csv += &format!(
            "s-{i:05},First{i},Last{i},sch-{school},{grade},2010-0{month}-1{day_of_month},es;en,{lat:.3},{lon:.3},\
             WALK;TRANSIT,{minutes},true,{day} 15:00-17:30;{other} 16:00-18:00,MENTORING:art;TUTORING:algebra|biology,\
             {priority},true,Guardian {i},g{i}@example.com\n",
            school = 1 + i % 2,
            grade = i % 13,
            month = 1 + i % 9,
            day_of_month = i % 10,
            lat = 41.8 + (i % 300) as f64 * 0.001,
            lon = -87.7 + (i % 200) as f64 * 0.001,
            minutes = 20 + i % 40,
            priority = i % 4,
        );
    }
    for db in backends().await {
        let conn = with_schools(&db).await;
        let started = std::time::Instant::now();
        let imported = import(conn, Table::Students, &csv, None).await.unwrap();
        let created = started.elapsed();
        assert_eq!(imported, Imported { created: N, updated: 0 }, "{}", db.name);
        let started = std::time::Instant::now();
        let imported = import(conn, Table::Students, &csv, None).await.unwrap();
        let updated = started.elapsed();
        assert_eq!(imported, Imported { created: 0, updated: N }, "{}", db.name);
        assert_eq!(counts(conn).await.2, N as u64, "{}", db.name);
        let last = read::student(conn, &format!("s-{:05}", N - 1)).await.unwrap();
        assert_eq!(last.matching.needs.len(), 2);
        eprintln!("{}: {N} students created in {created:.2?}, updated in {updated:.2?}", db.name);
    }
}

const DISTRICTS_CSV: &str = include_str!("../../examples/districts.csv");
const SCHOOLS_CSV: &str = include_str!("../../examples/schools.csv");
const AGREEMENTS_CSV: &str = include_str!("../../examples/agreements.csv");

/// A district from nothing, parents first, then read back as written; each new
/// table refuses a bad file whole, every bad row named by row and column.
#[tokio::test]
async fn districts_schools_and_agreements_import_from_nothing_all_or_none() {
    for db in backends().await {
        let conn = db.store.db();
        // Out of order: schools before their district.
        assert_rows(
            &db,
            import(conn, Table::Schools, SCHOOLS_CSV, None).await,
            &[(2, Some("districtId")), (3, Some("districtId"))],
        );
        for (table, csv) in [
            (Table::Districts, DISTRICTS_CSV),
            (Table::Schools, SCHOOLS_CSV),
            (Table::Partners, PARTNERS_CSV),
            (Table::Agreements, AGREEMENTS_CSV),
        ] {
            let imported =
                import(conn, table, csv, None).await.unwrap_or_else(|err| panic!("{table}: {err}"));
            assert_eq!(imported.created, rows_of(csv).len(), "{}: {table}", db.name);
        }
        let schools = store::people::schools_of_district(conn, "d-lakeview").await.unwrap();
        assert_eq!(schools.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["sch-1", "sch-2"]);
        let agreements = store::read::agreements_of(conn, "p-2").await.unwrap();
        assert_eq!(agreements.len(), 1);
        assert_eq!(agreements[0].school_id.as_deref(), Some("sch-1"));
        assert!(agreements[0].data_sharing);
        assert_eq!(agreements[0].ends_on.map(|d| d.to_string()).as_deref(), Some("2029-07-31"));
        let without = store::read::agreements_of(conn, "p-7").await.unwrap();
        assert!(!without[0].data_sharing && without[0].terms.is_some());

        // Every bad agreement row at once; nothing written.
        let header = "id,partnerId,schoolId,startsOn,endsOn,signedOn,dataSharing";
        let bad = format!(
            "{header}\na-9,p-nobody,,2026-08-01,,,true\na-10,p-1,sch-nobody,2026-08-01,,,true\n\
             a-11,p-1,,2026-08-01,2026-01-01,,true\na-12,p-1,,01/08/2026,,,true\na-13,p-1,,2026-08-01,,,maybe\n\
             a-14,p-1,,,,,true\n"
        );
        let before = store::read::agreements_of(conn, "p-1").await.unwrap().len();
        assert_rows(
            &db,
            import(conn, Table::Agreements, &bad, None).await,
            &[
                (2, Some("partnerId")),
                (3, Some("schoolId")),
                (4, Some("endsOn")),
                (5, Some("startsOn")),
                (6, Some("dataSharing")),
                (7, Some("startsOn")),
            ],
        );
        assert_eq!(store::read::agreements_of(conn, "p-1").await.unwrap().len(), before, "{}", db.name);
        assert_rows(&db, import(conn, Table::Districts, "id,name\nd-2,\n", None).await, &[(2, Some("name"))]);
        assert_rows(
            &db,
            import(conn, Table::Schools, "id,name\nsch-9,Nine\n", None).await,
            &[(1, Some("districtId"))],
        );
    }
}

/// The stored o-1 of [`crate::matching_api::district`], as an openings row.
const STORED_O1: &[(&str, &str)] = &[
    ("partnerId", "p-1"),
    ("kind", "TUTORING"),
    ("subjects", "algebra;geometry"),
    ("languages", "en;es"),
    ("virtual", "false"),
    ("lat", "41.902"),
    ("lon", "-87.651"),
    ("pickupRadiusKm", "2.5"),
    ("schedule", "TUE 16:00-18:00;THU 16:00-18:00"),
    ("sessionMinutes", "60"),
    ("sessionsPerWeek", "1"),
    ("capacity", "3"),
    ("minGrade", "6"),
    ("maxGrade", "12"),
    ("minAge", ""),
    ("backgroundClearedOn", "2026-01-10"),
    ("backgroundExpiresOn", "2031-01-10"),
];

/// The stored s-1 of [`crate::matching_api::district`], as a students row.
const STORED_S1: &[(&str, &str)] = &[
    ("firstName", "Maria"),
    ("lastName", "Lopez"),
    ("schoolId", "sch-1"),
    ("grade", "9"),
    ("birthDate", "2011-03-02"),
    ("languages", "es;en"),
    ("homeLat", "41.881"),
    ("homeLon", "-87.623"),
    ("travelModes", "WALK;TRANSIT"),
    ("maxTravelMinutes", "45"),
    ("remoteOk", "true"),
    ("availability", "TUE 15:30-18:00;THU 15:30-18:00"),
    ("needs", "MENTORING:healthcare;TUTORING:algebra"),
    ("priority", "2"),
    ("consentOnFile", "true"),
];

#[tokio::test]
async fn an_import_meets_the_api_rules_for_unmatchable_openings_and_stranded_matches() {
    use crate::matching_api::{district, match_in};
    use store::records::MatchStatus;
    for db in backends().await {
        district(&db, 2, 3).await;
        match_in(&db, "m-1", "s-1", MatchStatus::Active).await;
        let conn = db.store.db();
        let name = db.name;
        let before = read::opening(conn, "o-1").await.unwrap();

        // An opening that could never match: one error per field, as through the API.
        let never = sheet(
            OPENING_COLUMNS,
            STORED_O1,
            &[("o-77", &[("minGrade", "10"), ("maxGrade", "5"), ("sessionMinutes", "180")])],
        );
        assert_rows(
            &db,
            import(conn, Table::Openings, &never, None).await,
            &[(2, Some("minGrade")), (2, Some("sessionMinutes"))],
        );

        // An update that would strand the ACTIVE match m-1: refused, naming it.
        let kind = sheet(
            OPENING_COLUMNS,
            STORED_O1,
            &[("o-1", &[("kind", "MENTORING"), ("subjects", "healthcare")])],
        );
        assert_rows(&db, import(conn, Table::Openings, &kind, None).await, &[(2, Some("kind"))]);
        let grades = sheet(OPENING_COLUMNS, STORED_O1, &[("o-1", &[("maxGrade", "8")])]);
        let errors = row_errors(&db, import(conn, Table::Openings, &grades, None).await);
        assert_eq!(
            (errors.len(), errors[0].row, errors[0].column.as_deref()),
            (1, 2, None),
            "{name}: {errors:?}"
        );
        assert!(errors[0].message.contains("m-1 (GRADE)"), "{name}: {}", errors[0]);
        let language = sheet(STUDENT_COLUMNS, STORED_S1, &[("s-1", &[("languages", "fr")])]);
        let errors = row_errors(&db, import(conn, Table::Students, &language, None).await);
        assert!(errors.len() == 1 && errors[0].message.contains("m-1 (LANGUAGE)"), "{name}: {errors:?}");
        let after = read::opening(conn, "o-1").await.unwrap();
        assert_eq!(
            format!("{:?}", after.opening),
            format!("{:?}", before.opening),
            "{name}: nothing written"
        );

        // Updates that keep the match feasible go through.
        let kept = sheet(OPENING_COLUMNS, STORED_O1, &[("o-1", &[("maxGrade", "10"), ("capacity", "4")])]);
        let imported = import(conn, Table::Openings, &kept, None).await.unwrap();
        assert_eq!(imported, Imported { created: 0, updated: 1 }, "{name}");
        let moved = sheet(
            STUDENT_COLUMNS,
            STORED_S1,
            &[("s-1", &[("priority", "3")]), ("s-2", &[("languages", "fr")])],
        );
        let imported = import(conn, Table::Students, &moved, None).await.unwrap();
        assert_eq!(imported, Imported { created: 0, updated: 2 }, "{name}: s-2 holds no match");
    }
}
