//! Standard Webhooks signatures (standardwebhooks.com): `webhook-signature`
//! is `v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`
//! under each secret, space-separated, so that during a secret rotation a
//! receiver holding either secret accepts. Secrets are `whsec_` + base64 of
//! the key bytes. Verification is here too: the tests' receiver and anyone
//! writing one in Rust use the same code.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a webhook secret must start with \"whsec_\"")]
    Prefix,
    #[error("a webhook secret must be base64 after \"whsec_\": {0}")]
    Base64(String),
    #[error("a webhook secret must hold at least 24 bytes of key, got {0}")]
    TooShort(usize),
}

/// A signing key, parsed from its `whsec_…` form. Its Debug never shows it.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        let b64 = text
            .trim()
            .strip_prefix("whsec_")
            .ok_or(SecretError::Prefix)?;
        let key = STANDARD
            .decode(b64)
            .map_err(|e| SecretError::Base64(e.to_string()))?;
        if key.len() < 24 {
            return Err(SecretError::TooShort(key.len()));
        }
        Ok(Secret(key))
    }

    /// The HMAC over `{id}.{timestamp}.{body}`, not yet finalised.
    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

/// The `webhook-signature` header value for `secrets` (one `v1,…` each).
pub fn signature(secrets: &[Secret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| {
            format!(
                "v1,{}",
                STANDARD.encode(s.mac(id, timestamp, body).finalize().into_bytes())
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("timestamp {0} is outside the tolerance")]
    Stale(i64),
    #[error("no signature matches")]
    Mismatch,
}

/// Checks a received webhook as a receiver should: the timestamp within
/// `tolerance_s` of `now`, and any `v1` signature matching under `secret`
/// (compared in constant time by the MAC).
pub fn verify(
    secret: &Secret,
    id: &str,
    timestamp: i64,
    signatures: &str,
    body: &[u8],
    now: i64,
    tolerance_s: i64,
) -> Result<(), VerifyError> {
    if (now - timestamp).abs() > tolerance_s {
        return Err(VerifyError::Stale(timestamp));
    }
    for sig in signatures.split(' ') {
        let Some(b64) = sig.strip_prefix("v1,") else {
            continue;
        };
        let Ok(given) = STANDARD.decode(b64) else {
            continue;
        };
        if secret.mac(id, timestamp, body).verify_slice(&given).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification's reference tests.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signs_as_the_specification_example() {
        let s = Secret::parse(SECRET).unwrap();
        assert_eq!(signature(std::slice::from_ref(&s), ID, TS, BODY), EXPECTED);
        assert_eq!(verify(&s, ID, TS, EXPECTED, BODY, TS + 10, 300), Ok(()));
    }

    #[test]
    fn rotation_sends_one_signature_per_secret_and_either_verifies() {
        let old = Secret::parse(SECRET).unwrap();
        let new = Secret::parse("whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=").unwrap();
        let header = signature(&[old.clone(), new.clone()], ID, TS, BODY);
        assert_eq!(header.split(' ').count(), 2);
        assert_eq!(verify(&old, ID, TS, &header, BODY, TS, 300), Ok(()));
        assert_eq!(verify(&new, ID, TS, &header, BODY, TS, 300), Ok(()));
    }

    #[test]
    fn wrong_secret_body_or_time_is_refused() {
        let s = Secret::parse(SECRET).unwrap();
        let other = Secret::parse("whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=").unwrap();
        assert_eq!(
            verify(&other, ID, TS, EXPECTED, BODY, TS, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&s, ID, TS, EXPECTED, b"{}", TS, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&s, ID, TS, EXPECTED, BODY, TS + 301, 300),
            Err(VerifyError::Stale(TS))
        );
        assert_eq!(Secret::parse("abc").unwrap_err(), SecretError::Prefix);
        assert!(matches!(
            Secret::parse("whsec_!!"),
            Err(SecretError::Base64(_))
        ));
        assert_eq!(
            Secret::parse("whsec_YWJj").unwrap_err(),
            SecretError::TooShort(3)
        );
    }
}
