//! UUID identifiers of the partner hierarchy: customers, their contacts and addresses, and the
//! request ids of asynchronous operations. Text form: lower-case hyphenated (36 characters).

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// Accepts only the hyphenated form (`ff74dca6-8e7f-4b85-a42b-13860913b370`), any case.
            pub fn parse(raw: &str) -> Result<$name, String> {
                let t = raw.trim();
                match Uuid::try_parse(t) {
                    Ok(u) if t.len() == 36 => Ok($name(u)),
                    _ => Err(format!(
                        "is not a UUID such as ff74dca6-8e7f-4b85-a42b-13860913b370: {:?}",
                        t.chars().take(40).collect::<String>()
                    )),
                }
            }

            pub fn from_uuid(u: Uuid) -> $name {
                $name(u)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $name::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

uuid_id!(
    /// A customer as the partner API addresses it (`customerId`).
    CustomerUuid
);
uuid_id!(
    /// One contact of a partner customer.
    ContactId
);
uuid_id!(
    /// One address of a partner customer.
    AddressId
);
uuid_id!(
    /// An asynchronous operation (`requestId`).
    RequestId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_request_id_parses_and_prints_the_same() {
        let id = RequestId::parse("ff74dca6-8e7f-4b85-a42b-13860913b370").unwrap();
        assert_eq!(id.to_string(), "ff74dca6-8e7f-4b85-a42b-13860913b370");
        assert_eq!(CustomerUuid::parse(" FF74DCA6-8E7F-4B85-A42B-13860913B370 ").unwrap().to_string(), id.to_string());
    }

    #[test]
    fn only_the_hyphenated_form_is_a_uuid() {
        for raw in [
            "",
            "42",
            "ff74dca68e7f4b85a42b13860913b370",
            "{ff74dca6-8e7f-4b85-a42b-13860913b370}",
            "ff74dca6-8e7f-4b85-a42b-13860913b37g",
        ] {
            assert!(CustomerUuid::parse(raw).is_err(), "{raw} should be rejected");
        }
    }
}
