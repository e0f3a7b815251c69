//! Many rows in one statement, as JSON. A district's commit writes tens of
//! thousands of matches, sessions and events, and a run reads a district's students
//! with their child rows: per row and per bound parameter, the driver's overhead
//! (on SQLite, a hand-off between threads for every row fetched) outweighs the
//! database's work.
//!
//! - [`Insert`]: the cells that differ per row travel as one JSON array of arrays,
//!   which the database unpacks itself (`jsonb_array_elements` on PostgreSQL,
//!   `json_each` on SQLite); the cells every row shares are one parameter each.
//! - [`in_list`]: an `IN` list as one JSON parameter, however long.
//! - [`children`]: a parent's child rows as one JSON array column of the parent's
//!   row (`json_agg` / `json_group_array`), so a read fetches one row per record.

use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use serde_json::Value as Json;

use super::StoreError;

/// How a per-row cell is read out of its JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cell {
    /// A string (or null).
    Text,
    /// A whole number (or null).
    Integer,
    /// A floating-point number (or null).
    Real,
    /// A JSON document, stored as the column's JSON type.
    Document,
}

/// An `INSERT` of rows into `table`: `varying` columns come from each row, in order;
/// `shared` columns take one value for all rows.
pub(crate) struct Insert<'a> {
    /// The table.
    pub table: &'a str,
    /// Columns whose value each row gives, with how to read it.
    pub varying: &'a [(&'a str, Cell)],
    /// Columns with one value for every row; `None` is SQL `NULL`, written as such
    /// (a bound NULL carries a type, which PostgreSQL would not cast to the column's).
    pub shared: Vec<(&'a str, Option<Value>)>,
}

/// Rows per statement: a few megabytes of JSON each, so no statement holds a
/// district's worth of text at once.
const ROWS_PER_STATEMENT: usize = 5_000;

impl Insert<'_> {
    /// Inserts `rows` (each an array with one value per `varying` column), a chunk
    /// per statement, in the caller's transaction.
    pub(crate) async fn run<C: ConnectionTrait>(&self, db: &C, rows: Vec<Json>) -> Result<(), StoreError> {
        let backend = db.get_database_backend();
        let sql = self.sql(backend);
        let mut rows = rows;
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(ROWS_PER_STATEMENT));
            let chunk = std::mem::replace(&mut rows, rest);
            let mut values: Vec<Value> = self.shared.iter().filter_map(|(_, value)| value.clone()).collect();
            values.push(Value::from(Json::Array(chunk).to_string()));
            db.execute_raw(Statement::from_sql_and_values(backend, sql.clone(), values)).await?;
        }
        Ok(())
    }

    /// The statement: shared values are parameters 1..=n, the rows' JSON is n + 1.
    fn sql(&self, backend: DbBackend) -> String {
        let postgres = backend == DbBackend::Postgres;
        let columns: Vec<&str> = self
            .varying
            .iter()
            .map(|(name, _)| *name)
            .chain(self.shared.iter().map(|(name, _)| *name))
            .collect();
        let mut select: Vec<String> = self
            .varying
            .iter()
            .enumerate()
            .map(|(at, (_, cell))| match (postgres, cell) {
                (true, Cell::Text) => format!("(r ->> {at})"),
                (true, Cell::Integer) => format!("CAST(r ->> {at} AS INTEGER)"),
                (true, Cell::Real) => format!("CAST(r ->> {at} AS DOUBLE PRECISION)"),
                (true, Cell::Document) => format!("(r -> {at})"),
                (false, Cell::Document) => format!("(value -> '$[{at}]')"),
                (false, _) => format!("(value ->> '$[{at}]')"),
            })
            .collect();
        let mut bound = 0;
        for (_, value) in &self.shared {
            select.push(match value {
                None => "NULL".to_owned(),
                Some(_) if postgres => {
                    bound += 1;
                    format!("${bound}")
                }
                Some(_) => "?".to_owned(),
            });
        }
        let rows = bound + 1;
        let from = if postgres {
            // JSONB: parsed once, where `->>` on JSON would parse each row again per cell.
            format!("jsonb_array_elements(CAST(${rows} AS JSONB)) AS elems(r)")
        } else {
            "json_each(?)".to_owned()
        };
        format!(
            "INSERT INTO {} ({}) SELECT {} FROM {from}",
            self.table,
            columns.join(", "),
            select.join(", ")
        )
    }
}

/// `column IN (ids)` with the ids as one JSON parameter, however many: one
/// statement where a bound parameter per id would need a chunk per few thousand
/// (SQLite takes at most 32,766 parameters, PostgreSQL 65,535). `column` is SQL as
/// written, such as `students.id`.
pub(crate) fn in_list<S: AsRef<str>>(
    backend: DbBackend,
    column: &str,
    ids: impl IntoIterator<Item = S>,
) -> Expr {
    let list =
        Json::Array(ids.into_iter().map(|id| Json::String(id.as_ref().to_owned())).collect()).to_string();
    let set = match backend {
        // sea-query's own placeholders: numbered (`$1`, renumbered in the statement)
        // on PostgreSQL, `?` on SQLite.
        DbBackend::Postgres => "SELECT json_array_elements_text(CAST($1 AS JSON))",
        _ => "SELECT value FROM json_each(?)",
    };
    Expr::cust_with_values(format!("{column} IN ({set})"), [list])
}

/// A cell of a child row in [`children`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Item<'a> {
    /// A plain column.
    Column(&'a str),
    /// A column holding JSON, nested as JSON (not as its text).
    Json(&'a str),
}

/// `(SELECT <array of the child rows> FROM table WHERE table.fk = parent)` as text:
/// each child row is an array of `items` (or the value itself, for one item), in no
/// particular order: the caller sorts (an `ORDER BY` inside the aggregate costs a
/// sort per parent, a third of the read on PostgreSQL). No child rows is `NULL` on
/// PostgreSQL and `[]` on SQLite; [`json_cell`] reads both as empty.
pub(crate) fn children(backend: DbBackend, table: &str, fk: &str, parent: &str, items: &[Item<'_>]) -> Expr {
    let postgres = backend == DbBackend::Postgres;
    let cells: Vec<String> = items
        .iter()
        .map(|item| match (item, postgres) {
            (Item::Column(name), _) | (Item::Json(name), true) => format!("c.{name}"),
            (Item::Json(name), false) => format!("json(c.{name})"),
        })
        .collect();
    let value = match (cells.as_slice(), postgres) {
        ([one], _) => one.clone(),
        (_, true) => format!("json_build_array({})", cells.join(", ")),
        (_, false) => format!("json_array({})", cells.join(", ")),
    };
    let aggregate = if postgres { "json_agg" } else { "json_group_array" };
    let select = format!("SELECT {aggregate}({value}) FROM {table} c WHERE c.{fk} = {parent}");
    Expr::cust(if postgres { format!("CAST(({select}) AS TEXT)") } else { format!("({select})") })
}

/// The JSON text column `name` of `row` as `T`; `NULL` is `T::default()`.
pub(crate) fn json_cell<T>(row: &sea_orm::QueryResult, name: &str) -> Result<T, StoreError>
where
    T: serde::de::DeserializeOwned + Default,
{
    let text: Option<String> = row.try_get("", name)?;
    match text {
        None => Ok(T::default()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|err| StoreError::unreadable(format!("the column {name} ({err})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert() -> Insert<'static> {
        Insert {
            table: "t",
            varying: &[("a", Cell::Text), ("b", Cell::Integer), ("c", Cell::Document)],
            shared: vec![("d", Some(Value::from(1))), ("e", None), ("f", Some(Value::from("x")))],
        }
    }

    #[test]
    fn sqlite_binds_shared_values_before_the_rows() {
        assert_eq!(
            insert().sql(DbBackend::Sqlite),
            "INSERT INTO t (a, b, c, d, e, f) SELECT (value ->> '$[0]'), (value ->> '$[1]'), (value -> '$[2]'), \
             ?, NULL, ? FROM json_each(?)"
        );
    }

    #[test]
    fn postgres_numbers_the_rows_parameter_last() {
        assert_eq!(
            insert().sql(DbBackend::Postgres),
            "INSERT INTO t (a, b, c, d, e, f) SELECT (r ->> 0), CAST(r ->> 1 AS INTEGER), (r -> 2), \
             $1, NULL, $2 FROM jsonb_array_elements(CAST($3 AS JSONB)) AS elems(r)"
        );
    }

    /// A real SQLite database: the JSON is unpacked by the engine, past the
    /// bound-parameter limit and across chunks.
    #[tokio::test]
    async fn rows_and_id_lists_travel_as_json_on_sqlite() {
        use sea_orm::TransactionTrait;
        let path = std::env::temp_dir().join(format!("pm-bulk-{}.sqlite3", std::process::id()));
        let store = crate::Store::open(&crate::Location::Sqlite(path.clone())).await.expect("open");
        let txn = store.db().begin().await.expect("begin");
        txn.execute_unprepared("CREATE TEMP TABLE t (a TEXT, b INTEGER, c TEXT, d INTEGER, e TEXT, f TEXT)")
            .await
            .expect("create");
        let rows: Vec<Json> =
            (0..12_001).map(|n| serde_json::json!([format!("r{n}"), n, {"n": n}])).collect();
        insert().run(&txn, rows).await.expect("insert");
        let ids = (0..40_000).map(|n| format!("r{}", 2 * n));
        let select = sea_orm::sea_query::Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .expr(Expr::cust("SUM(b)"))
            .expr(Expr::cust("MAX(c)"))
            .from(sea_orm::sea_query::Alias::new("t"))
            .and_where(in_list(DbBackend::Sqlite, "t.a", ids))
            .and_where(Expr::cust("d = 1 AND e IS NULL AND f = 'x'"))
            .to_owned();
        let row = txn.query_one(&select).await.expect("select").expect("a row");
        let evens = 6_001_i64;
        assert_eq!(row.try_get_by_index::<i64>(0).expect("count"), evens);
        assert_eq!(row.try_get_by_index::<i64>(1).expect("sum"), (0..12_001_i64).step_by(2).sum::<i64>());
        assert_eq!(row.try_get_by_index::<String>(2).expect("max"), r#"{"n":9998}"#);
        drop(txn);
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[test]
    fn an_id_list_is_one_parameter_numbered_in_its_place_on_postgres() {
        use crate::entity::students;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait};
        let statement = students::Entity::find()
            .filter(students::Column::SchoolId.eq("s-1"))
            .filter(in_list(DbBackend::Postgres, "students.id", ["a", "b", "c"]))
            .filter(students::Column::Grade.eq(5))
            .build(DbBackend::Postgres);
        assert!(
            statement.sql.ends_with(
                "\"students\".\"school_id\" = $1 AND (students.id IN \
                 (SELECT json_array_elements_text(CAST($2 AS JSON)))) AND \"students\".\"grade\" = $3"
            ),
            "{}",
            statement.sql
        );
        let values = statement.values.map(|values| values.0).unwrap_or_default();
        assert_eq!(values.get(1), Some(&Value::from(r#"["a","b","c"]"#)));
    }
}
