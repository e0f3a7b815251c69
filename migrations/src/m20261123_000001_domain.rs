//! The whole domain (docs/api.md, docs/matching.md).
//!
//! Lists that the API filters on (opening subjects and languages, student needs and
//! languages) and weekly windows are child tables, so the database can index them and
//! CHECK every window (`end > start`); a need's subjects and a match's score breakdown
//! are JSON, read and written only whole with their row.

use sea_orm_migration::prelude::*;

use crate::table::{
    boolean, check, date, date_null, double, double_null, id, index, int, int_default, int_null, json,
    json_null, one_of, references, serial, text, text_null, timestamp, timestamp_null,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000001_domain"
    }
}

pub const TABLES: &[&str] = &[
    "districts",
    "schools",
    "partners",
    "agreements",
    "openings",
    "opening_subjects",
    "opening_languages",
    "opening_windows",
    "background_checks",
    "students",
    "student_languages",
    "student_windows",
    "student_needs",
    "guardians",
    "match_runs",
    "matches",
    "match_sessions",
    "declined_pairs",
    "feedback",
    "audit_log",
];

const KINDS: &[&str] = &["TUTORING", "MENTORING", "INTERNSHIP"];
const PARTNER_KINDS: &[&str] =
    &["BUSINESS", "NONPROFIT", "UNIVERSITY", "GOVERNMENT", "FAITH_BASED", "FAMILY", "COMMUNITY_MEMBER"];
const MATCH_STATUSES: &[&str] = &["PROPOSED", "ACCEPTED", "ACTIVE", "COMPLETED", "DECLINED", "CANCELLED"];
const RUN_STATUSES: &[&str] = &["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];
const ROLES: &[&str] = &["ADMIN", "COUNSELOR", "PARTNER", "STUDENT"];

/// The statuses in which a match holds its slot and its student's time.
pub const OPEN_MATCH: &str = "status IN ('PROPOSED', 'ACCEPTED', 'ACTIVE')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager.drop_table(Table::drop().table(*table).if_exists().take()).await?;
        }
        Ok(())
    }
}

/// A weekly window child table: `(owner, day, start_minute, end_minute)`, days 0 = Monday.
fn windows(table: &'static str, owner: &'static str, parent: &'static str) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(text(owner))
        .col(int("day"))
        .col(int("start_minute"))
        .col(int("end_minute"))
        .primary_key(Index::create().col(owner).col("day").col("start_minute"))
        .check(check("window_day", "day BETWEEN 0 AND 6"))
        .check(check(
            "window_bounds",
            "start_minute >= 0 AND end_minute <= 1440 AND end_minute > start_minute",
        ))
        .foreign_key(&mut references(table, owner, parent, ForeignKeyAction::Cascade))
        .take()
}

fn tables() -> Vec<TableCreateStatement> {
    use ForeignKeyAction::{Cascade, Restrict, SetNull};
    vec![
        Table::create().table("districts").col(id("id")).col(text("name")).take(),
        Table::create()
            .table("schools")
            .col(id("id"))
            .col(text("district_id"))
            .col(text("name"))
            .foreign_key(&mut references("schools", "district_id", "districts", Restrict))
            .take(),
        Table::create()
            .table("partners")
            .col(id("id"))
            .col(text("name"))
            .col(text("kind"))
            .col(ColumnDef::new("status").text().not_null().default("ACTIVE"))
            .col(text_null("contact_name"))
            .col(text_null("contact_email"))
            .col(text_null("contact_phone"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .check(one_of("partner_kind", "kind", PARTNER_KINDS))
            .check(one_of("partner_status", "status", &["ACTIVE", "INACTIVE"]))
            .take(),
        // An MOU with the whole district (school_id NULL) or with one school.
        Table::create()
            .table("agreements")
            .col(id("id"))
            .col(text("partner_id"))
            .col(text_null("school_id"))
            .col(date("starts_on"))
            .col(date_null("ends_on"))
            .col(date_null("signed_on"))
            .col(boolean("data_sharing", false))
            .col(text_null("terms"))
            .check(check("agreement_dates", "ends_on IS NULL OR ends_on >= starts_on"))
            .foreign_key(&mut references("agreements", "partner_id", "partners", Cascade))
            .foreign_key(&mut references("agreements", "school_id", "schools", Cascade))
            .take(),
        // `filled` counts the open matches holding a slot; it is kept in the same
        // transaction as those matches, and the CHECK makes overbooking impossible.
        Table::create()
            .table("openings")
            .col(id("id"))
            .col(text("partner_id"))
            .col(text("kind"))
            .col(text_null("title"))
            .col(boolean("is_virtual", false))
            .col(double_null("lat"))
            .col(double_null("lon"))
            .col(double_null("pickup_radius_km"))
            .col(int("session_minutes"))
            .col(int_default("sessions_per_week", 1))
            .col(int("capacity"))
            .col(int_default("filled", 0))
            .col(int_default("min_grade", 0))
            .col(int_default("max_grade", 12))
            .col(int_null("min_age"))
            .col(int_default("version", 0))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .check(one_of("opening_kind", "kind", KINDS))
            .check(check("opening_place", "is_virtual OR (lat IS NOT NULL AND lon IS NOT NULL)"))
            .check(check("opening_lat", "lat IS NULL OR lat BETWEEN -90 AND 90"))
            .check(check("opening_lon", "lon IS NULL OR lon BETWEEN -180 AND 180"))
            .check(check("opening_pickup", "pickup_radius_km IS NULL OR pickup_radius_km >= 0"))
            .check(check("opening_session_minutes", "session_minutes BETWEEN 1 AND 1440"))
            .check(check("opening_sessions_per_week", "sessions_per_week BETWEEN 1 AND 7"))
            .check(check("opening_capacity", "capacity >= 1"))
            .check(check("opening_filled", "filled >= 0 AND filled <= capacity"))
            .check(check("opening_grades", "min_grade BETWEEN 0 AND 12 AND max_grade BETWEEN 0 AND 12"))
            .check(check("opening_min_age", "min_age IS NULL OR min_age BETWEEN 0 AND 150"))
            .foreign_key(&mut references("openings", "partner_id", "partners", Restrict))
            .take(),
        Table::create()
            .table("opening_subjects")
            .col(text("opening_id"))
            .col(text("subject"))
            .primary_key(Index::create().col("opening_id").col("subject"))
            .foreign_key(&mut references("opening_subjects", "opening_id", "openings", Cascade))
            .take(),
        Table::create()
            .table("opening_languages")
            .col(text("opening_id"))
            .col(text("language"))
            .primary_key(Index::create().col("opening_id").col("language"))
            .foreign_key(&mut references("opening_languages", "opening_id", "openings", Cascade))
            .take(),
        windows("opening_windows", "opening_id", "openings"),
        // The host's check, one per opening.
        Table::create()
            .table("background_checks")
            .col(ColumnDef::new("opening_id").text().not_null().primary_key())
            .col(date_null("cleared_on"))
            .col(date_null("expires_on"))
            .check(check(
                "background_dates",
                "cleared_on IS NULL OR expires_on IS NULL OR expires_on >= cleared_on",
            ))
            .foreign_key(&mut references("background_checks", "opening_id", "openings", Cascade))
            .take(),
        // Home is stored coarsely (3 decimals, about 100 m): enough for travel times.
        Table::create()
            .table("students")
            .col(id("id"))
            .col(text("school_id"))
            .col(text("first_name"))
            .col(text("last_name"))
            .col(int("grade"))
            .col(date_null("birth_date"))
            .col(double("home_lat"))
            .col(double("home_lon"))
            .col(boolean("walk", false))
            .col(boolean("bike", false))
            .col(boolean("transit", false))
            .col(boolean("car", false))
            .col(double("max_travel_minutes"))
            .col(boolean("remote_ok", true))
            .col(int_default("priority", 0))
            .col(boolean("consent_on_file", false))
            .col(int_default("version", 0))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .check(check("student_grade", "grade BETWEEN 0 AND 12"))
            .check(check("student_priority", "priority BETWEEN 0 AND 3"))
            .check(check("student_home", "home_lat BETWEEN -90 AND 90 AND home_lon BETWEEN -180 AND 180"))
            .check(check("student_travel", "max_travel_minutes >= 0"))
            .foreign_key(&mut references("students", "school_id", "schools", Restrict))
            .take(),
        // Preferred language first: `position` keeps the order.
        Table::create()
            .table("student_languages")
            .col(text("student_id"))
            .col(int("position"))
            .col(text("language"))
            .primary_key(Index::create().col("student_id").col("position"))
            .check(check("student_language_position", "position >= 0"))
            .foreign_key(&mut references("student_languages", "student_id", "students", Cascade))
            .take(),
        windows("student_windows", "student_id", "students"),
        // At most one need of each kind per student (the primary key).
        Table::create()
            .table("student_needs")
            .col(text("student_id"))
            .col(text("kind"))
            .col(json("subjects"))
            .primary_key(Index::create().col("student_id").col("kind"))
            .check(one_of("need_kind", "kind", KINDS))
            .foreign_key(&mut references("student_needs", "student_id", "students", Cascade))
            .take(),
        Table::create()
            .table("guardians")
            .col(serial("id"))
            .col(text("student_id"))
            .col(text("name"))
            .col(text_null("relationship"))
            .col(text_null("email"))
            .col(text_null("phone"))
            .foreign_key(&mut references("guardians", "student_id", "students", Cascade))
            .take(),
        // `scope_key` names what the run covers; `lease_until` lets one API node own
        // a running run across several nodes.
        Table::create()
            .table("match_runs")
            .col(id("id"))
            .col(text_null("school_id"))
            .col(text("scope_key"))
            .col(json("kinds"))
            .col(json_null("student_ids"))
            .col(json("weights"))
            .col(boolean("dry_run", true))
            .col(ColumnDef::new("status").text().not_null().default("QUEUED"))
            .col(text_null("phase"))
            .col(ColumnDef::new("done").big_integer().not_null().default(0))
            .col(ColumnDef::new("total").big_integer().not_null().default(0))
            .col(json_null("stats"))
            .col(json_null("result"))
            .col(text_null("error"))
            .col(text("requested_by"))
            .col(timestamp("created_at"))
            .col(timestamp_null("started_at"))
            .col(timestamp_null("finished_at"))
            .col(text_null("lease_owner"))
            .col(timestamp_null("lease_until"))
            .check(one_of("run_status", "status", RUN_STATUSES))
            .check(check("run_progress", "done >= 0 AND total >= 0"))
            .foreign_key(&mut references("match_runs", "school_id", "schools", Cascade))
            .take(),
        Table::create()
            .table("matches")
            .col(id("id"))
            .col(text_null("run_id"))
            .col(text("student_id"))
            .col(text("opening_id"))
            .col(text("kind"))
            .col(ColumnDef::new("status").text().not_null().default("PROPOSED"))
            .col(int("score"))
            .col(json("breakdown"))
            .col(timestamp("created_at"))
            .col(text_null("decided_by"))
            .col(timestamp_null("decided_at"))
            .col(text_null("decline_reason"))
            .col(int_default("version", 0))
            .check(one_of("match_kind", "kind", KINDS))
            .check(one_of("match_status", "status", MATCH_STATUSES))
            .check(check("match_score", "score >= 0"))
            .foreign_key(&mut references("matches", "run_id", "match_runs", SetNull))
            .foreign_key(&mut references("matches", "student_id", "students", Restrict))
            .foreign_key(&mut references("matches", "opening_id", "openings", Restrict))
            .take(),
        windows("match_sessions", "match_id", "matches"),
        // A declined pair is never proposed again (the primary key).
        Table::create()
            .table("declined_pairs")
            .col(text("student_id"))
            .col(text("opening_id"))
            .col(timestamp("declined_at"))
            .primary_key(Index::create().col("student_id").col("opening_id"))
            .foreign_key(&mut references("declined_pairs", "student_id", "students", Cascade))
            .foreign_key(&mut references("declined_pairs", "opening_id", "openings", Cascade))
            .take(),
        Table::create()
            .table("feedback")
            .col(serial("id"))
            .col(text("match_id"))
            .col(text("author_role"))
            .col(text("author_id"))
            .col(int("rating"))
            .col(text_null("comment"))
            .col(int_null("sessions_attended"))
            .col(timestamp("created_at"))
            .check(one_of("feedback_role", "author_role", ROLES))
            .check(check("feedback_rating", "rating BETWEEN 1 AND 5"))
            .check(check("feedback_sessions", "sessions_attended IS NULL OR sessions_attended >= 0"))
            .foreign_key(&mut references("feedback", "match_id", "matches", Cascade))
            .take(),
        // Who changed what; rows are only ever inserted.
        Table::create()
            .table("audit_log")
            .col(serial("id"))
            .col(timestamp("occurred_at"))
            .col(text("actor"))
            .col(text("action"))
            .col(text("entity"))
            .col(text("entity_id"))
            .col(json_null("detail"))
            .take(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index("schools", &["district_id"]),
        index("agreements", &["partner_id"]),
        index("openings", &["partner_id"]),
        index("openings", &["kind", "id"]),
        index("openings", &["lat", "lon"]),
        index("opening_subjects", &["subject"]),
        index("opening_languages", &["language"]),
        index("students", &["school_id", "id"]),
        index("students", &["school_id", "grade"]),
        index("student_needs", &["kind"]),
        index("guardians", &["student_id"]),
        index("match_runs", &["scope_key", "status"]),
        index("matches", &["opening_id", "status"]),
        index("matches", &["run_id"]),
        index("matches", &["status"]),
        index("feedback", &["match_id"]),
        index("audit_log", &["entity", "entity_id"]),
        // One open match per student and opening, and per student and kind: a need
        // is filled once.
        Index::create()
            .name("ux_matches_open_pair")
            .table("matches")
            .col("student_id")
            .col("opening_id")
            .unique()
            .and_where(Expr::cust(OPEN_MATCH))
            .take(),
        Index::create()
            .name("ux_matches_open_kind")
            .table("matches")
            .col("student_id")
            .col("kind")
            .unique()
            .and_where(Expr::cust(OPEN_MATCH))
            .take(),
    ]
}
