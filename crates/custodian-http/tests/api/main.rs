//! Integration tests of the HTTP surface: the real router in-process, a fresh database per test,
//! every scenario on SQLite and on PostgreSQL (see `both_backends!`).

#[macro_use]
mod helpers;
mod access;
mod billing;
mod console;
mod cross_dialect;
mod hostile_input;
mod idempotency;
mod native;
mod openwealth;
mod openwealth_healthcheck;
mod ops;
mod partial_bodies;
mod partner;
mod privacy;
mod self_service;
mod signatures;
mod vendor_documents;
