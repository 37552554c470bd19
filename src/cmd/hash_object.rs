//! `lade hash-object`: digests of files or stdin, optionally stored.
//!
//! Files are hashed in parallel (rayon) in batches, and printed in input
//! order; large files are hashed through bounded memory maps.

use std::fs::File;
use std::io::{self, BufRead, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rayon::prelude::*;

use super::{stdout, store_path, write_record};
use crate::cli::{GlobalArgs, HashObjectArgs};
use crate::compress::{looks_like_tar, sniff};
use crate::error::{Context, Error, Result};
use crate::fsutil::{hash_file, read_capped, ChannelReader};
use crate::model::media_type::OCI_EMPTY;
use crate::model::{
    Algorithm, Compression, Digest, ImageConfig, MediaType, RawManifest, MAX_MANIFEST_SIZE,
};
use crate::store::Layout;

/// Paths hashed per parallel batch; output is flushed between batches.
const BATCH: usize = 256;

struct Job<'a> {
    store: Option<&'a Layout>,
    check: Option<&'a MediaType>,
}

pub fn run(g: &GlobalArgs, a: HashObjectArgs) -> Result<i32> {
    let check = a.media_type.as_deref().map(MediaType::parse);
    if let Some(mt) = &check {
        if !(mt.is_manifest_or_index() || mt.is_config() || mt.is_layer() || is_empty_type(mt)) {
            return Err(Error::usage(format!(
                "-t {mt}: lade checks image manifests, indexes, configs, layers and \
                 {OCI_EMPTY}, not this type (leave -t out to hash without a check)"
            )));
        }
    }
    let store = if a.write {
        let p = store_path(g)?;
        let store = Layout::open_for_writing(&p).map_err(|e| e.context("store"))?;
        let made = store.create().map_err(|e| e.context("store"))?;
        Some((store, made))
    } else {
        None
    };
    let job = Job {
        store: store.as_ref().map(|(s, _)| s),
        check: check.as_ref(),
    };
    let r = hash_all(&job, &a);
    // A failure takes back a store this run made, while it holds nothing.
    if let (Err(_), Some((store, made))) = (&r, &store) {
        store.unmake(*made, &Default::default());
    }
    r
}

fn hash_all(job: &Job, a: &HashObjectArgs) -> Result<i32> {
    let mut out = stdout();
    if a.stdin {
        let d = job.reader(&mut io::stdin().lock()).context("stdin")?;
        write_record(&mut out, &d.to_string(), a.null)?;
        out.flush()?;
        return Ok(0);
    }
    if a.stdin_paths {
        let stdin = io::stdin();
        let mut input = stdin.lock();
        let sep = if a.null { b'\0' } else { b'\n' };
        loop {
            let batch = read_paths(&mut input, sep, BATCH)?;
            if batch.is_empty() {
                break;
            }
            let results: Vec<Result<Digest>> = batch.par_iter().map(|p| job.path(p)).collect();
            for (p, r) in batch.iter().zip(results) {
                match r {
                    Ok(d) => write_record(&mut out, &d.to_string(), a.null)?,
                    Err(e) if is_missing(&e) => {
                        write_record(&mut out, &format!("{} missing", p.display()), a.null)?
                    }
                    Err(e) => return Err(e.context(p.display())),
                }
            }
            out.flush()?;
        }
        return Ok(0);
    }
    if a.files.is_empty() {
        return Err(Error::usage(
            "hash-object: nothing to hash: give FILE…, --stdin or --stdin-paths",
        ));
    }
    for chunk in a.files.chunks(BATCH) {
        let results: Vec<Result<Digest>> = chunk.par_iter().map(|p| job.path(p)).collect();
        for (p, r) in chunk.iter().zip(results) {
            let d = r.with_context(|| p.display().to_string())?;
            write_record(&mut out, &d.to_string(), a.null)?;
        }
        out.flush()?;
    }
    Ok(0)
}

fn is_missing(e: &Error) -> bool {
    e.message().contains("No such file or directory")
}

/// Read up to `max` paths separated by `sep`. An empty record is a path
/// too (one that is missing), so every input has its output line.
fn read_paths(r: &mut impl BufRead, sep: u8, max: usize) -> io::Result<Vec<PathBuf>> {
    use std::os::unix::ffi::OsStringExt;
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while out.len() < max {
        buf.clear();
        if r.read_until(sep, &mut buf)? == 0 {
            break;
        }
        if buf.last() == Some(&sep) {
            buf.pop();
        }
        out.push(PathBuf::from(std::ffi::OsString::from_vec(buf.clone())));
    }
    Ok(out)
}

impl Job<'_> {
    fn path(&self, p: &Path) -> Result<Digest> {
        if p.as_os_str() == "-" {
            return self.reader(&mut io::stdin().lock());
        }
        // A regular file, or a pipe (`<(…)`, a FIFO) read as a stream.
        let (mut f, pipe) = crate::fsutil::open_stream(p)?;
        if pipe {
            return self.reader(&mut f);
        }
        if let Some(mt) = self.check {
            if mt.is_manifest_or_index() || mt.is_config() || is_empty_type(mt) {
                let bytes = read_capped(&mut f, MAX_MANIFEST_SIZE, "object")?;
                return self.bytes(bytes);
            }
            check_layer_prefix(mt, &mut f)?;
            f.rewind()?;
            return checked_layer(mt, &mut f, |r| self.stream(r));
        }
        match self.store {
            Some(s) => durable(s, s.put(&mut f, None)?.0),
            None => Ok(hash_file(&f, Algorithm::Sha256)?.0),
        }
    }

    fn reader(&self, r: &mut dyn Read) -> Result<Digest> {
        if let Some(mt) = self.check {
            if mt.is_manifest_or_index() || mt.is_config() || is_empty_type(mt) {
                let bytes = read_capped(r, MAX_MANIFEST_SIZE, "object")?;
                return self.bytes(bytes);
            }
            // Check the prefix, then hash it and the rest as one stream.
            let mut prefix = Vec::with_capacity(512);
            r.take(512).read_to_end(&mut prefix)?;
            check_layer_bytes(mt, &prefix)?;
            let mut chained = prefix.as_slice().chain(r);
            return checked_layer(mt, &mut chained, |r| self.stream(r));
        }
        self.stream(r)
    }

    fn stream(&self, r: &mut dyn Read) -> Result<Digest> {
        match self.store {
            Some(s) => durable(s, s.put(r, None)?.0),
            None => Ok(Digest::of_reader(Algorithm::Sha256, r)?.0),
        }
    }

    fn bytes(&self, bytes: Vec<u8>) -> Result<Digest> {
        let mt = self.check.expect("only called with -t");
        if mt.is_manifest_or_index() {
            let raw = RawManifest::from_bytes(bytes, Some(mt))?;
            if &raw.media_type != mt {
                return Err(Error::new(format!("not {mt}: it is {}", raw.media_type)));
            }
            // Docker's formats require the field (registries refuse one
            // without); the OCI ones may leave it out.
            if mt.is_docker() {
                let v: serde_json::Value = serde_json::from_slice(&raw.bytes)?;
                if !v["mediaType"].is_string() {
                    return Err(Error::new(format!(
                        "not a valid {mt}: it has no mediaType, which the format requires"
                    )));
                }
            }
            if raw.is_index() {
                raw.index()?;
            } else {
                raw.manifest()?;
            }
            return self.store_bytes(&raw.bytes);
        }
        if is_empty_type(mt) {
            if bytes != b"{}" {
                return Err(Error::new(format!(
                    "not a valid {mt}: its content must be {{}}"
                )));
            }
            return self.store_bytes(&bytes);
        }
        let config = ImageConfig::parse(&bytes)
            .map_err(|e| Error::new(format!("not a valid image config: {e}")))?;
        if config.rootfs.kind != "layers" {
            return Err(Error::new(
                "not a valid image config: rootfs.type must be \"layers\"",
            ));
        }
        self.store_bytes(&bytes)
    }

    fn store_bytes(&self, bytes: &[u8]) -> Result<Digest> {
        match self.store {
            Some(s) => durable(s, s.put_bytes(bytes, None)?),
            None => Ok(Digest::of_bytes(bytes)),
        }
    }
}

/// The OCI empty descriptor's type: its content is `{}`.
fn is_empty_type(mt: &MediaType) -> bool {
    mt.as_str() == OCI_EMPTY
}

fn check_layer_prefix(mt: &MediaType, f: &mut File) -> Result<()> {
    let mut prefix = Vec::with_capacity(512);
    f.take(512).read_to_end(&mut prefix)?;
    check_layer_bytes(mt, &prefix)
}

/// Run `consume` (the hashing or storing) on the bytes of `r` while
/// another thread decompresses them and reads the tar to its end: every
/// header checked, every entry's data there, the compressed stream whole
/// (gzip's CRC and length) with nothing after it. A layer found broken
/// ends `consume` with a read error before `r`'s end is reported, so a
/// store never commits it; the layer's error is the one returned.
fn checked_layer<T>(
    mt: &MediaType,
    r: &mut dyn Read,
    consume: impl FnOnce(&mut dyn Read) -> Result<T>,
) -> Result<T> {
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(16);
        let checker = s.spawn(move || -> Result<()> {
            let mut plain = crate::unpack::decompressed(Box::new(ChannelReader::new(rx, None)))?;
            let mut first = Vec::with_capacity(512);
            (&mut plain).take(512).read_to_end(&mut first)?;
            if !looks_like_tar(&first) {
                return Err(Error::new("its content is not a tar archive"));
            }
            let mut ar =
                tar::Archive::new(crate::archive::TarGuard::new(first.as_slice().chain(plain)));
            for entry in ar.entries()? {
                entry?;
            }
            // Past the end-of-archive blocks: the rest must decompress.
            io::copy(&mut ar.into_inner(), &mut io::sink())?;
            Ok(())
        });
        let mut tee = Tee {
            inner: r,
            tx: Some(tx),
            checker: Some(checker),
            failed: None,
        };
        let out = consume(&mut tee);
        if let Some(e) = tee.failed.take() {
            return Err(Error::new(format!("not a valid {mt}: {e}")));
        }
        // Stopped by an error of its own (the checker, cut short, would
        // blame the layer): that error.
        let _ = tee.verdict();
        out
    })
}

/// Passes reads through, copying the bytes to the layer checker; at the
/// end (or when the checker stops taking them), its verdict.
struct Tee<'r, 's> {
    inner: &'r mut dyn Read,
    tx: Option<mpsc::SyncSender<io::Result<Vec<u8>>>>,
    checker: Option<std::thread::ScopedJoinHandle<'s, Result<()>>>,
    failed: Option<Error>,
}

impl Tee<'_, '_> {
    /// Wait for the checker's verdict; an error fails the read.
    fn verdict(&mut self) -> io::Result<()> {
        self.tx = None;
        if let Some(h) = self.checker.take() {
            if let Err(e) = h.join().expect("layer check panicked") {
                self.failed = Some(e);
            }
        }
        match self.failed {
            Some(_) => Err(io::Error::other("the layer is not valid")),
            None => Ok(()),
        }
    }
}

impl Read for Tee<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.verdict()?;
            return Ok(0);
        }
        let gone = match &self.tx {
            Some(tx) => tx.send(Ok(buf[..n].to_vec())).is_err(),
            None => false,
        };
        if gone {
            // The checker stopped reading: it failed.
            self.verdict()?;
        }
        Ok(n)
    }
}

/// For layer media types, the magic bytes must match the declared compression.
fn check_layer_bytes(mt: &MediaType, prefix: &[u8]) -> Result<()> {
    let Some(want) = mt.layer_compression() else {
        return Ok(());
    };
    let got = sniff(prefix);
    let ok = match want {
        Compression::None => got == Compression::None && looks_like_tar(prefix),
        other => got == other,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::new(format!(
            "not {mt}: content is {}",
            match got {
                Compression::Gzip => "gzip-compressed",
                Compression::Zstd => "zstd-compressed",
                Compression::None if looks_like_tar(prefix) => "an uncompressed tar",
                Compression::None => "not a tar archive",
            }
        )))
    }
}

/// A blob written, its name made durable before its digest is said: no
/// ref will name it (see [`Layout::sync_blobs`]).
fn durable(store: &Layout, d: Digest) -> Result<Digest> {
    store.sync_blob_dir(d.algorithm())?;
    Ok(d)
}
