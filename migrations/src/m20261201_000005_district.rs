//! What a real district needs beyond matching (the district issue):
//! - `openings.status`: a closed opening takes no new matches; its open ones go on;
//! - `matches.student_accepted`, `matches.partner_accepted`: a match is ACCEPTED once
//!   both sides have said yes, and each side's answer is kept;
//! - `feedback.visibility`: `SCHOOL` feedback (a counselor's notes about a family)
//!   stays with the school; `PARTIES` feedback is read by both sides.
//!
//! Existing rows take the defaults: every opening open, every accepted match
//! accepted by both sides (it was accepted under the one-sided rule), every piece
//! of feedback visible to the parties (as it was).

use sea_orm_migration::prelude::*;

use crate::table::{boolean, text_default};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000005_district"
    }
}

/// Table and column of each addition, in creation order.
const COLUMNS: [(&str, &str); 4] = [
    ("openings", "status"),
    ("matches", "student_accepted"),
    ("matches", "partner_accepted"),
    ("feedback", "visibility"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let add =
            |table: &'static str, column: ColumnDef| Table::alter().table(table).add_column(column).take();
        manager.alter_table(add("openings", text_default("status", "OPEN"))).await?;
        manager.alter_table(add("matches", boolean("student_accepted", false))).await?;
        manager.alter_table(add("matches", boolean("partner_accepted", false))).await?;
        manager.alter_table(add("feedback", text_default("visibility", "PARTIES"))).await?;
        // Matches accepted under the old one-sided rule count as accepted by both.
        let both = Query::update()
            .table("matches")
            .value("student_accepted", true)
            .value("partner_accepted", true)
            .and_where(Expr::col("status").is_in(["ACCEPTED", "ACTIVE", "COMPLETED"]))
            .to_owned();
        manager.exec_stmt(both).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in COLUMNS.iter().rev() {
            manager.alter_table(Table::alter().table(*table).drop_column(*column).take()).await?;
        }
        Ok(())
    }
}
