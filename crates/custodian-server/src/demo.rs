//! The `--demo` dataset: a studio whose four domains cover every policy (direct, verified, read-only,
//! verified payment with signature), a second studio with direct changes everywhere, customers with
//! realistic data, and printed API keys for each role.

use anyhow::{Result, anyhow};
use custodian_app::{Context, Services};
use custodian_domain::data::{AddressInput, ContactInput, MasterInput, PaymentInput};
use custodian_domain::{
    Actor, AddressData, ConfigurationStatus, ContactData, CustomerId, DataDomain, DomainData, DomainPolicy, MasterData,
    PaymentData, Scope, TenantId,
};
use custodian_store::staff::StaffRole;
use serde_json::json;

/// What `--demo` created.
pub struct Seeded {
    tenants: Vec<SeededTenant>,
}

struct SeededTenant {
    id: TenantId,
    name: String,
    policies: Vec<(DataDomain, DomainPolicy)>,
    self_service_key: String,
    staff_key: String,
    admin_key: String,
    customers: Vec<CustomerId>,
    /// Console accounts: (username, role, password).
    staff: Vec<(String, StaffRole, String)>,
}

const DEMO_NAMES: [(&str, &str, &str, &str); 4] = [
    ("Sven", "Hannawald", "MALE", "1974-11-09"),
    ("Anna", "Schmidt", "FEMALE", "1988-03-14"),
    ("Lukas", "Weber", "MALE", "1995-07-01"),
    ("Mia", "Fischer", "FEMALE", "2001-12-24"),
];

fn customer_data(services: &Services, i: usize) -> Result<Vec<DomainData>> {
    let (first, last, gender, dob) = DEMO_NAMES[i % DEMO_NAMES.len()];
    let email = format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase());
    let contact = ContactData::parse(ContactInput {
        email: Some(&email),
        phone_private: Some("+49 30 1234567"),
        phone_private_mobile: Some("+49 171 1234567"),
        ..Default::default()
    })?;
    let address = AddressData::parse(AddressInput {
        street: Some("Hauptstraße"),
        house_number: Some(&(10 + i).to_string()),
        zip_code: Some("10115"),
        city: Some("Berlin"),
        country_code: Some("DE"),
        ..Default::default()
    })?;
    let master = MasterData::parse(
        MasterInput {
            first_name: Some(first),
            last_name: Some(last),
            gender: Some(gender),
            date_of_birth: Some(dob),
            customer_title: Some(if i == 1 { "DR" } else { "NONE" }),
            country_of_birth: Some("DE"),
        },
        services.clock.today(),
    )?;
    let holder = format!("{first} {last}");
    let mut data = vec![DomainData::Contact(contact), DomainData::Address(Box::new(address)), DomainData::Master(master)];
    // The last demo customer has no bank details yet, so a first payment amendment can be tried.
    if i + 1 < DEMO_NAMES.len() {
        let payment = PaymentData::parse(PaymentInput {
            account_holder: Some(&holder),
            bank_name: Some("Berliner Sparkasse"),
            iban: Some("DE89 3704 0044 0532 0130 00"),
            bic: Some("COBADEFFXXX"),
        })?;
        data.push(DomainData::Payment(payment));
    }
    Ok(data)
}

/// Seeds one demo tenant; when it already exists (a restart with `--demo` on the same database),
/// its data is kept as it is and only fresh keys are issued.
async fn seed_tenant(services: &Services, name: &str, policies: Vec<(DataDomain, DomainPolicy)>) -> Result<SeededTenant> {
    let existing = services.store.list_tenants().await?.into_iter().find(|t| t.name == name);
    let fresh = existing.is_none();
    let tenant = match existing {
        Some(t) => t,
        None => services.store.create_tenant(name, services.clock.now_ms()).await?,
    };
    let ctx = Context { tenant: tenant.id, actor: Actor::system(), request_id: None };
    let mut customers = Vec::new();
    if fresh {
        for (domain, policy) in &policies {
            services.policies.set(&ctx, *domain, *policy).await.map_err(|e| anyhow!("{e}"))?;
        }
        for i in 0..DEMO_NAMES.len() {
            let c = services.customers.create(&ctx, customer_data(services, i)?).await.map_err(|e| anyhow!("{e}"))?;
            customers.push(c.id);
        }
    } else {
        let listed = services.customers.list(&ctx, None, DEMO_NAMES.len() as i64).await.map_err(|e| anyhow!("{e}"))?;
        customers.extend(listed.into_iter().map(|c| c.id));
    }
    let current = services.policies.get(&ctx).await.map_err(|e| anyhow!("{e}"))?;
    let policies = DataDomain::ALL.into_iter().map(|d| (d, current.get(d))).collect();
    // Console accounts: created on the first run, given fresh passwords on every later one.
    let mut staff = Vec::new();
    for (username, role) in [("reviewer", StaffRole::Reviewer), ("admin", StaffRole::Admin)] {
        let password = custodian_app::staff::generate_password();
        let exists = services.staff.find(tenant.id, username).await.map_err(|e| anyhow!("{e}"))?.is_some();
        if exists {
            services.staff.set_password(tenant.id, username, &password).await.map_err(|e| anyhow!("{e}"))?;
        } else {
            services.staff.create(tenant.id, username, role, &password).await.map_err(|e| anyhow!("{e}"))?;
        }
        staff.push((username.to_owned(), role, password));
    }
    let key = |scopes: Vec<Scope>, label: &'static str| {
        let keys = services.keys.clone();
        async move { keys.create(tenant.id, scopes, label).await.map(|k| k.secret).map_err(|e| anyhow!("{e}")) }
    };
    Ok(SeededTenant {
        id: tenant.id,
        name: tenant.name,
        policies,
        self_service_key: key(vec![Scope::SelfServiceRead, Scope::SelfServiceWrite], "demo-partner-app").await?,
        staff_key: key(vec![Scope::StaffReview], "demo-reviewer").await?,
        admin_key: key(vec![Scope::Admin, Scope::StaffReview], "demo-admin").await?,
        customers,
        staff,
    })
}

/// Creates the demo tenants, their customers and keys.
pub async fn seed(services: &Services) -> Result<Seeded> {
    use ConfigurationStatus::*;
    let p = |status, require_signature| DomainPolicy { status, require_signature };
    let mixed = vec![
        (DataDomain::Contact, p(ChangesWithoutVerification, false)),
        (DataDomain::Address, p(ChangesRequireVerification, false)),
        (DataDomain::Master, p(Read, false)),
        (DataDomain::Payment, p(ChangesRequireVerification, true)),
    ];
    let direct = vec![
        (DataDomain::Contact, p(ChangesWithoutVerification, false)),
        (DataDomain::Address, p(ChangesWithoutVerification, false)),
        (DataDomain::Master, p(ChangesRequireVerification, false)),
        (DataDomain::Payment, p(ChangesWithoutVerification, false)),
    ];
    Ok(Seeded {
        tenants: vec![
            seed_tenant(services, "Demo Studio Berlin", mixed).await?,
            seed_tenant(services, "Demo Studio Hamburg", direct).await?,
        ],
    })
}

impl Seeded {
    pub fn print(&self, listen: &str) {
        println!("Demo data ready. Keys and passwords are shown once; they are stored only as hashes.\n");
        for t in &self.tenants {
            println!("Tenant {} \"{}\"", t.id, t.name);
            for (d, p) in &t.policies {
                let sig = if p.require_signature { " + signature required" } else { "" };
                println!("  {:<8} {}{}", d.as_str(), p.status, sig);
            }
            println!("  customers:        {}", t.customers.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", "));
            println!("  self-service key: {}", t.self_service_key);
            println!("  staff key:        {}", t.staff_key);
            println!("  admin key:        {}", t.admin_key);
            println!("  staff console:    http://{listen}/console/login?tenant={}", t.id);
            for (username, role, password) in &t.staff {
                let what = match role {
                    StaffRole::Reviewer => "reviews amendments",
                    StaffRole::Admin => "also changes settings",
                };
                println!("    username {username:<9} password {password}  ({what})");
            }
            println!();
        }
    }

    pub fn to_json(&self) -> String {
        let tenants: Vec<_> = self
            .tenants
            .iter()
            .map(|t| {
                json!({
                    "tenantId": t.id.0,
                    "name": t.name,
                    "selfServiceKey": t.self_service_key,
                    "staffKey": t.staff_key,
                    "adminKey": t.admin_key,
                    "customers": t.customers.iter().map(|c| c.0).collect::<Vec<_>>(),
                    "staff": t.staff.iter().map(|(username, role, password)| json!({
                        "username": username, "role": role.as_str(), "password": password,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::to_string_pretty(&json!({ "tenants": tenants })).unwrap_or_default()
    }
}
