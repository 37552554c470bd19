//! TLS for registries: the roots a registry is checked against, client
//! certificates, and a connector that speaks rustls with our own
//! certificate verifier.
//!
//! Roots are the system's bundle (`SSL_CERT_FILE`, else the usual
//! places), or the bundled Mozilla roots where the system has none, plus
//! the `*.crt` files of the registry's certificate directory. A trusted
//! certificate that the registry itself presents is accepted as it is,
//! even when it says CA:TRUE (what `openssl req -x509` makes by default),
//! as Go does: it must still be in its validity period and name the host.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, StreamOwned};
use ureq::unversioned::transport::{
    time, Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};

/// How long a TLS handshake may take (as Go's HTTP transport allows).
const TLS_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

use super::RegistryOptions;
use crate::error::{Error, Result};

/// System CA bundles, first found wins (the places Go looks on Linux).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The certificate directories looked in for `host`, most specific first.
fn cert_dirs(host: &str, opts: &RegistryOptions) -> Vec<PathBuf> {
    if let Some(d) = &opts.cert_dir {
        return vec![d.clone()];
    }
    let mut v = vec![
        Path::new("/etc/containers/certs.d").join(host),
        Path::new("/etc/docker/certs.d").join(host),
    ];
    if let Some(h) = crate::fsutil::home_dir() {
        v.insert(
            0,
            Path::new(&h).join(".config/containers/certs.d").join(host),
        );
    }
    v
}

fn read_settings(p: &Path) -> std::io::Result<Vec<u8>> {
    crate::fsutil::read_settings_file(p, crate::fsutil::SETTINGS_MAX)
}

fn read(p: &Path) -> Result<Vec<u8>> {
    crate::fsutil::read_settings_file(p, crate::fsutil::SETTINGS_MAX)
        .map_err(|e| Error::from(e).context(p.display().to_string()))
}

fn pem_certs(pem: &[u8]) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem)
        .filter_map(|c| c.ok())
        .collect()
}

/// What the certificate directories hold: CA files and a client
/// certificate with its key.
#[derive(Default)]
struct CertDir {
    cas: Vec<CertificateDer<'static>>,
    /// Each `NAME.cert` with its key, by name.
    clients: Vec<(
        PathBuf,
        Vec<CertificateDer<'static>>,
        PrivateKeyDer<'static>,
    )>,
}

/// The first of `dirs` that exists, as other container tools read them.
fn read_cert_dirs(dirs: &[PathBuf]) -> Result<CertDir> {
    let mut out = CertDir::default();
    if let Some(dir) = dirs.iter().find(|d| d.is_dir()) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Error::from(e).context(format!("cert dir {}", dir.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".crt") {
                out.cas.extend(pem_certs(&read(&p)?));
            } else if let Some(stem) = name.strip_suffix(".cert") {
                let key = p.with_file_name(format!("{stem}.key"));
                let chain = pem_certs(&read(&p)?);
                let kpem = read_settings(&key).map_err(|e| {
                    Error::from(e).context(format!(
                        "client certificate {} needs its key {}",
                        p.display(),
                        key.display()
                    ))
                })?;
                let k = PrivateKeyDer::from_pem_slice(&kpem)
                    .map_err(|e| Error::new(format!("client key {}: {e}", key.display())))?;
                out.clients.push((p.clone(), chain, k));
            } else if let Some(stem) = name.strip_suffix(".key") {
                let cert = p.with_file_name(format!("{stem}.cert"));
                if !cert.exists() {
                    return Err(Error::new(format!(
                        "client key {} has no certificate {} beside it",
                        p.display(),
                        cert.display()
                    )));
                }
            }
        }
    }
    Ok(out)
}

/// The system's roots as Go reads them: a file (`SSL_CERT_FILE`, else
/// the system bundle) and directories (`SSL_CERT_DIR`, colon-separated;
/// by default the system's certificate directory, which holds what its
/// bundle holds, so the bundle stands for it). None if there are none.
fn system_roots() -> Vec<CertificateDer<'static>> {
    let bundle = || SYSTEM_BUNDLES.iter().find_map(|f| std::fs::read(f).ok());
    let file = std::env::var_os("SSL_CERT_FILE");
    let mut roots = match &file {
        Some(f) => std::fs::read(f)
            .map(|pem| pem_certs(&pem))
            .unwrap_or_default(),
        None => bundle().map(|pem| pem_certs(&pem)).unwrap_or_default(),
    };
    match std::env::var_os("SSL_CERT_DIR") {
        Some(dirs) => {
            for dir in std::env::split_paths(&dirs) {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for e in entries.flatten() {
                    if let Ok(pem) = read_settings(&e.path()) {
                        roots.extend(pem_certs(&pem));
                    }
                }
            }
        }
        None if file.is_some() => {
            roots.extend(bundle().map(|pem| pem_certs(&pem)).unwrap_or_default())
        }
        None => {}
    }
    roots
}

/// `--tls-details FILE` (containers-tls-details.yaml(5), as skopeo takes
/// it): what every registry connection, and the Docker Engine's over
/// TLS, may use, narrower than lade's defaults. Names lade's TLS does not implement (Go's CBC and RC4
/// suites, secp521r1, X25519MLKEM768) are taken and not offered.
#[derive(Debug, Default)]
pub struct TlsDetails {
    /// minVersion "1.3": TLS 1.3 alone (lade offers nothing below 1.2).
    tls13_only: bool,
    /// cipherSuites: the IANA numbers allowed.
    suites: Option<Vec<u16>>,
    /// namedGroups: the IANA numbers allowed.
    groups: Option<Vec<u16>>,
}

static DETAILS: std::sync::OnceLock<TlsDetails> = std::sync::OnceLock::new();

/// The cipher suites the IANA registry names and Go knows, by name.
const SUITES: &[(&str, u16)] = &[
    ("TLS_AES_128_GCM_SHA256", 0x1301),
    ("TLS_AES_256_GCM_SHA384", 0x1302),
    ("TLS_CHACHA20_POLY1305_SHA256", 0x1303),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c),
    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f),
    ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030),
    ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca8),
    ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca9),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc00a),
    ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013),
    ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc014),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xc023),
    ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xc027),
    ("TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", 0xc007),
    ("TLS_ECDHE_RSA_WITH_RC4_128_SHA", 0xc011),
    ("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", 0xc012),
    ("TLS_RSA_WITH_RC4_128_SHA", 0x0005),
    ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", 0x000a),
    ("TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f),
    ("TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035),
    ("TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003c),
    ("TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009c),
    ("TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d),
];

/// The named groups, by their IANA names.
const GROUPS: &[(&str, u16)] = &[
    ("secp256r1", 23),
    ("secp384r1", 24),
    ("secp521r1", 25),
    ("x25519", 29),
    ("X25519MLKEM768", 0x11ec),
];

/// Read `--tls-details FILE`: a bad one is an error naming it and what
/// is wrong, before anything is done.
pub fn use_tls_details(path: &Path) -> Result<()> {
    let shown = format!("--tls-details {}", path.display());
    let text = crate::fsutil::read_settings_file(path, 1 << 20)
        .map_err(|e| Error::from(e).context(&shown))?;
    let text = String::from_utf8(text).map_err(|_| Error::new(format!("{shown}: not UTF-8")))?;
    let d = parse_tls_details(&text).map_err(|e| e.context(&shown))?;
    let _ = DETAILS.set(d);
    Ok(())
}

fn parse_tls_details(text: &str) -> Result<TlsDetails> {
    use yaml_rust2::{Yaml, YamlLoader};
    let docs = YamlLoader::load_from_str(text)
        .map_err(|e| Error::new(format!("line {}: {}", e.marker().line(), e.info())))?;
    let mut d = TlsDetails::default();
    let root = match docs.as_slice() {
        [] | [Yaml::Null] => return Ok(d),
        [Yaml::Hash(h)] => h,
        [_] => return Err(Error::new("not a mapping of settings")),
        _ => return Err(Error::new("more than one document")),
    };
    // A value as written.
    let shown = |v: &Yaml| match v {
        Yaml::String(s) | Yaml::Real(s) => format!("{s:?}"),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Array(_) => "a list".into(),
        Yaml::Hash(_) => "a mapping".into(),
        _ => "null".into(),
    };
    // A list of names, each looked up in `table`; those lade's TLS
    // implements (per `has`) are kept.
    let names = |key: &str, v: &Yaml, table: &[(&str, u16)], has: &dyn Fn(u16) -> bool| {
        let Yaml::Array(items) = v else {
            return Err(Error::new(format!("{key} must be a list of names")));
        };
        if items.is_empty() {
            return Err(Error::new(format!(
                "{key} is empty: no connection could be made"
            )));
        }
        let mut kept = Vec::new();
        for item in items {
            let Some(name) = item.as_str() else {
                return Err(Error::new(format!("{key}: {} is not a name", shown(item))));
            };
            let Some(&(_, id)) = table.iter().find(|(n, _)| *n == name) else {
                return Err(Error::new(format!("{key}: unknown name {name:?}")));
            };
            if has(id) {
                kept.push(id);
            }
        }
        if kept.is_empty() {
            let mut ours: Vec<&str> = table
                .iter()
                .filter(|(_, id)| has(*id))
                .map(|(n, _)| *n)
                .collect();
            ours.sort_unstable();
            return Err(Error::new(format!(
                "{key}: none of them is one lade's TLS implements ({})",
                ours.join(", ")
            )));
        }
        Ok(Some(kept))
    };
    let ring = rustls::crypto::ring::default_provider();
    for (k, v) in root {
        let key = k.as_str().unwrap_or_default();
        match key {
            "minVersion" => {
                let version = match v {
                    Yaml::String(s) | Yaml::Real(s) => s.as_str(),
                    Yaml::Null => continue,
                    _ => "",
                };
                d.tls13_only = match version {
                    "1.0" | "1.1" | "1.2" => false,
                    "1.3" => true,
                    _ => {
                        return Err(Error::new(format!(
                            "minVersion: {} is no TLS version (1.0, 1.1, 1.2, 1.3)",
                            shown(v)
                        )))
                    }
                };
            }
            "cipherSuites" => {
                let has = |id: u16| {
                    ring.cipher_suites
                        .iter()
                        .any(|s| u16::from(s.suite()) == id)
                };
                d.suites = names(key, v, SUITES, &has)?;
            }
            "namedGroups" => {
                let has = |id: u16| ring.kx_groups.iter().any(|g| u16::from(g.name()) == id);
                d.groups = names(key, v, GROUPS, &has)?;
            }
            _ => {
                return Err(Error::new(format!(
                    "unknown setting {} (minVersion, cipherSuites, namedGroups)",
                    shown(k)
                )))
            }
        }
    }
    // (TLS 1.3's suites are 0x13XX.)
    if d.tls13_only
        && d.suites
            .as_ref()
            .is_some_and(|s| s.iter().all(|id| id >> 8 != 0x13))
    {
        return Err(Error::new(
            "minVersion 1.3 with cipherSuites of TLS 1.2 alone: nothing is left to offer",
        ));
    }
    Ok(d)
}

/// lade's TLS, narrowed by `--tls-details`. minVersion 1.3 is the TLS
/// 1.3 suites alone: rustls offers a version only with suites for it, so
/// every client built on this provider (the registries', and ureq's for
/// the Docker Engine) offers 1.3 alone.
fn provider() -> Arc<CryptoProvider> {
    let mut p = rustls::crypto::ring::default_provider();
    if let Some(d) = DETAILS.get() {
        if let Some(s) = &d.suites {
            p.cipher_suites
                .retain(|c| s.contains(&u16::from(c.suite())));
        }
        if d.tls13_only {
            p.cipher_suites
                .retain(|c| c.version() == &rustls::version::TLS13);
        }
        if let Some(g) = &d.groups {
            p.kx_groups.retain(|k| g.contains(&u16::from(k.name())));
        }
    }
    Arc::new(p)
}

/// The provider for a TLS client of another make (ureq's, which reaches
/// the Docker Engine) when `--tls-details` narrows it; None without the
/// file: that client's defaults stand.
pub fn narrowed_provider() -> Option<Arc<CryptoProvider>> {
    DETAILS.get().map(|_| provider())
}

/// The rustls connector for `host`: verification against the roots and
/// the certificate directory, or none with `insecure`.
pub fn connector(host: &str, opts: &RegistryOptions, insecure: bool) -> Result<TlsConnector> {
    let dir = read_cert_dirs(&cert_dirs(host, opts))?;
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| match DETAILS.get() {
            Some(_) => Error::new(format!("TLS: {e} (with the --tls-details given)")),
            None => Error::new(format!("TLS: {e}")),
        })?;
    let verifier = if insecure {
        Verifier {
            inner: None,
            trusted: Vec::new(),
            provider: provider.clone(),
        }
    } else {
        let mut roots = RootCertStore::empty();
        let mut trusted = system_roots();
        if trusted.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        trusted.extend(dir.cas);
        roots.add_parsable_certificates(trusted.iter().cloned());
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| Error::new(format!("TLS roots: {e}")))?;
        Verifier {
            inner: Some(inner),
            trusted,
            provider: provider.clone(),
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let config = if dir.clients.is_empty() {
        builder.with_no_client_auth()
    } else {
        let mut certs = Vec::new();
        for (path, chain, key) in dir.clients {
            let issuers = chain
                .iter()
                .filter_map(|c| cert_issuer(c))
                .map(rustls::DistinguishedName::in_sequence)
                .collect();
            let bad = |e: rustls::Error| {
                Error::new(format!("client certificate {}: {e}", path.display()))
            };
            let key = CertifiedKey::new(
                chain,
                provider.key_provider.load_private_key(key).map_err(bad)?,
            );
            // A key that is not the certificate's is refused. A certificate
            // the check cannot read (X.509 v1, which Go takes) is used as is.
            if let Err(e @ rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) =
                key.keys_match()
            {
                return Err(bad(e));
            }
            certs.push((Arc::new(key), issuers));
        }
        builder.with_client_cert_resolver(Arc::new(ClientCerts(certs)))
    };
    Ok(TlsConnector {
        config: Arc::new(config),
    })
}

/// The usual verification, and beside it: a certificate the registry
/// presents that is itself one of the trusted ones (system or directory).
///
/// Without `inner` (`--tls-verify=false`): any certificate. Either way the
/// handshake must be signed by the key the certificate names.
#[derive(Debug)]
struct Verifier {
    inner: Option<Arc<WebPkiServerVerifier>>,
    trusted: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
}

impl Verifier {
    /// `cert`, one of ours, as a trust anchor for itself: in date and for
    /// `name`. Being a CA, or signed by another, is no reason to refuse it
    /// here: path checks run the certificate's own checks (dates, then
    /// CA-ness, then key usage) before they look for an issuer, so
    /// "unknown issuer" means all passed, and "CA used as end entity"
    /// that the dates did.
    fn trusted_as_is(
        &self,
        cert: &CertificateDer<'_>,
        name: &ServerName<'_>,
        now: UnixTime,
    ) -> std::result::Result<(), webpki::Error> {
        let ee = webpki::EndEntityCert::try_from(cert)?;
        let anchor = [webpki::anchor_from_trusted_cert(cert)?];
        match ee.verify_for_usage(
            self.provider.signature_verification_algorithms.all,
            &anchor,
            &[],
            now,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        ) {
            Ok(_) | Err(webpki::Error::CaUsedAsEndEntity) | Err(webpki::Error::UnknownIssuer) => {}
            Err(e) => return Err(e),
        }
        ee.verify_is_valid_for_subject_name(name)
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(inner) = &self.inner else {
            return Ok(ServerCertVerified::assertion());
        };
        let err = match inner.verify_server_cert(end_entity, intermediates, name, ocsp, now) {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if !self
            .trusted
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            // A self-signed certificate made with openssl's defaults is
            // CA:TRUE, which is not what is wrong with it here.
            if format!("{err:?}").contains("CaUsedAsEndEntity") {
                return Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer,
                ));
            }
            return Err(err);
        }
        match self.trusted_as_is(end_entity, name, now) {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(webpki::Error::CertNotValidForName(c)) => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext {
                    expected: c.expected,
                    presented: c.presented,
                },
            )),
            Err(webpki::Error::CertExpired { time, not_after }) => {
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::ExpiredContext { time, not_after },
                ))
            }
            Err(webpki::Error::CertNotValidYet { time, not_before }) => {
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidYetContext { time, not_before },
                ))
            }
            Err(_) => Err(err),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The issuer of a DER certificate: the contents of the `issuer` Name of
/// its TBSCertificate (version `[0]` if there, serial number, signature
/// algorithm, then issuer). Read here, not by a path validator, so that
/// X.509 v1 certificates have one too.
fn cert_issuer(cert: &[u8]) -> Option<&[u8]> {
    /// One DER element at the start of `b`: (tag, contents, rest).
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, b) = b.split_first()?;
        let (&first, mut b) = b.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || b.len() < n {
                return None;
            }
            let len = b[..n]
                .iter()
                .fold(0usize, |a, &x| (a << 8) | usize::from(x));
            b = &b[n..];
            len
        };
        (b.len() >= len).then(|| (tag, &b[..len], &b[len..]))
    }
    const SEQUENCE: u8 = 0x30;
    let (SEQUENCE, cert, _) = tlv(cert)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = tlv(cert)? else {
        return None;
    };
    let (tag, _, mut rest) = tlv(tbs)?;
    if tag == 0xa0 {
        rest = tlv(rest)?.2; // the version, then the serial number
    }
    let (_, _, rest) = tlv(rest)?; // the signature algorithm
    match tlv(rest)? {
        (SEQUENCE, issuer, _) => Some(issuer),
        _ => None,
    }
}

/// The client certificates of a cert dir, each with the issuers of its
/// chain: the one sent is the first whose chain a CA the server names
/// issued, as Go picks (the first, where the server names none; none,
/// where it names only others).
#[derive(Debug)]
struct ClientCerts(Vec<(Arc<CertifiedKey>, Vec<rustls::DistinguishedName>)>);

impl ResolvesClientCert for ClientCerts {
    fn resolve(
        &self,
        hints: &[&[u8]],
        _schemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        let pick = if hints.is_empty() {
            self.0.first()
        } else {
            self.0
                .iter()
                .find(|(_, issuers)| issuers.iter().any(|i| hints.contains(&i.as_ref())))
        };
        pick.map(|(k, _)| k.clone())
    }

    fn has_certs(&self) -> bool {
        !self.0.is_empty()
    }
}

/// Wraps an https connection in TLS with our configuration; plain HTTP
/// passes through.
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector").finish()
    }
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> std::result::Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details
            .uri
            .host()
            .ok_or(ureq::Error::Tls("no host name for TLS"))?;
        // An IPv6 literal comes bracketed in the URI.
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host)
            .map_err(|_| ureq::Error::Tls("not a host name for TLS"))?
            .to_owned();
        let mut conn = ClientConnection::new(self.config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        // The handshake has its own limit, inside the connection's: a
        // server that takes the connection but never answers TLS (plain
        // HTTP waiting for a request line) is given up on soon.
        let mut timeout = details.timeout;
        let limit = time::Duration::Exact(TLS_HANDSHAKE_TIMEOUT);
        let capped = limit < timeout.after;
        if capped {
            timeout.after = limit;
        }
        sock.set_timeout(timeout);
        conn.complete_io(&mut sock).map_err(|e| {
            let timed_out = e.kind() == std::io::ErrorKind::TimedOut
                || e.get_ref()
                    .and_then(|i| i.downcast_ref::<ureq::Error>())
                    .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)));
            if capped && timed_out {
                ureq::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "no TLS answer in {} s (if it speaks plain HTTP, use --tls-verify=false)",
                        TLS_HANDSHAKE_TIMEOUT.as_secs()
                    ),
                ))
            } else {
                e.into()
            }
        })?;
        Ok(Some(Either::B(TlsTransport {
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            stream: StreamOwned { conn, sock },
        })))
    }
}

pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsTransport").finish()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(
        &mut self,
        amount: usize,
        timeout: NextTimeout,
    ) -> std::result::Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let out = &self.buffers.output()[..amount];
        self.stream.write_all(out)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> std::result::Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let n = self.stream.read(input)?;
        self.buffers.input_appended(n);
        Ok(n > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}
