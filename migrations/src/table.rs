//! Small builders so each table reads as its list of columns and rules.

use sea_orm_migration::prelude::*;

/// A text primary key (ids come from districts' own systems: `s-1042`).
pub fn id(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().primary_key().take()
}

/// An auto-increment integer primary key, for rows that have no outside id.
pub fn serial(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().auto_increment().primary_key().take()
}

pub fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().take()
}

pub fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().take()
}

pub fn text_default(name: &'static str, default: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().default(default).take()
}

pub fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().take()
}

pub fn int_default(name: &'static str, default: i32) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().default(default).take()
}

pub fn int_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().null().take()
}

pub fn double(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).double().not_null().take()
}

pub fn double_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).double().null().take()
}

pub fn boolean(name: &'static str, default: bool) -> ColumnDef {
    ColumnDef::new(name).boolean().not_null().default(default).take()
}

pub fn date(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date().not_null().take()
}

pub fn date_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date().null().take()
}

pub fn timestamp(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().not_null().take()
}

pub fn timestamp_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().null().take()
}

pub fn json(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).json_binary().not_null().take()
}

pub fn json_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).json_binary().null().take()
}

/// A named CHECK constraint in the SQL both backends share.
pub fn check(name: &'static str, sql: &'static str) -> Check {
    (name, Expr::cust(sql)).into()
}

/// `column IN ('A', 'B', …)`, for the enum-like text columns.
pub fn one_of(name: &'static str, column: &'static str, values: &[&str]) -> Check {
    let list = values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
    (name, Expr::cust(format!("{column} IN ({list})"))).into()
}

/// A foreign key from `table.column` to `parent.id`.
pub fn references(
    table: &'static str,
    column: &'static str,
    parent: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(parent, "id")
        .on_delete(on_delete)
        .take()
}

/// A plain index on some columns.
pub fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(format!("ix_{table}_{}", columns.join("_"))).table(table);
    for column in columns {
        index.col(*column);
    }
    index.take()
}
