//! sea-orm entities, one module per table of `migrations/` (same names, same columns).
//! Relations are not declared: the repository joins by key in a few set queries.

#![allow(missing_docs)]

pub mod districts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "districts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod schools {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "schools")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub district_id: String,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod partners {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "partners")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        pub kind: String,
        pub status: String,
        pub contact_name: Option<String>,
        pub contact_email: Option<String>,
        pub contact_phone: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod agreements {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "agreements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub partner_id: String,
        pub school_id: Option<String>,
        pub starts_on: Date,
        pub ends_on: Option<Date>,
        pub signed_on: Option<Date>,
        pub data_sharing: bool,
        pub terms: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod openings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "openings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub partner_id: String,
        pub kind: String,
        pub title: Option<String>,
        pub is_virtual: bool,
        pub lat: Option<f64>,
        pub lon: Option<f64>,
        pub pickup_radius_km: Option<f64>,
        pub session_minutes: i32,
        pub sessions_per_week: i32,
        pub capacity: i32,
        pub filled: i32,
        pub min_grade: i32,
        pub max_grade: i32,
        pub min_age: Option<i32>,
        pub status: String,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod opening_subjects {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "opening_subjects")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub opening_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub subject: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod opening_languages {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "opening_languages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub opening_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub language: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod opening_windows {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "opening_windows")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub opening_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub start_minute: i32,
        pub end_minute: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod background_checks {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "background_checks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub opening_id: String,
        pub cleared_on: Option<Date>,
        pub expires_on: Option<Date>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod students {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "students")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub school_id: String,
        pub first_name: String,
        pub last_name: String,
        pub grade: i32,
        pub birth_date: Option<Date>,
        pub home_lat: f64,
        pub home_lon: f64,
        pub walk: bool,
        pub bike: bool,
        pub transit: bool,
        pub car: bool,
        pub max_travel_minutes: f64,
        pub remote_ok: bool,
        pub priority: i32,
        pub consent_on_file: bool,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod student_languages {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "student_languages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub student_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub position: i32,
        pub language: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod student_windows {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "student_windows")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub student_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub start_minute: i32,
        pub end_minute: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod student_needs {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "student_needs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub student_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        #[sea_orm(column_type = "JsonBinary")]
        pub subjects: Json,
        /// The day a committed run first left this need unmatched; `None` when it
        /// is not waiting.
        pub waiting_since: Option<Date>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod guardians {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "guardians")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub student_id: String,
        pub name: String,
        pub relationship: Option<String>,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub language: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod match_runs {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "match_runs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub school_id: Option<String>,
        pub scope_key: String,
        #[sea_orm(column_type = "JsonBinary")]
        pub kinds: Json,
        #[sea_orm(column_type = "JsonBinary")]
        pub student_ids: Option<Json>,
        #[sea_orm(column_type = "JsonBinary")]
        pub weights: Json,
        pub dry_run: bool,
        pub status: String,
        pub phase: Option<String>,
        pub done: i64,
        pub total: i64,
        #[sea_orm(column_type = "JsonBinary")]
        pub stats: Option<Json>,
        #[sea_orm(column_type = "JsonBinary")]
        pub result: Option<Json>,
        pub error: Option<String>,
        pub requested_by: String,
        pub created_at: DateTimeUtc,
        pub started_at: Option<DateTimeUtc>,
        pub finished_at: Option<DateTimeUtc>,
        pub lease_owner: Option<String>,
        pub lease_until: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod matches {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "matches")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub run_id: Option<String>,
        pub student_id: String,
        pub opening_id: String,
        pub kind: String,
        pub status: String,
        pub score: i32,
        #[sea_orm(column_type = "JsonBinary")]
        pub breakdown: Json,
        pub created_at: DateTimeUtc,
        pub decided_by: Option<String>,
        pub decided_at: Option<DateTimeUtc>,
        pub decline_reason: Option<String>,
        pub version: i32,
        pub travel_minutes: Option<f64>,
        pub student_accepted: bool,
        pub partner_accepted: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod match_sessions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "match_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub match_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub start_minute: i32,
        pub end_minute: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod declined_pairs {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "declined_pairs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub student_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub opening_id: String,
        pub declined_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod feedback {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "feedback")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub match_id: String,
        pub author_role: String,
        pub author_id: String,
        pub rating: i32,
        pub comment: Option<String>,
        pub sessions_attended: Option<i32>,
        pub created_at: DateTimeUtc,
        pub visibility: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub occurred_at: DateTimeUtc,
        pub actor: String,
        pub action: String,
        pub entity: String,
        pub entity_id: String,
        #[sea_orm(column_type = "JsonBinary")]
        pub detail: Option<Json>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod disclosure_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "disclosure_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub occurred_at: DateTimeUtc,
        pub partner_id: String,
        pub actor: String,
        pub student_id: String,
        #[sea_orm(column_type = "JsonBinary")]
        pub fields: Json,
        pub operation: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod outbox_events {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub event: String,
        pub occurred_at: DateTimeUtc,
        pub match_id: Option<String>,
        pub run_id: Option<String>,
        #[sea_orm(column_type = "JsonBinary")]
        pub data: Json,
        pub fanned_out: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod webhooks {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhooks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub owner: String,
        pub role: String,
        pub scope: Option<String>,
        pub url: String,
        #[sea_orm(column_type = "JsonBinary")]
        pub events: Json,
        pub secret: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod webhook_deliveries {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub webhook_id: String,
        pub event_id: String,
        pub event: String,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub lease_owner: Option<String>,
        pub lease_until: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod webhook_attempts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_attempts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub delivery_id: String,
        pub webhook_id: String,
        pub event: String,
        pub attempt: i32,
        pub status: String,
        pub http_status: Option<i32>,
        pub error: Option<String>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod mail_deliveries {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "mail_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub event_id: String,
        pub event: String,
        pub match_id: String,
        pub recipient: String,
        pub to_address: String,
        pub to_name: String,
        pub language: Option<String>,
        pub status: String,
        pub attempts: i32,
        pub error: Option<String>,
        pub next_attempt_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub lease_owner: Option<String>,
        pub lease_until: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
