//! Errors of the briefcase writer. Callers (the synchronizer, and through it guests) match on
//! [`WriteError`] to tell bad input from host failures; every message is one line that names the
//! element, property or code involved.

use std::path::PathBuf;

/// A refused write. Nothing of the refused operation was written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The class is not in the file's schemas.
    #[error("unknown class `{class}`: it is not in the iModel's schemas")]
    UnknownClass {
        /// The class's full name (`Schema:Class`).
        class: String,
    },
    /// The class is abstract.
    #[error("class `{class}` is abstract: use one of its concrete subclasses")]
    AbstractClass {
        /// The class's full name (`Schema:Class`).
        class: String,
    },
    /// The class is not of the kind the operation writes (an element class for an element…).
    #[error("class `{class}` is not {expected}")]
    WrongKindOfClass {
        /// The class's full name (`Schema:Class`).
        class: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The class has no such property.
    #[error("class `{class}` has no property `{property}`")]
    UnknownProperty {
        /// The class's full name (`Schema:Class`).
        class: String,
        /// The property, as the caller named it.
        property: String,
    },
    /// The property is maintained by the iModel or set through another key.
    #[error("property `{property}` of `{class}` is read-only: {why}")]
    ReadOnlyProperty {
        /// The class's full name (`Schema:Class`).
        class: String,
        /// The property, as the caller named it.
        property: String,
        /// Why.
        why: &'static str,
    },
    /// The JSON value has the wrong type for the property.
    #[error("property `{property}`: expected {expected}, found {found}")]
    WrongType {
        /// The property, as the caller named it.
        property: String,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// A required property is missing.
    #[error("property `{property}` is required")]
    MissingProperty {
        /// The property, as the caller named it.
        property: String,
    },
    /// A referenced row does not exist.
    #[error("{what} {id} does not exist")]
    NotFound {
        /// What kind of row.
        what: String,
        /// Its id (or name).
        id: String,
    },
    /// A referenced element is of a class the reference does not accept.
    #[error("{what} {id} is a `{found}`, expected a `{expected}`")]
    WrongClass {
        /// What kind of row.
        what: String,
        /// Its id (or name).
        id: String,
        /// What was found.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// The element's class cannot be in that model (the native library's model rules).
    #[error("a `{class}` cannot be placed in model {model} (a `{model_class}`): {rule}")]
    WrongModel {
        /// The class's full name (`Schema:Class`).
        class: String,
        /// The model's id.
        model: String,
        /// The model's class.
        model_class: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// Another element has the same code.
    #[error("duplicate code: value {value:?} already exists for code spec `{spec}` in scope {scope}")]
    DuplicateCode {
        /// The code value.
        value: String,
        /// The code spec's name.
        spec: String,
        /// The code scope's id.
        scope: String,
    },
    /// Another element has the same federationGuid.
    #[error("duplicate federationGuid {guid}: another element already has it")]
    DuplicateFederationGuid {
        /// The GUID.
        guid: String,
    },
    /// Anything else wrong with the props, described.
    #[error("{0}")]
    Invalid(String),
    /// A caller's [`super::WriteCheck`] refused the write as outside what it may touch.
    #[error("{0}")]
    OutOfScope(String),
    /// SQLite failed (a host failure, not bad input).
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl WriteError {
    pub(crate) fn wrong_type(property: &str, expected: &'static str, found: &serde_json::Value) -> Self {
        let mut found = found.to_string();
        if found.len() > 80 {
            // At a char boundary: the value may be any text a connector sent.
            let mut end = 77;
            while !found.is_char_boundary(end) {
                end -= 1;
            }
            found.truncate(end);
            found.push_str("...");
        }
        WriteError::WrongType { property: property.to_owned(), expected, found }
    }
}

/// Why a file could not be opened or created as a briefcase.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file is not an iModel.
    #[error("{path} is not an iModel: {why}")]
    NotAnIModel {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The file's profile version is one this writer does not support.
    #[error("{path} has {profile} profile version {found}, this writer supports {supported}")]
    UnsupportedProfile {
        /// The file.
        path: PathBuf,
        /// Which profile (`be_Db`, `ec_Db`, `dgn_Db`).
        profile: &'static str,
        /// What was found.
        found: String,
        /// The versions supported.
        supported: String,
    },
    /// Another writer holds the file's lock.
    #[error("{path} is held by another writer (the file is locked); close the other program first")]
    Locked {
        /// The file.
        path: PathBuf,
    },
    /// `create` refuses to overwrite a file.
    #[error("{path} already exists; refusing to overwrite it")]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// The file system failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// SQLite failed (a host failure, not bad input).
    #[error("{path}: SQLite: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
}
