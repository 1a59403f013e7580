//! The pure domain of Custodian: customers' four self-service data domains, amendments and their
//! lifecycle, per-tenant policies, and value types that can only be built by parsing.
//!
//! Nothing here does I/O: no async runtime, no database, no HTTP. Time is passed in as epoch
//! milliseconds. Every rule the product has about amendments lives in this crate and is unit tested.

pub mod actor;
pub mod amendment;
pub mod billing;
pub mod data;
pub mod diff;
pub mod error;
pub mod hierarchy;
pub mod ids;
pub mod json;
pub mod policy;
pub mod search;
pub mod signature;
pub mod values;
pub mod wealth;

pub use actor::{Actor, ActorKind, Scope};
pub use amendment::{Amendment, AmendmentState, Transition};
pub use data::{AddressData, ContactData, DataDomain, DomainChange, DomainData, MasterData, PaymentData};
pub use diff::{FieldChange, diff};
pub use error::{DomainError, FieldError};
pub use ids::{AmendmentId, CustomerId, TenantId};
pub use policy::{ConfigurationStatus, DomainPolicy, PolicySet, SubmissionRoute, decide_submission};
pub use signature::SanitizedSvg;
