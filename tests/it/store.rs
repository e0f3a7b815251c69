//! Storage on every backend: migrations, round trips, constraints, races.

use crate::db::backends;

#[tokio::test]
async fn migrations_apply_and_the_database_answers() {
    for db in backends().await {
        db.store.ping().await.unwrap_or_else(|err| panic!("{}: {err}", db.name));
    }
}
