//! Integration tests of the HTTP surface: the real router in-process, a fresh database per test,
//! every scenario on SQLite and on PostgreSQL (see `both_backends!`).

#[macro_use]
mod helpers;
mod console;
mod native;
mod ops;
mod self_service;
