//! The REST API over HTTPS, with Kafka Connect's `listeners=https://...` and
//! `listeners.https.ssl.*` keys, on workers as real processes: PKCS12 and PEM keystores,
//! client certificates required or requested, and workers of one group forwarding to each
//! other over HTTPS. The certificates are the ones `scripts/dev-env` makes for the broker (its
//! CA signs a certificate for 127.0.0.1 and a client certificate).

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use support::{Worker, eventually, secure_listeners, self_signed, unique};

/// The dev-env CA's files: the CA certificate, the server's PKCS12 keystore (password
/// `weir-dev-keystore`) and PEM certificate and key, and the client's certificate and key.
struct Certificates {
    ca: PathBuf,
    server_p12: PathBuf,
    server_pem: PathBuf,
    server_key: PathBuf,
    client_pem: PathBuf,
    client_key: PathBuf,
}

const KEYSTORE_PASSWORD: &str = "weir-dev-keystore";

fn certificates() -> Certificates {
    let listeners = secure_listeners();
    let ca = PathBuf::from(&listeners.ca_location);
    let dir = ca.parent().expect("the CA's directory").to_owned();
    let files = Certificates {
        server_p12: dir.join("broker.p12"),
        server_pem: dir.join("broker.pem"),
        server_key: dir.join("broker.key"),
        client_pem: PathBuf::from(&listeners.certificate_location),
        client_key: PathBuf::from(&listeners.key_location),
        ca,
    };
    for file in [&files.server_p12, &files.server_pem, &files.server_key] {
        assert!(file.exists(), "{} is missing: run `scripts/dev-env up`", file.display());
    }
    files
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An HTTPS client that trusts `ca` (if given) and shows the certificate and key of `identity`
/// (if given).
fn client(ca: Option<&Path>, identity: Option<(&Path, &Path)>) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder().tls_built_in_root_certs(false);
    if let Some(ca) = ca {
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&read(ca)).expect("CA"));
    }
    if let Some((certificate, key)) = identity {
        let mut pem = read(certificate);
        pem.extend(read(key));
        builder = builder.identity(reqwest::Identity::from_pem(&pem).expect("identity"));
    }
    builder
}

/// A GET through `client`: its status, or why the connection failed.
async fn get(client: reqwest::ClientBuilder, url: &str) -> Result<u16, String> {
    let client = client.build().expect("client");
    match client.get(url).send().await {
        Ok(response) => Ok(response.status().as_u16()),
        Err(e) => Err(format!("{e:?}")),
    }
}

/// A PKCS12 keystore serves HTTPS; a client that does not trust its CA, and plain HTTP on the
/// same port, are refused.
#[tokio::test(flavor = "multi_thread")]
async fn an_https_listener_serves_a_pkcs12_keystore() {
    let files = certificates();
    let tls = format!(
        "listeners.https.ssl.keystore.location: {}\nlisteners.https.ssl.keystore.password: {KEYSTORE_PASSWORD}\n\
         listeners.https.ssl.keystore.type: PKCS12\n",
        files.server_p12.display()
    );
    let worker = Worker::start_https(&unique("rest-tls"), &tls, client(Some(&files.ca), None)).await;
    assert!(worker.url.starts_with("https://"), "{}", worker.url);
    let root = worker.get("/").await;
    assert!(root["version"].is_string(), "{root}");
    let info = worker.get("/connectors").await;
    assert_eq!(info, json!([]));

    let untrusting = get(client(None, None), &worker.url).await;
    assert!(
        untrusting.as_ref().is_err_and(|e| e.contains("UnknownIssuer")),
        "a client without the CA is refused: {untrusting:?}"
    );
    let plain = worker.url.replacen("https://", "http://", 1);
    let answered = get(reqwest::Client::builder(), &plain).await;
    assert!(
        answered.is_err(),
        "plain HTTP on the HTTPS port gets no answer: {answered:?}"
    );
    assert!(
        !worker.log().contains(KEYSTORE_PASSWORD),
        "the keystore's password is not logged"
    );
}

/// With `ssl.client.auth=required` (a PEM keystore and truststore), only a client showing a
/// certificate the truststore signs is served; `requested` also serves one that shows none.
#[tokio::test(flavor = "multi_thread")]
async fn client_certificates_required_and_requested() {
    let files = certificates();
    let dir = tempfile::tempdir().expect("temp dir");
    let keystore = dir.path().join("server.pem");
    let mut pem = read(&files.server_key);
    pem.extend(read(&files.server_pem));
    std::fs::write(&keystore, pem).expect("keystore");
    let (stranger_pem, stranger_key) = self_signed(dir.path(), "stranger");
    let tls = |auth: &str| {
        format!(
            "listeners.https.ssl.keystore.location: {}\nlisteners.https.ssl.keystore.type: PEM\n\
             listeners.https.ssl.truststore.location: {}\nlisteners.https.ssl.truststore.type: PEM\n\
             listeners.https.ssl.client.auth: {auth}\n",
            keystore.display(),
            files.ca.display()
        )
    };
    let trusted = || client(Some(&files.ca), Some((&files.client_pem, &files.client_key)));
    let anonymous = || client(Some(&files.ca), None);
    let strange = || client(Some(&files.ca), Some((&stranger_pem, &stranger_key)));

    let required = Worker::start_https(&unique("rest-mtls"), &tls("required"), trusted()).await;
    assert_eq!(get(trusted(), &required.url).await, Ok(200));
    for (who, refused) in [
        ("a client without a certificate", get(anonymous(), &required.url).await),
        (
            "a client with a certificate the CA did not sign",
            get(strange(), &required.url).await,
        ),
    ] {
        assert!(refused.is_err(), "{who} is refused: {refused:?}");
    }

    let requested = Worker::start_https(&unique("rest-mtls"), &tls("requested"), anonymous()).await;
    assert_eq!(get(trusted(), &requested.url).await, Ok(200));
    assert_eq!(get(anonymous(), &requested.url).await, Ok(200));
    let strange = get(strange(), &requested.url).await;
    assert!(
        strange.is_err(),
        "a certificate the CA did not sign is refused: {strange:?}"
    );
}

/// Two workers of one group on HTTPS listeners that require client certificates: a connector
/// created through either is forwarded to the leader over HTTPS, with the worker's own
/// certificate, and both answer the same.
#[tokio::test(flavor = "multi_thread")]
async fn workers_forward_to_each_other_over_https() {
    let files = certificates();
    let tls = format!(
        "listeners.https.ssl.keystore.location: {}\nlisteners.https.ssl.keystore.password: {KEYSTORE_PASSWORD}\n\
         listeners.https.ssl.truststore.location: {}\nlisteners.https.ssl.truststore.type: PEM\n\
         listeners.https.ssl.client.auth: required\n",
        files.server_p12.display(),
        files.ca.display()
    );
    let trusted = || client(Some(&files.ca), Some((&files.client_pem, &files.client_key)));
    let group = unique("rest-tls-group");
    let workers = [
        Worker::start_https(&group, &tls, trusted()).await,
        Worker::start_https(&group, &tls, trusted()).await,
    ];
    // Both name one leader, by its https:// URL.
    let leader_url = eventually("the workers to agree on a leader", Duration::from_secs(60), || async {
        let mut urls = Vec::new();
        for worker in &workers {
            urls.push(worker.get("/").await["group"]["leader_url"].as_str()?.to_owned());
        }
        (urls[0] == urls[1]).then(|| urls.swap_remove(0))
    })
    .await;
    assert!(leader_url.starts_with("https://127.0.0.1:"), "{leader_url}");
    for (i, worker) in workers.iter().enumerate() {
        let input = worker.dir.path().join("in.txt");
        std::fs::write(&input, "line\n").expect("input");
        let name = format!("source-{i}");
        let config = json!({"connector.class": "FileStreamSource", "file": input, "topic": unique("rest-tls")});
        let (status, body) = worker
            .request("POST", "/connectors", Some(json!({"name": name, "config": config})))
            .await;
        assert_eq!(
            status, 201,
            "created through worker {i} (one of them a follower): {body}"
        );
    }
    for worker in &workers {
        let listed = worker.get("/connectors").await;
        let mut names: Vec<&str> = listed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str())
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["source-0", "source-1"], "{}", worker.url);
    }
}
