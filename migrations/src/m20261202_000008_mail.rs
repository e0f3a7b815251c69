//! Mail (docs/api.md "Notifications"): each guardian's language (`guardians.language`,
//! ISO 639-1), and `mail_deliveries`: one row per recipient of an event's mail,
//! made by the same fan-out as webhook deliveries and sent under the same kind of
//! lease. Existing guardians have no language (their mail is in the student's
//! preferred language where the service writes it, English otherwise).

use sea_orm_migration::prelude::*;

use crate::table::{index, int, references, text, text_null, timestamp, timestamp_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000008_mail"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("guardians").add_column(text_null("language")).take())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("mail_deliveries")
                    .col(ColumnDef::new("id").text().not_null().primary_key())
                    .col(text("event_id"))
                    .col(text("event"))
                    .col(text("match_id"))
                    .col(text("recipient"))
                    .col(text("to_address"))
                    .col(text("to_name"))
                    .col(text_null("language"))
                    .col(text("status"))
                    .col(int("attempts"))
                    .col(text_null("error"))
                    .col(timestamp("next_attempt_at"))
                    .col(timestamp("created_at"))
                    .col(text_null("lease_owner"))
                    .col(timestamp_null("lease_until"))
                    .foreign_key(&mut references(
                        "mail_deliveries",
                        "event_id",
                        "outbox_events",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager.create_index(index("mail_deliveries", &["status", "next_attempt_at"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("mail_deliveries").if_exists().take()).await?;
        manager.alter_table(Table::alter().table("guardians").drop_column("language").take()).await
    }
}
