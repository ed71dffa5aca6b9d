//! The synchronizer's refusals, as the WIT `sync-error` variant has them.

use itwin_imodel::WriteError;

/// Why the synchronizer refused a request; each carries a one-line message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// Malformed props, item or id.
    #[error("invalid props: {0}")]
    InvalidProps(String),
    /// The class is not in the iModel.
    #[error("unknown class: {0}")]
    UnknownClass(String),
    /// The write or read would reach outside the job.
    #[error("out of scope: {0}")]
    OutOfScope(String),
    /// Another element has the code.
    #[error("duplicate code: {0}")]
    DuplicateCode(String),
    /// The element or row does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The class cannot be used where it was given.
    #[error("wrong class: {0}")]
    WrongClass(String),
    /// The host failed (SQLite); the job fails.
    #[error("host failure: {0}")]
    HostFailure(String),
}

impl From<WriteError> for SyncError {
    fn from(e: WriteError) -> Self {
        let message = e.to_string();
        match e {
            WriteError::UnknownClass { .. }
            | WriteError::AbstractClass { .. }
            | WriteError::WrongKindOfClass { .. } => SyncError::UnknownClass(message),
            WriteError::UnknownProperty { .. }
            | WriteError::ReadOnlyProperty { .. }
            | WriteError::WrongType { .. }
            | WriteError::MissingProperty { .. }
            | WriteError::Invalid(_) => SyncError::InvalidProps(message),
            WriteError::NotFound { .. } => SyncError::NotFound(message),
            WriteError::WrongClass { .. } | WriteError::WrongModel { .. } => SyncError::WrongClass(message),
            WriteError::DuplicateCode { .. } | WriteError::DuplicateFederationGuid { .. } => {
                SyncError::DuplicateCode(message)
            }
            WriteError::OutOfScope(_) => SyncError::OutOfScope(message),
            WriteError::Sqlite(_) => SyncError::HostFailure(message),
        }
    }
}

impl SyncError {
    /// Whether the job must fail even if the connector handles the error: the host itself broke.
    pub fn is_host_failure(&self) -> bool {
        matches!(self, SyncError::HostFailure(_))
    }

    /// The WIT `sync-error` case (`invalid-props`, `out-of-scope`, …) and the message.
    pub fn into_case(self) -> (&'static str, String) {
        match self {
            SyncError::InvalidProps(m) => ("invalid-props", m),
            SyncError::UnknownClass(m) => ("unknown-class", m),
            SyncError::OutOfScope(m) => ("out-of-scope", m),
            SyncError::DuplicateCode(m) => ("duplicate-code", m),
            SyncError::NotFound(m) => ("not-found", m),
            SyncError::WrongClass(m) => ("wrong-class", m),
            SyncError::HostFailure(m) => ("host-failure", m),
        }
    }
}
