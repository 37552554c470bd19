//! How many images `sync` copies at once (`--jobs`). An image counts
//! while it has work of its own. One whose every transfer thread waits
//! for a blob that another image is copying to the same place (the
//! shared base of a repository's tags) stands aside: the next image
//! starts on its own blobs meanwhile, instead of all of them queueing
//! behind the base. An image that stops waiting counts again at once,
//! so for a moment more than the limit may be working; images started
//! and not finished, working or waiting, are at most [`WAITING_FACTOR`]
//! times the limit, which bounds the threads.
//!
//! The image a thread works for is a thread-local set by the sync's
//! image thread ([`Jobs::run_on`]) and handed on to the transfer threads
//! that copy its blobs ([`ticket`]); copies outside a sync
//! have none, and every call here is then a no-op.

use std::cell::RefCell;
use std::sync::{Arc, Condvar, Mutex};

/// Images under way (working or standing aside) per `--jobs` place.
pub const WAITING_FACTOR: usize = 4;

/// The places of one sync.
pub struct Jobs {
    limit: usize,
    counts: Mutex<Counts>,
    cv: Condvar,
}

#[derive(Default)]
struct Counts {
    /// Images with work of their own.
    working: usize,
    /// Images started and not finished.
    started: usize,
}

/// One image of a sync: its threads, and how many of them wait.
pub struct Job {
    jobs: Arc<Jobs>,
    threads: Mutex<Threads>,
}

#[derive(Default)]
struct Threads {
    live: usize,
    waiting: usize,
    /// Of the waiting, those waiting for the image's own other threads.
    waiting_own: usize,
}

impl Threads {
    /// Some thread works, or the threads wait for nothing but each
    /// other (the last transfer threads ending, the image about to).
    fn working(&self) -> bool {
        self.live > 0 && (self.waiting < self.live || self.waiting == self.waiting_own)
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Job>>> = const { RefCell::new(None) };
}

impl Jobs {
    pub fn new(limit: usize) -> Arc<Jobs> {
        Arc::new(Jobs {
            limit: limit.max(1),
            counts: Mutex::default(),
            cv: Condvar::new(),
        })
    }

    /// Wait for a place, then run `f` for a new image on a thread of
    /// `scope`; the place is given back when `f` returns (or unwinds).
    pub fn run_on<'s, T: Send + 's>(
        self: &Arc<Self>,
        scope: &'s std::thread::Scope<'s, '_>,
        f: impl FnOnce() -> T + Send + 's,
    ) -> std::thread::ScopedJoinHandle<'s, T> {
        let job = self.start();
        std::thread::Builder::new()
            .name("lade-image".into())
            .spawn_scoped(scope, move || {
                let _in = Entered::new(Some(job));
                f()
            })
            .expect("spawning an image thread")
    }

    /// Wait until an image may start (fewer than the limit working, and
    /// fewer than [`WAITING_FACTOR`] × the limit under way); the caller
    /// is the image's first thread, counted working.
    fn start(self: &Arc<Self>) -> Arc<Job> {
        let c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let mut c = self
            .cv
            .wait_while(c, |c| {
                c.working >= self.limit || c.started >= self.limit * WAITING_FACTOR
            })
            .unwrap_or_else(|e| e.into_inner());
        c.working += 1;
        c.started += 1;
        Arc::new(Job {
            jobs: self.clone(),
            threads: Mutex::new(Threads {
                live: 1,
                ..Threads::default()
            }),
        })
    }
}

impl Job {
    /// Apply `f` to the image's thread counts; tell the sync when the
    /// image starts or stops working, or has finished (no live thread).
    fn update(&self, f: impl FnOnce(&mut Threads)) {
        let mut t = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        let was = t.working();
        f(&mut t);
        let (is, gone) = (t.working(), t.live == 0);
        drop(t);
        if was == is && !gone {
            return;
        }
        let mut c = self.jobs.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.working = c.working + usize::from(is) - usize::from(was);
        if gone {
            c.started -= 1;
        }
        drop(c);
        self.jobs.cv.notify_all();
    }
}

/// The image this thread works for.
fn current() -> Option<Arc<Job>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// A thread about to be started for this thread's image (if any),
/// counted live from now on, so that the image does not look idle before
/// the thread runs; the new thread calls [`Ticket::enter`].
pub fn ticket() -> Ticket {
    let job = current();
    if let Some(j) = &job {
        j.update(|t| t.live += 1);
    }
    Ticket(job)
}

pub struct Ticket(Option<Arc<Job>>);

impl Ticket {
    /// The calling thread works for the ticket's image until the guard
    /// is dropped.
    pub fn enter(mut self) -> Entered {
        Entered::new(self.0.take())
    }
}

impl Drop for Ticket {
    /// A thread that never ran is not live.
    fn drop(&mut self) {
        if let Some(j) = self.0.take() {
            j.update(|t| t.live -= 1);
        }
    }
}

/// The thread's image until dropped; then the thread is no longer live.
pub struct Entered {
    job: Option<Arc<Job>>,
    before: Option<Arc<Job>>,
}

impl Entered {
    fn new(job: Option<Arc<Job>>) -> Entered {
        let before = CURRENT.with(|c| c.replace(job.clone()));
        Entered { job, before }
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.with(|c| *c.borrow_mut() = self.before.take());
        if let Some(j) = self.job.take() {
            j.update(|t| t.live -= 1);
        }
    }
}

/// This thread waits for another image's copy of a blob until the guard
/// is dropped.
pub fn waiting() -> Option<Waiting> {
    let job = current()?;
    job.update(|t| t.waiting += 1);
    Some(Waiting(job, false))
}

/// This thread waits for its own image's other threads until the guard
/// is dropped: the image stands aside only if they wait for other images.
pub fn waiting_for_own() -> Option<Waiting> {
    let job = current()?;
    job.update(|t| {
        t.waiting += 1;
        t.waiting_own += 1;
    });
    Some(Waiting(job, true))
}

pub struct Waiting(Arc<Job>, bool);

impl Drop for Waiting {
    fn drop(&mut self) {
        let own = self.1;
        self.0.update(|t| {
            t.waiting -= 1;
            t.waiting_own -= usize::from(own);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    fn counts(j: &Jobs) -> (usize, usize) {
        let c = j.counts.lock().unwrap();
        (c.working, c.started)
    }

    /// With one place, an image that waits lets the next one start (which
    /// is what it waits for here: without standing aside, neither ends).
    #[test]
    fn a_waiting_image_lets_the_next_start() {
        let places = Jobs::new(1);
        let (tx, rx) = mpsc::channel::<()>();
        let (done_tx, done_rx) = mpsc::channel();
        std::thread::scope(|s| {
            places.run_on(s, move || {
                let _w = waiting();
                done_tx
                    .send(rx.recv_timeout(Duration::from_secs(30)).is_ok())
                    .unwrap();
            });
            places.run_on(s, move || tx.send(()).unwrap());
        });
        assert!(done_rx.recv().unwrap(), "the second image never started");
        assert_eq!(counts(&places), (0, 0));
    }

    /// An image whose thread waits for its own other threads, which have
    /// ended, is about to end, not waiting: it keeps its place (the next
    /// image does not start, with one place); one whose thread waits for
    /// its own threads while they wait for other images stands aside.
    #[test]
    fn waiting_for_its_own_ended_threads_keeps_the_place() {
        let places = Jobs::new(1);
        std::thread::scope(|s| {
            let (seen_tx, seen_rx) = mpsc::channel();
            let (go_tx, go_rx) = mpsc::channel::<()>();
            places.run_on(s, move || {
                let ticket = ticket();
                std::thread::scope(|t| {
                    t.spawn(move || {
                        let _in = ticket.enter();
                    });
                });
                let _w = waiting_for_own();
                seen_tx.send(()).unwrap();
                go_rx.recv().unwrap();
            });
            seen_rx.recv().unwrap();
            assert_eq!(counts(&places), (1, 1));
            go_tx.send(()).unwrap();
        });
        std::thread::scope(|s| {
            let (seen_tx, seen_rx) = mpsc::channel();
            let (go_tx, go_rx) = mpsc::channel::<()>();
            places.run_on(s, move || {
                let ticket = ticket();
                let (in_tx, in_rx) = mpsc::channel::<()>();
                std::thread::scope(|t| {
                    let h = t.spawn(move || {
                        let _in = ticket.enter();
                        let _w = waiting();
                        in_tx.send(()).unwrap();
                        go_rx.recv().unwrap();
                    });
                    in_rx.recv().unwrap();
                    let _w = waiting_for_own();
                    seen_tx.send(()).unwrap();
                    h.join().unwrap();
                });
            });
            seen_rx.recv().unwrap();
            assert_eq!(counts(&places), (0, 1));
            go_tx.send(()).unwrap();
        });
        assert_eq!(counts(&places), (0, 0));
    }

    /// A waiting image whose transfer thread still works keeps its place;
    /// images under way, waiting or not, stay within WAITING_FACTOR × the
    /// limit.
    #[test]
    fn working_threads_keep_the_place_and_under_way_is_bounded() {
        let places = Jobs::new(1);
        std::thread::scope(|s| {
            let (go_tx, go_rx) = mpsc::channel::<()>();
            let (seen_tx, seen_rx) = mpsc::channel();
            places.run_on(s, move || {
                let ticket = ticket();
                let (in_tx, in_rx) = mpsc::channel::<()>();
                std::thread::scope(|t| {
                    t.spawn(move || {
                        let _in = ticket.enter();
                        in_tx.send(()).unwrap();
                        go_rx.recv().unwrap();
                    });
                    in_rx.recv().unwrap();
                    let _w = waiting();
                    seen_tx.send(()).unwrap();
                });
            });
            seen_rx.recv().unwrap();
            // One thread waits, the other works: still one image working.
            assert_eq!(counts(&places), (1, 1));
            go_tx.send(()).unwrap();
        });
        assert_eq!(counts(&places), (0, 0));

        let release = Arc::new((Mutex::new(false), Condvar::new()));
        let most = Arc::new(Mutex::new(0));
        std::thread::scope(|s| {
            let dispatch = s.spawn(|| {
                std::thread::scope(|s2| {
                    for _ in 0..WAITING_FACTOR + 2 {
                        let (release, most, places) = (release.clone(), most.clone(), &places);
                        places.run_on(s2, move || {
                            let n = counts(places).1;
                            let mut m = most.lock().unwrap();
                            *m = (*m).max(n);
                            drop(m);
                            let _w = waiting();
                            let (l, cv) = &*release;
                            let _g = cv.wait_while(l.lock().unwrap(), |r| !*r).unwrap();
                        });
                    }
                })
            });
            // Every image waits: WAITING_FACTOR of them start, no more.
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while counts(&places) != (0, WAITING_FACTOR) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_millis(100));
            assert_eq!(counts(&places), (0, WAITING_FACTOR));
            *release.0.lock().unwrap() = true;
            release.1.notify_all();
            dispatch.join().unwrap();
        });
        assert_eq!(*most.lock().unwrap(), WAITING_FACTOR);
        assert_eq!(counts(&places), (0, 0));
    }
}
