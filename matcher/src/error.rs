//! The matcher's one error type.

/// Why matching could not run. Input errors name the JSON path of the culprit.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The instance breaks a field rule of docs/matching.md, or is not JSON of its shape.
    #[error("{path}: {message}")]
    Input {
        /// Where, as `students[12].availability[0]`; `$` for the document itself.
        path: String,
        /// What is wrong, briefly.
        message: String,
    },
    /// The instance is too large for exact integer scores (never at realistic sizes).
    #[error("instance too large: {0}")]
    TooLarge(&'static str),
    /// An invariant of the engine broke: a bug, reported rather than panicking.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl Error {
    /// An input error at `path`.
    pub fn input(path: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Input { path: path.into(), message: message.into() }
    }
}
