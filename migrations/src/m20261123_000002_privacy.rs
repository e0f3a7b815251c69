//! The disclosure log of docs/api.md "Privacy": every read of a student's data by a
//! partner, one row per student per request, naming the fields read. Rows are only
//! ever inserted; ADMIN reads them by student or by partner, newest last.

use sea_orm_migration::prelude::*;

use crate::table::{index, json, serial, text, text_null, timestamp};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_privacy"
    }
}

/// The tables this migration creates.
pub const TABLES: &[&str] = &["disclosure_log"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign keys: the log outlives the records it mentions, and a student
        // or partner removed later must not take their disclosures with them.
        manager
            .create_table(
                Table::create()
                    .table("disclosure_log")
                    .col(serial("id"))
                    .col(timestamp("occurred_at"))
                    .col(text("partner_id"))
                    .col(text("actor"))
                    .col(text("student_id"))
                    .col(json("fields"))
                    .col(text_null("operation"))
                    .take(),
            )
            .await?;
        manager.create_index(index("disclosure_log", &["student_id", "id"])).await?;
        manager.create_index(index("disclosure_log", &["partner_id", "id"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("disclosure_log").if_exists().take()).await
    }
}
