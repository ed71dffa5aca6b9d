//! End-to-end tests of python connectors (filled in by the python SDK work).
