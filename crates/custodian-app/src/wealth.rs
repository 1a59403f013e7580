//! Wealth-management use cases: service users read the customers that granted them consent
//! (profile, KYC, persons, contact details, addresses) and add contact details and addresses;
//! administrators keep profiles, persons and consents.
//!
//! Where the wealth model overlaps the shared data domains, the shared domain is the truth: a
//! customer's primary person takes its names, gender and birth date from master data, its e-mail
//! and phones from contact data, and address 1 (the domicile) is the address data. A change there
//! is written as that domain's change (audit `customer.updated`, event `customer.updated`)
//! together with the wealth rows, in one store transaction.

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::events::{audit, event, previous_values};
use crate::{Context, MAX_ATTEMPTS};
use custodian_domain::diff::compare;
use custodian_domain::wealth::{
    ContactDetail, ContactSlot, DOMICILE_ADDRESS, Kyc, Person, PersonId, PersonRelation, ServiceUser, WealthAddress,
    WealthProfile, check_domicile_flag, contact_domain_details,
};
use custodian_domain::{CustomerId, DataDomain, DomainData, FieldChange, Scope, diff};
use custodian_store::wealth::{Consent, NewConsent, PersonLink, ProfileWrite, WealthProfileRecord, WealthWrite};
use custodian_store::{Apply, Customer, NewAudit, Records, Store, StoreError};
use serde_json::{Value, json};
use std::sync::Arc;

/// Who looks at wealth data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Sees only customers with a wealth profile that granted it consent, and their persons.
    ServiceUser(ServiceUser),
    /// Staff and administrators see every customer with a wealth profile.
    Staff,
}

/// A customer with its wealth profile.
#[derive(Debug, Clone)]
pub struct WealthCustomer {
    pub customer: Customer,
    pub profile: WealthProfileRecord,
}

impl WealthCustomer {
    /// The profile's name, else the primary person's names from master data.
    pub fn name(&self) -> Option<String> {
        self.profile.profile.name.as_ref().map(ToString::to_string).or_else(|| match self.customer.data(DataDomain::Master) {
            Some(DomainData::Master(m)) => Some(format!("{} {}", m.first_name, m.last_name)),
            _ => None,
        })
    }

    /// Numbers of the customer's addresses: address 1 when it has address data, and every
    /// stored one.
    pub fn address_numbers(&self) -> Vec<i64> {
        let mut numbers = self.profile.address_numbers.clone();
        if self.customer.data(DataDomain::Address).is_some() && !numbers.contains(&DOMICILE_ADDRESS) {
            numbers.insert(0, DOMICILE_ADDRESS);
        }
        numbers
    }
}

/// A contact detail with its identification (`email`, `phonePrivate`, … for those held by the
/// contact domain, a number for the others).
#[derive(Debug, Clone, PartialEq)]
pub struct ContactView {
    pub id: String,
    pub detail: ContactDetail,
}

/// A person as its audience sees it.
#[derive(Debug, Clone)]
pub struct PersonView {
    pub id: PersonId,
    /// With master data's names, gender and birth date when it is a customer's primary person.
    pub person: Person,
    /// The visible customers it is related to (each once, ascending).
    pub customers: Vec<CustomerId>,
    pub contacts: Vec<ContactView>,
}

/// An address with its number.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressView {
    pub number: i64,
    pub address: WealthAddress,
    pub is_domicile: bool,
}

/// A replacement of one address.
#[derive(Debug, Clone)]
pub struct AddressUpdate {
    pub number: i64,
    /// As the client sent it; only checked (address 1 is the domicile).
    pub is_domicile: Option<bool>,
    pub address: WealthAddress,
}

/// What an administrator saves as a customer's wealth profile.
#[derive(Debug, Clone)]
pub struct ProfileInput {
    pub profile: WealthProfile,
    pub kyc: Kyc,
    /// The primary person; a natural person's names, gender and birth date are written to master data.
    pub primary: Person,
    pub relation: PersonRelation,
}

/// A person to relate to a customer.
#[derive(Debug, Clone)]
pub enum RelatedPerson {
    New(Box<Person>),
    Existing(PersonId),
}

#[derive(Clone)]
pub struct WealthService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

fn changes_under(prefix: &str, before: &Value, after: &Value) -> Vec<FieldChange> {
    compare(before, after).into_iter().map(|c| FieldChange { field: format!("{prefix}{}", c.field), ..c }).collect()
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("wealth data serialises")
}

const TOO_MANY: &str = "too many concurrent changes; try again";

impl WealthService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        WealthService { store, clock }
    }

    /// The audit entry and event of a change of a shared data domain, as `CustomerService` writes them.
    fn domain_change(
        &self,
        ctx: &Context,
        customer: CustomerId,
        domain: DataDomain,
        changes: &[FieldChange],
        at: i64,
    ) -> Records {
        Records {
            audit: vec![audit(ctx, customer, "customer.updated", Some(domain), None, changes.to_vec(), at)],
            events: vec![event(
                ctx,
                "customer.updated",
                customer,
                at,
                json!({ "domain": domain.as_str(), "changes": previous_values(changes) }),
            )],
        }
    }

    async fn visible(&self, ctx: &Context, audience: &Audience, id: CustomerId) -> AppResult<bool> {
        Ok(match audience {
            Audience::ServiceUser(su) => {
                !self.store.consented_among(ctx.tenant, su, &[id]).await.map_err(AppError::Store)?.is_empty()
            }
            Audience::Staff => true,
        })
    }

    /// A customer with its profile, if the audience may see it.
    pub async fn customer(&self, ctx: &Context, audience: &Audience, id: CustomerId) -> AppResult<WealthCustomer> {
        if !self.visible(ctx, audience, id).await? {
            return Err(AppError::NotFound("customer"));
        }
        let customer = self.store.get_customer(ctx.tenant, id).await.map_err(AppError::store("customer"))?;
        let profile = self
            .store
            .wealth_profile(ctx.tenant, id)
            .await
            .map_err(AppError::Store)?
            .ok_or(AppError::NotFound("wealth_profile"))?;
        Ok(WealthCustomer { customer, profile })
    }

    /// The customers that granted `service_user` consent, by id, after `after`.
    pub async fn customers(
        &self,
        ctx: &Context,
        service_user: &ServiceUser,
        after: Option<CustomerId>,
        limit: i64,
    ) -> AppResult<Vec<WealthCustomer>> {
        let ids = self.store.consented_customers(ctx.tenant, service_user, after, limit).await.map_err(AppError::Store)?;
        let audience = Audience::ServiceUser(service_user.clone());
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            // A consent revoked between the two reads hides the customer.
            match self.customer(ctx, &audience, id).await {
                Ok(c) => out.push(c),
                Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// A person, if it is related to a customer the audience may see.
    pub async fn person(&self, ctx: &Context, audience: &Audience, id: PersonId) -> AppResult<PersonView> {
        let record = self.store.get_person(ctx.tenant, id).await.map_err(AppError::store("person"))?;
        let customers = self.visible_links(ctx, audience, &record.links).await?;
        if customers.is_empty() {
            return Err(AppError::NotFound("person"));
        }
        let mut person = record.person;
        let mut contacts = Vec::new();
        if let Some(c) = record.primary_of {
            let customer = self.store.get_customer(ctx.tenant, c).await.map_err(AppError::store("customer"))?;
            let master = match customer.data(DataDomain::Master) {
                Some(DomainData::Master(m)) => Some(m),
                _ => None,
            };
            person = person.with_master(master);
            if let Some(DomainData::Contact(contact)) = customer.data(DataDomain::Contact) {
                contacts.extend(
                    contact_domain_details(contact).into_iter().map(|(id, detail)| ContactView { id: id.to_owned(), detail }),
                );
            }
        }
        let stored = self.store.contact_details(ctx.tenant, id).await.map_err(AppError::Store)?;
        contacts.extend(stored.into_iter().map(|d| ContactView { id: d.id.to_string(), detail: d.detail }));
        Ok(PersonView { id, person, customers, contacts })
    }

    async fn visible_links(&self, ctx: &Context, audience: &Audience, links: &[PersonLink]) -> AppResult<Vec<CustomerId>> {
        let mut customers: Vec<CustomerId> = links.iter().map(|l| l.customer).collect();
        customers.dedup();
        match audience {
            Audience::ServiceUser(su) => self.store.consented_among(ctx.tenant, su, &customers).await.map_err(AppError::Store),
            Audience::Staff => Ok(customers),
        }
    }

    /// The audience's persons by id, after `after`.
    pub async fn persons(
        &self,
        ctx: &Context,
        audience: &Audience,
        after: Option<PersonId>,
        limit: i64,
    ) -> AppResult<Vec<PersonView>> {
        let su = match audience {
            Audience::ServiceUser(su) => Some(su),
            Audience::Staff => None,
        };
        let ids = self.store.list_persons(ctx.tenant, su, after, limit).await.map_err(AppError::Store)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.person(ctx, audience, id).await {
                Ok(p) => out.push(p),
                Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Adds a contact detail to a person. For a customer's primary person an e-mail address or
    /// phone number whose contact-data field is empty fills that field (a contact-data change,
    /// seen by every dialect); anything else is kept as an additional contact detail.
    pub async fn add_contact_detail(
        &self,
        ctx: &Context,
        audience: &Audience,
        person: PersonId,
        detail: ContactDetail,
    ) -> AppResult<(CustomerId, ContactView)> {
        let detail = detail.check()?;
        for _ in 0..MAX_ATTEMPTS {
            let record = self.store.get_person(ctx.tenant, person).await.map_err(AppError::store("person"))?;
            let visible = self.visible_links(ctx, audience, &record.links).await?;
            let Some(first) = visible.first().copied() else { return Err(AppError::NotFound("person")) };
            // The primary person's own customer, when the audience sees it, owns the change.
            let primary_of = record.primary_of.filter(|c| visible.contains(c));
            let customer = primary_of.unwrap_or(first);
            let now = self.clock.now_ms();
            if let Some(c) = primary_of {
                let current = self.store.get_customer(ctx.tenant, c).await.map_err(AppError::store("customer"))?;
                let contact = match current.data(DataDomain::Contact) {
                    Some(DomainData::Contact(contact)) => contact.clone(),
                    _ => Default::default(),
                };
                if let Some(slot) = ContactSlot::for_new(&detail, &contact) {
                    let next = DomainData::Contact(slot.fill(&contact, &detail)?);
                    let changes = diff(current.data(DataDomain::Contact), &next);
                    let records = self.domain_change(ctx, c, DataDomain::Contact, &changes, now);
                    let apply = Apply { data: next, expected_version: current.version(DataDomain::Contact), at_ms: now };
                    match self.store.apply_change(ctx.tenant, c, apply, records).await {
                        Ok(()) => return Ok((c, ContactView { id: slot.id().to_owned(), detail })),
                        Err(StoreError::VersionConflict) => continue,
                        Err(e) => return Err(AppError::store("customer")(e)),
                    }
                }
            }
            let (c, after) = (ctx.clone(), to_json(&detail));
            let follow_up = Box::new(move |id: i64| Records {
                audit: vec![audit(
                    &c,
                    customer,
                    "wealth.contact_detail.added",
                    None,
                    None,
                    changes_under(&format!("persons.{person}.contactDetails.{id}."), &Value::Null, &after),
                    now,
                )],
                events: vec![],
            });
            let write = WealthWrite::AddContactDetail { person, detail: detail.clone() };
            return match self.store.write_wealth(ctx.tenant, customer, write, Vec::new(), now, follow_up).await {
                Ok(id) => Ok((customer, ContactView { id: id.to_string(), detail })),
                Err(e) => Err(AppError::store("person")(e)),
            };
        }
        Err(AppError::Store(StoreError::Conflict(TOO_MANY.into())))
    }

    /// One address of a customer: `number`, or the domicile address (else the first one).
    pub async fn address(
        &self,
        ctx: &Context,
        audience: &Audience,
        id: CustomerId,
        number: Option<i64>,
    ) -> AppResult<AddressView> {
        let wc = self.customer(ctx, audience, id).await?;
        let numbers = wc.address_numbers();
        let number = number.or_else(|| numbers.first().copied()).ok_or(AppError::NotFound("address"))?;
        if !numbers.contains(&number) {
            return Err(AppError::NotFound("address"));
        }
        let stored =
            self.store.addresses(ctx.tenant, id).await.map_err(AppError::Store)?.into_iter().find(|a| a.number == number);
        let address = if number == DOMICILE_ADDRESS {
            let domain = match wc.customer.data(DataDomain::Address) {
                Some(DomainData::Address(a)) => Some(a.as_ref()),
                _ => None,
            };
            stored.map_or_else(WealthAddress::domicile_default, |s| s.address).with_domicile_data(domain)
        } else {
            stored.ok_or(AppError::NotFound("address"))?.address
        };
        Ok(AddressView { number, address, is_domicile: number == DOMICILE_ADDRESS })
    }

    /// Adds an address; the customer's first one becomes its domicile address (address 1, its
    /// address data). Returns the new address's number.
    pub async fn add_address(
        &self,
        ctx: &Context,
        audience: &Audience,
        id: CustomerId,
        address: WealthAddress,
    ) -> AppResult<i64> {
        for _ in 0..MAX_ATTEMPTS {
            let wc = self.customer(ctx, audience, id).await?;
            let domicile = wc.address_numbers().is_empty();
            let now = self.clock.now_ms();
            let mut applies = Vec::new();
            let mut records = Records::default();
            let row = if domicile {
                let data = DomainData::Address(Box::new(address.domicile_data(None)?));
                let changes = diff(None, &data);
                records = self.domain_change(ctx, id, DataDomain::Address, &changes, now);
                applies.push(Apply { data, expected_version: wc.customer.version(DataDomain::Address), at_ms: now });
                address.clone().without_domicile_data()
            } else {
                address.clone()
            };
            let (c, after) = (ctx.clone(), to_json(&row));
            let follow_up = Box::new(move |n: i64| {
                records.audit.push(audit(
                    &c,
                    id,
                    "wealth.address.added",
                    None,
                    None,
                    changes_under(&format!("addresses.{n}."), &Value::Null, &after),
                    now,
                ));
                records
            });
            let write = WealthWrite::AddAddress { address: row, domicile };
            match self.store.write_wealth(ctx.tenant, id, write, applies, now, follow_up).await {
                Ok(n) => return Ok(n),
                Err(StoreError::VersionConflict) => {}
                Err(e) => return Err(AppError::store("customer")(e)),
            }
        }
        Err(AppError::Store(StoreError::Conflict(TOO_MANY.into())))
    }

    /// Replaces an address. For the domicile address (1) the location is written to the
    /// customer's address data in the same transaction.
    pub async fn put_address(&self, ctx: &Context, audience: &Audience, id: CustomerId, update: AddressUpdate) -> AppResult<()> {
        check_domicile_flag(update.number, update.is_domicile)?;
        let number = update.number;
        for _ in 0..MAX_ATTEMPTS {
            let wc = self.customer(ctx, audience, id).await?;
            if !wc.address_numbers().contains(&number) {
                return Err(AppError::NotFound("address"));
            }
            let before =
                self.store.addresses(ctx.tenant, id).await.map_err(AppError::Store)?.into_iter().find(|a| a.number == number);
            let now = self.clock.now_ms();
            let mut applies = Vec::new();
            let mut records = Records::default();
            let row = if number == DOMICILE_ADDRESS {
                let current = match wc.customer.data(DataDomain::Address) {
                    Some(DomainData::Address(a)) => Some(a.as_ref()),
                    _ => None,
                };
                let next = DomainData::Address(Box::new(update.address.domicile_data(current)?));
                let changes = diff(wc.customer.data(DataDomain::Address), &next);
                if !changes.is_empty() {
                    records = self.domain_change(ctx, id, DataDomain::Address, &changes, now);
                    applies.push(Apply { data: next, expected_version: wc.customer.version(DataDomain::Address), at_ms: now });
                }
                update.address.clone().without_domicile_data()
            } else {
                update.address.clone()
            };
            let changes = changes_under(
                &format!("addresses.{number}."),
                &before.as_ref().map_or(Value::Null, |b| to_json(&b.address)),
                &to_json(&row),
            );
            if !changes.is_empty() {
                records.audit.push(audit(ctx, id, "wealth.address.updated", None, None, changes, now));
            }
            let write = WealthWrite::PutAddress { number, address: row };
            match self.store.write_wealth(ctx.tenant, id, write, applies, now, Box::new(move |_| records)).await {
                Ok(_) => return Ok(()),
                Err(StoreError::VersionConflict) => {}
                Err(e) => return Err(AppError::store("address")(e)),
            }
        }
        Err(AppError::Store(StoreError::Conflict(TOO_MANY.into())))
    }

    /// Creates or replaces a customer's wealth profile, KYC record and primary person; the
    /// primary person's names, gender and birth date become the customer's master data.
    pub async fn save_profile(&self, ctx: &Context, id: CustomerId, input: ProfileInput) -> AppResult<WealthCustomer> {
        for _ in 0..MAX_ATTEMPTS {
            let customer = self.store.get_customer(ctx.tenant, id).await.map_err(AppError::store("customer"))?;
            let existing = self.store.wealth_profile(ctx.tenant, id).await.map_err(AppError::Store)?;
            let current_master = match customer.data(DataDomain::Master) {
                Some(DomainData::Master(m)) => Some(m),
                _ => None,
            };
            let master = input.primary.master_data(current_master, self.clock.today()).map_err(|e| e.within("primaryPerson"))?;
            let now = self.clock.now_ms();
            let mut applies = Vec::new();
            let mut records = Records::default();
            if let Some(m) = master.map(DomainData::Master) {
                let changes = diff(customer.data(DataDomain::Master), &m);
                if !changes.is_empty() {
                    records = self.domain_change(ctx, id, DataDomain::Master, &changes, now);
                    applies.push(Apply { data: m, expected_version: customer.version(DataDomain::Master), at_ms: now });
                }
            }
            let before = match &existing {
                Some(p) => {
                    let primary = self.store.get_person(ctx.tenant, p.primary_person).await.map_err(AppError::Store)?;
                    json!({ "profile": p.profile, "kyc": p.kyc, "primaryPerson": primary.person })
                }
                None => Value::Null,
            };
            let after = json!({ "profile": input.profile, "kyc": input.kyc, "primaryPerson": input.primary });
            records.audit.push(audit(ctx, id, "wealth.profile.saved", None, None, changes_under("", &before, &after), now));
            let write = WealthWrite::SaveProfile(Box::new(ProfileWrite {
                profile: input.profile.clone(),
                kyc: input.kyc.clone(),
                primary: input.primary.clone(),
                relation: input.relation,
            }));
            match self.store.write_wealth(ctx.tenant, id, write, applies, now, Box::new(move |_| records)).await {
                Ok(_) => return self.customer(ctx, &Audience::Staff, id).await,
                Err(StoreError::VersionConflict) => {}
                Err(e) => return Err(AppError::store("customer")(e)),
            }
        }
        Err(AppError::Store(StoreError::Conflict(TOO_MANY.into())))
    }

    /// Relates a new or existing person to a customer with a wealth profile.
    pub async fn relate_person(
        &self,
        ctx: &Context,
        id: CustomerId,
        relation: PersonRelation,
        person: RelatedPerson,
    ) -> AppResult<PersonId> {
        let now = self.clock.now_ms();
        let (write, after) = match person {
            RelatedPerson::New(p) => {
                let after = json!({ "relation": relation, "person": p });
                (WealthWrite::AddPerson { person: *p, relation }, after)
            }
            RelatedPerson::Existing(p) => {
                (WealthWrite::LinkPerson { person: p, relation }, json!({ "relation": relation, "personIdentification": p }))
            }
        };
        let c = ctx.clone();
        let follow_up = Box::new(move |pid: i64| Records {
            audit: vec![audit(
                &c,
                id,
                "wealth.person.related",
                None,
                None,
                changes_under(&format!("persons.{pid}."), &Value::Null, &after),
                now,
            )],
            events: vec![],
        });
        match self.store.write_wealth(ctx.tenant, id, write, Vec::new(), now, follow_up).await {
            Ok(pid) => Ok(PersonId(pid)),
            Err(StoreError::NotFound) => {
                // Which one is missing: the customer's profile or the person?
                match self.store.wealth_profile(ctx.tenant, id).await.map_err(AppError::Store)? {
                    None => Err(AppError::NotFound("wealth_profile")),
                    Some(_) => Err(AppError::NotFound("person")),
                }
            }
            Err(e) => Err(AppError::Store(e)),
        }
    }

    /// Records that the customer granted `service_user` access to its wealth data (audited).
    pub async fn grant_consent(&self, ctx: &Context, customer: CustomerId, service_user: ServiceUser) -> AppResult<Consent> {
        // A consent names a live service-user key of the tenant: one for a mistyped or unknown
        // prefix would be accepted and then show that user nothing.
        let keys = self.store.list_api_keys(ctx.tenant).await.map_err(AppError::Store)?;
        if !keys.iter().any(|k| k.prefix == service_user.as_str() && k.scopes.contains(&Scope::WealthServiceUser)) {
            return Err(AppError::NotFound("service_user"));
        }
        let now = self.clock.now_ms();
        let change = FieldChange { field: "serviceUser".into(), before: None, after: Some(service_user.as_str().into()) };
        let records =
            Records { audit: vec![audit(ctx, customer, "consent.granted", None, None, vec![change], now)], events: vec![] };
        let new = NewConsent { tenant: ctx.tenant, customer, service_user, granted_by: ctx.actor.clone(), granted_ms: now };
        let consent = self.store.grant_consent(new, records).await.map_err(AppError::store("customer"))?;
        tracing::info!(customer.id = %customer, consent.id = consent.id, "consent {} granted", consent.id);
        Ok(consent)
    }

    /// Revokes a live consent (audited); the service user no longer sees the customer.
    pub async fn revoke_consent(&self, ctx: &Context, id: i64) -> AppResult<Consent> {
        let consent = self.store.get_consent(ctx.tenant, id).await.map_err(AppError::store("consent"))?;
        let now = self.clock.now_ms();
        let change = FieldChange { field: "serviceUser".into(), before: Some(consent.service_user.as_str().into()), after: None };
        let entry = NewAudit {
            customer_id: Some(consent.customer),
            actor: ctx.actor.clone(),
            action: "consent.revoked".into(),
            domain: None,
            amendment_id: None,
            changes: vec![change],
            at_ms: now,
            request_id: ctx.request_id.clone(),
        };
        let records = Records { audit: vec![entry], events: vec![] };
        let revoked =
            self.store.revoke_consent(ctx.tenant, id, &ctx.actor, now, records).await.map_err(AppError::store("consent"))?;
        tracing::info!(customer.id = %revoked.customer, consent.id = id, "consent {id} revoked");
        Ok(revoked)
    }

    pub async fn consent(&self, ctx: &Context, id: i64) -> AppResult<Consent> {
        self.store.get_consent(ctx.tenant, id).await.map_err(AppError::store("consent"))
    }

    /// Consents by id, optionally of one customer.
    pub async fn consents(
        &self,
        ctx: &Context,
        customer: Option<CustomerId>,
        after: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<Consent>> {
        self.store.list_consents(ctx.tenant, customer, after, limit).await.map_err(AppError::Store)
    }
}
