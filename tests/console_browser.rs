//! The web console in a real browser: Debian's chromium, headless, driven over WebDriver by
//! chromedriver (both installed by `scripts/dev-env up browser`), against a real worker, broker
//! and PostgreSQL. Each step is what a user does: fill the form, read the error beside a key,
//! click, confirm. Screenshots of each page go to `target/tmp/console-screenshots/`, and to
//! `docs/console/` when `WEIR_UPDATE_SCREENSHOTS` is set.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use futures::StreamExt;
use serde_json::{Value, json};
use support::postgres::{self, database, sql};
use support::{Worker, eventually, free_port, unique};

/// A chromedriver of the test's own, on a free port, and a browser session through it.
struct Browser {
    driver: Child,
    client: Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Browser {
        let chromium = std::env::var("CHROMIUM_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let chromedriver = std::env::var("CHROMEDRIVER_BIN").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        assert!(
            std::path::Path::new(&chromedriver).exists() && std::path::Path::new(&chromium).exists(),
            "{chromedriver} or {chromium} is missing: install them with `scripts/dev-env up browser`"
        );
        let port = free_port();
        let mut driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                // Without the background-networking flags chromium keeps dialling Google's
                // hosts, which this closed network refuses.
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--window-size=1280,1000", format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut client = None;
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) if driver.try_wait().ok().flatten().is_none() => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("chromedriver exited: {e}"),
            }
        }
        let client = client.unwrap_or_else(|| {
            let _ = driver.kill();
            panic!("no browser session from chromedriver at {url}")
        });
        Browser {
            driver,
            client,
            _profile: profile,
        }
    }

    /// Waits for the element `css` (the console draws pages after its API calls answer).
    async fn find(&self, css: &str) -> Element {
        eventually(&format!("an element {css}"), Duration::from_secs(20), || async {
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await
    }

    /// Opens the console's `page` (`#/...`) on `worker` and waits until its main part shows
    /// `text`.
    async fn open(&self, worker: &Worker, page: &str, text: &str) {
        self.client
            .goto(&format!("{}/ui/{page}", worker.url))
            .await
            .expect("open the page");
        self.wait_for_text("main", text).await;
    }

    /// Waits until the text of `css` holds `wanted`; returns the text.
    async fn wait_for_text(&self, css: &str, wanted: &str) -> String {
        eventually(
            &format!("{css} to show '{wanted}'"),
            Duration::from_secs(60),
            || async {
                let text = self.client.find(Locator::Css(css)).await.ok()?.text().await.ok()?;
                text.contains(wanted).then_some(text)
            },
        )
        .await
    }

    /// Clicks the button labelled `label`.
    async fn click_button(&self, label: &str) {
        let xpath = format!("//button[normalize-space(.)='{label}']");
        let button = eventually(&format!("a button '{label}'"), Duration::from_secs(20), || async {
            self.client.find(Locator::XPath(&xpath)).await.ok()
        })
        .await;
        button.click().await.unwrap_or_else(|e| panic!("click {label}: {e}"));
    }

    /// Clicks `label` and accepts the confirmation it asks for.
    async fn click_and_confirm(&self, label: &str) {
        self.click_button(label).await;
        eventually("the confirmation", Duration::from_secs(10), || async {
            self.client.accept_alert().await.ok()
        })
        .await;
    }

    /// Sets a config key's field of the form, as a user does: picks the value of a list, or
    /// types it and leaves the field.
    async fn set_field(&self, key: &str, value: &str) {
        let id: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let field = self.find(&format!("#key-{id}")).await;
        if field.tag_name().await.expect("tag") == "select" {
            field
                .select_by_value(value)
                .await
                .unwrap_or_else(|e| panic!("{key}: no choice {value}: {e}"));
        } else {
            field.clear().await.expect("clear");
            field.send_keys(&format!("{value}\t")).await.expect("type");
        }
    }

    /// Saves a screenshot of the page as `name.png`.
    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let mut dirs = vec![PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots")];
        if std::env::var_os("WEIR_UPDATE_SCREENSHOTS").is_some() {
            dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/console"));
        }
        for dir in dirs {
            std::fs::create_dir_all(&dir).expect("screenshot dir");
            std::fs::write(dir.join(format!("{name}.png")), &png).expect("write screenshot");
        }
    }

    async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// The caption of the records/s graph once it shows records written, e.g.
/// `Records/s: read 180/s written 180/s`.
async fn written_caption(client: &Client) -> Option<String> {
    let text = client.find(Locator::Css("figcaption")).await.ok()?.text().await.ok()?;
    let written = text.split("written ").nth(1)?.split('/').next()?.trim().to_owned();
    (written != "0" && written != "–").then_some(text)
}

/// A worker sampling every half second, so the graphs move within the test.
async fn worker() -> Worker {
    Worker::start_with("console.history.interval.ms: 500\n").await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cdc_connector_is_created_through_the_form_watched_and_deleted() {
    let (mut conn, schema) = database().await;
    sql(
        &mut conn,
        &format!("CREATE TABLE {schema}.items (id integer PRIMARY KEY, v text)"),
    )
    .await;
    let worker = worker().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client
        .goto(&format!("{}/ui/#/new", worker.url))
        .await
        .expect("open the console");

    let name = browser.find("#connector-name").await;
    name.send_keys(&schema).await.expect("type the name");
    browser
        .find("#plugin")
        .await
        .select_by_value("io.debezium.connector.postgresql.PostgresConnector")
        .await
        .expect("pick the Postgres plugin");
    let config = postgres::cdc_config(&schema, &schema, &["items"], json!({"database.port": "not-a-port"}));
    for (key, value) in config.as_object().expect("a config map") {
        if key != "connector.class" {
            browser.set_field(key, value.as_str().expect("a string")).await;
        }
    }
    browser.click_button("Validate").await;
    let errors = browser
        .wait_for_text("#key-database_port-errors", "database.port")
        .await;
    assert!(
        errors.contains("not-a-port"),
        "the error beside database.port: {errors}"
    );
    browser.wait_for_text("#validation", "1 error").await;
    browser.screenshot("create-with-error").await;

    let port = postgres::database_keys()["database.port"]
        .as_str()
        .expect("a port")
        .to_owned();
    browser.set_field("database.port", &port).await;
    // The text editor holds the same config, as YAML too; a key added there reaches the form.
    browser
        .find("#config-format")
        .await
        .select_by_value("yaml")
        .await
        .expect("pick YAML");
    let editor = browser.find("#config-json").await;
    let yaml = editor.prop("value").await.expect("value").unwrap_or_default();
    assert!(yaml.contains(&format!("database.port: \"{port}\"")), "{yaml}");
    editor.clear().await.expect("clear");
    editor
        .send_keys(&format!("{yaml}snapshot.mode: no_data\n\t"))
        .await
        .expect("type YAML");
    eventually(
        "snapshot.mode from the YAML in the form",
        Duration::from_secs(20),
        || async {
            let field = browser.client.find(Locator::Css("#key-snapshot_mode")).await.ok()?;
            (field.prop("value").await.ok()?? == "no_data").then_some(())
        },
    )
    .await;
    browser.click_button("Validate").await;
    browser.wait_for_text("#validation", "The config is valid").await;
    browser.click_button("Create").await;

    browser.wait_for_text("main h1", "RUNNING").await;
    // Rows keep coming while the page is watched, as in production.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut first = 0;
    let caption = loop {
        sql(
            &mut conn,
            &format!(
                "INSERT INTO {schema}.items SELECT g, 'row ' || g FROM generate_series({first}, {}) g",
                first + 49
            ),
        )
        .await;
        first += 50;
        if let Some(caption) = written_caption(client).await {
            break caption;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "records/s never rose on the connector page"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(caption.starts_with("Records/s"), "{caption}");
    browser.screenshot("connector").await;

    client.goto(&format!("{}/ui/#/", worker.url)).await.expect("overview");
    browser.wait_for_text("table.connectors", &schema).await;
    browser.screenshot("overview").await;
    client
        .goto(&format!("{}/ui/#/plugins", worker.url))
        .await
        .expect("plugins");
    browser.wait_for_text("main", "PostgresConnector").await;
    browser.screenshot("plugins").await;

    client
        .goto(&format!("{}/ui/#/connectors/{schema}", worker.url))
        .await
        .expect("connector page");
    browser.wait_for_text("main h1", "RUNNING").await;
    browser.click_and_confirm("Delete").await;
    eventually("the connector to be gone", Duration::from_secs(30), || async {
        let (status, _) = worker.request("GET", &format!("/connectors/{schema}"), None).await;
        (status == 404).then_some(())
    })
    .await;
    browser.close().await;
    postgres::cleanup(&mut conn, &schema, &[&schema]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn offsets_are_edited_while_stopped_and_a_failed_task_is_restarted() {
    let worker = worker().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("input.txt");
    support::write_lines(&input, support::numbered("line", 0..20));
    let topic = unique("console-lines");
    worker
        .create(
            "lines",
            json!({
                "connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic,
            }),
        )
        .await;
    // A sink whose directory is missing fails until the directory is made.
    let output = dir.path().join("later").join("output.txt");
    worker
        .create(
            "out",
            json!({"connector.class": "FileStreamSink", "file": output.display().to_string(), "topics": topic}),
        )
        .await;
    worker.wait_for_task("out", 0, "FAILED").await;
    support::read_topic_async(&topic, 20, Duration::from_secs(30)).await;

    let browser = Browser::start().await;
    let client = &browser.client;
    client
        .goto(&format!("{}/ui/", worker.url))
        .await
        .expect("open the console");
    // The failed connector comes first, with its error's first line.
    let first = browser
        .wait_for_text("table.connectors tbody tr:first-child", "out")
        .await;
    assert!(first.contains("FAILED"), "{first}");
    browser.screenshot("overview-failed").await;

    std::fs::create_dir_all(dir.path().join("later")).expect("make the sink's directory");
    client
        .goto(&format!("{}/ui/#/connectors/out", worker.url))
        .await
        .expect("sink page");
    browser.wait_for_text("table.tasks", "FAILED").await;
    browser.click_button("Restart failed tasks").await;
    worker.wait_for_state("out", "RUNNING", 1).await;
    support::wait_for_lines(&output, 20, Duration::from_secs(30)).await;

    // How far each is behind: the sink's committed offsets reach the end of its topic, and the
    // source has read its whole file.
    let lag = eventually("the sink's lag to reach 0", Duration::from_secs(30), || async {
        let lag = worker.get("/weir/v1/connectors/out/lag").await;
        let partitions = lag["partitions"].as_array()?.clone();
        let end: i64 = partitions.iter().filter_map(|p| p["end"].as_i64()).sum();
        (end == 20 && partitions.iter().all(|p| p["lag"] == 0)).then_some(lag)
    })
    .await;
    assert!(
        lag["partitions"]
            .as_array()
            .is_some_and(|p| p.iter().all(|p| p["topic"] == topic.as_str())),
        "{lag}"
    );
    browser.wait_for_text("main", "0 records behind").await;
    browser.wait_for_text("table.lag", &topic).await;
    let (status, body) = worker.request("GET", "/weir/v1/connectors/lines/lag", None).await;
    assert_eq!(status, 400, "a source has no consumer lag: {body}");
    assert_eq!(worker.metric("file_bytes_remaining", "lines", 0).await, Some(0.0));

    client
        .goto(&format!("{}/ui/#/connectors/lines", worker.url))
        .await
        .expect("source page");
    browser.wait_for_text("main h1", "RUNNING").await;
    browser.wait_for_text("main", "0B of the file left to read").await;
    browser.click_and_confirm("Stop").await;
    worker.wait_for_state("lines", "STOPPED", 0).await;
    let editor = browser.find("#offsets-editor").await;
    let current: Value = serde_json::from_str(&editor.prop("value").await.expect("value").unwrap_or_default())
        .expect("the editor holds JSON");
    assert!(
        current["offsets"][0]["offset"]["position"].as_i64().unwrap_or(0) > 0,
        "{current}"
    );
    let mut rewound = current.clone();
    rewound["offsets"][0]["offset"] = json!({"position": 0});
    editor.clear().await.expect("clear");
    editor.send_keys(&rewound.to_string()).await.expect("type offsets");
    browser.click_button("Preview change").await;
    browser.wait_for_text(".preview", "→ {\"position\":0}").await;
    browser.screenshot("offsets").await;
    browser.click_button("Apply").await;
    eventually("the offset to be rewound", Duration::from_secs(30), || async {
        let offsets = worker.get("/connectors/lines/offsets").await;
        (offsets["offsets"][0]["offset"]["position"] == 0).then_some(())
    })
    .await;
    browser.wait_for_text("main h1", "STOPPED").await;
    browser.click_button("Resume").await;
    // Read again from the start: every line twice on the topic, and in the sink's file.
    support::read_topic_async(&topic, 40, Duration::from_secs(60)).await;
    support::wait_for_lines(&output, 40, Duration::from_secs(60)).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_is_served_offline_and_can_be_turned_off() {
    let worker = worker().await;
    let http = reqwest::Client::new();
    for (path, media_type) in [
        ("/ui/", "text/html"),
        ("/ui/app.js", "text/javascript"),
        ("/ui/style.css", "text/css"),
    ] {
        let response = http.get(format!("{}{path}", worker.url)).send().await.expect("GET");
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap_or_default()
                .starts_with(media_type),
            "{path}: {headers:?}"
        );
        let csp = headers["content-security-policy"].to_str().unwrap_or_default();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        let body = response.text().await.expect("body");
        // Nothing from elsewhere: no absolute URL the page would fetch.
        assert!(!body.contains("src=\"http") && !body.contains("href=\"http"), "{path}");
    }
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{}/ui", worker.url))
        .send()
        .await
        .expect("GET /ui");
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "ui/");
    let (status, history) = worker.request("GET", "/weir/v1/history?samples=5", None).await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(history["interval_ms"], 500);
    let (status, body) = worker.request("GET", "/weir/v1/history?samples=many", None).await;
    assert_eq!(status, 400, "{body}");

    let off = Worker::start_with("console.enable: false\n").await;
    let (status, _) = off.request("GET", "/ui/", None).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_overview_lists_500_connectors_and_filters_them() {
    const COUNT: usize = 500;
    let worker = worker().await;
    let dir = tempfile::tempdir().expect("temp dir");
    // Stopped from the start (KIP-980): 500 configs, no task to run on a 2-core machine.
    let creates = (0..COUNT).map(|i| {
        let worker = &worker;
        let file = dir.path().join(format!("in-{i}.txt")).display().to_string();
        async move {
            let body = json!({
                "name": format!("many-{i:03}"),
                "config": {"connector.class": "FileStreamSource", "file": file, "topic": "unused"},
                "initial_state": "STOPPED",
            });
            let (status, answer) = worker.request("POST", "/connectors", Some(body)).await;
            assert_eq!(status, 201, "{answer}");
        }
    });
    futures::stream::iter(creates)
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/ui/", worker.url))
        .await
        .expect("open the console");
    browser
        .wait_for_text("main", &format!("{COUNT} of {COUNT} connectors"))
        .await;
    let rows = browser
        .client
        .find_all(Locator::Css("table.connectors tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), COUNT);
    let filter = browser.find("#filter").await;
    filter.send_keys("many-42").await.expect("type a filter");
    // many-420 to many-429; not many-042.
    browser
        .wait_for_text("main", &format!("10 of {COUNT} connectors"))
        .await;
    browser.close().await;
}

/// Every page of the console, with a text it shows once loaded, for a worker running the file
/// source `phone`.
const PAGES: [(&str, &str); 7] = [
    ("#/", "1 of 1 connectors"),
    ("#/connectors/phone", "RUNNING"),
    ("#/connectors/phone/edit", "Edit phone"),
    ("#/new", "New connector"),
    ("#/plugins", "FileStreamSource"),
    (
        "#/plugins/org.apache.kafka.connect.file.FileStreamSourceConnector",
        "Documentation",
    ),
    ("#/cluster", "Cluster"),
];

/// A worker running the file source `phone`, the connector [`PAGES`] show.
async fn worker_with_one_connector() -> Worker {
    let worker = worker().await;
    let input = worker.dir.path().join("in.txt");
    support::write_lines(&input, support::numbered("line", 0..100));
    worker
        .create(
            "phone",
            json!({"connector.class": "FileStreamSource", "file": input, "topic": unique("phone")}),
        )
        .await;
    worker.wait_for_state("phone", "RUNNING", 1).await;
    worker
}

/// Every page passes axe-core's WCAG 2 A and AA rules (labels, names, contrast, keyboard
/// focus, landmarks...), as Deque's engine checks them in the browser.
#[tokio::test(flavor = "multi_thread")]
async fn every_page_passes_the_accessibility_checks() {
    let axe = std::env::var("AXE_CORE_JS")
        .unwrap_or_else(|_| panic!("AXE_CORE_JS is not set: run `scripts/dev-env up browser` and eval its env"));
    let axe = std::fs::read_to_string(&axe).unwrap_or_else(|e| panic!("{axe}: {e}: run `scripts/dev-env up browser`"));
    let worker = worker_with_one_connector().await;
    let browser = Browser::start().await;
    let mut failures = Vec::new();
    for (page, text) in PAGES {
        browser.open(&worker, page, text).await;
        browser.client.execute(&axe, vec![]).await.expect("load axe-core");
        let violations = browser
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                   .then((r) => done(r.violations.map((v) =>
                     `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)))
                   .catch((e) => done([`axe failed: ${e}`]));",
                vec![],
            )
            .await
            .expect("run axe-core");
        for violation in violations.as_array().into_iter().flatten() {
            failures.push(format!("{page}: {}", violation.as_str().unwrap_or_default()));
        }
    }
    assert!(
        failures.is_empty(),
        "accessibility violations:\n{}",
        failures.join("\n")
    );

    // By keyboard alone: Tab from the top of the list reaches the connector's link, and Enter
    // opens it.
    browser.open(&worker, "#/", "1 of 1 connectors").await;
    let mut reached = false;
    for _ in 0..40 {
        let focused = browser.client.active_element().await.expect("a focused element");
        focused
            .send_keys(&fantoccini::key::Key::Tab.to_string())
            .await
            .expect("Tab");
        let href = browser
            .client
            .execute(
                "const e = document.activeElement; return e.tagName === 'A' ? e.getAttribute('href') : '';",
                vec![],
            )
            .await
            .expect("the focused element");
        if href.as_str().is_some_and(|href| href.ends_with("#/connectors/phone")) {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab never reached the connector's link");
    browser
        .client
        .active_element()
        .await
        .expect("the link")
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .expect("Enter");
    browser.wait_for_text("main", "RUNNING").await;
    let url = browser.client.current_url().await.expect("the URL");
    assert!(url.as_str().ends_with("#/connectors/phone"), "{url}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_fits_a_phone_screen() {
    let worker = worker_with_one_connector().await;
    let browser = Browser::start().await;
    // A phone held upright (iPhone 12 to 15's CSS pixels).
    browser
        .client
        .set_window_size(390, 844)
        .await
        .expect("a phone-sized window");
    for (page, text) in PAGES {
        browser.open(&worker, page, text).await;
        let widths = browser
            .client
            .execute(
                "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]",
                vec![],
            )
            .await
            .expect("page width");
        let (page_width, screen) = (widths[0].as_i64().unwrap_or(i64::MAX), widths[1].as_i64().unwrap_or(0));
        if page_width > screen {
            browser
                .screenshot(&format!("phone-{}", page.trim_start_matches("#/").replace('/', "-")))
                .await;
            // The innermost elements that reach past the screen's edge, to say what to fix.
            let wide = browser
                .client
                .execute(
                    "const w = document.documentElement.clientWidth;
                     return [...document.querySelectorAll('main *')]
                       .filter((e) => e.getBoundingClientRect().right > w + 1
                         && ![...e.children].some((c) => c.getBoundingClientRect().right > w + 1))
                       .slice(0, 5)
                       .map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)} px): ${e.textContent.slice(0, 60)}`);",
                    vec![],
                )
                .await
                .expect("wide elements");
            panic!("{page} is {page_width} CSS px wide on a {screen} px screen, it scrolls sideways: {wide}");
        }
    }
    browser.close().await;
}
