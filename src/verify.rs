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
    /// The final read has been checked.
    ended: bool,
    /// What the digest names, in errors ("blob").
    what: &'static str,
}

impl<R: Read> VerifyingReader<R> {
    pub fn new(inner: R, expected: &Digest, size: Option<u64>) -> Self {
        Self::with_hasher(inner, expected, size, true)
    }

    /// Checks the byte count only, for a consumer that verifies the digest
    /// itself (a registry given `?digest=`); `expected` names the blob in
    /// errors.
    pub fn size_only(inner: R, expected: &Digest, size: u64) -> Self {
        Self::with_hasher(inner, expected, Some(size), false)
    }

    fn with_hasher(inner: R, expected: &Digest, size: Option<u64>, hash: bool) -> Self {
        VerifyingReader {
            inner: inner.take(size.map_or(u64::MAX, |s| s.saturating_add(1))),
            hasher: hash.then(|| expected.algorithm().hasher()),
            expected: expected.clone(),
            size,
            count: 0,
            ended: false,
            what: "blob",
        }
    }

    /// Errors call what the digest names `what` rather than a blob (an
    /// uncompressed layer's digest is the config's diff_id).
    pub fn naming(mut self, what: &'static str) -> Self {
        self.what = what;
        self
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
                    "{} {}: more than the expected {s} bytes",
                    self.what, self.expected
                ))
                .into());
            }
        }
        if n == 0 && !buf.is_empty() && !self.ended {
            self.ended = true;
            if let Some(s) = self.size {
                if self.count != s {
                    return Err(Error::new(format!(
                        "{} {}: got {} bytes, expected {s} (truncated)",
                        self.what, self.expected, self.count
                    ))
                    .transient()
                    .into());
                }
            }
            if let Some(h) = self.hasher.take() {
                let got = h.finish();
                if got != self.expected {
                    // (transient: read again, with --retry-times, the
                    // bytes may arrive whole; changed on the way)
                    return Err(Error::new(format!(
                        "{} {}: content hashes to {got} (digest mismatch)",
                        self.what, self.expected
                    ))
                    .transient()
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
        // size_only: the count is checked, the content is not.
        assert!(VerifyingReader::size_only(&b"hellx"[..], &d, 5)
            .read_to_end(&mut v)
            .is_ok());
        assert!(VerifyingReader::size_only(&b"hell"[..], &d, 5)
            .read_to_end(&mut v)
            .is_err());
        assert!(VerifyingReader::size_only(&b"hello!"[..], &d, 5)
            .read_to_end(&mut v)
            .is_err());
    }
}
