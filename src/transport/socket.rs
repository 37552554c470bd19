//! The HTTP client's transport over a plain socket: a unix socket to the
//! Docker Engine, or a TCP connection to a registry (under TLS or not).
//!
//! A TCP connection has Nagle off, as usual, and before the first read
//! of each answer asks the kernel to acknowledge what it receives at once
//! (`TCP_QUICKACK`, which the kernel forgets once the connection sends
//! again: so once per request, not per read). On a connection kept for
//! the next request, Linux delays its acknowledgements; a server that
//! writes an answer's head and body in two writes with Nagle on sends the
//! body only once the head is acknowledged, so each answer waited the
//! delayed-acknowledgement timer (40 ms) for its body.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Weak};
use std::time::Duration;

use ureq::config::Config;
use ureq::unversioned::transport::time::Duration as Budget;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle,
    Transport,
};

/// A socket the transport reads and writes.
pub trait Socket: Send + Sync + 'static {
    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()>;
    fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()>;
    fn set_nonblocking(&self, on: bool) -> io::Result<()>;
    fn read(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn write_all(&self, buf: &[u8]) -> io::Result<()>;
    fn shutdown(&self) -> io::Result<()>;
    /// Done before the first read of each answer (after bytes went out).
    fn before_read(&self) {}
}

macro_rules! socket_io {
    () => {
        fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
            Self::set_read_timeout(self, t)
        }
        fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
            Self::set_write_timeout(self, t)
        }
        fn set_nonblocking(&self, on: bool) -> io::Result<()> {
            Self::set_nonblocking(self, on)
        }
        fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
            Read::read(&mut &*self, buf)
        }
        fn write_all(&self, buf: &[u8]) -> io::Result<()> {
            Write::write_all(&mut &*self, buf)
        }
        fn shutdown(&self) -> io::Result<()> {
            Self::shutdown(self, std::net::Shutdown::Both)
        }
    };
}

impl Socket for UnixStream {
    socket_io!();
}

impl Socket for TcpStream {
    socket_io!();
    fn before_read(&self) {
        // Best effort: a socket that refuses it is read all the same.
        let _ = rustix::net::sockopt::set_tcp_quickack(self, true);
    }
}

/// A [`Transport`] over a [`Socket`], shared with the agent so that it can
/// shut the socket down.
pub struct SocketTransport<S> {
    socket: Arc<Shared<S>>,
    buffers: LazyBuffers,
    /// The read and write timeouts last set, so that an unchanged one
    /// costs no call.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// Bytes went out since the last read: the next read is the first of
    /// an answer.
    sent: bool,
}

impl<S: Socket> SocketTransport<S> {
    pub fn new(socket: S, config: &Config) -> SocketTransport<S> {
        SocketTransport {
            socket: Arc::new(Shared(socket)),
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            read_timeout: None,
            write_timeout: None,
            sent: false,
        }
    }
}

impl<S> fmt::Debug for SocketTransport<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketTransport").finish()
    }
}

/// The time `timeout` leaves, or its error when none is left.
fn left(timeout: NextTimeout) -> Result<Option<Duration>, ureq::Error> {
    match timeout.after {
        Budget::NotHappening => Ok(None),
        Budget::Exact(d) if d.is_zero() => Err(ureq::Error::Timeout(timeout.reason)),
        Budget::Exact(d) => Ok(Some(d)),
    }
}

fn io_error(e: io::Error, timeout: NextTimeout) -> ureq::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ureq::Error::Timeout(timeout.reason),
        _ => ureq::Error::Io(e),
    }
}

impl<S: Socket> Transport for SocketTransport<S> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let timeout = timeout.for_write();
        let t = left(timeout)?;
        if t != self.write_timeout {
            self.socket.0.set_write_timeout(t)?;
            self.write_timeout = t;
        }
        self.sent = true;
        let out = &self.buffers.output()[..amount];
        self.socket
            .0
            .write_all(out)
            .map_err(|e| io_error(e, timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let timeout = timeout.for_read();
        let t = left(timeout)?;
        if t != self.read_timeout {
            self.socket.0.set_read_timeout(t)?;
            self.read_timeout = t;
        }
        if std::mem::take(&mut self.sent) {
            self.socket.0.before_read();
        }
        let buf = self.buffers.input_append_buf();
        let n = loop {
            match self.socket.0.read(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e, timeout)),
            }
        };
        self.buffers.input_appended(n);
        Ok(n > 0)
    }

    fn is_open(&mut self) -> bool {
        // A kept connection is reusable if reading would block (no end,
        // no stray bytes).
        let s = &self.socket.0;
        if s.set_nonblocking(true).is_err() {
            return false;
        }
        let mut b = [0u8; 1];
        let open = matches!(s.read(&mut b), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        open && s.set_nonblocking(false).is_ok()
    }
}

/// The socket as the transport and the agent share it.
struct Shared<S>(S);

impl<S: Socket> ShutdownHandle for Shared<S> {
    fn shutdown(&self) {
        // (an error: shut already)
        let _ = self.0.shutdown();
    }
}

/// Opens a registry's TCP connection when nothing before it in the chain
/// (a SOCKS proxy) has.
#[derive(Debug, Default)]
pub struct TcpConnector;

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, SocketTransport<TcpStream>>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if chained.is_some() {
            return Ok(chained.map(Either::A));
        }
        let stream = connect_any(&details.addrs, left(details.timeout)?)?;
        stream.set_nodelay(true)?;
        let transport = SocketTransport::new(stream, details.config);
        (details.register_shutdown)(Arc::downgrade(&transport.socket) as Weak<dyn ShutdownHandle>)?;
        Ok(Some(Either::B(transport)))
    }
}

/// Connect to the first of `addrs` that takes the connection, within
/// `budget` in all: each address but the last gets half of what is left,
/// and one that refuses or cannot be routed to passes at once to the next.
fn connect_any(addrs: &[SocketAddr], budget: Option<Duration>) -> Result<TcpStream, ureq::Error> {
    let start = std::time::Instant::now();
    let mut last = None;
    for (i, addr) in addrs.iter().enumerate() {
        let this = match budget.map(|b| b.saturating_sub(start.elapsed())) {
            Some(l) if l.is_zero() => break,
            Some(l) if i + 1 < addrs.len() => Some((l / 2).max(Duration::from_millis(10))),
            l => l,
        };
        let tried = match this {
            Some(t) => TcpStream::connect_timeout(addr, t),
            None => TcpStream::connect(addr),
        };
        match tried {
            Ok(s) => return Ok(s),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                last = Some(ureq::Error::Timeout(ureq::Timeout::Connect))
            }
            Err(e) if addr_specific(&e) => last = Some(ureq::Error::Io(e)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.unwrap_or(ureq::Error::Timeout(ureq::Timeout::Connect)))
}

/// An error that says nothing of the host's other addresses (an IPv6
/// address with no route, one that refuses): the next is tried.
fn addr_specific(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::AddrNotAvailable
    )
}
