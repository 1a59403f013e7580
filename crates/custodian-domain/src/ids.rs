//! Identifier newtypes: a tenant, a customer and an amendment are never confused for one another.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A tenant: one studio or business whose customers are kept apart from every other tenant's.
    TenantId
);
id_type!(
    /// A customer of a tenant (the vendor API's int64 `customerId`).
    CustomerId
);
id_type!(
    /// An amendment (the vendor API's int64 `amendmentId`).
    AmendmentId
);
