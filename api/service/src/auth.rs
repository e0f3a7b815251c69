//! Who a caller is: bearer JWTs (docs/api.md "Authentication").
//!
//! A [`Verifier`] turns an `Authorization` header into a [`Viewer`] or an
//! [`AuthError`]. It is pinned to exactly one algorithm, the one its key is for
//! (HS256 with a shared secret, RS256 or ES256 with a public key), requires a
//! valid signature, `exp`, `iss` and `aud`, and honours `nbf` when present (30 s
//! leeway on both times). A token that passes says who the caller is, never more:
//! the scope rules of docs/api.md are checked here, so a `Viewer` always has the scope
//! its role needs.
//!
//! A [`Minter`] signs HS256 development tokens (`partnermatch token`); without a
//! configured secret, it and `serve --demo` share [`dev_secret`], a random secret
//! kept in the data directory.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use store::records::Role;

/// The `iss` of tokens, unless `PARTNERMATCH_JWT_ISSUER` says otherwise.
pub const DEFAULT_ISSUER: &str = "partnermatch";
/// The `aud` of tokens, unless `PARTNERMATCH_JWT_AUDIENCE` says otherwise.
pub const DEFAULT_AUDIENCE: &str = "partnermatch-api";
/// A HS256 secret shorter than this is refused: HMAC-SHA256 is only as strong as
/// its key, and RFC 7518 §3.2 asks for at least the hash size.
pub const MIN_SECRET_BYTES: usize = 32;
/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;
/// The longest lifetime a development token may have.
pub const MAX_TTL: Duration = Duration::from_secs(30 * DAY_SECONDS);
/// The development secret's file name inside the data directory.
pub const DEV_SECRET_FILE: &str = "dev-jwt-secret";

/// Tokens longer than this are refused unread: a header is attacker-controlled
/// input, and real tokens are a few hundred bytes.
const MAX_TOKEN_BYTES: usize = 8 * 1024;
const DAY_SECONDS: u64 = 24 * 60 * 60;
/// Random bytes in a new development secret (stored as 96 hex digits).
const DEV_SECRET_RANDOM_BYTES: usize = 48;

/// The claims of a token this service mints. Verification reads tokens from
/// other issuers too, so it does not insist on this exact shape (an `aud` may be a
/// list, `iat` may be absent); it returns a [`Viewer`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who the token is for, e.g. `dev:counselor:sch-1`.
    pub sub: String,
    /// Serialized as its upper-case name (`COUNSELOR`).
    #[serde(with = "role_name")]
    pub role: Role,
    /// School id (COUNSELOR), partner id (PARTNER) or student id (STUDENT); absent
    /// for ADMIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[allow(missing_docs)]
    pub iss: String,
    #[allow(missing_docs)]
    pub aud: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issue time, seconds since the Unix epoch.
    pub iat: u64,
}

/// Who a valid token says the caller is. The scope always fits the role: none for
/// ADMIN, the school id for COUNSELOR, the partner id for PARTNER, the student id
/// for STUDENT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    /// The token's `sub`.
    pub subject: String,
    #[allow(missing_docs)]
    pub role: Role,
    #[allow(missing_docs)]
    pub scope: Option<String>,
}

/// Why authentication could not go ahead. A refused bearer token means
/// UNAUTHENTICATED to a caller (the distinction is for logs and tests); keys or
/// secrets that cannot be set up are a configuration error (the service refuses to
/// start); a development token that cannot be minted is the `token` command's. No
/// message repeats a token, a secret or a claim's value.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    // A bearer token refused.
    /// No `Authorization` header, or `Bearer` with nothing after it.
    #[error("no bearer token")]
    Missing,
    /// The header names another scheme than `Bearer`.
    #[error("the Authorization header is not a Bearer token")]
    WrongScheme,
    /// Not three base64url parts with a JSON header and claims.
    #[error("the token is not a well-formed JWT")]
    Malformed,
    /// The header names another algorithm than the one configured (`none` included).
    #[error("the token's algorithm is not the one this service accepts")]
    WrongAlgorithm,
    /// The signature does not match the header and claims.
    #[error("the token's signature is not valid")]
    BadSignature,
    /// `exp` is more than the leeway in the past.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is more than the leeway in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` is not the configured issuer.
    #[error("the token's issuer is not accepted")]
    WrongIssuer,
    /// `aud` does not name this service.
    #[error("the token is not meant for this service")]
    WrongAudience,
    /// A required claim (`exp`, `iss` or `aud`) is absent.
    #[error("the token has no {0} claim")]
    MissingClaim(String),
    /// The claims break a rule: no subject, an unknown role, a scope that does not
    /// fit the role, a claim of the wrong type.
    #[error("the token's claims are not valid: {0}")]
    BadClaims(String),

    // Keys and secrets that cannot be set up.
    /// A HS256 secret shorter than [`MIN_SECRET_BYTES`].
    #[error("the HS256 secret has {length} bytes; at least {MIN_SECRET_BYTES} are required")]
    ShortSecret {
        /// Its length in bytes.
        length: usize,
    },
    /// A key or secret file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The development secret could not be created.
    #[error("cannot create {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file that does not hold a public key of the configured algorithm.
    #[error("{origin} is not a {algorithm} public key in PEM: {reason}")]
    InvalidPem {
        /// The file, or "the key" when given as bytes.
        origin: String,
        /// RS256 or ES256.
        algorithm: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },

    // A development token that cannot be minted.
    /// The scope does not fit the role (docs/api.md "Authentication").
    #[error("{0}")]
    Scope(String),
    /// A lifetime of zero or beyond [`MAX_TTL`].
    #[error("the lifetime must be between 1 second and 30 days")]
    Ttl,
    /// The clock is before 1970, or signing failed.
    #[error("cannot sign the token: {0}")]
    Sign(String),
}

impl AuthError {
    /// Whether a bearer token was refused (rather than keys set up or a token minted).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            AuthError::Missing
                | AuthError::WrongScheme
                | AuthError::Malformed
                | AuthError::WrongAlgorithm
                | AuthError::BadSignature
                | AuthError::Expired
                | AuthError::NotYetValid
                | AuthError::WrongIssuer
                | AuthError::WrongAudience
                | AuthError::MissingClaim(_)
                | AuthError::BadClaims(_)
        )
    }
}

/// Two errors are equal when they are the same variant saying the same thing (an I/O
/// cause compares by its message).
impl PartialEq for AuthError {
    fn eq(&self, other: &AuthError) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other) && self.to_string() == other.to_string()
    }
}

impl Eq for AuthError {}

/// What a [`Verifier`] accepts.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// The one accepted `iss`.
    pub issuer: String,
    /// The `aud` that names this service.
    pub audience: String,
    /// The key, which also pins the algorithm.
    pub key: KeySource,
}

/// The key that checks signatures; each kind pins its algorithm.
#[derive(Clone)]
pub enum KeySource {
    /// A shared HMAC secret of at least [`MIN_SECRET_BYTES`]: HS256.
    Hs256(Vec<u8>),
    /// An RSA public key: RS256.
    Rs256PublicPem(PemSource),
    /// A P-256 public key: ES256.
    Es256PublicPem(PemSource),
}

/// Where a PEM-encoded public key comes from.
#[derive(Clone, Debug)]
pub enum PemSource {
    /// A file, read once when the [`Verifier`] is built.
    File(PathBuf),
    /// The PEM text itself.
    Bytes(Vec<u8>),
}

/// Checks bearer tokens against one [`AuthConfig`]. Build it once at startup:
/// building reads and checks the key.
pub struct Verifier {
    key: DecodingKey,
    algorithm: Algorithm,
    validation: Validation,
}

/// Signs HS256 development tokens that a [`Verifier`] with the same secret,
/// issuer and audience accepts.
pub struct Minter {
    key: EncodingKey,
    issuer: String,
    audience: String,
}

impl Verifier {
    /// Reads and checks the key, and pins the algorithm to the key's kind.
    ///
    /// # Errors
    /// `AuthError::ShortSecret` for a HS256 secret under [`MIN_SECRET_BYTES`];
    /// `AuthError::Read` for an unreadable key file; `AuthError::InvalidPem` for a
    /// PEM that is not a public key of the algorithm (a private key included: the
    /// service needs only the public half and should not hold the other).
    pub fn new(config: AuthConfig) -> Result<Verifier, AuthError> {
        let (key, algorithm) = match &config.key {
            KeySource::Hs256(secret) => {
                check_secret(secret)?;
                (DecodingKey::from_secret(secret), Algorithm::HS256)
            }
            KeySource::Rs256PublicPem(source) => {
                (read_public_pem(source, Algorithm::RS256)?, Algorithm::RS256)
            }
            KeySource::Es256PublicPem(source) => {
                (read_public_pem(source, Algorithm::ES256)?, Algorithm::ES256)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_audience(&[config.audience.as_str()]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        Ok(Verifier { key, algorithm, validation })
    }

    /// Checks the value of an `Authorization` header: `Bearer <token>`, the scheme
    /// in any case.
    ///
    /// # Errors
    /// `AuthError::Missing` without a header or token, `AuthError::WrongScheme`
    /// for another scheme, and the errors of [`Verifier::verify_token`].
    pub fn verify(&self, bearer_header_value: Option<&str>) -> Result<Viewer, AuthError> {
        let value = bearer_header_value.map(str::trim).unwrap_or_default();
        if value.is_empty() {
            return Err(AuthError::Missing);
        }
        let (scheme, token) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::WrongScheme);
        }
        let token = token.trim();
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        self.verify_token(token)
    }

    /// Checks a bare token: algorithm, signature, `exp`/`nbf` with the leeway,
    /// `iss`, `aud`, then the role and scope rules.
    ///
    /// # Errors
    /// The [`AuthError`] naming the first check that failed.
    pub fn verify_token(&self, token: &str) -> Result<Viewer, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed);
        }
        self.check_algorithm(token)?;
        let data = jsonwebtoken::decode::<TokenClaims>(token, &self.key, &self.validation)
            .map_err(|err| auth_error(err.into_kind()))?;
        viewer_from(data.claims)
    }

    /// Reads the header's `alg` before jsonwebtoken does: its `Algorithm` has no
    /// `none`, so `alg: none` would otherwise be reported as a JSON error rather
    /// than as the wrong algorithm it is.
    fn check_algorithm(&self, token: &str) -> Result<(), AuthError> {
        #[derive(Deserialize)]
        struct AlgorithmOnly {
            alg: String,
        }
        let mut parts = token.split('.');
        let (Some(header), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed);
        };
        let header = URL_SAFE_NO_PAD.decode(header).map_err(|_| AuthError::Malformed)?;
        let header: AlgorithmOnly = serde_json::from_slice(&header).map_err(|_| AuthError::Malformed)?;
        if header.alg != algorithm_name(self.algorithm) {
            return Err(AuthError::WrongAlgorithm);
        }
        Ok(())
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("algorithm", &self.algorithm)
            .field("issuer", &self.validation.iss)
            .field("audience", &self.validation.aud)
            .finish_non_exhaustive()
    }
}

impl Minter {
    /// A minter for the issuer and audience a [`Verifier`] will expect.
    ///
    /// # Errors
    /// `AuthError::ShortSecret` for a secret under [`MIN_SECRET_BYTES`].
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        secret: &[u8],
    ) -> Result<Minter, AuthError> {
        check_secret(secret)?;
        Ok(Minter { key: EncodingKey::from_secret(secret), issuer: issuer.into(), audience: audience.into() })
    }

    /// Signs a token for `role` and `scope`, valid from `now` for `ttl`; its
    /// subject is `dev:<role>:<scope>` (`dev:admin` for ADMIN).
    ///
    /// # Errors
    /// `AuthError::Scope` when the scope does not fit the role, `AuthError::Ttl`
    /// for a lifetime under a second or over [`MAX_TTL`].
    pub fn mint(
        &self,
        role: Role,
        scope: Option<&str>,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<String, AuthError> {
        check_scope(role, scope)?;
        if ttl.as_secs() == 0 || ttl > MAX_TTL {
            return Err(AuthError::Ttl);
        }
        let issued =
            u64::try_from(now.timestamp()).map_err(|_| AuthError::Sign("the clock is before 1970".into()))?;
        let role_name = role.as_str().to_ascii_lowercase();
        let sub = match scope {
            Some(scope) => format!("dev:{role_name}:{scope}"),
            None => format!("dev:{role_name}"),
        };
        let claims = Claims {
            sub,
            role,
            scope: scope.map(str::to_owned),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: issued + ttl.as_secs(),
            iat: issued,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .map_err(|err| AuthError::Sign(err.to_string()))
    }
}

impl fmt::Debug for Minter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Minter")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Hs256(secret) => write!(f, "Hs256(<{} bytes>)", secret.len()),
            KeySource::Rs256PublicPem(source) => f.debug_tuple("Rs256PublicPem").field(source).finish(),
            KeySource::Es256PublicPem(source) => f.debug_tuple("Es256PublicPem").field(source).finish(),
        }
    }
}

/// The development secret shared by `partnermatch token` and `serve --demo`:
/// `data_dir/dev-jwt-secret`, created on first use with 48 random bytes as 96 hex
/// digits, readable by its owner only. The secret is the file's text (trimmed),
/// so `PARTNERMATCH_JWT_SECRET=$(cat data/dev-jwt-secret)` means the same.
///
/// Processes racing to create it agree on one secret: each writes its own
/// temporary file and hard-links it into place, which never replaces a file
/// another process linked first.
///
/// # Errors
/// `AuthError::Read`/`AuthError::Write` when the file cannot be read or created,
/// `AuthError::ShortSecret` when it holds fewer than [`MIN_SECRET_BYTES`].
pub fn dev_secret(data_dir: &Path) -> Result<Vec<u8>, AuthError> {
    let path = data_dir.join(DEV_SECRET_FILE);
    match std::fs::read(&path) {
        Ok(text) => return secret_from_file(&text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(AuthError::Read { path, source }),
    }
    create_dev_secret(data_dir, &path)?;
    let text = std::fs::read(&path).map_err(|source| AuthError::Read { path: path.clone(), source })?;
    secret_from_file(&text)
}

/// Checks that `scope` fits `role` (docs/api.md "Authentication"): none for ADMIN, a non-blank
/// id for the other roles.
///
/// # Errors
/// `AuthError::Scope` saying what the role needs.
pub fn check_scope(role: Role, scope: Option<&str>) -> Result<(), AuthError> {
    let needed = match role {
        Role::Admin if scope.is_some() => {
            return Err(AuthError::Scope("an ADMIN token has no scope".into()));
        }
        Role::Admin => return Ok(()),
        Role::Counselor => "the school id",
        Role::Partner => "the partner id",
        Role::Student => "the student id",
    };
    match scope {
        Some(scope) if !scope.trim().is_empty() => Ok(()),
        _ => Err(AuthError::Scope(format!("a {role} token needs a scope: {needed}"))),
    }
}

/// Reads a role name in any case (`counselor` is `COUNSELOR`), for the command line.
///
/// # Errors
/// A message listing the roles.
pub fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(&text.trim().to_ascii_uppercase()).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        format!("`{text}` is not a role: one of {}", names.join(", "))
    })
}

/// Reads a token lifetime: a whole number and a unit, `90s`, `30m`, `1h`, `7d`.
///
/// # Errors
/// A message for another form, zero, or more than 30 days.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let unit_start = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(unit_start);
    let unit_seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => DAY_SECONDS,
        _ => return Err(format!("`{text}` is not a lifetime like 90s, 30m, 1h or 7d")),
    };
    let too_long = || "a lifetime is at most 30d".to_string();
    let number: u64 = number.parse().map_err(|err: std::num::ParseIntError| match err.kind() {
        std::num::IntErrorKind::PosOverflow => too_long(),
        _ => format!("`{text}` is not a lifetime like 90s, 30m, 1h or 7d"),
    })?;
    let seconds = number.checked_mul(unit_seconds).ok_or_else(too_long)?;
    if seconds == 0 {
        return Err("a lifetime of zero makes a token that is never valid".into());
    }
    if seconds > MAX_TTL.as_secs() {
        return Err(too_long());
    }
    Ok(Duration::from_secs(seconds))
}

/// The claims verification reads: each optional, so that a missing one is
/// reported by name ([`viewer_from`], or jsonwebtoken's required-claim check
/// for `exp`, `iss` and `aud`) rather than as a JSON error.
#[derive(Deserialize)]
struct TokenClaims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

fn viewer_from(claims: TokenClaims) -> Result<Viewer, AuthError> {
    let subject = claims
        .sub
        .filter(|sub| !sub.trim().is_empty())
        .ok_or_else(|| AuthError::BadClaims("no subject".into()))?;
    let role = claims.role.as_deref().and_then(Role::parse).ok_or_else(|| {
        AuthError::BadClaims("the role is not one of ADMIN, COUNSELOR, PARTNER, STUDENT".into())
    })?;
    check_scope(role, claims.scope.as_deref()).map_err(|err| AuthError::BadClaims(err.to_string()))?;
    Ok(Viewer { subject, role, scope: claims.scope })
}

/// jsonwebtoken's error kinds, as this module's. Its messages are not passed on:
/// they are not ours to keep free of token contents.
fn auth_error(kind: ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::MissingRequiredClaim(claim) => AuthError::MissingClaim(claim),
        ErrorKind::InvalidClaimFormat(claim) => AuthError::BadClaims(format!("{claim} is not a number")),
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidAlgorithmName => AuthError::WrongAlgorithm,
        // The key was checked when the verifier was built; a key the backend still
        // cannot use checks no signature.
        ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidKeyFormat => {
            AuthError::BadSignature
        }
        _ => AuthError::Malformed,
    }
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HS256 => "HS256",
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        // A verifier is only ever built for the three above.
        _ => "unsupported",
    }
}

fn check_secret(secret: &[u8]) -> Result<(), AuthError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(AuthError::ShortSecret { length: secret.len() });
    }
    Ok(())
}

fn read_public_pem(source: &PemSource, algorithm: Algorithm) -> Result<DecodingKey, AuthError> {
    let (pem, origin) = match source {
        PemSource::File(path) => {
            let pem = std::fs::read(path).map_err(|source| AuthError::Read { path: path.clone(), source })?;
            (pem, path.display().to_string())
        }
        PemSource::Bytes(pem) => (pem.clone(), "the key".to_string()),
    };
    let algorithm_text = algorithm_name(algorithm);
    let invalid =
        |reason| AuthError::InvalidPem { origin: origin.clone(), algorithm: algorithm_text, reason };
    if pem.windows(b"PRIVATE KEY-----".len()).any(|window| window == b"PRIVATE KEY-----") {
        return Err(invalid("it holds a private key; give the public key"));
    }
    let key = match algorithm {
        Algorithm::ES256 => DecodingKey::from_ec_pem(&pem),
        _ => DecodingKey::from_rsa_pem(&pem),
    }
    .map_err(|_| invalid("not a PEM public key of this kind"))?;
    // Checking an empty signature makes the backend load the key: an unusable key
    // fails here, at startup, instead of refusing every token later. (The RSA
    // backend defers parsing to each check; its PEM structure was checked above.)
    jsonwebtoken::crypto::verify("", b"", &key, algorithm).map_err(|_| invalid("the key does not load"))?;
    Ok(key)
}

fn secret_from_file(text: &[u8]) -> Result<Vec<u8>, AuthError> {
    let secret = text.trim_ascii().to_vec();
    check_secret(&secret)?;
    Ok(secret)
}

fn create_dev_secret(data_dir: &Path, path: &Path) -> Result<(), AuthError> {
    static ATTEMPT: AtomicU64 = AtomicU64::new(0);
    let write_error = |source| AuthError::Write { path: path.to_owned(), source };
    std::fs::create_dir_all(data_dir).map_err(write_error)?;
    // getrandom (the OS generator: getrandom(2) on Linux) is already in the build
    // through jsonwebtoken's rust_crypto backend (rand 0.8 → rand_core 0.6), so it
    // costs no new crate, and unlike opening /dev/urandom it works where /dev is
    // not mounted and blocks only until the kernel's pool is first seeded.
    let mut random = [0u8; DEV_SECRET_RANDOM_BYTES];
    getrandom::getrandom(&mut random).map_err(|err| write_error(std::io::Error::other(err)))?;
    let mut text: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    text.push('\n');
    let attempt = ATTEMPT.fetch_add(1, Ordering::Relaxed);
    let temporary = data_dir.join(format!(".{DEV_SECRET_FILE}.{}.{attempt}.partial", std::process::id()));
    let written =
        write_private(&temporary, text.as_bytes()).and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    match written {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(write_error(source)),
    }
}

/// Writes a new file that only its owner can read (mode 0600 on Unix).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// `role` as its upper-case name in claims.
mod role_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use store::records::Role;

    pub fn serialize<S: Serializer>(role: &Role, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(role.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Role, D::Error> {
        let text = String::deserialize(deserializer)?;
        Role::parse(&text).ok_or_else(|| {
            serde::de::Error::custom("the role is not one of ADMIN, COUNSELOR, PARTNER, STUDENT")
        })
    }
}
