//! Conformance suite of the `WealthStore` part of the store: every story runs against both SQLite
//! and PostgreSQL.

use custodian_domain::data::AddressInput;
use custodian_domain::wealth::{
    ContactDetail, CustomerStatus, Kyc, Person, PersonId, PersonRelation, ServiceUser, WealthAddress, WealthProfile,
};
use custodian_domain::{Actor, ActorKind, AddressData, CustomerId, DataDomain, DomainData, TenantId};
use custodian_store::wealth::{NewConsent, ProfileWrite, WealthFollowUp, WealthWrite};
use custodian_store::{Apply, NewAudit, NewEvent, Records, Store, StoreError};
use serde_json::json;
use std::sync::Arc;

#[macro_use]
mod common;

conformance! {
    a_saved_profile_reads_back_with_its_primary_person =>
        a_saved_profile_reads_back_with_its_primary_person_on_sqlite,
        a_saved_profile_reads_back_with_its_primary_person_on_postgres;
    consents_decide_what_a_service_user_sees =>
        consents_decide_which_customers_and_persons_a_service_user_sees_on_sqlite,
        consents_decide_which_customers_and_persons_a_service_user_sees_on_postgres;
    a_write_with_a_stale_shared_apply_writes_nothing =>
        a_wealth_write_with_a_stale_shared_domain_apply_writes_nothing_on_sqlite,
        a_wealth_write_with_a_stale_shared_domain_apply_writes_nothing_on_postgres;
    addresses_are_numbered_from_the_domicile =>
        addresses_are_numbered_after_the_domicile_address_on_sqlite,
        addresses_are_numbered_after_the_domicile_address_on_postgres;
    persons_and_contact_details_belong_to_their_customers =>
        persons_and_contact_details_belong_to_the_customers_they_are_related_to_on_sqlite,
        persons_and_contact_details_belong_to_the_customers_they_are_related_to_on_postgres;
    another_tenant_sees_no_wealth_data =>
        another_tenant_can_neither_see_nor_change_wealth_data_on_sqlite,
        another_tenant_can_neither_see_nor_change_wealth_data_on_postgres;
    racing_domicile_creations_admit_one =>
        of_two_racing_domicile_address_creations_exactly_one_wins_on_sqlite,
        of_two_racing_domicile_address_creations_exactly_one_wins_on_postgres;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const T0: i64 = 1_700_000_000_000;

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("a valid fixture")
}

fn profile(status: &str) -> WealthProfile {
    parse(json!({ "status": status, "name": "Steve Rogers", "referenceCurrency": "CHF", "openingDate": "2018-04-13" }))
}

fn kyc() -> Kyc {
    parse(json!({ "nonFinancialSituation": { "profession": "Philantropist" },
        "financialSituation": { "monetaryWealth": { "currency": "CHF", "amount": "1000000" } } }))
}

fn person(given: &str) -> Person {
    parse(
        json!({ "language": "German", "personDetails": { "personType": "naturalPerson", "givenName": given, "civilStatus": "married" } }),
    )
}

fn detail(content: &str) -> ContactDetail {
    parse(json!({ "medium": "phone", "contactMediumType": "business", "contactContent": content }))
}

fn address(town: &str) -> WealthAddress {
    parse(json!({ "dispatchType": "postal", "addressName": "Stark Mansion",
        "postalAddress": { "physicalAddress": { "careOf": "Piper Potts", "townName": town } } }))
}

fn address_data(city: &str) -> DomainData {
    let input = AddressInput {
        street: Some("Malibu Point"),
        house_number: Some("10880"),
        zip_code: Some("90265"),
        city: Some(city),
        country_code: Some("US"),
        ..Default::default()
    };
    DomainData::Address(Box::new(AddressData::parse(input).expect("valid address")))
}

fn admin() -> Actor {
    Actor::new(ActorKind::Admin, "root")
}

fn su(name: &str) -> ServiceUser {
    ServiceUser::parse(name).expect("a valid service user")
}

fn audit(customer: CustomerId, action: &str) -> NewAudit {
    NewAudit {
        customer_id: Some(customer),
        actor: admin(),
        action: action.into(),
        domain: None,
        amendment_id: None,
        changes: Vec::new(),
        at_ms: T0,
        request_id: None,
    }
}

/// One audit entry and one event.
fn follow_up(customer: CustomerId, action: &'static str) -> WealthFollowUp {
    Box::new(move |_| Records {
        audit: vec![audit(customer, action)],
        events: vec![NewEvent { event_type: action.into(), payload: json!({}), at_ms: T0, request_id: None }],
    })
}

async fn tenant_with_customers(store: &dyn Store, name: &str, n: usize) -> (TenantId, Vec<CustomerId>) {
    let tenant = store.create_tenant(name, T0).await.expect("create tenant").id;
    let mut customers = Vec::new();
    for _ in 0..n {
        customers.push(store.create_customer(tenant, Vec::new(), T0, Box::new(|_| Records::default())).await.expect("customer"));
    }
    (tenant, customers)
}

async fn save_profile(store: &dyn Store, tenant: TenantId, customer: CustomerId, given: &str) -> PersonId {
    let write = WealthWrite::SaveProfile(Box::new(ProfileWrite {
        profile: profile("active"),
        kyc: kyc(),
        primary: person(given),
        relation: PersonRelation::AccountOwner,
    }));
    let id = store.write_wealth(tenant, customer, write, Vec::new(), T0, follow_up(customer, "wealth.profile.saved")).await;
    PersonId(id.expect("save profile"))
}

async fn write(store: &dyn Store, tenant: TenantId, customer: CustomerId, w: WealthWrite) -> Result<i64, StoreError> {
    store.write_wealth(tenant, customer, w, Vec::new(), T0 + 1, follow_up(customer, "wealth.changed")).await
}

async fn audit_len(store: &dyn Store, tenant: TenantId, customer: CustomerId) -> usize {
    store.list_audit(tenant, customer, None, 1000).await.expect("list audit").len()
}

async fn grant(store: &dyn Store, tenant: TenantId, customer: CustomerId, who: &str) -> Result<i64, StoreError> {
    let c = NewConsent { tenant, customer, service_user: su(who), granted_by: admin(), granted_ms: T0 };
    store.grant_consent(c, Records { audit: vec![audit(customer, "consent.granted")], events: vec![] }).await.map(|c| c.id)
}

// ---------------------------------------------------------------------------------------------
// Stories

async fn a_saved_profile_reads_back_with_its_primary_person(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, customers) = tenant_with_customers(store, "Private Bank", 1).await;
    let c = customers[0];
    assert_eq!(store.wealth_profile(tenant, c).await.unwrap(), None, "no profile before the first save");

    let primary = save_profile(store, tenant, c, "Anthony").await;
    let p = store.wealth_profile(tenant, c).await.unwrap().expect("a profile");
    assert_eq!(p.profile, profile("active"));
    assert_eq!(p.kyc, kyc());
    assert_eq!(p.primary_person, primary);
    assert_eq!(p.persons.len(), 1);
    assert_eq!((p.persons[0].person, p.persons[0].relation), (primary, PersonRelation::AccountOwner));
    assert!(p.address_numbers.is_empty());
    let record = store.get_person(tenant, primary).await.unwrap();
    assert_eq!(record.person, person("Anthony"));
    assert_eq!(record.primary_of, Some(c));

    // A second save replaces the data of the same primary person and its relation.
    let write = WealthWrite::SaveProfile(Box::new(ProfileWrite {
        profile: profile("closed"),
        kyc: Kyc::default(),
        primary: person("Tony"),
        relation: PersonRelation::BeneficialOwner,
    }));
    let again = store.write_wealth(tenant, c, write, Vec::new(), T0 + 9, follow_up(c, "wealth.profile.saved")).await.unwrap();
    assert_eq!(PersonId(again), primary);
    let p = store.wealth_profile(tenant, c).await.unwrap().unwrap();
    assert_eq!(p.profile.status, CustomerStatus::Closed);
    assert_eq!(p.kyc, Kyc::default());
    assert_eq!(p.updated_ms, T0 + 9);
    assert_eq!(p.created_ms, T0);
    assert_eq!(p.persons.iter().map(|l| l.relation).collect::<Vec<_>>(), [PersonRelation::BeneficialOwner]);
    assert_eq!(store.get_person(tenant, primary).await.unwrap().person, person("Tony"));
    assert_eq!(audit_len(store, tenant, c).await, 2);
    assert_eq!(store.list_events(tenant, c).await.unwrap().len(), 2);
}

async fn consents_decide_what_a_service_user_sees(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, cs) = tenant_with_customers(store, "Private Bank", 3).await;
    let (c1, c2, c3) = (cs[0], cs[1], cs[2]);
    let p1 = save_profile(store, tenant, c1, "One").await;
    let p2 = save_profile(store, tenant, c2, "Two").await;
    // c3 has a consent but no profile: not a wealth-management customer, so not visible.
    let consent = grant(store, tenant, c1, "Wealth1").await.unwrap();
    grant(store, tenant, c3, "Wealth1").await.unwrap();
    grant(store, tenant, c2, "Other2").await.unwrap();

    let me = su("Wealth1");
    assert_eq!(store.consented_customers(tenant, &me, None, 10).await.unwrap(), [c1]);
    assert_eq!(store.consented_among(tenant, &me, &[c1, c2, c3]).await.unwrap(), [c1]);
    assert_eq!(store.list_persons(tenant, Some(&me), None, 10).await.unwrap(), [p1]);
    assert_eq!(store.list_persons(tenant, None, None, 10).await.unwrap(), [p1, p2]);
    assert_eq!(store.list_persons(tenant, None, Some(p1), 10).await.unwrap(), [p2]);
    assert_eq!(store.consented_customers(tenant, &su("Other2"), None, 10).await.unwrap(), [c2]);

    let twice = grant(store, tenant, c1, "Wealth1").await.unwrap_err();
    assert!(matches!(twice, StoreError::Conflict(_)), "{twice:?}");

    let revoked = store.revoke_consent(tenant, consent, &admin(), T0 + 5, Records::default()).await.unwrap();
    assert_eq!(revoked.revoked_ms, Some(T0 + 5));
    assert_eq!(revoked.revoked_by, Some(admin()));
    assert!(store.consented_customers(tenant, &me, None, 10).await.unwrap().is_empty());
    assert!(store.list_persons(tenant, Some(&me), None, 10).await.unwrap().is_empty());
    let again = store.revoke_consent(tenant, consent, &admin(), T0 + 6, Records::default()).await.unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
    assert!(matches!(store.revoke_consent(tenant, 9999, &admin(), T0, Records::default()).await, Err(StoreError::NotFound)));

    // A revoked consent can be granted anew; the history stays.
    let renewed = grant(store, tenant, c1, "Wealth1").await.unwrap();
    assert_eq!(store.consented_customers(tenant, &me, None, 10).await.unwrap(), [c1]);
    let all = store.list_consents(tenant, Some(c1), None, 10).await.unwrap();
    assert_eq!(all.iter().map(|c| c.id).collect::<Vec<_>>(), [consent, renewed]);
    assert_eq!(store.list_consents(tenant, None, None, 10).await.unwrap().len(), 4);
    assert_eq!(store.list_consents(tenant, None, Some(consent), 1).await.unwrap().len(), 1);
    assert_eq!(store.get_consent(tenant, renewed).await.unwrap().service_user, me);
    assert_eq!(audit_len(store, tenant, c1).await, 3, "the profile save and two grants");
}

async fn a_write_with_a_stale_shared_apply_writes_nothing(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, cs) = tenant_with_customers(store, "Private Bank", 1).await;
    let c = cs[0];
    save_profile(store, tenant, c, "Anthony").await;

    let first = Apply { data: address_data("Malibu"), expected_version: 0, at_ms: T0 + 1 };
    let n = store
        .write_wealth(
            tenant,
            c,
            WealthWrite::AddAddress { address: address("Malibu"), domicile: true },
            vec![first],
            T0 + 1,
            follow_up(c, "customer.updated"),
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let customer = store.get_customer(tenant, c).await.unwrap();
    assert_eq!(customer.data(DataDomain::Address), Some(&address_data("Malibu")));
    assert_eq!(customer.version(DataDomain::Address), 1);
    let (audits, events) = (audit_len(store, tenant, c).await, store.list_events(tenant, c).await.unwrap().len());

    let stale = Apply { data: address_data("Zürich"), expected_version: 0, at_ms: T0 + 2 };
    let e = store
        .write_wealth(
            tenant,
            c,
            WealthWrite::PutAddress { number: 1, address: address("Zürich") },
            vec![stale],
            T0 + 2,
            follow_up(c, "customer.updated"),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::VersionConflict), "{e:?}");
    assert_eq!(store.addresses(tenant, c).await.unwrap()[0].address, address("Malibu"), "the address row is unchanged");
    assert_eq!(store.get_customer(tenant, c).await.unwrap().data(DataDomain::Address), Some(&address_data("Malibu")));
    assert_eq!(audit_len(store, tenant, c).await, audits);
    assert_eq!(store.list_events(tenant, c).await.unwrap().len(), events);

    let fresh = Apply { data: address_data("Zürich"), expected_version: 1, at_ms: T0 + 3 };
    store
        .write_wealth(
            tenant,
            c,
            WealthWrite::PutAddress { number: 1, address: address("Zürich") },
            vec![fresh],
            T0 + 3,
            follow_up(c, "customer.updated"),
        )
        .await
        .unwrap();
    assert_eq!(store.addresses(tenant, c).await.unwrap()[0].address, address("Zürich"));
    assert_eq!(store.get_customer(tenant, c).await.unwrap().version(DataDomain::Address), 2);
    assert_eq!(audit_len(store, tenant, c).await, audits + 1);
}

async fn addresses_are_numbered_from_the_domicile(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, cs) = tenant_with_customers(store, "Private Bank", 2).await;
    let (c, bare) = (cs[0], cs[1]);
    let add = |town: &'static str| WealthWrite::AddAddress { address: address(town), domicile: false };
    let e = write(store, tenant, bare, add("Nowhere")).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound), "a customer without a profile has no addresses: {e:?}");

    save_profile(store, tenant, c, "Anthony").await;
    assert_eq!(write(store, tenant, c, add("Malibu")).await.unwrap(), 2, "numbers after the domicile address 1");
    assert_eq!(write(store, tenant, c, add("Zürich")).await.unwrap(), 3);
    let put = |number, town| WealthWrite::PutAddress { number, address: address(town) };
    assert!(matches!(write(store, tenant, c, put(9, "Geneva")).await, Err(StoreError::NotFound)));
    assert_eq!(write(store, tenant, c, put(2, "Geneva")).await.unwrap(), 2);
    assert_eq!(write(store, tenant, c, put(1, "Bern")).await.unwrap(), 1, "address 1 is created by its first PUT");
    let all = store.addresses(tenant, c).await.unwrap();
    assert_eq!(all.iter().map(|a| a.number).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(all[1].address, address("Geneva"));
    assert_eq!(store.wealth_profile(tenant, c).await.unwrap().unwrap().address_numbers, [1, 2, 3]);
}

async fn persons_and_contact_details_belong_to_their_customers(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, cs) = tenant_with_customers(store, "Private Bank", 2).await;
    let (c1, c2) = (cs[0], cs[1]);
    let p1 = save_profile(store, tenant, c1, "One").await;
    save_profile(store, tenant, c2, "Two").await;

    let manager = PersonId(
        write(store, tenant, c1, WealthWrite::AddPerson { person: person("Pepper"), relation: PersonRelation::AssetManager })
            .await
            .unwrap(),
    );
    let link = |relation| WealthWrite::LinkPerson { person: manager, relation };
    assert_eq!(write(store, tenant, c2, link(PersonRelation::AssetManager)).await.unwrap(), manager.0);
    assert!(matches!(write(store, tenant, c2, link(PersonRelation::AssetManager)).await, Err(StoreError::Conflict(_))));
    let unknown = WealthWrite::LinkPerson { person: PersonId(9999), relation: PersonRelation::Other };
    assert!(matches!(write(store, tenant, c2, unknown).await, Err(StoreError::NotFound)));

    let record = store.get_person(tenant, manager).await.unwrap();
    assert_eq!(record.primary_of, None);
    assert_eq!(record.links.iter().map(|l| l.customer).collect::<Vec<_>>(), [c1, c2]);
    let persons = store.wealth_profile(tenant, c1).await.unwrap().unwrap().persons;
    assert_eq!(
        persons.iter().map(|l| (l.person, l.relation)).collect::<Vec<_>>(),
        [(p1, PersonRelation::AccountOwner), (manager, PersonRelation::AssetManager)]
    );

    let add = |person, content: &str| WealthWrite::AddContactDetail { person, detail: detail(content) };
    let d1 = write(store, tenant, c1, add(manager, "0041998887766")).await.unwrap();
    let d2 = write(store, tenant, c2, add(manager, "0041998887767")).await.unwrap();
    assert!(d2 > d1);
    let e = write(store, tenant, c2, add(p1, "0041998887768")).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound), "p1 is not related to c2: {e:?}");
    let details = store.contact_details(tenant, manager).await.unwrap();
    assert_eq!(details.iter().map(|d| d.id).collect::<Vec<_>>(), [d1, d2]);
    assert_eq!(details[1].detail, detail("0041998887767"));
    assert!(store.contact_details(tenant, p1).await.unwrap().is_empty());
}

async fn another_tenant_sees_no_wealth_data(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, cs) = tenant_with_customers(store, "Private Bank", 1).await;
    let (other, _) = tenant_with_customers(store, "Other Bank", 0).await;
    let c = cs[0];
    let p = save_profile(store, tenant, c, "Anthony").await;
    let consent = grant(store, tenant, c, "Wealth1").await.unwrap();
    write(store, tenant, c, WealthWrite::AddAddress { address: address("Malibu"), domicile: false }).await.unwrap();

    assert_eq!(store.wealth_profile(other, c).await.unwrap(), None);
    assert!(matches!(store.get_person(other, p).await, Err(StoreError::NotFound)));
    assert!(store.addresses(other, c).await.unwrap().is_empty());
    assert!(store.contact_details(other, p).await.unwrap().is_empty());
    assert!(store.consented_customers(other, &su("Wealth1"), None, 10).await.unwrap().is_empty());
    assert!(store.list_persons(other, None, None, 10).await.unwrap().is_empty());
    assert!(store.list_consents(other, None, None, 10).await.unwrap().is_empty());
    assert!(matches!(store.get_consent(other, consent).await, Err(StoreError::NotFound)));
    assert!(matches!(store.revoke_consent(other, consent, &admin(), T0, Records::default()).await, Err(StoreError::NotFound)));
    let save = WealthWrite::SaveProfile(Box::new(ProfileWrite {
        profile: profile("active"),
        kyc: kyc(),
        primary: person("X"),
        relation: PersonRelation::Other,
    }));
    assert!(matches!(write(store, other, c, save).await, Err(StoreError::NotFound)));
    assert!(matches!(grant(store, other, c, "Wealth1").await, Err(StoreError::NotFound)));
    assert_eq!(store.get_person(tenant, p).await.unwrap().person, person("Anthony"), "the owner still sees it");
}

async fn racing_domicile_creations_admit_one(store: Arc<dyn Store>) {
    let (tenant, cs) = tenant_with_customers(&*store, "Private Bank", 1).await;
    let c = cs[0];
    save_profile(&*store, tenant, c, "Anthony").await;
    let mut tasks = Vec::new();
    for town in ["Malibu", "Zürich"] {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let apply = Apply { data: address_data(town), expected_version: 0, at_ms: T0 };
            let w = WealthWrite::AddAddress { address: address(town), domicile: true };
            store.write_wealth(tenant, c, w, vec![apply], T0, follow_up(c, "customer.updated")).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(n) => {
                assert_eq!(n, 1);
                won += 1;
            }
            Err(StoreError::VersionConflict) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(store.addresses(tenant, c).await.unwrap().len(), 1);
    assert_eq!(store.get_customer(tenant, c).await.unwrap().version(DataDomain::Address), 1);
}
