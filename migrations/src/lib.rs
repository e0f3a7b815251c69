//! The partnermatch database schema: one migration list that runs on SQLite and
//! PostgreSQL alike. Tables are built with sea-query so each backend gets its own
//! types (JSON, timestamps, booleans); CHECK constraints and partial indexes are the
//! small SQL subset both backends share.

use sea_orm_migration::prelude::*;

mod m20261123_000001_domain;
mod m20261123_000002_privacy;
mod m20261123_000003_matching;
mod m20261201_000004_read_indexes;
mod m20261201_000005_district;
mod m20261202_000006_waitlist;
mod m20261202_000007_notifications;
mod m20261202_000008_mail;
mod table;

pub use sea_orm_migration::{MigratorTrait, SchemaManager};

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_domain::Migration),
            Box::new(m20261123_000002_privacy::Migration),
            Box::new(m20261123_000003_matching::Migration),
            Box::new(m20261201_000004_read_indexes::Migration),
            Box::new(m20261201_000005_district::Migration),
            Box::new(m20261202_000006_waitlist::Migration),
            Box::new(m20261202_000007_notifications::Migration),
            Box::new(m20261202_000008_mail::Migration),
        ]
    }
}

/// The tables of the domain migration, parents before children; `down` drops them
/// in reverse.
pub const DOMAIN_TABLES: &[&str] = m20261123_000001_domain::TABLES;

/// The tables of the privacy migration (the disclosure log).
pub const PRIVACY_TABLES: &[&str] = m20261123_000002_privacy::TABLES;

/// The tables of the notifications migration (outbox, webhooks, deliveries).
pub const NOTIFICATION_TABLES: &[&str] = m20261202_000007_notifications::TABLES;

/// The unique index that allows one active (QUEUED or RUNNING) run per scope.
pub const ACTIVE_RUN_INDEX: &str = m20261123_000003_matching::ACTIVE_RUN_INDEX;
