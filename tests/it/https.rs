//! HTTPS through the binary: `--tls-self-signed` makes a certificate for localhost, writes it
//! and says where in its log; a client that verifies against that certificate is answered,
//! one that trusts only the public roots is not; `--tls-cert`/`--tls-key` serve given files.

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

use crate::harness::{Reply, doc_path};
use crate::running::Running;

/// GET `path` over TLS to `addr`, as `localhost`, trusting only `roots`; the answer, or the
/// handshake's error. Bounded to 10 s.
fn get(addr: &str, path: &str, roots: rustls::RootCertStore) -> Result<Reply, String> {
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let addr = addr.to_owned();
    let path = path.to_owned();
    runtime.block_on(async move {
        let exchange = async {
            let tcp = tokio::net::TcpStream::connect(&addr)
                .await
                .map_err(|e| e.to_string())?;
            let name = ServerName::try_from("localhost").expect("a name");
            let mut tls = connector
                .connect(name, tcp)
                .await
                .map_err(|e| e.to_string())?;
            let request =
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            tls.write_all(request.as_bytes())
                .await
                .map_err(|e| e.to_string())?;
            let mut raw = Vec::new();
            // A close without TLS's close_notify is an error once the answer is read whole.
            let _ = tls.read_to_end(&mut raw).await;
            Ok(Reply::parse(&raw, "GET"))
        };
        tokio::time::timeout(Duration::from_secs(10), exchange)
            .await
            .unwrap_or_else(|_| Err("no answer within 10 s".to_owned()))
    })
}

fn trusting(cert: &std::path::Path) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert).expect("the certificate file") {
        roots.add(c.expect("a certificate")).expect("an anchor");
    }
    roots
}

#[test]
fn a_self_signed_certificate_is_made_written_and_named_and_serves_https_to_who_trusts_it() {
    let dir = std::env::temp_dir().join(format!("understudy-https-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    let doc = doc_path("serving-prism-flags.yaml");
    let running = Running::start(
        &[
            "mock",
            doc.to_str().expect("a UTF-8 path"),
            "-p",
            "0",
            "--tls-self-signed",
            "--tls-dir",
            dir.to_str().expect("a UTF-8 path"),
        ],
        &[],
    );
    let cert = dir.join("cert.pem");
    let named = format!("clients trust {}", cert.display());
    assert!(
        running.startup.iter().any(|l| l.contains(&named)),
        "{:#?}",
        running.startup
    );
    let answer = get(&running.addr, "/greeting", trusting(&cert)).expect("an HTTPS answer");
    answer.expect(200);
    assert_eq!(answer.json()["text"], "hello from the example");

    let public = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let refused = get(&running.addr, "/greeting", public).expect_err("an unknown issuer");
    assert!(refused.contains("certificate"), "{refused}");
    drop(running);

    // The files it wrote serve as --tls-cert and --tls-key.
    let given = Running::start(
        &[
            "serve",
            "--spec",
            doc.to_str().expect("a UTF-8 path"),
            "--port",
            "0",
            "--tls-cert",
            cert.to_str().expect("a UTF-8 path"),
            "--tls-key",
            dir.join("key.pem").to_str().expect("a UTF-8 path"),
        ],
        &[],
    );
    get(&given.addr, "/greeting", trusting(&cert))
        .expect("an HTTPS answer")
        .expect(200);
    drop(given);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_tls_key_that_is_not_a_key_stops_startup_naming_the_file() {
    let cert = doc_path("serving-prism-flags.yaml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_understudy"))
        .args(["serve", "--port", "0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&cert)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--tls-cert and --tls-key"), "{stderr}");
    assert!(stderr.contains("serving-prism-flags.yaml"), "{stderr}");
}
