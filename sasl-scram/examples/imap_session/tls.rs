//! A real TLS 1.3 connection, handshaken in memory with rustls (test certificates from
//! `sasl-core/tests/data/certs`), and each side's `ConnectionInfo` with the channel
//! bindings it reads from its own end.

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use sasl_core::ConnectionInfo;
use sasl_core::channel_binding::{from_rustls_client, from_rustls_server};
use std::path::Path;
use std::sync::Arc;

/// A real TLS 1.3 connection, handshaken in memory, and each side's `ConnectionInfo`
/// with the channel bindings it reads from its own end.
pub(crate) fn connection_pair() -> (ConnectionInfo, ConnectionInfo) {
    let certs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sasl-core/tests/data/certs");
    let read = |name: &str| std::fs::read(certs.join(name)).unwrap();
    let (ca, leaf, key) = (
        read("tls-ca.der"),
        read("tls-leaf.der"),
        read("tls-leaf.key.der"),
    );
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(ca)).unwrap();
    let client_config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server_config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
    let mut client = ClientConnection::new(
        Arc::new(client_config),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut server = ServerConnection::new(Arc::new(server_config)).unwrap();
    while client.is_handshaking() || server.is_handshaking() {
        let mut buf = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut buf).unwrap();
        }
        let mut rest = &buf[..];
        while !rest.is_empty() {
            server.read_tls(&mut rest).unwrap();
            server.process_new_packets().unwrap();
        }
        let mut buf = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut buf).unwrap();
        }
        let mut rest = &buf[..];
        while !rest.is_empty() {
            client.read_tls(&mut rest).unwrap();
            client.process_new_packets().unwrap();
        }
    }
    let client_info =
        ConnectionInfo::tls().with_channel_bindings(from_rustls_client(&client).unwrap());
    let server_info =
        ConnectionInfo::tls().with_channel_bindings(from_rustls_server(&server, &leaf).unwrap());
    (client_info, server_info)
}
