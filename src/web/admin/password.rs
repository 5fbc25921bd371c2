//! The admin password: only its argon2 hash is ever configured (`[web] admin_password_hash` or
//! `DEALCAST_ADMIN_PASSWORD_HASH`), as a PHC string that carries its own salt and cost, so the configuration file
//! never holds the password itself. [`hash_password`] makes such a string (`dealcast admin hash-password`);
//! [`AdminPasswordHash::verify`] checks a login against it.
//!
//! The hash is not the password, but it allows an offline guessing attack, so it is treated as a secret: it never
//! prints (`Debug` and `config show` redact it).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2};
use serde::{Deserialize, Serializer};

/// What `config show` prints instead of the hash.
pub const REDACTED: &str = "REDACTED";

/// A checked argon2 PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct AdminPasswordHash(String);

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The password is empty (after removing the line ending).
    #[error("the password is empty")]
    Empty,
    /// The operating system gave no randomness for the salt.
    #[error("could not draw a random salt")]
    Random(#[source] getrandom::Error),
    /// The hasher refused (it does not fail on a valid salt; kept so that no panic is possible).
    #[error("could not hash the password: {0}")]
    Hash(argon2::password_hash::Error),
}

impl TryFrom<String> for AdminPasswordHash {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let trimmed = raw.trim().to_owned();
        let parsed = PasswordHash::new(&trimmed).map_err(|error| {
            format!("not an argon2 PHC string ({error}); make one with `dealcast admin hash-password`")
        })?;
        if Algorithm::try_from(parsed.algorithm).is_err() {
            return Err(format!(
                "the hash uses `{}`, not argon2; make one with `dealcast admin hash-password`",
                parsed.algorithm
            ));
        }
        if parsed.hash.is_none() || parsed.salt.is_none() {
            return Err("the PHC string has no salt or no hash; make one with `dealcast admin hash-password`".into());
        }
        Ok(AdminPasswordHash(trimmed))
    }
}

impl std::fmt::Debug for AdminPasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AdminPasswordHash({REDACTED})")
    }
}

impl AdminPasswordHash {
    /// Whether `password` is the admin password. Costs one argon2 hash (tens of milliseconds, by design): call it
    /// off the async threads.
    pub fn verify(&self, password: &str) -> bool {
        // The string was parsed when read; parsing again cannot fail, and a failure would only refuse the login.
        match PasswordHash::new(&self.0) {
            Ok(hash) => Argon2::default().verify_password(password.as_bytes(), &hash).is_ok(),
            Err(_) => false,
        }
    }
}

/// Serialises a configured hash as [`REDACTED`] (for `config show`).
pub fn serialize_redacted<S: Serializer>(hash: &Option<AdminPasswordHash>, serializer: S) -> Result<S::Ok, S::Error> {
    match hash {
        Some(_) => serializer.serialize_str(REDACTED),
        None => serializer.serialize_none(),
    }
}

/// The PHC string of `password` with argon2id, the crate's default cost (19 MiB, 2 passes: OWASP's recommendation)
/// and a random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.is_empty() {
        return Err(PasswordError::Empty);
    }
    let mut salt = [0_u8; 16];
    getrandom::fill(&mut salt).map_err(PasswordError::Random)?;
    let salt = SaltString::encode_b64(&salt).map_err(PasswordError::Hash)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(PasswordError::Hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_another_does_not() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        let hash = AdminPasswordHash::try_from(phc).unwrap();
        assert!(hash.verify("correct horse"));
        assert!(!hash.verify("correct horse "));
        assert!(!hash.verify(""));
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_their_salt() {
        assert_ne!(hash_password("pw").unwrap(), hash_password("pw").unwrap());
    }

    #[test]
    fn an_empty_password_is_not_hashed() {
        assert!(matches!(hash_password(""), Err(PasswordError::Empty)));
    }

    #[test]
    fn only_argon2_phc_strings_are_accepted() {
        assert!(AdminPasswordHash::try_from("hunter2".to_owned()).unwrap_err().contains("hash-password"));
        let pbkdf = "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".to_owned();
        assert!(AdminPasswordHash::try_from(pbkdf).unwrap_err().contains("not argon2"));
    }

    #[test]
    fn the_hash_never_prints() {
        let hash = AdminPasswordHash::try_from(hash_password("pw").unwrap()).unwrap();
        assert_eq!(format!("{hash:?}"), "AdminPasswordHash(REDACTED)");
    }
}
