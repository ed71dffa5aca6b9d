//! End-to-end tests of ts connectors (filled in by the ts SDK work).
