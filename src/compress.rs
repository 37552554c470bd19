//! Compression sniffing by magic bytes.

use crate::model::Compression;

pub mod pgzip;
mod raw;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Detect gzip or zstd from the first bytes of a stream; anything else is None.
/// A zstd stream may begin with a skippable frame (RFC 8878 3.1.2: magic
/// 0x184D2A50 to 0x184D2A5F, little-endian), as Docker's and containerd's
/// sniffing know.
pub fn sniff(prefix: &[u8]) -> Compression {
    if prefix.starts_with(GZIP_MAGIC) {
        Compression::Gzip
    } else if prefix.starts_with(ZSTD_MAGIC) || zstd_skippable(prefix) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Does `prefix` begin with the magic number of a zstd skippable frame?
fn zstd_skippable(prefix: &[u8]) -> bool {
    prefix.len() >= 4 && prefix[0] & 0xf0 == 0x50 && prefix[1..4] == [0x2a, 0x4d, 0x18]
}

/// How many first bytes tell a stream's compression ([`sniff`]).
pub const SNIFF_LEN: usize = ZSTD_MAGIC.len();

/// Read the first bytes of `r`, as many as tell its compression: what
/// they show, and the bytes (to be read again ahead of the rest).
pub fn sniff_start<R: std::io::Read + ?Sized>(
    r: &mut R,
) -> std::io::Result<(Compression, Vec<u8>)> {
    let mut prefix = vec![0u8; SNIFF_LEN];
    let n = crate::fsutil::read_up_to(r, &mut prefix)?;
    prefix.truncate(n);
    Ok((sniff(&prefix), prefix))
}

/// Does a block look like the start of a tar archive (ustar magic, or the
/// all-zero end-of-archive block of an empty tar)?
pub fn looks_like_tar(block: &[u8]) -> bool {
    if block.len() < 512 {
        return false;
    }
    &block[257..262] == b"ustar" || block[..512].iter().all(|&b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Compression::Zstd);
        assert_eq!(sniff(&[0x50, 0x2a, 0x4d, 0x18, 0]), Compression::Zstd);
        assert_eq!(sniff(&[0x5f, 0x2a, 0x4d, 0x18]), Compression::Zstd);
        assert_eq!(sniff(&[0x60, 0x2a, 0x4d, 0x18]), Compression::None);
        assert_eq!(sniff(&[0x50, 0x2a, 0x4d]), Compression::None);
        assert_eq!(sniff(b"hello"), Compression::None);
        assert_eq!(sniff(b""), Compression::None);
    }
}
