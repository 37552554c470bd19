//! Copying one blob: reuse if the destination has it, else stream it,
//! (de)compressing on the way when the plan says so, verifying always.

use std::io::{self, BufReader, Read, Seek};
use std::sync::{Mutex, OnceLock};

use super::get_listed_blob;
use super::jobs;
use super::plan::{layer_action, layer_type, Format, LayerAction, Wants};
use super::progress::{Outcome, Progress};
use crate::compress::pgzip;
use crate::error::{Error, Result};
use crate::keyed::{Held, KeyedLocks};
use crate::model::{Algorithm, HashingWriter};
use crate::model::{Compression, Descriptor, Digest};
use crate::transport::registry::Retries;
use crate::transport::{BlobInfo, ImageDestination, ImageSource};
use crate::verify::VerifyingReader;

/// What a copied layer became at the destination.
pub struct Copied {
    pub desc: Descriptor,
    pub outcome: Outcome,
}

/// How one layer is to be copied.
pub struct Step<'a> {
    pub action: LayerAction,
    /// The output manifest format (decides the media type recorded).
    pub format: Format,
    /// The uncompressed digest from the config, checked whenever the layer
    /// is decompressed on the way.
    pub diff_id: Option<&'a Digest>,
    pub level: Option<u32>,
    /// `--dest-precompute-digests`: a layer compressed on the way is made
    /// in a temp file (under `tmp_dir`) first, so that its digest is known
    /// and a destination that has it is sent nothing.
    pub precompute: bool,
    pub tmp_dir: Option<&'a std::path::Path>,
    /// How often a blob whose write failed transiently (an upload the
    /// registry dropped or answered 5xx after its body was sent) is
    /// copied again from the source (`--retry-times`, `--retry-delay`).
    pub retries: Retries,
    /// What the copy asks, to decide again for a layer whose bytes are not
    /// compressed as its label says; None: taken as labelled (attachments,
    /// whose digests name them).
    pub wants: Option<Wants>,
    /// Told of a blob the destination took from the source as it is
    /// (kept), while its claim is held: what was learnt of it on the way
    /// is there for the copies in this process waiting on the claim
    /// (schema 1's uncompressed digests, see `schema1::stream`).
    pub copied: Option<&'a (dyn Fn(&Digest) + Sync)>,
}

/// `f(i, wait)` for every `i` in `0..n`, in parallel, results in index
/// order, on threads of its own: `transfers` of them (as many as the
/// transports say pay: they wait on a network), or one per CPU when they
/// name none. Own threads, not a shared pool, because an item may block
/// on another copy of the process (`sync`'s other images): a pool whose
/// threads all wait would run nothing else.
///
/// Workers take the items heaviest first (`weight`, e.g. the blob size),
/// so the last items to finish are small ones and no worker sits idle
/// behind one long transfer at the end. `f(i, false)` may put its item
/// off by returning `None` (its blob is being copied by another copy in
/// this process); the worker goes on with the next item, and put-off
/// items are run again once every item has been taken, with `wait` true:
/// then `f` waits and returns `Some`.
pub fn in_parallel<T: Send>(
    n: usize,
    transfers: usize,
    weight: impl Fn(usize) -> u64,
    f: impl Fn(usize, bool) -> Option<T> + Sync,
) -> Vec<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut order: Vec<usize> = (0..n).collect();
    // Stable: equal weights keep their manifest order.
    order.sort_by_key(|&i| std::cmp::Reverse(weight(i)));
    let next = AtomicUsize::new(0);
    let put_off = Mutex::new(std::collections::VecDeque::new());
    let slots: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let store = |i: usize, r: T| *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
    // A worker that puts an item off comes back for it here itself, so
    // none is left behind when the others have gone.
    let work = || loop {
        let k = next.fetch_add(1, Ordering::Relaxed);
        if let Some(&i) = order.get(k) {
            match f(i, false) {
                Some(r) => store(i, r),
                None => put_off
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_back(i),
            }
            continue;
        }
        let Some(i) = put_off
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
        else {
            break;
        };
        store(i, f(i, true).expect("an item run waiting gives a result"));
    };
    let threads = match transfers {
        0 => crate::cores(),
        t => t,
    }
    .min(n);
    // The transfer threads work for this thread's sync image, if any; so
    // does this one, which waits for them once out of items.
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads)
            .map(|_| {
                let ticket = jobs::ticket();
                std::thread::Builder::new()
                    .name("lade-transfer".into())
                    .spawn_scoped(s, move || {
                        let _in = ticket.enter();
                        work()
                    })
                    .expect("spawning a transfer thread")
            })
            .collect();
        work();
        let _waiting = jobs::waiting_for_own();
        for h in handles {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every item was run")
        })
        .collect()
}

/// The blobs being copied into a destination's [`blob_scope`] by this
/// process: taking one's claim waits until no other copy of that blob
/// there is under way. Released when dropped (the copy done or failed).
///
/// [`blob_scope`]: ImageDestination::blob_scope
fn claims() -> &'static KeyedLocks<(String, Digest)> {
    static C: OnceLock<KeyedLocks<(String, Digest)>> = OnceLock::new();
    C.get_or_init(KeyedLocks::new)
}

/// The claim on `digest` in `scope`; when another copy holds it, wait for
/// it to end (this thread's sync image may stand aside meanwhile), or with
/// `wait` false return None.
fn claim(scope: String, digest: Digest, wait: bool) -> Option<Held<'static, (String, Digest)>> {
    let key = (scope, digest);
    if let Some(held) = claims().try_take(key.clone()) {
        return Some(held);
    }
    if !wait {
        return None;
    }
    let _waiting = jobs::waiting();
    Some(claims().take(key))
}

/// Run `once` (open the source blob, write it) until it succeeds, fails
/// for good, or `retries` further attempts failed transiently (plus one
/// at once for an error marked [`Error::retry_at_once`]). Each try
/// re-reads the blob from the source: a streamed body cannot be replayed.
///
/// [`Error::retry_at_once`]: crate::error::Error::retry_at_once
pub fn with_retries<T>(
    desc: &Descriptor,
    retries: Retries,
    progress: &Progress,
    once: impl FnMut() -> Result<T>,
) -> Result<T> {
    retrying(retries, once, |attempt, budget, e| {
        progress.blob_retried(desc, attempt, budget, e)
    })
}

/// [`with_retries`], each retry told to `said` (the attempt, None for
/// one at once; the budget; the error) before its pause.
pub fn retrying<T>(
    retries: Retries,
    mut once: impl FnMut() -> Result<T>,
    mut said: impl FnMut(Option<u32>, u32, &crate::error::Error),
) -> Result<T> {
    let mut attempt = 0;
    let mut again = false;
    loop {
        match once() {
            // Once, whatever the budget: the writer knows another way now.
            Err(e) if e.is_retry_at_once() && !again => {
                again = true;
                said(None, retries.times, &e);
            }
            Err(e) if e.is_transient() => {
                let limited = e.is_rate_limited();
                let Some(wait) = retries.again(attempt + 1, limited, e.retry_after()) else {
                    return Err(e);
                };
                attempt += 1;
                said(Some(attempt), retries.budget(limited), &e);
                std::thread::sleep(wait);
            }
            r => return r,
        }
    }
}

/// Copy one blob as `step` says.
pub fn copy_blob(
    src: &dyn ImageSource,
    dst: &dyn ImageDestination,
    desc: &Descriptor,
    step: &Step,
    progress: &Progress,
) -> Result<Copied> {
    Ok(
        try_copy_blob(src, dst, desc, step, progress, true)?
            .expect("a waiting copy gives a result"),
    )
}

/// Copy one blob as `step` says; when another copy in this process is
/// writing the same blob to the same place, wait for it (then find the
/// blob present), or with `wait` false return None at once.
pub fn try_copy_blob(
    src: &dyn ImageSource,
    dst: &dyn ImageDestination,
    desc: &Descriptor,
    step: &Step,
    progress: &Progress,
    wait: bool,
) -> Result<Option<Copied>> {
    // One writer of a kept blob at a time here; the others wait (or go on
    // with other blobs first), then find it present.
    let copy = || {
        copy_claimed(src, dst, desc, step, progress).inspect_err(|e| progress.blob_failed(desc, e))
    };
    match step.action {
        LayerAction::Keep => with_claim(dst, &desc.digest, wait, copy).transpose(),
        _ => copy().map(Some),
    }
}

/// Run `f` (the writing of blob `digest` into `dst`) holding the claim on
/// it in the destination's blob scope, if it has one: copies of several
/// images in this process write a blob they share once. None, without
/// running `f`, when `wait` is false and another copy holds the claim.
pub fn with_claim<T>(
    dst: &dyn ImageDestination,
    digest: &Digest,
    wait: bool,
    f: impl FnOnce() -> T,
) -> Option<T> {
    let _claim = match dst.blob_scope() {
        Some(scope) => Some(claim(scope, digest.clone(), wait)?),
        None => None,
    };
    Some(f())
}

/// The compression a blob's first bytes show.
fn compression_of(src: &dyn ImageSource, desc: &Descriptor) -> Result<Compression> {
    let (mut r, _) = get_listed_blob(src, desc)?;
    Ok(crate::compress::sniff_start(&mut r)?.0)
}

/// [`copy_blob`] once any claim on the blob is held.
fn copy_claimed(
    src: &dyn ImageSource,
    dst: &dyn ImageDestination,
    desc: &Descriptor,
    step: &Step,
    progress: &Progress,
) -> Result<Copied> {
    let (format, diff_id, level) = (step.format, step.diff_id, step.level);
    // The compression the layer is kept under: its label's, but see below.
    let mut label = desc.media_type.layer_compression();
    let mut action = step.action;
    // An uncompressed layer is its diff_id: one that is not belongs to
    // another image (the manifest's layers and the config disagree), which
    // Docker refuses and no unpack can check. Unless its bytes show it
    // compressed after all: mislabelled, it goes as it is, except into a
    // destination that wants layers uncompressed (docker-archive:, the
    // daemon), where it is taken for what it is, as skopeo takes it:
    // kept under its real compression where that is kept, else
    // decompressed. (Read only then, so seldom.)
    if let (LayerAction::Keep, Some(Compression::None), Some(d)) = (action, label, diff_id) {
        if *d != desc.digest {
            match compression_of(src, desc)? {
                Compression::None => {
                    return Err(Error::invalid(format!(
                        "the layer is not compressed, so it should be its diff_id {d} \
                         (the manifest's layers and the config disagree)"
                    )))
                }
                c => {
                    let props = dst.properties();
                    if props.required_compression == Some(Compression::None) {
                        match props.also_keeps.contains(&c) {
                            true => label = Some(c),
                            false => {
                                action = LayerAction::Transform {
                                    from: c,
                                    to: Compression::None,
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    // A layer labelled compressed whose bytes are not (skopeo's dir:
    // copies of Docker images hold plain tars labelled gzip), or are
    // compressed otherwise, is compressed where the destination or the
    // user wants that compression, as skopeo does: a new blob, so the
    // manifest is written anew. Where nothing is wanted it goes as it is,
    // label and all (the digests kept, as skopeo keeps them). Looked at in
    // local sources only, where the first bytes cost no request (one that
    // does not read is left to the copy, which says why).
    if let (LayerAction::Keep, Some(c), Some(wants)) = (action, label, &step.wants) {
        let local = src.local_blob_path(desc).is_some();
        if local && c != Compression::None && !wants.preserve_digests {
            if let Ok(actual) = compression_of(src, desc) {
                let props = dst.properties();
                match layer_action(Some(actual), false, &props, wants) {
                    t @ LayerAction::Transform { .. } if actual != c => action = t,
                    _ => {}
                }
            }
        }
    }
    match action {
        LayerAction::External => {
            let mut d = desc.clone();
            if let Some(c) = label {
                d.media_type = layer_type(&desc.media_type, format, c)?;
            }
            progress.blob_external(desc);
            Ok(Copied {
                desc: d,
                outcome: Outcome::Skipped,
            })
        }
        LayerAction::Keep => {
            let mut info = BlobInfo::from(desc);
            if let Some(c) = label {
                info.media_type = layer_type(&desc.media_type, format, c)?;
            }
            if let Some(have) = dst.try_reuse_blob(&info)? {
                return Ok(present(progress, desc, have));
            }
            progress.blob_start(desc);
            let linked = match src.local_blob_path(desc) {
                Some(path) => dst.put_blob_from_path(&path, &info)?,
                None => None,
            };
            let out = match linked {
                Some(out) => out,
                None => with_retries(desc, step.retries, progress, || {
                    let (r, _) = get_listed_blob(src, desc)?;
                    let mut r = progress.counting(r, desc);
                    dst.put_blob(&mut r, &info)
                })?,
            };
            if let Some(told) = step.copied {
                told(&desc.digest);
            }
            Ok(sent(progress, desc, out))
        }
        LayerAction::Transform { from, to } => {
            let media_type = layer_type(&desc.media_type, format, to)?;
            // An uncompressed result is known by its diff_id before it exists.
            let known = if to == Compression::None {
                diff_id.cloned()
            } else {
                None
            };
            let info = BlobInfo {
                media_type,
                digest: known.clone(),
                size: None,
            };
            // The result, once its digest and size are known.
            let made_as = |(digest, size): (Digest, u64)| BlobInfo {
                media_type: info.media_type.clone(),
                digest: Some(digest),
                size: Some(size),
            };
            // What the destination holds of this content already (the
            // result named by the diff_id, a compression lade made of it
            // before), taken only where this blob is known to be that
            // content: the config's word alone would let a layer that is
            // not its diff_id pass unread, as the content it claims.
            let proven = diff_id.is_some_and(|d| {
                *d == desc.digest || crate::blob_cache::unpacks_to(&desc.digest, d)
            });
            if proven {
                let before = match (&known, diff_id) {
                    (None, Some(d)) => crate::blob_cache::lookup(d, to).map(made_as),
                    _ => None,
                };
                for reuse in [known.is_some().then_some(&info), before.as_ref()]
                    .into_iter()
                    .flatten()
                {
                    if let Some(have) = dst.try_reuse_blob(reuse)? {
                        return Ok(present(progress, desc, have));
                    }
                }
            }
            // The layer as it goes out: read, verified, decompressed,
            // its diff_id checked, compressed.
            let output = || -> Result<Box<dyn Read + Send + '_>> {
                let (r, _) = get_listed_blob(src, desc)?;
                let r = progress.counting(r, desc);
                let verified = VerifyingReader::new(r, &desc.digest, Some(desc.size));
                // (by what the bytes are, not the label: skopeo stores
                // layers it took out of Docker uncompressed under a gzip
                // media type)
                let plain = crate::unpack::decompressed(Box::new(verified))?;
                // When the destination verifies the diff_id itself, or the
                // source blob is uncompressed and already verified against
                // that same digest, don't hash twice.
                let plain: Box<dyn Read + Send + '_> = match (diff_id, &known) {
                    (Some(d), None) if !(from == Compression::None && *d == desc.digest) => {
                        Box::new(VerifyingReader::new(plain, d, None))
                    }
                    _ => Box::new(plain),
                };
                Ok(compressor(to, plain, level)?)
            };
            progress.blob_start(desc);
            if step.precompute && known.is_none() {
                let (file, digest, size) = with_retries(desc, step.retries, progress, || {
                    made_in_file(&mut output()?, step.tmp_dir)
                })?;
                if let Some(d) = diff_id {
                    crate::blob_cache::record(d, to, &digest, size);
                    crate::blob_cache::record_unpacked(&desc.digest, d);
                }
                let made = made_as((digest, size));
                if let Some(have) = dst.try_reuse_blob(&made)? {
                    return Ok(present(progress, desc, have));
                }
                let stored = put_file(dst, &file, &made, desc, step.retries, progress)?;
                return Ok(sent(progress, desc, stored));
            }
            let stored = with_retries(desc, step.retries, progress, || {
                let mut out = output()?;
                dst.put_blob(&mut out, &info)
            })?;
            if let Some(d) = diff_id {
                if known.is_none() {
                    crate::blob_cache::record(d, to, &stored.digest, stored.size);
                }
                // (checked on the way, by lade or by the destination)
                crate::blob_cache::record_unpacked(&desc.digest, d);
            }
            Ok(sent(progress, desc, stored))
        }
    }
}

/// A layer made in a temp file (under `tmp_dir`) from `r`: the file, and
/// the digest and size of what it holds.
pub fn made_in_file(
    r: &mut dyn Read,
    tmp_dir: Option<&std::path::Path>,
) -> Result<(std::fs::File, Digest, u64)> {
    let file = crate::fsutil::scratch_file(tmp_dir, "to make a layer in")?;
    let mut w = HashingWriter::new(io::BufWriter::new(file), Algorithm::Sha256);
    io::copy(r, &mut w)?;
    let (digest, size, file) = w.finish();
    Ok((file.into_inner().map_err(|e| e.into_error())?, digest, size))
}

/// Put the blob `file` holds as `info`, read from its start at each try.
pub fn put_file(
    dst: &dyn ImageDestination,
    file: &std::fs::File,
    info: &BlobInfo,
    desc: &Descriptor,
    retries: Retries,
    progress: &Progress,
) -> Result<Descriptor> {
    with_retries(desc, retries, progress, || {
        let mut f = file;
        f.seek(io::SeekFrom::Start(0))?;
        dst.put_blob(&mut f, info)
    })
}

/// A blob the destination has (or got by a mount): said, and skipped.
fn present(progress: &Progress, desc: &Descriptor, have: crate::transport::Reused) -> Copied {
    progress.blob_present(desc, &have);
    Copied {
        desc: merge(desc, have.desc),
        outcome: Outcome::Skipped,
    }
}

/// A blob written to the destination as `stored`: said, and copied.
fn sent(progress: &Progress, desc: &Descriptor, stored: Descriptor) -> Copied {
    progress.blob_done(desc, &stored, stored.size, Outcome::Copied);
    Copied {
        desc: merge(desc, stored),
        outcome: Outcome::Copied,
    }
}

/// The destination's digest/size/type with the source's other fields
/// (annotations, urls, platform).
fn merge(src: &Descriptor, stored: Descriptor) -> Descriptor {
    let mut d = src.clone();
    if stored.digest != src.digest {
        // Other bytes: what described the old ones goes (URLs they were
        // at; the offsets of a zstd:chunked or eStargz table of contents).
        d.urls = None;
        if let Some(a) = &mut d.annotations {
            a.retain(|k, _| !describes_compressed_bytes(k));
            if a.is_empty() {
                d.annotations = None;
            }
        }
    }
    d.media_type = stored.media_type;
    d.digest = stored.digest;
    d.size = stored.size;
    d
}

/// An annotation about a layer's compressed bytes (zstd:chunked's
/// `io.github.containers.zstd-chunked.*`, eStargz's
/// `containerd.io/snapshot/stargz/toc.digest`, …).
fn describes_compressed_bytes(key: &str) -> bool {
    key.contains("zstd-chunked") || key.contains("stargz")
}

/// Decompresses gzip (every member) or zstd, or passes bytes through; at the
/// end of the decompressed stream it drains the compressed input to its end,
/// so a verifying reader underneath checks the whole blob.
pub enum Decompressor<R: Read> {
    Plain(R),
    Gzip(Box<flate2::read::MultiGzDecoder<R>>),
    Zstd(zstd::stream::read::Decoder<'static, BufReader<R>>),
}

impl<R: Read> Decompressor<R> {
    pub fn new(c: Compression, r: R) -> io::Result<Self> {
        Ok(match c {
            Compression::None => Decompressor::Plain(r),
            Compression::Gzip => Decompressor::Gzip(Box::new(flate2::read::MultiGzDecoder::new(r))),
            Compression::Zstd => Decompressor::Zstd(zstd::stream::read::Decoder::new(r)?),
        })
    }

    fn drain_inner(&mut self) -> io::Result<()> {
        let inner: &mut dyn Read = match self {
            Decompressor::Plain(_) => return Ok(()),
            Decompressor::Gzip(d) => d.get_mut(),
            Decompressor::Zstd(d) => d.get_mut(),
        };
        let extra = io::copy(inner, &mut io::sink())?;
        if extra > 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{extra} bytes of trailing data after the compressed stream"),
            ));
        }
        Ok(())
    }
}

impl<R: Read> Read for Decompressor<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self {
            Decompressor::Plain(r) => r.read(buf),
            // (flate2 says "unexpected end of file" or "invalid gzip
            // header" of bytes after a member that begin no other; a
            // corrupt deflate stream keeps its own message)
            Decompressor::Gzip(d) => d.read(buf).map_err(|e| {
                let cut = e.kind() == io::ErrorKind::UnexpectedEof
                    || e.to_string().contains("gzip header");
                match cut {
                    true => io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "gzip data cut short, or followed by bytes that begin no gzip \
                             member ({e})"
                        ),
                    ),
                    false => e,
                }
            }),
            Decompressor::Zstd(d) => d.read(buf),
        }?;
        if n == 0 && !buf.is_empty() {
            self.drain_inner()?;
        }
        Ok(n)
    }
}

/// Wrap `r` so reading yields it compressed with `c`.
pub fn compressor<'a>(
    c: Compression,
    r: Box<dyn Read + Send + 'a>,
    level: Option<u32>,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    Ok(match c {
        Compression::None => r,
        // Parallel over blocks (pigz-style), one gzip member; see pgzip.
        Compression::Gzip => Box::new(pgzip::ParGzEncoder::new(r, level)),
        Compression::Zstd => Box::new(zstd::stream::read::Encoder::new(
            r,
            level.map_or(3, |l| l as i32),
        )?),
    })
}

#[cfg(test)]
mod tests {
    use super::in_parallel;
    use std::sync::Mutex;

    #[test]
    fn in_parallel_keeps_index_order_and_starts_heaviest_first() {
        let weights = [5u64, 900, 1, 70, 900, 3, 0, 40];
        for transfers in [1, 2, 8] {
            let started = Mutex::new(Vec::new());
            let out = in_parallel(
                weights.len(),
                transfers,
                |i| weights[i],
                |i, _| {
                    started.lock().unwrap().push(i);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    Some(i * 10)
                },
            );
            assert_eq!(out, (0..weights.len()).map(|i| i * 10).collect::<Vec<_>>());
            let started = started.into_inner().unwrap();
            let mut sorted = started.clone();
            sorted.sort();
            assert_eq!(
                sorted,
                (0..weights.len()).collect::<Vec<_>>(),
                "each item once"
            );
            // Workers take items in weight order (ties in index order); they
            // start them in that order up to the number of workers racing.
            let order = [1, 4, 3, 7, 0, 5, 2, 6];
            for (k, i) in started.iter().enumerate() {
                let pos = order.iter().position(|x| x == i).unwrap();
                assert!(pos < k + transfers, "item {i} started {k}th: {started:?}");
            }
        }
    }

    #[test]
    fn put_off_items_run_last_and_waiting() {
        // Items 0 and 2 are busy at first: put off, then run with wait.
        for transfers in [1, 3] {
            let calls = Mutex::new(Vec::new());
            let out = in_parallel(
                5,
                transfers,
                |_| 1,
                |i, wait| {
                    calls.lock().unwrap().push((i, wait));
                    (wait || (i != 0 && i != 2)).then_some(i)
                },
            );
            assert_eq!(out, vec![0, 1, 2, 3, 4]);
            let calls = calls.into_inner().unwrap();
            assert_eq!(calls.len(), 7, "{calls:?}");
            let waited: Vec<usize> = calls.iter().filter(|c| c.1).map(|c| c.0).collect();
            assert_eq!(waited.len(), 2, "{calls:?}");
            assert!(waited.contains(&0) && waited.contains(&2), "{calls:?}");
            // One worker: every other item before the put-off ones.
            if transfers == 1 {
                assert_eq!(
                    calls,
                    [
                        (0, false),
                        (1, false),
                        (2, false),
                        (3, false),
                        (4, false),
                        (0, true),
                        (2, true)
                    ]
                );
            }
        }
    }
}
