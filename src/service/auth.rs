//! Bearer tokens of the admin API. Tokens come from a file (`name:secret`
//! per line, so the audit can say who) or the `CHAINWATCH_ADMIN_TOKEN`
//! variable; they are compared in constant time through their SHA-256
//! digests (which also hides their length) and never logged: only a
//! token's name is.

use std::path::Path;

use sha2::{Digest, Sha256};

/// The variable holding one token (`secret`, or `name:secret`).
pub const TOKEN_VAR: &str = "CHAINWATCH_ADMIN_TOKEN";

#[derive(Clone, Default)]
pub struct Tokens {
    known: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for Tokens {
    // Names only: the digests stay out of logs too.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.known.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Tokens").field("names", &names).finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read admin tokens file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("admin tokens file {path} line {line}: {message}")]
    Bad {
        path: String,
        line: usize,
        message: String,
    },
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// `name:secret` or a bare secret (named `default`).
fn entry(text: &str, default_name: &str) -> Option<(String, String)> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(match text.split_once(':') {
        Some((name, secret)) => (name.trim().to_string(), secret.trim().to_string()),
        None => (default_name.to_string(), text.to_string()),
    })
}

impl Tokens {
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// Tokens from `file` (if any) and the variable's value (if any).
    pub fn load(file: Option<&Path>, var: Option<String>) -> Result<Tokens, TokenError> {
        let mut t = Tokens::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| TokenError::Read {
                path: path.display().to_string(),
                source,
            })?;
            for (k, line) in text.lines().enumerate() {
                if line.trim_start().starts_with('#') {
                    continue;
                }
                if let Some((name, secret)) = entry(line, "default") {
                    if secret.len() < 16 {
                        return Err(TokenError::Bad {
                            path: path.display().to_string(),
                            line: k + 1,
                            message: format!("the token of {name:?} is shorter than 16 characters"),
                        });
                    }
                    t.known.push((name, digest(&secret)));
                }
            }
        }
        if let Some((name, secret)) = var.as_deref().and_then(|v| entry(v, "env")) {
            t.known.push((name, digest(&secret)));
        }
        Ok(t)
    }

    /// The name of the token `presented`, if it is one. Every known token is
    /// compared, each in constant time, so timing says nothing of which
    /// matched or how much of one did.
    pub fn check(&self, presented: &str) -> Option<String> {
        let d = digest(presented);
        let mut found = None;
        for (name, known) in &self.known {
            let diff = known
                .iter()
                .zip(d.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 && found.is_none() {
                found = Some(name.clone());
            }
        }
        found
    }
}

/// Why a request is refused by [`caller`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No token is configured: the admin API is off.
    Disabled,
    Missing,
    Invalid,
}

impl Refused {
    pub fn message(self) -> &'static str {
        match self {
            Refused::Disabled => "the admin API is disabled: no token is configured (service.admin_tokens_file or CHAINWATCH_ADMIN_TOKEN)",
            Refused::Missing => "missing bearer token",
            Refused::Invalid => "invalid bearer token",
        }
    }
}

/// The name of the token an `Authorization: Bearer …` header value carries.
pub fn caller(authorization: Option<&str>, tokens: &Tokens) -> Result<String, Refused> {
    if tokens.is_empty() {
        return Err(Refused::Disabled);
    }
    let presented = authorization
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(Refused::Missing)?;
    tokens.check(presented.trim()).ok_or_else(|| {
        tracing::warn!("admin API: a request with an unknown token was refused");
        Refused::Invalid
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_matching_token_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tokens");
        std::fs::write(
            &f,
            "# operators\nalice:0123456789abcdef-alice\nbob:0123456789abcdef-bob\n",
        )
        .unwrap();
        let t = Tokens::load(Some(&f), Some("ci:0123456789abcdef-ci".into())).unwrap();
        assert_eq!(t.check("0123456789abcdef-bob").as_deref(), Some("bob"));
        assert_eq!(t.check("0123456789abcdef-ci").as_deref(), Some("ci"));
        assert_eq!(t.check("0123456789abcdef-bo"), None);
        assert_eq!(t.check(""), None);
        assert!(!format!("{t:?}").contains("0123"));
    }

    #[test]
    fn short_tokens_are_refused_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tokens");
        std::fs::write(&f, "alice:short\n").unwrap();
        let e = Tokens::load(Some(&f), None).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("alice"), "{e}");
        assert!(!e.contains("short\n"));
    }
}
