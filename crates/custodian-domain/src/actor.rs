//! Who did something: an API client, a staff member, an administrator or the system itself.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The kind of principal behind a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A partner application calling with an API key on behalf of a customer.
    ApiKey,
    /// A member of the studio's staff reviewing amendments.
    Staff,
    /// An administrator changing settings or data.
    Admin,
    /// Custodian itself (seeding, migrations).
    System,
    /// `custodian import`, named by the file it read (`import:members.jsonl`).
    Import,
}

impl ActorKind {
    /// The stable lowercase name stored in the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::ApiKey => "api_key",
            ActorKind::Staff => "staff",
            ActorKind::Admin => "admin",
            ActorKind::System => "system",
            ActorKind::Import => "import",
        }
    }
}

/// A principal with a stable, non-personal identifier (an API key's public prefix, a staff login).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: String,
}

impl Actor {
    pub fn new(kind: ActorKind, id: impl Into<String>) -> Self {
        Actor { kind, id: id.into() }
    }

    pub fn system() -> Self {
        Actor::new(ActorKind::System, "custodian")
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.id)
    }
}

impl FromStr for Actor {
    type Err = String;

    /// Parses the `kind:id` form written by `Display`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, id) = s.split_once(':').ok_or_else(|| format!("not an actor: {s}"))?;
        let kind = match kind {
            "api_key" => ActorKind::ApiKey,
            "staff" => ActorKind::Staff,
            "admin" => ActorKind::Admin,
            "system" => ActorKind::System,
            "import" => ActorKind::Import,
            other => return Err(format!("unknown actor kind: {other}")),
        };
        Ok(Actor::new(kind, id))
    }
}

impl Serialize for Actor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_round_trips_through_its_text_form() {
        let a = Actor::new(ActorKind::Staff, "alice");
        assert_eq!(a.to_string(), "staff:alice");
        assert_eq!("staff:alice".parse::<Actor>().unwrap(), a);
        assert!("nobody".parse::<Actor>().is_err());
        assert!("robot:x".parse::<Actor>().is_err());
    }
}

/// A permission carried by an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read a customer's self-service data (vendor scope).
    SelfServiceRead,
    /// Submit and withdraw amendments (vendor scope).
    SelfServiceWrite,
    /// Read the review queue, amendments and audit trail; approve and reject.
    StaffReview,
    /// Change policies and create customers; implies nothing else.
    Admin,
    /// Use the hierarchical partner API as the customer the key is bound to.
    Partner,
    /// A wealth-management service user (OpenWealth dialect, `Authorization: Bearer`): sees the
    /// customers that granted it consent, and may add their contact details and addresses.
    WealthServiceUser,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::SelfServiceRead,
        Scope::SelfServiceWrite,
        Scope::StaffReview,
        Scope::Admin,
        Scope::Partner,
        Scope::WealthServiceUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::SelfServiceRead => "CUSTOMER_SELF_SERVICE_READ",
            Scope::SelfServiceWrite => "CUSTOMER_SELF_SERVICE_WRITE",
            Scope::StaffReview => "STAFF_REVIEW",
            Scope::Admin => "ADMIN",
            Scope::Partner => "PARTNER",
            Scope::WealthServiceUser => "WEALTH_SERVICE_USER",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL.into_iter().find(|sc| sc.as_str() == s).ok_or_else(|| {
            format!(
                "unknown scope {s:?}: expected one of {}",
                Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}
