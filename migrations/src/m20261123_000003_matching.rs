//! What matching over the API needs beyond the domain tables:
//! - one match run per scope at a time, held by the database rather than by any one
//!   API node: at most one QUEUED or RUNNING run per `scope_key`, so a second node
//!   that tries to start a run of the same scope fails on this index, whatever its
//!   timing;
//! - each match's travel minutes (as the engine computed them when it was made), so
//!   reports take their median in SQL.

use sea_orm_migration::prelude::*;

use crate::table::double_null;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000003_matching"
    }
}

/// The index's name, as constraint errors report it.
pub const ACTIVE_RUN_INDEX: &str = "ux_match_runs_active_scope";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(ACTIVE_RUN_INDEX)
                    .table("match_runs")
                    .col("scope_key")
                    .unique()
                    .and_where(Expr::cust("status IN ('QUEUED', 'RUNNING')"))
                    .take(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("matches").add_column(double_null("travel_minutes")).take())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("matches").drop_column("travel_minutes").take()).await?;
        manager.drop_index(Index::drop().name(ACTIVE_RUN_INDEX).table("match_runs").to_owned()).await
    }
}
