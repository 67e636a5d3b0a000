//! Hashing: the sha256 that identifies a recording, a model or a script in the JSON.
//!
//! Takes: a file path or bytes. Gives: the lowercase hex sha256. Must not: read more than one
//! buffer of a file at a time (recordings may be gigabytes).

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// sha256 of a file, streamed in 1 MiB blocks.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf)? {
            0 => break,
            n => hasher.update(&buf[..n]),
        }
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// sha256 of bytes in memory.
pub fn bytes_sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_bytes_agree_with_the_known_digest() {
        // sha256("abc"), FIPS 180-2 appendix B.1.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(bytes_sha256(b"abc"), abc);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(file_sha256(&path).unwrap(), abc);
    }
}
