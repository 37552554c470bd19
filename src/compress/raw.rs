//! A raw-deflate compressor on zlib-rs's zlib-compatible interface.
//!
//! flate2 (over the same zlib-rs) covers everything lade needs but
//! `deflateTune`, which sets the matcher's search limits directly instead
//! of through a level; the automatic gzip level uses that (see
//! [`super::pgzip::AUTO_TUNING`]). This wrapper keeps the unsafe calls in
//! one place: the stream lives in a `Box` (zlib's state points back at it,
//! so it must not move), and the input and output pointers are set for one
//! call at a time from live slices.

use std::io;

use libz_rs_sys as z;

/// Search limits for `deflateTune`, as zlib names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// Above this match length, follow only a quarter of `max_chain`.
    pub good_length: u16,
    /// Above this match length, do not look for a longer match at the next byte.
    pub max_lazy: u16,
    /// Stop searching at a match this long.
    pub nice_length: u16,
    /// Hash-chain entries to try per position. At least 4: zlib quarters
    /// it after a good match and must not reach 0.
    pub max_chain: u16,
}

pub enum Flush {
    /// End on a byte boundary, leaving the stream open (`Z_SYNC_FLUSH`).
    Sync,
    /// End the stream (`Z_FINISH`).
    Finish,
}

/// One raw (headerless) deflate stream with a 32 KiB window. There is no
/// reset: zlib's leaves the old window in place, and output must depend
/// on the input alone, so each stream gets a new one (~6 µs).
pub struct Deflater {
    strm: Box<z::z_stream>,
}

// SAFETY: the stream's state is owned by this value alone; no pointer into
// caller memory outlives a method call.
unsafe impl Send for Deflater {}

impl Deflater {
    /// `level` 1–9; `tuning` replaces that level's search limits (the level
    /// still picks the matching algorithm: 7–9 the lazy matcher).
    pub fn new(level: u32, tuning: Option<Tuning>) -> io::Result<Self> {
        let mut strm: Box<z::z_stream> = Box::default();
        // SAFETY: strm is a valid, zeroed stream; the version and size
        // arguments describe this very library.
        let rc = unsafe {
            z::deflateInit2_(
                &mut *strm,
                level.min(9) as i32,
                z::Z_DEFLATED,
                -15, // raw deflate, 32 KiB window
                8,
                z::Z_DEFAULT_STRATEGY,
                z::zlibVersion(),
                std::mem::size_of::<z::z_stream>() as i32,
            )
        };
        check(rc, "deflateInit2")?;
        let mut d = Deflater { strm };
        if let Some(t) = tuning {
            // SAFETY: the stream was initialised just above.
            let rc = unsafe {
                z::deflateTune(
                    &mut *d.strm,
                    t.good_length.into(),
                    t.max_lazy.into(),
                    t.nice_length.into(),
                    t.max_chain.max(4).into(),
                )
            };
            check(rc, "deflateTune")?;
        }
        Ok(d)
    }

    /// Prime the window with `dict` (the data that precedes the input).
    pub fn set_dictionary(&mut self, dict: &[u8]) -> io::Result<()> {
        // SAFETY: dict is a live slice for the duration of the call.
        let rc = unsafe {
            z::deflateSetDictionary(&mut *self.strm, dict.as_ptr(), len_u32(dict.len())?)
        };
        check(rc, "deflateSetDictionary")
    }

    /// Compress all of `input`, then flush; the output is appended to `out`.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>, flush: Flush) -> io::Result<()> {
        let flush = match flush {
            Flush::Sync => z::Z_SYNC_FLUSH,
            Flush::Finish => z::Z_FINISH,
        };
        let mut rest = input;
        loop {
            if out.capacity() - out.len() < 1024 {
                out.reserve(out.len().max(input.len() / 2).max(64 * 1024));
            }
            let room = (out.capacity() - out.len()).min(u32::MAX as usize);
            let take = rest.len().min(u32::MAX as usize);
            let strm = &mut *self.strm;
            strm.next_in = rest.as_ptr();
            strm.avail_in = take as u32;
            // SAFETY: the spare capacity is writable memory of `room` bytes.
            strm.next_out = unsafe { out.as_mut_ptr().add(out.len()) };
            strm.avail_out = room as u32;
            // SAFETY: both pointers are valid for the lengths given, for
            // this call only; they are cleared right after.
            let rc = unsafe { z::deflate(strm, flush) };
            let consumed = take - strm.avail_in as usize;
            let written = room - strm.avail_out as usize;
            let out_full = strm.avail_out == 0;
            strm.next_in = std::ptr::null();
            strm.avail_in = 0;
            strm.next_out = std::ptr::null_mut();
            strm.avail_out = 0;
            // SAFETY: deflate initialised exactly `written` bytes there.
            unsafe { out.set_len(out.len() + written) };
            rest = &rest[consumed..];
            match rc {
                z::Z_STREAM_END => return Ok(()),
                // Z_BUF_ERROR: no progress possible without more room.
                z::Z_OK | z::Z_BUF_ERROR => {
                    // Done once all input is in and the flush did not run
                    // out of room.
                    if rest.is_empty() && !out_full && flush == z::Z_SYNC_FLUSH {
                        return Ok(());
                    }
                    if rc == z::Z_BUF_ERROR && !out_full {
                        return Err(io::Error::other("deflate made no progress"));
                    }
                }
                rc => return check(rc, "deflate"),
            }
        }
    }
}

impl Drop for Deflater {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised by new() and is ended once.
        unsafe {
            z::deflateEnd(&mut *self.strm);
        }
    }
}

fn len_u32(n: usize) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| io::Error::other("deflate: input too large"))
}

fn check(rc: i32, what: &str) -> io::Result<()> {
    if rc == z::Z_OK {
        Ok(())
    } else {
        Err(io::Error::other(format!("{what} failed (zlib code {rc})")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn inflate(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(raw)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn text(n: usize) -> Vec<u8> {
        let mut v = Vec::new();
        let mut i = 0;
        while v.len() < n {
            v.extend_from_slice(format!("line {i} of some text, say\n").as_bytes());
            i += 1;
        }
        v.truncate(n);
        v
    }

    #[test]
    fn finish_round_trips_at_every_level_and_tuning() {
        let data = text(300_000);
        let tunings = [
            None,
            Some(Tuning {
                good_length: 32,
                max_lazy: 258,
                nice_length: 258,
                max_chain: 4,
            }),
            // Below 4 is raised to 4 (0 after quartering would wrap).
            Some(Tuning {
                good_length: 4,
                max_lazy: 4,
                nice_length: 8,
                max_chain: 1,
            }),
        ];
        for level in 1..=9 {
            for t in tunings {
                let mut d = Deflater::new(level, t).unwrap();
                let mut out = Vec::new();
                d.compress(&data, &mut out, Flush::Finish).unwrap();
                assert!(inflate(&out) == data, "level {level} {t:?}");
                assert!(out.len() < data.len() / 3);
                // With a dictionary.
                let mut d = Deflater::new(level, t).unwrap();
                d.set_dictionary(&data[..1000]).unwrap();
                let mut again = Vec::new();
                d.compress(&data[1000..], &mut again, Flush::Finish)
                    .unwrap();
                let mut dec = flate2::Decompress::new(false);
                dec.set_dictionary(&data[..1000]).unwrap();
                let mut plain = Vec::with_capacity(data.len());
                dec.decompress_vec(&again, &mut plain, flate2::FlushDecompress::Finish)
                    .unwrap();
                assert!(
                    plain == data[1000..],
                    "level {level} {t:?} with a dictionary"
                );
            }
        }
    }

    #[test]
    fn sync_flush_ends_on_a_byte_boundary_and_tiny_room_is_grown() {
        let data = text(100_000);
        let mut d = Deflater::new(6, None).unwrap();
        let mut out = Vec::new();
        d.compress(&data, &mut out, Flush::Sync).unwrap();
        // A sync flush ends with an empty stored block: 00 00 ff ff.
        assert_eq!(&out[out.len() - 4..], &[0, 0, 0xff, 0xff]);
        // Empty input still flushes.
        let before = out.len();
        d.compress(&[], &mut out, Flush::Finish).unwrap();
        assert!(out.len() > before);
        assert!(inflate(&out) == data);
    }
}
