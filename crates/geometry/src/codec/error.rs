//! The error of the crate's geometry: reading JSON, encoding, decoding and ranging.

/// Why a GeometryStreamProps value could not be read, encoded or ranged, or a blob could not be
/// decoded.
///
/// JSON errors name the entry and field the way a caller wrote them (`geom[2].lineString[1]`);
/// blob errors name the op by its index in the stream and its opcode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeometryError {
    /// The JSON does not describe geometry we can store.
    #[error("{at}: {message}")]
    Json {
        /// The entry and field, e.g. `geom[2].lineString[1]`.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// The blob is not a chunked, snappy-compressed GeometryStream.
    #[error("GeometryStream blob: {0}")]
    Blob(String),
    /// One op of the stream is malformed or not supported.
    #[error("GeometryStream op {index} ({opcode}): {message}")]
    Op {
        /// The op's index in the stream.
        index: usize,
        /// Its opcode's name.
        opcode: String,
        /// What is wrong.
        message: String,
    },
    /// A `geomPart` entry instances a part whose box the caller does not know.
    #[error("{at}: geometry part {part:#x} is not known")]
    UnknownPart {
        /// The entry's `part` field, e.g. `geom[1].geomPart.part`.
        at: String,
        /// The part's id.
        part: i64,
    },
}

impl GeometryError {
    /// `at` is formatted only here, so that callers can pass lazy locations (`json::Field`).
    pub(crate) fn json(at: &(impl std::fmt::Display + ?Sized), message: impl Into<String>) -> Self {
        GeometryError::Json { at: at.to_string(), message: message.into() }
    }

    pub(crate) fn blob(message: impl Into<String>) -> Self {
        GeometryError::Blob(message.into())
    }
}

/// A failure inside one op's payload, before the op is known to the caller; [`super::decode`]
/// turns it into [`GeometryError::Op`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PayloadError(pub String);

impl PayloadError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        PayloadError(message.into())
    }
}

pub(crate) type PayloadResult<T> = Result<T, PayloadError>;
