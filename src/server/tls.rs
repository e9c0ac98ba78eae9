//! HTTPS: the rustls settings a TLS listener serves with (`--tls-cert`/`--tls-key`, or a
//! certificate for localhost made at start with `--tls-self-signed`).
//!
//! Implementation rationale: rustls with the ring provider, as the proxy's client uses (no
//! cmake or nasm to build). ALPN offers `http/1.1` only: the edge is hyper's HTTP/1 server,
//! and HTTP/2 would bring a second server and its own limits for little a mock needs. The
//! handshake happens in the connection's task, bounded by the header timeout, so a client
//! that opens a connection and never speaks holds only its own task.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The names a self-signed certificate is made for.
pub const SELF_SIGNED_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// Why HTTPS cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{0}: no PEM certificate (`-----BEGIN CERTIFICATE-----`) in it")]
    NoCertificate(PathBuf),
    #[error("the certificate and key cannot be served: {0}")]
    Rejected(String),
    #[error("cannot make a self-signed certificate: {0}")]
    SelfSigned(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A certificate made at start, written where clients can read it.
#[derive(Debug)]
pub struct SelfSigned {
    pub config: Arc<rustls::ServerConfig>,
    /// The certificate (PEM): what a client trusts.
    pub cert: PathBuf,
    /// Its private key (PEM, PKCS#8).
    pub key: PathBuf,
}

/// The settings for the certificate chain and key in `cert` and `key` (PEM files).
pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let unreadable = |path: &Path| {
        let path = path.to_owned();
        move |e: rustls_pki_types::pem::Error| TlsError::Unreadable {
            path,
            reason: e.to_string(),
        }
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(unreadable(cert))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable(cert))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert.to_owned()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(unreadable(key))?;
    server_config(chain, key)
}

/// A certificate for [`SELF_SIGNED_NAMES`], made now; `cert.pem` and `key.pem` are written to
/// `dir`, or to a new folder under the system's temporary folder.
pub fn self_signed(dir: Option<&Path>) -> Result<SelfSigned, TlsError> {
    let names: Vec<String> = SELF_SIGNED_NAMES.iter().map(|n| (*n).to_owned()).collect();
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| TlsError::SelfSigned(e.to_string()))?;
    let dir = match dir {
        Some(dir) => dir.to_owned(),
        None => std::env::temp_dir().join(format!("understudy-tls-{}", std::process::id())),
    };
    let write = |path: PathBuf, text: &str, private: bool| {
        std::fs::create_dir_all(&dir)
            .and_then(|()| create(&path, private))
            .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()))
            .map(|()| path.clone())
            .map_err(|source| TlsError::Write { path, source })
    };
    let key = write(dir.join("key.pem"), &made.key_pair.serialize_pem(), true)?;
    let cert = write(dir.join("cert.pem"), &made.cert.pem(), false)?;
    let der = PrivateKeyDer::Pkcs8(made.key_pair.serialize_der().into());
    let config = server_config(vec![made.cert.der().clone()], der)?;
    Ok(SelfSigned { config, cert, key })
}

/// The file at `path`, emptied; a `private` one (the key) readable by its owner only from
/// its creation: a mock's key guards nothing of worth, but other users of the machine have
/// no business reading it either.
fn create(path: &Path, private: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // A key file left by an earlier run keeps its mode when reopened: set it again.
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        return Ok(file);
    }
    #[cfg(not(unix))]
    let _ = private;
    options.open(path)
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    // rustls 0.23.48 deprecates its ring provider for lacking post-quantum key exchange; its
    // alternative, aws-lc-rs, needs cmake and nasm to build, which this crate must not.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rejected(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Rejected(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_is_written_where_asked_its_key_private_and_read_back_as_pem() {
        let dir = std::env::temp_dir().join(format!("understudy-tls-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let made = self_signed(Some(&dir)).expect("a certificate");
        assert_eq!(made.cert, dir.join("cert.pem"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&made.key)
                .expect("the key")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "the key is its owner's only");
        }
        assert!(from_pem_files(&made.cert, &made.key).is_ok());
        let e = from_pem_files(&made.key, &made.key).expect_err("a key is no certificate");
        assert!(e.to_string().contains("key.pem"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
