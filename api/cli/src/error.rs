//! The command line's one error type, and what each error means to a caller (exit codes).

use std::path::PathBuf;

/// Why a command or request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input breaks the contract; the message names where.
    #[error("{0}")]
    BadInput(#[source] matcher::Error),
    /// An input file could not be read: the caller named a wrong file.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An output could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The database refused or failed.
    #[error("{0}")]
    Store(store::StoreError),
    /// An import file has bad rows; nothing was written.
    #[error("{}", list_rows(.0))]
    Import(Vec<store::import::RowError>),
    /// The configuration or arguments are wrong (a short JWT secret, a scope that
    /// does not fit the role); the message says what.
    #[error("{0}")]
    Config(String),
    /// Anything else: a bug or an exhausted resource.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<matcher::Error> for Error {
    fn from(err: matcher::Error) -> Error {
        match err {
            matcher::Error::Input { .. } => Error::BadInput(err),
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<store::StoreError> for Error {
    fn from(err: store::StoreError) -> Error {
        match err {
            store::StoreError::Rows(rows) => Error::Import(rows),
            store => Error::Store(store),
        }
    }
}

/// One line per error, after a count of the rows they are on (a row may have several).
fn list_rows(rows: &[store::import::RowError]) -> String {
    let bad_rows = rows.iter().map(|error| error.row).collect::<std::collections::BTreeSet<_>>().len();
    let mut text = match (bad_rows, rows.len()) {
        (1, 1) => "1 bad row, nothing imported".to_owned(),
        (1, errors) => format!("1 bad row ({errors} errors), nothing imported"),
        (bad, errors) if bad == errors => format!("{bad} bad rows, nothing imported"),
        (bad, errors) => format!("{bad} bad rows ({errors} errors), nothing imported"),
    };
    for row in rows {
        text.push_str(&format!("\n  {row}"));
    }
    text
}

impl Error {
    /// The process exit status for this error: 2 when the caller can fix it (bad
    /// input, an unreadable input file, bad CSV rows, an invalid record, wrong
    /// configuration or arguments), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::BadInput(_) | Error::Read { .. } | Error::Import(_) | Error::Config(_) => 2,
            Error::Store(store::StoreError::Invalid { .. }) => 2,
            Error::Write { .. } | Error::Store(_) | Error::Internal(_) => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::import::RowError;

    fn at(row: usize) -> RowError {
        RowError { row, column: None, message: "wrong".into() }
    }

    #[test]
    fn the_count_is_of_rows_and_says_when_errors_are_more() {
        assert!(list_rows(&[at(2)]).starts_with("1 bad row, nothing imported\n  row 2"));
        assert!(list_rows(&[at(2), at(2)]).starts_with("1 bad row (2 errors), nothing imported"));
        assert!(list_rows(&[at(2), at(4)]).starts_with("2 bad rows, nothing imported"));
        assert!(list_rows(&[at(2), at(4), at(4)]).starts_with("2 bad rows (3 errors), nothing imported"));
        assert_eq!(list_rows(&[at(2), at(4), at(4)]).lines().count(), 4, "every error listed");
    }
}
