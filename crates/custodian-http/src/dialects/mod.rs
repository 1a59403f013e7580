//! Vendor dialects. One rule: a dialect maps its wire DTOs and errors onto the shared services,
//! and nothing else; no business rule lives here.

pub mod billing;
pub mod openwealth;
pub mod partner;
pub mod self_service;
