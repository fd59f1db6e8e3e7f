//! The web console in a real browser: headless Chromium (Debian's) driven over WebDriver against
//! the real `assocd` binary with a fixture portal. Signs in (and is refused with a wrong token),
//! opens every page, follows a record to its neighbour, filters the journal and watches it
//! refresh, adds and removes a fault, signs out; every page is checked for browser console
//! errors, and each page's screenshot is written to `ASSOCD_CONSOLE_SHOTS` (default
//! `target/console-shots`; `docs/console/` holds the committed ones). Skipped, with the reason
//! printed, when Chromium or chromedriver is missing (scripts/ensure-chromium.sh installs them).

#[path = "../support/mod.rs"]
mod support;

mod browser;
mod run;
mod setup;

use browser::Browser;
use reqwest::Method;
use run::Run;
use setup::{install_app, receiver, traffic};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::Server;

pub const ADMIN: &str = "console-admin-secret";
pub const DEMO_TOKEN: &str = "console-demo-token";
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/console/fixture.json");

fn shots_dir() -> PathBuf {
    let dir = std::env::var_os("ASSOCD_CONSOLE_SHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/console-shots")
        });
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

#[tokio::test]
async fn the_console_in_a_real_browser() {
    let (chromium, chromedriver) = match browser::binaries() {
        Ok(b) => b,
        Err(why) => {
            eprintln!("SKIPPED (console browser test): {why}");
            return;
        }
    };
    let started = Instant::now();
    let db = tempfile::tempdir().expect("db dir");
    let database = format!("sqlite://{}/console.sqlite", db.path().display());
    let server = Server::start(
        &database,
        &[
            "--admin-token",
            ADMIN,
            "--fixtures",
            FIXTURE,
            "--rate-limits",
            "hubspot",
        ],
    );
    install_app(&server, &receiver().await).await;
    traffic(&server).await;
    let browser = Browser::start(&chromium, &chromedriver).await;
    let run = std::sync::Arc::new(Run {
        server,
        browser,
        shots: shots_dir(),
    });
    // The scenario runs as a task, so the browser is closed (Chromium quits) even when it fails.
    let outcome = tokio::spawn({
        let run = run.clone();
        async move { scenario(&run).await }
    })
    .await;
    let _ = run.browser.client.clone().close().await;
    if let Err(e) = outcome {
        if e.is_panic() {
            eprintln!("server log:\n{}", run.server.log());
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("{e}");
    }
    eprintln!(
        "console browser test: {:.1} s, screenshots in {}",
        started.elapsed().as_secs_f64(),
        run.shots.display()
    );
}

async fn scenario(run: &Run) {
    sign_in(run).await;
    portals(run).await;
    records(run).await;
    requests(run).await;
    events(run).await;
    faults(run).await;
    sign_out(run).await;
}

async fn sign_in(run: &Run) {
    // A page without a session leads to the sign-in form.
    run.open("/_assocd/console/portals").await;
    run.arrive("/_assocd/console").await;
    run.shot("sign-in").await;
    // A wrong token is refused and no session cookie is set.
    run.fill("#token", "not-the-admin-token").await;
    run.click("form button[type=submit]").await;
    run.arrive("/_assocd/console/sign-in").await;
    assert!(run
        .text("#refused")
        .await
        .contains("not this server's admin token"));
    assert!(run.c().get_named_cookie("assocd_console").await.is_err());
    run.no_console_errors_but("refused sign-in", Some(("/_assocd/console/sign-in", 401)))
        .await;
    // The admin token signs in; the cookie is HttpOnly, SameSite=Strict, and no URL holds the token.
    run.fill("#token", ADMIN).await;
    run.click("form button[type=submit]").await;
    run.arrive("/_assocd/console/portals").await;
    let cookie = run
        .c()
        .get_named_cookie("assocd_console")
        .await
        .expect("session cookie");
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(format!("{:?}", cookie.same_site()), "Some(Strict)");
    assert!(!cookie.value().contains(ADMIN));
    assert!(!run.path().await.contains(ADMIN));
}

async fn portals(run: &Run) {
    let table = run.text("#portals").await;
    assert!(table.contains("4242") && table.contains("4343"), "{table}");
    run.shot("portals").await;
    run.click("a.portal[href$='/portals/4242']").await;
    run.arrive("/_assocd/console/portals/4242").await;
    let labels = run.text("#own-labels").await;
    assert!(
        labels.contains("Manager") && labels.contains("Managed company"),
        "{labels}"
    );
    assert!(labels.contains("Decision maker"), "{labels}");
    // Usage bars: the contacts → companies default limit (5) has contact 101 full and 102 at 80%.
    assert!(run.count("#limit-usage svg.bar").await >= 3);
    let usage = run.text("#limit-usage").await;
    assert!(usage.contains("2 records at 80% or more"), "{usage}");
    let rate = run.text("#rate").await;
    assert!(rate.contains("professional"), "{rate}");
    assert!(run.count("#rate-tokens tr").await >= 2);
    assert!(run.text("#pair-types").await.contains("HUBSPOT_DEFINED"));
    run.shot("portal").await;
    run.click("#limit-usage a.usage").await;
    run.until("the high-usage list", async |r: &Run| {
        r.count("#usage-records").await == 1
    })
    .await;
    let listed = run.text("#usage-records").await;
    assert!(
        listed.contains("contact 101") && listed.contains("contact 102"),
        "{listed}"
    );
    run.shot("high-usage").await;
}

async fn records(run: &Run) {
    run.open("/_assocd/console/portals/4242").await;
    run.fill("form.filters input[name=type]", "contacts").await;
    run.fill("form.filters input[name=id]", "101").await;
    run.click("form.filters button[type=submit]").await;
    run.arrive("/_assocd/console/portals/4242/records/0-1/101")
        .await;
    assert_eq!(
        run.count("#graph a.node").await,
        9,
        "5 companies, 2 deals, 2 tickets"
    );
    let companies = run.text("section.linked[data-type='0-2']").await;
    assert!(
        companies.contains("Manager") && companies.contains("Billing contact"),
        "{companies}"
    );
    run.shot("record").await;
    // Follow the record to its neighbour, company 202, and back by the picture.
    run.click("section.linked[data-type='0-2'] a.neighbour[href$='/0-2/202']")
        .await;
    run.arrive("/_assocd/console/portals/4242/records/0-2/202")
        .await;
    assert_eq!(run.text("h1").await, "company 202");
    let contacts = run.text("section.linked[data-type='0-1']").await;
    assert!(
        contacts.contains("Managed company") && contacts.contains("contact 101"),
        "{contacts}"
    );
    run.click("#graph a.node[href$='/0-1/101']").await;
    run.arrive("/_assocd/console/portals/4242/records/0-1/101")
        .await;
    assert_eq!(run.text("h1").await, "contact 101");
    run.no_console_errors("record walk").await;
}

async fn requests(run: &Run) {
    run.open("/_assocd/console/requests").await;
    assert!(run.count("#journal-table tr.entry").await >= 5);
    run.click("#journal-table tr.entry details summary").await;
    run.shot("requests").await;
    // Auto-refresh: a new call shows up without reloading (once no body is open).
    run.click("#journal-table tr.entry details summary").await;
    let newest = run.text("#journal-table tr.entry td.mono").await;
    run.server
        .call_as(
            DEMO_TOKEN,
            Method::GET,
            "/crm/v4/associations/deals/contacts/labels",
            None,
        )
        .await;
    run.until("the journal refreshes itself", async |r: &Run| {
        r.text("#journal-table tbody")
            .await
            .contains("/crm/v4/associations/deals/contacts/labels")
    })
    .await;
    assert!(!newest.is_empty());
    // Filter by status: only the 400 (an unknown object type) stays.
    run.fill("#journal-filters input[name=status]", "400").await;
    run.click("#journal-filters button[type=submit]").await;
    run.until("the filtered page", async |r: &Run| {
        r.path().await.contains("status=400")
    })
    .await;
    let rows = run.count("#journal-table tr.entry").await;
    assert_eq!(rows, 1, "{}", run.text("#journal").await);
    assert!(run
        .text("#journal-table")
        .await
        .contains("/contacts/nothing/labels"));
    // And by operation: R1 only.
    run.fill("#journal-filters input[name=status]", "").await;
    run.select("#journal-filters select[name=operation]", "R1")
        .await;
    run.click("#journal-filters button[type=submit]").await;
    run.until("the operation filter", async |r: &Run| {
        r.path().await.contains("operation=R1")
    })
    .await;
    assert_eq!(run.count("#journal-table tr.entry").await, 1);
    run.no_console_errors("journal filters").await;
}

async fn events(run: &Run) {
    run.open("/_assocd/console/portals").await;
    run.until("events delivered", async |r: &Run| {
        r.open("/_assocd/console/events?portalId=4242").await;
        r.text("#events").await.contains("DELIVERED")
    })
    .await;
    // The fixture's own changes went out to no app; the API call's went to the receiver.
    let table = run.text("#events").await;
    assert!(table.contains("no delivery"), "{table}");
    assert!(
        table.contains("contact 103") && table.contains("company 209"),
        "{table}"
    );
    // Redeliver the delivered event: queued again, and a second attempt shows up.
    let delivered = run
        .find("#events tr.event:has(li.attempt)")
        .await
        .attr("data-id")
        .await
        .expect("attr")
        .expect("an event id");
    run.click(&format!("tr.event[data-id='{delivered}'] button.redeliver"))
        .await;
    run.until("the redelivery notice", async |r: &Run| {
        r.count("#redelivered").await == 1
    })
    .await;
    assert!(run.text("#redelivered").await.contains("1 delivery"));
    let row = format!("tr.event[data-id='{delivered}'] li.attempt");
    let started = Instant::now();
    loop {
        run.open("/_assocd/console/events?portalId=4242").await;
        if run.count(&row).await >= 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no second attempt"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The page of the event, scrolled to it: its two attempts.
    run.view(
        &format!("/_assocd/console/events?portalId=4242#event-{delivered}"),
        "events",
    )
    .await;
}

async fn faults(run: &Run) {
    run.open("/_assocd/console/faults").await;
    assert_eq!(run.count("#no-faults").await, 1);
    run.select("#add-fault select[name=status]", "503").await;
    run.select("#add-fault select[name=operation]", "R1").await;
    run.fill("#add-fault input[name=times]", "2").await;
    run.click("#add-fault button[type=submit]").await;
    run.until("the new fault", async |r: &Run| {
        r.count("#faults tr.fault").await == 1
    })
    .await;
    let row = run.text("#faults tr.fault").await;
    assert!(
        row.contains("operation R1") && row.contains("answer 503"),
        "{row}"
    );
    // The fault is live: R1 answers 503 once.
    let (status, _) = run
        .server
        .call_as(
            DEMO_TOKEN,
            Method::GET,
            "/crm/v4/objects/contacts/101/associations/companies",
            None,
        )
        .await;
    assert_eq!(status, 503);
    run.open("/_assocd/console/faults").await;
    assert!(run.text("#faults tr.fault").await.contains('1'));
    run.shot("faults").await;
    // A bad fault is refused with the control plane's message, and nothing is added.
    run.select("#add-fault select[name=status]", "").await;
    run.click("#add-fault button[type=submit]").await;
    run.until("the refusal", async |r: &Run| {
        r.count("#fault-problem").await == 1
    })
    .await;
    assert!(run.text("#fault-problem").await.contains("action"));
    assert_eq!(run.count("#faults tr.fault").await, 1);
    run.no_console_errors_but("refused fault", Some(("/_assocd/console/faults", 400)))
        .await;
    run.click("#faults button.remove").await;
    run.until("the fault's removal", async |r: &Run| {
        r.count("#no-faults").await == 1
    })
    .await;
    run.no_console_errors("faults").await;
}

async fn sign_out(run: &Run) {
    run.click("form.signout button").await;
    run.arrive("/_assocd/console").await;
    run.open("/_assocd/console/requests").await;
    assert_eq!(
        run.path().await,
        "/_assocd/console",
        "signed out: back to the form"
    );
    run.no_console_errors("sign-out").await;
}
