//! Parallel gzip compression, pigz-style, as a streaming `Read` adapter.
//!
//! The input is cut into blocks of [`BLOCK`] bytes. Each block is compressed
//! as raw deflate on a small dedicated thread pool, primed with the last
//! 32 KiB of the previous block as a preset dictionary (so matches reach
//! back across block boundaries, as in one serial stream) and ended with a
//! sync flush (byte-aligned, not final). The blocks are emitted in order
//! inside ONE gzip member: header, the concatenated deflate blocks, an empty
//! final block, the CRC-32 of the whole input (block CRCs combined) and
//! ISIZE. Any gzip reader reads it; `gzip -t` accepts it.
//!
//! Each block is first probed: a few small samples are compressed at level 1.
//! Blocks that do not compress (random data, already-compressed files) are
//! written as stored deflate blocks, which costs almost no CPU. At the
//! default (automatic) level the others go through zlib's lazy matcher with
//! a very short search, which compresses better than the fast levels for
//! about their CPU; see [`AUTO_LEVEL`].
//!
//! The output depends only on the input and the level (block boundaries are
//! fixed by [`BLOCK`], never by read sizes, thread count or timing), so the
//! same layer always gives the same digest.
//!
//! Memory is bounded: at most [`in_flight`] blocks (input and output) exist
//! per encoder at once, whatever the input size.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::{mpsc, OnceLock};

use flate2::Crc;

use super::raw::{Deflater, Flush, Tuning};

/// Input block size: 16 stored blocks of the deflate maximum (65,535 bytes),
/// so incompressible data costs the same 5 bytes per 64 KiB as a serial
/// deflater (about 1 MiB per block).
pub const BLOCK: usize = 16 * STORED_MAX;
/// The deflate window: how much of the previous block primes the next.
const DICT: usize = 32 * 1024;
/// Largest stored deflate block.
const STORED_MAX: usize = 65_535;
/// The probe: this many samples of `SAMPLE` bytes per block (start, middle,
/// end) compressed at level 1. The block is stored when no sample shrinks
/// below `STORED_RATIO` of its size, and (automatic level) taken as long
/// repeats when the samples together shrink below `REPEATS_RATIO`.
const SAMPLES: usize = 3;
const SAMPLE: usize = 4 * 1024;
const STORED_RATIO: f64 = 0.97;
const REPEATS_RATIO: f64 = 0.04;

/// The automatic level (no level given): zlib's lazy matcher (levels 7–9)
/// with a hash-chain search of only 4 entries ([`AUTO_TUNING`]), on the
/// blocks that compress; incompressible blocks are stored, and blocks of
/// long repeats go to [`AUTO_REPEATS`].
///
/// Why (measured on the bench image of `scripts/bench`, whose gzip output
/// must be no larger than containers/image's, which uses klauspost pgzip at
/// its default level). zlib's levels trade two things at once: how far the
/// matcher searches (the chain) and whether it matches lazily. Here the
/// lazy decision is what pays and the search is what costs:
///
/// | layer (MB in)     | level 3 | level 8 | lazy, chain 4 | pgzip |
/// |-------------------|---------|---------|---------------|-------|
/// | `seq` text (124)  | 32.79 MB, 0.53 s | 32.24, 3.16 s | 32.20, 0.75 s | 32.49 |
/// | config text (133) | 5.22 MB, 0.15 s  | 5.05, 0.61 s  | 5.05, 0.19 s  | 5.27  |
/// | a log (134)       | 0.91 MB, 0.02 s  | 0.46, 0.15 s  | 0.46, 0.14 s  | 0.50  |
/// | busybox (2)       | 1.08 MB, 0.02 s  | 1.05, 0.06 s  | 1.07, 0.03 s  | 1.09  |
///
/// (CPU seconds of one core, zlib-rs; the last column with good_length
/// 32.) Over the image's compressible layers this is 43.25 MB for about
/// 1.2 s of CPU, against 43.84 MB for pgzip and 43.84 MB for about 1.45 s
/// for the level-3/level-8 mix it replaced; with the log layer at
/// [`AUTO_REPEATS`] and good_length 4, 43.72 MB (the whole image: 132 KB
/// smaller than pgzip's output). Level 7's limits (lazy only below 32) lose the config text's
/// gain (5.22 MB). The short search gives up ratio where the best match
/// lies many candidates back: on text with a 7-line period the output is
/// about 4% larger than level 6's and 17% larger than level 8's; a chain of
/// 32 closes that but costs 1.3× on the `seq` layer. `--dest-compress-level`
/// gives zlib's own levels.
///
/// `good_length` 4 (follow one entry once any match is found) costs 6%
/// fewer instructions than 32 on the `seq` layer for 0.03% more output.
pub const AUTO_LEVEL: u32 = 8;
/// The level of blocks of long repeats at the automatic level (a level-1
/// probe ratio below 4%: the bench's log layer is 2.8%, its config text
/// 6.9–8.2%). zlib's medium matcher takes such data to under 1% of its
/// size at a quarter of the lazy matcher's instructions; the lazy matcher
/// halves that again (the log layer: 0.91 MB vs 0.46 MB of 134 MB), a
/// gain of 0.3% of the input for 4× the CPU.
pub const AUTO_REPEATS: u32 = 3;
/// The search limits of the automatic level (see [`AUTO_LEVEL`]).
pub const AUTO_TUNING: Tuning = Tuning {
    good_length: 4,
    max_lazy: 258,
    nice_length: 258,
    max_chain: 4,
};

/// The compression pool, shared by every encoder in the process. It is
/// separate from rayon's global pool because encoders are read from global
/// pool threads (layers are copied in parallel) and block on their results.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads())
            .thread_name(|i| format!("lade-gzip-{i}"))
            // A panicking job drops its sender; the reader sees an error.
            .panic_handler(|_| {})
            .build()
            .expect("gzip thread pool")
    })
}

fn threads() -> usize {
    crate::cores()
}

/// Blocks in flight per encoder: enough to keep the pool busy, capped so
/// memory (about 2 × BLOCK each) stays small on many-core machines.
pub fn in_flight() -> usize {
    (threads() + 2).clamp(3, 16)
}

/// One compressed block, with its input buffer returned for reuse.
struct Done {
    data: Vec<u8>,
    crc: Crc,
    input: Vec<u8>,
    /// The block goes out as stored deflate blocks: `data` is empty and the
    /// reader frames `input` itself (no copy of it into `data`).
    stored: bool,
}

enum State {
    Header,
    Body,
    Finished,
}

/// Reading yields `inner` gzip-compressed (one member), compressed in
/// parallel.
pub struct ParGzEncoder<R> {
    inner: R,
    /// None: automatic (see [`AUTO_LEVEL`]).
    level: Option<u32>,
    state: State,
    pending: VecDeque<mpsc::Receiver<io::Result<Done>>>,
    max_pending: usize,
    input_done: bool,
    /// The last DICT bytes of the previous block.
    dict: Vec<u8>,
    crc: Crc,
    size: u64,
    out: Vec<u8>,
    pos: usize,
    /// The input of a stored block being emitted after `out` (see
    /// `read_stored`), and how far into its framed form reading is.
    stored: Vec<u8>,
    stored_pos: usize,
    /// Input and output buffers of finished blocks, for reuse.
    spare: Vec<Vec<u8>>,
    spare_out: Vec<Vec<u8>>,
}

impl<R: Read> ParGzEncoder<R> {
    /// `level` 0–9 as for zlib (0: stored only; incompressible blocks are
    /// stored at any level), or None for the automatic level.
    pub fn new(inner: R, level: Option<u32>) -> Self {
        ParGzEncoder {
            inner,
            level: level.map(|l| l.min(9)),
            state: State::Header,
            pending: VecDeque::new(),
            max_pending: in_flight(),
            input_done: false,
            dict: Vec::new(),
            crc: Crc::new(),
            size: 0,
            out: Vec::new(),
            pos: 0,
            stored: Vec::new(),
            stored_pos: 0,
            spare: Vec::new(),
            spare_out: Vec::new(),
        }
    }

    /// Read one full block (short only at the end of the input).
    fn read_block(&mut self) -> io::Result<Vec<u8>> {
        // Recycled buffers are full blocks: zeroed once, when first made.
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.resize(BLOCK, 0);
        let n = crate::fsutil::read_up_to(&mut self.inner, &mut buf)?;
        if n < BLOCK {
            self.input_done = true;
        }
        buf.truncate(n);
        Ok(buf)
    }

    /// Read blocks and hand them to the pool until enough are in flight.
    fn fill(&mut self) -> io::Result<()> {
        while !self.input_done && self.pending.len() < self.max_pending {
            let block = self.read_block()?;
            if block.is_empty() {
                self.spare.push(block);
                break;
            }
            self.size += block.len() as u64;
            // A short block is the last one: its tail primes nothing.
            let next = block[block.len().saturating_sub(DICT)..].to_vec();
            let dict = std::mem::replace(&mut self.dict, next);
            let level = self.level;
            let mut data = self.spare_out.pop().unwrap_or_default();
            let (tx, rx) = mpsc::sync_channel(1);
            pool().spawn(move || {
                let r = compress_block(&block, &dict, level, &mut data).map(|(crc, stored)| Done {
                    data,
                    crc,
                    input: block,
                    stored,
                });
                let _ = tx.send(r);
            });
            self.pending.push_back(rx);
        }
        Ok(())
    }

    /// Copy the next bytes of the stored block being emitted into `buf`:
    /// each chunk of up to STORED_MAX input bytes is framed by a 5-byte
    /// header (BFINAL=0, BTYPE=00, LEN, NLEN). None when there is none.
    fn read_stored(&mut self, buf: &mut [u8]) -> Option<usize> {
        const FRAME: usize = STORED_MAX + 5;
        let len = self.stored.len();
        let total = len + len.div_ceil(STORED_MAX) * 5;
        if self.stored_pos >= total {
            if len > 0 {
                self.spare.push(std::mem::take(&mut self.stored));
            }
            return None;
        }
        let (k, off) = (self.stored_pos / FRAME, self.stored_pos % FRAME);
        let start = k * STORED_MAX;
        let chunk = &self.stored[start..len.min(start + STORED_MAX)];
        let n = if off < 5 {
            let l = chunk.len() as u16;
            let [a, b] = l.to_le_bytes();
            let [c, d] = (!l).to_le_bytes();
            let header = [0, a, b, c, d];
            let n = buf.len().min(5 - off);
            buf[..n].copy_from_slice(&header[off..off + n]);
            n
        } else {
            let rest = &chunk[off - 5..];
            let n = buf.len().min(rest.len());
            buf[..n].copy_from_slice(&rest[..n]);
            n
        };
        self.stored_pos += n;
        Some(n)
    }

    fn header(&self) -> Vec<u8> {
        // As flate2's GzBuilder writes it: no name, mtime 0, OS unknown.
        let xfl = match self.level {
            Some(9) => 2,
            Some(0 | 1) => 4,
            _ => 0,
        };
        vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255]
    }

    fn trailer(&self) -> Vec<u8> {
        // An empty final block with fixed codes: BFINAL=1, BTYPE=01, EOB.
        let mut t = vec![0x03, 0x00];
        t.extend_from_slice(&self.crc.sum().to_le_bytes());
        t.extend_from_slice(&(self.size as u32).to_le_bytes());
        t
    }
}

impl<R: Read> Read for ParGzEncoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.pos);
                buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if let Some(n) = self.read_stored(buf) {
                return Ok(n);
            }
            self.pos = 0;
            match self.state {
                State::Header => {
                    self.out = self.header();
                    self.state = State::Body;
                }
                State::Body => {
                    self.fill()?;
                    match self.pending.pop_front() {
                        Some(rx) => {
                            let done = rx.recv().map_err(|_| {
                                io::Error::other("gzip: a compression worker failed")
                            })??;
                            self.crc.combine(&done.crc);
                            let old = std::mem::replace(&mut self.out, done.data);
                            self.spare_out.push(old);
                            if done.stored {
                                self.stored = done.input;
                                self.stored_pos = 0;
                            } else {
                                self.spare.push(done.input);
                            }
                        }
                        None => {
                            self.out = self.trailer();
                            self.state = State::Finished;
                        }
                    }
                }
                State::Finished => {
                    self.out.clear();
                    return Ok(0);
                }
            }
        }
    }
}

/// Compress one block to raw deflate ending on a byte boundary (sync
/// flush) into `out`; returns the block's CRC, and true when the block is
/// to go out as stored blocks instead (then `out` is left empty).
fn compress_block(
    block: &[u8],
    dict: &[u8],
    level: Option<u32>,
    out: &mut Vec<u8>,
) -> io::Result<(Crc, bool)> {
    let mut crc = Crc::new();
    crc.update(block);
    out.clear();
    let d = match (level, probe(block)?) {
        (Some(0), _) | (_, Probe::Incompressible) => return Ok((crc, true)),
        (Some(l), _) => Deflater::new(l, None),
        (None, Probe::Repeats) => Deflater::new(AUTO_REPEATS, None),
        (None, Probe::Ordinary) => Deflater::new(AUTO_LEVEL, Some(AUTO_TUNING)),
    };
    // A new deflater per block, not one reused per thread: zlib's reset
    // leaves the window as it was, and matches near the end of the input
    // may look at it, so a reused deflater's output would depend on which
    // blocks this thread compressed before (setting one up costs ~6 µs).
    let mut d = d?;
    if !dict.is_empty() {
        d.set_dictionary(dict)?;
    }
    d.compress(block, out, Flush::Sync)?;
    Ok((crc, false))
}

#[derive(Debug, PartialEq)]
enum Probe {
    /// Random or already compressed: stored.
    Incompressible,
    /// Long repeats (logs, zeros): level 1 already takes the samples below
    /// [`REPEATS_RATIO`].
    Repeats,
    Ordinary,
}

/// What kind of data is this block? A few samples are deflated at level 1:
/// when none of them shrinks noticeably, the block is taken as random (or
/// already compressed); when together they shrink to almost nothing, as
/// long repeats. Small blocks are ordinary.
fn probe(block: &[u8]) -> io::Result<Probe> {
    if block.len() < SAMPLES * SAMPLE * 2 {
        return Ok(Probe::Ordinary);
    }
    let mut out = Vec::with_capacity(SAMPLE * 2);
    let step = (block.len() - SAMPLE) / (SAMPLES - 1);
    let (mut total, mut shrinks) = (0, false);
    for i in 0..SAMPLES {
        let s = &block[i * step..i * step + SAMPLE];
        out.clear();
        // A new deflater per sample (see compress_block).
        Deflater::new(1, None)?.compress(s, &mut out, Flush::Finish)?;
        shrinks |= (out.len() as f64) < s.len() as f64 * STORED_RATIO;
        total += out.len();
    }
    Ok(if !shrinks {
        Probe::Incompressible
    } else if (total as f64) < (SAMPLES * SAMPLE) as f64 * REPEATS_RATIO {
        Probe::Repeats
    } else {
        Probe::Ordinary
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    /// Deterministic pseudo-random bytes (xorshift).
    fn random(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    fn text(n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 100);
        let mut i = 0u64;
        while v.len() < n {
            writeln!(v, "line {i} of an ordinary text file, status {}", i % 7).unwrap();
            i += 1;
        }
        v.truncate(n);
        v
    }

    /// Yields its data a few bytes at a time, to check that block
    /// boundaries do not depend on read sizes.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 = self.1 % 7 + 1;
            let n = self.0.len().min(buf.len()).min(self.1 * 997);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn compress(data: &[u8], level: Option<u32>) -> Vec<u8> {
        let mut out = Vec::new();
        ParGzEncoder::new(data, level)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// Decodes with a single-member decoder: everything must be in one member.
    fn check(data: &[u8], gz: &[u8]) {
        assert_eq!(&gz[..3], &[0x1f, 0x8b, 8]);
        let mut got = Vec::new();
        let mut d = flate2::read::GzDecoder::new(gz);
        d.read_to_end(&mut got).unwrap();
        assert!(got == data, "single-member round trip differs");
        let mut got = Vec::new();
        flate2::read::MultiGzDecoder::new(gz)
            .read_to_end(&mut got)
            .unwrap();
        assert!(got == data, "round trip differs");
    }

    fn cases() -> Vec<(&'static str, Vec<u8>)> {
        let mut mixed = random(BLOCK + 12345, 7);
        mixed.extend(text(2 * BLOCK));
        mixed.extend(random(BLOCK / 3, 9));
        vec![
            ("empty", vec![]),
            ("one byte", b"x".to_vec()),
            ("tiny", b"hello, hello, hello\n".to_vec()),
            ("block-1", text(BLOCK - 1)),
            ("block", text(BLOCK)),
            ("block+1", text(BLOCK + 1)),
            ("random block", random(BLOCK, 1)),
            ("random", random(3 * BLOCK + 5, 2)),
            ("text", text(5 * BLOCK + 77)),
            ("zeros", vec![0; 4 * BLOCK]),
            ("mixed", mixed),
        ]
    }

    #[test]
    fn round_trips() {
        for (name, data) in cases() {
            for level in [Some(0), Some(1), None, Some(6), Some(9)] {
                let gz = compress(&data, level);
                check(&data, &gz);
                eprintln!("{name} level {level:?}: {} -> {}", data.len(), gz.len());
            }
        }
    }

    #[test]
    fn automatic_level_compresses_text_like_level_8_and_better_than_level_3() {
        // Lines whose best match is the previous line but its number: the
        // lazy matcher's case, found with a short search (see AUTO_LEVEL).
        let mut lines = Vec::new();
        for i in 0..200_000 {
            writeln!(
                lines,
                "line {i} of an ordinary configuration or source text file, say"
            )
            .unwrap();
        }
        let size = |data: &[u8], level| {
            let gz = compress(data, level);
            check(data, &gz);
            gz.len() as f64
        };
        let (auto, l3, l8) = (
            size(&lines, None),
            size(&lines, Some(3)),
            size(&lines, Some(8)),
        );
        assert!(auto < l3 * 0.99, "auto {auto} vs level 3 {l3}");
        assert!(auto < l8 * 1.01, "auto {auto} vs level 8 {l8}");
        // Where the best match lies many candidates back (a 7-line period),
        // the short search gives up some ratio, but not much against level 6.
        let data = text(6 * BLOCK);
        let (auto, l6) = (size(&data, None), size(&data, Some(6)));
        assert!(auto < l6 * 1.05, "auto {auto} vs level 6 {l6}");
        // Long repeats (a log line over and over) take level 3 there.
        let log = b"Mar 14 09:26:53 host app[1234]: request served in 12 ms\n".repeat(80_000);
        assert_eq!(probe(&log[..BLOCK]).unwrap(), Probe::Repeats);
        assert_eq!(probe(&lines[..BLOCK]).unwrap(), Probe::Ordinary);
        assert!(compress(&log, None) == compress(&log, Some(3)));
        // Random data is still stored at the automatic level.
        let r = random(2 * BLOCK, 4);
        assert_eq!(compress(&r, None).len(), r.len() + 2 * 16 * 5 + 10 + 2 + 8);
    }

    /// zlib's reset does not clear the window, and matches near the end of
    /// the input can look at what a previous stream left there: a block
    /// must compress the same whatever this thread compressed before. The
    /// fixture is a case found on the bench image: a 1 MiB block of a
    /// layer of small text files (and the 32 KiB before it), and a block of
    /// the config-text layer (and a 32 KiB dictionary) compressed first.
    #[test]
    fn a_block_compresses_the_same_whatever_came_before() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/pgzip-reuse.bin.gz"
        );
        let mut all = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
            .read_to_end(&mut all)
            .unwrap();
        let (hist_dict, rest) = all.split_at(DICT);
        let (hist, rest) = rest.split_at(BLOCK);
        let (dict, block) = rest.split_at(DICT);
        assert_eq!(block.len(), BLOCK);
        let mut alone = Vec::new();
        compress_block(block, dict, None, &mut alone).unwrap();
        let mut seen = Vec::new();
        compress_block(hist, hist_dict, None, &mut seen).unwrap();
        let mut after = Vec::new();
        compress_block(block, dict, None, &mut after).unwrap();
        assert!(
            alone == after,
            "{} bytes alone, {} after another block",
            alone.len(),
            after.len()
        );
    }

    #[test]
    fn deterministic_whatever_the_read_sizes() {
        let mut data = text(2 * BLOCK);
        data.extend(random(BLOCK + 3, 3));
        let whole = compress(&data, None);
        let mut trickled = Vec::new();
        ParGzEncoder::new(Trickle(&data, 0), None)
            .read_to_end(&mut trickled)
            .unwrap();
        assert!(whole == trickled);
        // Small reads of the output too.
        let mut e = ParGzEncoder::new(&data[..], None);
        let mut small = Vec::new();
        let mut buf = [0u8; 13];
        loop {
            let n = e.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            small.extend_from_slice(&buf[..n]);
        }
        assert!(whole == small);
    }

    #[test]
    fn random_blocks_are_stored_and_text_compresses_like_serial_deflate() {
        let data = random(4 * BLOCK, 5);
        let gz = compress(&data, Some(6));
        // 5 bytes per 65,535-byte stored block, plus header and trailer.
        assert_eq!(gz.len(), data.len() + 4 * 16 * 5 + 10 + 2 + 8);

        let data = text(8 * BLOCK);
        for level in [1, 3, 6, 8] {
            let par = compress(&data, Some(level)).len();
            let mut serial = Vec::new();
            flate2::read::GzEncoder::new(&data[..], flate2::Compression::new(level))
                .read_to_end(&mut serial)
                .unwrap();
            let serial = serial.len();
            assert!(
                par as f64 <= serial as f64 * 1.01 + 64.0,
                "level {level}: parallel {par} vs serial {serial}"
            );
        }
    }

    #[test]
    fn errors_pass_through() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("boom"));
                }
                let n = buf.len().min(self.0);
                buf[..n].fill(b'a');
                self.0 -= n;
                Ok(n)
            }
        }
        let mut out = Vec::new();
        let e = ParGzEncoder::new(Failing(3 * BLOCK + 10), Some(6))
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(e.to_string(), "boom");
    }

    #[test]
    fn memory_is_bounded() {
        // 256 MiB of input, never held: at most max_pending blocks in flight
        // and as many spare buffers.
        struct Endless(u64);
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = (buf.len() as u64).min(self.0) as usize;
                for (i, b) in buf[..n].iter_mut().enumerate() {
                    *b = (i % 251) as u8;
                }
                self.0 -= n as u64;
                Ok(n)
            }
        }
        let total = 256u64 << 20;
        let mut e = ParGzEncoder::new(Endless(total), Some(1));
        let mut buf = vec![0u8; 1 << 16];
        let mut crc = Crc::new();
        let mut out = 0u64;
        loop {
            let n = e.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out += n as u64;
            crc.update(&buf[..n]);
            assert!(e.pending.len() <= e.max_pending);
            assert!(e.spare.len() <= e.max_pending + 1);
            assert!(e.spare_out.len() <= e.max_pending + 1);
            let held: usize = e.spare.iter().map(|b| b.capacity()).sum::<usize>()
                + e.spare_out.iter().map(|b| b.capacity()).sum::<usize>()
                + e.out.capacity();
            assert!(held <= 4 * (e.max_pending + 2) * BLOCK, "{held}");
        }
        assert_eq!(e.size, total);
        assert!(out < total / 10);
    }

    fn have_gzip() -> bool {
        Command::new("gzip").arg("--version").output().is_ok()
    }

    #[test]
    fn gzip_tool_accepts_it() {
        if !have_gzip() {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(!ci, "gzip is missing (CI=true)");
            eprintln!("gzip not installed; skipped");
            return;
        }
        for (name, data) in cases() {
            let gz = compress(&data, None);
            let t = Command::new("gzip")
                .arg("-t")
                .stdin(Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    c.stdin.take().unwrap().write_all(&gz)?;
                    c.wait()
                })
                .unwrap();
            assert!(t.success(), "{name}: gzip -t failed");
            let mut c = Command::new("gzip")
                .arg("-dc")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = c.stdin.take().unwrap();
            let writer = std::thread::spawn(move || stdin.write_all(&gz));
            let out = c.wait_with_output().unwrap();
            writer.join().unwrap().unwrap();
            assert!(out.status.success(), "{name}: gzip -d failed");
            assert!(out.stdout == data, "{name}: gzip -d gives other bytes");
        }
    }
}
