//! The command line: every command, flag and `--help` text of `sasl`.
//!
//! The flag names of `login` are a contract (scripts depend on them); keep them.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Test and debug mail authentication: log into IMAP, SMTP and POP3 servers with every SASL
/// mechanism (PLAIN, LOGIN, SCRAM with channel binding, OAUTHBEARER, XOAUTH2, EXTERNAL,
/// PASSKEY), run a test server, hash credentials, make client certificates and passkeys,
/// and explain SASL messages.
#[derive(Debug, Parser)]
#[command(
    name = "sasl",
    version,
    propagate_version = true,
    arg_required_else_help = true
)]
#[command(
    after_help = "Start with `sasl demo`: it runs a server and logs into it with every mechanism."
)]
pub(crate) struct Cli {
    /// Colour in the output: auto (only on a terminal), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColourChoice::Auto)]
    pub(crate) colour: ColourChoice,
    /// The command.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColourChoice {
    /// Only when the output is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Start a throwaway server on loopback and log into it over IMAP and SMTP with every
    /// mechanism, including logins that must fail; print a table of the outcomes.
    #[command(
        after_help = "Examples:\n  sasl demo\n  sasl demo --json\n\nExit status: 0 when every row came out as expected, 1 otherwise."
    )]
    Demo(DemoArgs),
    /// Run an IMAP, SMTP submission and POP3 AUTH test server on the addresses given.
    #[command(
        after_help = "Examples:\n  sasl serve --imap 127.0.0.1:1143 --account alice:secret\n  sasl serve --imap 127.0.0.1:1143 --imaps 127.0.0.1:1993 --smtp 127.0.0.1:1587 \\\n             --submissions 127.0.0.1:1465 --pop3 127.0.0.1:1110 --config server.toml\n  sasl serve --imaps 127.0.0.1:1993 --cert cert.pem --key key.pem --config server.toml \\\n             --jwks jwks.json --issuer https://issuer.example --audience imap\n\nStops on Ctrl-C."
    )]
    Serve(ServeArgs),
    /// Authenticate against a server and print the exchange, decoded, secrets redacted.
    #[command(
        after_help = "Examples:\n  sasl login imaps://imap.example.com:993 --user alice\n  SASL_PASSWORD=secret sasl login imap://127.0.0.1:1143 --user alice --mech SCRAM-SHA-256-PLUS --starttls --ca-file ca.pem\n  sasl login smtps://smtp.gmail.com:465 --mech XOAUTH2 --user me@gmail.com --token-file token.txt\n  sasl login imaps://127.0.0.1:1993 --mech EXTERNAL --cert device.pem --key device.key --insecure\n  sasl login imaps://127.0.0.1:1993 --mech PASSKEY --user alice --passkey alice.passkey --ca-file ca.pem\n\nExit status: 0 authenticated (for SCRAM: and the server proved itself), 1 the server refused, 2 usage, network or TLS error."
    )]
    Login(LoginArgs),
    /// Derive stored SCRAM credentials from a password (prompt or stdin).
    #[command(
        after_help = "Examples:\n  sasl hash --mech SCRAM-SHA-256\n  echo -n secret | sasl hash --mech SCRAM-SHA-1 --format dovecot --iterations 50000\n  sasl hash --format postgres --salt-base64 c2FsdHNhbHRzYWx0"
    )]
    Hash(HashArgs),
    /// Check a password (prompt or stdin) against a stored SCRAM credential string.
    #[command(
        after_help = "Examples:\n  sasl verify 'SCRAM-SHA-256$4096:c2FsdA==$...:...'\n  echo -n secret | sasl verify --stored-file alice.scram\n\nExit status: 0 the password matches, 1 it does not, 2 the string cannot be read."
    )]
    Verify(VerifyArgs),
    /// Make a per-device TLS client certificate and key, the PKCS#12 file mail clients
    /// import, and the SPKI fingerprint the server maps to an account.
    #[command(
        after_help = "Examples:\n  sasl cert --name alice-laptop --out alice-laptop\n  sasl cert --name phone --key-type p256 --email alice@example.com --out phone --p12-password-file pw.txt"
    )]
    Cert(CertArgs),
    /// Enroll or list software-authenticator passkeys of the server config's accounts.
    #[command(subcommand)]
    Passkey(PasskeyCommand),
    /// OAuth for mail clients from the e-mail address alone: discover the provider,
    /// register, get consent once, then print fresh access tokens (for mutt, aerc,
    /// isync and friends).
    #[command(subcommand)]
    Oauth(OAuthCommand),
    /// Decode one SASL message (a `+ ...` or `334 ...` line, an AUTHENTICATE argument, or
    /// bare base64) and say what each field means.
    #[command(
        after_help = "Examples:\n  sasl decode '+ cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng=='\n  sasl decode --mech SCRAM-SHA-256 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM\n  sasl decode --mech XOAUTH2 --from server eyJzdGF0dXMiOiI0MDAifQ==\n\nExit status: 0 well-formed, 1 decoded but malformed, 2 not decodable."
    )]
    Decode(DecodeArgs),
    /// Explain a whole pasted IMAP, SMTP or POP3 transcript (stdin or a file): every SASL
    /// message decoded, with what is wrong where it is malformed.
    #[command(
        after_help = "Examples:\n  sasl explain < transcript.txt\n  sasl explain session.log\n\nExit status: 0 every message well-formed, 1 something malformed, 2 unreadable input."
    )]
    Explain(ExplainArgs),
}

/// `sasl demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also print every login's exchange.
    #[arg(long, short)]
    pub(crate) verbose: bool,
}

/// `sasl serve`.
#[derive(Debug, Args, Default)]
pub(crate) struct ServeArgs {
    /// IMAP with STARTTLS on this address (RFC 9051).
    #[arg(long, value_name = "ADDR")]
    pub(crate) imap: Vec<SocketAddr>,
    /// IMAP over implicit TLS on this address.
    #[arg(long, value_name = "ADDR")]
    pub(crate) imaps: Vec<SocketAddr>,
    /// SMTP submission with STARTTLS on this address (RFC 6409, RFC 4954).
    #[arg(long, value_name = "ADDR")]
    pub(crate) smtp: Vec<SocketAddr>,
    /// SMTP submission over implicit TLS on this address (RFC 8314).
    #[arg(long, value_name = "ADDR")]
    pub(crate) submissions: Vec<SocketAddr>,
    /// POP3 with STLS and AUTH on this address (RFC 5034).
    #[arg(long, value_name = "ADDR")]
    pub(crate) pop3: Vec<SocketAddr>,
    /// POP3 over implicit TLS on this address.
    #[arg(long, value_name = "ADDR")]
    pub(crate) pop3s: Vec<SocketAddr>,
    /// The server config (TOML): accounts with stored credentials only, certificate
    /// fingerprints, passkeys, the relying party and OAuth settings.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// A quick-test account, NAME:PASSWORD, whose credentials are derived in memory
    /// (repeatable). Never use this for real passwords: they show in `ps`.
    #[arg(long, value_name = "NAME:PASSWORD")]
    pub(crate) account: Vec<String>,
    /// The TLS certificate chain (PEM). Without `--cert`/`--key` a self-signed one is
    /// generated and its path and fingerprint printed.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub(crate) cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub(crate) key: Option<PathBuf>,
    /// CA certificates (PEM) that client certificates for EXTERNAL must chain to; without
    /// it any client certificate is accepted and mapped by its SPKI fingerprint alone.
    #[arg(long, value_name = "FILE")]
    pub(crate) client_ca: Option<PathBuf>,
    /// The JWKS (JSON) whose keys sign the bearer tokens of OAUTHBEARER and XOAUTH2.
    #[arg(long, value_name = "FILE", requires_all = ["issuer", "audience"])]
    pub(crate) jwks: Option<PathBuf>,
    /// The token issuer (`iss`) to require.
    #[arg(long, value_name = "URL")]
    pub(crate) issuer: Option<String>,
    /// The token audience (`aud`) to require (repeatable: any one of them).
    #[arg(long, value_name = "AUD")]
    pub(crate) audience: Vec<String>,
    /// The identity provider's OpenID configuration URL, sent to clients in OAUTHBEARER
    /// failures (RFC 7628 §3.2.2) so they can find where to get a token.
    #[arg(long, value_name = "URL")]
    pub(crate) openid_configuration: Option<String>,
    /// Offer PLAIN and LOGIN before TLS too (never on a real network).
    #[arg(long)]
    pub(crate) allow_plaintext: bool,
    /// The host name the server calls itself (greeting, EHLO, OAuth host check).
    #[arg(long, value_name = "NAME", default_value = "localhost")]
    pub(crate) hostname: String,
    /// The most connections served at once.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub(crate) max_connections: usize,
    /// Seconds a read may wait before the connection is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub(crate) timeout: u64,
    /// Milliseconds to wait before answering a failed authentication.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub(crate) failure_delay: u64,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    pub(crate) log_json: bool,
}

/// Channel-binding types `--cb-type` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CbType {
    /// RFC 9266, the TLS 1.3 default.
    TlsExporter,
    /// RFC 5929 §4, the server certificate's hash.
    TlsServerEndPoint,
    /// RFC 5929 §3, TLS 1.2 only.
    TlsUnique,
    /// No channel binding (never a -PLUS mechanism).
    None,
}

/// `sasl login`.
#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The server: imap, imaps, smtp, smtps, pop3 or pop3s://host, with :port when not the default.
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// The mechanism (default: the strongest both sides support).
    #[arg(long, value_name = "MECH")]
    pub(crate) mech: Option<String>,
    /// The user name (authentication identity).
    #[arg(long, value_name = "NAME")]
    pub(crate) user: Option<String>,
    /// The identity to act as, when not the user's own.
    #[arg(long, value_name = "NAME")]
    pub(crate) authzid: Option<String>,
    /// Read the password from this file (else `SASL_PASSWORD`, else a prompt).
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
    /// Read the bearer token for OAUTHBEARER/XOAUTH2 from this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) token_file: Option<PathBuf>,
    /// The TLS client certificate (PEM) for EXTERNAL.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub(crate) cert: Option<PathBuf>,
    /// The TLS client key (PEM) for EXTERNAL.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub(crate) key: Option<PathBuf>,
    /// The software-authenticator key file for PASSKEY.
    #[arg(long, value_name = "FILE")]
    pub(crate) passkey: Option<PathBuf>,
    /// Trust these CA certificates (PEM) instead of the system's.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub(crate) ca_file: Option<PathBuf>,
    /// Do not verify the server's certificate (testing only).
    #[arg(long)]
    pub(crate) insecure: bool,
    /// Upgrade a plain-text connection with STARTTLS/STLS (used anyway when the server
    /// requires it).
    #[arg(long)]
    pub(crate) starttls: bool,
    /// The channel-binding type for -PLUS mechanisms.
    #[arg(long, value_enum, value_name = "TYPE")]
    pub(crate) cb_type: Option<CbType>,
    /// Print a machine-readable result (JSON) instead of the transcript.
    #[arg(long)]
    pub(crate) json: bool,
    /// Seconds to wait for the server at each step.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub(crate) timeout: u64,
}

/// SCRAM variants `hash` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum HashMech {
    /// SCRAM-SHA-1.
    #[value(name = "SCRAM-SHA-1", alias = "sha1", alias = "scram-sha-1")]
    ScramSha1,
    /// SCRAM-SHA-256.
    #[value(name = "SCRAM-SHA-256", alias = "sha256", alias = "scram-sha-256")]
    ScramSha256,
    /// SCRAM-SHA-512.
    #[value(name = "SCRAM-SHA-512", alias = "sha512", alias = "scram-sha-512")]
    ScramSha512,
}

/// Stored-credential string formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StoredFormatArg {
    /// RFC 5803 (LDAP `authPassword`-style, `SCRAM-SHA-256$iter:salt$stored:server`).
    Rfc5803,
    /// Dovecot's `{SCRAM-SHA-256}iter,salt,stored,server`.
    Dovecot,
    /// PostgreSQL's `SCRAM-SHA-256$iter:salt$stored:server` (SCRAM-SHA-256 only).
    Postgres,
}

/// `sasl hash`.
#[derive(Debug, Args)]
pub(crate) struct HashArgs {
    /// The SCRAM variant.
    #[arg(long, value_enum, default_value_t = HashMech::ScramSha256)]
    pub(crate) mech: HashMech,
    /// The output format.
    #[arg(long, value_enum, default_value_t = StoredFormatArg::Rfc5803)]
    pub(crate) format: StoredFormatArg,
    /// PBKDF2 iterations (default: 4096, the RFC minimum for SHA-256).
    #[arg(long, value_name = "N")]
    pub(crate) iterations: Option<u32>,
    /// The salt, base64 (default: 16 random bytes).
    #[arg(long, value_name = "BASE64")]
    pub(crate) salt_base64: Option<String>,
    /// Read the password from this file instead of a prompt or stdin.
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
}

/// `sasl verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The stored credential string (any format `hash` writes).
    #[arg(value_name = "STORED", required_unless_present = "stored_file")]
    pub(crate) stored: Option<String>,
    /// Read the stored credential string from this file instead.
    #[arg(long, value_name = "FILE", conflicts_with = "stored")]
    pub(crate) stored_file: Option<PathBuf>,
    /// Read the password from this file instead of a prompt or stdin.
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
}

/// Client-certificate key types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CertKeyType {
    /// Ed25519.
    Ed25519,
    /// ECDSA on P-256 (the widest client support).
    P256,
}

/// `sasl cert`.
#[derive(Debug, Args)]
pub(crate) struct CertArgs {
    /// The certificate's common name (a device name).
    #[arg(long, value_name = "NAME")]
    pub(crate) name: String,
    /// An e-mail address to put in the certificate (subjectAltName rfc822Name).
    #[arg(long, value_name = "ADDRESS")]
    pub(crate) email: Option<String>,
    /// The key type.
    #[arg(long, value_enum, default_value_t = CertKeyType::P256)]
    pub(crate) key_type: CertKeyType,
    /// Days the certificate is valid.
    #[arg(long, value_name = "DAYS", default_value_t = 825)]
    pub(crate) days: u32,
    /// Sign with this CA certificate (PEM) instead of self-signing.
    #[arg(long, value_name = "FILE", requires = "ca_key")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// The CA's key (PEM).
    #[arg(long, value_name = "FILE", requires = "ca_cert")]
    pub(crate) ca_key: Option<PathBuf>,
    /// Output prefix: writes PREFIX.pem, PREFIX.key and PREFIX.p12.
    #[arg(long, value_name = "PREFIX")]
    pub(crate) out: PathBuf,
    /// The PKCS#12 file's password, from this file (else a prompt, else empty).
    #[arg(long, value_name = "FILE")]
    pub(crate) p12_password_file: Option<PathBuf>,
    /// Overwrite existing files.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `sasl passkey`.
#[derive(Debug, Subcommand)]
pub(crate) enum PasskeyCommand {
    /// Create a software-authenticator passkey for an account and store its public
    /// credential in the server config.
    #[command(
        after_help = "Example:\n  sasl passkey register --config server.toml --user alice --key-file alice.passkey"
    )]
    Register(PasskeyRegisterArgs),
    /// List the passkeys registered in the server config.
    #[command(after_help = "Example:\n  sasl passkey list --config server.toml")]
    List(PasskeyListArgs),
}

/// `sasl passkey register`.
#[derive(Debug, Args)]
pub(crate) struct PasskeyRegisterArgs {
    /// The server config to add the credential to (created when missing).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: PathBuf,
    /// The account.
    #[arg(long, value_name = "NAME")]
    pub(crate) user: String,
    /// The authenticator key file to write (or to add the new key to).
    #[arg(long, value_name = "FILE")]
    pub(crate) key_file: PathBuf,
    /// The key algorithm.
    #[arg(long, value_enum, default_value_t = PasskeyAlg::Es256)]
    pub(crate) alg: PasskeyAlg,
}

/// Passkey algorithms of the software authenticator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PasskeyAlg {
    /// ECDSA P-256 with SHA-256 (COSE -7).
    Es256,
    /// Ed25519 (COSE -8).
    Ed25519,
}

/// `sasl passkey list`.
#[derive(Debug, Args)]
pub(crate) struct PasskeyListArgs {
    /// The server config.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: PathBuf,
    /// Only this account's passkeys.
    #[arg(long, value_name = "NAME")]
    pub(crate) user: Option<String>,
}

/// Which side sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Side {
    /// The client sent it.
    Client,
    /// The server sent it.
    Server,
}

/// `sasl decode`.
#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// The line: `+ BASE64`, `334 BASE64`, `AUTHENTICATE MECH BASE64`, `AUTH MECH BASE64`
    /// or bare base64.
    #[arg(value_name = "LINE", num_args = 1.., required = true)]
    pub(crate) line: Vec<String>,
    /// The mechanism, when the line does not name it (else it is guessed from the content).
    #[arg(long, value_name = "MECH")]
    pub(crate) mech: Option<String>,
    /// Who sent it (else taken from the line's shape: `+`/`334` are the server's).
    #[arg(long, value_enum)]
    pub(crate) from: Option<Side>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `sasl explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The transcript file (default: stdin).
    #[arg(value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `sasl oauth`.
#[derive(Debug, Subcommand)]
pub(crate) enum OAuthCommand {
    /// Discover the account's identity provider, register with it, get the user's
    /// consent and the first token.
    #[command(
        after_help = "Examples:\n  sasl oauth login alice@example.org\n  sasl oauth login alice@example.org --flow device\n  sasl oauth login me@gmail.com --issuer https://accounts.google.com --client-id ID.apps.googleusercontent.com \\\n        --client-secret-file secret.txt --scope https://mail.google.com/ --imap imaps://imap.gmail.com --smtp smtps://smtp.gmail.com\n  sasl oauth login alice@example.org --encrypt-cmd 'gpg -e -r alice@example.org' --decrypt-cmd 'gpg -d -q'\n\nExit status: 0 logged in, 1 refused (by the provider or the user), 2 discovery, network or file error."
    )]
    Login(Box<OAuthLoginArgs>),
    /// Print a valid access token on stdout (and nothing else), refreshing it when
    /// needed: for mutt's imap_oauth_refresh_command, aerc's source-cred-cmd, isync's
    /// PassCmd.
    #[command(
        after_help = "Examples:\n  sasl oauth token alice@example.org\n  set imap_oauth_refresh_command=\"sasl oauth token alice@example.org\"   (mutt)\n\nExit status: 0 a token was printed, 1 the provider refused the refresh (run `sasl oauth login` again), 2 error."
    )]
    Token(OAuthTokenArgs),
    /// Log into the account's IMAP and SMTP servers with OAUTHBEARER and XOAUTH2 and
    /// report each result.
    #[command(
        after_help = "Example:\n  sasl oauth test alice@example.org\n\nExit status: 0 every login worked, 1 a server refused, 2 error."
    )]
    Test(OAuthTestArgs),
    /// Show what is stored for the account (never a token).
    #[command(after_help = "Example:\n  sasl oauth show alice@example.org --json")]
    Show(OAuthShowArgs),
    /// Revoke the account's tokens at the provider (RFC 7009) and delete its files.
    #[command(after_help = "Example:\n  sasl oauth forget alice@example.org")]
    Forget(OAuthForgetArgs),
}

/// The token store, shared by the `oauth` commands.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct OAuthStoreArgs {
    /// The directory of the account and token files (default: `SASL_OAUTH_DIR`, else
    /// `$XDG_DATA_HOME/sasl/oauth`, else `~/.local/share/sasl/oauth`).
    #[arg(long, value_name = "DIR")]
    pub(crate) store: Option<PathBuf>,
}

/// How `sasl oauth login` gets the user's consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum OAuthFlow {
    /// Authorization code with PKCE and a redirect to 127.0.0.1 (RFC 8252).
    #[default]
    Browser,
    /// The device authorization grant (RFC 8628): a code to enter on another device.
    Device,
    /// Authorization code, pasting the address the browser ended on (browser elsewhere).
    Paste,
}

/// `sasl oauth login`.
#[derive(Debug, Args)]
pub(crate) struct OAuthLoginArgs {
    /// The account's e-mail address.
    #[arg(value_name = "ADDRESS")]
    pub(crate) address: String,
    /// The token store.
    #[command(flatten)]
    pub(crate) store: OAuthStoreArgs,
    /// The issuer to use, instead of discovering it.
    #[arg(long, value_name = "URL")]
    pub(crate) issuer: Option<String>,
    /// The client id to use, instead of registering (or of autoconfig's).
    #[arg(long, value_name = "ID")]
    pub(crate) client_id: Option<String>,
    /// The client secret that goes with --client-id, for providers that issue one to
    /// installed applications (it is no real secret there; it shows in `ps`).
    #[arg(
        long,
        value_name = "SECRET",
        requires = "client_id",
        conflicts_with = "client_secret_file"
    )]
    pub(crate) client_secret: Option<String>,
    /// Read the client secret from this file.
    #[arg(long, value_name = "FILE", requires = "client_id")]
    pub(crate) client_secret_file: Option<PathBuf>,
    /// A scope to ask for (repeatable), instead of autoconfig's or the default
    /// `openid email offline_access`.
    #[arg(long, value_name = "SCOPE")]
    pub(crate) scope: Vec<String>,
    /// The authorization endpoint, instead of the metadata's.
    #[arg(long, value_name = "URL")]
    pub(crate) auth_url: Option<String>,
    /// The token endpoint, instead of the metadata's.
    #[arg(long, value_name = "URL")]
    pub(crate) token_url: Option<String>,
    /// The device authorization endpoint, instead of the metadata's.
    #[arg(long, value_name = "URL")]
    pub(crate) device_auth_url: Option<String>,
    /// Fetch the autoconfig document from this URL instead of the address's domain.
    #[arg(long, value_name = "URL")]
    pub(crate) autoconfig_url: Option<String>,
    /// The IMAP server, instead of autoconfig's: imaps://HOST:PORT, or imap://HOST:PORT for
    /// STARTTLS (the port may be left out).
    #[arg(long, value_name = "URL")]
    pub(crate) imap: Option<String>,
    /// The SMTP submission server, instead of autoconfig's: smtps://HOST:PORT, or
    /// smtp://HOST:PORT for STARTTLS (the port may be left out).
    #[arg(long, value_name = "URL")]
    pub(crate) smtp: Option<String>,
    /// How to get the user's consent.
    #[arg(long, value_enum, default_value_t = OAuthFlow::Browser)]
    pub(crate) flow: OAuthFlow,
    /// Print the sign-in address only; do not try to open a browser.
    #[arg(long)]
    pub(crate) no_browser: bool,
    /// The port of the loopback redirect listener (default: any free port).
    #[arg(long, value_name = "PORT")]
    pub(crate) port: Option<u16>,
    /// Do not register dynamically, even if the provider allows it.
    #[arg(long)]
    pub(crate) no_register: bool,
    /// Encrypt the token file with this command (stdin to stdout), e.g. `gpg -e -r KEY`.
    #[arg(long, value_name = "COMMAND", requires = "decrypt_cmd")]
    pub(crate) encrypt_cmd: Option<String>,
    /// Decrypt the token file with this command, e.g. `gpg -d -q`.
    #[arg(long, value_name = "COMMAND", requires = "encrypt_cmd")]
    pub(crate) decrypt_cmd: Option<String>,
    /// CA certificates (PEM) to trust for the provider's and the mail servers' TLS,
    /// instead of the system's.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_file: Option<PathBuf>,
    /// Allow plain `http://` to 127.0.0.1 and localhost (a local test provider only).
    #[arg(long)]
    pub(crate) allow_http_loopback: bool,
    /// Seconds to wait for the user's consent.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub(crate) timeout: u64,
}

/// `sasl oauth token`.
#[derive(Debug, Args)]
pub(crate) struct OAuthTokenArgs {
    /// The account's e-mail address.
    #[arg(value_name = "ADDRESS")]
    pub(crate) address: String,
    /// The token store.
    #[command(flatten)]
    pub(crate) store: OAuthStoreArgs,
    /// Refresh when the token expires in less than this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub(crate) min_validity: u64,
}

/// `sasl oauth test`.
#[derive(Debug, Args)]
pub(crate) struct OAuthTestArgs {
    /// The account's e-mail address.
    #[arg(value_name = "ADDRESS")]
    pub(crate) address: String,
    /// The token store.
    #[command(flatten)]
    pub(crate) store: OAuthStoreArgs,
    /// The IMAP server, instead of the stored one.
    #[arg(long, value_name = "URL")]
    pub(crate) imap: Option<String>,
    /// The SMTP submission server, instead of the stored one.
    #[arg(long, value_name = "URL")]
    pub(crate) smtp: Option<String>,
    /// CA certificates (PEM) to trust for the mail servers, instead of the stored
    /// choice (the login's --ca-file, else the system's).
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_file: Option<PathBuf>,
    /// Print the results as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `sasl oauth show`.
#[derive(Debug, Args)]
pub(crate) struct OAuthShowArgs {
    /// The account's e-mail address.
    #[arg(value_name = "ADDRESS")]
    pub(crate) address: String,
    /// The token store.
    #[command(flatten)]
    pub(crate) store: OAuthStoreArgs,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `sasl oauth forget`.
#[derive(Debug, Args)]
pub(crate) struct OAuthForgetArgs {
    /// The account's e-mail address.
    #[arg(value_name = "ADDRESS")]
    pub(crate) address: String,
    /// The token store.
    #[command(flatten)]
    pub(crate) store: OAuthStoreArgs,
    /// Delete the files without revoking the tokens at the provider.
    #[arg(long)]
    pub(crate) no_revoke: bool,
}
