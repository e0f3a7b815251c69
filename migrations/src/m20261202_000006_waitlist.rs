//! The waitlist: `student_needs.waiting_since`, the day a committed run first left the
//! need unmatched. A match of the need clears it; the `waiting` criterion rates the
//! days since, so whoever was left out in one round comes first in the next.
//! Existing needs start with no wait (nobody's history is invented).

use sea_orm_migration::prelude::*;

use crate::table::date_null;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000006_waitlist"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("student_needs").add_column(date_null("waiting_since")).take())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("student_needs").drop_column("waiting_since").take()).await
    }
}
