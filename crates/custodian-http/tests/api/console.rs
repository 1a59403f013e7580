//! The staff console through the real router: sign-in and its lock, session cookies, sign-out and
//! expiry, CSRF and same-origin checks, roles, and the decisions staff make on its pages (applied
//! like API decisions and recorded under `staff:<username>`).

use crate::helpers::{Response, Tenant, TestApp, VERIFY, address_example, contact_example, item_ids, payment_example, ss};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use custodian_domain::DataDomain;
use custodian_store::staff::StaffRole;
use custodian_store::webhooks::{NewSubscription, WebhookFormat};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

/// A browser of the console: keeps the cookies the server sets and sends them back.
struct Browser<'a> {
    _app: std::marker::PhantomData<&'a TestApp>,
    router: axum::Router,
    cookies: Vec<(String, String)>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Browser<'a> {
        Browser { _app: std::marker::PhantomData, router: app.router.clone(), cookies: Vec::new() }
    }

    /// A browser on the same services whose router has other console settings.
    fn with_settings(app: &'a TestApp, console: custodian_http::console::ConsoleSettings) -> Browser<'a> {
        let settings = custodian_http::HttpSettings { console, ..Default::default() };
        let router = custodian_http::router(custodian_http::AppState::new(app.services.clone(), settings));
        Browser { _app: std::marker::PhantomData, router, cookies: Vec::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn session(&self) -> Option<&str> {
        self.cookies.iter().find(|(k, _)| k == "custodian_console").map(|(_, v)| v.as_str())
    }

    async fn send(&mut self, req: axum::http::request::Builder, body: Body) -> Response {
        let mut req = req;
        if !self.cookies.is_empty() {
            req = req.header(header::COOKIE, self.cookie_header());
        }
        let res = tower::ServiceExt::oneshot(self.router.clone(), req.body(body).unwrap()).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes().to_vec();
        for set in headers.get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (pair, attrs) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !attrs.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        Response { status, headers, body }
    }

    async fn get(&mut self, path: &str) -> Response {
        self.send(Request::builder().method(Method::GET).uri(path), Body::empty()).await
    }

    /// Posts a form as a same-origin browser would (with `Origin` and `Sec-Fetch-Site`).
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.post_with(path, fields, &[("origin", "http://console.test"), ("sec-fetch-site", "same-origin")]).await
    }

    async fn post_with(&mut self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Response {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, "console.test")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.send(req, Body::from(body)).await
    }

    /// Opens the sign-in page and signs in; the response of the POST.
    async fn sign_in(&mut self, tenant: &Tenant, username: &str, password: &str) -> Response {
        let form = self.get(&format!("/console/login?tenant={}", tenant.id)).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.text());
        let csrf = csrf_of(&form);
        let tenant_id = tenant.id.0.to_string();
        self.post(
            "/console/login",
            &[("csrf", &csrf), ("tenant", &tenant_id), ("username", username), ("password", password), ("next", "")],
        )
        .await
    }

    /// Signs in and asserts that it worked.
    async fn signed_in(app: &'a TestApp, tenant: &Tenant, username: &str) -> Browser<'a> {
        let mut b = Browser::new(app);
        let r = b.sign_in(tenant, username, PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        assert!(b.session().is_some());
        b
    }

    /// The CSRF token of the page at `path`.
    async fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        csrf_of(&page)
    }
}

/// The value of the first `csrf` hidden field of a page.
fn csrf_of(page: &Response) -> String {
    let html = page.text();
    let start = html.find(r#"name="csrf" value=""#).unwrap_or_else(|| panic!("no csrf field in {html}")) + 19;
    html[start..].split('"').next().unwrap().to_owned()
}

fn location(r: &Response) -> String {
    r.headers
        .get(header::LOCATION)
        .unwrap_or_else(|| panic!("no Location ({}): {}", r.status, r.text()))
        .to_str()
        .unwrap()
        .to_owned()
}

fn set_cookies(r: &Response) -> Vec<String> {
    r.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

async fn staff_account(app: &TestApp, tenant: &Tenant, username: &str, role: StaffRole) {
    app.services.staff.create(tenant.id, username, role, PASSWORD).await.unwrap();
}

/// A tenant with address and payment under review (payment signed) and a reviewer `alice` and an admin `bob`.
async fn studio(app: &TestApp) -> Tenant {
    let t = app.tenant(&[(DataDomain::Address, VERIFY, false), (DataDomain::Payment, VERIFY, true)]).await;
    staff_account(app, &t, "alice", StaffRole::Reviewer).await;
    staff_account(app, &t, "bob", StaffRole::Admin).await;
    t
}

async fn api_amendment(app: &TestApp, t: &Tenant, id: i64) -> Value {
    let r = app.get(&format!("/api/v1/amendments/{id}"), &t.staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

// ---------------------------------------------------------------------------------------------

async fn signing_in_with_a_wrong_password_is_refused_and_the_right_one_opens_the_queue(app: TestApp) {
    let t = studio(&app).await;
    let mut b = Browser::new(&app);

    let r = b.get("/console/queue").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/console/login");
    let r = b.get("/console/customers/1").await;
    assert_eq!(location(&r), "/console/login?next=%2Fconsole%2Fcustomers%2F1");

    let form = b.get("/console/login?tenant=1").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains(r#"<label for="password">Password</label>"#));
    let login_cookie = set_cookies(&form).join("\n");
    assert!(login_cookie.starts_with("custodian_console_login="), "{login_cookie}");
    assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Strict") && login_cookie.contains("Secure"));

    for (tenant, username, password) in
        [(t.id.0, "alice", "wrong password!"), (t.id.0, "nobody", PASSWORD), (t.id.0 + 1000, "alice", PASSWORD)]
    {
        let csrf = csrf_of(&b.get("/console/login").await);
        let tenant = tenant.to_string();
        let r = b
            .post("/console/login", &[("csrf", &csrf), ("tenant", &tenant), ("username", username), ("password", password)])
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{username}: {}", r.text());
        assert!(r.text().contains("The studio number, username or password is wrong."), "{}", r.text());
        assert!(r.text().contains(r#"value="alice""#) || username != "alice", "the username is kept");
        assert!(b.session().is_none());
    }

    let r = b.sign_in(&t, "Alice", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(location(&r), "/console/queue");
    let session = set_cookies(&r).into_iter().find(|c| c.starts_with("custodian_console=")).expect("session cookie");
    for attr in ["Path=/console", "HttpOnly", "SameSite=Strict", "Secure", "Max-Age=43200"] {
        assert!(session.contains(attr), "{attr} missing in {session}");
    }
    let queue = b.get("/console/queue").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.text().contains("<h1>Review queue</h1>"));
    assert!(queue.text().contains("Signed in as </span>alice"));
    assert_eq!(queue.headers["cache-control"], "no-store");
    assert!(queue.headers["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    assert_eq!(queue.headers["x-frame-options"], "DENY");

    // Signed in, the sign-in page sends back to the console.
    let again = b.get("/console/login?next=/console/customers").await;
    assert_eq!(location(&again), "/console/customers");
}

async fn five_wrong_passwords_lock_the_account_even_for_the_right_one(app: TestApp) {
    let t = studio(&app).await;
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        assert_eq!(b.sign_in(&t, "alice", "not the password").await.status, StatusCode::UNAUTHORIZED);
    }
    let r = b.sign_in(&t, "alice", PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "locked: {}", r.text());
    let alice = app.services.staff.find(t.id, "alice").await.unwrap().unwrap();
    assert!(alice.locked_until_ms.is_some());
    // Another account is not affected, and a new password lifts the lock.
    assert_eq!(Browser::new(&app).sign_in(&t, "bob", PASSWORD).await.status, StatusCode::SEE_OTHER);
    app.services.staff.set_password(t.id, "alice", "a brand new password").await.unwrap();
    assert_eq!(b.sign_in(&t, "alice", "a brand new password").await.status, StatusCode::SEE_OTHER);
}

async fn forty_parallel_guesses_get_five_password_checks_and_the_right_password_comes_too_late(app: TestApp) {
    use custodian_app::SignIn;
    let t = studio(&app).await;
    let ttl = 3_600_000;
    // 39 wrong passwords at once …
    let mut guesses = Vec::new();
    for i in 0..39 {
        let staff = app.services.staff.clone();
        let tenant = t.id;
        guesses
            .push(tokio::spawn(async move { staff.sign_in(tenant, "alice", &format!("wrong guess {i}"), ttl).await.unwrap() }));
    }
    // … and the right one once the account is locked.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.services.staff.find(t.id, "alice").await.unwrap().unwrap().locked_until_ms.is_none() {
        assert!(std::time::Instant::now() < deadline, "the account was never locked");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let right = app.services.staff.sign_in(t.id, "alice", PASSWORD, ttl).await.unwrap();
    let mut outcomes = Vec::new();
    for g in guesses {
        outcomes.push(g.await.unwrap());
    }
    let refused = outcomes.iter().filter(|o| matches!(o, SignIn::Refused)).count();
    let locked = outcomes.iter().filter(|o| matches!(o, SignIn::Locked { .. })).count();
    assert_eq!((refused, locked), (4, 35), "five guesses were checked (the fifth locked the account), 34 never were");
    assert!(matches!(right, SignIn::Locked { .. }), "the right password does not get in after five wrong ones: {right:?}");
}

async fn the_eleventh_sign_in_attempt_from_one_address_within_a_minute_gets_429_with_retry_after(app: TestApp) {
    use axum::extract::connect_info::MockConnectInfo;
    let t = studio(&app).await;
    let state = custodian_http::AppState::new(app.services.clone(), custodian_http::HttpSettings::default());
    let from = |last: u8| {
        let router = custodian_http::router(state.clone())
            .layer(MockConnectInfo(std::net::SocketAddr::from(([198, 51, 100, last], 50_000))));
        Browser { _app: std::marker::PhantomData, router, cookies: Vec::new() }
    };
    let mut attacker = from(1);
    for i in 0..10 {
        let r = attacker.sign_in(&t, &format!("nobody{i}"), "not the password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {}", i + 1);
    }
    let r = attacker.sign_in(&t, "bob", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(r.text().contains("Too many sign-in attempts"), "{}", r.text());
    assert!(attacker.session().is_none());
    // Another address is not affected.
    assert_eq!(from(2).sign_in(&t, "bob", PASSWORD).await.status, StatusCode::SEE_OTHER);
}

async fn a_console_post_without_the_csrf_token_is_refused_and_changes_nothing(app: TestApp) {
    let t = studio(&app).await;
    let customer = app.customer(&t).await;
    let id = app.submit(&t, customer, "address-data", address_example()).await;
    let mut b = Browser::signed_in(&app, &t, "alice").await;
    let approve = format!("/console/amendments/{id}/approve");

    for fields in [vec![], vec![("csrf", "")], vec![("csrf", "0123456789abcdef")]] {
        let r = b.post(&approve, &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{fields:?}: {}", r.text());
        assert!(r.text().contains("This form could not be accepted"));
    }
    // Another session's token does not fit either.
    let other = Browser::signed_in(&app, &t, "bob").await.csrf("/console/queue").await;
    assert_eq!(b.post(&approve, &[("csrf", &other)]).await.status, StatusCode::FORBIDDEN);
    let r = b.post(&format!("/console/amendments/{id}/reject"), &[("reason", "no")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(b.post("/console/logout", &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(api_amendment(&app, &t, id).await["amendment"]["state"], "pending");

    // The sign-in form has its own token.
    let mut fresh = Browser::new(&app);
    fresh.get("/console/login").await;
    let r = fresh.post("/console/login", &[("tenant", &t.id.0.to_string()), ("username", "alice"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(fresh.session().is_none());
}

async fn a_cross_site_post_is_refused_even_with_a_valid_token(app: TestApp) {
    let t = studio(&app).await;
    let customer = app.customer(&t).await;
    let id = app.submit(&t, customer, "address-data", address_example()).await;
    let mut b = Browser::signed_in(&app, &t, "alice").await;
    let csrf = b.csrf(&format!("/console/amendments/{id}")).await;
    let approve = format!("/console/amendments/{id}/approve");

    for headers in [
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
        vec![("origin", "http://evil.example")],
        vec![("origin", "null")],
        vec![("origin", "http://console.test"), ("sec-fetch-site", "cross-site")],
    ] {
        let r = b.post_with(&approve, &[("csrf", &csrf)], &headers).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}");
    }
    assert_eq!(api_amendment(&app, &t, id).await["amendment"]["state"], "pending");

    // Same origin (or a client that sends neither header) with the token: accepted.
    let r = b.post_with(&approve, &[("csrf", &csrf)], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(api_amendment(&app, &t, id).await["amendment"]["state"], "approved");
}

async fn a_reviewer_cannot_open_or_change_settings_but_an_admin_can(app: TestApp) {
    let t = studio(&app).await;
    let customer = app.customer(&t).await;
    let mut reviewer = Browser::signed_in(&app, &t, "alice").await;
    let csrf = reviewer.csrf("/console/queue").await;
    assert!(!reviewer.get("/console/queue").await.text().contains(r#"href="/console/settings""#), "no settings link");

    let r = reviewer.get("/console/settings").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("Only admins can open the settings."));
    let form = [
        ("csrf", csrf.as_str()),
        ("contact", "READ"),
        ("address", "CHANGES_WITHOUT_VERIFICATION"),
        ("master", "READ"),
        ("payment", "READ"),
    ];
    assert_eq!(reviewer.post("/console/settings/policies", &form).await.status, StatusCode::FORBIDDEN);
    assert_eq!(reviewer.get("/console/settings/webhooks/1").await.status, StatusCode::FORBIDDEN);
    let policies = app.get("/api/v1/policies", &t.staff).await.json();
    assert_eq!(policies["address"]["status"], "CHANGES_REQUIRE_VERIFICATION", "{policies}");

    let mut admin = Browser::signed_in(&app, &t, "bob").await;
    let page = admin.get("/console/settings").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(r#"<label for="policy-address">Address</label>"#));
    let csrf = csrf_of(&page);
    let form = [
        ("csrf", csrf.as_str()),
        ("contact", "CHANGES_REQUIRE_VERIFICATION"),
        ("address", "CHANGES_WITHOUT_VERIFICATION"),
        ("master", "CHANGES_REQUIRE_VERIFICATION"),
        ("payment", "CHANGES_REQUIRE_VERIFICATION"),
    ];
    let r = admin.post("/console/settings/policies", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // Only the address changed; the payment signature box was left unticked, so that changed too.
    assert_eq!(location(&r), "/console/settings?saved=address,payment");
    assert!(admin.get(&location(&r)).await.text().contains("Saved: Address, Bank details."));

    // The next GET and POST of the customer's app see the new policy.
    let got = app.get(&ss(customer, "address-data"), &t.partner).await.json();
    assert_eq!(got["amendmentConfigurationStatus"], "CHANGES_WITHOUT_VERIFICATION");
    let posted = app.post(&ss(customer, "address-data"), &t.partner, address_example()).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text());
    assert_eq!(app.get(&ss(customer, "address-data"), &t.partner).await.json()["city"], "Munich");
    let payment = app.get(&ss(customer, "payment-data"), &t.partner).await.json();
    assert_eq!(payment["requireSignature"], false);

    let bad = [("csrf", csrf.as_str()), ("contact", "SOMETIMES"), ("address", "READ"), ("master", "READ"), ("payment", "READ")];
    assert_eq!(admin.post("/console/settings/policies", &bad).await.status, StatusCode::BAD_REQUEST);
    let policies = app.get("/api/v1/policies", &t.staff).await.json();
    assert_eq!(policies["contact"]["status"], "CHANGES_REQUIRE_VERIFICATION", "nothing half-written: {policies}");
}

async fn signing_out_ends_the_session_and_an_expired_session_sends_back_to_sign_in(app: TestApp) {
    let t = studio(&app).await;
    let mut b = Browser::signed_in(&app, &t, "alice").await;
    let token = b.session().unwrap().to_owned();
    let csrf = b.csrf("/console/queue").await;
    let r = b.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/console/login?signed_out=1");
    assert!(set_cookies(&r).iter().any(|c| c.starts_with("custodian_console=;") && c.contains("Max-Age=0")));
    assert!(b.get("/console/login?signed_out=1").await.text().contains("You are signed out."));

    // The old token is dead even if a copy of the cookie is replayed.
    b.cookies.push(("custodian_console".into(), token));
    let r = b.get("/console/queue").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/console/login");
    let htmx = b.send(Request::builder().uri("/console/queue/count").header("hx-request", "true"), Body::empty()).await;
    assert_eq!(htmx.status, StatusCode::UNAUTHORIZED);
    assert_eq!(htmx.headers["hx-redirect"], "/console/login?next=%2Fconsole%2Fqueue%2Fcount");

    // A session ends by itself after its lifetime; without Secure the cookie also works over http.
    // The lifetime leaves room for a slow sign-in (argon2) on a loaded machine: at 300 ms the
    // session sometimes expired before the first page.
    let short = custodian_http::console::ConsoleSettings { cookie_secure: false, session_ttl_ms: 3_000, ..Default::default() };
    let mut b = Browser::with_settings(&app, short);
    let r = b.sign_in(&t, "alice", PASSWORD).await;
    let cookie = set_cookies(&r).into_iter().find(|c| c.starts_with("custodian_console=")).unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert_eq!(b.get("/console/queue").await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    let r = b.get("/console/queue").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "expired");
    assert_eq!(location(&r), "/console/login");
}

async fn approving_in_the_console_applies_the_change_and_records_the_staff_member(app: TestApp) {
    let t = studio(&app).await;
    let customer = app.customer(&t).await;
    let id = app.submit(&t, customer, "address-data", address_example()).await;
    let mut b = Browser::signed_in(&app, &t, "alice").await;

    let page = b.get(&format!("/console/amendments/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(r#"<tr class="changed" data-field="city">"#), "{html}");
    assert!(html.contains(r#"<td data-label="Current">Berlin</td>"#));
    assert!(html.contains(r#"<td data-label="Proposed">Munich</td>"#));
    assert!(html.contains(r#"<tr data-field="countryCode">"#), "unchanged fields are listed unmarked");
    assert!(html.contains("4 of 5 fields"));
    assert!(!html.contains("stale-warning"));
    // The studio's name is in the header.
    assert!(html.contains(r#"<span class="studio"><span class="visually-hidden">at </span>Test Studio</span>"#), "{html}");
    // Who submitted it, in words: the customer through the app named by its key's label.
    assert!(html.contains("by the customer, through “partner”</p>"), "{html}");

    let r = b.post(&format!("/console/amendments/{id}/approve"), &[("csrf", &csrf_of(&page))]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(location(&r), format!("/console/amendments/{id}?done=approved"));

    let v = api_amendment(&app, &t, id).await;
    assert_eq!(v["amendment"]["state"], "approved");
    assert_eq!(v["amendment"]["decidedBy"], "staff:alice");
    assert_eq!(app.get(&ss(customer, "address-data"), &t.partner).await.json()["city"], "Munich");
    let audit = app.get(&format!("/api/v1/customers/{customer}/audit"), &t.staff).await.json();
    let last = audit["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["actor"].as_str()), (Some("amendment.approved"), Some("staff:alice")), "{audit}");

    let done = b.get(&location(&r)).await.text();
    assert!(done.contains("Approved. The customer&#39;s data now shows the new values."), "{done}");
    assert!(done.contains("<strong>Approved</strong> by alice (staff),"), "{done}");
    assert!(!done.contains("/approve\""), "no decision forms once decided");
    let queue = b.get("/console/queue").await.text();
    assert!(queue.contains(r#"<strong id="queue-count">0</strong>"#), "{queue}");

    // An admin's decision is recorded under admin:<username>.
    let second = app.submit(&t, customer, "contact-data", contact_example()).await;
    let mut admin = Browser::signed_in(&app, &t, "bob").await;
    let csrf = admin.csrf(&format!("/console/amendments/{second}")).await;
    assert_eq!(
        admin.post(&format!("/console/amendments/{second}/approve"), &[("csrf", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(api_amendment(&app, &t, second).await["amendment"]["decidedBy"], "admin:bob");
}

async fn rejecting_needs_a_reason_and_shows_it_with_its_author(app: TestApp) {
    let t = studio(&app).await;
    let customer = app.customer(&t).await;
    let id = app.submit(&t, customer, "address-data", address_example()).await;
    let mut b = Browser::signed_in(&app, &t, "alice").await;
    let csrf = b.csrf(&format!("/console/amendments/{id}")).await;
    let reject = format!("/console/amendments/{id}/reject");

    let r = b.post(&reject, &[("csrf", &csrf), ("reason", "   ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains(r#"<p class="field-error" id="reason-error">Write a reason the customer can read.</p>"#));
    assert!(r.text().contains(r#"aria-invalid="true""#));
    let long = "x".repeat(1001);
    let r = b.post(&reject, &[("csrf", &csrf), ("reason", &long)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains(&long), "what was typed is kept");
    assert_eq!(api_amendment(&app, &t, id).await["amendment"]["state"], "pending");

    let reason = "The street does not exist in Munich <really>.";
    let r = b.post(&reject, &[("csrf", &csrf), ("reason", reason)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let v = api_amendment(&app, &t, id).await;
    assert_eq!(v["amendment"]["state"], "rejected");
    assert_eq!(v["amendment"]["decidedBy"], "staff:alice");
    assert_eq!(v["amendment"]["rejectionReason"], reason);
    assert_eq!(app.get(&ss(customer, "address-data"), &t.partner).await.json()["city"], "Berlin");

    let page = b.get(&format!("/console/amendments/{id}")).await.text();
    assert!(page.contains("<strong>Rejected</strong> by alice (staff),"), "{page}");
    assert!(page.contains("The street does not exist in Munich &#60;really&#62;."), "escaped: {page}");

    // A decision on a decided amendment changes nothing and says so.
    let r = b.post(&format!("/console/amendments/{id}/approve"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text().contains("This amendment was already decided; nothing was changed."));
    assert_eq!(api_amendment(&app, &t, id).await["amendment"]["state"], "rejected");
}

async fn the_signature_is_an_image_served_as_sandboxed_svg(app: TestApp) {
    let t = studio(&app).await;
    let customer = app.customer(&t).await;
    let signed = app.submit(&t, customer, "payment-data", payment_example()).await;
    let unsigned = app.submit(&t, customer, "address-data", address_example()).await;
    let mut b = Browser::signed_in(&app, &t, "alice").await;

    let page = b.get(&format!("/console/amendments/{signed}")).await.text();
    assert!(page.contains(&format!(r#"<img src="/console/amendments/{signed}/signature" alt="#)), "{page}");
    assert!(!page.contains("<svg"), "never inlined");
    assert!(page.contains(r#"<td data-label="Proposed">DE91 1000 0000 0123 4567 89</td>"#), "{page}");
    assert!(page.contains(r#"<td data-label="Current">DE****************3000</td>"#), "current IBAN masked for a reviewer");

    let svg = b.get(&format!("/console/amendments/{signed}/signature")).await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.headers["content-type"], "image/svg+xml");
    let csp = svg.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(svg.headers["x-content-type-options"], "nosniff");
    assert!(svg.text().starts_with("<svg"), "{}", svg.text());

    assert_eq!(b.get(&format!("/console/amendments/{unsigned}/signature")).await.status, StatusCode::NOT_FOUND);
    assert!(!b.get(&format!("/console/amendments/{unsigned}")).await.text().contains("<img"));
    assert_eq!(Browser::new(&app).get(&format!("/console/amendments/{signed}/signature")).await.status, StatusCode::SEE_OTHER);
}

async fn the_amendment_page_warns_when_the_customers_data_changed_after_submission(app: TestApp) {
    let t = studio(&app).await;
    let customer = app.customer(&t).await;
    let id = app.submit(&t, customer, "address-data", address_example()).await;
    let edit = json!({ "street": "Hauptstraße", "houseNumber": "2", "zipCode": "10115", "city": "Berlin", "countryCode": "DE" });
    let r = app.put(&format!("/api/v1/customers/{customer}/address"), &t.admin, edit).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let mut b = Browser::signed_in(&app, &t, "alice").await;
    let page = b.get(&format!("/console/amendments/{id}")).await.text();
    assert!(page.contains(r#"id="stale-warning""#), "{page}");
    assert!(page.contains("The customer's data changed after this amendment was submitted."));
    assert!(page.contains(r#"<td data-label="Current">2</td>"#), "the current column shows today's data");
    assert!(b.get("/console/queue").await.text().contains("data changed since"));
}

async fn the_customer_page_masks_the_iban_for_reviewers_and_shows_it_to_admins(app: TestApp) {
    let t = studio(&app).await;
    let customer = app.customer(&t).await;
    let pending = app.submit(&t, customer, "address-data", address_example()).await;
    let path = format!("/console/customers/{customer}");

    let mut reviewer = Browser::signed_in(&app, &t, "alice").await;
    let page = reviewer.get(&path).await.text();
    assert!(page.contains("<h1>Sven Hannawald <span class=\"muted\">#"), "{page}");
    assert!(page.contains("<dt>IBAN</dt><dd>DE****************3000</dd>"), "{page}");
    assert!(!page.contains("DE89 3704"), "no full IBAN for a reviewer");
    assert!(page.contains(&format!(r#"<a href="/console/amendments/{pending}">Pending amendment #{pending}</a>"#)));
    assert!(page.contains("Changes need staff approval, with the customer&#39;s signature"), "payment policy shown");
    assert!(page.contains("<strong>Amendment submitted</strong> · Address"), "history: {page}");
    assert!(page.contains("<strong>Customer created</strong>"));
    assert!(page.contains("IBANs are masked; admins see them in full."));

    let mut admin = Browser::signed_in(&app, &t, "bob").await;
    let page = admin.get(&path).await.text();
    assert!(page.contains("<dt>IBAN</dt><dd>DE89 3704 0044 0532 0130 00</dd>"), "{page}");

    let list = reviewer.get("/console/customers").await.text();
    assert!(list.contains(&format!(r#"<a class="row-link" href="/console/customers/{customer}">Sven Hannawald</a>"#)), "{list}");
    let open = reviewer.get(&format!("/console/customers?id={customer}")).await;
    assert_eq!(location(&open), path);
    // The search box finds by name and e-mail; a too short search is a clear 400.
    let found = reviewer.get("/console/customers?q=hannaw").await.text();
    assert!(found.contains(&format!(r#"href="/console/customers/{customer}">Sven Hannawald</a>"#)), "{found}");
    assert!(found.contains(r#"name="q" type="search""#) && found.contains(r#"value="hannaw""#), "{found}");
    let none = reviewer.get("/console/customers?q=nobody%40example.com").await.text();
    assert!(none.contains("No customer matches this search.") && !none.contains("Sven Hannawald"), "{none}");
    assert_eq!(reviewer.get("/console/customers?q=x").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(reviewer.get("/console/customers/999999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(reviewer.get("/console/customers/abc").await.status, StatusCode::NOT_FOUND);
}

async fn admins_download_the_customers_data_export_and_reviewers_cannot(app: TestApp) {
    let t = studio(&app).await;
    let customer = app.customer(&t).await;
    let path = format!("/console/customers/{customer}");
    let download = format!("{path}/export");

    let mut reviewer = Browser::signed_in(&app, &t, "alice").await;
    assert!(!reviewer.get(&path).await.text().contains(&download), "no download link for a reviewer");
    let r = reviewer.get(&download).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("Only admins can export"), "{}", r.text());

    let mut admin = Browser::signed_in(&app, &t, "bob").await;
    let page = admin.get(&path).await.text();
    assert!(page.contains(&format!(r#"href="{download}" download>Download data export</a>"#)), "{page}");
    let r = admin.get(&download).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers["content-disposition"], format!("attachment; filename=\"customer-{customer}.json\""));
    let export = r.json();
    assert_eq!(export["customer"]["data"]["payment"]["iban"], "DE89370400440532013000", "{export}");
    let last = export["audit"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["actor"].as_str()), (Some("customer.exported"), Some("admin:bob")));
}

async fn the_queue_lists_pending_amendments_oldest_first_filtered_and_paged(app: TestApp) {
    let t = studio(&app).await;
    let mut ids = Vec::new();
    for i in 0..26 {
        let customer = app.customer(&t).await;
        let domain = if i % 2 == 0 { "address-data" } else { "contact-data" };
        let body = if i % 2 == 0 { address_example() } else { contact_example() };
        ids.push(app.submit(&t, customer, domain, body).await);
    }
    let mut b = Browser::signed_in(&app, &t, "alice").await;
    let first = b.get("/console/queue").await.text();
    assert!(first.contains(r#"<strong id="queue-count">26</strong>"#));
    assert!(first.contains(r#"<span class="badge" id="pending-count""#));
    let shown = |html: &str| -> Vec<i64> {
        html.split(r#"<a class="row-link" href="/console/amendments/"#)
            .skip(1)
            .map(|s| s.split('"').next().unwrap().parse().unwrap())
            .collect()
    };
    assert_eq!(shown(&first), ids[..25]);
    let next = format!("/console/queue?after={}", ids[24]);
    assert!(first.contains(&format!(r#"href="{next}" rel="next""#)), "{first}");
    let second = b.get(&next).await.text();
    assert_eq!(shown(&second), ids[25..]);
    assert!(second.contains(r#"href="/console/queue">First page</a>"#));

    let address = b.get("/console/queue?domain=address").await.text();
    assert!(address.contains(r#"<strong id="queue-count">13</strong> pending in this domain"#));
    assert_eq!(shown(&address), ids.iter().step_by(2).copied().collect::<Vec<_>>());
    assert!(address.contains(r#"<option value="address" selected>Address</option>"#));
    assert!(b.get("/console/queue?domain=payment").await.text().contains("Nothing to review in this domain."));
    assert_eq!(b.get("/console/queue?domain=kyc").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.get("/console/queue?after=-4").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.get("/console/queue/count").await.text(), "26");

    // The API's queue agrees.
    let api = app.get("/api/v1/amendments?limit=200", &t.staff).await.json();
    assert_eq!(item_ids(&api), ids);
}

async fn staff_of_one_studio_see_nothing_of_another(app: TestApp) {
    let t = studio(&app).await;
    let other = app.tenant(&[]).await;
    staff_account(&app, &other, "alice", StaffRole::Admin).await;
    let customer = app.customer(&t).await;
    let id = app.submit(&t, customer, "payment-data", payment_example()).await;

    let mut b = Browser::signed_in(&app, &other, "alice").await;
    assert!(b.get("/console/queue").await.text().contains(r#"<strong id="queue-count">0</strong>"#));
    for path in [
        format!("/console/amendments/{id}"),
        format!("/console/amendments/{id}/signature"),
        format!("/console/customers/{customer}"),
    ] {
        assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let csrf = b.csrf("/console/queue").await;
    let r = b.post(&format!("/console/amendments/{id}/approve"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(api_amendment(&app, &t, id).await["amendment"]["state"], "pending");
    // The same username in the first studio is a different account with its own password.
    assert_eq!(Browser::new(&app).sign_in(&t, "alice", PASSWORD).await.status, StatusCode::SEE_OTHER);
}

async fn customer_data_is_escaped_on_every_page(app: TestApp) {
    let t = studio(&app).await;
    let customer = app.customer(&t).await;
    let evil = json!({ "street": "<script>alert(1)</script>", "zipCode": "12133", "city": "\"><img src=x onerror=alert(1)>", "countryCode": "DE" });
    let id = app.submit(&t, customer, "address-data", evil).await;
    let mut b = Browser::signed_in(&app, &t, "alice").await;
    for path in [format!("/console/amendments/{id}"), format!("/console/customers/{customer}")] {
        let html = b.get(&path).await.text();
        assert!(!html.contains("<script>alert"), "{path}: {html}");
        assert!(!html.contains("<img src=x"), "{path}");
        if path.contains("amendments") {
            assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
        }
    }
}

async fn admins_see_webhook_deliveries_and_send_them_again(app: TestApp) {
    let t = studio(&app).await;
    let sub = app
        .services
        .store
        .create_subscription(NewSubscription {
            tenant_id: t.id,
            url: "https://hooks.example/custodian".into(),
            event_types: vec!["amendment.submitted".into()],
            format: WebhookFormat::Standard,
            secret: "whsec_test".into(),
            vendor_key: None,
            now_ms: app.services.clock.now_ms(),
        })
        .await
        .unwrap();
    let customer = app.customer(&t).await;
    app.submit(&t, customer, "address-data", address_example()).await;

    let mut admin = Browser::signed_in(&app, &t, "bob").await;
    let settings = admin.get("/console/settings").await.text();
    assert!(
        settings.contains(&format!(r#"href="/console/settings/webhooks/{}">https://hooks.example/custodian</a>"#, sub.id)),
        "{settings}"
    );
    let path = format!("/console/settings/webhooks/{}", sub.id);
    let page = admin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("<code>amendment.submitted</code>"), "{html}");
    assert!(html.contains(r#"<span class="state state-pending">pending</span>"#));
    let deliveries = app.services.store.list_deliveries(t.id, sub.id, None, None, 10).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    let delivery = deliveries[0].id;

    let csrf = csrf_of(&page);
    let r = admin.post(&format!("{path}/deliveries/{delivery}/replay"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(admin.get(&location(&r)).await.text().contains("One delivery will be sent again now."));
    assert_eq!(admin.post(&format!("{path}/deliveries/999999/replay"), &[("csrf", &csrf)]).await.status, StatusCode::NOT_FOUND);

    let r = admin.post(&format!("{path}/enabled"), &[("csrf", &csrf), ("enabled", "false")]).await;
    assert_eq!(location(&r), format!("{path}?changed=disabled"));
    assert!(!app.services.store.get_subscription(t.id, sub.id).await.unwrap().enabled);
    let r = admin.post(&format!("{path}/replay-failed"), &[("csrf", &csrf)]).await;
    assert_eq!(location(&r), format!("{path}?replayed=0"));

    let mut reviewer = Browser::signed_in(&app, &t, "alice").await;
    let csrf = reviewer.csrf("/console/queue").await;
    assert_eq!(
        reviewer.post(&format!("{path}/enabled"), &[("csrf", &csrf), ("enabled", "true")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(!app.services.store.get_subscription(t.id, sub.id).await.unwrap().enabled);
}

async fn console_assets_are_embedded_and_unknown_pages_are_html_404s(app: TestApp) {
    let mut b = Browser::new(&app);
    let css = b.get("/console/assets/console.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    let htmx = b.get("/console/assets/htmx-2.0.10.min.js").await;
    assert_eq!(htmx.status, StatusCode::OK);
    assert!(htmx.text().starts_with("var htmx=function()"));
    assert_eq!(b.get("/console/assets/other.js").await.status, StatusCode::NOT_FOUND);
    let missing = b.get("/console/nowhere").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(location(&b.get("/console").await), "/console/queue");
}

/// The secret shown on the page after a key was created in the console.
fn shown_secret(page: &Response) -> String {
    let html = page.text();
    let tag = r#"<code class="secret">"#;
    let start = html.find(tag).unwrap_or_else(|| panic!("no new key in {html}")) + tag.len();
    html[start..].split('<').next().unwrap().to_owned()
}

async fn a_reviewer_cannot_open_or_change_access_and_forms_need_the_csrf_token(app: TestApp) {
    let t = studio(&app).await;
    let mut reviewer = Browser::signed_in(&app, &t, "alice").await;
    let csrf = reviewer.csrf("/console/queue").await;
    let r = reviewer.get("/console/settings/access").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let admin_prefix = crate::helpers::key_prefix(&t.admin).to_owned();
    let posts = [
        ("/console/settings/access/keys".to_owned(), vec![("csrf", csrf.as_str()), ("label", "x"), ("scope_ADMIN", "on")]),
        (format!("/console/settings/access/keys/{admin_prefix}/revoke"), vec![("csrf", csrf.as_str())]),
        (
            "/console/settings/access/staff".to_owned(),
            vec![("csrf", csrf.as_str()), ("username", "mallory"), ("role", "admin"), ("password", PASSWORD)],
        ),
        ("/console/settings/access/staff/bob/delete".to_owned(), vec![("csrf", csrf.as_str())]),
    ];
    for (path, fields) in &posts {
        assert_eq!(reviewer.post(path, fields).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    // An admin without the token (or from another site) is refused too.
    let mut admin = Browser::signed_in(&app, &t, "bob").await;
    let admin_csrf = admin.csrf("/console/settings/access").await;
    for (path, fields) in &posts {
        let without: Vec<(&str, &str)> = fields.iter().filter(|(k, _)| *k != "csrf").copied().collect();
        assert_eq!(admin.post(path, &without).await.status, StatusCode::FORBIDDEN, "{path}");
        let mut with: Vec<(&str, &str)> = without.clone();
        with.push(("csrf", &admin_csrf));
        let r = admin.post_with(path, &with, &[("sec-fetch-site", "cross-site")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.get("/api/v1/keys", &t.admin).await.json()["items"].as_array().unwrap().len(), 4, "no key made or revoked");
    let staff = app.get("/api/v1/staff", &t.admin).await.json();
    assert_eq!(staff["items"].as_array().unwrap().len(), 2, "no account made or deleted: {staff}");
}

async fn an_admin_creates_a_key_seen_once_and_revokes_it_in_the_console(app: TestApp) {
    let t = studio(&app).await;
    let mut admin = Browser::signed_in(&app, &t, "bob").await;
    let settings = admin.get("/console/settings").await.text();
    assert!(settings.contains(r#"href="/console/settings/access""#), "linked from the settings");
    let page = admin.get("/console/settings/access").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    for label in ["partner", "reader", "reviewer", "admin"] {
        assert!(html.contains(&format!("<td data-label=\"Label\">{label}</td>")), "{label} listed");
    }
    assert!(!html.contains(&t.admin), "no secrets listed");

    let csrf = csrf_of(&page);
    let fields = [("csrf", csrf.as_str()), ("label", "Front desk tablet"), ("scope_STAFF_REVIEW", "on")];
    let r = admin.post("/console/settings/access/keys", &fields).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let secret = shown_secret(&r);
    assert!(secret.starts_with("cus_"), "{secret}");
    assert_eq!(app.get("/api/v1/amendments", &secret).await.status, StatusCode::OK, "works at once");
    assert_eq!(app.get("/api/v1/webhooks", &secret).await.status, StatusCode::FORBIDDEN, "with its scopes only");
    let again = admin.get("/console/settings/access").await.text();
    assert!(again.contains("Front desk tablet") && !again.contains(&secret), "shown once only");

    let empty = admin.post("/console/settings/access/keys", &[("csrf", &csrf), ("label", "no scopes")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let blank = admin.post("/console/settings/access/keys", &[("csrf", &csrf), ("label", " "), ("scope_ADMIN", "on")]).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);

    let prefix = crate::helpers::key_prefix(&secret).to_owned();
    let r = admin.post(&format!("/console/settings/access/keys/{prefix}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(location(&r), "/console/settings/access?done=key-revoked");
    assert_eq!(app.get("/api/v1/amendments", &secret).await.status, StatusCode::UNAUTHORIZED, "stops at once");
    assert!(admin.get(&location(&r)).await.text().contains("The key is revoked"));
    let r = admin.post(&format!("/console/settings/access/keys/{prefix}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The studio's last ADMIN key stays.
    let last = crate::helpers::key_prefix(&t.admin).to_owned();
    let r = admin.post(&format!("/console/settings/access/keys/{last}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(app.get("/api/v1/webhooks", &t.admin).await.status, StatusCode::OK);

    let audit = app.get("/api/v1/audit?limit=200", &t.admin).await.json();
    let actors: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("key."))
        .filter(|e| e["actor"] == "admin:bob")
        .map(|e| {
            (e["action"].as_str().unwrap(), e["changes"][2]["after"].as_str().or(e["changes"][2]["before"].as_str()).unwrap())
        })
        .collect();
    assert_eq!(actors, [("key.created", "Front desk tablet"), ("key.revoked", "Front desk tablet")]);
}

async fn an_admin_creates_and_deletes_staff_accounts_in_the_console(app: TestApp) {
    let t = studio(&app).await;
    let mut admin = Browser::signed_in(&app, &t, "bob").await;
    let csrf = admin.csrf("/console/settings/access").await;
    let fields = [("csrf", csrf.as_str()), ("username", "carol"), ("role", "reviewer"), ("password", PASSWORD)];
    let r = admin.post("/console/settings/access/staff", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(location(&r), "/console/settings/access?done=staff-created");
    let page = admin.get(&location(&r)).await.text();
    assert!(page.contains(r#"<td data-label="Username">carol</td>"#), "listed");
    assert!(!page.contains(PASSWORD));

    let mut carol = Browser::signed_in(&app, &t, "carol").await;
    assert_eq!(carol.get("/console/queue").await.status, StatusCode::OK);
    let taken = admin.post("/console/settings/access/staff", &fields).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.text());
    assert!(!taken.text().contains(PASSWORD));
    let short = [("csrf", csrf.as_str()), ("username", "dave"), ("role", "reviewer"), ("password", "short")];
    assert_eq!(admin.post("/console/settings/access/staff", &short).await.status, StatusCode::BAD_REQUEST);
    let role = [("csrf", csrf.as_str()), ("username", "dave"), ("role", "owner"), ("password", PASSWORD)];
    assert_eq!(admin.post("/console/settings/access/staff", &role).await.status, StatusCode::BAD_REQUEST);

    let r = admin.post("/console/settings/access/staff/carol/delete", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(location(&carol.get("/console/queue").await), "/console/login", "carol's session ended");
    assert_eq!(Browser::new(&app).sign_in(&t, "carol", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(admin.post("/console/settings/access/staff/carol/delete", &[("csrf", &csrf)]).await.status, StatusCode::NOT_FOUND);
    // Admins do not delete themselves here.
    let own = admin.post("/console/settings/access/staff/bob/delete", &[("csrf", &csrf)]).await;
    assert_eq!(own.status, StatusCode::CONFLICT);
    assert_eq!(admin.get("/console/queue").await.status, StatusCode::OK);

    let audit = app.get("/api/v1/audit?limit=200", &t.admin).await.json();
    let entries: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "admin:bob")
        .map(|e| {
            (e["action"].as_str().unwrap(), e["changes"][0]["after"].as_str().or(e["changes"][0]["before"].as_str()).unwrap())
        })
        .collect();
    assert_eq!(entries, [("staff.created", "carol"), ("staff.deleted", "carol")]);
}

async fn an_account_created_over_the_api_signs_in_and_deleting_it_ends_its_session(app: TestApp) {
    let t = studio(&app).await;
    let body = json!({ "username": "erin", "role": "admin", "password": PASSWORD });
    let r = app.post("/api/v1/staff", &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mut erin = Browser::signed_in(&app, &t, "erin").await;
    assert_eq!(erin.get("/console/settings/access").await.status, StatusCode::OK, "an admin");

    assert_eq!(app.delete("/api/v1/staff/erin", &t.admin).await.status, StatusCode::NO_CONTENT);
    let r = erin.get("/console/settings/access").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/console/login"), "{}", location(&r));
    assert_eq!(Browser::new(&app).sign_in(&t, "erin", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
}

both_backends!(
    admins_download_the_customers_data_export_and_reviewers_cannot,
    a_reviewer_cannot_open_or_change_access_and_forms_need_the_csrf_token,
    an_admin_creates_a_key_seen_once_and_revokes_it_in_the_console,
    an_admin_creates_and_deletes_staff_accounts_in_the_console,
    an_account_created_over_the_api_signs_in_and_deleting_it_ends_its_session,
    signing_in_with_a_wrong_password_is_refused_and_the_right_one_opens_the_queue,
    five_wrong_passwords_lock_the_account_even_for_the_right_one,
    forty_parallel_guesses_get_five_password_checks_and_the_right_password_comes_too_late,
    the_eleventh_sign_in_attempt_from_one_address_within_a_minute_gets_429_with_retry_after,
    a_console_post_without_the_csrf_token_is_refused_and_changes_nothing,
    a_cross_site_post_is_refused_even_with_a_valid_token,
    a_reviewer_cannot_open_or_change_settings_but_an_admin_can,
    signing_out_ends_the_session_and_an_expired_session_sends_back_to_sign_in,
    approving_in_the_console_applies_the_change_and_records_the_staff_member,
    rejecting_needs_a_reason_and_shows_it_with_its_author,
    the_signature_is_an_image_served_as_sandboxed_svg,
    the_amendment_page_warns_when_the_customers_data_changed_after_submission,
    the_customer_page_masks_the_iban_for_reviewers_and_shows_it_to_admins,
    the_queue_lists_pending_amendments_oldest_first_filtered_and_paged,
    staff_of_one_studio_see_nothing_of_another,
    customer_data_is_escaped_on_every_page,
    admins_see_webhook_deliveries_and_send_them_again,
    console_assets_are_embedded_and_unknown_pages_are_html_404s,
);

/// Invisible characters (kept because some scripts need them) are spelled out in the comparison,
/// as escaped markers, so a reviewer sees that two values that look alike differ.
async fn invisible_characters_are_shown_as_markers_in_the_amendment_comparison(app: TestApp) {
    let t = studio(&app).await;
    let customer = app.customer(&t).await;
    let sneaky = json!({ "street": "Haupt\u{200D}straße", "houseNumber": "1\u{00AD}", "zipCode": "10115",
        "city": "<b>Ber\u{200B}lin</b>\u{FEFF}", "countryCode": "DE" });
    let id = app.submit(&t, customer, "address-data", sneaky).await;
    let mut b = Browser::signed_in(&app, &t, "alice").await;
    let html = b.get(&format!("/console/amendments/{id}")).await.text();
    let marker = |code: &str, name: &str| format!(r#"<span class="invisible" title="{name}">⟨U+{code}⟩</span>"#);
    let street = format!(r#"<td data-label="Proposed">Haupt{}straße</td>"#, marker("200D", "zero width joiner"));
    assert!(html.contains(&street), "{html}");
    assert!(html.contains(&format!(r#"<td data-label="Proposed">1{}</td>"#, marker("00AD", "soft hyphen"))), "{html}");
    let city = format!(
        r#"<td data-label="Proposed">&#60;b&#62;Ber{}lin&#60;/b&#62;{}</td>"#,
        marker("200B", "zero width space"),
        marker("FEFF", "zero width no-break space")
    );
    assert!(html.contains(&city), "{html}");
    assert!(html.contains(r#"<td data-label="Current">Hauptstraße</td>"#), "plain values stay as they are: {html}");
    for c in ['\u{200D}', '\u{00AD}', '\u{200B}', '\u{FEFF}'] {
        assert!(!html.contains(c), "U+{:04X} is never sent as it is", c as u32);
    }
}

both_backends!(invisible_characters_are_shown_as_markers_in_the_amendment_comparison);

/// Staff read a partner root by its name with its partner profile, and nested values of the
/// history (a wealth profile's KYC) one by one in words, never as JSON or action codes.
async fn a_partner_root_shows_its_profile_and_nested_history_values_read_as_words(app: TestApp) {
    let t = studio(&app).await;
    let ctx = custodian_app::Context { tenant: t.id, actor: custodian_domain::Actor::system(), request_id: None };
    let input = custodian_domain::hierarchy::CreateInput {
        status: Some("ACTIVE".into()),
        name: Some("Acme IoT".into()),
        currency: Some("EUR".into()),
        ..Default::default()
    };
    let root = app.services.hierarchy.create_root(&ctx, &input).await.unwrap();
    let mut b = Browser::signed_in(&app, &t, "alice").await;
    let page = b.get(&format!("/console/customers/{}", root.id)).await.text();
    assert!(page.contains(&format!(r#"<h1>Acme IoT <span class="muted">#{}</span></h1>"#, root.id)), "{page}");
    assert!(page.contains("The root of a partner hierarchy"), "{page}");
    assert!(page.contains(&format!("<dt>Partner id</dt><dd>{}</dd>", root.uuid)), "{page}");
    assert!(page.contains("<dt>Status</dt><dd>Active</dd>") && page.contains("<dt>Currency</dt><dd>EUR</dd>"), "{page}");
    assert!(page.contains("<strong>Partner customer created</strong>"), "{page}");
    assert!(!page.contains(&format!("Customer {}", root.id)) && !page.contains(">Policy</span>"), "{page}");
    let list = b.get("/console/customers").await.text();
    assert!(list.contains(&format!(r#"href="/console/customers/{}">Acme IoT</a>"#, root.id)), "{list}");

    let customer = app.customer(&t).await;
    let profile = json!({"status": "active", "referenceCurrency": "CHF", "primaryPerson": {"language": "German", "personDetails": {"personType": "naturalPerson"}},
        "kyc": {"financialSituation": {"monetaryWealth": {"currency": "CHF", "amount": "1000000"}}}});
    let r = app.put(&format!("/api/v1/customers/{customer}/wealth-profile"), &t.admin, profile).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = b.get(&format!("/console/customers/{customer}")).await.text();
    let history = page.split(r#"id="history""#).nth(1).unwrap();
    assert!(history.contains("<strong>Wealth profile saved</strong>"), "{history}");
    assert!(
        history.contains(r#"<span class="changed-field">KYC › Financial situation › Monetary wealth › Amount</span>"#),
        "{history}"
    );
    assert!(!history.contains('{') && !history.contains("&#34;") && !history.contains("wealth.profile"), "{history}");
}

both_backends!(a_partner_root_shows_its_profile_and_nested_history_values_read_as_words);

/// A NUL character in a console form (sign-in name, rejection reason) is a 400, never a 500, and
/// changes nothing.
async fn a_nul_character_in_a_console_form_is_refused(app: TestApp) {
    let t = studio(&app).await;
    let r = Browser::new(&app).sign_in(&t, "ali\u{0}ce", PASSWORD).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let customer = app.customer(&t).await;
    let id = app.submit(&t, customer, "address-data", address_example()).await;
    let mut b = Browser::signed_in(&app, &t, "alice").await;
    let csrf = b.csrf(&format!("/console/amendments/{id}")).await;
    let r = b.post(&format!("/console/amendments/{id}/reject"), &[("csrf", &csrf), ("reason", "No such\u{0} street")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(app.get(&format!("/api/v1/amendments/{id}"), &t.staff).await.json()["amendment"]["state"], "pending");
}

both_backends!(a_nul_character_in_a_console_form_is_refused);
