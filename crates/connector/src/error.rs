//! Errors: the host's refusals ([`SyncError`]) and anything else a connector fails with
//! ([`Error`]), each one line, as the host shows it.

use std::fmt::{self, Display};

use crate::bindings::itwin::connector::types::SyncError as WitSyncError;

/// The host refused a synchronizer request: `kind` is the WIT case (`duplicate-code`…),
/// `message` the host's one line naming the element and the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncError {
    /// The WIT case name: `invalid-props`, `unknown-class`, `out-of-scope`, `duplicate-code`,
    /// `not-found`, `wrong-class` or `host-failure`.
    pub kind: &'static str,
    /// The host's message.
    pub message: String,
}

impl From<WitSyncError> for SyncError {
    fn from(error: WitSyncError) -> Self {
        let (kind, message) = match error {
            WitSyncError::InvalidProps(m) => ("invalid-props", m),
            WitSyncError::UnknownClass(m) => ("unknown-class", m),
            WitSyncError::OutOfScope(m) => ("out-of-scope", m),
            WitSyncError::DuplicateCode(m) => ("duplicate-code", m),
            WitSyncError::NotFound(m) => ("not-found", m),
            WitSyncError::WrongClass(m) => ("wrong-class", m),
            WitSyncError::HostFailure(m) => ("host-failure", m),
        };
        SyncError { kind, message }
    }
}

impl Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for SyncError {}

/// Why a lifecycle call failed: one line, with the context the connector added in front
/// (`asset P-101: duplicate-code: …`). The SDK returns it to the host as the call's `err`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// An error with this message.
    pub fn new(message: impl Display) -> Self {
        Error { message: message.to_string() }
    }

    /// The same error with `what` in front: `what: message`.
    pub fn context(self, what: impl Display) -> Self {
        Error { message: format!("{what}: {}", self.message) }
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<SyncError> for Error {
    fn from(error: SyncError) -> Self {
        Error::new(error)
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error { message }
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Error::new(message)
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::new(error)
    }
}

impl From<serde_json::Error> for Error {
    fn from(error: serde_json::Error) -> Self {
        Error::new(format_args!("invalid JSON: {error}"))
    }
}

/// `result.context("asset P-101")?`: names what was being done when it failed.
pub trait Context<T> {
    /// Puts `what: ` in front of the error.
    fn context(self, what: impl Display) -> Result<T, Error>;
}

impl<T, E: Into<Error>> Context<T> for Result<T, E> {
    fn context(self, what: impl Display) -> Result<T, Error> {
        self.map_err(|e| e.into().context(what))
    }
}

/// A lifecycle call's result as the WIT wants it: one line (the host shows it after
/// `<call> failed:`).
pub(crate) fn one_line(error: Error) -> String {
    error.message.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_the_host_shows_them() {
        let refused: SyncError = WitSyncError::DuplicateCode("code P-101 is taken".into()).into();
        assert_eq!(refused.to_string(), "duplicate-code: code P-101 is taken");
        let failed: Result<(), SyncError> = Err(refused);
        let error = failed.context("asset A-1").unwrap_err();
        assert_eq!(one_line(error), "asset A-1: duplicate-code: code P-101 is taken");
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file\nreally");
        assert_eq!(one_line(Error::from(io)), "no such file really");
    }
}
