//! Bearer tokens (docs/api.md "Authentication"): what a `Verifier` accepts and refuses, the
//! development `Minter` and secret, and `partnermatch token` end to end.
//!
//! Hand-made tokens are signed with jsonwebtoken directly, so each can break one
//! rule. The RS256 and ES256 key pairs in `tests/data/jwt-*.pem` are test keys,
//! made once with:
//!
//! ```sh
//! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out jwt-rs256-private.pem
//! openssl pkey -in jwt-rs256-private.pem -pubout -out jwt-rs256-public.pem
//! openssl ecparam -genkey -noout -name prime256v1 | openssl pkcs8 -topk8 -nocrypt -out jwt-es256-private.pem
//! openssl pkey -in jwt-es256-private.pem -pubout -out jwt-es256-public.pem
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use service::auth::{
    AuthConfig, AuthError, Claims, DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_SECRET_FILE, KeySource, Minter,
    PemSource, Verifier, Viewer, dev_secret, parse_role, parse_ttl,
};
use store::records::Role;

const SECRET: &[u8] = b"a-test-secret-that-is-long-enough-0123456789";

/// `{"alg":"none","typ":"JWT"}` in base64url.
const NONE_HEADER: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn config(key: KeySource) -> AuthConfig {
    AuthConfig { issuer: DEFAULT_ISSUER.into(), audience: DEFAULT_AUDIENCE.into(), key }
}

fn hs256_verifier() -> Verifier {
    Verifier::new(config(KeySource::Hs256(SECRET.to_vec()))).unwrap()
}

fn key_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn read_key(name: &str) -> Vec<u8> {
    std::fs::read(key_file(name)).unwrap()
}

/// Valid claims for a role; tests change one thing.
fn claims(role: &str, scope: Option<&str>) -> Value {
    let mut claims = json!({
        "sub": "user-1",
        "role": role,
        "iss": DEFAULT_ISSUER,
        "aud": DEFAULT_AUDIENCE,
        "exp": now() + 600,
        "iat": now(),
    });
    if let Some(scope) = scope {
        claims["scope"] = json!(scope);
    }
    claims
}

fn counselor() -> Value {
    claims("COUNSELOR", Some("sch-1"))
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

fn sign(algorithm: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, key).unwrap()
}

fn hs256(claims: &Value) -> String {
    sign(Algorithm::HS256, &EncodingKey::from_secret(SECRET), claims)
}

fn parts(token: &str) -> [&str; 3] {
    let parts: Vec<&str> = token.split('.').collect();
    [parts[0], parts[1], parts[2]]
}

/// The outcome without `BadClaims`' message: tests assert on the kind of error.
fn outcome(result: Result<Viewer, AuthError>) -> Result<(), AuthError> {
    match result {
        Ok(_) => Ok(()),
        Err(AuthError::BadClaims(_)) => Err(bad_claims()),
        Err(err) => Err(err),
    }
}

fn bad_claims() -> AuthError {
    AuthError::BadClaims(String::new())
}

fn viewer(subject: &str, role: Role, scope: Option<&str>) -> Viewer {
    Viewer { subject: subject.into(), role, scope: scope.map(Into::into) }
}

#[test]
fn a_good_token_per_role_verifies_to_its_viewer() {
    let verifier = hs256_verifier();
    let cases = [
        (Role::Admin, None),
        (Role::Counselor, Some("sch-1")),
        (Role::Partner, Some("p-1")),
        (Role::Student, Some("s-1")),
    ];
    for (role, scope) in cases {
        let token = hs256(&claims(role.as_str(), scope));
        assert_eq!(verifier.verify_token(&token), Ok(viewer("user-1", role, scope)), "{role}");
        let header = format!("Bearer {token}");
        assert_eq!(verifier.verify(Some(&header)), Ok(viewer("user-1", role, scope)), "{role}");
    }
}

#[test]
fn claims_that_break_a_rule_are_refused() {
    let verifier = hs256_verifier();
    let ago = |seconds: u64| json!(now() - seconds);
    let ahead = |seconds: u64| json!(now() + seconds);
    let cases: Vec<(&str, Value, Result<(), AuthError>)> = vec![
        ("expired beyond the leeway", with(counselor(), "exp", ago(120)), Err(AuthError::Expired)),
        ("expired within the leeway", with(counselor(), "exp", ago(10)), Ok(())),
        ("not valid for a while yet", with(counselor(), "nbf", ahead(600)), Err(AuthError::NotYetValid)),
        ("valid from within the leeway", with(counselor(), "nbf", ahead(10)), Ok(())),
        ("no exp", without(counselor(), "exp"), Err(AuthError::MissingClaim("exp".into()))),
        ("no iss", without(counselor(), "iss"), Err(AuthError::MissingClaim("iss".into()))),
        ("no aud", without(counselor(), "aud"), Err(AuthError::MissingClaim("aud".into()))),
        // jsonwebtoken counts an `exp` that is not a number as absent.
        (
            "exp not a number",
            with(counselor(), "exp", json!("tomorrow")),
            Err(AuthError::MissingClaim("exp".into())),
        ),
        ("wrong issuer", with(counselor(), "iss", json!("someone-else")), Err(AuthError::WrongIssuer)),
        ("wrong audience", with(counselor(), "aud", json!("another-api")), Err(AuthError::WrongAudience)),
        (
            "audience list naming us",
            with(counselor(), "aud", json!(["another-api", DEFAULT_AUDIENCE])),
            Ok(()),
        ),
        (
            "audience list without us",
            with(counselor(), "aud", json!(["another-api"])),
            Err(AuthError::WrongAudience),
        ),
        ("ADMIN with a scope", claims("ADMIN", Some("sch-1")), Err(bad_claims())),
        ("ADMIN with an empty scope", claims("ADMIN", Some("")), Err(bad_claims())),
        ("COUNSELOR without a scope", claims("COUNSELOR", None), Err(bad_claims())),
        ("PARTNER with a blank scope", claims("PARTNER", Some("  ")), Err(bad_claims())),
        ("STUDENT with a null scope", with(claims("STUDENT", None), "scope", Value::Null), Err(bad_claims())),
        ("unknown role", claims("SUPERUSER", None), Err(bad_claims())),
        ("role not in upper case", claims("admin", None), Err(bad_claims())),
        ("no role", without(counselor(), "role"), Err(bad_claims())),
        ("no subject", without(counselor(), "sub"), Err(bad_claims())),
        ("empty subject", with(counselor(), "sub", json!("")), Err(bad_claims())),
    ];
    for (name, claims, expected) in cases {
        assert_eq!(outcome(verifier.verify_token(&hs256(&claims))), expected, "{name}");
    }
}

#[test]
fn forged_and_damaged_tokens_are_refused() {
    let verifier = hs256_verifier();
    let good = hs256(&counselor());
    let [header, payload, signature] = parts(&good);
    let admin = hs256(&claims("ADMIN", None));
    let [_, admin_payload, _] = parts(&admin);
    let mut flipped_signature = signature.to_string();
    let first = if flipped_signature.starts_with('A') { "B" } else { "A" };
    flipped_signature.replace_range(0..1, first);
    let middle = payload.len() / 2;
    let flipped = if &payload[middle..=middle] == "x" { "y" } else { "x" };
    let flipped_payload = format!("{}{flipped}{}", &payload[..middle], &payload[middle + 1..]);
    let cases: Vec<(&str, String, AuthError)> = vec![
        ("alg none, no signature", format!("{NONE_HEADER}.{payload}."), AuthError::WrongAlgorithm),
        (
            "alg none, signature kept",
            format!("{NONE_HEADER}.{payload}.{signature}"),
            AuthError::WrongAlgorithm,
        ),
        (
            "HS512 with the right secret",
            sign(Algorithm::HS512, &EncodingKey::from_secret(SECRET), &counselor()),
            AuthError::WrongAlgorithm,
        ),
        (
            "HS384 with the right secret",
            sign(Algorithm::HS384, &EncodingKey::from_secret(SECRET), &counselor()),
            AuthError::WrongAlgorithm,
        ),
        (
            "another secret",
            sign(Algorithm::HS256, &EncodingKey::from_secret(&[b'x'; 48]), &counselor()),
            AuthError::BadSignature,
        ),
        (
            "a flipped signature character",
            format!("{header}.{payload}.{flipped_signature}"),
            AuthError::BadSignature,
        ),
        ("another token's payload", format!("{header}.{admin_payload}.{signature}"), AuthError::BadSignature),
        (
            "a flipped payload character",
            format!("{header}.{flipped_payload}.{signature}"),
            AuthError::BadSignature,
        ),
        ("no signature", format!("{header}.{payload}."), AuthError::BadSignature),
        ("two parts", format!("{header}.{payload}"), AuthError::Malformed),
        ("four parts", format!("{good}.{signature}"), AuthError::Malformed),
        ("a header that is not base64url", format!("!!.{payload}.{signature}"), AuthError::Malformed),
        ("a header that is not JSON", format!("bm90IGpzb24.{payload}.{signature}"), AuthError::Malformed),
        ("garbage", "garbage".into(), AuthError::Malformed),
        ("too long", format!("{header}.{}.{signature}", "A".repeat(10_000)), AuthError::Malformed),
    ];
    for (name, token, expected) in cases {
        assert_eq!(verifier.verify_token(&token), Err(expected), "{name}");
    }
}

#[test]
fn only_bearer_headers_with_a_token_are_read() {
    let verifier = hs256_verifier();
    let good = hs256(&counselor());
    let cases: Vec<(&str, Option<String>, Result<(), AuthError>)> = vec![
        ("no header", None, Err(AuthError::Missing)),
        ("an empty header", Some(String::new()), Err(AuthError::Missing)),
        ("only spaces", Some("   ".into()), Err(AuthError::Missing)),
        ("Bearer without a token", Some("Bearer".into()), Err(AuthError::Missing)),
        ("Bearer and spaces", Some("Bearer   ".into()), Err(AuthError::Missing)),
        ("Basic", Some("Basic dXNlcjpwYXNz".into()), Err(AuthError::WrongScheme)),
        ("another scheme with a good token", Some(format!("Token {good}")), Err(AuthError::WrongScheme)),
        ("a token without a scheme", Some(good.clone()), Err(AuthError::WrongScheme)),
        ("Bearer garbage", Some("Bearer garbage".into()), Err(AuthError::Malformed)),
        ("Bearer and two tokens", Some(format!("Bearer {good} {good}")), Err(AuthError::Malformed)),
        ("lower-case scheme", Some(format!("bearer {good}")), Ok(())),
        ("upper-case scheme", Some(format!("BEARER {good}")), Ok(())),
        ("extra spaces", Some(format!("  Bearer   {good}  ")), Ok(())),
    ];
    for (name, header, expected) in cases {
        assert_eq!(outcome(verifier.verify(header.as_deref())), expected, "{name}");
    }
}

#[test]
fn rs256_and_es256_tokens_verify_with_their_public_keys_only() {
    let rs256 =
        Verifier::new(config(KeySource::Rs256PublicPem(PemSource::File(key_file("jwt-rs256-public.pem")))))
            .unwrap();
    let es256 =
        Verifier::new(config(KeySource::Es256PublicPem(PemSource::Bytes(read_key("jwt-es256-public.pem")))))
            .unwrap();
    let hs256 = hs256_verifier();
    let rsa_key = EncodingKey::from_rsa_pem(&read_key("jwt-rs256-private.pem")).unwrap();
    let ec_key = EncodingKey::from_ec_pem(&read_key("jwt-es256-private.pem")).unwrap();
    let rs256_token = sign(Algorithm::RS256, &rsa_key, &counselor());
    let es256_token = sign(Algorithm::ES256, &ec_key, &counselor());
    let expected = viewer("user-1", Role::Counselor, Some("sch-1"));

    assert_eq!(rs256.verify_token(&rs256_token), Ok(expected.clone()));
    assert_eq!(es256.verify_token(&es256_token), Ok(expected));
    let cases = [
        ("ES256 token, RS256 verifier", &rs256, &es256_token),
        ("RS256 token, ES256 verifier", &es256, &rs256_token),
        ("RS256 token, HS256 verifier", &hs256, &rs256_token),
        ("ES256 token, HS256 verifier", &hs256, &es256_token),
    ];
    for (name, verifier, token) in cases {
        assert_eq!(verifier.verify_token(token), Err(AuthError::WrongAlgorithm), "{name}");
    }
    let expired = sign(Algorithm::RS256, &rsa_key, &with(counselor(), "exp", json!(now() - 120)));
    assert_eq!(rs256.verify_token(&expired), Err(AuthError::Expired));
}

/// The classic confusion: a verifier that let the token choose the algorithm
/// would check this HMAC with the public key's bytes, which anyone has.
#[test]
fn a_token_hmac_signed_with_the_rsa_public_key_is_refused() {
    let public_pem = read_key("jwt-rs256-public.pem");
    let verifier =
        Verifier::new(config(KeySource::Rs256PublicPem(PemSource::Bytes(public_pem.clone())))).unwrap();
    for algorithm in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let forged = sign(algorithm, &EncodingKey::from_secret(&public_pem), &claims("ADMIN", None));
        assert_eq!(verifier.verify_token(&forged), Err(AuthError::WrongAlgorithm), "{algorithm:?}");
    }
}

/// What kind of key error, without its message.
fn key_error_kind(err: &AuthError) -> String {
    match err {
        AuthError::ShortSecret { length } => format!("short secret of {length} bytes"),
        AuthError::Read { .. } => "unreadable".into(),
        AuthError::Write { .. } => "unwritable".into(),
        AuthError::InvalidPem { .. } => "invalid PEM".into(),
        other => format!("not a key error: {other}"),
    }
}

#[test]
fn keys_are_checked_when_the_verifier_is_built() {
    let rsa = |source| config(KeySource::Rs256PublicPem(source));
    let ec = |source| config(KeySource::Es256PublicPem(source));
    let cases = [
        ("an empty secret", config(KeySource::Hs256(Vec::new())), "short secret of 0 bytes"),
        ("a 31-byte secret", config(KeySource::Hs256(vec![b'k'; 31])), "short secret of 31 bytes"),
        ("a missing key file", rsa(PemSource::File(key_file("jwt-missing.pem"))), "unreadable"),
        ("not PEM", rsa(PemSource::Bytes(b"not a key".to_vec())), "invalid PEM"),
        ("an EC key for RS256", rsa(PemSource::File(key_file("jwt-es256-public.pem"))), "invalid PEM"),
        ("an RSA key for ES256", ec(PemSource::File(key_file("jwt-rs256-public.pem"))), "invalid PEM"),
        ("an RSA private key", rsa(PemSource::File(key_file("jwt-rs256-private.pem"))), "invalid PEM"),
        ("an EC private key", ec(PemSource::File(key_file("jwt-es256-private.pem"))), "invalid PEM"),
    ];
    for (name, config, expected) in cases {
        match Verifier::new(config) {
            Ok(_) => panic!("{name}: accepted"),
            Err(err) => assert_eq!(key_error_kind(&err), expected, "{name}"),
        }
    }
    assert!(Verifier::new(config(KeySource::Hs256(vec![b'k'; 32]))).is_ok(), "32 bytes are enough");
}

#[test]
fn minted_tokens_verify_and_carry_the_claims() {
    let minter = Minter::new(DEFAULT_ISSUER, DEFAULT_AUDIENCE, SECRET).unwrap();
    let verifier = hs256_verifier();
    let cases = [
        (Role::Admin, None, "dev:admin"),
        (Role::Counselor, Some("sch-1"), "dev:counselor:sch-1"),
        (Role::Partner, Some("p-1"), "dev:partner:p-1"),
        (Role::Student, Some("s-1"), "dev:student:s-1"),
    ];
    for (role, scope, subject) in cases {
        let token = minter.mint(role, scope, Duration::from_secs(3600), Utc::now()).unwrap();
        assert_eq!(verifier.verify_token(&token), Ok(viewer(subject, role, scope)), "{role}");
    }

    let token = minter.mint(Role::Partner, Some("p-1"), Duration::from_secs(90), Utc::now()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
    validation.set_audience(&[DEFAULT_AUDIENCE]);
    let decoded =
        jsonwebtoken::decode::<Claims>(&token, &jsonwebtoken::DecodingKey::from_secret(SECRET), &validation)
            .unwrap()
            .claims;
    assert_eq!((decoded.iss.as_str(), decoded.aud.as_str()), (DEFAULT_ISSUER, DEFAULT_AUDIENCE));
    assert_eq!(decoded.exp - decoded.iat, 90);
    let raw: Value = serde_json::to_value(&decoded).unwrap();
    assert_eq!((raw["role"].as_str(), raw["scope"].as_str()), (Some("PARTNER"), Some("p-1")));
    let admin = minter.mint(Role::Admin, None, Duration::from_secs(60), Utc::now()).unwrap();
    let admin: Claims =
        jsonwebtoken::decode(&admin, &jsonwebtoken::DecodingKey::from_secret(SECRET), &validation)
            .unwrap()
            .claims;
    assert_eq!(serde_json::to_value(&admin).unwrap().get("scope"), None, "an ADMIN token has no scope claim");
}

#[test]
fn minting_refuses_what_verification_would() {
    let minter = Minter::new(DEFAULT_ISSUER, DEFAULT_AUDIENCE, SECRET).unwrap();
    let hour = Duration::from_secs(3600);
    let scope_error = |result: Result<String, AuthError>| matches!(result, Err(AuthError::Scope(_)));
    assert!(scope_error(minter.mint(Role::Admin, Some("sch-1"), hour, Utc::now())));
    assert!(scope_error(minter.mint(Role::Counselor, None, hour, Utc::now())));
    assert!(scope_error(minter.mint(Role::Student, Some(""), hour, Utc::now())));
    assert_eq!(minter.mint(Role::Admin, None, Duration::ZERO, Utc::now()), Err(AuthError::Ttl));
    // Only a refused token is UNAUTHENTICATED to a caller; the rest are set-up errors.
    assert!(!AuthError::Ttl.is_refusal() && AuthError::Expired.is_refusal());
    assert!(!AuthError::ShortSecret { length: 5 }.is_refusal());
    assert_eq!(minter.mint(Role::Admin, None, Duration::from_millis(500), Utc::now()), Err(AuthError::Ttl));
    let thirty_days = Duration::from_secs(30 * 24 * 3600);
    assert!(minter.mint(Role::Admin, None, thirty_days, Utc::now()).is_ok());
    assert_eq!(
        minter.mint(Role::Admin, None, thirty_days + Duration::from_secs(1), Utc::now()),
        Err(AuthError::Ttl)
    );
    assert!(matches!(
        Minter::new(DEFAULT_ISSUER, DEFAULT_AUDIENCE, b"short"),
        Err(AuthError::ShortSecret { length: 5 })
    ));

    // The lifetime counts from the `now` given.
    let two_hours_ago = Utc::now() - chrono::Duration::hours(2);
    let stale = minter.mint(Role::Admin, None, hour, two_hours_ago).unwrap();
    assert_eq!(hs256_verifier().verify_token(&stale), Err(AuthError::Expired));
    // Another issuer or audience is another configuration.
    let elsewhere = Minter::new("elsewhere", DEFAULT_AUDIENCE, SECRET).unwrap();
    let token = elsewhere.mint(Role::Admin, None, hour, Utc::now()).unwrap();
    assert_eq!(hs256_verifier().verify_token(&token), Err(AuthError::WrongIssuer));
}

#[test]
fn error_messages_never_repeat_the_token() {
    let verifier = hs256_verifier();
    let secret_looking = "sch-7f3a9c1e5d";
    let tokens = [
        hs256(&with(claims("COUNSELOR", Some(secret_looking)), "exp", json!(now() - 120))),
        hs256(&claims("ADMIN", Some(secret_looking))),
        hs256(&with(claims("SUPER-7f3a9c1e5d", Some(secret_looking)), "iss", json!("iss-7f3a9c1e5d"))),
        hs256(&with(claims("PARTNER", Some(secret_looking)), "aud", json!("aud-7f3a9c1e5d"))),
        sign(Algorithm::HS512, &EncodingKey::from_secret(SECRET), &claims("PARTNER", Some(secret_looking))),
        "Zm9vLTdmM2E5YzFlNWQ.e30.c2ln".into(),
    ];
    for token in tokens {
        let err = verifier.verify(Some(&format!("Bearer {token}"))).unwrap_err();
        let message = format!("{err} {err:?}");
        for part in token.split('.').filter(|part| part.len() >= 8) {
            assert!(!message.contains(part), "{message}");
        }
        assert!(!message.contains("7f3a9c1e5d"), "{message}");
    }
}

#[test]
fn lifetimes_and_roles_are_read_as_the_command_line_writes_them() {
    let hours = |n: u64| Ok(Duration::from_secs(n * 3600));
    let cases: Vec<(&str, Result<Duration, ()>)> = vec![
        ("90s", Ok(Duration::from_secs(90))),
        ("30m", Ok(Duration::from_secs(1800))),
        ("1h", hours(1)),
        ("7d", hours(7 * 24)),
        ("30d", hours(30 * 24)),
        ("720h", hours(720)),
        ("0s", Err(())),
        ("0d", Err(())),
        ("31d", Err(())),
        ("721h", Err(())),
        ("99999999999999999999999d", Err(())),
        ("1w", Err(())),
        ("1H", Err(())),
        ("1.5h", Err(())),
        ("-1h", Err(())),
        ("h", Err(())),
        ("3600", Err(())),
        ("", Err(())),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_ttl(text).map_err(|_| ()), expected, "{text:?}");
    }
    for (text, role) in [("counselor", Role::Counselor), ("Admin", Role::Admin), ("STUDENT", Role::Student)] {
        assert_eq!(parse_role(text), Ok(role), "{text}");
    }
    assert!(parse_role("root").is_err());
}

#[test]
fn the_dev_secret_is_made_once_private_and_shared() {
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("not-yet/data");
    // Threads racing to create it agree on one secret.
    let secrets: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8).map(|_| scope.spawn(|| dev_secret(&data_dir).unwrap())).collect();
        workers.into_iter().map(|worker| worker.join().unwrap()).collect()
    });
    assert!(secrets.windows(2).all(|pair| pair[0] == pair[1]));
    let secret = &secrets[0];
    assert_eq!(secret.len(), 96);
    assert!(secret.iter().all(u8::is_ascii_hexdigit));
    let path = data_dir.join(DEV_SECRET_FILE);
    assert_eq!(std::fs::read(&path).unwrap(), [secret.as_slice(), b"\n"].concat());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let leftovers: Vec<_> =
        std::fs::read_dir(&data_dir).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert_eq!(leftovers, [DEV_SECRET_FILE], "no temporary files are left");
    assert_eq!(&dev_secret(&data_dir).unwrap(), secret, "read back, not replaced");

    let other = tempfile::tempdir().unwrap();
    assert_ne!(&dev_secret(other.path()).unwrap(), secret, "each data directory has its own");

    let short = tempfile::tempdir().unwrap();
    std::fs::write(short.path().join(DEV_SECRET_FILE), "too-short\n").unwrap();
    assert!(matches!(dev_secret(short.path()), Err(AuthError::ShortSecret { length: 9 })));
}

// `partnermatch token`, end to end.

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the real `partnermatch <args>` with `env` set and the PARTNERMATCH_JWT_*
/// and PARTNERMATCH_DATA_DIR variables of this process removed.
fn run_token_command(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_partnermatch"));
    command.args(args);
    for name in [
        "PARTNERMATCH_JWT_SECRET",
        "PARTNERMATCH_JWT_ISSUER",
        "PARTNERMATCH_JWT_AUDIENCE",
        "PARTNERMATCH_DATA_DIR",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let output = command.output().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// What the command printed: exactly one line, a JWT (three base64url parts).
fn printed_token(run: &Run) -> String {
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    let token = lines[0];
    assert!(
        token.split('.').count() == 3
            && token.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "not a JWT: {token}"
    );
    token.to_owned()
}

#[test]
fn token_prints_a_token_that_the_dev_secret_accepts() {
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    let data_dir_text = data_dir.to_str().unwrap();
    let run = run_token_command(
        &["token", "--role", "counselor", "--scope", "sch-1", "--data-dir", data_dir_text],
        &[],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let token = printed_token(&run);
    let verifier = Verifier::new(config(KeySource::Hs256(dev_secret(&data_dir).unwrap()))).unwrap();
    assert_eq!(
        verifier.verify_token(&token),
        Ok(viewer("dev:counselor:sch-1", Role::Counselor, Some("sch-1")))
    );

    // The data directory also comes from the environment; the secret is reused.
    let run = run_token_command(&["token", "--role", "ADMIN"], &[("PARTNERMATCH_DATA_DIR", data_dir_text)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(verifier.verify_token(&printed_token(&run)), Ok(viewer("dev:admin", Role::Admin, None)));
}

#[test]
fn token_uses_the_configured_secret_issuer_and_audience() {
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    let secret = "a-configured-secret-of-forty-bytes-012345";
    let configured = AuthConfig {
        issuer: "district-7".into(),
        audience: "district-7-api".into(),
        key: KeySource::Hs256(secret.as_bytes().to_vec()),
    };
    let verifier = Verifier::new(configured).unwrap();
    let expected = viewer("dev:student:s-1", Role::Student, Some("s-1"));
    let args = [
        "token",
        "--role",
        "student",
        "--scope",
        "s-1",
        "--ttl",
        "90s",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ];
    let settings =
        [("PARTNERMATCH_JWT_ISSUER", "district-7"), ("PARTNERMATCH_JWT_AUDIENCE", "district-7-api")];

    let from_flag = run_token_command(&[&args[..], &["--jwt-secret", secret][..]].concat(), &settings);
    assert_eq!(from_flag.code, Some(0), "{}", from_flag.stderr);
    assert_eq!(verifier.verify_token(&printed_token(&from_flag)), Ok(expected.clone()));

    let from_env =
        run_token_command(&args, &[&settings[..], &[("PARTNERMATCH_JWT_SECRET", secret)][..]].concat());
    assert_eq!(from_env.code, Some(0), "{}", from_env.stderr);
    let token = printed_token(&from_env);
    assert_eq!(verifier.verify_token(&token), Ok(expected));
    assert_eq!(hs256_verifier().verify_token(&token), Err(AuthError::BadSignature), "not the test secret");
    assert!(!data_dir.exists(), "no development secret when one is configured");
}

#[test]
fn token_refuses_bad_arguments_with_status_2() {
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    let data_dir = data_dir.to_str().unwrap();
    let cases: [&[&str]; 10] = [
        &["--role", "ADMIN", "--scope", "sch-1"],
        &["--role", "counselor"],
        &["--role", "partner", "--scope", ""],
        &["--role", "root"],
        &[],
        &["--role", "student", "--scope", "s-1", "--ttl", "0s"],
        &["--role", "student", "--scope", "s-1", "--ttl", "31d"],
        &["--role", "student", "--scope", "s-1", "--ttl", "1w"],
        &["--role", "admin", "--jwt-secret", "too-short"],
        &["--role", "admin", "--jwt-secret", ""],
    ];
    for case in cases {
        let args = [&["token", "--data-dir", data_dir][..], case].concat();
        let run = run_token_command(&args, &[]);
        assert_eq!(run.code, Some(2), "{case:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{case:?}: no token printed");
    }
    assert!(!Path::new(data_dir).exists(), "a refused command creates no secret");
}
