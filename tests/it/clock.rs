//! "Today" is the date in `PARTNERMATCH_TIMEZONE` (docs/api.md "Matching over the API"): a
//! background check that is valid on the UTC date but not on the district's is
//! judged on the district's, and a zone that is not an IANA name stops the binary.

use chrono::{Timelike, Utc};
use store::clock::Zone;
use store::records::BackgroundCheck;
use store::write::save_openings;

use crate::db::sqlite;
use crate::gql::{code, counselor, no_errors};
use crate::http::TestServer;
use crate::matching_api::district;
use crate::store::{now, opening};

#[tokio::test]
async fn a_pick_is_judged_on_the_districts_date() {
    let utc = Utc::now();
    let utc_today = utc.date_naive();
    // A zone whose date is not UTC's right now, and a clearance valid on UTC's date
    // only: ending today where it is already tomorrow, or starting today where it
    // is still yesterday.
    let (zone, check) = if utc.hour() >= 10 {
        let check = BackgroundCheck::new(chrono::NaiveDate::from_ymd_opt(2026, 1, 10), Some(utc_today));
        ("Pacific/Kiritimati", check)
    } else {
        let check = BackgroundCheck::new(Some(utc_today), chrono::NaiveDate::from_ymd_opt(2031, 1, 10));
        ("Etc/GMT+12", check)
    };
    let zone = Zone::parse(zone).unwrap();
    assert_ne!(zone.today(utc), utc_today, "the test needs a date other than UTC's");
    let pick = r#"mutation { proposeMatch(studentId: "s-1", openingId: "o-1") { status } }"#;
    for in_zone in [true, false] {
        let db = sqlite().await;
        let name = db.name;
        district(&db, 1, 2).await;
        let mut edited = opening("o-1", "p-1", 2);
        edited.matching.background_check = Some(check);
        save_openings(db.store.db(), &[edited], now()).await.unwrap();
        let db = if in_zone { db.in_zone(zone) } else { db };
        let server = TestServer::start(db, false).await;
        let response = server.query(Some(&counselor("sch-1")), pick).await;
        if in_zone {
            assert_eq!(code(&response), "CONFLICT", "{name} in {}: {response}", zone.name());
            assert!(response.to_string().contains("BACKGROUND_CHECK"), "{name}: {response}");
        } else {
            no_errors(&response);
        }
        server.stop().await;
    }
}

#[test]
fn a_time_zone_that_is_not_an_iana_name_stops_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_partnermatch"))
        .args(["seed", "--demo", "--data-dir"])
        .arg(dir.path())
        .env("PARTNERMATCH_TIMEZONE", "Mars/Olympus")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("timezone") && stderr.contains("Mars/Olympus"), "{stderr}");
}
