//! Notifications (docs/api.md "Notifications"):
//! - `outbox_events`: every event, written in the same transaction as the change it
//!   describes, so a crash loses none and a rolled-back change writes none;
//!   `fanned_out` is false until the dispatcher has made its deliveries;
//! - `webhooks`: who registered which URL for which events, and the secret that
//!   signs them;
//! - `webhook_deliveries`: one per hook per event (its id is the
//!   `X-Partnermatch-Delivery` header, the same on every retry), with the lease a
//!   dispatcher holds while it sends it, so two nodes never send it at once;
//! - `webhook_attempts`: every attempt, as `Webhook.deliveries` lists them.

use sea_orm_migration::prelude::*;

use crate::table::{
    boolean, index, int, int_null, json, references, serial, text, text_null, timestamp, timestamp_null,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000007_notifications"
    }
}

/// The tables, parents first.
pub const TABLES: &[&str] = &["outbox_events", "webhooks", "webhook_deliveries", "webhook_attempts"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outbox_events")
                    .col(ColumnDef::new("id").text().not_null().primary_key())
                    .col(text("event"))
                    .col(timestamp("occurred_at"))
                    .col(text_null("match_id"))
                    .col(text_null("run_id"))
                    .col(json("data"))
                    .col(boolean("fanned_out", false))
                    .take(),
            )
            .await?;
        manager.create_index(index("outbox_events", &["fanned_out", "occurred_at"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("webhooks")
                    .col(ColumnDef::new("id").text().not_null().primary_key())
                    .col(text("owner"))
                    .col(text("role"))
                    .col(text_null("scope"))
                    .col(text("url"))
                    .col(json("events"))
                    .col(text("secret"))
                    .col(timestamp("created_at"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(ColumnDef::new("id").text().not_null().primary_key())
                    .col(text("webhook_id"))
                    .col(text("event_id"))
                    .col(text("event"))
                    .col(text("status"))
                    .col(int("attempts"))
                    .col(timestamp("next_attempt_at"))
                    .col(timestamp("created_at"))
                    .col(text_null("lease_owner"))
                    .col(timestamp_null("lease_until"))
                    .foreign_key(&mut references(
                        "webhook_deliveries",
                        "webhook_id",
                        "webhooks",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut references(
                        "webhook_deliveries",
                        "event_id",
                        "outbox_events",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager.create_index(index("webhook_deliveries", &["status", "next_attempt_at"])).await?;
        manager.create_index(index("webhook_deliveries", &["webhook_id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_attempts")
                    .col(serial("id"))
                    .col(text("delivery_id"))
                    .col(text("webhook_id"))
                    .col(text("event"))
                    .col(int("attempt"))
                    .col(text("status"))
                    .col(int_null("http_status"))
                    .col(text_null("error"))
                    .col(timestamp("at"))
                    .foreign_key(&mut references(
                        "webhook_attempts",
                        "webhook_id",
                        "webhooks",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager.create_index(index("webhook_attempts", &["webhook_id", "id"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager.drop_table(Table::drop().table(*table).if_exists().take()).await?;
        }
        Ok(())
    }
}
