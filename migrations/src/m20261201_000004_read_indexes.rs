//! Indexes for the reads `suggestions` makes for one student: the candidate openings
//! of a kind as ranges of latitude, split by virtual or in person, and a student's
//! own matches by status. A migration of its own, so databases that ran 000003
//! get them too.

use sea_orm_migration::prelude::*;

use crate::table::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000004_read_indexes"
    }
}

/// Table and columns of each index, in creation order.
const INDEXES: [(&str, &[&str]); 2] =
    [("openings", &["kind", "is_virtual", "lat", "lon"]), ("matches", &["student_id", "status"])];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in INDEXES {
            manager.create_index(index(table, columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in INDEXES.iter().rev() {
            let name = format!("ix_{table}_{}", columns.join("_"));
            manager.drop_index(Index::drop().name(name).table(*table).to_owned()).await?;
        }
        Ok(())
    }
}
