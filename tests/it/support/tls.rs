//! A certificate authority made for one test, and the TLS settings of a receiver whose
//! certificate it signed: the delivery client's HTTPS path, tested for real on loopback.
#![allow(dead_code)]

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::sync::{Arc, Mutex};

/// A test CA: its certificate (PEM, for `--extra-ca-file`) and what it signs with.
pub struct TestCa {
    pub pem: String,
    certificate: rcgen::Certificate,
    key: KeyPair,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let certificate = params.self_signed(&key).unwrap();
        TestCa {
            pem: certificate.pem(),
            certificate,
            key,
        }
    }

    /// The server side of TLS with a certificate this CA signed for `host`, offered to every
    /// client; the server names the clients sent (SNI) are kept.
    pub fn server_config(&self, host: &str) -> (rustls::ServerConfig, ServerNames) {
        let params = CertificateParams::new(vec![host.to_string()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = params
            .signed_by(&key, &self.certificate, &self.key)
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let signing_key = provider
            .key_provider
            .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                key.serialize_der(),
            )))
            .unwrap();
        let chain = vec![
            CertificateDer::from(leaf.der().to_vec()),
            CertificateDer::from(self.certificate.der().to_vec()),
        ];
        let names = ServerNames::default();
        let resolver = Recording {
            key: Arc::new(CertifiedKey::new(chain, signing_key)),
            names: names.clone(),
        };
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(resolver));
        (config, names)
    }
}

/// The SNI names clients sent (`None` for a client that sent none).
#[derive(Clone, Debug, Default)]
pub struct ServerNames(Arc<Mutex<Vec<Option<String>>>>);

impl ServerNames {
    pub fn seen(&self) -> Vec<Option<String>> {
        self.0.lock().unwrap().clone()
    }
}

#[derive(Debug)]
struct Recording {
    key: Arc<CertifiedKey>,
    names: ServerNames,
}

impl ResolvesServerCert for Recording {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name().map(str::to_string);
        self.names.0.lock().unwrap().push(name);
        Some(self.key.clone())
    }
}
