//! The wealth-management part of the storage port: customers' wealth profiles and KYC records,
//! persons and their links to customers, contact details, addresses, and consents.
//!
//! Writes that also change a shared data domain (master, contact, address) take the `Apply`s of
//! that change and commit them, the wealth rows, the audit entries and the events in one
//! transaction, so every dialect sees either all of a change or none of it.

use crate::{Apply, Records, StoreResult};
use async_trait::async_trait;
use custodian_domain::wealth::{ContactDetail, Kyc, Person, PersonId, PersonRelation, ServiceUser, WealthAddress, WealthProfile};
use custodian_domain::{Actor, CustomerId, TenantId};

/// A person's relation to a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonLink {
    pub person: PersonId,
    pub customer: CustomerId,
    pub relation: PersonRelation,
}

/// A customer's wealth profile with its KYC record, primary person, persons and address numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct WealthProfileRecord {
    pub customer: CustomerId,
    pub profile: WealthProfile,
    pub kyc: Kyc,
    /// The person whose names and birth date are the customer's master data.
    pub primary_person: PersonId,
    /// Every person related to the customer, ordered by person id.
    pub persons: Vec<PersonLink>,
    /// Numbers of the stored addresses, ascending (address 1 may also exist only as address data).
    pub address_numbers: Vec<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A stored person with its relations to customers.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRecord {
    pub id: PersonId,
    pub person: Person,
    /// Ordered by customer id, then relation.
    pub links: Vec<PersonLink>,
    /// The customer whose primary person this is, if any.
    pub primary_of: Option<CustomerId>,
}

/// A stored contact detail (one not held by the contact domain).
#[derive(Debug, Clone, PartialEq)]
pub struct ContactDetailRecord {
    pub id: i64,
    pub person: PersonId,
    pub detail: ContactDetail,
}

/// A stored address of a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressRecord {
    pub number: i64,
    pub address: WealthAddress,
}

/// A consent a customer granted a service user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub id: i64,
    pub customer: CustomerId,
    pub service_user: ServiceUser,
    pub granted_by: Actor,
    pub granted_ms: i64,
    pub revoked_by: Option<Actor>,
    pub revoked_ms: Option<i64>,
}

/// A consent to record.
#[derive(Debug, Clone)]
pub struct NewConsent {
    pub tenant: TenantId,
    pub customer: CustomerId,
    pub service_user: ServiceUser,
    pub granted_by: Actor,
    pub granted_ms: i64,
}

/// A customer's profile, KYC record and primary person (related as `relation`), to save.
#[derive(Debug, Clone)]
pub struct ProfileWrite {
    pub profile: WealthProfile,
    pub kyc: Kyc,
    pub primary: Person,
    pub relation: PersonRelation,
}

/// The wealth rows one write changes.
#[derive(Debug, Clone)]
pub enum WealthWrite {
    /// Creates or replaces the customer's profile and KYC record; creates its primary person on
    /// the first save and replaces that person's data afterwards.
    SaveProfile(Box<ProfileWrite>),
    /// Creates a person related to the customer.
    AddPerson { person: Person, relation: PersonRelation },
    /// Relates an existing person of the tenant to the customer.
    LinkPerson { person: PersonId, relation: PersonRelation },
    /// Adds a contact detail to a person related to the customer.
    AddContactDetail { person: PersonId, detail: ContactDetail },
    /// Adds an address: as address 1 (the domicile) when `domicile`, else as the next number.
    AddAddress { address: WealthAddress, domicile: bool },
    /// Replaces address `number` (address 1 is created when the customer had it only as address data).
    PutAddress { number: i64, address: WealthAddress },
}

/// Builds the audit entries and events of a wealth write once its new id (person id, contact
/// detail id or address number) is known.
pub type WealthFollowUp = Box<dyn FnOnce(i64) -> Records + Send>;

#[async_trait]
pub trait WealthStore: Send + Sync {
    /// The customer's wealth profile; `None` when it has none (or is another tenant's).
    async fn wealth_profile(&self, tenant: TenantId, customer: CustomerId) -> StoreResult<Option<WealthProfileRecord>>;

    /// Ids of customers with a wealth profile and a live consent for `service_user`, ascending,
    /// after `after`.
    async fn consented_customers(
        &self,
        tenant: TenantId,
        service_user: &ServiceUser,
        after: Option<CustomerId>,
        limit: i64,
    ) -> StoreResult<Vec<CustomerId>>;

    /// Of `customers`, those with a wealth profile and a live consent for `service_user`.
    async fn consented_among(
        &self,
        tenant: TenantId,
        service_user: &ServiceUser,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<CustomerId>>;

    /// Ids of persons related to a customer with a wealth profile (and, with `service_user`, a
    /// live consent for it), ascending, after `after`.
    async fn list_persons(
        &self,
        tenant: TenantId,
        service_user: Option<&ServiceUser>,
        after: Option<PersonId>,
        limit: i64,
    ) -> StoreResult<Vec<PersonId>>;

    async fn get_person(&self, tenant: TenantId, person: PersonId) -> StoreResult<PersonRecord>;

    /// A person's stored contact details, in the order they were added.
    async fn contact_details(&self, tenant: TenantId, person: PersonId) -> StoreResult<Vec<ContactDetailRecord>>;

    /// A customer's stored addresses by number.
    async fn addresses(&self, tenant: TenantId, customer: CustomerId) -> StoreResult<Vec<AddressRecord>>;

    /// Applies `write` to the customer's wealth rows together with `applies` to its shared data
    /// domains and the records `follow_up` builds, in one transaction at `at_ms`. Returns the new
    /// id (see [`WealthFollowUp`]). Fails with `NotFound` for an unknown customer, person or address,
    /// or a customer without a profile (other than for `SaveProfile`); `VersionConflict` when an
    /// apply was decided on stale data; `Conflict` when the person is related already.
    async fn write_wealth(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        write: WealthWrite,
        applies: Vec<Apply>,
        at_ms: i64,
        follow_up: WealthFollowUp,
    ) -> StoreResult<i64>;

    /// Records a consent with its audit entries. `Conflict` when the service user already holds
    /// a live consent for the customer (a unique index decides races); `NotFound` for an unknown
    /// customer.
    async fn grant_consent(&self, consent: NewConsent, records: Records) -> StoreResult<Consent>;

    /// Revokes a live consent. `NotFound` for an unknown one, `Conflict` when it was revoked already.
    async fn revoke_consent(&self, tenant: TenantId, id: i64, by: &Actor, at_ms: i64, records: Records) -> StoreResult<Consent>;

    async fn get_consent(&self, tenant: TenantId, id: i64) -> StoreResult<Consent>;

    /// Consents (live and revoked) by id, optionally of one customer, after `after`.
    async fn list_consents(
        &self,
        tenant: TenantId,
        customer: Option<CustomerId>,
        after: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<Consent>>;
}
