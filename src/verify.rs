//! A reader that checks size and digest as the bytes go by.

use std::io::{self, Read};

use crate::error::Error;
use crate::model::{Digest, Hasher};

/// Reads at most `size + 1` bytes from `inner` when the size is known, and
/// fails the final read (the one returning 0) when the count or the digest
/// differs from what was expected. Consumers therefore see an error before
/// they see a clean end of stream, and commit nothing.
pub struct VerifyingReader<R> {
    inner: io::Take<R>,
    hasher: Option<Hasher>,
    expected: Digest,
    size: Option<u64>,
    count: u64,
}

impl<R: Read> VerifyingReader<R> {
    pub fn new(inner: R, expected: &Digest, size: Option<u64>) -> Self {
        VerifyingReader {
            inner: inner.take(size.map_or(u64::MAX, |s| s + 1)),
            hasher: Some(expected.algorithm().hasher()),
            expected: expected.clone(),
            size,
            count: 0,
        }
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        self.count += n as u64;
        if let Some(s) = self.size {
            if self.count > s {
                return Err(Error::new(format!(
                    "blob {}: more than the expected {s} bytes",
                    self.expected
                ))
                .into());
            }
        }
        if n == 0 && !buf.is_empty() {
            if let Some(h) = self.hasher.take() {
                if let Some(s) = self.size {
                    if self.count != s {
                        return Err(Error::new(format!(
                            "blob {}: got {} bytes, expected {s} (truncated)",
                            self.expected, self.count
                        ))
                        .into());
                    }
                }
                let got = h.finish();
                if got != self.expected {
                    return Err(Error::new(format!(
                        "blob {}: content hashes to {got} (digest mismatch)",
                        self.expected
                    ))
                    .into());
                }
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catches_mismatch_and_truncation() {
        let d = Digest::of_bytes(b"hello");
        let mut ok = Vec::new();
        VerifyingReader::new(&b"hello"[..], &d, Some(5))
            .read_to_end(&mut ok)
            .unwrap();
        assert_eq!(ok, b"hello");
        let mut v = Vec::new();
        assert!(VerifyingReader::new(&b"hellx"[..], &d, Some(5))
            .read_to_end(&mut v)
            .is_err());
        assert!(VerifyingReader::new(&b"hell"[..], &d, Some(5))
            .read_to_end(&mut v)
            .is_err());
        assert!(VerifyingReader::new(&b"hello!"[..], &d, Some(5))
            .read_to_end(&mut v)
            .is_err());
        assert!(VerifyingReader::new(&b"hello"[..], &d, None)
            .read_to_end(&mut v)
            .is_ok());
    }
}
