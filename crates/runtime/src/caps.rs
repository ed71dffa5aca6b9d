//! How much the host accepts from a guest per call. Everything a guest sends is already in host
//! memory when the import runs (the component model copies it out), so these bound the work and
//! the copies the host makes from it, not the transfer. Documented in `wit/connector.wit`.

/// Largest element / model / relationship props JSON text per call.
pub const MAX_PROPS_BYTES: usize = 16 << 20;
/// Most items in one `update-imodel-batch` or `detect-changes-batch` call.
pub const MAX_BATCH_ITEMS: usize = 10_000;
/// Most bytes of text (props, ids, versions, checksums) in one batch call.
pub const MAX_BATCH_BYTES: usize = 64 << 20;
/// What wasmtime may copy out of the guest for one host call (its "hostcall fuel", counted in
/// bytes of lifted strings and lists): the largest call the WIT allows — a batch at
/// [`MAX_BATCH_BYTES`] plus the records of its items — with room to spare, so a call over the
/// documented limits gets its `sync-error` and only a call far beyond them stops the job.
pub const HOSTCALL_BYTES: usize = MAX_BATCH_BYTES + (16 << 20);
/// Most ids in one `on-elements-seen` call.
pub const MAX_ID_LIST: usize = 100_000;
/// Longest `host.log` message kept; a longer one is cut and marked.
pub const MAX_LOG_MESSAGE: usize = 16 << 10;
/// The most `host.read-source` returns per call (the bytes pass through host memory first).
pub const MAX_READ_SOURCE: u32 = 16 << 20;
/// Most bytes of JSON text `host.checksums-json` takes per call (as props: parsed at once).
pub const MAX_CHECKSUM_BYTES: usize = 16 << 20;
/// Largest component file the host compiles.
pub const MAX_COMPONENT_BYTES: u64 = 256 << 20;

/// `text`, cut to [`MAX_LOG_MESSAGE`] bytes (at a character boundary) with a note of the cut.
pub fn truncate_log(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= MAX_LOG_MESSAGE {
        return text.into();
    }
    let mut end = MAX_LOG_MESSAGE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes cut)", &text[..end], text.len() - end).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_log_messages_are_cut_at_a_character_boundary() {
        assert_eq!(truncate_log("short"), "short");
        let long = "é".repeat(MAX_LOG_MESSAGE);
        let cut = truncate_log(&long);
        assert!(cut.len() < MAX_LOG_MESSAGE + 40, "{}", cut.len());
        assert!(
            cut.ends_with(&format!("… ({} bytes cut)", long.len() - MAX_LOG_MESSAGE)),
            "{}",
            &cut[cut.len() - 40..]
        );
    }
}
