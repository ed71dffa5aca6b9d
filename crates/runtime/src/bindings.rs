//! Host bindings of the WIT world `itwin:connector/connector-world` (`wit/connector.wit`).

wasmtime::component::bindgen!({
    world: "connector-world",
    path: "../../wit",
    // Every import may trap: host failures (SQLite) stop the guest at once.
    imports: { default: trappable },
});

pub use exports::itwin::connector::connector::ConnectorInfo;
pub use itwin::connector::types::{
    ChangeResult, CodeScope, DeletionMode, DocumentRecord, ItemState, LogLevel, SourceDocument, SourceItem, SyncError,
};

impl DeletionMode {
    /// The mode as the WIT spells it (`channel`, `file`, `none`).
    pub fn wit_name(self) -> &'static str {
        match self {
            DeletionMode::Channel => "channel",
            DeletionMode::File => "file",
            DeletionMode::None => "none",
        }
    }
}
